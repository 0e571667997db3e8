"""Broken-chain ablation of Chain Contrastive Learning (paper Fig. 3)."""
import random
from typing import List, Optional, Sequence, Tuple

from mmdet.registry import MODELS

from .base_clip_contrastive_loss import (DEFAULT_TEMPERATURE,
                                         BaseClipContrastiveLoss)
from .chain_contrastive_loss import sum_frame_pair_terms
from .clip_inputs import check_frame_pairs

#: Random frame pairings tried before falling back to a greedy pairing; a
#: random pairing of T >= 3 frames has no pair closer than 2 frames with
#: probability >= 1/3 (T = 3) and about exp(-1) for large T, so 100 tries
#: fail with probability < 1e-17.
MAX_PAIRING_TRIES = 100


@MODELS.register_module()
class BrokenChainContrastiveLoss(BaseClipContrastiveLoss):
    """Chain loss with the chain broken: isolated frame pairs (Fig. 3a-i).

    The same per-pair NT-Xent as :class:`ChainContrastiveLoss` (Eq. 1, anchor
    in frame a, positive/negatives/proposals in frame b) and the same number
    of frame pairs as a chain over the clip (``T - 1``, or ``num_pairs``),
    averaged over all positive pairs as in Eq. 2 -- but the frame pairs
    ``(a_k, b_k)`` are not the consecutive links ``(t, t+1)``:

    * each call draws a random pairing of the clip's frames in which every
      frame belongs to at most one pair and the two frames of a pair are at
      least ``min_gap`` apart (``min_gap=2``: never consecutive frames);
    * the ``T - 1`` pairs cycle through that pairing (in random order, each
      pair oriented forward in time, a < b, like Eq. 1).

    Because no frame is shared by two different pairs, no embedding is the
    positive of one pair and the anchor of another: there is no path
    A_t - A'_u - A''_v, hence no transitive chain (independent i.i.d. draws
    could re-create one, e.g. (0, 2) and (2, 4)). A clip of T frames has at
    most floor(T / 2) distinct isolated pairs, so for T > 3 some pairs are
    used more than once (a weighting, so that the count matches the chain).

    Sampling randomness as in :class:`PairwiseContrastiveLoss`: ``seed=None``
    uses Python's global ``random``; an int seed a private
    ``random.Random(seed)``. ``last_pairs`` holds the last pairs used;
    ``forward(..., frame_pairs=[...])`` fixes them.

    Args:
        temperature (float): tau of Eq. 1. Default 0.1.
        loss_weight (float): multiplies the loss.
        min_gap (int): smallest |a - b| of a pair. Default 2 (no consecutive
            links); 1 keeps only the isolation of the pairs.
        num_pairs (int, optional): pairs per clip; default ``T - 1``.
        symmetric (bool): also the reverse direction of every pair, as in
            :class:`ChainContrastiveLoss`. Default False.
        seed (int, optional): seed of the private pair sampler.
    """

    def __init__(self,
                 temperature: float = DEFAULT_TEMPERATURE,
                 loss_weight: float = 1.0,
                 min_gap: int = 2,
                 num_pairs: Optional[int] = None,
                 symmetric: bool = False,
                 seed: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(temperature, loss_weight, init_cfg)
        if int(min_gap) < 1:
            raise ValueError(f'min_gap must be >= 1, got {min_gap!r}')
        if num_pairs is not None and int(num_pairs) < 1:
            raise ValueError(f'num_pairs must be >= 1 or None, got '
                             f'{num_pairs!r}')
        self.min_gap = int(min_gap)
        self.num_pairs = None if num_pairs is None else int(num_pairs)
        self.symmetric = bool(symmetric)
        self._rng = None if seed is None else random.Random(seed)
        self.last_pairs: List[Tuple[int, int]] = []

    def _isolated_pairing(self, num_frames: int, rng) -> List[Tuple[int, int]]:
        """A random set of disjoint frame pairs with gap >= min_gap."""
        frames = list(range(num_frames))
        for _ in range(MAX_PAIRING_TRIES):
            rng.shuffle(frames)
            pairs = [
                tuple(sorted(frames[i:i + 2]))
                for i in range(0, num_frames - 1, 2)
            ]
            if all(b - a >= self.min_gap for a, b in pairs):
                return pairs
        # greedy fallback (only for large min_gap): pair each frame with a
        # random still-free frame far enough away
        rng.shuffle(frames)
        free, pairs = set(frames), []
        for a in frames:
            if a not in free:
                continue
            partners = [
                b for b in frames if b in free and abs(b - a) >= self.min_gap
            ]
            if partners:
                b = rng.choice(partners)
                free -= {a, b}
                pairs.append((min(a, b), max(a, b)))
        return pairs

    def sample_pairs(self, num_frames: int) -> List[Tuple[int, int]]:
        """Draw the frame pairs of one clip ([] for a single-frame clip)."""
        if num_frames < 2:
            return []
        rng = self._rng if self._rng is not None else random
        pairing = self._isolated_pairing(num_frames, rng)
        if not pairing:
            raise ValueError(
                f'BrokenChainContrastiveLoss: a clip of {num_frames} frames '
                f'has no two frames at least min_gap={self.min_gap} apart; '
                'use longer clips or a smaller min_gap')
        num_pairs = self.num_pairs or num_frames - 1
        return [pairing[k % len(pairing)] for k in range(num_pairs)]

    def loss_terms(self,
                   embeds,
                   instance_ids,
                   proposal_embeds,
                   frame_pairs: Optional[Sequence[Sequence[int]]] = None):
        if frame_pairs is None:
            frame_pairs = self.sample_pairs(len(embeds))
        frame_pairs = check_frame_pairs(frame_pairs, len(embeds))
        self.last_pairs = frame_pairs
        return sum_frame_pair_terms(embeds, instance_ids, proposal_embeds,
                                    frame_pairs, self.temperature,
                                    self.symmetric)
