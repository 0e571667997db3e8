from .palette import id_color
from .track_visualizer import ScaleTrackVisualizer

__all__ = ['ScaleTrackVisualizer', 'id_color']
