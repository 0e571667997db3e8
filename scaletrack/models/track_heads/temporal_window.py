"""The temporal buffer ``F_temp`` of Eq. 7: past final-level maps of a video.

``temporal_feats [B, D, T, h, w]`` holds the final-level encoder maps of
the last ``T`` frames, oldest first, ending with the current frame. While
fewer than ``T`` frames exist, the oldest available frame is repeated at
the front, so the head always sees a window of ``T`` frames and training
(:func:`clip_temporal_windows`) and tracking (:class:`TemporalFeatureBuffer`)
build exactly the same windows. Past maps are stored, never recomputed.
"""
from collections import deque
from typing import Deque

import torch
from torch import Tensor

__all__ = ['clip_temporal_windows', 'TemporalFeatureBuffer']


def clip_temporal_windows(maps: Tensor, window: int) -> Tensor:
    """Causal windows for every frame of a clip processed as one batch.

    Args:
        maps: ``[T_clip, D, h, w]`` final-level maps of a clip, time order.
        window: T.

    Returns:
        ``[T_clip, D, T, h, w]``; row ``i`` holds frames
        ``max(0, i - T + 1 + j)`` for ``j = 0..T-1``: only frames ``<= i``.
    """
    if maps.dim() != 4:
        raise ValueError('clip_temporal_windows expects [T_clip, D, h, w], '
                         f'got {tuple(maps.shape)}')
    if window < 1:
        raise ValueError(f'window must be >= 1, got {window}')
    frames = torch.arange(maps.shape[0], device=maps.device)
    offsets = torch.arange(window, device=maps.device) - (window - 1)
    index = (frames[:, None] + offsets[None]).clamp(min=0)  # [T_clip, T]
    return maps[index].permute(0, 2, 1, 3, 4)


class TemporalFeatureBuffer:
    """Online ``F_temp`` for tracking: push one frame, get its window.

    Stores detached maps (tracking needs no gradients through the past).

    Args:
        window: T, the number of frames in every returned window.
    """

    def __init__(self, window: int) -> None:
        if window < 1:
            raise ValueError(f'window must be >= 1, got {window}')
        self.window = window
        self._maps: Deque[Tensor] = deque(maxlen=window)

    def __len__(self) -> int:
        return len(self._maps)

    def reset(self) -> None:
        """Forget all frames (call at the start of every video)."""
        self._maps.clear()

    def push(self, feat_map: Tensor) -> Tensor:
        """Add the current frame's map ``[B, D, h, w]``; return its window
        ``[B, D, T, h, w]`` (current frame last)."""
        if self._maps and self._maps[-1].shape != feat_map.shape:
            raise ValueError(
                'TemporalFeatureBuffer: map shape changed from '
                f'{tuple(self._maps[-1].shape)} to {tuple(feat_map.shape)} '
                'within a video; call reset() when a new video starts')
        self._maps.append(feat_map.detach())
        maps = list(self._maps)
        maps = [maps[0]] * (self.window - len(maps)) + maps
        return torch.stack(maps, dim=2)
