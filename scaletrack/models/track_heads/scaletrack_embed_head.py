"""ScaleTrack's embedding head: the spatio-temporal decoder (Sec. 3.4.2).

``head(feats, rois, temporal_feats=None) -> list of [N, E]`` (see
docs/architecture.md); as mmdet's ``QuasiDenseTrackHead``, the head owns
its training loss (:meth:`ScaleTrackEmbedHead.loss`: box assembly, pseudo-
negative proposals, one loss per decoder layer) and its inference
(:meth:`ScaleTrackEmbedHead.predict`: the tracking embedding). The box
query is made once by spatial attention pooling on the final encoder level
(Eq. 4-6); every decoder layer then applies temporal fusion (Eq. 7),
modulation (Eq. 8), multi-scale cross attention (Eq. 9) and an FFN, and --
for the supervised layers -- projects and L2-normalises the result
(intermediate supervision, Table 12).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi, get_box_tensor
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import FlatFeatureMap, roi_align_cells, roi_batch_indices
from ..losses import multi_layer_loss
from ..utils.pseudo_negatives import (PSEUDO_NEGATIVE_IOU_THR,
                                      filter_pseudo_negatives)
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
        loss_track: the clip contrastive loss (chain, pairwise, broken
            chain or global; one interface, docs/losses.md). Chain loss at
            temperature 0.1 (Sec. 4).
        layer_loss_weights: weight of the loss on each returned layer's
            embedding (intermediate supervision, Table 12). ``None`` weighs
            every layer 1.0; ``(0., 1.)`` supervises only the last of two.
        proposal_iou_thr: pseudo-negative proposals with IoU >= this to a
            ground-truth box of the same frame are discarded (Sec. 3.3,
            Table 13: 0.5).
        max_proposals_per_frame: cap on the pseudo-negatives embedded per
            frame (memory bound; 100 matches the detections cap). 0 embeds
            none (the no-pseudo-negatives ablation).
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
                 loss_track: dict = dict(
                     type='ChainContrastiveLoss', temperature=0.1),
                 layer_loss_weights: Optional[Sequence[float]] = None,
                 proposal_iou_thr: float = PSEUDO_NEGATIVE_IOU_THR,
                 max_proposals_per_frame: int = 100,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        self.loss_track = MODELS.build(loss_track)
        self.layer_loss_weights = None if layer_loss_weights is None \
            else tuple(float(w) for w in layer_loss_weights)
        self.proposal_iou_thr = proposal_iou_thr
        self.max_proposals_per_frame = max_proposals_per_frame
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
                out_channels=out_channels if i in self.return_layers else None)
            for i in range(num_layers)
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
            ok = (
                temporal_feats.dim() == 5
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
            return [
                feats[-1].new_zeros(0, self.out_channels)
                for _ in self.return_layers
            ]
        batch_inds = rois[:, 0].long()
        stride = self.featmap_strides[-1]
        # channels-last copy of the memory M (Eq. 3), made once and sampled
        # by every part and layer (only M_L without cross attention)
        memory = FlatFeatureMap(feats if self.with_cross_attn else feats[-1:])
        last = memory.num_levels - 1
        pool = self.spatial_pool_cfg
        if self.spatial_pool is not None:
            x, _ = self.spatial_pool(
                memory, rois, batch_inds, stride, level=last)
        else:
            x = roi_align_cells(
                memory,
                rois,
                batch_inds,
                stride,
                pool['roi_size'],
                pool['sampling_ratio'],
                level=last).mean(1)
        temporal_map = None
        if self.with_temporal:
            temporal_map = FlatFeatureMap(feats[-1].unsqueeze(
                2) if temporal_feats is None else temporal_feats)
        embeds = []
        for layer in self.layers:
            x, embed = layer(x, rois, batch_inds, memory, self.featmap_strides,
                             temporal_map)
            if embed is not None:
                embeds.append(embed)
        return embeds

    def predict(self,
                feats: Sequence[Tensor],
                bboxes: List[Tensor],
                temporal_feats: Optional[Tensor] = None) -> Tensor:
        """The tracking embedding (last layer) of each box, ``[N, E]``.

        As mmdet's ``QuasiDenseTrackHead.predict``: ``bboxes`` holds one
        ``[N_i, 4]`` tensor per image of ``feats``, in the pixels of the
        head's input (the caller rescales); rows follow the boxes in order.
        """
        return self(feats, bbox2roi(bboxes), temporal_feats)[-1]

    def loss(
        self,
        feats: Sequence[Tensor],
        data_samples: Sequence[DetDataSample],
        temporal_feats: Optional[Tensor] = None,
        box_scale: Tuple[float, float] = (1.0, 1.0)
    ) -> Dict[str, Tensor]:
        """Contrastive loss of one clip on every returned layer (Eq. 1-2).

        Args:
            feats: neck maps of the clip's T frames, ``[T, D, h_l, w_l]``.
            data_samples: the T frames in time order, with
                ``gt_instances`` (``bboxes``, ``instances_ids``) and
                optionally ``proposals`` (pseudo-negatives, Sec. 3.3).
            temporal_feats: ``[T, D, T_w, h_L, w_L]`` windows of the clip
                (``clip_temporal_windows``), or ``None``.
            box_scale: ``(sx, sy)`` from the frames' pixels to the head's
                input (``ScaleTrack.track_img_size``).

        Returns:
            ``loss_track`` (the last layer, the tracking embedding) and
            ``d{l}.loss_track`` for earlier supervised layers; a layer of
            weight 0 has no key.
        """
        sx, sy = box_scale
        boxes, ids, n_gt = [], [], []
        for ds in data_samples:
            gt_boxes = get_box_tensor(ds.gt_instances.bboxes).to(
                device=feats[0].device, dtype=torch.float32)
            ids.append(
                ds.gt_instances.instances_ids.to(gt_boxes.device).long())
            props = self._frame_proposals(ds, gt_boxes)
            boxes.append(
                torch.cat([gt_boxes, props]) *
                gt_boxes.new_tensor([sx, sy, sx, sy]))
            n_gt.append(gt_boxes.size(0))
        layer_embeds = self(feats, bbox2roi(boxes), temporal_feats)
        # per layer, per frame: ground-truth rows first, proposals after
        gt_per_layer, prop_per_layer = [], []
        for emb in layer_embeds:
            chunks = emb.split([b.size(0) for b in boxes])
            gt_per_layer.append([c[:n] for c, n in zip(chunks, n_gt)])
            prop_per_layer.append([c[n:] for c, n in zip(chunks, n_gt)])
        # one loss per decoder layer (intermediate supervision, Table 12)
        layer_losses = multi_layer_loss(self.loss_track, gt_per_layer, ids,
                                        prop_per_layer,
                                        self.layer_loss_weights)
        num_layers = len(layer_embeds)
        losses = {}
        for layer in range(num_layers):
            if self.layer_loss_weights is not None \
                    and self.layer_loss_weights[layer] == 0:
                continue
            name = 'loss_track' if layer == num_layers - 1 \
                else f'd{layer}.loss_track'
            losses[name] = layer_losses[f'loss_track_l{layer}']
        return losses

    def _frame_proposals(self, data_sample: DetDataSample,
                         gt_boxes: Tensor) -> Tensor:
        """Pseudo-negative proposals of one frame, filtered (Sec. 3.3)."""
        if 'proposals' not in data_sample or self.max_proposals_per_frame <= 0:
            return gt_boxes.new_zeros((0, 4))
        props = get_box_tensor(data_sample.proposals.bboxes).to(gt_boxes)
        if props.numel() == 0:
            return gt_boxes.new_zeros((0, 4))
        wh_ok = (props[:, 2] > props[:, 0]) & (props[:, 3] > props[:, 1])
        props = props[wh_ok]
        keep = filter_pseudo_negatives(props, gt_boxes, self.proposal_iou_thr)
        return props[keep][:self.max_proposals_per_frame]
