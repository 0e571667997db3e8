"""ScaleTrack: a learned appearance-association module for open-world MOT.

Importing the package registers all of its modules into mmdet's registries
(MODELS, DATASETS, TRANSFORMS, METRICS, ...), so configs only need
``custom_imports=dict(imports=['scaletrack'])`` with ``default_scope='mmdet'``.
"""
# The shim is installed before the subpackages are imported.
# isort: off
from .version import __version__, version_info
from .utils import compat  # noqa: F401  (torch>=2.6 checkpoint loading shim)
from . import datasets, evaluation, models, visualization  # noqa: F401,E402
# isort: on

__all__ = ['__version__', 'version_info']
