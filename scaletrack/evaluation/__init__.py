"""Evaluation: TETA (own implementation), ``TETAMetric`` and ``MOTMetric``
(HOTA/CLEAR/Identity through trackeval)."""
from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
