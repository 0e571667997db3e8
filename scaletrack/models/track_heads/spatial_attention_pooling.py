"""Spatial attention pooling of a box (Sec. 3.4.2, Eq. 4-6).

* Eq. 4: ``f_RoI = RoIAlign(M_L, b)`` on the final-level encoder map.
* Adaptive sampling: a small conv/MLP head predicts K 2D offsets from
  ``f_RoI``; ``tanh`` bounds them to [-1, 1] in the RoI frame (-1/+1 = the
  box edges), so every point lies inside its box; bilinear ``grid_sample``
  of ``M_L`` there gives ``f_sampled`` (K vectors, concatenated).
* Eq. 5: ``f_att = sum_kl f_kl * softmax_kl(MLP(f_kl))`` over the RoI cells.
* Eq. 6: ``f_spatial = Linear([f_att, f_sampled])`` (+ LayerNorm).
"""
import math
from typing import Tuple

import torch
from mmcv.ops import roi_align
from torch import Tensor, nn

from .point_sampling import pixel_to_grid, roi_batch_indices, sample_points

__all__ = ['SpatialAttentionPooling', 'roi_features']


def roi_features(feat_map: Tensor, rois: Tensor, stride: float,
                 roi_size: int, sampling_ratio: int) -> Tensor:
    """Eq. 4: mmcv RoIAlign (``aligned=True``) -> ``[N, C, s, s]``."""
    return roi_align(feat_map, rois, (roi_size, roi_size), 1.0 / stride,
                     sampling_ratio, 'avg', True)


class SpatialAttentionPooling(nn.Module):
    """Eq. 4-6: RoIAlign + K deformable points + attention pooling + fusion.

    Args:
        embed_dims: D of the encoder maps and of the output.
        num_points: K sampled points per box. 9: they start on a 3x3 grid at
            half the box extent (-0.5, 0, 0.5), covering centre and the
            eight compass sub-regions.
        roi_size: RoIAlign output size, 7 as in mmdet's RoI heads.
        sampling_ratio: RoIAlign samples per bin, fixed at 2 so the cost does
            not grow with the box size (mmdet's RoI heads use 0 = adaptive).
        offset_channels: width of the 1x1 conv of the offset head (32 keeps
            the head small: 32*49 -> 2K linear).
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
            nn.Conv2d(embed_dims, offset_channels, 1),
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

    def predict_locations(self, roi_feats: Tensor, rois: Tensor) -> Tensor:
        """Pixel locations ``[N, K, 2]`` (x, y) of the K points.

        ``centre + tanh(offset) * half_size``: strictly inside each box.
        """
        offsets = torch.tanh(self.offset_head(roi_feats)).view(
            -1, self.num_points, 2)
        boxes = rois[:, 1:]
        centre = (boxes[:, :2] + boxes[:, 2:]) * 0.5
        half = (boxes[:, 2:] - boxes[:, :2]) * 0.5
        return centre[:, None] + offsets * half[:, None]

    def forward(self, feat_map: Tensor, rois: Tensor,
                stride: float) -> Tuple[Tensor, Tensor]:
        """Return ``(f_spatial [N, D], locations [N, K, 2])``.

        Args:
            feat_map: final-level encoder map ``M_L`` ``[B, D, h, w]``.
            rois: ``[N, 5]`` (batch index, x1, y1, x2, y2) in pixels.
            stride: stride of ``feat_map`` w.r.t. the input image.
        """
        batch_inds = roi_batch_indices(rois, feat_map.shape[0])
        f_roi = roi_features(feat_map, rois, stride, self.roi_size,
                             self.sampling_ratio)  # Eq. 4
        n = f_roi.shape[0]
        cells = f_roi.flatten(2).transpose(1, 2)  # [N, s*s, D]
        attn = self.attn_mlp(cells).softmax(dim=1)  # Eq. 5 spatial softmax
        f_att = (cells * attn).sum(dim=1)
        locations = self.predict_locations(f_roi, rois)
        h, w = feat_map.shape[-2:]
        grid = torch.stack([
            pixel_to_grid(locations[..., 0], stride, w),
            pixel_to_grid(locations[..., 1], stride, h)
        ], -1)
        f_sampled, _ = sample_points(feat_map, grid, batch_inds)
        fused = self.fuse(torch.cat([f_att, f_sampled.reshape(n, -1)], 1))
        return self.norm(fused), locations  # Eq. 6
