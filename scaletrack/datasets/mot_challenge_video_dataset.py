"""MOTChallenge-format sets (MOT17, SportsMOT, DanceTrack) with any classes."""
from typing import Optional

from mmdet.registry import DATASETS

from .coco_video_dataset import CocoVideoDataset


@DATASETS.register_module()
class MOTChallengeVideoDataset(CocoVideoDataset):
    """MOTChallenge-format sequences converted by
    ``tools/dataset_converters/mot_to_cocovid.py``.

    Unlike mmdet's ``MOTChallengeDataset`` (which hard-codes MOT17's 13
    classes), the classes are whatever the converter's class map wrote
    (``classes=None``: all of them), so SportsMOT's players or DanceTrack's
    dancers need no code change. Each instance keeps ``mot_conf`` and
    ``visibility`` (as mmdet's reader does); during training, boxes with
    visibility below ``visibility_thr`` are dropped.

    Args:
        visibility_thr (float): minimum visibility of a training box; -1 keeps
            all (mmdet's default).
    """

    METAINFO = dict(classes=None)

    def __init__(self, *args, visibility_thr: float = -1, **kwargs):
        self.visibility_thr = visibility_thr
        super().__init__(*args, **kwargs)

    def _parse_instance(self, ann: dict, img: dict, video_id,
                        ann_index: int) -> Optional[dict]:
        visibility = float(ann.get('visibility', 1.0))
        if not self.test_mode and visibility < self.visibility_thr:
            return None
        inst = super()._parse_instance(ann, img, video_id, ann_index)
        if inst is not None:
            inst['mot_conf'] = float(ann.get('mot_conf', 1.0))
            inst['visibility'] = visibility
            inst['category_id'] = ann['category_id']
        return inst
