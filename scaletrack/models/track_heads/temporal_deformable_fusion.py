"""Temporal context fusion by 3D deformable sampling (Sec. 3.4.2, Eq. 7).

``f_fused = SpatiotemporalFusion(f_spatial, F_temp)`` with ``F_temp [B, D,
T, h, w]`` the final-level encoder maps of the last T frames, oldest first,
the current frame last. A linear head predicts, per attention head ``h``
and point ``p``, a 3D offset ``(dt, dx, dy)`` and a weight:

* ``dt``: ``u = (tanh(o_t) + 1) / 2`` in (0, 1) is how far into the past
  the point looks; its frame coordinate is ``(T - 1) * (1 - u)`` in
  ``[0, T - 1]`` (``T - 1`` = the current frame). Points therefore only
  ever reach past and current frames, never a later one.
* ``dx, dy``: ``centre + tanh(o_xy) * spatial_range * half_box_size``.
* weights: softmax over the P points of each head.

Trilinear sampling over (t, y, x) (``grid_sample``'s rule, zero padding)
and the weighted sum give each head's value; the value projection is
applied after the sum (exact, see ``layers.point_sampling``), then the
output projection.
"""
import math
from typing import Tuple

import torch
from torch import Tensor, nn

from ..layers import FlatFeatureMap, pixel_to_index, project_heads

__all__ = ['TemporalDeformableFusion']


class TemporalDeformableFusion(nn.Module):
    """Eq. 7: per-box 3D deformable attention over the temporal buffer.

    Args:
        embed_dims: D.
        num_heads: H attention heads (8, as the other attentions).
        num_points: P points per head (4, Appendix A).
        spatial_range: spatial reach in half box sizes. 2.0 lets a point
            reach one box size beyond the box centre in each direction, room
            for the object's motion over the window.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 num_points: int = 4,
                 spatial_range: float = 2.0) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'TemporalDeformableFusion: embed_dims '
                             f'{embed_dims} not divisible by num_heads '
                             f'{num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.num_points = num_points
        self.spatial_range = spatial_range
        self.sampling_offsets = nn.Linear(embed_dims,
                                          num_heads * num_points * 3)
        self.attention_weights = nn.Linear(embed_dims, num_heads * num_points)
        self.value_proj = nn.Linear(embed_dims, embed_dims)
        self.output_proj = nn.Linear(embed_dims, embed_dims)
        self.init_weights()

    def init_weights(self) -> None:
        """Points start spread over the window and around the box.

        Head ``h`` looks in direction ``2 pi h / H``; point ``p`` starts at
        ``(p + 1) / (P + 1)`` of the spatial reach and at the fraction
        ``(p + 0.5) / P`` of the window into the past. Zero weights keep
        that layout until training moves it (as mmcv's deformable init).
        """
        heads, points = self.num_heads, self.num_points
        nn.init.zeros_(self.sampling_offsets.weight)
        theta = torch.arange(heads) * (2 * math.pi / heads)
        direction = torch.stack([theta.cos(), theta.sin()], -1)  # [H, 2]
        radius = (torch.arange(points) + 1.0) / (points + 1)  # [P]
        xy = direction[:, None] * radius[None, :, None]  # [H, P, 2]
        past = (torch.arange(points) + 0.5) / points  # u in (0, 1)
        t = (2 * past - 1)[None, :, None].expand(heads, points, 1)
        bias = torch.atanh(torch.cat([t, xy], -1))  # (t, x, y) order
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(bias.flatten())
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for lin in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def predict_locations(self, query: Tensor, rois: Tensor,
                          num_frames: int) -> Tuple[Tensor, Tensor]:
        """Sampling locations of every head and point.

        Returns:
            ``t [N, H, P]`` frame coordinates in ``[0, T-1]`` (``T-1`` =
            current frame) and ``xy [N, H, P, 2]`` pixel coordinates.
        """
        n = query.shape[0]
        off = torch.tanh(self.sampling_offsets(query)).view(
            n, self.num_heads, self.num_points, 3)
        past = (off[..., 0] + 1) * 0.5  # fraction of the window back in time
        t = ((num_frames - 1) * (1 - past)).clamp(0, num_frames - 1)
        boxes = rois[:, 1:]
        centre = ((boxes[:, :2] + boxes[:, 2:]) * 0.5)[:, None, None]
        half = ((boxes[:, 2:] - boxes[:, :2]) * 0.5)[:, None, None]
        xy = centre + off[..., 1:] * self.spatial_range * half
        return t, xy

    def forward(self, query: Tensor, rois: Tensor, batch_inds: Tensor,
                temporal_map: FlatFeatureMap, stride: float) -> Tensor:
        """Eq. 7 attention output ``[N, D]`` (before residual and norm).

        Args:
            query: ``f_spatial`` (or the previous layer's output) ``[N, D]``.
            rois: ``[N, 5]`` boxes of the current frame in pixels.
            batch_inds: ``rois[:, 0]`` as long.
            temporal_map: ``F_temp [B, D, T, h, w]`` (channels-last), the
                current frame last.
            stride: stride of the maps w.r.t. the input image.
        """
        n = query.shape[0]
        frames = temporal_map.spatial[0]
        t, xy = self.predict_locations(query, rois, frames)
        coords = torch.cat([pixel_to_index(xy, stride), t[..., None]], -1)
        weights = self.attention_weights(query).view(
            n, self.num_heads, self.num_points).softmax(-1)
        # trilinear sampling + weighted sum per head: [N, H, D], [N, H]
        pooled, inside = temporal_map.sample(coords, batch_inds, weights)
        values = project_heads(pooled, inside, self.value_proj)
        return self.output_proj(values)
