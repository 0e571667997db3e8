"""Atomic writes for the files the data tools produce (annotations, caches)."""
import json
import os
import os.path as osp
import pickle
import tempfile
from typing import Any, Callable


def atomic_write(path: str, write: Callable[[Any], None], binary: bool = False) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then move it
    onto ``path`` with ``os.replace``: readers never see a partial file."""
    d = osp.dirname(osp.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix='.tmp_' + osp.basename(path))
    try:
        with os.fdopen(fd, 'wb' if binary else 'w') as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def dump_json_atomic(obj: Any, path: str) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    atomic_write(path, lambda f: json.dump(obj, f))


def dump_pickle_atomic(obj: Any, path: str) -> None:
    """Pickle ``obj`` to ``path`` atomically."""
    atomic_write(path, lambda f: pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL),
                 binary=True)
