from .inference import (FrameResult, build_inference_pipeline, init_tracker,
                        iter_frames, track_video)

__all__ = [
    'FrameResult', 'build_inference_pipeline', 'init_tracker', 'iter_frames',
    'track_video'
]
