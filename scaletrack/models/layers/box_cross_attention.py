"""Multi-scale cross attention from box embeddings to the memory (Eq. 9).

``f_final = CA(f_modulated, M)``: mmcv's multi-scale deformable attention
with one query per box and 4-d reference points = the box ``(cx, cy, w,
h)`` normalised by each level's extent, so the points scale with the
object: ``loc = ref_xy + offset / P * ref_wh / 2``.

Built on mmcv, not derived from it: the projections (names, shapes and
initialisation) are those of an mmcv ``MultiScaleDeformableAttention``,
and where :func:`use_mmcv_kernel` says so (CUDA) the sampling is mmcv's
functional core (``MultiScaleDeformableAttnFunction``), run per image with
its boxes as the queries. Otherwise the gather path computes the same
result in another order: the value projection is applied to the few
attention-weighted per-box samples instead of to all ``S`` memory
locations (exact, see ``point_sampling``). For 100 boxes on four 37x37
levels this replaces a ``5476 x 256 x 256`` matmul per layer by a
``100 x 256 x 256`` one.
"""
from typing import Sequence, Tuple

import torch
from mmcv.ops import MultiScaleDeformableAttention, multi_scale_deform_attn
from torch import Tensor, nn

from .device_policy import use_mmcv_kernel
from .point_sampling import FlatFeatureMap, project_heads

__all__ = ['BoxDeformableCrossAttention']


def mmcv_deformable_sampling(value: Tensor, spatial_shapes: Tensor,
                             level_start_index: Tensor, locations: Tensor,
                             weights: Tensor, im2col_step: int) -> Tensor:
    """mmcv's multi-scale deformable sampling (shapes as mmcv's): its CUDA
    kernel for CUDA tensors, its PyTorch implementation otherwise (the
    same dispatch as mmcv's own ``forward``)."""
    if value.is_cuda:
        return multi_scale_deform_attn.MultiScaleDeformableAttnFunction.apply(
            value, spatial_shapes, level_start_index, locations, weights,
            im2col_step)
    return multi_scale_deform_attn.multi_scale_deformable_attn_pytorch(
        value, spatial_shapes, locations, weights)


class BoxDeformableCrossAttention(nn.Module):
    """Eq. 9 cross attention of ``[N, D]`` box queries to ``L`` levels.

    Args:
        embed_dims: D.
        num_heads: 8 (Deformable DETR).
        num_levels: L, number of encoder levels.
        num_points: 4 points per head and level (Appendix A).
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 num_levels: int = 4,
                 num_points: int = 4) -> None:
        super().__init__()
        # mmcv's attention made once for its projections and their
        # initialisation (grid-initialised offsets); they are kept under
        # mmcv's names, so the state dict is that of mmcv's module
        mmcv_attn = MultiScaleDeformableAttention(
            embed_dims=embed_dims,
            num_heads=num_heads,
            num_levels=num_levels,
            num_points=num_points,
            batch_first=True)
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.num_levels = num_levels
        self.num_points = num_points
        self.im2col_step = mmcv_attn.im2col_step
        self.sampling_offsets = mmcv_attn.sampling_offsets
        self.attention_weights = mmcv_attn.attention_weights
        self.value_proj = mmcv_attn.value_proj
        self.output_proj = mmcv_attn.output_proj

    @staticmethod
    def box_reference_points(rois: Tensor, memory: FlatFeatureMap,
                             strides: Sequence[float]) -> Tensor:
        """``[N, L, 4]``: box ``(cx, cy, w, h)`` in each level's [0, 1]
        frame."""
        boxes = rois[:, 1:]
        cxcywh = torch.cat(
            [(boxes[:, :2] + boxes[:, 2:]) * 0.5, boxes[:, 2:] - boxes[:, :2]],
            -1)
        extents = rois.new_tensor(
            [[s * w, s * h] * 2
             for (w, h), s in zip(memory.level_sizes, strides)])
        return cxcywh[:, None] / extents[None]

    def sampling(self, query: Tensor,
                 reference_points: Tensor) -> Tuple[Tensor, Tensor]:
        """mmcv's rule for 4-d references: locations ``[N, H, L, P, 2]`` in
        each level's [0, 1] frame and weights ``[N, H, L, P]`` (softmax
        over the L * P points of a head)."""
        n = query.shape[0]
        heads, levels, points = self.num_heads, self.num_levels, \
            self.num_points
        offsets = self.sampling_offsets(query).view(n, heads, levels, points,
                                                    2)
        weights = self.attention_weights(query).view(
            n, heads,
            levels * points).softmax(-1).view(n, heads, levels, points)
        ref = reference_points[:, None, :, None]  # [N, 1, L, 1, 4]
        locations = ref[..., :2] + offsets / points * ref[..., 2:] * 0.5
        return locations, weights

    def attend(self, query: Tensor, reference_points: Tensor,
               memory: FlatFeatureMap, batch_inds: Tensor) -> Tensor:
        """Gather path: attention output ``[N, D]`` (``output_proj``, no
        residual).

        Args:
            query: ``[N, D]``.
            reference_points: ``[N, L, 4]`` normalised ``(cx, cy, w, h)``.
            memory: the L encoder maps (raw memory ``M``, channels-last).
            batch_inds: ``[N]`` image of each query.
        """
        locations, weights = self.sampling(query, reference_points)
        sizes = locations.new_tensor(memory.level_sizes)[:, None]  # [L,1,2]
        coords = locations * sizes - 0.5  # continuous indices per level
        # all heads, levels and points in one gather: [N, H, D], [N, H]
        pooled, inside = memory.sample(coords, batch_inds, weights)
        return self.output_proj(project_heads(pooled, inside, self.value_proj))

    def attend_mmcv(self, query: Tensor, reference_points: Tensor,
                    memory: FlatFeatureMap, batch_inds: Tensor) -> Tensor:
        """mmcv path, same arguments and result as :meth:`attend`: per
        image, mmcv's sampling of its projected memory at its boxes'
        locations."""
        locations, weights = self.sampling(query, reference_points)
        value = self.value_proj(
            memory.values.view(memory.batch, memory.numel, memory.channels))
        value = value.view(memory.batch, memory.numel, self.num_heads, -1)
        # mmcv orders spatial shapes (h, w)
        shapes = torch.tensor([list(reversed(s)) for s in memory.level_sizes],
                              device=query.device)
        starts = torch.tensor(memory.level_starts, device=query.device)
        out = query.new_zeros(query.shape[0], self.embed_dims)
        for b in range(memory.batch):
            rows = (batch_inds == b).nonzero().squeeze(1)
            if rows.numel():
                out[rows] = mmcv_deformable_sampling(value[b:b + 1], shapes,
                                                     starts,
                                                     locations[rows][None],
                                                     weights[rows][None],
                                                     self.im2col_step)[0]
        return self.output_proj(out)

    def forward(self, query: Tensor, rois: Tensor, batch_inds: Tensor,
                memory: FlatFeatureMap, strides: Sequence[float]) -> Tensor:
        """Eq. 9 attention output ``[N, D]`` for boxes ``rois [N, 5]``."""
        if memory.num_levels != self.num_levels:
            raise ValueError(f'BoxDeformableCrossAttention was built for '
                             f'{self.num_levels} levels, got '
                             f'{memory.num_levels}')
        ref = self.box_reference_points(rois, memory, strides)
        if use_mmcv_kernel(query):
            return self.attend_mmcv(query, ref, memory, batch_inds)
        return self.attend(query, ref, memory, batch_inds)
