"""Trackers: the per-video track memory and association step."""
from .batched_kalman import BatchedKalmanFilter
from .scaletrack_tracker import ScaleTrackTracker

__all__ = ['BatchedKalmanFilter', 'ScaleTrackTracker']
