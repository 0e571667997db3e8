"""ScaleTrack's embedding head: the spatio-temporal decoder (Sec. 3.4.2).

``head(feats, rois, temporal_feats=None) -> list of [N, E]`` (see
docs/architecture.md). The box query is made once by spatial attention
pooling on the final encoder level (Eq. 4-6); every decoder layer then
applies temporal fusion (Eq. 7), modulation (Eq. 8), multi-scale cross
attention (Eq. 9) and an FFN, and -- for the supervised layers --
projects and L2-normalises the result (intermediate supervision, Table 12).
"""
from typing import List, Optional, Sequence

from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import FlatFeatureMap, roi_align_cells, roi_batch_indices
from .embed_decoder_layer import ScaleTrackDecoderLayer
from .spatial_attention_pooling import SpatialAttentionPooling

__all__ = ['ScaleTrackEmbedHead']


@MODELS.register_module()
class ScaleTrackEmbedHead(BaseModule):
    """Spatio-temporal decoder producing L2-normalised box embeddings.

    Args:
        featmap_strides: stride of every neck level w.r.t. the input; the
            last level is ``M_L`` (RoIAlign, temporal buffer). DINOv2:
            ``(14,) * 4``; R50 + extra level: ``(8, 16, 32, 64)``.
        embed_dims: D (256, Sec. 4).
        out_channels: E, embedding size (256).
        num_layers: decoder layers (2, Appendix A / Table 12).
        num_heads: attention heads and modulation gates (8).
        num_points: points per head in Eq. 7 and per head and level in
            Eq. 9 (4, Appendix A).
        feedforward_channels: FFN width (1024).
        dropout: dropout of attentions and FFN (0.1, Deformable DETR).
        with_spatial_pool: Eq. 4-6; ``False`` = plain RoIAlign average.
        with_temporal / with_modulation / with_cross_attn: Eq. 7 / 8 / 9.
        return_layers: decoder layers whose embeddings are returned (and
            supervised). ``None`` = all (intermediate supervision);
            ``[-1]`` = last only. Must include the last layer, which gives
            the tracking embedding. Unreturned layers have no projection.
        temporal_window: T, the window the caller buffers
            (``scaletrack.models.mot.temporal_buffer``). 5 = half of the
            10-frame training clip, so most frames of a clip see a full
            window; the sampling cost does not depend on T.
        temporal_spatial_range: spatial reach of Eq. 7 in half box sizes.
        spatial_pool_cfg: kwargs of ``SpatialAttentionPooling`` (K=9 points,
            7x7 RoIAlign, 2 samples per bin).
    """

    def __init__(self,
                 featmap_strides: Sequence[float] = (14, 14, 14, 14),
                 embed_dims: int = 256,
                 out_channels: int = 256,
                 num_layers: int = 2,
                 num_heads: int = 8,
                 num_points: int = 4,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.1,
                 with_spatial_pool: bool = True,
                 with_temporal: bool = True,
                 with_modulation: bool = True,
                 with_cross_attn: bool = True,
                 return_layers: Optional[Sequence[int]] = None,
                 temporal_window: int = 5,
                 temporal_spatial_range: float = 2.0,
                 spatial_pool_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        self.featmap_strides = tuple(float(s) for s in featmap_strides)
        self.embed_dims = embed_dims
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.temporal_window = temporal_window
        self.with_temporal = with_temporal
        self.with_cross_attn = with_cross_attn
        if return_layers is None:
            return_layers = range(num_layers)
        layers = sorted({int(i) % num_layers for i in return_layers})
        if not layers or layers[-1] != num_layers - 1:
            raise ValueError(f'return_layers {list(return_layers)} must '
                             f'include the last layer ({num_layers - 1}): '
                             'its embedding is the one used for tracking')
        self.return_layers = tuple(layers)
        self.spatial_pool = SpatialAttentionPooling(
            embed_dims, **(spatial_pool_cfg or {})) \
            if with_spatial_pool else None
        self.spatial_pool_cfg = dict(roi_size=7, sampling_ratio=2)
        self.spatial_pool_cfg.update(spatial_pool_cfg or {})
        self.layers = nn.ModuleList([
            ScaleTrackDecoderLayer(
                embed_dims=embed_dims,
                num_heads=num_heads,
                num_points=num_points,
                num_levels=len(self.featmap_strides),
                feedforward_channels=feedforward_channels,
                dropout=dropout,
                with_temporal=with_temporal,
                with_modulation=with_modulation,
                with_cross_attn=with_cross_attn,
                temporal_spatial_range=temporal_spatial_range,
                out_channels=out_channels if i in self.return_layers
                else None) for i in range(num_layers)
        ])

    def _check_inputs(self, feats: Sequence[Tensor], rois: Tensor,
                      temporal_feats: Optional[Tensor]) -> None:
        if len(feats) != len(self.featmap_strides):
            raise ValueError(
                f'ScaleTrackEmbedHead got {len(feats)} feature levels but '
                f'featmap_strides has {len(self.featmap_strides)} '
                f'({self.featmap_strides}); make them agree in the config')
        for lvl, f in enumerate(feats):
            if f.dim() != 4 or f.shape[1] != self.embed_dims:
                raise ValueError(f'ScaleTrackEmbedHead: level {lvl} must be '
                                 f'[B, {self.embed_dims}, h, w], got '
                                 f'{tuple(f.shape)}')
        roi_batch_indices(rois, feats[0].shape[0])
        if temporal_feats is not None:
            last = feats[-1]
            ok = (temporal_feats.dim() == 5
                  and temporal_feats.shape[:2] == last.shape[:2]
                  and temporal_feats.shape[3:] == last.shape[2:])
            if not ok:
                raise ValueError(
                    'temporal_feats must be [B, D, T, h_L, w_L] = '
                    f'[{last.shape[0]}, {last.shape[1]}, T, '
                    f'{last.shape[2]}, {last.shape[3]}] (final-level maps '
                    f'of the last T frames), got {tuple(temporal_feats.shape)}'
                )

    def forward(self,
                feats: Sequence[Tensor],
                rois: Tensor,
                temporal_feats: Optional[Tensor] = None) -> List[Tensor]:
        """Embeddings of the boxes, one ``[N, E]`` per returned layer.

        Args:
            feats: neck maps of the current frame(s), ``[B, D, h_l, w_l]``.
            rois: ``[N, 5]`` = (batch index, x1, y1, x2, y2), input pixels.
            temporal_feats: ``[B, D, T, h_L, w_L]``, final-level maps of the
                last T frames, current frame last; ``None`` = the current
                final-level map alone (T = 1).
        """
        self._check_inputs(feats, rois, temporal_feats)
        if rois.shape[0] == 0:
            return [feats[-1].new_zeros(0, self.out_channels)
                    for _ in self.return_layers]
        batch_inds = rois[:, 0].long()
        stride = self.featmap_strides[-1]
        # channels-last copy of the memory M (Eq. 3), made once and sampled
        # by every part and layer (only M_L without cross attention)
        memory = FlatFeatureMap(feats if self.with_cross_attn else feats[-1:])
        last = memory.num_levels - 1
        pool = self.spatial_pool_cfg
        if self.spatial_pool is not None:
            x, _ = self.spatial_pool(memory, rois, batch_inds, stride,
                                     level=last)
        else:
            x = roi_align_cells(memory, rois, batch_inds, stride,
                                pool['roi_size'], pool['sampling_ratio'],
                                level=last).mean(1)
        temporal_map = None
        if self.with_temporal:
            temporal_map = FlatFeatureMap(
                feats[-1].unsqueeze(2) if temporal_feats is None else
                temporal_feats)
        embeds = []
        for layer in self.layers:
            x, embed = layer(x, rois, batch_inds, memory,
                             self.featmap_strides, temporal_map)
            if embed is not None:
                embeds.append(embed)
        return embeds
