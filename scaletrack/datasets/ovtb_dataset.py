"""OVT-B (Liang & Han 2025): a TAO-style open-vocabulary benchmark."""
from mmdet.registry import DATASETS

from .tao_dataset import TAODataset


@DATASETS.register_module()
class OVTBDataset(TAODataset):
    """OVT-B's ``ovtb_ann.json`` (1,048 categories, 1,973 videos).

    The file has TAO's layout (``videos``, ``images`` with ``frame_index``,
    ``annotations`` with ``track_id``, categories with LVIS ``frequency``), so
    it is read exactly like :class:`TAODataset`; base/novel follow the
    categories' ``frequency`` as in TAO's OV-MOT protocol.
    """
