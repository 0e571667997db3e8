"""Issue 12: checkpoints saved atomically, checked before resume and before
they are loaded into a model; files follow the user's umask."""
import os
import os.path as osp
import stat
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import get_file_backend

from scaletrack.utils import (CheckpointMismatchError, checkpoint_problem,
                              find_resumable_checkpoint,
                              load_checkpoint_checked)
from scaletrack.utils.file_io import atomic_path, write_text_atomic

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RUNTIME_CFG = osp.join(ROOT, 'configs/_base_/default_runtime.py')
SYNTH_CFG = osp.join(
    ROOT, 'configs/scaletrack/synthetic/'
    'scaletrack_tiny-r18_1xb1-6e_synthetic.py')


@pytest.fixture
def umask():
    old = os.umask(0o022)
    os.umask(old)

    def set_(mask):
        os.umask(mask)

    yield set_
    os.umask(old)


@pytest.mark.parametrize('mask,mode', [(0o022, 0o644), (0o002, 0o664),
                                       (0o077, 0o600)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask, mode):
    """``open(path, 'w')`` gives ``0666 & ~umask``; the atomic writers gave
    0600 whatever the umask (tempfile.mkstemp)."""
    umask(mask)
    path = tmp_path / 'sub' / 'a.json'
    write_text_atomic(str(path), '{}')
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    with atomic_path(str(tmp_path / 'v.mp4'), keep_ext=True) as tmp:
        assert tmp.endswith('.tmp.mp4')
        open(tmp, 'wb').close()
    assert stat.S_IMODE(os.stat(tmp_path / 'v.mp4').st_mode) == mode


@pytest.mark.parametrize('mask,mode', [(0o022, 0o755), (0o077, 0o700)])
def test_result_folders_follow_the_umask(tmp_path, umask, mask, mode):
    """The all-or-nothing Scalabel results folder gets ``0777 & ~umask``, as
    ``os.makedirs`` would (``tempfile.mkdtemp`` made it 0700), and replaces
    a previous folder whole; a failed write leaves the previous one."""
    from scaletrack.evaluation.functional.scalabel_format import \
        write_scalabel_results
    umask(mask)
    out = tmp_path / 'scalabel'
    write_scalabel_results({'v1': [], 'v2': []}, str(out))
    assert stat.S_IMODE(os.stat(out).st_mode) == mode
    assert sorted(os.listdir(out)) == ['v1.json', 'v2.json']
    with pytest.raises(TypeError):
        write_scalabel_results({'v3': [object()]}, str(out))
    assert sorted(os.listdir(out)) == ['v1.json', 'v2.json']
    assert sorted(os.listdir(tmp_path)) == ['scalabel']


def _checkpoint_backend(path):
    hook = Config.fromfile(RUNTIME_CFG).default_hooks.checkpoint
    return get_file_backend(str(path), backend_args=hook.get('backend_args'))


def test_checkpoint_hook_writes_atomically(tmp_path):
    """The runtime config's CheckpointHook backend never leaves a partial
    file under the final name: a write that fails midway keeps the previous
    content (mmengine's LocalBackend truncated it to 0 bytes first)."""
    path = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': {'w': torch.ones(3)}}, str(path))
    good = path.read_bytes()
    backend = _checkpoint_backend(path)

    class Unwritable:
        """Not bytes: ``file.write`` raises after the file was opened."""

    with pytest.raises(TypeError):
        backend.put(Unwritable(), str(path))
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary left
    # and an ordinary save through mmengine's save_checkpoint works
    from mmengine.runner.checkpoint import save_checkpoint
    hook = Config.fromfile(RUNTIME_CFG).default_hooks.checkpoint
    save_checkpoint({'state_dict': {
        'w': torch.zeros(2)
    }},
                    str(tmp_path / 'epoch_2.pth'),
                    backend_args=hook.backend_args)
    assert checkpoint_problem(str(tmp_path / 'epoch_2.pth')) is None


def _save(path, value=1.0):
    torch.save({'state_dict': {'w': torch.full((1000, ), value)}}, str(path))


def _truncate(path, keep=0.5):
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:int(len(data) * keep)])


