"""Necks of the association network."""
from .deformable_encoder_adapter import DeformableEncoderAdapter
from .gather_deformable_encoder import (GatherDeformableEncoder,
                                        GatherDeformableEncoderLayer)

__all__ = [
    'DeformableEncoderAdapter', 'GatherDeformableEncoderLayer',
    'GatherDeformableEncoder'
]
