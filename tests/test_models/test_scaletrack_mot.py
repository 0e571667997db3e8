"""The ScaleTrack MOT model: temporal buffer, inference, rescaling."""
import copy

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from scaletrack.models.mot import TemporalFeatureBuffer, clip_temporal_windows

SYNTH_CFG = ('configs/scaletrack/synthetic/'
             'scaletrack_tiny-r18_1xb1-6e_synthetic.py')


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
        train_emb = model.track_head(
            tuple(f[4:5] for f in feats), bbox2roi([box]), windows[4:5])[-1]
        model.reset()
        for t in range(5):
            f_t = model.extract_track_feats(clip[t:t + 1])
            w = model.buffer.push(f_t[-1])
        test_emb = model.track_head(f_t, bbox2roi([box]), w)[-1]
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
        bboxes=torch.zeros(0, 4),
        scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.long))
    out = _track(model, torch.rand(3, 128, 128), ds)
    assert len(out) == 0


def test_loss_has_one_term_per_supervised_layer():
    model = tiny_model()
    model.train()
    frames = [
        _frame(
            t, [[10. + t, 10., 40. + t, 50.], [70., 60., 110., 100.]],
            ids=[3, 7]) for t in range(3)
    ]
    sample = TrackDataSample()
    sample.video_data_samples = frames
    losses = model.loss(torch.rand(1, 3, 3, 128, 128), [sample])
    assert set(losses) == {'d0.loss_track', 'loss_track'}
    # a weight of 0 removes the intermediate term (Table 12, "No")
    model.track_head.layer_loss_weights = (0.0, 1.0)
    losses = model.loss(torch.rand(1, 3, 3, 128, 128), [copy.deepcopy(sample)])
    assert set(losses) == {'loss_track'}


# ---------------------------------------------------------------------------
# issue 12: empty frames are ordinary frames; detections checked at the door
# ---------------------------------------------------------------------------
BOXES = [[10., 10., 40., 50.], [70., 60., 110., 100.]]


def _frame_with(t, boxes, scores, labels=None, img_shape=(128, 128)):
    ds = _frame(t, [[0., 0., 1., 1.]])
    ds.set_metainfo(dict(img_shape=img_shape, ori_shape=img_shape))
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    n = boxes.size(0)
    ds.public_instances = InstanceData(
        bboxes=boxes,
        scores=torch.as_tensor(scores, dtype=torch.float32).reshape(n),
        labels=torch.zeros(n, dtype=torch.long) if labels is None else
        torch.as_tensor(labels, dtype=torch.long).reshape(n))
    return ds


@pytest.mark.parametrize('empty_at', [0, 2, 'all'])
def test_empty_frames_are_ordinary_frames(empty_at):
    """A frame whose detections are all below score_thr (0.3) -- the first,
    one in the middle, or every frame -- yields no tracks and no error;
    the tracks made before it survive it (num_frames_retain = 30) and keep
    their ids. Before the fix a middle empty frame raised "embedding size
    1 differs from the tracks' 64"."""
    model = tiny_model()
    img = torch.rand(3, 128, 128, generator=torch.Generator().manual_seed(0))
    ids = []
    for t in range(5):
        empty = empty_at == 'all' or t == empty_at
        scores = [0.1, 0.2] if empty else [0.9, 0.9]
        out = _track(model, img, _frame_with(t, BOXES, scores))
        if empty:
            assert len(out) == 0 and out.instances_id.shape == (0, )
        else:
            assert len(out) == 2
            ids.append(sorted(out.instances_id.tolist()))
    if empty_at == 'all':
        assert model.tracker.num_tracks == 0
    else:
        assert ids == [[0, 1]] * len(ids)  # same two tracks throughout
    # frames whose detections were merely below the threshold are not
    # "invalid" frames
    assert model.num_all_invalid_frames == 0


