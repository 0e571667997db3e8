"""mmengine metrics registered in mmdet's METRICS registry."""
from .mot_metric import MOTMetric
from .teta_metric import TETAMetric

__all__ = ['TETAMetric', 'MOTMetric']
