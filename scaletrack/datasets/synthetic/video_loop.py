"""Run a per-video function over a split, optionally in worker processes,
with a progress bar; results come back in video order, so the output does
not depend on the number of workers."""
import multiprocessing
from typing import Callable, List, Sequence


class _NoProgress:

    def update(self, num_tasks: int = 1):
        pass


def _progress_bar(total: int, enabled: bool):
    if not enabled or total == 0:
        return _NoProgress()
    from mmengine.utils import ProgressBar
    return ProgressBar(total)


def map_videos(func: Callable,
               items: Sequence,
               num_workers: int = 0,
               progress: bool = False) -> List:
    """``[func(item) for item in items]``, in ``num_workers`` processes when
    > 1 (each video has its own seeded generator, so results are identical
    to a serial run)."""
    bar = _progress_bar(len(items), progress)
    if num_workers <= 1 or len(items) <= 1:
        out = []
        for item in items:
            out.append(func(item))
            bar.update()
        return out
    ctx = multiprocessing.get_context('fork')
    with ctx.Pool(min(num_workers, len(items))) as pool:
        out = []
        for res in pool.imap(func, items):
            out.append(res)
            bar.update()
    return out
