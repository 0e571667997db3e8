"""Backbones of the association network.

ScaleTrack-R50 uses mmdet's ``ResNet`` directly from the config; only the
DINOv2 wrapper is new.
"""
from .dinov2 import DINOV2_ARCHS, DINOv2Backbone

__all__ = ['DINOv2Backbone', 'DINOV2_ARCHS']
