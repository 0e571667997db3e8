"""The temporal buffer of encoder maps used by temporal context fusion (Eq. 7).

At inference the buffer is state: each frame's final-level encoder map is
computed once, appended, and reused by the following frames; it is never
recomputed. During training a clip provides the buffer from its own earlier
frames (:func:`clip_temporal_windows`). Both follow one convention: the
window of frame t holds frames ``t-T+1 .. t`` (oldest first, current last);
before the video has T frames, the first frame is repeated. So a frame never
sees a later frame, and training and inference see the same layout.
"""
from collections import deque
from typing import Optional

import torch
from torch import Tensor


class TemporalFeatureBuffer:
    """A FIFO of the last ``window`` final-level maps of one video.

    Args:
        window (int): T, the number of frames in the window (current included).
    """

    def __init__(self, window: int) -> None:
        if window < 1:
            raise ValueError(f'temporal window must be >= 1, got {window}')
        self.window = window
        self._maps = deque(maxlen=window)

    def reset(self) -> None:
        self._maps.clear()

    def __len__(self) -> int:
        return len(self._maps)

    def push(self, featmap: Tensor) -> Tensor:
        """Store the current frame's map ``[B, D, h, w]`` (detached) and return
        the window ``[B, D, T, h, w]`` ending with it."""
        if self._maps and self._maps[-1].shape != featmap.shape:
            # A resolution change inside a video (frames of different sizes)
            # cannot share a buffer: restart it from this frame.
            self._maps.clear()
        self._maps.append(featmap.detach())
        return self.window_tensor()

    def window_tensor(self) -> Optional[Tensor]:
        if not self._maps:
            return None
        maps = list(self._maps)
        maps = [maps[0]] * (self.window - len(maps)) + maps
        return torch.stack(maps, dim=2)


def clip_temporal_windows(featmaps: Tensor, window: int) -> Tensor:
    """Temporal windows for every frame of a training clip.

    Args:
        featmaps (Tensor): ``[T_clip, D, h, w]`` final-level maps, in
            time order.
        window (int): T, the temporal window (current frame included).

    Returns:
        Tensor: ``[T_clip, D, window, h, w]``; entry ``t`` holds frames
        ``max(0, t-window+1+k)`` for ``k = 0..window-1``.
    """
    num = featmaps.size(0)
    t = torch.arange(num, device=featmaps.device)[:, None]
    k = torch.arange(window, device=featmaps.device)[None]
    idx = (t - (window - 1) + k).clamp(min=0)  # [T_clip, window]
    windows = featmaps[idx]  # [T_clip, window, D, h, w]
    return windows.permute(0, 2, 1, 3, 4).contiguous()
