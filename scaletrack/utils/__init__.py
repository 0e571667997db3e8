from .checkpoint import (AtomicLocalBackend, CheckpointMismatchError,
                         checkpoint_problem, find_resumable_checkpoint,
                         load_checkpoint_checked)
from .compat import register_checkpoint_safe_globals
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'register_checkpoint_safe_globals',
    'AtomicLocalBackend', 'CheckpointMismatchError', 'checkpoint_problem',
    'find_resumable_checkpoint', 'load_checkpoint_checked'
]
