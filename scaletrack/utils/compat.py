"""Compatibility of mmengine 0.10.7 checkpoints with torch >= 2.6.

torch 2.6 made ``torch.load(..., weights_only=True)`` the default. mmengine
0.10.7 calls ``torch.load`` without the argument, and the checkpoints that
its Runner saves hold more than tensors: the message hub's ``HistoryBuffer``
objects, numpy arrays and scalars in the logged scalars, the ``ConfigDict``
meta. Loading them (``--resume``, ``load_from``, ``init_cfg=Pretrained``)
then fails with "Unsupported global".

The fix here is narrow and keeps torch's safe loader: it adds exactly the
classes and functions that mmengine itself writes into a checkpoint to
torch's allow-list (``torch.serialization.add_safe_globals``). Nothing is
patched, no environment variable is needed, and a checkpoint carrying any
other object still fails loudly as torch intends.
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
    MMENGINE_CHECKPOINT_GLOBALS = objs
    return objs


register_checkpoint_safe_globals()
