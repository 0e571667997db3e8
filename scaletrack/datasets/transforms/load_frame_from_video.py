"""Decode a clip frame straight from its mp4 (no extracted JPEGs).

The alternative to ``LoadImageFromFile`` on frames written by
``tools/dataset_converters/sav_extract_frames.py``: ``SAVDataset(
frames_from='video')`` sets ``video_path`` (the mp4 next to the annotation
file, SA-V's layout) on every frame, and this transform decodes frame
``frame_index`` with mmcv's ``VideoReader`` (OpenCV's FFmpeg backend: a
seek to the preceding key frame, then decoding up to the frame). The
extracted JPEGs stay the default: docs/datasets.md gives the cost per clip
of both.
"""
from collections import OrderedDict

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.video import VideoReader
from mmdet.registry import TRANSFORMS

# Open videos kept per dataloader worker: a clip's frames come from one
# video, and a worker handles one clip at a time.
DEFAULT_MAX_OPEN_VIDEOS = 2
# Decoded frames cached per video by mmcv's VideoReader: a 10-frame clip.
READER_CACHE_FRAMES = 10


@TRANSFORMS.register_module()
class LoadFrameFromVideo(BaseTransform):
    """``results['img']`` = frame ``results['frame_index']`` of
    ``results['video_path']`` (BGR uint8, like ``LoadImageFromFile``).

    Args:
        to_float32 (bool): return a float32 image.
        max_open_videos (int): readers kept open in this process.
    """

    def __init__(self,
                 to_float32: bool = False,
                 max_open_videos: int = DEFAULT_MAX_OPEN_VIDEOS) -> None:
        self.to_float32 = to_float32
        self.max_open_videos = max_open_videos
        self._readers: 'OrderedDict[str, VideoReader]' = OrderedDict()

    def __getstate__(self):  # open readers do not pickle (spawned workers)
        state = self.__dict__.copy()
        state['_readers'] = OrderedDict()
        return state

    def _reader(self, path: str) -> VideoReader:
        if path in self._readers:
            self._readers.move_to_end(path)
            return self._readers[path]
        try:
            reader = VideoReader(path, cache_capacity=READER_CACHE_FRAMES)
        except FileNotFoundError as e:
            raise FileNotFoundError(
                f'video {path!r} not found; check the SA-V folder '
                "or use the extracted frames (frames_from='jpeg').") from e
        if not reader.opened or reader.frame_cnt <= 0:
            raise ValueError(
                f'video {path!r} cannot be decoded (corrupt or truncated).')
        self._readers[path] = reader
        while len(self._readers) > self.max_open_videos:
            self._readers.popitem(last=False)
        return reader

    def transform(self, results: dict) -> dict:
        path = results.get('video_path')
        if path is None:
            raise KeyError(
                "LoadFrameFromVideo needs 'video_path' in the data info: "
                "build SAVDataset with frames_from='video'.")
        index = int(results['frame_index'])
        reader = self._reader(path)
        img = reader.get_frame(index) if index < reader.frame_cnt else None
        if img is None:
            raise ValueError(
                f'frame {index} of video {path!r} cannot be decoded (the '
                f'video has {reader.frame_cnt} frames; truncated or corrupt).')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f'max_open_videos={self.max_open_videos})')
