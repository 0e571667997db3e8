"""Intermediate supervision: one clip loss per decoder layer (App. Tab. 12)."""
from typing import Dict, Optional, Sequence

from torch import Tensor, nn


def multi_layer_loss(loss_module: nn.Module,
                     embeds_per_layer: Sequence[Sequence[Tensor]],
                     instance_ids: Sequence[Tensor],
                     proposal_embeds_per_layer: Optional[Sequence[Optional[
                         Sequence[Tensor]]]] = None,
                     weights: Optional[Sequence[float]] = None,
                     prefix: str = 'loss_track') -> Dict[str, Tensor]:
    """Apply one clip loss to the embeddings of every decoder layer.

    Args:
        loss_module: a loss with the clip signature (e.g.
            ``ChainContrastiveLoss``).
        embeds_per_layer: ``embeds_per_layer[l][t]`` is ``[N_t, E]``, layer l
            (the head's output order: the last layer is the tracking one).
        instance_ids: per frame ``[N_t]`` identities (shared by all layers).
        proposal_embeds_per_layer: ``None`` or per layer a list of per-frame
            ``[M_t, E]`` proposal embeddings (or ``None``).
        weights: one weight per layer (default: 1.0 each); they multiply the
            module's own ``loss_weight``.
        prefix: key prefix.

    Returns:
        ``{f'{prefix}_l{l}': weighted loss of layer l}``, mmdet style (the
        runner sums every key containing 'loss').

    A loss that samples frame pairs (it has ``sample_pairs``) draws them
    once here, so every layer is supervised on the same frame pairs.
    """
    num_layers = len(embeds_per_layer)
    if num_layers == 0:
        raise ValueError('embeds_per_layer is empty: need one list of '
                         'per-frame embeddings per decoder layer')
    if weights is None:
        weights = [1.0] * num_layers
    if len(weights) != num_layers:
        raise ValueError(f'got {len(weights)} layer weights {list(weights)} '
                         f'for {num_layers} decoder layers')
    if proposal_embeds_per_layer is None:
        proposal_embeds_per_layer = [None] * num_layers
    if len(proposal_embeds_per_layer) != num_layers:
        raise ValueError(
            f'proposal_embeds_per_layer has {len(proposal_embeds_per_layer)} '
            f'entries for {num_layers} decoder layers')
    kwargs = {}
    if hasattr(loss_module, 'sample_pairs'):
        kwargs['frame_pairs'] = loss_module.sample_pairs(len(instance_ids))
    losses = {}
    for layer, (embeds, props, weight) in enumerate(
            zip(embeds_per_layer, proposal_embeds_per_layer, weights)):
        losses[f'{prefix}_l{layer}'] = weight * loss_module(
            embeds, instance_ids, props, **kwargs)
    return losses