def test_checkpoint_problem(tmp_path):
    good, cut, empty = (tmp_path / n for n in ('g.pth', 'c.pth', 'e.pth'))
    _save(good)
    _save(cut)
    _truncate(cut)
    empty.write_bytes(b'')
    assert checkpoint_problem(str(good)) is None
    assert 'empty' in checkpoint_problem(str(empty))
    assert checkpoint_problem(str(cut)) is not None
    assert 'not exist' in checkpoint_problem(str(tmp_path / 'none.pth'))
    legacy = tmp_path / 'legacy.pth'
    torch.save({'w': torch.ones(2)},
               str(legacy),
               _use_new_zipfile_serialization=False)
    assert checkpoint_problem(str(legacy)) is None
    _truncate(legacy, 0.6)
    assert 'truncated' in checkpoint_problem(str(legacy))


def test_resume_skips_a_truncated_last_checkpoint(tmp_path, monkeypatch):
    work = tmp_path / 'work'
    work.mkdir()
    assert find_resumable_checkpoint(str(work)) is None  # nothing saved
    for e in (1, 2, 3):
        _save(work / f'epoch_{e}.pth', e)
    _truncate(work / 'epoch_3.pth')
    (work / 'epoch_2.pth').write_bytes(b'')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_3.pth'))
    import scaletrack.utils.checkpoint as ckpt_module
    logged = []
    monkeypatch.setattr(ckpt_module, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    got = find_resumable_checkpoint(str(work))
    assert got == str(work / 'epoch_1.pth')
    msg = ' '.join(logged)
    assert 'epoch_3.pth' in msg and 'epoch_2.pth' in msg
    assert f'previous valid checkpoint {work / "epoch_1.pth"}' in msg
    # a truncated last_checkpoint pointer (killed while writing it)
    (work / 'last_checkpoint').write_text('')
    assert find_resumable_checkpoint(str(work)) == str(work / 'epoch_1.pth')
    # nothing readable: an error naming every file
    _truncate(work / 'epoch_1.pth')
    with pytest.raises(
            RuntimeError,
            match=r'epoch_1\.pth.*epoch_2\.pth|'
            r'epoch_3\.pth.*epoch_1\.pth'):
        find_resumable_checkpoint(str(work))


class Small(torch.nn.Module):

    def __init__(self, width=4):
        super().__init__()
        self.head = torch.nn.Linear(width, 2)
        self.detector = torch.nn.Linear(2, 2)


def test_load_checkpoint_checked(tmp_path):
    src = Small()
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': src.state_dict(), 'meta': {'x': 1}}, str(path))
    dst = Small()
    ckpt = load_checkpoint_checked(dst, str(path), 'cfg.py')
    assert ckpt['meta'] == {'x': 1}
    assert torch.equal(dst.head.weight, src.head.weight)
    # a DDP-saved checkpoint ("module." prefix) fits too
    torch.save(
        {
            'state_dict': {
                f'module.{k}': v
                for k, v in src.state_dict().items()
            }
        }, str(tmp_path / 'ddp.pth'))
    load_checkpoint_checked(Small(), str(tmp_path / 'ddp.pth'), 'cfg.py')

    # another model: a shape mismatch, a missing and an unexpected tensor
    other = Small(width=8).state_dict()
    other.pop('detector.bias')
    other['extra.weight'] = torch.ones(1)
    torch.save({'state_dict': other}, str(tmp_path / 'other.pth'))
    before = dst.head.weight.clone()
    with pytest.raises(CheckpointMismatchError) as err:
        load_checkpoint_checked(dst, str(tmp_path / 'other.pth'), 'cfg.py')
    msg = str(err.value)
    assert 'other.pth' in msg and 'cfg.py' in msg
    assert 'head.weight: checkpoint (2, 8) vs model (2, 4)' in msg
    assert 'detector.bias' in msg and 'extra.weight' in msg
    assert torch.equal(dst.head.weight, before)  # nothing was loaded
    # the documented option: the detector may come from its own file
    part = Small().state_dict()
    part = {k: v for k, v in part.items() if not k.startswith('detector.')}
    torch.save({'state_dict': part}, str(tmp_path / 'assoc.pth'))
    with pytest.raises(CheckpointMismatchError, match='2 missing'):
        load_checkpoint_checked(Small(), str(tmp_path / 'assoc.pth'), 'c')
    load_checkpoint_checked(
        Small(),
        str(tmp_path / 'assoc.pth'),
        'c',
        allow_missing=('detector.', ))
    # unreadable
    _truncate(path)
    with pytest.raises(ValueError, match='ok.pth cannot be read'):
        load_checkpoint_checked(Small(), str(path), 'cfg.py')


def _other_model_checkpoint(path):
    """The synthetic model with 32-d embeddings instead of 64."""
    from mmdet.registry import MODELS
    cfg = Config.fromfile(SYNTH_CFG)
    cfg.model.track_head.out_channels = 32
    model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, str(path))


