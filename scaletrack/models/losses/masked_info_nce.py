"""InfoNCE over explicit positive / negative sets (the losses' common term).

Used where a loss chooses its positives and negatives separately: the
global loss in ``infonce`` mode and the negative-scope variants of the
chain and global losses (issue 16's positives-vs-negatives experiment,
``docs/results.md``).
"""
from typing import Tuple

import torch
from torch import Tensor


def masked_info_nce(anchors: Tensor, candidates: Tensor, positive: Tensor,
                    negative: Tensor,
                    temperature: float) -> Tuple[Tensor, int]:
    """Sum of one InfoNCE term per ``(anchor, positive)`` pair::

        L_ip = -log( exp(s_ip) / (exp(s_ip) + sum_{n in N(i)} exp(s_in)) )

    with ``s = anchors @ candidates.T / temperature``, ``P(i)`` the True
    entries of ``positive[i]`` and ``N(i)`` those of ``negative[i]``.
    An anchor without negatives gives ``L_ip = 0`` (a finite gradient).

    Args:
        anchors: ``[A, E]`` L2-normalised anchor embeddings.
        candidates: ``[C, E]`` embeddings the anchors are compared with.
        positive, negative: ``[A, C]`` bool masks (disjoint).
        temperature: tau.

    Returns:
        ``(sum over the positive pairs, number of positive pairs)``.
    """
    rows, cols = positive.nonzero(as_tuple=True)
    if rows.numel() == 0:
        return anchors.new_zeros(()), 0
    logits = anchors @ candidates.t() / temperature
    neg_lse = torch.logsumexp(
        logits.masked_fill(~negative, float('-inf')), dim=1)
    pos_logit = logits[rows, cols]
    # -log(e^s / (e^s + sum_n e^n)) = logaddexp(s, lse_n) - s
    pair_loss = torch.logaddexp(pos_logit, neg_lse[rows]) - pos_logit
    return pair_loss.sum(), int(pair_loss.numel())
