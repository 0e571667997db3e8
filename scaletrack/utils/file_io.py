"""Atomic writes and checked JSON reads, shared by the package and tools.

Every file the project writes goes through :func:`atomic_write`: the content
goes to a temporary file in the target folder, which then replaces the
target with ``os.replace``, so a reader never sees a half-written file and
an interrupted run leaves no truncated output (the temporary file is
removed on any error, which is re-raised).
"""
import json
import os
import os.path as osp
import pickle
import shutil
import tempfile
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterator, Optional

from mmengine import fileio

__all__ = [
    'temporary_path', 'atomic_path', 'atomic_dir', 'atomic_write',
    'write_bytes_atomic', 'write_text_atomic', 'dump_json_atomic',
    'dump_pickle_atomic', 'torch_save_atomic', 'load_json_file'
]


def _umask() -> int:
    """The process umask (reading it means setting it; set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def temporary_path(path: str, keep_ext: bool = False) -> Iterator[str]:
    """Yield a new, empty temporary file next to ``path`` (parent folders
    are created), named ``.<name>.<random>.tmp``; it is removed when the
    block ends unless it was moved away. ``keep_ext`` ends the name with
    ``path``'s extension, for writers that choose the format from it (e.g.
    ``cv2.VideoWriter``). Also a probe that ``path``'s folder is writable.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = '.tmp' + (osp.splitext(path)[1] if keep_ext else '')
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


@contextmanager
def atomic_path(path: str, keep_ext: bool = False) -> Iterator[str]:
    """Yield a temporary path next to ``path`` (:func:`temporary_path`) for
    any writer; when the block ends without error it replaces ``path``,
    else it is removed.

    ``tempfile.mkstemp`` creates its file with mode 0600; the file gets the
    mode an ordinary ``open(path, 'w')`` would give (``0666 & ~umask``)
    before it is moved into place, so outputs follow the user's umask.
    """
    with temporary_path(path, keep_ext) as tmp:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)


@contextmanager
def atomic_dir(path: str) -> Iterator[str]:
    """Yield a new temporary folder next to ``path`` to fill; when the
    block ends without error it replaces ``path`` (a previous folder there
    is removed), else it is removed: all or nothing. The folder gets the
    mode an ordinary ``os.makedirs`` would give (``0777 & ~umask``;
    ``tempfile.mkdtemp`` makes it 0700)."""
    path = osp.abspath(path)
    parent = osp.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(path)}.', dir=parent)
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if osp.isdir(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_write(path: str,
                 write: Callable[[IO], Any],
                 binary: bool = False) -> None:
    """Call ``write(file)`` on a temporary file next to ``path`` (parent
    folders are created), then move it onto ``path``."""
    with atomic_path(path) as tmp:
        with open(tmp, 'wb' if binary else 'w',
                  **({} if binary else dict(encoding='utf-8'))) as f:
            write(f)


def write_bytes_atomic(path: str, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data), binary=True)


def write_text_atomic(path: str, text: str) -> None:
    atomic_write(path, lambda f: f.write(text))


def _nan_to_none(obj: Any) -> Any:
    """Strict JSON has no NaN: undefined figures are written as null."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    return obj


def dump_json_atomic(obj: Any, path: str, indent: int = None) -> None:
    """Dump ``obj`` as strict JSON (NaN -> null) to ``path`` atomically."""
    write_text_atomic(
        path, json.dumps(_nan_to_none(obj), indent=indent, allow_nan=False))


def dump_pickle_atomic(obj: Any, path: str) -> None:
    atomic_write(
        path,
        lambda f: pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL),
        binary=True)


def torch_save_atomic(obj: Any, path: str) -> None:
    import torch
    atomic_write(path, lambda f: torch.save(obj, f), binary=True)


def load_json_file(path: str,
                   what: str = 'JSON',
                   backend_args: Optional[dict] = None) -> Any:
    """Load a JSON file through ``mmengine.fileio`` (local paths and any
    backend ``backend_args`` selects, e.g. s3 / petrel), naming ``what`` it
    should hold in any error.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not valid UTF-8 JSON.
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
    except IsADirectoryError as err:
        raise FileNotFoundError(
            f'{what} file {path!r} is a folder; give the JSON file in '
            'it.') from err
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f'{what} file {path!r} does not exist; check the path (data_root '
            '/ ann_file in a config, or run the dataset converter, '
            'docs/datasets.md).') from err
    try:
        return json.loads(data.decode('utf-8'))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f'{what} file {path!r} is not valid JSON ({err}); regenerate '
            'it or pass the right file.') from err