def test_api_refuses_a_checkpoint_of_another_model(tmp_path):
    from scaletrack.apis import init_tracker
    ckpt = tmp_path / 'other.pth'
    _other_model_checkpoint(ckpt)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'other\.pth does not fit .*synthetic\.py.*'
            r'shape mismatches: track_head\.'):
        init_tracker(SYNTH_CFG, str(ckpt))


def test_tools_test_refuses_a_checkpoint_of_another_model(tmp_path):
    """Before: exit 0 and metrics after many "size mismatch" log lines."""
    ckpt = tmp_path / 'other.pth'
    _other_model_checkpoint(ckpt)
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        CUDA_VISIBLE_DEVICES='',
        SCALETRACK_SYNTH_ROOT=str(tmp_path / 'no_data'))
    res = subprocess.run([
        sys.executable, 'tools/test.py', SYNTH_CFG,
        str(ckpt), '--work-dir',
        str(tmp_path / 'work')
    ],
                         cwd=ROOT,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert res.returncode != 0
    assert 'other.pth does not fit the model of config' in res.stderr
    assert SYNTH_CFG in res.stderr and 'track_head.' in res.stderr


@pytest.mark.slow
def test_tools_test_fitting_checkpoint_and_empty_frames(tmp_path):
    """tools/test.py with a checkpoint that fits (random weights, the
    Runner's layout) and a score threshold that empties most frames of the
    synthetic TAO video after tracks were made: it tracks through and
    writes the metrics (before: "embedding size 1 differs from the tracks'
    64" on the first empty frame)."""
    import json

    from mmdet.registry import MODELS

    from scaletrack.datasets.synthetic import generate_benchmark
    data = tmp_path / 'data'
    generate_benchmark(
        str(data),
        num_train_videos=1,
        num_val_videos=1,
        num_frames=6,
        height=96,
        width=128,
        splits=('tao_val', ))
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(SYNTH_CFG).model)
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, str(ckpt))
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        CUDA_VISIBLE_DEVICES='',
        SCALETRACK_SYNTH_ROOT=str(data))
    metrics = tmp_path / 'metrics.json'
    res = subprocess.run([
        sys.executable, 'tools/test.py', SYNTH_CFG,
        str(ckpt), '--work-dir',
        str(tmp_path / 'work'), '--metrics-out',
        str(metrics), '--cfg-options', 'model.tracker.score_thr=0.95'
    ],
                         cwd=ROOT,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=600)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert 'does not fit' not in res.stdout + res.stderr
    got = json.load(open(metrics))
    assert got  # the evaluators ran and reported
