"""Public detections for the boxes, a real detector for the features.

The unified ScaleTrack (``feature_source='detector_*'``, paper App. D)
reads its features from the detector. To compare it with the two-backbone
ScaleTrack on *identical boxes* (the same-detections protocol), this module
answers ``predict`` with the frame's public detections (as
:class:`PublicDetectionsDetector`) while ``extract_feat`` and ``backbone``
are those of a frozen mmdet detector: the detector only provides features.
Used by the synthetic comparison (configs/scaletrack/synthetic/unified/).
"""
import torch
from mmdet.registry import MODELS
from torch import nn

from .public_detections_detector import PublicDetectionsDetector


@MODELS.register_module()
class PublicDetectionsWithFeatures(PublicDetectionsDetector):
    """``predict``: public detections; ``extract_feat`` / ``backbone``:
    those of ``detector``.

    Args:
        detector (dict): an mmdet detector config with ``extract_feat``
            (its weights: its own ``init_cfg``, e.g. ``Pretrained``).
    """

    def __init__(self, detector: dict, init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.detector = MODELS.build(detector)
        if not callable(getattr(self.detector, 'extract_feat', None)):
            raise TypeError(
                'PublicDetectionsWithFeatures provides the features of '
                f'detector, but {type(self.detector).__name__} has no '
                'extract_feat: configure an mmdet detector')

    @property
    def backbone(self) -> nn.Module:
        """The detector's backbone (its stages: ``detector_backbone``)."""
        return self.detector.backbone

    def extract_feat(self, batch_inputs: torch.Tensor):
        """The detector's features (``detector_neck``)."""
        return self.detector.extract_feat(batch_inputs)
