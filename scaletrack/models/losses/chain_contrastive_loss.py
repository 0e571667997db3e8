"""Chain Contrastive Loss (paper Sec. 3.2, Eq. 1-2)."""
from typing import List, Optional, Tuple

import torch
from mmdet.registry import MODELS
from torch import Tensor

from .base_clip_contrastive_loss import (DEFAULT_TEMPERATURE,
                                         BaseClipContrastiveLoss)
from .frame_pair_nt_xent import frame_pair_nt_xent
from .masked_info_nce import masked_info_nce

#: Where a link's negatives come from: the target frame t+1 (Eq. 1-2, the
#: default) or the whole clip (issue 16's positives-vs-negatives experiment,
#: docs/results.md; the global loss's negatives with the chain's positives).
NEGATIVE_SCOPES = ('next_frame', 'clip')


def sum_frame_pair_terms(embeds: List[Tensor], instance_ids: List[Tensor],
                         proposal_embeds: List[Tensor], frame_pairs,
                         temperature: float,
                         symmetric: bool) -> Tuple[Optional[Tensor], int]:
    """Sum Eq. 1 over the positive pairs of the given ``(a, b)`` frame pairs.

    Frame a holds the anchors, frame b the positive, the other objects and
    the proposals (negatives). ``symmetric`` adds the ``(b, a)`` direction.
    Returns ``(sum, number of positive pairs |M|)``.
    """
    total, count = None, 0
    for a, b in frame_pairs:
        directions = [(a, b), (b, a)] if symmetric else [(a, b)]
        for anchor, target in directions:
            loss_sum, num = frame_pair_nt_xent(
                embeds[anchor], instance_ids[anchor], embeds[target],
                instance_ids[target], proposal_embeds[target], temperature)
            if num:
                total = loss_sum if total is None else total + loss_sum
                count += num
    return total, count


def clip_negative_link_terms(embeds: List[Tensor], instance_ids: List[Tensor],
                             proposal_embeds: List[Tensor], frame_pairs,
                             temperature: float,
                             symmetric: bool) -> Tuple[Optional[Tensor], int]:
    """The chain's positive pairs with clip-wide negatives.

    For each ``(a, b)`` link, anchor ``i`` of frame a and its counterpart in
    frame b form one InfoNCE term (`masked_info_nce`) whose negatives are
    every object of the clip with another identity (or id < 0) and every
    proposal of the clip. Returns ``(sum, number of positive pairs)``.
    """
    objects = torch.cat(embeds)
    ids = torch.cat(instance_ids)
    frame = torch.cat([
        torch.full_like(frame_ids, t)
        for t, frame_ids in enumerate(instance_ids)
    ])
    proposals = torch.cat(proposal_embeds)
    candidates = torch.cat([objects, proposals])
    directions = [(a, b) for a, b in frame_pairs]
    if symmetric:
        directions += [(b, a) for a, b in frame_pairs]
    rows, targets = [], []
    for a, b in directions:
        idx = ((frame == a) & (ids >= 0)).nonzero(as_tuple=True)[0]
        rows.append(idx)
        targets.append(torch.full_like(idx, b))
    rows, targets = torch.cat(rows), torch.cat(targets)
    anchor_ids = ids[rows][:, None]
    positive = (ids[None, :] == anchor_ids) & \
        (frame[None, :] == targets[:, None])
    negative = torch.cat([
        ids[None, :] != anchor_ids,
        positive.new_ones(len(rows), proposals.shape[0])
    ],
                         dim=1)
    positive = torch.cat(
        [positive, positive.new_zeros(len(rows), proposals.shape[0])], dim=1)
    return masked_info_nce(objects[rows], candidates, positive, negative,
                           temperature)


@MODELS.register_module()
class ChainContrastiveLoss(BaseClipContrastiveLoss):
    """Chain Contrastive Loss, Eq. 2 of the paper::

        L_chain = 1/|M| * sum_{(t, t+1) in T} sum_{(i, j) in M_{t,t+1}}
                  L_pair(f_t^i, f_{t+1}^j)

    with ``L_pair`` the NT-Xent of Eq. 1: the anchor ``f_t^i`` against its
    same-identity counterpart ``f_{t+1}^j`` (positive), every other object
    embedding of frame t+1 and every pseudo-negative proposal embedding of
    frame t+1 (negatives). ``|M|`` is the number of positive pairs of the
    whole clip.

    Following Eq. 2 literally, ``T`` holds only the consecutive frame pairs
    ``(t, t+1)`` of the clip: an object missing from frame t or t+1 gives
    no pair for that link, and an empty frame t+1 breaks both links
    (t, t+1) and (t+1, t+2) -- the chain does NOT skip over it to the next
    non-empty frame. Ids < 0 are never anchors nor positives, but their
    embeddings in frame t+1 are negatives.

    Args:
        temperature (float): tau of Eq. 1. Default 0.1 (SupCon's best value,
            Khosla et al. 2020; the paper does not give its tau).
        loss_weight (float): multiplies the loss.
        symmetric (bool): also use the reverse direction (anchors in frame
            t+1 against the objects and proposals of frame t), each reversed
            pair counted in ``|M|``. Default False: Eq. 1 is one-directional
            (anchor in t, candidates in t+1).
        negatives (str): ``'next_frame'`` (default): Eq. 1's negatives, the
            other objects and the proposals of frame t+1; ``'clip'``: the
            same positive pairs against every object of another identity and
            every proposal of the whole clip (`clip_negative_link_terms`),
            which separates the chain's positives from its negatives in
            issue 16's experiment.
    """

    def __init__(self,
                 temperature: float = DEFAULT_TEMPERATURE,
                 loss_weight: float = 1.0,
                 symmetric: bool = False,
                 negatives: str = 'next_frame',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(temperature, loss_weight, init_cfg)
        if negatives not in NEGATIVE_SCOPES:
            raise ValueError(f'ChainContrastiveLoss negatives must be one of '
                             f'{NEGATIVE_SCOPES}, got {negatives!r}')
        self.symmetric = bool(symmetric)
        self.negatives = negatives

    def loss_terms(self, embeds, instance_ids, proposal_embeds):
        links = [(t, t + 1) for t in range(len(embeds) - 1)]
        if self.negatives == 'clip':
            return clip_negative_link_terms(embeds, instance_ids,
                                            proposal_embeds, links,
                                            self.temperature, self.symmetric)
        return sum_frame_pair_terms(embeds, instance_ids, proposal_embeds,
                                    links, self.temperature, self.symmetric)
