"""Necks of the association network."""
from .deformable_encoder_adapter import DeformableEncoderAdapter
from .gather_deformable_attention import (GatherDeformableEncoder,
                                          GatherDeformableEncoderLayer,
                                          GatherMultiScaleDeformableAttention)

__all__ = [
    'DeformableEncoderAdapter', 'GatherMultiScaleDeformableAttention',
    'GatherDeformableEncoderLayer', 'GatherDeformableEncoder'
]
