"""The unified variant: ScaleTrack's adapter on the detector's features.

Tiny random-weight mmdet detectors (ResNet-18 at base width 16, 32-channel
FPN; see ``test_scaletrack_train_robustness.tiny_detector_cfg``) so that
every test runs on CPU in seconds.
"""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.model import BaseModule
from test_scaletrack_train_robustness import (IMG_SIZE, SYNTH_CONFIG,
                                              make_batch, tiny_detector_cfg)

from scaletrack.models.mot.detector_features import probe_side

# the tiny detectors' ResNet-18 stages (base width 16) and FPN outputs
STAGE_CHANNELS = [16, 32, 64, 128]  # strides 4, 8, 16, 32
FPN_CHANNELS = 32  # 5 levels, strides 4, 8, 16, 32, 64


def unified_cfg(detector='faster-rcnn',
                source='detector_neck',
                levels=(1, 2, 3),
                in_channels=None):
    """The synthetic tiny config turned unified: levels 1-3 (strides 8, 16,
    32, the strides of the tiny config's own backbone)."""
    cfg = Config.fromfile(SYNTH_CONFIG)
    cfg.model.detector = tiny_detector_cfg(detector)
    cfg.model.backbone = None
    cfg.model.feature_source = source
    cfg.model.feature_levels = levels
    if in_channels is None:
        in_channels = [FPN_CHANNELS] * 3 if source == 'detector_neck' \
            else [STAGE_CHANNELS[i] for i in levels]
    cfg.model.neck.in_channels = in_channels
    cfg.model.track_head.featmap_strides = (8, 16, 32)
    return cfg


def build(cfg):
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def count_calls(module):
    calls = []
    module.register_forward_hook(lambda *_: calls.append(1))
    return calls


def video(num_frames=3):
    batch = make_batch(num_frames)
    # the data preprocessor's normalisation is not under test here
    return batch['inputs'][0].float()[None] / 255., batch['data_samples']


# RetinaNet's FPN starts at C3: its levels 0-2 have strides 8, 16, 32
@pytest.mark.parametrize('detector,levels', [('faster-rcnn', (1, 2, 3)),
                                             ('retinanet', (0, 1, 2))])
def test_one_backbone_pass_per_frame_same_detections(detector, levels):
    """Two-stage and single-stage: the detector backbone runs once per frame
    (and there is no other backbone), and the detections are exactly those
    of the detector's own predict."""
    cfg = unified_cfg(detector, levels=levels)
    # random weights: scores near 1/81, keep every detection
    test_cfg = cfg.model.detector.test_cfg
    (test_cfg.rcnn if 'rcnn' in test_cfg else test_cfg).score_thr = 0.0
    model = build(cfg).eval()
    assert model.backbone is None
    model.tracker.score_thr = 0.0
    inputs, samples = video(3)
    calls = count_calls(model.detector.backbone)
    out = model.predict(inputs, samples)[0]
    assert len(calls) == 3
    for t, ds in enumerate(out):
        ref = model.detector.predict(
            inputs[:, t].contiguous(), [ds.clone()],
            rescale=False)[0].pred_instances
        got = ds.pred_det_instances
        assert len(got) > 0
        # pred_det_instances passed the tracker's selection (NMS, cap):
        # every kept box is one of the detector's own
        for box in got.bboxes:
            assert bool((ref.bboxes - box).abs().max(1)[0].min() < 1e-4)
    assert model._warned_two_passes is False


def test_track_feats_are_the_chosen_detector_levels():
    img = torch.rand(1, 3, IMG_SIZE, IMG_SIZE)
    neck_model = build(unified_cfg()).eval()
    with torch.no_grad():
        ref = neck_model.neck(neck_model.detector.extract_feat(img)[1:4])
        got = neck_model.extract_track_feats(img)
    assert all(torch.equal(a, b) for a, b in zip(got, ref))
    bb_model = build(
        unified_cfg(source='detector_backbone', levels=(1, 2, 3))).eval()
    with torch.no_grad():
        ref = bb_model.neck(bb_model.detector.backbone(img)[1:4])
        got = bb_model.extract_track_feats(img)
    assert all(torch.equal(a, b) for a, b in zip(got, ref))


def test_training_keeps_the_detector_frozen():
    """One step: the adapter and head learn; the detector gets no gradient,
    stays in eval mode and keeps its weights and BN statistics."""
    from mmengine.optim import build_optim_wrapper
    cfg = unified_cfg()
    model = build(cfg)
    model.train()
    assert not model.detector.training
    assert all(not p.requires_grad for p in model.detector.parameters())
    before = {k: v.clone() for k, v in model.detector.state_dict().items()}
    head_before = [p.clone() for p in model.track_head.parameters()]
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    calls = count_calls(model.detector.backbone)
    log_vars = model.train_step(make_batch(3), optim)
    assert bool(torch.isfinite(torch.as_tensor(log_vars['loss']).detach()))
    assert len(calls) == 1  # one batched pass over the clip's 3 frames
    after = model.detector.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert any(not torch.equal(a, b)
               for a, b in zip(head_before, model.track_head.parameters()))


