"""Checkpoints: atomic saving, readability before resume, fit to a model.

* :class:`AtomicLocalBackend` is mmengine's ``LocalBackend`` whose writes go
  through :func:`scaletrack.utils.file_io.atomic_write` (a temporary file in
  the same folder, then ``os.replace``). ``configs/_base_/default_runtime.py``
  gives it to the ``CheckpointHook`` (``backend_args=dict(
  backend='atomic_local')``); mmengine's ``save_checkpoint`` hands the whole
  serialised checkpoint to the backend's ``put``, so a run killed while
  saving leaves the previous checkpoint and ``last_checkpoint`` as they
  were, never a truncated file under the final name.
* :func:`find_resumable_checkpoint` is what ``tools/train.py --resume``
  resumes from: the newest checkpoint of the work dir that can be read,
  saying which newer ones it skipped and why.
* :func:`load_checkpoint_checked` loads a checkpoint into a model only if
  every tensor fits (used by ``tools/test.py``, the demo and the API).
"""
import logging
import os
import os.path as osp
import re
import zipfile
from typing import Dict, Iterable, List, Optional

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log

from .file_io import write_bytes_atomic, write_text_atomic

__all__ = [
    'AtomicLocalBackend', 'CheckpointMismatchError', 'checkpoint_problem',
    'find_resumable_checkpoint', 'load_checkpoint_checked'
]

#: Mismatches listed in an error message; the rest are counted.
MAX_LISTED = 5
_CKPT_NAME = re.compile(r'(epoch|iter)_(\d+)\.pth')


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put`` / ``put_text``."""

    def put(self, obj: bytes, filepath) -> None:
        write_bytes_atomic(str(filepath), obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        if encoding.lower().replace('-', '') != 'utf8':
            return super().put_text(obj, filepath, encoding)
        write_text_atomic(str(filepath), obj)


register_backend('atomic_local', AtomicLocalBackend, force=True)


class CheckpointMismatchError(ValueError):
    """A checkpoint whose tensors do not fit the model of a config."""


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be loaded as a checkpoint, or ``None`` if it can.

    A torch checkpoint is a zip archive; every member is read and its CRC
    checked, so a truncated or corrupted file is found without unpickling.
    A file in torch's legacy (non-zip) format is loaded to find out.
    """
    if not osp.isfile(path):
        return 'the file does not exist'
    if osp.getsize(path) == 0:
        return 'the file is empty'
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as z:
                bad = z.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            return f'corrupt zip archive ({err})'
        return None if bad is None else f'corrupt member {bad!r}'
    try:
        torch.load(path, map_location='cpu', weights_only=False)
    except Exception as err:  # any failure means: cannot be resumed from
        return (f'not a readable torch checkpoint ({type(err).__name__}: '
                f'{err}); it may be truncated by a kill during the save')
    return None


def _step_checkpoints(work_dir: str) -> List[str]:
    """``epoch_N.pth`` / ``iter_N.pth`` of ``work_dir``, newest first."""
    found = []
    for name in os.listdir(work_dir):
        m = _CKPT_NAME.fullmatch(name)
        if m:
            found.append((m.group(1) == 'iter', int(m.group(2)), name))
    return [osp.join(work_dir, n) for _, _, n in sorted(found, reverse=True)]


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest readable checkpoint of ``work_dir`` (``None``: none).

    ``last_checkpoint`` (mmengine's pointer) comes first, then the
    ``epoch_N`` / ``iter_N`` checkpoints by decreasing ``N``. Unreadable ones
    are skipped with a warning that names them.

    Raises:
        RuntimeError: checkpoints exist but none can be read.
    """
    if not osp.isdir(work_dir):
        return None
    candidates = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer, encoding='utf-8') as f:
            last = f.read().strip()
        if last:
            candidates.append(last)
    for path in _step_checkpoints(work_dir):
        if not any(osp.abspath(path) == osp.abspath(c) for c in candidates):
            candidates.append(path)
    skipped = []
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            if skipped:
                print_log(
                    'resume: skipped ' + '; '.join(f'{p} ({why})'
                                                   for p, why in skipped) +
                    f'. Resuming from the previous valid checkpoint {path}',
                    logger='current',
                    level=logging.WARNING)
            return path
        skipped.append((path, problem))
    if skipped:
        raise RuntimeError(
            f'resume: no checkpoint in {work_dir} can be read: ' +
            '; '.join(f'{p} ({why})' for p, why in skipped) +
            '. Remove them to train from scratch, or pass a good '
            'checkpoint to --resume')
    return None


def _state_dict(checkpoint) -> Dict[str, torch.Tensor]:
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise TypeError('no state_dict')
    # DDP-wrapped saves carry a "module." prefix (mmengine strips it too)
    return {re.sub(r'^module\.', '', k): v for k, v in state.items()}


# yapf: disable (yapf 0.43 indents this '= ()' signature against E125)
def load_checkpoint_checked(model: torch.nn.Module,
                            filename: str,
                            config: str = '<config>',
                            allow_missing: Iterable[str] = ()) -> dict:
    # yapf: enable
    """Load ``filename`` into ``model`` if, and only if, it fits.

    Every tensor of the model must be in the checkpoint with the same shape
    and the checkpoint may hold no other tensor, except that parameters
    under a prefix of ``allow_missing`` may be absent (e.g. ``'detector.'``
    when the detector's weights are loaded from their own file).

    Returns:
        dict: the loaded checkpoint (``meta`` etc.).

    Raises:
        FileNotFoundError / ValueError: the file is missing or unreadable.
        CheckpointMismatchError: naming the checkpoint, the config and the
            first mismatches.
    """
    from mmengine.runner.checkpoint import _load_checkpoint
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    try:
        checkpoint = _load_checkpoint(filename, map_location='cpu')
        state = _state_dict(checkpoint)
    except Exception as err:
        raise ValueError(
            f'checkpoint {filename} cannot be read ({type(err).__name__}: '
            f'{err}); it may be truncated or not a model checkpoint') from err
    own = model.state_dict()
    allow = tuple(allow_missing)
    missing = [k for k in own if k not in state and not k.startswith(allow)]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f'{k}: checkpoint {tuple(state[k].shape)} vs model '
        f'{tuple(own[k].shape)}' for k in own
        if k in state and hasattr(state[k], 'shape')
        and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or mismatched:
        parts = []
        for what, keys in (('shape mismatches', mismatched),
                           ('missing from the checkpoint', missing),
                           ('unexpected in the checkpoint', unexpected)):
            if keys:
                more = f' (+{len(keys) - MAX_LISTED} more)' \
                    if len(keys) > MAX_LISTED else ''
                parts.append(f'{len(keys)} {what}: ' +
                             ', '.join(keys[:MAX_LISTED]) + more)
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not fit the model of config '
            f'{config}: ' + '; '.join(parts) + '. Was it trained with '
            'another config?')
    model.load_state_dict(state, strict=False)
    return checkpoint if isinstance(checkpoint, dict) else {}
