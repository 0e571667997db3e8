"""Training robustness of the ScaleTrack MOT model (in-process, fast).

* a non-finite loss stops ``train_step`` before the optimizer touches the
  weights (Sec. 3.4 training; a NaN must never reach a checkpoint);
* an attached mmdet detector is frozen: no gradients, eval mode after
  ``model.train()``, bit-identical after training steps;
* the training forward embeds exactly the ground-truth boxes plus the
  pseudo-negative proposals that survive the IoU filter (Sec. 3.3,
  IoU < 0.5 to every ground-truth box of the frame), nothing from the
  detector.

The model is the CPU-sized synthetic config (ResNet-18 / 64-d ScaleTrack);
batches are built in memory in the layout ``PackClipInputs`` produces.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import InstanceData

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH_CONFIG = osp.join(
    ROOT, 'configs/scaletrack/synthetic/'
    'scaletrack_tiny-r18_1xb1-6e_synthetic.py')
DETECTOR_CONFIGS = {
    'retinanet':
    'configs/scaletrack/scaletrack_dinov2-s_retinanet_r50_fpn_tao.py',
    'faster-rcnn':
    'configs/scaletrack/scaletrack_dinov2-s_faster-rcnn_r50_fpn_tao.py',
}
IMG_SIZE = 128  # multiple of the config's pad_size_divisor (32)
# the paper's pseudo-negative IoU threshold (Table 13), the model default
PROPOSAL_IOU_THR = 0.5

# three objects moving right by 4 px per frame, ids 7, 8, 9
GT_BOXES = np.array([[10, 10, 40, 40], [60, 20, 90, 60], [20, 70, 60, 110]],
                    np.float32)
GT_IDS = [7, 8, 9]
FRAME_SHIFT = 4.0


def frame_gt(t):
    return GT_BOXES + np.array([FRAME_SHIFT * t, 0, FRAME_SHIFT * t, 0],
                               np.float32)


def frame_proposals(t):
    """Proposals of frame ``t`` with the IoU each has to its nearest GT box
    worked out by hand (GT boxes are 30x30, 30x40, 40x40)."""
    g = frame_gt(t)
    return np.array(
        [
            g[0] + [1, 1, 1, 1],  # GT0 moved 1 px: IoU 841/959 = 0.88, drop
            [95, 95, 125, 125],  # background, IoU 0, keep
            g[1] + [0, 0, 0, -20],  # top half of GT1: IoU 600/1200 = 0.5, drop
            g[2] +
            [20, 0, 20, 0],  # GT2 moved by half its width: IoU 1/3, keep
            [50, 50, 50, 80],  # zero width: invalid, drop
            g[1] + [0, 0, -15, -22],  # quarter-ish of GT1: IoU 270/1200, keep
        ],
        np.float32)


def np_iou(a, b):
    """IoU matrix of ``[N, 4]`` and ``[M, 4]`` x1y1x2y2 boxes (numpy)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter)


def make_batch(num_frames=3, seed=0):
    """One clip as the dataloader delivers it (``pseudo_collate`` of
    ``PackClipInputs``'s output): uint8 ``[T, 3, H, W]`` and a
    ``TrackDataSample`` with ``gt_instances`` and ``proposals`` per frame."""
    g = torch.Generator().manual_seed(seed)
    imgs = torch.randint(
        0,
        256, (num_frames, 3, IMG_SIZE, IMG_SIZE),
        generator=g,
        dtype=torch.uint8)
    frames = []
    for t in range(num_frames):
        ds = DetDataSample(
            metainfo=dict(
                img_id=t,
                frame_id=t,
                img_shape=(IMG_SIZE, IMG_SIZE),
                ori_shape=(IMG_SIZE, IMG_SIZE),
                scale_factor=(1.0, 1.0)))
        ds.gt_instances = InstanceData(
            bboxes=torch.from_numpy(frame_gt(t)),
            labels=torch.zeros(len(GT_IDS), dtype=torch.long),
            instances_ids=torch.tensor(GT_IDS))
        ds.proposals = InstanceData(
            bboxes=torch.from_numpy(frame_proposals(t)))
        frames.append(ds)
    return dict(
        inputs=[imgs],
        data_samples=[TrackDataSample(video_data_samples=frames)])


def tiny_detector_cfg(name):
    """The project's stock-detector config with a random-init ResNet-18
    (base width 16) and 32-channel FPN/heads, small enough for CPU."""
    det = Config.fromfile(osp.join(ROOT, DETECTOR_CONFIGS[name])).detector
    det.backbone.update(depth=18, base_channels=16, init_cfg=None)
    det.neck.update(in_channels=[16, 32, 64, 128], out_channels=32)
    if name == 'retinanet':
        det.bbox_head.update(in_channels=32, feat_channels=32)
    else:
        det.rpn_head.update(in_channels=32, feat_channels=32)
        det.roi_head.bbox_roi_extractor.out_channels = 32
        det.roi_head.bbox_head.update(in_channels=32, fc_out_channels=64)
    return det


