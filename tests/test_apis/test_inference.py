"""Inference API and demo: any detector + ScaleTrack on a short video."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from scaletrack.apis import init_tracker, iter_frames, track_video

DET_CFG = 'configs/scaletrack/scaletrack_dinov2-s_faster-rcnn_r50_fpn_tao.py'
SYNTH_CFG = ('configs/scaletrack/synthetic/'
             'scaletrack_tiny-r18_1xb1-6e_synthetic.py')
SMALL_PIPELINE = [
    dict(
        type='TransformBroadcaster',
        transforms=[dict(type='Resize', scale=(128, 128), keep_ratio=False)]),
    dict(type='PackClipInputs'),
]


def _frames(n=4, h=96, w=128):
    """A square moving right over a textured background (BGR uint8)."""
    rng = np.random.default_rng(0)
    bg = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    out = []
    for t in range(n):
        img = bg.copy()
        img[30:60, 10 + 8 * t:40 + 8 * t] = (0, 0, 255)
        out.append(img)
    return out


def _small_det_config():
    """mmdet's stock Faster R-CNN + ScaleTrack, shrunk for the CPU test."""
    cfg = Config.fromfile(DET_CFG)
    synth = Config.fromfile(SYNTH_CFG)
    det = cfg.model.detector
    det.backbone.update(depth=18, init_cfg=None)
    det.neck.in_channels = [64, 128, 256, 512]
    # random weights score ~1/81 per class: keep every box so that the
    # tracker sees detections and the whole path runs
    det.test_cfg.rcnn.update(score_thr=0.0, max_per_img=20)
    cfg.model.backbone = synth.model.backbone
    cfg.model.neck = synth.model.neck
    cfg.model.track_head = synth.model.track_head
    cfg.model.tracker.update(score_thr=0.0, init_score_thr=0.0)
    cfg.model.data_preprocessor.pad_size_divisor = 32
    cfg.test_pipeline = SMALL_PIPELINE
    return cfg


@pytest.mark.slow
def test_stock_detector_config_tracks_every_frame():
    cfg = _small_det_config()
    assert cfg.model.detector.type == 'FasterRCNN'  # inherited from mmdet
    torch.manual_seed(0)
    model = init_tracker(cfg, device='cpu')
    frames = _frames(4)
    results = list(track_video(model, frames))
    assert [r.index for r in results] == [0, 1, 2, 3]
    for r in results:
        tr = r.tracks
        assert len(tr) > 0
        assert tr.bboxes.shape[1] == 4
        # boxes are in the frames' own pixels (96 x 128), not 128 x 128
        assert float(tr.bboxes[:, 3].max()) <= 96 + 1e-3
        assert len(set(tr.instances_id.tolist())) == len(tr)


def test_iter_frames_sources_and_errors(tmp_path):
    frames = _frames(3)
    # a folder of frames
    d = tmp_path / 'frames'
    d.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(d / f'{i:05d}.jpg'), f)
    got = list(iter_frames(str(d)))
    assert [g[0] for g in got] == [0, 1, 2]
    assert got[1][2].endswith('00001.jpg')
    # a video file
    video = str(tmp_path / 'v.mp4')
    wr = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 5, (128, 96))
    for f in frames:
        wr.write(f)
    wr.release()
    assert len(list(iter_frames(video))) == 3
    # missing, corrupt, undecodable
    with pytest.raises(FileNotFoundError, match='nope.mp4'):
        list(iter_frames(str(tmp_path / 'nope.mp4')))
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video at all' * 10)
    with pytest.raises(ValueError, match='bad.mp4'):
        list(iter_frames(str(bad)))
    (d / '00003.jpg').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='00003.jpg'):
        list(iter_frames(str(d)))
    with pytest.raises(ValueError, match='frame 1'):
        list(iter_frames([frames[0], np.zeros((4, 4))]))


def _synthetic_video(tmp_path):
    from scaletrack.datasets.synthetic import generate_benchmark
    paths = generate_benchmark(
        str(tmp_path / 'data'),
        num_train_videos=1,
        num_val_videos=1,
        num_frames=4,
        height=96,
        width=128,
        splits=('tao_val', ))
    root = osp.join(str(tmp_path / 'data'), 'tao_val')
    video = sorted(os.listdir(osp.join(root, 'frames')))[0]
    return (osp.join(root, 'frames', video), osp.join(root, 'detections',
                                                      video), paths)


