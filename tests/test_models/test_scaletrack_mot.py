"""The ScaleTrack MOT model: temporal buffer, inference, rescaling."""
import copy

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from scaletrack.models.mot import TemporalFeatureBuffer, clip_temporal_windows

SYNTH_CFG = 'configs/scaletrack/synthetic/scaletrack_tiny-r18_1xb1-6e_synthetic.py'


def tiny_model(**head):
    cfg = Config.fromfile(SYNTH_CFG)
    cfg.model.track_head.update(head)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.eval()
    return model


def test_clip_temporal_windows_by_hand():
    maps = torch.arange(5.).view(5, 1, 1, 1)  # frame t holds the value t
    win = clip_temporal_windows(maps, window=3)  # [5, 1, 3, 1, 1]
    got = win[:, 0, :, 0, 0].tolist()
    assert got == [[0, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4]]


def test_inference_buffer_matches_training_windows():
    maps = torch.randn(6, 2, 3, 3)
    buf = TemporalFeatureBuffer(window=4)
    ref = clip_temporal_windows(maps, 4)
    for t in range(6):
        w = buf.push(maps[t:t + 1])
        assert torch.equal(w[0], ref[t])  # same layout at train and test
    assert len(buf) == 4
    buf.reset()
    assert buf.window_tensor() is None


def test_buffer_restarts_on_resolution_change():
    buf = TemporalFeatureBuffer(window=3)
    buf.push(torch.zeros(1, 2, 4, 4))
    w = buf.push(torch.ones(1, 2, 5, 5))
    assert w.shape == (1, 2, 3, 5, 5) and bool((w == 1).all())


def _frame(t, boxes, scale=1.0, ids=None):
    ds = DetDataSample(
        metainfo=dict(
            frame_id=t,
            img_id=t,
            img_shape=(128, 128),
            ori_shape=(int(128 / scale), int(128 / scale)),
            scale_factor=(scale, scale)))
    boxes = torch.tensor(boxes, dtype=torch.float32)
    n = len(boxes)
    ds.public_instances = InstanceData(
        bboxes=boxes / scale,  # original-image pixels
        scores=torch.full((n, ), 0.9),
        labels=torch.arange(n) % 2)
    ds.gt_instances = InstanceData(
        bboxes=boxes,
        labels=torch.zeros(n, dtype=torch.long),
        instances_ids=torch.tensor(ids if ids is not None else range(n)))
    return ds


def _track(model, img, ds):
    sample = TrackDataSample()
    sample.video_data_samples = [ds]
    return model.predict(img[None, None], [sample])[0][0].pred_track_instances


def test_predict_backbone_once_per_frame_and_rescale():
    model = tiny_model()
    calls = []
    model.backbone.register_forward_hook(lambda *a: calls.append(1))
    g = torch.Generator().manual_seed(0)
    img = torch.rand(3, 128, 128, generator=g)
    boxes = [[10., 10., 40., 50.], [70., 60., 110., 100.]]
    outs = []
    for t in range(5):
        outs.append(_track(model, img, _frame(t, boxes, scale=2.0)))
    # past maps are kept in the buffer, never recomputed: one backbone
    # forward per frame
    assert len(calls) == 5
    assert len(model.buffer) == model.temporal_window
    # a static scene keeps its identities
    for out in outs:
        assert sorted(out.instances_id.tolist()) == [0, 1]
    # boxes come back in original-image pixels (input / scale_factor)
    got = outs[-1].bboxes[outs[-1].instances_id.argsort()]
    torch.testing.assert_close(got, torch.tensor(boxes) / 2.0)
    # frame 0 of a new video resets tracks and buffer: ids restart
    out = _track(model, img, _frame(0, boxes[:1], scale=2.0))
    assert out.instances_id.tolist() == [0]
    assert len(model.buffer) == 1


def test_inference_embedding_equals_training_layout():
    """The last frame's embedding at inference equals the one the training
    forward computes for the same clip (same window convention)."""
    model = tiny_model()
    g = torch.Generator().manual_seed(1)
    clip = torch.rand(5, 3, 128, 128, generator=g)
    box = torch.tensor([[20., 20., 60., 70.]])
    feats = model.extract_track_feats(clip)
    windows = clip_temporal_windows(feats[-1], model.temporal_window)
    from mmdet.structures.bbox import bbox2roi
    with torch.no_grad():
        train_emb = model.embed(
            tuple(f[4:5] for f in feats), bbox2roi([box]),
            windows[4:5])[-1]
        model.reset()
        for t in range(5):
            f_t = model.extract_track_feats(clip[t:t + 1])
            w = model.buffer.push(f_t[-1])
        test_emb = model.embed(f_t, bbox2roi([box]), w)[-1]
    torch.testing.assert_close(train_emb, test_emb, rtol=1e-4, atol=1e-5)


def test_missing_public_detections_is_a_clear_error():
    model = tiny_model()
    ds = _frame(0, [[1., 1., 5., 5.]])
    del ds.public_instances
    with pytest.raises(RuntimeError, match='LoadPublicDetections'):
        _track(model, torch.rand(3, 128, 128), ds)


def test_zero_detections_frame():
    model = tiny_model()
    ds = _frame(0, [[1., 1., 5., 5.]])
    ds.public_instances = InstanceData(
        bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.long))
    out = _track(model, torch.rand(3, 128, 128), ds)
    assert len(out) == 0


def test_loss_has_one_term_per_supervised_layer():
    model = tiny_model()
    model.train()
    frames = [
        _frame(t, [[10. + t, 10., 40. + t, 50.], [70., 60., 110., 100.]],
               ids=[3, 7]) for t in range(3)
    ]
    sample = TrackDataSample()
    sample.video_data_samples = frames
    losses = model.loss(torch.rand(1, 3, 3, 128, 128), [sample])
    assert set(losses) == {'d0.loss_track', 'loss_track'}
    # a weight of 0 removes the intermediate term (Table 12, "No")
    model.layer_loss_weights = (0.0, 1.0)
    losses = model.loss(torch.rand(1, 3, 3, 128, 128), [copy.deepcopy(sample)])
    assert set(losses) == {'loss_track'}
