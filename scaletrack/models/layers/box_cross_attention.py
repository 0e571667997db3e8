"""Multi-scale cross attention from box embeddings to the memory (Eq. 9).

``f_final = CA(f_modulated, M)``: mmcv's ``MultiScaleDeformableAttention``
(held, not subclassed: its parameters, initialisation and sampling rule)
with one query per box and 4-d reference points = the box ``(cx, cy, w,
h)`` normalised by each level's extent, so the points scale with the
object: ``loc = ref_xy + offset / P * ref_wh / 2``.

Where :func:`use_mmcv_kernel` says so (CUDA) the boxes of each image are
the queries of mmcv's own ``forward``. Otherwise the gather path computes
the same result in another order: the value projection is applied to the
few attention-weighted per-box samples instead of to all ``S`` memory
locations (exact, see ``point_sampling``). For 100 boxes on four 37x37
levels this replaces a ``5476 x 256 x 256`` matmul per layer by a
``100 x 256 x 256`` one.
"""
from typing import Sequence

import torch
from mmcv.ops import MultiScaleDeformableAttention
from mmengine.model import BaseModule
from torch import Tensor

from .device_policy import use_mmcv_kernel
from .point_sampling import FlatFeatureMap, project_heads

__all__ = ['BoxDeformableCrossAttention']

# parameters of the held mmcv attention, stored without the ``attn.``
# prefix by checkpoints saved before it was held instead of subclassed
_MMCV_ATTN_PARAMS = ('sampling_offsets', 'attention_weights', 'value_proj',
                     'output_proj')


class BoxDeformableCrossAttention(BaseModule):
    """Eq. 9 cross attention of ``[N, D]`` box queries to ``L`` levels.

    Args:
        embed_dims: D.
        num_heads: 8 (Deformable DETR).
        num_levels: L, number of encoder levels.
        num_points: 4 points per head and level (Appendix A).
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8,
                 num_levels: int = 4, num_points: int = 4) -> None:
        super().__init__()
        # no dropout inside: the decoder layer applies its own after Eq. 9
        self.attn = MultiScaleDeformableAttention(
            embed_dims=embed_dims,
            num_heads=num_heads,
            num_levels=num_levels,
            num_points=num_points,
            dropout=0.0,
            batch_first=True)

    @property
    def num_levels(self) -> int:
        return self.attn.num_levels

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        """Key remap for checkpoints of the subclassing version.

        Until the mmcv attention was held as ``self.attn`` its parameters
        were this module's own (``<prefix>value_proj.weight``); they are
        renamed in place to ``<prefix>attn.value_proj.weight`` so that such
        checkpoints still load strictly.
        """
        for key in list(state_dict):
            name = key[len(prefix):]
            if key.startswith(prefix) and name.split('.', 1)[0] in \
                    _MMCV_ATTN_PARAMS:
                state_dict[f'{prefix}attn.{name}'] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @staticmethod
    def box_reference_points(rois: Tensor, memory: FlatFeatureMap,
                             strides: Sequence[float]) -> Tensor:
        """``[N, L, 4]``: box ``(cx, cy, w, h)`` in each level's [0, 1]
        frame."""
        boxes = rois[:, 1:]
        cxcywh = torch.cat([(boxes[:, :2] + boxes[:, 2:]) * 0.5,
                            boxes[:, 2:] - boxes[:, :2]], -1)
        extents = rois.new_tensor([[s * w, s * h] * 2 for (w, h), s in zip(
            memory.level_sizes, strides)])
        return cxcywh[:, None] / extents[None]

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
        attn = self.attn
        n = query.shape[0]
        heads, levels, points = attn.num_heads, attn.num_levels, \
            attn.num_points
        offsets = attn.sampling_offsets(query).view(n, heads, levels, points,
                                                    2)
        weights = attn.attention_weights(query).view(
            n, heads, levels * points).softmax(-1).view(
                n, heads, levels, points)
        ref = reference_points[:, None, :, None]  # [N, 1, L, 1, 4]
        # mmcv's rule for 4-d references, in each level's [0, 1] frame
        locations = ref[..., :2] + offsets / points * ref[..., 2:] * 0.5
        sizes = locations.new_tensor(memory.level_sizes)[:, None]  # [L,1,2]
        coords = locations * sizes - 0.5  # continuous indices per level
        # all heads, levels and points in one gather: [N, H, D], [N, H]
        pooled, inside = memory.sample(coords, batch_inds, weights)
        return attn.output_proj(project_heads(pooled, inside,
                                              attn.value_proj))

    def attend_mmcv(self, query: Tensor, reference_points: Tensor,
                    memory: FlatFeatureMap, batch_inds: Tensor) -> Tensor:
        """mmcv path, same arguments and result as :meth:`attend`: per
        image, its boxes are the queries of mmcv's forward over its memory.
        """
        value = memory.values.view(memory.batch, memory.numel,
                                   memory.channels)
        # mmcv orders spatial shapes (h, w)
        shapes = torch.tensor([list(reversed(s)) for s in memory.level_sizes],
                              device=query.device)
        starts = torch.tensor(memory.level_starts, device=query.device)
        out = query.new_empty(query.shape[0], self.attn.embed_dims)
        for b in range(memory.batch):
            rows = (batch_inds == b).nonzero().squeeze(1)
            if rows.numel() == 0:
                continue
            q = query[rows][None]
            # identity = 0: this module returns the attention alone, the
            # decoder layer adds the residual
            out[rows] = self.attn(
                q, value=value[b:b + 1], identity=torch.zeros_like(q),
                reference_points=reference_points[rows][None],
                spatial_shapes=shapes, level_start_index=starts)[0]
        return out

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
