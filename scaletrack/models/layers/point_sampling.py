"""Gather-based bilinear/trilinear sampling of feature maps (Eq. 4-9).

The gather path of the sampling layers (see ``device_policy``): all
deformable sampling of the decoder and of the adapter's attention on CPU
reduces to "weighted sums of interpolated map vectors". Instead of
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
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    'FlatFeatureMap', 'pixel_to_index', 'interpolation_corners',
    'weighted_gather', 'project_heads', 'roi_batch_indices'
]

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


def _axis_corners(c: Tensor, size: Tensor, mode: str) -> Tuple[Tensor, Tensor]:
    """Linear interpolation along every axis at once.

    Args: ``c [..., k]`` continuous indices, ``size`` an int32 tensor
    broadcastable to ``c``. Returns int32 indices and weights
    ``[..., k, 2]`` (lower and upper corner).
    """
    sizef = size.to(c.dtype)
    last = size - 1
    if mode == 'zeros':
        # keep far-away points finite before the integer cast
        c = torch.minimum(c.clamp(min=-2.0), sizef + 1)
        floor = torch.floor(c)
        frac = c - floor
        # a corner outside [0, size - 1] contributes nothing
        w0 = (1 - frac) * ((floor >= 0) & (floor <= sizef - 1))
        w1 = frac * ((floor >= -1) & (floor <= sizef - 2))
    else:
        # mmcv RoIAlign: zero beyond [-1, size], otherwise clamp into the map
        valid = ((c >= -1.0) & (c <= sizef)).to(c.dtype)
        c = torch.minimum(c.clamp(min=0.0), sizef - 1)
        floor = torch.floor(c)
        w1 = (c - floor) * valid
        w0 = valid - w1
    i0 = floor.int()
    index = torch.stack([
        torch.minimum(i0.clamp(min=0), last),
        torch.minimum((i0 + 1).clamp(min=0), last)
    ], -1)
    return index, torch.stack([w0, w1], -1)


def interpolation_corners(coords: Tensor,
                          sizes: Union[Sequence[int], Tensor],
                          mode: str = 'zeros') -> Tuple[Tensor, Tensor]:
    """Corner indices and weights of (bi/tri)linear interpolation.

    Args:
        coords: ``[..., k]`` continuous indices, axis order ``(x, y[, t])``.
        sizes: ``(w, h[, T])`` in the same order, or an integer tensor
            ``[..., k]`` broadcastable to ``coords`` (e.g. per level).
        mode: ``'zeros'`` or ``'roi_align'`` (see module doc).

    Returns:
        int32 ``index [..., 2**k]`` (row-major linear index ``(t*h + y)*w +
        x`` within one map) and ``weight [..., 2**k]``.
    """
    if mode not in BOUNDARY_MODES:
        raise ValueError(f'mode must be one of {BOUNDARY_MODES}, got {mode}')
    # int32 index arithmetic: half the memory traffic of int64, exact for
    # tables of up to 2**31 rows
    sizes = torch.as_tensor(sizes, device=coords.device).to(torch.int32)
    axis_index, axis_weight = _axis_corners(coords, sizes, mode)
    index, weight = axis_index[..., 0, :], axis_weight[..., 0, :]
    step = sizes[..., 0]
    for axis in range(1, coords.shape[-1]):
        # outer sum / product with the corners found so far
        index = (axis_index[..., axis, :, None] * step[..., None, None] +
                 index[..., None, :]).flatten(-2)
        weight = (axis_weight[..., axis, :, None] *
                  weight[..., None, :]).flatten(-2)
        step = step * sizes[..., axis]
    return index, weight


def weighted_gather(values: Tensor, index: Tensor, weight: Tensor) -> Tensor:
    """``out[m] = sum_j weight[m, j] * values[index[m, j]]`` -> ``[M, C]``."""
    if index.shape[0] == 0:
        return values.new_zeros(0, values.shape[1])
    rows, per_row = index.shape
    # 1-D input with explicit offsets (the 2-D form breaks under jit trace)
    offsets = torch.arange(
        0, rows * per_row, per_row, device=index.device, dtype=index.dtype)
    return F.embedding_bag(
        index.reshape(-1),
        values,
        offsets,
        per_sample_weights=weight.reshape(-1).to(values.dtype),
        mode='sum')


class FlatFeatureMap:
    """Maps ``[B, C, *spatial]`` (one or several levels) stored channels-last
    as one ``[B * S, C]`` table, ``S`` = locations of all levels of an image
    (for several levels: the memory ``M`` of Eq. 3).

    Build it once per forward and sample it many times.
    """

    def __init__(self, maps: Union[Tensor, Sequence[Tensor]]) -> None:
        levels = [maps] if torch.is_tensor(maps) else list(maps)
        first = levels[0]
        if first.dim() not in (4, 5) or any(
                m.shape[:2] != first.shape[:2] or m.dim() != first.dim()
                for m in levels):
            raise ValueError(
                'FlatFeatureMap expects maps [B, C, h, w] or [B, C, T, h, '
                'w] with one B and C, got '
                f'{[tuple(m.shape) for m in levels]}')
        self.batch, self.channels = first.shape[:2]
        # per level (w, h[, T]) and first row within an image
        self.level_sizes = [tuple(reversed(m.shape[2:])) for m in levels]
        numels = [m[0, 0].numel() for m in levels]
        self.level_starts = [sum(numels[:i]) for i in range(len(levels))]
        self.numel = sum(numels)
        device = first.device
        self._sizes = torch.tensor(
            self.level_sizes, device=device, dtype=torch.int32)
        self._starts = torch.tensor(
            self.level_starts, device=device, dtype=torch.int32)
        values = [
            m.movedim(1, -1).reshape(self.batch, -1, self.channels)
            for m in levels
        ]
        values = values[0] if len(values) == 1 else torch.cat(values, 1)
        self.values = values.reshape(-1, self.channels)

    @property
    def num_levels(self) -> int:
        return len(self.level_sizes)

    @property
    def sizes(self) -> Tuple[int, ...]:
        """``(w, h[, T])`` of a single-level map."""
        return self.level_sizes[-1] if self.num_levels == 1 else \
            self.level_sizes

    @property
    def spatial(self) -> Tuple[int, ...]:
        """``(h, w)`` or ``(T, h, w)`` of a single-level map."""
        return tuple(reversed(self.level_sizes[-1]))

    def level_map(self, level: int = -1) -> Tensor:
        """Level ``level`` back as a channels-first ``[B, C, *spatial]``
        view (for mmcv's kernels, which read that layout)."""
        level = range(self.num_levels)[level]
        start = self.level_starts[level]
        spatial = tuple(reversed(self.level_sizes[level]))
        rows = self.values.view(self.batch, self.numel, self.channels)
        numel = math.prod(spatial)
        return rows[:, start:start + numel].reshape((self.batch, ) + spatial +
                                                    (self.channels, )).movedim(
                                                        -1, 1)

    def sample(self,
               coords: Tensor,
               batch_inds: Tensor,
               point_weights: Optional[Tensor] = None,
               mode: str = 'zeros',
               level: Optional[int] = None) -> Tuple[Tensor, Tensor]:
        """Weighted sums of interpolated vectors over groups of points.

        Args:
            coords: ``[N, G, P, k]`` continuous indices ``(x, y[, t])`` on
                level ``level``, or ``[N, G, L, P, k]`` with one slice per
                level when ``level`` is ``None`` (all levels, one gather).
            batch_inds: ``[N]`` image of each row.
            point_weights: ``coords.shape[:-1]`` (``None`` = ones).
            mode: boundary rule, ``'zeros'`` or ``'roi_align'``.
            level: the level sampled; ``None`` for the per-level layout
                (a single-level map may use either).

        Returns:
            ``[N, G, C]`` = ``sum_p w_p v(p)`` and ``[N, G]`` =
            ``sum_p w_p z(p)`` (``z`` = the interpolated all-ones map).
        """
        n, groups = coords.shape[:2]
        k = coords.shape[-1]
        if k != len(self.level_sizes[0]):
            raise ValueError(f'coords have {k} axes, the maps have '
                             f'{len(self.level_sizes[0])}')
        if level is None and self.num_levels == 1 and coords.dim() == 4:
            level = 0
        if level is not None:
            sizes, start = self._sizes[level], self._starts[level]
        else:
            if coords.dim() != 5 or coords.shape[2] != self.num_levels:
                raise ValueError(f'coords must be [N, G, {self.num_levels}, '
                                 f'P, {k}], got {tuple(coords.shape)}')
            sizes = self._sizes[:, None]  # [L, 1, k], broadcast over P
            start = self._starts[:, None, None]  # [L, 1, 1]
        index, weight = interpolation_corners(coords, sizes, mode)
        if point_weights is not None:
            weight = weight * point_weights[..., None]
        offset = (batch_inds * self.numel).to(index.dtype)
        index = index + start + offset.view((n, ) + (1, ) * (index.dim() - 1))
        index = index.reshape(n * groups, -1)
        weight = weight.reshape(n * groups, -1)
        out = weighted_gather(self.values, index, weight)
        return (out.view(n, groups,
                         self.channels), weight.sum(-1).view(n, groups))


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
