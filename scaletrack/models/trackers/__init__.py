"""Trackers: the per-video track memory and association step."""
from .scaletrack_tracker import ScaleTrackTracker

__all__ = ['ScaleTrackTracker']