def test_demo_writes_all_outputs_atomically(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location('video_demo',
                                                  'demo/video_demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    frames_dir, dets_dir, _ = _synthetic_video(tmp_path)
    out = tmp_path / 'out'
    args = [
        frames_dir, '--config', SYNTH_CFG, '--public-dets', dets_dir, '--out',
        str(out / 'v.mp4'), '--out-json',
        str(out / 'r.json'), '--out-mot',
        str(out / 'r.txt')
    ]
    assert demo.main(args) == 0
    rows = json.loads((out / 'r.json').read_text())
    mot = (out / 'r.txt').read_text().splitlines()
    assert len(rows) == len(mot) > 0
    first = mot[0].split(',')
    assert int(first[0]) >= 1 and first[-3:] == ['-1', '-1', '-1']
    cap = cv2.VideoCapture(str(out / 'v.mp4'))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == len(
        os.listdir(frames_dir))
    cap.release()
    # no temporary file left (they are hidden: '.<name>.<random>.tmp')
    assert not [f for f in os.listdir(out) if f.startswith('.')]

    # a frame that fails to decode halfway: an error, no output file left
    names = sorted(os.listdir(frames_dir))
    with open(osp.join(frames_dir, names[2]), 'wb') as f:
        f.write(b'broken')
    out2 = tmp_path / 'out2'
    with pytest.raises(ValueError, match=names[2]):
        demo.main([
            frames_dir, '--config', SYNTH_CFG, '--public-dets', dets_dir,
            '--out',
            str(out2 / 'v.mp4'), '--out-json',
            str(out2 / 'r.json')
        ])
    assert not out2.exists() or os.listdir(out2) == []


class _Reader:
    """Public detections: two boxes on every frame except ``empty``."""

    def __init__(self, empty):
        self.empty = set(empty)

    def get(self, img_path, video_name, frame_index, image_id):
        if frame_index in self.empty:
            return dict(
                bboxes=np.zeros((0, 4), np.float32),
                scores=np.zeros((0, ), np.float32),
                labels=np.zeros((0, ), np.int64))
        return dict(
            bboxes=np.array([[10, 30, 40, 60], [70, 20, 120, 90]], np.float32),
            scores=np.array([0.9, 0.8], np.float32),
            labels=np.array([0, 0], np.int64))


@pytest.mark.parametrize('empty', [[0], [2], [0, 1, 2, 3, 4]])
def test_track_video_empty_frames(empty):
    """Issue 12: frames without detections (first, middle, all) are
    ordinary frames for the API; before, a middle one raised "embedding
    size 1 differs from the tracks' 64"."""
    cfg = Config.fromfile(SYNTH_CFG)
    cfg.test_pipeline = SMALL_PIPELINE
    torch.manual_seed(0)
    model = init_tracker(cfg, device='cpu')
    results = list(track_video(model, _frames(5), _Reader(empty)))
    assert [r.index for r in results] == list(range(5))
    for r in results:
        assert (len(r.tracks) == 0) == (r.index in empty)
        assert torch.isfinite(r.tracks.bboxes).all()


def _tracker_settings(model):
    """The tracker's settings (its constructor arguments kept as
    attributes) and the model's mode: what track_video may not change."""
    import inspect
    names = inspect.signature(type(model.tracker).__init__).parameters
    out = {
        k: getattr(model.tracker, k)
        for k in names if hasattr(model.tracker, k)
    }
    assert 'score_thr' in out  # the setting track_video overrides
    return dict(out, training=model.training)


class _FailingReader(_Reader):
    """Detections for frame 0, then an error (a corrupt detections file)."""

    def get(self, img_path, video_name, frame_index, image_id):
        if frame_index >= 1:
            raise ValueError(f'detections of frame {frame_index} unreadable')
        return super().get(img_path, video_name, frame_index, image_id)


def test_track_video_restores_the_settings_it_changes():
    """score_thr applies during the call only: after a full video, a
    failure inside the loop or an abandoned iterator the tracker's settings
    are those before the call (before, score_thr stayed changed)."""
    cfg = Config.fromfile(SYNTH_CFG)
    cfg.test_pipeline = SMALL_PIPELINE
    torch.manual_seed(0)
    model = init_tracker(cfg, device='cpu')
    before = _tracker_settings(model)
    override = 0.123  # differs from every config's threshold
    assert before['score_thr'] != override

    seen = [
        model.tracker.score_thr
        for _ in track_video(model, _frames(3), _Reader([]), override)
    ]
    assert seen == [override] * 3
    assert _tracker_settings(model) == before

    # a bad frame halfway (raised by the frame reader)
    with pytest.raises(ValueError, match='frame 1'):
        list(
            track_video(model, [_frames(1)[0], np.zeros((4, 4))], _Reader([]),
                        override))
    assert _tracker_settings(model) == before
    # an error raised while tracking (by the detections reader)
    with pytest.raises(ValueError, match='frame 1 unreadable'):
        list(track_video(model, _frames(3), _FailingReader([]), override))
    assert _tracker_settings(model) == before
    # an iterator abandoned after one frame, then closed
    it = track_video(model, _frames(3), _Reader([]), override)
    next(it)
    assert model.tracker.score_thr == override
    it.close()
    assert _tracker_settings(model) == before
    # a rejected threshold changes nothing
    with pytest.raises(ValueError, match='finite'):
        track_video(model, _frames(3), _Reader([]), float('nan'))
    assert _tracker_settings(model) == before
