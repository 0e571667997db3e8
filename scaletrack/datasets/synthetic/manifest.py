"""Per-split manifests: what was generated with which configuration, so a
re-run with the same arguments skips finished output and a run with other
arguments refuses to mix them into an existing folder."""
import os
import shutil
from typing import Iterable

from ...utils.file_io import load_json_file
from .atomic_io import atomic_write_json
from .config import SyntheticConfig

#: Bump when the generator's output changes for the same configuration, so
#: that stale data on disk is regenerated instead of silently reused.
#: 1.1: TAO public detections are plain pickles of numpy arrays (MASA's
#: format) instead of torch.save files.
GENERATOR_VERSION = '1.1'
MANIFEST_NAME = 'manifest.json'


def _record(kind: str, cfg: SyntheticConfig, complete: bool, extra=None):
    rec = dict(
        kind=kind,
        generator_version=GENERATOR_VERSION,
        config=cfg.to_dict(),
        complete=complete)
    if extra:
        rec.update(extra)
    return rec


def read_manifest(root: str):
    """The manifest dict of a split folder, or None if there is none."""
    path = os.path.join(root, MANIFEST_NAME)
    if not os.path.isfile(path):
        return None
    try:
        return load_json_file(path, 'synthetic data manifest')
    except (OSError, ValueError) as e:
        raise ValueError(f'{path} is not a readable manifest ({e}); delete '
                         'it or pass overwrite=True') from e


def _same(man, kind, cfg):
    return (man.get('kind') == kind
            and man.get('generator_version') == GENERATOR_VERSION
            and man.get('config') == cfg.to_dict())


def begin_split(root: str, kind: str, cfg: SyntheticConfig,
                owned: Iterable[str], overwrite: bool) -> bool:
    """Prepare ``root`` for writing a split.

    Returns True when the split is already complete with this exact
    configuration (nothing to do).  A folder holding another configuration
    raises ``FileExistsError`` unless ``overwrite``, in which case the
    sub-folders/files this split owns (``owned``, relative to root) are
    deleted first.  Otherwise an incomplete manifest is written (a re-run
    after an interruption regenerates the split).
    """
    man = read_manifest(root)
    if man is not None and _same(man, kind, cfg):
        if man.get('complete') and not overwrite:
            return True
    elif man is not None or (os.path.isdir(root) and os.listdir(root)):
        if not overwrite:
            what = ('another configuration'
                    if man is not None else 'files but no manifest')
            raise FileExistsError(
                f'{root} already holds {what}; choose an empty output '
                'folder or pass overwrite=True (--overwrite)')
        for rel in owned:
            p = os.path.join(root, rel)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.unlink(p)
    atomic_write_json(
        os.path.join(root, MANIFEST_NAME), _record(kind, cfg, complete=False))
    return False


def finish_split(root: str,
                 kind: str,
                 cfg: SyntheticConfig,
                 extra=None) -> None:
    """Mark the split complete (written last)."""
    atomic_write_json(
        os.path.join(root, MANIFEST_NAME),
        _record(kind, cfg, complete=True, extra=extra))
