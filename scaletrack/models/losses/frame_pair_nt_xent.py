"""The per-frame-pair NT-Xent term of Chain Contrastive Learning (Eq. 1)."""
from typing import Tuple

import torch
from torch import Tensor


def frame_pair_nt_xent(anchor_embeds: Tensor, anchor_ids: Tensor,
                       target_embeds: Tensor, target_ids: Tensor,
                       target_proposals: Tensor,
                       temperature: float) -> Tuple[Tensor, int]:
    """Sum of Eq. 1 over every positive pair between two frames.

    For every anchor ``f_a^i`` (a ground-truth identity, id >= 0) and its
    counterpart ``f_b^j`` with the same identity in the target frame b::

        L_pair = -log( exp(f_a^i . f_b^j / tau) /
                       ( sum_k exp(f_a^i . f_b^k / tau)     # objects of b
                       + sum_m exp(f_a^i . p_b^m / tau) ) ) # proposals of b

    (the ``k = j`` term of the first sum is Eq. 1's positive term).
    Vectorised: one ``[N_a, N_b + M_b]`` similarity matrix per frame pair.

    Args:
        anchor_embeds: ``[N_a, E]`` L2-normalised embeddings of frame a.
        anchor_ids: ``[N_a]`` identities of frame a.
        target_embeds: ``[N_b, E]`` embeddings of frame b (every row is a
            candidate; rows with id < 0 are negatives only).
        target_ids: ``[N_b]`` identities of frame b.
        target_proposals: ``[M_b, E]`` pseudo-negative embeddings of frame b.
        temperature: tau of Eq. 1.

    Returns:
        ``(sum of L_pair over the positive pairs, number of positive pairs)``.
        With no positive pair the sum is a zero without gradient and the
        count is 0; the caller then decides what to return.
    """
    positive = (anchor_ids[:, None] == target_ids[None, :]) & \
        (anchor_ids[:, None] >= 0)
    num_pairs = int(positive.sum())
    if num_pairs == 0:
        return anchor_embeds.new_zeros(()), 0
    candidates = torch.cat([target_embeds, target_proposals], dim=0)
    logits = anchor_embeds @ candidates.t() / temperature
    # log of Eq. 1's denominator, one value per anchor
    log_denominator = torch.logsumexp(logits, dim=1, keepdim=True)
    log_prob = logits[:, :target_embeds.shape[0]] - log_denominator
    return -log_prob[positive].sum(), num_pairs
