from .public_detections_detector import (PublicDetectionsDetector,
                                         public_instances)
from .public_detections_with_features import PublicDetectionsWithFeatures

__all__ = [
    'PublicDetectionsDetector', 'PublicDetectionsWithFeatures',
    'public_instances'
]
