"""Issue 16: tools/analysis_tools/embedding_probe.py (embedding context
probe): ridge CV R^2, the pixel swap, the whole-frame shift, the CLI."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools/analysis_tools/embedding_probe.py')
SYNTH_CFG = 'configs/scaletrack/synthetic/' \
    'scaletrack_tiny-r18_1xb1-6e_synthetic.py'


@pytest.fixture(scope='module')
def probe():
    spec = importlib.util.spec_from_file_location('embedding_probe', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ridge_r2_exactly_linear_target_is_one(probe):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 16)
    X /= np.linalg.norm(X, axis=1, keepdims=True)  # as the embeddings
    Y = X @ rng.randn(16, 3) + np.array([5.0, -2.0, 0.3])
    r2, alpha = probe.ridge_cv_r2(X, Y, np.random.RandomState(1))
    assert r2.shape == (3, ) and np.all(r2 > 0.999)
    assert set(alpha) <= set(probe.ALPHAS)


def test_ridge_r2_independent_noise_is_near_zero(probe):
    # in-sample least squares would reach R^2 ~ 40 / 100 here; held-out
    # folds must not
    rng = np.random.RandomState(0)
    X = rng.randn(100, 40)
    Y = rng.randn(100, 3)
    r2, _ = probe.ridge_cv_r2(X, Y, np.random.RandomState(1))
    assert np.all(r2 <= 0.1)


def test_ridge_too_few_boxes_is_an_error(probe):
    with pytest.raises(ValueError, match='at least 5'):
        probe.ridge_cv_r2(
            np.ones((3, 2)), np.ones((3, 1)), np.random.RandomState(0))


def test_box_targets_by_hand(probe):
    t = probe.box_targets(np.array([[10., 20., 30., 60.]]), 100, 200)
    # centre (20, 40) / (100, 200); log sqrt(20 * 40) = 0.5 log 800
    np.testing.assert_allclose(t, [[0.2, 0.2, 0.5 * np.log(800.0)]])


def test_swap_puts_each_box_resized_into_the_other(probe):
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (30, 40, 3)).astype(np.uint8)
    a, b = [2, 3, 8, 7], [20, 10, 32, 18]  # 6x4 and 12x8 px (xyxy)
    # A: left half red-ish, right half blue-ish (3 px each); B: one colour
    img[3:7, 2:5] = (0, 0, 200)
    img[3:7, 5:8] = (200, 0, 0)
    img[10:18, 20:32] = (7, 77, 177)
    out = probe.swap_pixels(img, a, b)
    # B's box holds A's pixels, 2x: the outer 5 columns of each half are
    # that half's colour (bilinear mixes only the 2 columns at the seam)
    assert np.all(out[10:18, 20:25] == (0, 0, 200))
    assert np.all(out[10:18, 27:32] == (200, 0, 0))
    # A's box holds B's single colour
    assert np.all(out[3:7, 2:8] == (7, 77, 177))
    # nothing else changed, and the input is untouched
    mask = np.ones(img.shape[:2], bool)
    mask[3:7, 2:8] = mask[10:18, 20:32] = False
    assert np.array_equal(out[mask], img[mask])
    assert np.all(img[10:18, 20:32] == (7, 77, 177))


def test_swap_pairs_skip_overlapping_boxes(probe):
    boxes = [[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 30],
             [40, 40, 40, 45]]  # the last is empty
    pairs = probe.swap_pairs(boxes, 10, np.random.RandomState(0))
    assert sorted(pairs) == [(0, 2), (1, 2)]
    assert len(probe.swap_pairs(boxes, 1, np.random.RandomState(0))) == 1


def test_int_box_rounds_and_clips(probe):
    assert probe.int_box([-3.2, 4.6, 50.5, 19.4], 40, 30) == [0, 5, 40, 19]


def test_shift_image_moves_down_right_and_pads(probe):
    img = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    out = probe.shift_image(img, 2, (104, 116, 124))
    assert np.array_equal(out[2:, 2:], img[:3, :4])
    assert np.all(out[:2] == (104, 116, 124))
    assert np.all(out[:, :2] == (104, 116, 124))


def test_train_pad_colour_from_the_config(probe):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, SYNTH_CFG))
    assert tuple(probe.train_pad_colour(cfg)) == (104, 116, 124)


def run_tool(args):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, TOOL] + args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True)


def test_missing_annotation_file_names_it(probe, tmp_path, capsys):
    rc = probe.main([SYNTH_CFG, '--random-init', '--data-root', str(tmp_path)])
    assert rc == 1
    err = capsys.readouterr().err
    assert osp.join(
        str(tmp_path), 'tao_val', 'annotations', 'validation.json') in err


def test_annotation_without_boxes_names_it(probe, tmp_path, capsys):
    ann = tmp_path / 'tao_val' / 'annotations' / 'validation.json'
    ann.parent.mkdir(parents=True)
    ann.write_text(
        json.dumps(
            dict(images=[dict(id=1, file_name='v/0.jpg')], annotations=[])))
    out = tmp_path / 'probe.json'
    rc = probe.main([
        SYNTH_CFG, '--random-init', '--data-root',
        str(tmp_path), '--out',
        str(out)
    ])
    assert rc == 1
    assert str(ann) in capsys.readouterr().err
    assert not out.exists()


def test_random_init_end_to_end(tmp_path):
    # about 14 s on the shared 2-core machine: not marked slow
    from scaletrack.datasets.synthetic import generate_benchmark
    data = tmp_path / 'data'
    generate_benchmark(
        str(data),
        num_train_videos=1,
        num_val_videos=1,
        num_frames=4,
        splits=('tao_val', ))
    out = tmp_path / 'probe.json'
    proc = run_tool([
        SYNTH_CFG, '--random-init', '--data-root',
        str(data), '--out',
        str(out)
    ])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'T=1' in proc.stdout
    res = json.loads(out.read_text())
    assert res['random_init'] and res['checkpoint'] is None
    assert res['num_frames'] == 4 and res['num_boxes'] >= 5
    for v in res['ridge']['r2'].values():
        assert np.isfinite(v) and v <= 1
    swap = res['swap']
    assert swap['num_pairs'] > 0
    cosines = [
        swap['cos_same_content_new_place'], swap['cos_new_content_same_place'],
        swap['cos_baseline_a_b']
    ] + [s['cos'] for s in res['shift'].values()]
    assert sorted(res['shift']) == ['32', '64', '8']
    assert all(-1 - 1e-5 <= c <= 1 + 1e-5 for c in cosines)
