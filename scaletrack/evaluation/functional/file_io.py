"""Reading and atomically writing the evaluation's JSON and text files."""
import json
import os
import os.path as osp
import tempfile
from typing import Any

__all__ = ['load_json_file', 'dump_json_atomic', 'write_text_atomic']


def load_json_file(path: str, what: str) -> Any:
    """Load a JSON file, naming ``what`` it should hold in any error.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not valid JSON.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} file {path!r} does not exist; check the path.')
    try:
        with open(path, 'r', encoding='utf-8') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f'{what} file {path!r} is not valid JSON ({err}); regenerate '
            'it or pass the right file.') from err


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same
    directory and ``os.replace``, so a reader never sees a partial file."""
    dirname = osp.dirname(osp.abspath(path))
    os.makedirs(dirname, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=dirname)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


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
