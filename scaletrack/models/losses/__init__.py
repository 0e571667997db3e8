"""Contrastive losses of ScaleTrack (paper Sec. 3.2-3.3) and baselines."""
from ..utils.pseudo_negatives import filter_pseudo_negatives
from .base_clip_contrastive_loss import (DEFAULT_TEMPERATURE,
                                         BaseClipContrastiveLoss)
from .broken_chain_contrastive_loss import BrokenChainContrastiveLoss
from .chain_contrastive_loss import ChainContrastiveLoss
from .frame_pair_nt_xent import frame_pair_nt_xent
from .global_contrastive_loss import GlobalContrastiveLoss
from .multi_layer_loss import multi_layer_loss
from .pairwise_contrastive_loss import PairwiseContrastiveLoss

__all__ = [
    'DEFAULT_TEMPERATURE', 'BaseClipContrastiveLoss', 'ChainContrastiveLoss',
    'PairwiseContrastiveLoss', 'BrokenChainContrastiveLoss',
    'GlobalContrastiveLoss', 'frame_pair_nt_xent', 'multi_layer_loss',
    'filter_pseudo_negatives'
]
