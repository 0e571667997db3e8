"""TAO (COCO-VID JSON with LVIS categories) for TETA and the OV-MOT protocol."""
from typing import List

from mmdet.registry import DATASETS
from .coco_video_dataset import CocoVideoDataset

# LVIS frequency groups (Gupta et al. 2019): 'r' rare, 'c' common, 'f'
# frequent. The open-vocabulary split (OVTrack, Li et al. 2023; paper Sec. 4.1
# "Benchmarks") takes rare classes as novel and common + frequent as base.
NOVEL_FREQUENCIES = ('r', )
BASE_FREQUENCIES = ('c', 'f')


@DATASETS.register_module()
class TAODataset(CocoVideoDataset):
    """TAO validation/test annotations (``validation.json`` or the LVIS v0.5 /
    v1 remapped files such as ``tao_val_lvis_v05_classes.json``).

    Annotations carry ``track_id`` (renumbered into ``instance_id``, unique
    across videos). Classes come from the file's ``categories`` (LVIS v0.5:
    1230, v1: 1203; ``classes=None`` keeps all, in file order), so both
    vocabularies work without code changes. ``metainfo`` additionally holds,
    aligned with ``classes``:

    * ``frequencies``: each class's LVIS frequency (``'r'``/``'c'``/``'f'``,
      or ``None`` when the file has none);
    * ``base_classes`` / ``novel_classes``: the OV-MOT split (``c``/``f`` base,
      ``r`` novel).

    Test mode works frame by frame with mmdet's ``TrackImgSampler``.
    """

    METAINFO = dict(classes=None)

    def _set_class_metainfo(self, selected: List[dict]) -> None:
        super()._set_class_metainfo(selected)
        freqs = tuple(c.get('frequency') for c in selected)
        self._metainfo['frequencies'] = freqs
        self._metainfo['novel_classes'] = tuple(
            c['name'] for c in selected if c.get('frequency') in NOVEL_FREQUENCIES)
        self._metainfo['base_classes'] = tuple(
            c['name'] for c in selected if c.get('frequency') in BASE_FREQUENCIES)
