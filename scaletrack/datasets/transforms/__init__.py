"""Data transforms: clip sampling, proposal loading, clip packing, public
detections."""
from .clip_frame_sample import (ClipFrameSample, random_clip_indices,
                                uniform_clip_indices)
from .load_frame_from_video import LoadFrameFromVideo
from .load_public_detections import LoadPublicDetections
from .load_track_proposals import PROPOSAL_INSTANCE_ID, LoadTrackProposals
from .pack_clip_inputs import PackClipInputs

__all__ = [
    'ClipFrameSample', 'uniform_clip_indices', 'random_clip_indices',
    'LoadTrackProposals', 'PROPOSAL_INSTANCE_ID', 'PackClipInputs',
    'LoadPublicDetections', 'LoadFrameFromVideo'
]
