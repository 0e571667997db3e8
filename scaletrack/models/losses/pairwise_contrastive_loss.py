"""Pairwise (quasi-dense, QDTrack-style) contrastive baseline (Fig. 1a-i)."""
import random
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.models.losses import MultiPosCrossEntropyLoss
from mmdet.registry import MODELS

from .base_clip_contrastive_loss import (DEFAULT_TEMPERATURE,
                                         BaseClipContrastiveLoss)
from .clip_inputs import check_frame_pairs


@MODELS.register_module()
class PairwiseContrastiveLoss(BaseClipContrastiveLoss):
    """One key frame against one reference frame, multi-positive.

    For a key/reference pair of distinct frames (k, r) drawn at random from
    the clip, every key object ``v`` with a ground-truth identity that also
    appears in frame r is an anchor; QDTrack's L_embed (Pang et al. 2021) on
    temperature-scaled cosine similarities::

        L(v) = log(1 + sum_{k+} sum_{k-} exp((v . k- - v . k+) / tau))

    ``k+``: the embeddings of frame r with v's identity; ``k-``: every other
    embedding of frame r (other identities and ids < 0) and every
    pseudo-negative proposal of frame r. The loss is the mean of L(v) over
    the anchors. Computed by mmdet's ``MultiPosCrossEntropyLoss``.

    Differences from QDTrack, both forced by the shared interface: the
    anchors are the ground-truth objects (no RoI sampling), and the
    similarities are divided by tau because the embeddings are unit-norm
    (QDTrack uses unnormalised dot products).

    Sampling: the ordered pair (k, r), k != r, is uniform over the clip's
    T(T-1) ordered pairs, drawn anew at each call. With ``seed=None`` the
    draw uses Python's global ``random`` (seeded by mmengine's
    ``randomness`` setting); with an int seed, a private
    ``random.Random(seed)`` makes the sequence of draws reproducible.
    The last draw is kept in ``last_pairs`` for inspection/logging; pass
    ``frame_pairs=[(k, r)]`` to ``forward`` to fix it (e.g. the same pair for
    every decoder layer, see ``multi_layer_loss``).

    Args:
        temperature (float): tau. Default 0.1 (as the other losses).
        loss_weight (float): multiplies the loss.
        seed (int, optional): seed of the private pair sampler.
    """

    def __init__(self,
                 temperature: float = DEFAULT_TEMPERATURE,
                 loss_weight: float = 1.0,
                 seed: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(temperature, loss_weight, init_cfg)
        self._rng = None if seed is None else random.Random(seed)
        self.multi_pos_ce = MultiPosCrossEntropyLoss(reduction='sum')
        self.last_pairs: List[Tuple[int, int]] = []

    def sample_pairs(self, num_frames: int) -> List[Tuple[int, int]]:
        """Draw one ordered (key, ref) pair of distinct frames, or [] if the
        clip has fewer than 2 frames."""
        if num_frames < 2:
            return []
        rng = self._rng if self._rng is not None else random
        key = rng.randrange(num_frames)
        ref = rng.randrange(num_frames - 1)
        ref += int(ref >= key)  # skip the key frame: uniform over r != k
        return [(key, ref)]

    def loss_terms(self,
                   embeds,
                   instance_ids,
                   proposal_embeds,
                   frame_pairs: Optional[Sequence[Sequence[int]]] = None):
        if frame_pairs is None:
            frame_pairs = self.sample_pairs(len(embeds))
        frame_pairs = check_frame_pairs(frame_pairs, len(embeds))
        self.last_pairs = frame_pairs
        total, count = None, 0
        for key, ref in frame_pairs:
            key_ids, ref_ids = instance_ids[key], instance_ids[ref]
            targets = (key_ids[:, None] == ref_ids[None, :]) & \
                (key_ids[:, None] >= 0)
            anchors = targets.any(dim=1)
            num_anchors = int(anchors.sum())
            if num_anchors == 0:
                continue
            candidates = torch.cat([embeds[ref], proposal_embeds[ref]])
            logits = embeds[key][anchors] @ candidates.t() / self.temperature
            # proposals are never positives: label 0
            labels = targets[anchors].new_zeros(logits.shape, dtype=torch.long)
            labels[:, :targets.shape[1]] = targets[anchors].long()
            loss_sum = self.multi_pos_ce(logits, labels)
            total = loss_sum if total is None else total + loss_sum
            count += num_anchors
        return total, count
