"""Where sampling runs: mmcv's compiled kernels or the gather path.

The one device policy of the sampling layers (deformable attention of the
encoder, box cross attention of the decoder, RoIAlign cells): a tensor on
CUDA goes to mmcv's CUDA kernels (``multi_scale_deformable_attn``,
``RoIAlign``) when mmcv was compiled with CUDA; anything else (CPU, or an
mmcv built without CUDA) takes the gather path of ``point_sampling``, which
computes the same numbers (the tests compare both).

Sampling mmcv has no kernel for stays on the gather path on every device:
the 3D (trilinear) sampling of the temporal fusion (Eq. 7) and the K
bilinear points of the spatial pooling (Eq. 4 offsets).
"""
from functools import lru_cache

from torch import Tensor

__all__ = ['use_mmcv_kernel']


@lru_cache(maxsize=None)
def _mmcv_cuda_ops() -> bool:
    """Whether mmcv's ``_ext`` was compiled with CUDA (asked once)."""
    from mmcv.ops import get_compiling_cuda_version
    return get_compiling_cuda_version() != 'not available'


def use_mmcv_kernel(tensor: Tensor) -> bool:
    """True: run mmcv's kernel on ``tensor``; False: the gather path."""
    return tensor.is_cuda and _mmcv_cuda_ops()
