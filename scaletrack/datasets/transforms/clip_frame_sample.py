"""Sample a training clip of N frames from a whole video."""
import random
from functools import partial
from typing import Dict, List, Optional

from mmdet.datasets.transforms import BaseFrameSample
from mmdet.registry import TRANSFORMS

# Table 5: chain length 10 is the setting of the main model (Appendix A.1:
# "each clip consisting of 10 uniformly sampled frames").
DEFAULT_NUM_FRAMES = 10


def uniform_clip_indices(video_length: int,
                         num_frames: int,
                         rng=random) -> List[int]:
    """``num_frames`` evenly spaced frame indices spread over the whole video.

    The stride is the integer ``video_length // num_frames`` (a constant frame
    rate, like frames arriving at test time, Table 19) and the start is drawn
    uniformly from ``[0, video_length - 1 - (num_frames - 1) * stride]``, so
    the clip spans at least ``(num_frames - 1) / num_frames`` of the video.
    Videos shorter than ``num_frames`` give all their frames.
    """
    if video_length <= num_frames:
        return list(range(video_length))
    stride = video_length // num_frames
    last_start = video_length - 1 - (num_frames - 1) * stride
    start = rng.randint(0, last_start)
    return [start + k * stride for k in range(num_frames)]


def stride_clip_indices(video_length: int,
                        num_frames: int,
                        frame_stride: int,
                        rng=random) -> List[int]:
    """``num_frames`` frames exactly ``frame_stride`` frames apart, random
    start: a fixed temporal gap between chain links whatever the video's
    length (issue 16's temporal-gap experiment). A video too short for
    that gives the longest such clip that fits."""
    n = min(num_frames, (video_length - 1) // frame_stride + 1)
    start = rng.randint(0, video_length - 1 - (n - 1) * frame_stride)
    return [start + k * frame_stride for k in range(n)]


def random_clip_indices(video_length: int,
                        num_frames: int,
                        rng=random) -> List[int]:
    """``num_frames`` distinct frames at random positions, in time order."""
    if video_length <= num_frames:
        return list(range(video_length))
    return sorted(rng.sample(range(video_length), num_frames))


@TRANSFORMS.register_module()
class ClipFrameSample(BaseFrameSample):
    """Sample a clip of ``num_frames`` frames (in time order) from a video.

    Args:
        num_frames (int): clip length N (the chain length, Table 5).
        sampling (str): ``'uniform'``: evenly spaced with a random start
            (:func:`uniform_clip_indices`, the better one in Table 19);
            ``'random'``: distinct random frames, sorted; ``'stride'``:
            frames ``frame_stride`` apart (:func:`stride_clip_indices`).
        frame_stride (int, optional): the gap of ``sampling='stride'``, in
            the video's (annotated) frames; required by it, refused by the
            others.
        key_frames (str): how ``key_frame_flags`` is set. ``PackTrackInputs``
            only turns the flags into ``key_frames_inds`` / ``ref_frames_inds``
            metainfo. ``'all'`` (default): every frame is a key frame, as the
            chain loss treats all frames alike; ``'first'``: only frame 0,
            the others are reference frames (what QDTrack-style models that
            read ``key_frames_inds[0]`` / ``ref_frames_inds[0]`` need).
        collect_video_keys (list[str]): video-level keys copied to each frame.

    Videos shorter than N give all their frames (a shorter clip, never
    repeated frames: a repeated frame would be a trivially easy positive).
    A ``key_frame_id`` set by an image-level sampler is ignored: the clip is
    always drawn from the whole video.
    """

    SAMPLERS = dict(
        uniform=uniform_clip_indices,
        random=random_clip_indices,
        stride=stride_clip_indices)

    def __init__(self,
                 num_frames: int = DEFAULT_NUM_FRAMES,
                 sampling: str = 'uniform',
                 frame_stride: Optional[int] = None,
                 key_frames: str = 'all',
                 collect_video_keys: List[str] = ['video_id', 'video_length']):
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(
                f'num_frames must be a positive int, got {num_frames!r}')
        if sampling not in self.SAMPLERS:
            raise ValueError(
                f'sampling must be one of {tuple(self.SAMPLERS)}, got '
                f'{sampling!r}')
        if (sampling == 'stride') != (frame_stride is not None):
            raise ValueError(
                "frame_stride goes with sampling='stride' and only with it; "
                f'got sampling={sampling!r}, frame_stride={frame_stride!r}')
        if frame_stride is not None and (not isinstance(frame_stride, int)
                                         or frame_stride < 1):
            raise ValueError(
                f'frame_stride must be a positive int, got {frame_stride!r}')
        if key_frames not in ('all', 'first'):
            raise ValueError(
                f"key_frames must be 'all' or 'first', got {key_frames!r}")
        self.num_frames = num_frames
        self.sampling = sampling
        self.frame_stride = frame_stride
        self.key_frames = key_frames
        super().__init__(collect_video_keys=collect_video_keys)

    def sample_indices(self, video_length: int) -> List[int]:
        sampler = self.SAMPLERS[self.sampling]
        if self.frame_stride is not None:
            sampler = partial(sampler, frame_stride=self.frame_stride)
        return sampler(video_length, self.num_frames)

    def transform(self, video_infos: dict) -> Optional[Dict[str, List]]:
        length = video_infos['video_length']
        if length < 1:
            raise ValueError(
                f"video {video_infos.get('video_id')!r} has no frames")
        inds = self.sample_indices(length)
        results = self.prepare_data(video_infos, inds)
        if self.key_frames == 'all':
            results['key_frame_flags'] = [True] * len(inds)
        else:
            results['key_frame_flags'] = [i == 0 for i in range(len(inds))]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'sampling={self.sampling!r}, '
                f'frame_stride={self.frame_stride}, '
                f'key_frames={self.key_frames!r}, '
                f'collect_video_keys={self.collect_video_keys})')