def test_detections_are_sanitised_at_the_door(monkeypatch):
    """NaN/inf and empty boxes are dropped, huge ones clipped to the image,
    and a frame whose boxes were all invalid is counted and reported."""
    import scaletrack.models.mot.scaletrack as mot_module
    logged = []
    monkeypatch.setattr(mot_module, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    model = tiny_model()
    img = torch.rand(3, 128, 128, generator=torch.Generator().manual_seed(0))
    nan, inf = float('nan'), float('inf')
    boxes = [
        [10., 10., 40., 50.],  # valid
        [70., 60., 1e30, 1e30],  # huge: clipped to (128, 128)
        [nan, 0., 10., 10.],  # NaN: dropped
        [0., 0., inf, 10.],  # inf: dropped
        [50., 50., 50., 80.],  # zero width: dropped
        [200., 200., 300., 300.],  # outside the image: dropped
        [90., 5., 100., 20.]
    ]  # valid, but a NaN score
    scores = [0.9, 0.8, 0.9, 0.9, 0.9, 0.9, nan]
    out = _track(model, img, _frame_with(0, boxes, scores))
    got = sorted(out.bboxes.tolist())
    assert got == [[10., 10., 40., 50.], [70., 60., 128., 128.]]
    assert model.num_invalid_boxes == 5
    assert model.num_all_invalid_frames == 0
    # two frames whose boxes are all invalid: counted, warned once
    assert logged == []
    for t in (1, 2):
        out = _track(model, img, _frame_with(t, boxes[2:6], [0.9] * 4))
        assert len(out) == 0
    assert len(logged) == 1 and 'frame 1: all 4 detections are invalid' \
        in logged[0]
    assert model.num_all_invalid_frames == 2
    assert model.total_invalid_boxes == 5 + 8
    # the tracks of frame 0 lived through the invalid frames
    out = _track(model, img, _frame_with(3, boxes[:2], [0.9, 0.9]))
    assert sorted(out.instances_id.tolist()) == [0, 1]
    # a new video: per-video counts restart, the run's totals stay
    _track(model, img, _frame_with(0, boxes[:1], [0.9]))
    assert 'the previous video had 2 frames' in logged[-1]
    assert model.num_all_invalid_frames == 0
    assert model.total_all_invalid_frames == 2


def test_output_boxes_inside_the_original_image():
    """Rescaled output boxes stay inside ori_shape (scale_factor 0.5:
    input 128 px, original 256 px), however large the input box."""
    model = tiny_model()
    img = torch.rand(3, 128, 128)
    ds = _frame_with(0, [[100., 100., 1e30, 1e30]], [0.9])
    ds.set_metainfo(dict(ori_shape=(256, 256), scale_factor=(0.5, 0.5)))
    out = _track(model, img, ds)
    assert out.bboxes.tolist() == [[100., 100., 256., 256.]]


@pytest.mark.parametrize('labels,num_classes', [([0, 3], 3), ([-1, 0], None),
                                                ([99, 0], 1)])
def test_labels_outside_the_class_list_are_an_error(labels, num_classes):
    model = tiny_model()
    model.num_classes = num_classes
    bad = [
        lb for lb in labels
        if lb < 0 or (num_classes is not None and lb >= num_classes)
    ]
    with pytest.raises(
            ValueError, match=rf'frame 0: detection labels \[{bad[0]}\]'):
        _track(model, torch.rand(3, 128, 128),
               _frame_with(0, BOXES, [0.9, 0.9], labels))
    # the same labels inside the list are fine
    model.num_classes = 100
    out = _track(model, torch.rand(3, 128, 128),
                 _frame_with(0, BOXES, [0.9, 0.9], [0, 5]))
    assert len(out) == 2


def test_scores_outside_0_1_are_kept_as_given():
    """Documented choice: finite scores are not clipped (MOT17's DPM scores
    are not probabilities); thresholds compare against them as they are."""
    model = tiny_model()
    out = _track(model, torch.rand(3, 128, 128),
                 _frame_with(0, BOXES, [2.5, -0.5]))
    assert out.scores.tolist() == [2.5]  # -0.5 < score_thr 0.3


@pytest.mark.parametrize('detector', [None, 'retinanet', 'faster-rcnn'])
def test_detector_label_space_is_the_detectors(detector):
    """The labelling head's 80 COCO classes, not the RPN's 1 (objectness)
    that a Faster R-CNN also carries; public detections: unknown."""
    from test_scaletrack_train_robustness import build
    model, _ = build(detector)
    assert model.detection_num_classes == (None if detector is None else 80)
    model.num_classes = 4  # an explicit label space wins
    assert model.detection_num_classes == 4


def test_training_clip_with_empty_frames():
    """A clip frame without ground-truth boxes (object out of view) trains
    like any other; a clip without any box gives a finite zero loss."""
    model = tiny_model()
    model.train()
    boxes = [[10., 10., 40., 50.], [70., 60., 110., 100.]]
    # the chain of frames 0-1 is supervised; frame 2 is empty
    frames = [
        _frame(0, boxes, ids=[3, 7]),
        _frame(1, boxes, ids=[3, 7]),
        _frame(2, [], ids=[])
    ]
    for ds in frames:
        ds.gt_instances.bboxes = ds.gt_instances.bboxes.reshape(-1, 4)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    losses = model.loss(torch.rand(1, 3, 3, 128, 128), [sample])
    assert all(torch.isfinite(v) for v in losses.values())
    assert float(losses['loss_track']) > 0
    losses['loss_track'].backward()  # the graph is intact
    empty = [_frame(t, [], ids=[]) for t in range(3)]
    for ds in empty:
        ds.gt_instances.bboxes = ds.gt_instances.bboxes.reshape(-1, 4)
    sample = TrackDataSample()
    sample.video_data_samples = empty
    losses = model.loss(torch.rand(1, 3, 3, 128, 128), [sample])
    assert all(float(v) == 0.0 for v in losses.values())
    # and a training step on it runs (backward on the zero loss)
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(SYNTH_CFG)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    imgs = torch.randint(0, 256, (3, 3, 128, 128), dtype=torch.uint8)
    log_vars = model.train_step(
        dict(inputs=[imgs], data_samples=[sample]), optim)
    assert float(log_vars['loss']) == 0.0


def test_public_detections_go_through_the_detector_interface(monkeypatch):
    """detector=None builds PublicDetectionsDetector, the one detector-free
    path (shared with the mmdet baselines); the frame's kept detections are
    left in pred_det_instances as in mmdet's MOT models."""
    from scaletrack.models.detectors import PublicDetectionsDetector
    model = tiny_model()
    assert isinstance(model.detector, PublicDetectionsDetector)
    calls = []
    real = model.detector.predict
    monkeypatch.setattr(
        model.detector, 'predict',
        lambda *a, **k: calls.append(k.get('rescale')) or real(*a, **k))
    ds = _frame(0, [[10., 10., 40., 50.], [70., 60., 110., 100.]], scale=0.5)
    out = _track(model, torch.rand(3, 128, 128), ds)
    assert calls == [False]  # input pixels for the association net
    assert sorted(
        ds.pred_det_instances.bboxes.tolist()) == [[10., 10., 40., 50.],
                                                   [70., 60., 110., 100.]]
    # rescaled back to the original image (scale_factor 0.5)
    assert sorted(out.bboxes.tolist()) == [[20., 20., 80., 100.],
                                           [140., 120., 220., 200.]]


def test_head_predict_is_the_last_layer_of_forward():
    from mmdet.structures.bbox import bbox2roi
    model = tiny_model()
    feats = model.extract_track_feats(torch.rand(1, 3, 128, 128))
    boxes = torch.tensor([[20., 20., 60., 70.], [5., 5., 30., 30.]])
    with torch.no_grad():
        emb = model.track_head.predict(feats, [boxes])
        ref = model.track_head(feats, bbox2roi([boxes]))[-1]
    assert emb.shape == (2, model.track_head.out_channels)
    assert torch.equal(emb, ref)


def test_loss_keys_at_the_model_level_say_where_they_moved():
    cfg = Config.fromfile(SYNTH_CFG)
    cfg.model.loss_track = dict(type='ChainContrastiveLoss')
    with pytest.raises(TypeError, match=r"\['loss_track'\].*track_head"):
        MODELS.build(cfg.model)
