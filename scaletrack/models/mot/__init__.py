from .scaletrack import ScaleTrack
from .temporal_buffer import TemporalFeatureBuffer, clip_temporal_windows

__all__ = ['ScaleTrack', 'TemporalFeatureBuffer', 'clip_temporal_windows']
