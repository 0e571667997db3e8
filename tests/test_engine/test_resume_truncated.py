"""Issue 12: ``tools/train.py --resume`` on a work dir whose last
checkpoint is truncated continues from the previous valid one, saying so;
``--resume FILE`` with an unreadable FILE names it (before: torch's "failed
finding central directory" traceback without the file name)."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from test_resume_train import deterministic_cfg_options

from scaletrack.utils import checkpoint_problem

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH_CFG = osp.join(
    ROOT, 'configs/scaletrack/synthetic/'
    'scaletrack_tiny-r18_1xb1-6e_synthetic.py')
TIMEOUT_S = 400


def train(work_dir, env, *extra, max_epochs):
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), SYNTH_CFG, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *deterministic_cfg_options(),
        f'train_cfg.max_epochs={max_epochs}'
    ]
    res = subprocess.run(
        cmd,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S)
    return res.returncode, res.stdout + res.stderr


def truncate(path, keep=0.5):
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:int(len(data) * keep)])


@pytest.mark.slow
def test_resume_skips_truncated_last_checkpoint(tmp_path):
    from scaletrack.datasets.synthetic import generate_benchmark
    data = tmp_path / 'data'
    generate_benchmark(
        str(data),
        num_train_videos=1,
        num_frames=4,
        height=128,
        width=128,
        splits=('sav_train', ))
    env = dict(
        os.environ,
        SCALETRACK_SYNTH_ROOT=str(data),
        PYTHONPATH=ROOT,
        CUDA_VISIBLE_DEVICES='')
    work = tmp_path / 'work'
    rc, out = train(work, env, max_epochs=1)
    assert rc == 0, out[-4000:]
    ckpt1, ckpt2 = work / 'epoch_1.pth', work / 'epoch_2.pth'
    assert checkpoint_problem(str(ckpt1)) is None
    # a checkpoint cut by a kill mid-save, under its final name, pointed at
    # by last_checkpoint (what a non-atomic save leaves)
    shutil.copy(ckpt1, ckpt2)
    truncate(ckpt2)
    (work / 'last_checkpoint').write_text(str(ckpt2))

    # an explicit unreadable checkpoint: an error naming it, no training
    rc, out = train(work, env, '--resume', str(ckpt2), max_epochs=2)
    assert rc != 0
    assert f'--resume {ckpt2}: cannot resume from this file' in out

    rc, out = train(work, env, '--resume', max_epochs=2)
    assert rc == 0, out[-4000:]
    assert f'skipped {ckpt2}' in out
    assert f'previous valid checkpoint {ckpt1}' in out
    assert 'resumed epoch: 1' in out
    # epoch 2 was trained and saved again, readable this time
    assert checkpoint_problem(str(ckpt2)) is None
    assert (work / 'last_checkpoint').read_text().strip() == str(ckpt2)
