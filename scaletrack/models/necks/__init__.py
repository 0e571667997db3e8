"""Necks of the association network."""
from .deformable_encoder_adapter import DeformableEncoderAdapter

__all__ = ['DeformableEncoderAdapter']
