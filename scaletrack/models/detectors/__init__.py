from .public_detections_detector import (PublicDetectionsDetector,
                                         public_instances)

__all__ = ['PublicDetectionsDetector', 'public_instances']
