"""Datasets (SA-V, TAO, OVT-B, BDD100K MOT, MOTChallenge-format), public
detection readers and data transforms."""
from .bdd100k_mot_dataset import BDD100K_MOT_CLASSES, BDD100KMOTDataset
from .coco_video_dataset import CocoVideoDataset
from .mot_challenge_video_dataset import MOTChallengeVideoDataset
from .ovtb_dataset import OVTBDataset
from .public_detections import (MASADetections, MOTDetDetections,
                                TAOResultDetections, load_box_file)
from .sav_dataset import SAVDataset, masklet_boxes
from .tao_dataset import TAODataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CocoVideoDataset', 'TAODataset', 'OVTBDataset', 'BDD100KMOTDataset',
    'BDD100K_MOT_CLASSES', 'MOTChallengeVideoDataset', 'SAVDataset',
    'masklet_boxes', 'load_box_file', 'MASADetections', 'TAOResultDetections',
    'MOTDetDetections'
]
