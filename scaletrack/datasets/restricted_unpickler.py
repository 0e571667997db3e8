"""Reading downloaded box files without running their code.

Public detection and proposal files come from the internet: MASA's are
plain pickles (``pickle.dump`` of a dict of numpy arrays, tensors or lists),
others are ``torch.save`` archives. A pickle can name any global and call it
while loading, so :func:`load_pickled_box_file` reads

* ``torch.save`` files (zip archive or torch's legacy format, recognised by
  content, not by extension) with ``torch.load(weights_only=True)``, torch's
  own restricted loader, and
* plain pickles with :class:`BoxFileUnpickler`, whose ``find_class`` admits
  only what such files contain: numpy array / dtype / scalar
  reconstruction, torch's tensor rebuild with its storages (through a
  ``weights_only`` loader, see :func:`_storage_from_bytes`), builtin
  containers and scalars and ``collections.OrderedDict``.

Anything else is refused with :class:`UnsafePickleError`, which names the
file and the global (``module.name``); the global is never imported.
"""
import collections
import io
import pickle
import re
import zipfile
from typing import Any, Callable, Dict, Tuple

import numpy as np
import torch

from ..utils.compat import register_checkpoint_safe_globals

__all__ = ['BoxFileUnpickler', 'UnsafePickleError', 'load_pickled_box_file']


class UnsafePickleError(ValueError):
    """A box file names a global the restricted loaders do not admit."""

    def __init__(self, path: str, global_name: str) -> None:
        self.path = path
        self.global_name = global_name
        super().__init__(
            f'refused to load {path}: it references the global '
            f'"{global_name}", which a detection / proposal file does not '
            'contain (only numpy arrays, tensors, lists, dicts and numbers '
            'are admitted). The file may run code when unpickled; do not '
            'load it with pickle.load. Re-export it with plain arrays.')


def _storage_from_bytes(data: bytes):
    """Stand-in for ``torch.storage._load_from_bytes``.

    ``pickle.dump`` of a tensor stores its storage as legacy ``torch.save``
    bytes that torch reloads with ``weights_only=False``; here they are
    reloaded with torch's restricted loader, on the CPU.
    """
    return torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)


def _numpy_core(module: str) -> Tuple[str, str]:
    """Both spellings of a numpy core module: numpy 1.x pickles name
    ``numpy.core.*``, numpy 2.x ``numpy._core.*``."""
    return (f'numpy.core.{module}', f'numpy._core.{module}')


def _allowed_globals() -> Dict[Tuple[str, str], Callable]:
    """``(module, name) -> object`` for every admitted global."""
    try:  # numpy 2.x
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray, numeric
    allowed = {
        ('numpy', 'ndarray'):
        np.ndarray,
        ('numpy', 'dtype'):
        np.dtype,
        # python 2-compatible bytes (pickle protocol < 3, numpy buffers)
        ('_codecs', 'encode'):
        _codecs_encode(),
        ('collections', 'OrderedDict'):
        collections.OrderedDict,
        ('torch._utils', '_rebuild_tensor'):
        torch._utils._rebuild_tensor,
        ('torch._utils', '_rebuild_tensor_v2'):
        torch._utils._rebuild_tensor_v2,
        ('torch.storage', '_load_from_bytes'):
        _storage_from_bytes,
    }
    for mod in _numpy_core('multiarray'):
        allowed[(mod, '_reconstruct')] = multiarray._reconstruct
        allowed[(mod, 'scalar')] = multiarray.scalar
    for mod in _numpy_core('numeric'):  # pickle protocol 5 arrays
        allowed[(mod, '_frombuffer')] = numeric._frombuffer
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25 dtype classes
    if dtypes is not None:
        for name in dir(dtypes):
            if name.endswith('DType'):
                allowed[('numpy.dtypes', name)] = getattr(dtypes, name)
    for obj in (set, frozenset, complex, bytearray, slice, range):
        allowed[('builtins', obj.__name__)] = obj
    return allowed


def _codecs_encode():
    import _codecs
    return _codecs.encode


_ALLOWED = None


class BoxFileUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` that admits only box-file content.

    Args:
        file: binary file object.
        path (str): the file's name, for the error message.
    """

    def __init__(self, file, path: str) -> None:
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        global _ALLOWED
        if _ALLOWED is None:
            _ALLOWED = _allowed_globals()
        obj = _ALLOWED.get((module, name))
        if obj is None:
            raise UnsafePickleError(self.path, f'{module}.{name}')
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(
            f'{self.path}: unexpected persistent id {pid!r} in a plain '
            'pickle')


#: First bytes of a zip archive (``torch.save`` since torch 1.6).
ZIP_MAGIC = b'PK\x03\x04'
_TORCH_GLOBAL = re.compile(r'GLOBAL ([\w.]+)')


def _torch_load(path: str) -> Any:
    """``torch.load(weights_only=True)``; a refused global is reported as
    :class:`UnsafePickleError`."""
    # numpy arrays inside torch.save files need numpy's reconstruction
    # functions on torch's allow-list (the project's one list of them)
    register_checkpoint_safe_globals()
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        found = _TORCH_GLOBAL.search(str(e))
        if found is None:
            raise
        raise UnsafePickleError(path, found.group(1)) from e


def load_pickled_box_file(path: str) -> Any:
    """Unpickle a box file, told apart by content.

    A zip archive is a ``torch.save`` file; a pickle whose first object is
    torch's magic number is a legacy ``torch.save`` file; both go through
    ``torch.load(weights_only=True)``. Anything else is a plain pickle, read
    by :class:`BoxFileUnpickler`.

    Raises:
        UnsafePickleError: the file references a global not admitted.
        Exception: whatever the unpickler raises on a corrupt file.
    """
    with open(path, 'rb') as f:
        if f.read(len(ZIP_MAGIC)) == ZIP_MAGIC and zipfile.is_zipfile(f):
            return _torch_load(path)
        f.seek(0)
        obj = BoxFileUnpickler(f, path).load()
    if isinstance(obj, int) and obj == torch.serialization.MAGIC_NUMBER:
        return _torch_load(path)  # legacy format: magic, version, ...
    return obj
