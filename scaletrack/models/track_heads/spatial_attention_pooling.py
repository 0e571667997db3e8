"""Spatial attention pooling of a box (Sec. 3.4.2, Eq. 4-6).

* Eq. 4: ``f_RoI = RoIAlign(M_L, b)`` on the final-level encoder map
  (``layers.roi_align_cells``: mmcv's ``RoIAlign(aligned=True)`` with a
  fixed number of samples per bin).
* Adaptive sampling: a small MLP on the RoI cells predicts K 2D offsets;
  ``tanh`` bounds them to [-1, 1] in the RoI frame (-1/+1 = the box
  edges), so every point lies inside its box; bilinear sampling of ``M_L``
  there gives ``f_sampled`` (K vectors, concatenated).
* Eq. 5: ``f_att = sum_kl f_kl * softmax_kl(MLP(f_kl))`` over the RoI cells.
* Eq. 6: ``f_spatial = Linear([f_att, f_sampled])`` (+ LayerNorm).
"""
import math
from typing import Tuple

import torch
from torch import Tensor, nn

from ..layers import FlatFeatureMap, pixel_to_index, roi_align_cells

__all__ = ['SpatialAttentionPooling']


class SpatialAttentionPooling(nn.Module):
    """Eq. 4-6: RoIAlign + K deformable points + attention pooling + fusion.

    Args:
        embed_dims: D of the encoder maps and of the output.
        num_points: K sampled points per box. 9: they start on a 3x3 grid at
            half the box extent (-0.5, 0, 0.5), covering centre and the
            eight compass sub-regions.
        roi_size: RoIAlign output size, 7 as in mmdet's RoI heads.
        sampling_ratio: RoIAlign samples per bin and axis, fixed at 2 so
            the cost does not grow with the box size.
        offset_channels: per-cell width of the offset MLP (a 1x1 conv);
            32 keeps it small: ``D -> 32`` per cell, ``32*49 -> 2K``.
        attn_hidden: hidden width of the Eq. 5 MLP.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_points: int = 9,
                 roi_size: int = 7,
                 sampling_ratio: int = 2,
                 offset_channels: int = 32,
                 attn_hidden: int = 64) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        self.num_points = num_points
        self.roi_size = roi_size
        self.sampling_ratio = sampling_ratio
        self.offset_head = nn.Sequential(
            nn.Linear(embed_dims, offset_channels),  # 1x1 conv on cells
            nn.ReLU(inplace=True),
            nn.Flatten(1),
            nn.Linear(offset_channels * roi_size * roi_size, 2 * num_points))
        self.attn_mlp = nn.Sequential(
            nn.Linear(embed_dims, attn_hidden), nn.ReLU(inplace=True),
            nn.Linear(attn_hidden, 1))
        self.fuse = nn.Linear((1 + num_points) * embed_dims, embed_dims)
        self.norm = nn.LayerNorm(embed_dims)
        self.init_weights()

    def init_weights(self) -> None:
        """Offset head starts at a fixed point layout (zero weights)."""
        last = self.offset_head[-1]
        nn.init.zeros_(last.weight)
        with torch.no_grad():
            last.bias.copy_(torch.atanh(self.initial_layout()).flatten())
        nn.init.xavier_uniform_(self.fuse.weight)
        nn.init.zeros_(self.fuse.bias)

    def initial_layout(self) -> Tensor:
        """``[K, 2]`` start positions in the RoI frame, inside (-1, 1)."""
        k = self.num_points
        side = int(round(math.sqrt(k)))
        if side * side == k:
            ticks = torch.linspace(-0.5, 0.5, side) if side > 1 \
                else torch.zeros(1)
            yy, xx = torch.meshgrid(ticks, ticks, indexing='ij')
            return torch.stack([xx.flatten(), yy.flatten()], -1)
        angles = torch.arange(k) * (2 * math.pi / k)
        return 0.5 * torch.stack([angles.cos(), angles.sin()], -1)

    def predict_locations(self, cells: Tensor, rois: Tensor) -> Tensor:
        """Pixel locations ``[N, K, 2]`` (x, y) of the K points.

        ``centre + tanh(offset) * half_size``: strictly inside each box.
        Args: ``cells [N, roi_size**2, D]`` (RoIAlign), ``rois [N, 5]``.
        """
        offsets = torch.tanh(self.offset_head(cells)).view(
            -1, self.num_points, 2)
        lo, hi = rois[:, None, 1:3], rois[:, None, 3:5]
        loc = (lo + hi) * 0.5 + offsets * (hi - lo) * 0.5
        # tanh saturates to exactly +-1 in float: keep rounding in the box
        return torch.minimum(torch.maximum(loc, lo), hi)

    def forward(self,
                flat_map: FlatFeatureMap,
                rois: Tensor,
                batch_inds: Tensor,
                stride: float,
                level: int = -1) -> Tuple[Tensor, Tensor]:
        """Return ``(f_spatial [N, D], locations [N, K, 2])``.

        Args:
            flat_map: encoder maps (channels-last); ``level`` of it is the
                final-level map ``M_L``.
            rois: ``[N, 5]`` (batch index, x1, y1, x2, y2) in pixels.
            batch_inds: ``rois[:, 0]`` as long.
            stride: stride of ``M_L`` w.r.t. the input image.
            level: index of ``M_L`` in ``flat_map`` (default: the last).
        """
        cells = roi_align_cells(flat_map, rois, batch_inds, stride,
                                self.roi_size, self.sampling_ratio,
                                level)  # Eq. 4
        attn = self.attn_mlp(cells).softmax(dim=1)  # Eq. 5 spatial softmax
        f_att = torch.bmm(attn.transpose(1, 2), cells).squeeze(1)
        locations = self.predict_locations(cells, rois)
        coords = pixel_to_index(locations, stride)[:, :, None]  # [N,K,1,2]
        f_sampled, _ = flat_map.sample(coords, batch_inds, level=level)
        fused = self.fuse(torch.cat([f_att, f_sampled.flatten(1)], 1))
        return self.norm(fused), locations  # Eq. 6
