"""RoIAlign cells of boxes on an encoder map (Sec. 3.4.2, Eq. 4).

``f_RoI = RoIAlign(M_L, b)`` with mmcv's ``RoIAlign(aligned=True)`` rule and
a fixed number of samples per bin: mmcv's kernel where
:func:`use_mmcv_kernel` says so (CUDA), otherwise the same samples taken by
one gather on the channels-last map (``FlatFeatureMap.sample`` with mmcv's
RoIAlign boundary rule). The tests compare both with ``mmcv.ops.roi_align``.
"""
import torch
from mmcv.ops import roi_align
from torch import Tensor

from .device_policy import use_mmcv_kernel
from .point_sampling import FlatFeatureMap, pixel_to_index

__all__ = ['roi_align_cells']


def roi_align_cells(flat_map: FlatFeatureMap,
                    rois: Tensor,
                    batch_inds: Tensor,
                    stride: float,
                    roi_size: int,
                    sampling_ratio: int,
                    level: int = -1) -> Tensor:
    """Eq. 4, RoIAlign (``aligned=True``, average of ``sampling_ratio**2``
    samples per bin) -> cells ``[N, roi_size**2, C]`` in row-major order.

    Same values as ``mmcv.ops.roi_align(map, rois, roi_size, 1/stride,
    sampling_ratio, 'avg', aligned=True)`` with the cells moved last.

    Args:
        flat_map: the encoder maps, channels-last.
        rois: ``[N, 5]`` (batch index, x1, y1, x2, y2) in pixels.
        batch_inds: ``rois[:, 0]`` as long.
        stride: stride of level ``level`` w.r.t. the input image.
        roi_size: output cells per side.
        sampling_ratio: samples per bin and axis (>= 1).
        level: the level of ``flat_map`` pooled (default: the last).
    """
    if sampling_ratio < 1:
        raise ValueError('roi sampling_ratio must be >= 1 (a fixed number '
                         f'of samples per bin), got {sampling_ratio}')
    if use_mmcv_kernel(rois):
        cells = roi_align(
            flat_map.level_map(level).contiguous(), rois, roi_size,
            1.0 / stride, sampling_ratio, 'avg', True)  # [N, C, s, s]
        return cells.flatten(2).transpose(1, 2)
    start = pixel_to_index(rois[:, 1:3], stride)  # [N, 2] (x, y)
    bin_size = (rois[:, 3:5] - rois[:, 1:3]) / (stride * roi_size)
    bins = torch.arange(roi_size, device=rois.device, dtype=rois.dtype)
    subs = (torch.arange(sampling_ratio, device=rois.device, dtype=rois.dtype)
            + 0.5) / sampling_ratio
    # fractional positions inside the RoI, in bins: [s*s, r*r, 2] (x, y)
    by, bx = torch.meshgrid(bins, bins, indexing='ij')
    sy, sx = torch.meshgrid(subs, subs, indexing='ij')
    pos_x = bx.reshape(-1, 1) + sx.reshape(1, -1)
    pos_y = by.reshape(-1, 1) + sy.reshape(1, -1)
    pos = torch.stack([pos_x, pos_y], -1)
    coords = start[:, None, None] + pos[None] * bin_size[:, None, None]
    weights = coords.new_full(coords.shape[:-1], 1.0 / sampling_ratio**2)
    cells, _ = flat_map.sample(
        coords, batch_inds, weights, mode='roi_align', level=level)
    return cells
