"""One layer of ScaleTrack's spatio-temporal decoder (Sec. 3.4.2, Eq. 7-9).

Post-norm layer in Deformable DETR's style, one query per box, no
self-attention between boxes (a box's embedding does not depend on which
other boxes were detected):

1. temporal fusion (Eq. 7):  ``x = LN(x + Drop(Temporal(x, F_temp)))``
2. modulation (Eq. 8):       ``x = 1/N_h sum_h sigmoid(W_h x) * x``
3. cross attention (Eq. 9):  ``x = LN(x + Drop(CA(x, M)))``
4. FFN:                      ``x = LN(x + FFN(x))``
5. output (if supervised):   ``e = normalize(Linear(x))``
"""
from typing import Optional, Sequence, Tuple

import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import FFN
from torch import Tensor, nn

from ..layers import BoxDeformableCrossAttention, FlatFeatureMap
from .proposal_modulation import ProposalModulation
from .temporal_deformable_fusion import TemporalDeformableFusion

__all__ = ['ScaleTrackDecoderLayer']


class ScaleTrackDecoderLayer(nn.Module):
    """Decoder layer; a disabled part has no parameters.

    Args:
        embed_dims, num_heads, num_points, num_levels: attention sizes.
        feedforward_channels: FFN width (1024, as the encoder).
        dropout: dropout after each attention and inside the FFN.
        with_temporal, with_modulation, with_cross_attn: Table 7 switches.
        temporal_spatial_range: see ``TemporalDeformableFusion``.
        out_channels: width of the output embedding; ``None`` = this layer's
            output is not supervised and gets no projection.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 num_points: int = 4,
                 num_levels: int = 4,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.1,
                 with_temporal: bool = True,
                 with_modulation: bool = True,
                 with_cross_attn: bool = True,
                 temporal_spatial_range: float = 2.0,
                 out_channels: Optional[int] = 256) -> None:
        super().__init__()
        self.temporal = TemporalDeformableFusion(
            embed_dims, num_heads, num_points,
            temporal_spatial_range) if with_temporal else None
        self.temporal_norm = nn.LayerNorm(embed_dims) if with_temporal \
            else None
        self.modulation = ProposalModulation(embed_dims, num_heads) \
            if with_modulation else None
        self.cross_attn = BoxDeformableCrossAttention(
            embed_dims, num_heads, num_levels, num_points) \
            if with_cross_attn else None
        self.cross_norm = nn.LayerNorm(embed_dims) if with_cross_attn \
            else None
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=dropout,
            act_cfg=dict(type='ReLU', inplace=True))
        self.ffn_norm = nn.LayerNorm(embed_dims)
        self.dropout = nn.Dropout(dropout)
        self.output_proj = nn.Linear(embed_dims, out_channels) \
            if out_channels else None

    def forward(
        self, x: Tensor, rois: Tensor, batch_inds: Tensor,
        memory: FlatFeatureMap, strides: Sequence[float],
        temporal_map: Optional[FlatFeatureMap]
    ) -> Tuple[Tensor, Optional[Tensor]]:
        """Return ``(x [N, D], L2-normalised embedding [N, E] or None)``.

        Args:
            x: box queries ``[N, D]``.
            rois, batch_inds: boxes ``[N, 5]`` and their batch column.
            memory: current-frame encoder maps (Eq. 9 memory ``M``).
            strides: stride of every level.
            temporal_map: ``F_temp`` (Eq. 7), needed if temporal fusion is on.
        """
        if self.temporal is not None:
            x = self.temporal_norm(x + self.dropout(
                self.temporal(x, rois, batch_inds, temporal_map, strides[-1])))
        if self.modulation is not None:
            x = self.modulation(x)
        if self.cross_attn is not None:
            x = self.cross_norm(x + self.dropout(
                self.cross_attn(x, rois, batch_inds, memory, strides)))
        x = self.ffn_norm(self.ffn(x))
        if self.output_proj is None:
            return x, None
        return x, F.normalize(self.output_proj(x), p=2, dim=-1)
