"""Validation of the inputs shared by every clip-level contrastive loss.

The loss contract (docs/architecture.md, "Losses") is::

    loss(embeds: list[Tensor[N_t, E]], instance_ids: list[LongTensor[N_t]],
         proposal_embeds: list[Tensor[M_t, E]] | None = None) -> Tensor

This module checks that contract once, so that the loss files only hold
their equations.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor


def check_clip_inputs(
    embeds: Sequence[Tensor],
    instance_ids: Sequence[Tensor],
    proposal_embeds: Optional[Sequence[Optional[Tensor]]] = None,
) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
    """Check one clip's loss inputs and bring them to a uniform form.

    Args:
        embeds: one ``[N_t, E]`` floating tensor per frame, in time order
            (``N_t`` may be 0).
        instance_ids: one integer tensor ``[N_t]`` per frame; ids ``< 0``
            mean "not a ground-truth identity". Ids ``>= 0`` must be unique
            inside a frame.
        proposal_embeds: ``None`` or one ``[M_t, E]`` tensor (or ``None``)
            per frame.

    Returns:
        ``(embeds, instance_ids, proposal_embeds)`` as lists of length T;
        ids are moved to the embeddings' device, missing proposals become
        ``[0, E]`` tensors.

    Raises:
        ValueError / TypeError naming the offending frame and value.
    """
    if isinstance(embeds, Tensor) or not isinstance(embeds, (list, tuple)):
        raise TypeError('`embeds` must be a list with one [N_t, E] tensor '
                        f'per frame of the clip, got {type(embeds).__name__}')
    num_frames = len(embeds)
    if num_frames == 0:
        raise ValueError('`embeds` is empty: a clip needs at least one frame')
    if not isinstance(instance_ids, (list, tuple)) or \
            len(instance_ids) != num_frames:
        got = len(instance_ids) if isinstance(
            instance_ids, (list, tuple)) else type(instance_ids).__name__
        raise ValueError('`instance_ids` must be a list with one tensor per '
                         f'frame ({num_frames} frames), got {got}')
    if proposal_embeds is not None and (not isinstance(proposal_embeds,
                                                       (list, tuple))
                                        or len(proposal_embeds) != num_frames):
        got = len(proposal_embeds) if isinstance(
            proposal_embeds, (list, tuple)) else type(proposal_embeds).__name__
        raise ValueError('`proposal_embeds` must be None or a list with one '
                         f'tensor per frame ({num_frames} frames), got {got}')

    first = embeds[0]
    if not isinstance(first, Tensor) or first.dim() != 2:
        raise ValueError('embeds[0] must be a 2-D tensor [N_0, E], got '
                         f'{getattr(first, "shape", type(first).__name__)}')
    dim, device = first.shape[1], first.device

    out_embeds, out_ids, out_props = [], [], []
    for t in range(num_frames):
        emb = embeds[t]
        if not isinstance(emb, Tensor) or emb.dim() != 2 or \
                emb.shape[1] != dim or not emb.is_floating_point():
            got = (f'{tuple(emb.shape)} {emb.dtype}' if isinstance(
                emb, Tensor) else type(emb).__name__)
            raise ValueError(
                f'embeds[{t}] must be a floating [N_{t}, {dim}] tensor (the '
                f'embedding size of frame 0), got {got}')
        ids = instance_ids[t]
        if not isinstance(ids, Tensor):
            ids = torch.as_tensor(ids)
        if ids.dim() != 1 or ids.shape[0] != emb.shape[0] or \
                ids.is_floating_point() or ids.dtype == torch.bool:
            raise ValueError(
                f'instance_ids[{t}] must be an integer tensor [{emb.shape[0]}]'
                f' (one id per row of embeds[{t}]), got shape '
                f'{tuple(ids.shape)} dtype {ids.dtype}')
        ids = ids.to(device=device, dtype=torch.long)
        valid = ids[ids >= 0]
        if valid.numel() != torch.unique(valid).numel():
            raise ValueError(
                f'instance_ids[{t}] repeats a ground-truth identity inside '
                f'one frame: {ids.tolist()}; each identity (id >= 0) may '
                'appear at most once per frame (use id < 0 for boxes without '
                'an identity)')
        props = None if proposal_embeds is None else proposal_embeds[t]
        if props is None:
            props = emb.new_zeros((0, dim))
        elif not isinstance(props, Tensor) or props.dim() != 2 or \
                props.shape[1] != dim:
            raise ValueError(
                f'proposal_embeds[{t}] must be a [M_{t}, {dim}] tensor or '
                f'None, got {getattr(props, "shape", type(props).__name__)}')
        out_embeds.append(emb)
        out_ids.append(ids)
        out_props.append(props.to(device=device, dtype=emb.dtype))
    return out_embeds, out_ids, out_props


def check_frame_pairs(frame_pairs: Sequence[Sequence[int]],
                      num_frames: int) -> List[Tuple[int, int]]:
    """Check explicit ``(anchor_frame, target_frame)`` pairs of a clip."""
    pairs = []
    for pair in frame_pairs:
        if len(pair) != 2:
            raise ValueError(f'frame pair {pair!r} must be (a, b)')
        a, b = int(pair[0]), int(pair[1])
        if not (0 <= a < num_frames and 0 <= b < num_frames) or a == b:
            raise ValueError(
                f'frame pair ({a}, {b}) is invalid for a clip of {num_frames} '
                'frames: need two distinct indices in [0, T)')
        pairs.append((a, b))
    return pairs
