"""Global (whole-clip) contrastive baseline: SupCon or InfoNCE (Fig. 1a-ii)."""
from typing import Optional

import torch
from mmdet.registry import MODELS

from .base_clip_contrastive_loss import (DEFAULT_TEMPERATURE,
                                         BaseClipContrastiveLoss)
from .masked_info_nce import masked_info_nce

GLOBAL_MODES = ('supcon', 'infonce')
#: Where the negatives of an anchor come from: the whole clip (default, the
#: global loss as published) or only the anchor's next frame (the chain's
#: negatives; ``infonce`` mode only). Issue 16's positives-vs-negatives
#: experiment (docs/results.md) crosses it with the chain's option.
NEGATIVE_SCOPES = ('clip', 'next_frame')


@MODELS.register_module()
class GlobalContrastiveLoss(BaseClipContrastiveLoss):
    """Contrast every instance against all instances of the whole clip.

    All object embeddings of all frames are pooled (``z_1 .. z_N``) with all
    proposal embeddings of all frames (``p_1 .. p_M``). An anchor is an
    object with an identity (id >= 0) that appears in at least one other
    frame; ``P(i)`` = the other embeddings with i's identity (other frames);
    ``A(i)`` = every embedding but ``z_i`` itself (all objects of all frames,
    same frame included, and all proposals); ``s_ia = z_i . a / tau``.

    ``mode='supcon'`` -- SupCon L_out (Khosla et al. 2020, Eq. 2)::

        L_i = -1/|P(i)| sum_{p in P(i)}
                  log( exp(s_ip) / sum_{a in A(i)} exp(s_ia) )

    averaged over the anchors.

    ``mode='infonce'`` -- one InfoNCE term (Oord et al. 2018) per ordered
    positive pair (i, p), against i's negatives only
    (``N(i) = A(i) \\ P(i)``: other identities, ids < 0 and proposals)::

        L_ip = -log( exp(s_ip) / (exp(s_ip) + sum_{n in N(i)} exp(s_in)) )

    averaged over the positive pairs.

    Args:
        temperature (float): tau. Default 0.1 (SupCon's best value).
        loss_weight (float): multiplies the loss.
        mode (str): ``'supcon'`` (default) or ``'infonce'``.
        negatives (str): ``'clip'`` (default): ``N(i)`` as above;
            ``'next_frame'`` (``infonce`` only): ``N(i)`` restricted to the
            objects and proposals of the frame after the anchor's, the
            negatives Eq. 1 gives a chain link, with the global positives
            ``P(i)``; anchors in the clip's last frame are then dropped.
    """

    def __init__(self,
                 temperature: float = DEFAULT_TEMPERATURE,
                 loss_weight: float = 1.0,
                 mode: str = 'supcon',
                 negatives: str = 'clip',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(temperature, loss_weight, init_cfg)
        if mode not in GLOBAL_MODES:
            raise ValueError(f'GlobalContrastiveLoss mode must be one of '
                             f'{GLOBAL_MODES}, got {mode!r}')
        if negatives not in NEGATIVE_SCOPES:
            raise ValueError(f'GlobalContrastiveLoss negatives must be one '
                             f'of {NEGATIVE_SCOPES}, got {negatives!r}')
        if negatives == 'next_frame' and mode != 'infonce':
            raise ValueError(
                "GlobalContrastiveLoss(negatives='next_frame') needs "
                "mode='infonce' (SupCon's denominator holds the positives, "
                'so it has no separate negative set)')
        self.mode = mode
        self.negatives = negatives

    def loss_terms(self, embeds, instance_ids, proposal_embeds):
        objects = torch.cat(embeds)
        ids = torch.cat(instance_ids)
        frame = torch.cat([
            torch.full_like(frame_ids, t)
            for t, frame_ids in enumerate(instance_ids)
        ])
        num_objects = objects.shape[0]
        positive = (ids[:, None] == ids[None, :]) & (ids[:, None] >= 0) & \
            (frame[:, None] != frame[None, :])
        anchors = positive.any(dim=1)
        if not bool(anchors.any()):
            return None, 0
        positive = positive[anchors]
        candidates = torch.cat([objects, torch.cat(proposal_embeds)])
        is_self = positive.new_zeros(positive.shape[0], candidates.shape[0])
        is_self[:, :num_objects] = torch.eye(
            num_objects, dtype=torch.bool, device=objects.device)[anchors]
        if self.mode == 'supcon':
            logits = objects[anchors] @ candidates.t() / self.temperature
            logits = logits.masked_fill(is_self, float('-inf'))
            pos_logits = logits[:, :num_objects]
            log_prob = pos_logits - torch.logsumexp(
                logits, dim=1, keepdim=True)
            per_anchor = torch.where(positive, log_prob,
                                     torch.zeros_like(log_prob)).sum(1)
            per_anchor = -per_anchor / positive.sum(1)
            return per_anchor.sum(), int(per_anchor.numel())
        # infonce: negatives = everything but self and the positives
        is_negative = ~is_self
        is_negative[:, :num_objects] &= ~positive
        if self.negatives == 'next_frame':
            # only the objects and proposals of the anchor's next frame;
            # anchors in the last frame have no next frame and are dropped
            cand_frame = torch.cat([
                frame,
                torch.cat([
                    torch.full((len(p), ),
                               t,
                               dtype=frame.dtype,
                               device=frame.device)
                    for t, p in enumerate(proposal_embeds)
                ])
            ])
            next_frame = frame[anchors][:, None] + 1
            is_negative &= cand_frame[None, :] == next_frame
            keep = next_frame[:, 0] < len(embeds)
            positive, is_negative = positive[keep], is_negative[keep]
            anchor_embeds = objects[anchors][keep]
        else:
            anchor_embeds = objects[anchors]
        pad = positive.new_zeros(positive.shape[0],
                                 candidates.shape[0] - num_objects)
        return masked_info_nce(anchor_embeds, candidates,
                               torch.cat([positive, pad], dim=1), is_negative,
                               self.temperature)
