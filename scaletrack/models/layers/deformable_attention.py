"""Multi-scale deformable attention whose CPU path samples by gathers.

mmcv's ``MultiScaleDeformableAttention`` runs its CUDA kernel on GPU and a
pure-PyTorch fallback (``F.grid_sample`` per level on channels-first maps,
then stack/multiply/sum) on CPU. :class:`GatherMultiScaleDeformableAttention`
keeps mmcv's parameters, initialisation and forward signature, delegates
to mmcv where :func:`use_mmcv_kernel` says so and otherwise computes the
same result with one ``F.embedding_bag`` over channels-last value rows
(see ``point_sampling``); the tests compare it with mmcv's fallback.
"""
from typing import Optional

import torch
from mmcv.ops import MultiScaleDeformableAttention
from torch import Tensor

from .device_policy import use_mmcv_kernel
from .point_sampling import interpolation_corners, weighted_gather

__all__ = ['GatherMultiScaleDeformableAttention']


class GatherMultiScaleDeformableAttention(MultiScaleDeformableAttention):
    """mmcv ``MultiScaleDeformableAttention`` with a gather-based CPU path."""

    def forward(self,
                query: Tensor,
                key: Optional[Tensor] = None,
                value: Optional[Tensor] = None,
                identity: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None,
                reference_points: Optional[Tensor] = None,
                spatial_shapes: Optional[Tensor] = None,
                level_start_index: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Same arguments and result as mmcv's forward."""
        if use_mmcv_kernel(query):
            return super().forward(query, key, value, identity, query_pos,
                                   key_padding_mask, reference_points,
                                   spatial_shapes, level_start_index, **kwargs)
        if value is None:
            value = query
        if identity is None:
            identity = query
        if query_pos is not None:
            query = query + query_pos
        if not self.batch_first:
            query, value = query.permute(1, 0, 2), value.permute(1, 0, 2)
        bs, num_query, _ = query.shape
        num_value = value.shape[1]
        heads, levels, points = self.num_heads, self.num_levels, \
            self.num_points
        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        head_dims = value.shape[-1] // heads
        rows = value.reshape(bs * num_value * heads, head_dims)
        offsets = self.sampling_offsets(query).view(bs, num_query, heads,
                                                    levels, points, 2)
        weights = self.attention_weights(query).view(
            bs, num_query, heads,
            levels * points).softmax(-1).view(bs, num_query, heads, levels,
                                              points)
        if reference_points.shape[-1] == 2:
            normalizer = torch.stack(
                [spatial_shapes[..., 1], spatial_shapes[..., 0]], -1)
            locations = reference_points[:, :, None, :, None, :] + \
                offsets / normalizer[None, None, None, :, None, :]
        elif reference_points.shape[-1] == 4:
            ref = reference_points[:, :, None, :, None]
            locations = ref[..., :2] + offsets / points * ref[..., 2:] * 0.5
        else:
            raise ValueError('reference_points must end with 2 or 4 values, '
                             f'got {reference_points.shape[-1]}')
        # all levels at once: per-level sizes (w, h) and first rows
        sizes = torch.stack([spatial_shapes[:, 1], spatial_shapes[:, 0]], -1)
        coords = locations * sizes[:, None].to(locations.dtype) - 0.5
        index, weight = interpolation_corners(coords, sizes[:, None],
                                              'zeros')  # [bs,nq,H,L,P,4]
        index = index + level_start_index.view(levels, 1, 1).to(index.dtype)
        weight = weight * weights[..., None]
        index = index.flatten(-3)  # [bs, nq, H, L*P*4]
        weight = weight.flatten(-3)
        batch = torch.arange(
            bs, device=query.device, dtype=index.dtype).view(bs, 1, 1, 1)
        head = torch.arange(
            heads, device=query.device,
            dtype=index.dtype).view(1, 1, heads, 1)
        index = (batch * num_value + index) * heads + head
        out = weighted_gather(rows, index.reshape(-1, index.shape[-1]),
                              weight.reshape(-1, weight.shape[-1]))
        out = self.output_proj(out.view(bs, num_query, heads * head_dims))
        if not self.batch_first:
            out = out.permute(1, 0, 2)
        return self.dropout(out) + identity