@pytest.mark.parametrize('key,value,match', [
    ('neck.in_channels', [32, 32, 16],
     r'\[32, 32, 32\] channels but model.neck.in_channels is \[32, 32, 16\]'),
    ('track_head.featmap_strides', (4, 8, 16),
     r'strides \[8, 16, 32\] but model.track_head.featmap_strides is '
     r'\[4, 8, 16\]'),
    ('feature_levels', (1, 2, 7), r'picks \[7\].*only 5 levels'),
])
def test_mismatch_names_both_numbers(key, value, match):
    cfg = unified_cfg()
    node, _, leaf = key.rpartition('.')
    (cfg.model.get(node) if node else cfg.model)[leaf] = value
    with pytest.raises(ValueError, match=match):
        build(cfg)


def test_extra_adapter_level_must_double_the_stride():
    cfg = unified_cfg()
    cfg.model.neck.num_extra_levels = 1
    cfg.model.track_head.featmap_strides = (8, 16, 32, 128)
    with pytest.raises(ValueError, match=r'plus 1 extra.*\[8, 16, 32, 64\]'):
        build(cfg)
    cfg.model.track_head.featmap_strides = (8, 16, 32, 64)
    assert build(cfg).neck.num_levels == 4


@pytest.mark.parametrize('change,error,match', [
    (dict(detector=None), ValueError, r'public detections.*no features'),
    (dict(detector=dict(type='PublicDetectionsDetector')), TypeError,
     r'needs a detector with extract_feat.*PublicDetectionsDetector'),
    (dict(backbone=dict(type='mmdet.ResNet', depth=18)), ValueError,
     r'backbone=None'),
    (dict(track_img_size=(64, 64)), ValueError,
     r'track_img_size must be None \(got \(64, 64\)\)'),
    (dict(freeze_detector=False), ValueError, r'freeze_detector=True'),
    (dict(feature_source='detector'), ValueError,
     r"feature_source must be one of .*'detector_backbone'"),
])
def test_unified_mode_refuses_bad_input(change, error, match):
    cfg = unified_cfg()
    for key, value in change.items():
        cfg.model[key] = value  # replaced, not merged
    with pytest.raises(error, match=match):
        build(cfg)


def test_own_backbone_mode_needs_a_backbone():
    cfg = Config.fromfile(SYNTH_CONFIG)
    cfg.model.backbone = None
    with pytest.raises(ValueError, match="feature_source='backbone'"):
        build(cfg)


@MODELS.register_module(force=True)
class _SingleMapDetector(BaseModule):
    """extract_feat returns one tensor (not a tuple of levels)."""

    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Conv2d(3, 8, 3, stride=8, padding=1)

    def extract_feat(self, inputs):
        return self.backbone(inputs)


def test_single_tensor_features_are_refused():
    cfg = unified_cfg()
    cfg.model.detector = dict(type='_SingleMapDetector')
    with pytest.raises(TypeError, match=r'single Tensor \(1, 8, 32, 32\)'):
        build(cfg)


def test_probe_side_fits_every_stride():
    assert probe_side([8, 16, 32]) == 256
    assert probe_side([14, 14]) == 266  # 19 DINOv2 patches
    assert probe_side([4, 8, 16, 32, 64, 128]) == 256


class _TwoStrideBackbone(torch.nn.Module):
    """Two 16-channel levels at strides 8 and 16."""

    def __init__(self):
        super().__init__()
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv2d(3, 16, 3, stride=s, padding=1) for s in (8, 16))

    def forward(self, x):
        return [conv(x) for conv in self.convs]


@MODELS.register_module(force=True)
class _OwnPathDetector(BaseModule):
    """A detector whose predict calls its backbone itself (not via
    extract_feat): the unified mode warns that it runs twice."""

    def __init__(self):
        super().__init__()
        self.backbone = _TwoStrideBackbone()

    def extract_feat(self, inputs):
        return self.backbone(inputs)

    def predict(self, inputs, data_samples, rescale=True):
        from mmengine.structures import InstanceData
        self.backbone(inputs)
        for ds in data_samples:
            ds.pred_instances = InstanceData(
                bboxes=torch.tensor([[10., 10., 50., 60.]]),
                scores=torch.tensor([0.9]),
                labels=torch.tensor([0]))
        return data_samples


def test_other_detectors_warn_they_run_twice():
    cfg = unified_cfg(levels=None, in_channels=[16, 16])
    cfg.model.detector = dict(type='_OwnPathDetector')
    cfg.model.neck.num_extra_levels = 1
    cfg.model.track_head.featmap_strides = (8, 16, 32)
    model = build(cfg).eval()
    inputs, samples = video(2)
    out = model.predict(inputs, samples)[0]
    assert model._warned_two_passes is True
    assert out[1].pred_track_instances.bboxes.tolist() == [[
        10., 10., 50., 60.
    ]]


def test_predict_restores_extract_feat():
    """The frame's features answer extract_feat only during the call."""
    model = build(unified_cfg()).eval()
    inputs, samples = video(1)
    model.predict(inputs, samples)
    assert 'extract_feat' not in vars(model.detector)
    img = torch.rand(1, 3, IMG_SIZE, IMG_SIZE)
    with torch.no_grad():  # computed for real again: other image, other maps
        a = model.detector.extract_feat(img)[0]
        b = model.detector.extract_feat(img * 0.5)[0]
    assert not torch.equal(a, b)
