"""Compatibility of mmengine 0.10.7 checkpoints with torch >= 2.6.

torch 2.6 made ``torch.load(..., weights_only=True)`` the default. mmengine
0.10.7 calls ``torch.load`` without the argument, and the checkpoints that
its Runner saves hold more than tensors: the message hub's ``HistoryBuffer``
objects, numpy arrays and scalars in the logged scalars, the ``ConfigDict``
meta. Loading them (``--resume``, ``load_from``, ``init_cfg=Pretrained``)
then fails with "Unsupported global".

The fix here is narrow and keeps torch's safe loader:

1. it adds exactly the classes and functions that mmengine writes into a
   checkpoint to torch's allow-list (``torch.serialization.add_safe_globals``);
2. ``HistoryBuffer.__getstate__`` pickled its four built-in statistics
   methods (min, max, current, mean) as ``builtins.getattr(HistoryBuffer,
   'min')``. Allow-listing ``getattr`` would open the safe loader to any
   attribute of any object, so instead the state now leaves those four out:
   ``HistoryBuffer.__setstate__`` re-registers them itself, so nothing is
   lost (custom methods registered with ``register_statistics`` are still
   saved).

No environment variable is needed, and a checkpoint carrying any other
object still fails loudly as torch intends. Checkpoints written by mmengine
without this module (they contain ``getattr``) must be loaded once with
``weights_only=False`` by a user who trusts them.
"""
import collections

import numpy as np
import torch

__all__ = ['MMENGINE_CHECKPOINT_GLOBALS', 'register_checkpoint_safe_globals']


def _numpy_globals():
    """Numpy objects that pickled arrays and scalars reference."""
    objs = [np.ndarray, np.dtype, np.generic]
    try:  # numpy 2.x
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    objs += [_reconstruct, scalar]
    # dtype classes (numpy.dtypes.Float64DType, ...) are pickled by numpy>=1.25
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        objs += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    # numpy scalar types such as np.float64 appear in logged values
    objs += [
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.bool_
    ]
    return objs


def _mmengine_globals():
    objs = []
    from mmengine.logging import HistoryBuffer
    objs.append(HistoryBuffer)
    from mmengine.config import ConfigDict
    objs.append(ConfigDict)
    return objs


_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getstate(self) -> dict:
    """State of a HistoryBuffer without the built-in statistics methods."""
    state = dict(self.__dict__)
    custom = {
        k: v
        for k, v in self._statistics_methods.items()
        if k not in _DEFAULT_STATISTICS
    }
    state['statistics_methods'] = custom
    return state


def _patch_history_buffer():
    from mmengine.logging import HistoryBuffer
    if getattr(HistoryBuffer.__getstate__, '_scaletrack', False):
        return
    _history_buffer_getstate._scaletrack = True
    HistoryBuffer.__getstate__ = _history_buffer_getstate


MMENGINE_CHECKPOINT_GLOBALS = None


def register_checkpoint_safe_globals():
    """Allow-list what mmengine's Runner writes into checkpoints (idempotent).

    Returns the list of objects registered.
    """
    global MMENGINE_CHECKPOINT_GLOBALS
    if MMENGINE_CHECKPOINT_GLOBALS is not None:
        return MMENGINE_CHECKPOINT_GLOBALS
    add = getattr(torch.serialization, 'add_safe_globals', None)
    objs = [collections.OrderedDict, collections.defaultdict]
    objs += _numpy_globals() + _mmengine_globals()
    if add is not None:  # torch < 2.4 has no allow-list and no problem
        add(objs)
    _patch_history_buffer()
    MMENGINE_CHECKPOINT_GLOBALS = objs
    return objs


register_checkpoint_safe_globals()
