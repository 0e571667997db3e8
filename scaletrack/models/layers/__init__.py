"""Sampling layers shared by the necks and the track heads.

One device policy (:func:`use_mmcv_kernel`): mmcv's kernels on CUDA, the
gather path of :mod:`point_sampling` elsewhere; the two give the same
numbers.
"""
from .box_cross_attention import BoxDeformableCrossAttention
from .deformable_attention import GatherMultiScaleDeformableAttention
from .device_policy import use_mmcv_kernel
from .point_sampling import (FlatFeatureMap, interpolation_corners,
                             pixel_to_index, project_heads, roi_batch_indices,
                             weighted_gather)
from .roi_cells import roi_align_cells

__all__ = [
    'use_mmcv_kernel', 'FlatFeatureMap', 'interpolation_corners',
    'pixel_to_index', 'project_heads', 'roi_batch_indices', 'weighted_gather',
    'roi_align_cells', 'GatherMultiScaleDeformableAttention',
    'BoxDeformableCrossAttention'
]
