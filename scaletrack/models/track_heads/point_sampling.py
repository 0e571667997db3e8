"""Sampling feature maps at per-box points (the shared step of Eq. 4-9).

Coordinates follow mmcv's ``RoIAlign(aligned=True)`` and
``F.grid_sample(align_corners=False)``: an input-image pixel coordinate
``x`` lies at ``x / stride`` on the feature map, whose cell ``i`` covers
``[i, i + 1)``; the normalised grid coordinate is therefore
``2 * x / (stride * w) - 1``.

Project-after-sampling. A deformable attention head ``h`` computes
``sum_p a_p (W_h v(p) + b_h)`` where ``v(p)`` is the bilinearly sampled map.
Sampling and weighting are linear, so this equals ``W_h (sum_p a_p v(p)) +
b_h sum_p a_p z(p)`` with ``z(p)`` the sampled all-ones map (the part of a
point inside the map under zero padding). :func:`project_heads` applies the
value projection that way: to a few per-box vectors instead of to every
location of every map, which is what makes the per-box decoder cheap.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['pixel_to_grid', 'sample_points', 'project_heads',
           'roi_batch_indices']


def pixel_to_grid(coords: Tensor, stride: float, size: int) -> Tensor:
    """Image-pixel coordinates -> ``grid_sample`` coordinates in [-1, 1]."""
    return coords * (2.0 / (stride * size)) - 1.0


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


def sample_points(maps: Tensor,
                  grid: Tensor,
                  batch_inds: Tensor,
                  with_inside: bool = False
                  ) -> Tuple[Tensor, Optional[Tensor]]:
    """Bilinear (4D maps) or trilinear (5D maps) sampling at per-box points.

    Args:
        maps: ``[B, C, h, w]`` or ``[B, C, T, h, w]``.
        grid: ``[N, M, 2]`` (x, y) or ``[N, M, 3]`` (x, y, t) normalised
            coordinates (``align_corners=False``, zero padding).
        batch_inds: ``[N]`` image of each box.
        with_inside: also return the sampled all-ones map ``[N, M]``.

    Returns:
        ``([N, M, C], [N, M] or None)``.
    """
    n, m, _ = grid.shape
    channels = maps.shape[1]
    if n == 0:
        inside = grid.new_zeros(0, m) if with_inside else None
        return maps.new_zeros(0, m, channels), inside
    volumetric = maps.dim() == 5
    images = torch.unique(batch_inds).tolist()
    feats, insides, order = [], [], []
    ones = maps.new_ones((1, 1) + tuple(maps.shape[2:])) if with_inside \
        else None
    for b in images:
        sel = torch.nonzero(batch_inds == b, as_tuple=True)[0] \
            if len(images) > 1 else torch.arange(n, device=grid.device)
        g = grid[sel][None]  # [1, n_b, M, k]
        if volumetric:
            g = g[:, None]  # [1, 1, n_b, M, 3]
        sampled = F.grid_sample(maps[b:b + 1], g, mode='bilinear',
                                padding_mode='zeros', align_corners=False)
        # [1, C, (1,) n_b, M] -> [n_b, M, C]
        feats.append(sampled.reshape(channels, len(sel), m).permute(1, 2, 0))
        if with_inside:
            z = F.grid_sample(ones, g, mode='bilinear', padding_mode='zeros',
                              align_corners=False)
            insides.append(z.reshape(len(sel), m))
        order.append(sel)
    if len(images) == 1:
        return feats[0], (insides[0] if with_inside else None)
    inverse = torch.argsort(torch.cat(order))
    out = torch.cat(feats)[inverse]
    inside = torch.cat(insides)[inverse] if with_inside else None
    return out, inside


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
