"""Gather-based bilinear/trilinear sampling of feature maps (Eq. 4-9).

All deformable sampling of the decoder (and of the adapter's attention on
CPU) reduces to "weighted sums of interpolated map vectors". Instead of
``F.grid_sample`` on channels-first maps (one strided gather per channel),
a map is stored once channels-last (:class:`FlatFeatureMap`) and every
weighted sum over points x interpolation corners is one
``F.embedding_bag(mode='sum', per_sample_weights=...)`` call: contiguous
row gathers, no ``[N, points, C]`` intermediate, differentiable w.r.t. the
map and the weights (hence the sampling locations).

Coordinates are *continuous indices* ``(x, y[, t])``: cell ``i`` of a map
has its centre at ``i``; an image pixel coordinate ``p`` at stride ``s`` is
``p / s - 0.5`` (mmcv ``RoIAlign(aligned=True)`` and ``grid_sample(
align_corners=False)`` conventions). Two boundary rules:

* ``'zeros'``: ``grid_sample(padding_mode='zeros')`` -- corners outside the
  map contribute zero (deformable attention);
* ``'roi_align'``: mmcv's RoIAlign rule -- a point beyond one cell outside
  the map is zero, any other point is clamped into the map.

Project-after-sampling. A deformable attention head ``h`` computes
``sum_p a_p (W_h v(p) + b_h)`` with ``v(p)`` the interpolated raw map.
Interpolation and weighting are linear, so this equals ``W_h (sum_p a_p
v(p)) + b_h sum_p a_p z(p)``, ``z(p)`` being the interpolated all-ones map
(the weight of the corners inside the map). :func:`project_heads` applies
the value projection that way: to a few per-box vectors instead of every
location of every map.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['FlatFeatureMap', 'pixel_to_index', 'interpolation_corners',
           'weighted_gather', 'project_heads', 'roi_batch_indices']

BOUNDARY_MODES = ('zeros', 'roi_align')


def pixel_to_index(coords: Tensor, stride: float) -> Tensor:
    """Input-image pixel coordinates -> continuous map indices."""
    return coords / stride - 0.5


def roi_batch_indices(rois: Tensor, batch_size: int) -> Tensor:
    """Check ``rois [N, 5]`` and return its batch column as long indices."""
    if rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError('rois must be [N, 5] = (batch_index, x1, y1, x2, '
                         f'y2) as made by mmdet bbox2roi, got '
                         f'{tuple(rois.shape)}')
    inds = rois[:, 0].long()
    if inds.numel() and (inds.min() < 0 or inds.max() >= batch_size):
        raise ValueError(f'rois batch indices must lie in [0, {batch_size}) '
                         f'(the batch size of the features), got '
                         f'[{int(inds.min())}, {int(inds.max())}]')
    return inds


def _axis_corners(c: Tensor, size: int, mode: str) -> Tuple[Tensor, Tensor]:
    """Linear interpolation along one axis: indices and weights ``[..., 2]``.
    """
    if mode == 'zeros':
        # keep far-away points finite before the integer cast
        c = c.clamp(-2.0, size + 1.0)
        floor = torch.floor(c)
        frac = c - floor
        i0 = floor.long()
        index = torch.stack([i0, i0 + 1], -1)
        weight = torch.stack([1 - frac, frac], -1)
        weight = weight * ((index >= 0) & (index < size))
        return index.clamp(0, size - 1), weight
    # mmcv RoIAlign: zero beyond [-1, size], otherwise clamp into the map
    valid = ((c >= -1.0) & (c <= float(size))).to(c.dtype)
    c = c.clamp(0.0, float(size - 1))
    i0 = torch.floor(c).long()
    frac = (c - i0) * valid
    index = torch.stack([i0, (i0 + 1).clamp(max=size - 1)], -1)
    weight = torch.stack([valid - frac, frac], -1)
    return index, weight


def interpolation_corners(coords: Tensor, sizes: Sequence[int],
                          mode: str = 'zeros') -> Tuple[Tensor, Tensor]:
    """Corner indices and weights of (bi/tri)linear interpolation.

    Args:
        coords: ``[..., k]`` continuous indices, axis order ``(x, y[, t])``.
        sizes: ``(w, h[, T])`` in the same order.
        mode: ``'zeros'`` or ``'roi_align'`` (see module doc).

    Returns:
        ``index [..., 2**k]`` (row-major linear index ``(t*h + y)*w + x``
        within one map) and ``weight [..., 2**k]``.
    """
    if mode not in BOUNDARY_MODES:
        raise ValueError(f'mode must be one of {BOUNDARY_MODES}, got {mode}')
    index, weight = _axis_corners(coords[..., 0], sizes[0], mode)
    step = sizes[0]
    for axis in range(1, len(sizes)):
        idx, wt = _axis_corners(coords[..., axis], sizes[axis], mode)
        # outer sum / product with the corners found so far
        index = (idx[..., :, None] * step + index[..., None, :]).flatten(-2)
        weight = (wt[..., :, None] * weight[..., None, :]).flatten(-2)
        step = step * sizes[axis]  # not in place: sizes may be traced
    return index, weight


def weighted_gather(values: Tensor, index: Tensor, weight: Tensor) -> Tensor:
    """``out[m] = sum_j weight[m, j] * values[index[m, j]]`` -> ``[M, C]``."""
    if index.shape[0] == 0:
        return values.new_zeros(0, values.shape[1])
    rows, per_row = index.shape
    # 1-D input with explicit offsets (the 2-D form breaks under jit trace)
    offsets = torch.arange(0, rows * per_row, per_row, device=index.device)
    return F.embedding_bag(index.reshape(-1), values, offsets,
                           per_sample_weights=weight.reshape(-1).to(
                               values.dtype),
                           mode='sum')


class FlatFeatureMap:
    """A ``[B, C, *spatial]`` map stored channels-last as ``[B * S, C]``.

    Build it once per forward and sample it many times.
    """

    def __init__(self, maps: Tensor) -> None:
        if maps.dim() not in (4, 5):
            raise ValueError('FlatFeatureMap expects [B, C, h, w] or '
                             f'[B, C, T, h, w], got {tuple(maps.shape)}')
        self.batch, self.channels = maps.shape[:2]
        self.spatial = tuple(maps.shape[2:])  # (h, w) or (T, h, w)
        self.sizes = tuple(reversed(self.spatial))  # (w, h[, T])
        self.numel = 1
        for s in self.spatial:
            self.numel = self.numel * s
        self.values = maps.movedim(1, -1).reshape(-1, self.channels)

    def sample(self, coords: Tensor, batch_inds: Tensor,
               point_weights: Optional[Tensor] = None,
               mode: str = 'zeros') -> Tuple[Tensor, Tensor]:
        """Weighted sums of interpolated vectors over groups of points.

        Args:
            coords: ``[N, G, P, k]`` continuous indices ``(x, y[, t])``.
            batch_inds: ``[N]`` map of each row.
            point_weights: ``[N, G, P]`` (``None`` = ones).
            mode: boundary rule, ``'zeros'`` or ``'roi_align'``.

        Returns:
            ``[N, G, C]`` = ``sum_p w_p v(p)`` and ``[N, G]`` =
            ``sum_p w_p z(p)`` (``z`` = the interpolated all-ones map).
        """
        n, groups, points, k = coords.shape
        if k != len(self.sizes):
            raise ValueError(f'coords have {k} axes, the map has '
                             f'{len(self.sizes)}')
        index, weight = interpolation_corners(coords, self.sizes, mode)
        if point_weights is not None:
            weight = weight * point_weights[..., None]
        index = index + (batch_inds * self.numel).view(n, 1, 1, 1)
        index = index.reshape(n * groups, -1)
        weight = weight.reshape(n * groups, -1)
        out = weighted_gather(self.values, index, weight)
        return (out.view(n, groups, self.channels),
                weight.sum(-1).view(n, groups))


def project_heads(pooled: Tensor, inside_weight: Tensor,
                  value_proj: nn.Linear) -> Tensor:
    """Per-head value projection applied after the weighted sampling.

    Args:
        pooled: ``[N, H, C]``, head ``h``'s attention-weighted sum of raw
            (unprojected) sampled features.
        inside_weight: ``[N, H]``, ``sum_p a_p z(p)`` (see module doc).
        value_proj: the ``Linear(C, D)`` a deformable attention applies to
            its value map; head ``h`` owns output rows ``h*D/H:(h+1)*D/H``.

    Returns:
        ``[N, D]`` = concat over heads of ``W_h pooled_h + b_h inside_h``.
    """
    n, heads, channels = pooled.shape
    out_dims = value_proj.out_features
    weight = value_proj.weight.view(heads, out_dims // heads, channels)
    out = torch.einsum('nhc,hdc->nhd', pooled, weight)
    if value_proj.bias is not None:
        bias = value_proj.bias.view(heads, out_dims // heads)
        out = out + inside_weight[..., None] * bias
    return out.reshape(n, out_dims)
