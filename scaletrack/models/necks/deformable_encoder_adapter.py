"""Deformable transformer encoder as a feature adapter (Sec. 3.4.1, Eq. 3).

Every backbone level is projected to ``embed_dims`` channels (a 1x1 conv +
GroupNorm, Deformable DETR's ``input_proj``, here mmdet's ``ChannelMapper``)
and then encoded *on its own* by a small deformable transformer encoder
(mmdet's ``DeformableDetrTransformerEncoder`` with ``num_levels=1``; its
attention samples by gathers on CPU, see ``gather_deformable_encoder``):
``M_l = Encoder_l(F_l)``. The concatenation ``M = Concat_l M_l`` of Eq. 3 is
the flattened tuple, see :meth:`DeformableEncoderAdapter.flatten`.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmcv.ops import MultiScaleDeformableAttention
from mmdet.models.layers import SinePositionalEncoding
from mmdet.models.necks import ChannelMapper
from mmdet.registry import MODELS
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from .gather_deformable_encoder import GatherDeformableEncoder

__all__ = ['DeformableEncoderAdapter']


@MODELS.register_module()
class DeformableEncoderAdapter(BaseModule):
    """Per-level projection + per-level deformable encoder (Eq. 3).

    ``forward(feats: tuple of [B, C_l, h_l, w_l]) -> tuple of [B, D, h_l,
    w_l]``
    (``D = embed_dims``), one map per input level plus ``num_extra_levels``
    maps made by stride-2 3x3 convs on the last input (Deformable DETR's
    extra level for ResNet: C3-C5 + one stride-64 level).

    Defaults are Appendix A's "2-layer deformable transformer encoder" with
    Deformable DETR's layer sizes: 8 heads, 4 sampling points, a 1024-wide
    ReLU FFN, dropout 0.1, 32-group GroupNorm after the projection and the
    normalised sine positional encoding (offset -0.5).

    Args:
        in_channels: channels of each backbone level.
        embed_dims: D, the transformer width (256, Sec. 4 / Appendix A).
        num_extra_levels: extra stride-2 levels appended after the inputs.
        num_layers: encoder layers per level.
        num_heads, num_points, feedforward_channels, dropout: encoder layer
            sizes.
        num_groups: GroupNorm groups of the projection.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 embed_dims: int = 256,
                 num_extra_levels: int = 0,
                 num_layers: int = 2,
                 num_heads: int = 8,
                 num_points: int = 4,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.1,
                 num_groups: int = 32,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int) or len(in_channels) == 0:
            raise ValueError('DeformableEncoderAdapter: in_channels must be a '
                             f'non-empty list of ints, got {in_channels!r}')
        if embed_dims % num_groups or embed_dims % num_heads:
            raise ValueError(f'DeformableEncoderAdapter: embed_dims '
                             f'{embed_dims} must be divisible by num_groups '
                             f'{num_groups} and num_heads {num_heads}')
        self.in_channels = list(in_channels)
        self.embed_dims = embed_dims
        self.num_levels = len(self.in_channels) + num_extra_levels
        self.input_proj = ChannelMapper(
            in_channels=self.in_channels,
            out_channels=embed_dims,
            kernel_size=1,
            norm_cfg=dict(type='GN', num_groups=num_groups),
            act_cfg=None,
            num_outs=self.num_levels)
        layer_cfg = dict(
            self_attn_cfg=dict(
                embed_dims=embed_dims,
                num_heads=num_heads,
                num_levels=1,
                num_points=num_points,
                dropout=dropout,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims=embed_dims,
                feedforward_channels=feedforward_channels,
                ffn_drop=dropout,
                act_cfg=dict(type='ReLU', inplace=True)))
        self.encoders = ModuleList([
            GatherDeformableEncoder(
                num_layers=num_layers, layer_cfg=layer_cfg)
            for _ in range(self.num_levels)
        ])
        # num_feats = D / 2 per axis: the x and y halves make D channels
        self.positional_encoding = SinePositionalEncoding(
            num_feats=embed_dims // 2, normalize=True, offset=-0.5)
        # the encoding depends only on (h, w): computed once per map size
        self._pos_cache = {}

    def init_weights(self) -> None:
        """Xavier for the encoders' matrices, then mmcv's deformable init."""
        super().init_weights()
        for encoder in self.encoders:
            for p in encoder.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
            for m in encoder.modules():
                if isinstance(m, MultiScaleDeformableAttention):
                    m.init_weights()

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Project and encode every level independently (Eq. 3)."""
        if len(feats) != len(self.in_channels):
            raise ValueError(
                f'DeformableEncoderAdapter got {len(feats)} levels but was '
                f'built for {len(self.in_channels)} (in_channels='
                f'{self.in_channels}); set the neck in_channels to match the '
                'backbone out_indices')
        for lvl, (f, c) in enumerate(zip(feats, self.in_channels)):
            if f.dim() != 4 or f.shape[1] != c:
                raise ValueError(f'DeformableEncoderAdapter: level {lvl} '
                                 f'should be [B, {c}, h, w], got '
                                 f'{tuple(f.shape)}')
        projected = self.input_proj(tuple(feats))
        return tuple(
            self._encode_level(x, enc)
            for x, enc in zip(projected, self.encoders))

    def _encode_level(self, x: Tensor, encoder: nn.Module) -> Tensor:
        batch, dims, h, w = x.shape
        query = x.flatten(2).transpose(1, 2)  # [B, hw, D]
        pos = self._positions(x).expand(batch, -1, -1)
        memory = encoder(
            query=query,
            query_pos=pos,
            key_padding_mask=None,
            spatial_shapes=torch.tensor([[h, w]], device=x.device),
            level_start_index=torch.zeros(
                1, dtype=torch.long, device=x.device),
            valid_ratios=x.new_ones(batch, 1, 2))
        return memory.transpose(1, 2).reshape(batch, dims, h, w)

    def _positions(self, x: Tensor) -> Tensor:
        """Sine encoding ``[1, h*w, D]`` of an unpadded ``h x w`` map."""
        key = (tuple(x.shape[-2:]), x.device, x.dtype)
        if key not in self._pos_cache:
            # a plain constant, also when first built in inference mode
            with torch.inference_mode(False), torch.no_grad():
                probe = torch.empty(
                    (1, 1) + tuple(x.shape[-2:]), device=x.device)
                pos = self.positional_encoding(None, input=probe)
            self._pos_cache[key] = pos.flatten(2).transpose(1, 2).to(x.dtype)
        return self._pos_cache[key]

    @staticmethod
    def flatten(feats: Sequence[Tensor]) -> Tensor:
        """Eq. 3: ``M = Concat_l M_l`` -> ``[B, S, D]``, ``S = sum h_l w_l``.
        """
        return torch.cat([f.flatten(2).transpose(1, 2) for f in feats], dim=1)

    @staticmethod
    def spatial_shapes(feats: Sequence[Tensor]) -> List[Tuple[int, int]]:
        """``(h_l, w_l)`` of every level, in the order of :meth:`flatten`."""
        return [tuple(f.shape[-2:]) for f in feats]
