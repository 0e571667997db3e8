"""Deformable DETR encoder whose attention samples by gathers on CPU.

mmdet's ``DeformableDetrTransformerEncoder`` and its layer, with mmcv's
attention replaced by :class:`~scaletrack.models.layers.
GatherMultiScaleDeformableAttention` (same parameters and results; mmcv's
kernel on CUDA, one gather per layer on CPU).
"""
from mmdet.models.layers import (DeformableDetrTransformerEncoder,
                                 DeformableDetrTransformerEncoderLayer)
from mmengine.model import ModuleList

from ..layers import GatherMultiScaleDeformableAttention

__all__ = ['GatherDeformableEncoderLayer', 'GatherDeformableEncoder']


class GatherDeformableEncoderLayer(DeformableDetrTransformerEncoderLayer):
    """mmdet's encoder layer with ``GatherMultiScaleDeformableAttention``."""

    def _init_layers(self) -> None:
        super()._init_layers()
        self.self_attn = GatherMultiScaleDeformableAttention(
            **self.self_attn_cfg)


class GatherDeformableEncoder(DeformableDetrTransformerEncoder):
    """mmdet's Deformable DETR encoder built from the layers above."""

    def _init_layers(self) -> None:
        super()._init_layers()
        self.layers = ModuleList([
            GatherDeformableEncoderLayer(**self.layer_cfg)
            for _ in range(self.num_layers)
        ])
