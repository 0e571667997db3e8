"""BDD100K MOT on the COCO-VID file written by
tools/dataset_converters/bdd100k_to_cocovid.py."""
from mmdet.registry import DATASETS

from .coco_video_dataset import CocoVideoDataset

# The 8 classes that BDD100K's MOT evaluation scores (Yu et al. 2020); the
# converter maps "other person", "other vehicle", "trailer" and crowd boxes to
# ignored boxes of these classes.
BDD100K_MOT_CLASSES = ('pedestrian', 'rider', 'car', 'truck', 'bus', 'train',
                       'motorcycle', 'bicycle')


@DATASETS.register_module()
class BDD100KMOTDataset(CocoVideoDataset):
    """BDD100K MOT (200 val videos at 5 FPS) as COCO-VID.

    Ignored boxes (``iscrowd=1``) become ``ignore_flag=1`` instances, packed
    into ``ignored_instances``. Reads the file of
    ``tools/dataset_converters/bdd100k_to_cocovid.py`` and the COCO
    conversion that scalabel / bdd100k (``to_coco``) and MASA publish
    (identities in ``instance_id``, with ``scalabel_id`` and no
    ``track_id``).
    """

    METAINFO = dict(classes=BDD100K_MOT_CLASSES)
