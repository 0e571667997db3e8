"""Issue 12: demo/video_demo.py checks its arguments and outputs before it
tracks a frame, survives empty frames, and exits non-zero on failure."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH_CFG = 'configs/scaletrack/synthetic/' \
    'scaletrack_tiny-r18_1xb1-6e_synthetic.py'


def load_demo():
    spec = importlib.util.spec_from_file_location(
        'video_demo', osp.join(ROOT, 'demo/video_demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """A synthetic TAO-style video: frames folder and its public dets."""
    from scaletrack.datasets.synthetic import generate_benchmark
    root = tmp_path_factory.mktemp('synth')
    generate_benchmark(
        str(root / 'data'),
        num_train_videos=1,
        num_val_videos=1,
        num_frames=6,
        height=96,
        width=128,
        splits=('tao_val', ))
    base = osp.join(str(root / 'data'), 'tao_val')
    name = sorted(os.listdir(osp.join(base, 'frames')))[0]
    return (osp.join(base, 'frames', name), osp.join(base, 'detections', name))


@pytest.fixture
def no_tracking(monkeypatch):
    """The demo module with model building forbidden: a check that comes
    after it would fail the test."""
    demo = load_demo()

    def forbidden(*a, **k):
        raise AssertionError('the demo started to build the model / track')

    monkeypatch.setattr(demo, 'init_tracker', forbidden)
    monkeypatch.setattr(demo, 'track_video', forbidden)
    return demo


@pytest.mark.parametrize('extra,msg', [
    (['--out', '{d}/result.json'], '--out .*must end with .mp4'),
    (['--out', '{d}/result'], '--out .*must end with .mp4'),
    (['--out-json', '{d}/r.txt'], '--out-json .*must end with .json'),
    (['--out-mot', '{d}/r.json'], '--out-mot .*must end with .txt'),
    (['--out-json', '{d}/r.json', '--score-thr', 'nan'], 'score-thr'),
    (['--out-json', '{d}/r.json', '--score-thr', '1.5'], 'score-thr'),
    (['--out-json', '{d}/r.json', '--score-thr', '-0.1'], 'score-thr'),
    (['--out-json', '{d}/r.json', '--fps', '0'], '--fps'),
    (['--out', '{d}/a.mp4', '--out-json', '{d}/a.mp4'], 'must end|same'),
])
def test_bad_arguments_fail_before_tracking(no_tracking, video, tmp_path,
                                            capsys, extra, msg):
    frames, dets = video
    extra = [a.format(d=tmp_path / 'out') for a in extra]
    rc = no_tracking.main(
        [frames, '--config', SYNTH_CFG, '--public-dets', dets] + extra)
    assert rc == 2
    import re
    assert re.search(msg, capsys.readouterr().err)
    assert not (tmp_path / 'out').exists() or \
        os.listdir(tmp_path / 'out') == []  # no 0-byte output


def test_unwritable_output_folder_fails_before_tracking(
        no_tracking, video, tmp_path, capsys):
    """A folder that cannot be created (a file is in the way; chmod would
    not stop root) is reported before the video is tracked."""
    frames, dets = video
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    rc = no_tracking.main([
        frames, '--config', SYNTH_CFG, '--public-dets', dets, '--out-mot',
        str(blocker / 'sub/r.txt')
    ])
    assert rc == 2
    assert 'cannot write into' in capsys.readouterr().err


def test_empty_frames_track_through(video, tmp_path):
    """Issue 12's reproduction: --score-thr 0.95 leaves frames without a
    detection between frames with tracks; the demo used to stop with
    "embedding size 1 differs from the tracks' 64"."""
    frames, dets = video
    # the scenario must really occur in this video: a frame with a
    # detection >= 0.95, later a frame without any
    from scaletrack.datasets.public_detections import MASADetections
    reader = MASADetections(root=dets, img_root=frames)
    names = sorted(os.listdir(frames))
    best = [
        float(
            max(reader.get(osp.join(frames, n), None, i, None)['scores'],
                default=0)) for i, n in enumerate(names)
    ]
    first = next(i for i, s in enumerate(best) if s >= 0.95)
    assert any(s < 0.95 for s in best[first + 1:]), best
    out = tmp_path / 'o'
    rc = load_demo().main([
        frames, '--config', SYNTH_CFG, '--public-dets', dets, '--score-thr',
        '0.95', '--out',
        str(out / 'v.mp4'), '--out-json',
        str(out / 'r.json'), '--out-mot',
        str(out / 'r.txt')
    ])
    assert rc == 0
    rows = json.load(open(out / 'r.json'))
    assert rows and all(r['score'] >= 0.95 for r in rows)
    assert sorted(os.listdir(out)) == ['r.json', 'r.txt', 'v.mp4']


def test_cli_exit_codes(video, tmp_path):
    """Usage errors exit 2; a failure while running (here a checkpoint of
    another model) exits 1 with a one-line error, no traceback."""
    frames, dets = video
    env = dict(os.environ, PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES='')
    base = [
        sys.executable, 'demo/video_demo.py', frames, '--config', SYNTH_CFG,
        '--public-dets', dets
    ]
    res = subprocess.run(
        base + ['--out', str(tmp_path / 'x.json')],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    assert res.returncode == 2 and 'must end with' in res.stderr
    ckpt = tmp_path / 'other.pth'
    torch.save({'state_dict': {'foo.weight': torch.ones(1)}}, str(ckpt))
    res = subprocess.run(
        base +
        ['--checkpoint',
         str(ckpt), '--out-json',
         str(tmp_path / 'r.json')],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    assert res.returncode == 1
    assert 'other.pth does not fit' in res.stderr
    assert 'Traceback' not in res.stderr
    assert not (tmp_path / 'r.json').exists()
