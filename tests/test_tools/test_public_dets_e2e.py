"""tools/test.py end to end on public detections in MASA's real format.

MASA writes its per-frame detection files with ``pickle.dump`` (numpy
arrays, lists or tensors; ``det_bboxes`` N x 5 or N x 4, ``det_labels``
optional). Here every frame of a synthetic TAO-style video gets such a file
in one of those variants (and one ``torch.save`` file), tools/test.py runs
the synthetic ScaleTrack config on them, and the TAO results it writes must
hold exactly the detections that were written, with their scores (1 for
N x 4) and their labels' categories (category 0 without ``det_labels``).
A file that would run code stops the run, naming the file and the global,
without running it.
"""
import json
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = 'configs/scaletrack/synthetic/scaletrack_tiny-r18_1xb1-6e_synthetic.py'
HEIGHT, WIDTH = 96, 128


def _boxes(k):
    """Two disjoint boxes (IoU 0, so NMS keeps both) with scores >= the
    tracker's 0.3 threshold: every box becomes a track's box."""
    return np.array([[5 + 2 * k, 5, 35 + 2 * k, 40, 0.9],
                     [60, 30 + k, 100.5, 80 + k, 0.6]], np.float32)


def _write(path, k):
    """Frame ``k``'s file in variant ``k % 5``; returns (boxes N x 5 with
    the score a reader must see, labels)."""
    dets = _boxes(k)
    labels = np.array([1, 2])
    variant = k % 5
    if variant == 0:  # numpy N x 5 with labels (MASA's released files)
        obj = dict(det_bboxes=dets, det_labels=labels)
    elif variant == 1:  # numpy N x 4 without labels: score 1, class 0
        obj = dict(det_bboxes=dets[:, :4].copy())
        dets[:, 4], labels = 1.0, np.array([0, 0])
    elif variant == 2:  # lists
        obj = dict(det_bboxes=dets.tolist(), det_labels=labels.tolist())
    elif variant == 3:  # tensors, N x 4 with labels
        obj = dict(
            det_bboxes=torch.from_numpy(dets[:, :4].copy()),
            det_labels=torch.from_numpy(labels))
        dets[:, 4] = 1.0
    else:  # a torch.save (zip) file under the same name
        torch.save(dict(det_bboxes=dets, det_labels=labels), path)
        return dets, labels
    with open(path, 'wb') as f:
        pickle.dump(obj, f)
    return dets, labels


def _setup(tmp_path):
    from scaletrack.datasets.synthetic import generate_benchmark
    data = tmp_path / 'data'
    generate_benchmark(
        str(data),
        num_train_videos=1,
        num_val_videos=1,
        num_frames=5,
        height=HEIGHT,
        width=WIDTH,
        splits=('tao_val', ))
    root = data / 'tao_val'
    ann = json.loads((root / 'annotations' / 'validation.json').read_text())
    cat_ids = [c['id'] for c in ann['categories']]  # file order = labels
    expected = {}
    images = sorted(ann['images'], key=lambda im: im['frame_index'])
    assert len(images) == 5
    for k, img in enumerate(images):
        path = root / 'detections' / (img['file_name'][:-4] + '.pth')
        assert path.is_file()  # the generator wrote MASA's layout
        dets, labels = _write(str(path), k)
        expected[img['id']] = sorted(
            (round(float(x1), 2), round(float(y1), 2),
             round(float(x2 - x1), 2), round(float(y2 - y1), 2), cat_ids[lab],
             round(float(s), 4))
            for (x1, y1, x2, y2, s), lab in zip(dets.tolist(), labels))
    return data, root, images, expected


def _run_test(data, out, *extra):
    env = dict(
        os.environ,
        SCALETRACK_SYNTH_ROOT=str(data),
        PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run(
        [
            sys.executable,
            'tools/test.py',
            CFG,
            '--work-dir',
            str(out / 'wd'),
            '--out',
            str(out / 'res'),
            '--cfg-options',
            # labels are reliable here: associate within a class, so that every
            # track's majority class is its detections' class
            'model.tracker.class_aware=True',
            *extra
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)


@pytest.mark.slow
def test_tools_test_on_masa_pickles(tmp_path):
    data, root, images, expected = _setup(tmp_path)
    proc = _run_test(data, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(
        (tmp_path / 'res' / 'TETAMetric' / 'tao_track.json').read_text())
    got = {}
    for r in results:
        x, y, w, h = r['bbox']
        got.setdefault(r['image_id'], []).append(
            (round(x, 2), round(y, 2), round(w, 2), round(h,
                                                          2), r['category_id'],
             round(r['score'], 4)))
    assert {k: sorted(v) for k, v in got.items()} == expected

    # a box file that would run code: refused, named, not run
    marker = tmp_path / 'ran'

    class RunsCode:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    evil = root / 'detections' / (images[2]['file_name'][:-4] + '.pth')
    with open(evil, 'wb') as f:
        pickle.dump(dict(det_bboxes=_boxes(2), det_labels=RunsCode()), f)
    proc = _run_test(data, tmp_path / 'evil')
    assert proc.returncode != 0
    assert str(evil) in proc.stderr and 'system' in proc.stderr
    assert 'UnsafePickleError' in proc.stderr
    assert not marker.exists()

    # a label outside the class list (num_classes of the reader)
    num_classes = len(
        json.loads((root / 'annotations' /
                    'validation.json').read_text())['categories'])
    with open(evil, 'wb') as f:
        pickle.dump(
            dict(det_bboxes=_boxes(2), det_labels=np.array([0, num_classes])),
            f)
    proc = _run_test(
        data, tmp_path / 'label', 'test_dataloader.dataset.pipeline.0.'
        f'transforms.1.num_classes={num_classes}')
    assert proc.returncode != 0
    assert (f'{evil}: label {num_classes} of box 1 is outside the class '
            'list') in proc.stderr