def build(detector=None):
    cfg = Config.fromfile(SYNTH_CONFIG)
    if detector is not None:
        cfg.model.detector = tiny_detector_cfg(detector)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def snapshot(module):
    """Weights and buffers (BN statistics)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def param_snapshot(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_loss_raises_before_the_update(bad, monkeypatch):
    model, optim = build()
    before = param_snapshot(model)
    real_forward = model.track_head.loss_track.forward

    def bad_loss(embeds, ids, proposal_embeds=None, **kwargs):
        # keeps the graph: without the guard, backward would write
        # non-finite gradients (and AdamW non-finite weights)
        return real_forward(embeds, ids, proposal_embeds, **kwargs) * bad

    monkeypatch.setattr(model.track_head.loss_track, 'forward', bad_loss)
    with pytest.raises(
            FloatingPointError, match=r'non-finite training loss .*--resume'):
        model.train_step(make_batch(), optim)
    # every weight is untouched; BN running statistics did move in the
    # (finite) forward pass, which happens before the loss is known, but
    # the run stops here, so they never reach a checkpoint
    after = param_snapshot(model)
    for k in before:
        assert torch.equal(before[k], after[k]), k
    assert all(p.grad is None for p in model.parameters())
    assert len(optim.optimizer.state) == 0  # no AdamW step was taken

    # control: the same batch with the real loss does change the weights
    monkeypatch.setattr(model.track_head.loss_track, 'forward', real_forward)
    log_vars = model.train_step(make_batch(), optim)
    assert torch.isfinite(log_vars['loss'])
    changed = [
        k for k, v in param_snapshot(model).items()
        if not torch.equal(before[k], v)
    ]
    assert any(k.startswith('track_head.') for k in changed)


@pytest.mark.parametrize('detector', ['retinanet', 'faster-rcnn'])
def test_attached_detector_stays_frozen(detector, monkeypatch):
    model, optim = build(detector)
    det_params = list(model.detector.parameters())
    assert det_params and not any(p.requires_grad for p in det_params)
    # model.train() (what the Runner calls every epoch) leaves it in eval
    model.train()
    assert all(not m.training for m in model.detector.modules())
    assert model.track_head.training and model.neck.training

    calls = []
    real_extract = model.detector.extract_feat
    monkeypatch.setattr(
        model.detector, 'extract_feat',
        lambda *a, **k: calls.append(1) or real_extract(*a, **k))
    det_before = snapshot(model.detector)
    assoc_before = {
        k: v
        for k, v in snapshot(model).items() if not k.startswith('detector.')
    }
    for seed in range(2):
        model.train_step(make_batch(seed=seed), optim)
    assert calls == [], 'training must not run the detector'
    det_after = snapshot(model.detector)
    for k in det_before:  # weights and BN statistics
        assert torch.equal(det_before[k], det_after[k]), k
    assoc_after = snapshot(model)
    for part in ('backbone.', 'neck.', 'track_head.'):
        assert any(not torch.equal(v, assoc_after[k])
                   for k, v in assoc_before.items() if k.startswith(part)), \
            part


@pytest.mark.parametrize('max_props', [100, 2])
def test_training_embeds_gt_and_filtered_proposals_only(
        max_props, monkeypatch):
    model, optim = build()
    model.track_head.max_proposals_per_frame = max_props
    seen = []
    real_forward = model.track_head.forward

    def recording_forward(feats, rois, temporal_feats=None):
        seen.append(rois.detach().clone())
        return real_forward(feats, rois, temporal_feats)

    monkeypatch.setattr(model.track_head, 'forward', recording_forward)
    num_frames = 3
    model.train_step(make_batch(num_frames), optim)
    assert len(seen) == 1  # one head call for the whole clip
    rois = seen[0]
    assert rois.shape[1] == 5
    for t in range(num_frames):
        gt, props = frame_gt(t), frame_proposals(t)
        valid = (props[:, 2] > props[:, 0]) & (props[:, 3] > props[:, 1])
        props = props[valid]
        keep = np_iou(props, gt).max(1) < PROPOSAL_IOU_THR
        expected = np.concatenate([gt, props[keep][:max_props]])
        got = rois[rois[:, 0] == t, 1:].numpy()
        np.testing.assert_array_equal(got, expected)
    # the hand-worked IoUs of frame_proposals: 3 of 6 survive the filter
    n_kept = min(3, max_props)
    assert rois.shape[0] == num_frames * (len(GT_IDS) + n_kept)
