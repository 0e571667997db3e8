"""Model-side helpers that are not modules."""
from .pseudo_negatives import filter_pseudo_negatives

__all__ = ['filter_pseudo_negatives']
