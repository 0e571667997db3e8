"""Common frame of the clip-level contrastive losses (docs/architecture.md)."""
from typing import List, Optional, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor

from .clip_inputs import check_clip_inputs

#: Default temperature tau: 0.1 is the best value reported for the
#: supervised contrastive loss on unit-norm embeddings (Khosla et al. 2020,
#: SupCon); the paper does not state its tau, so every loss of the project
#: uses this one value for a like-for-like comparison.
DEFAULT_TEMPERATURE = 0.1


class BaseClipContrastiveLoss(BaseModule):
    """Base of the losses with the signature
    ``loss(embeds, instance_ids, proposal_embeds=None) -> scalar``.

    Subclasses implement :meth:`loss_terms`, returning the sum of their
    per-term losses and the number of terms; the result is
    ``loss_weight * sum / count``. A clip without any term (no positive pair)
    returns ``embeds[0].sum() * 0``, a zero that keeps the graph.

    Args:
        temperature (float): tau; see :data:`DEFAULT_TEMPERATURE`.
        loss_weight (float): multiplies the loss.
        init_cfg (dict, optional): mmengine init config (unused: no weights).
    """

    def __init__(self,
                 temperature: float = DEFAULT_TEMPERATURE,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature!r} '
                             f'(default {DEFAULT_TEMPERATURE})')
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)

    def loss_terms(self, embeds: List[Tensor], instance_ids: List[Tensor],
                   proposal_embeds: List[Tensor],
                   **kwargs) -> Tuple[Optional[Tensor], int]:
        """Return ``(sum of the loss terms, number of terms)``."""
        raise NotImplementedError

    def forward(self,
                embeds: Sequence[Tensor],
                instance_ids: Sequence[Tensor],
                proposal_embeds: Optional[Sequence[Tensor]] = None,
                **kwargs) -> Tensor:
        """Loss of one clip (see the class docstring of each loss).

        Args:
            embeds: per frame ``[N_t, E]``, L2-normalised, in time order.
            instance_ids: per frame ``[N_t]`` ground-truth identities;
                ids < 0 are never positives (negatives only).
            proposal_embeds: ``None`` or per frame ``[M_t, E]``
                pseudo-negative embeddings.

        Returns:
            Tensor: scalar loss (already multiplied by ``loss_weight``).
        """
        embeds, instance_ids, proposal_embeds = check_clip_inputs(
            embeds, instance_ids, proposal_embeds)
        total, count = self.loss_terms(embeds, instance_ids, proposal_embeds,
                                       **kwargs)
        if count == 0:
            return embeds[0].sum() * 0
        return self.loss_weight * total / count
