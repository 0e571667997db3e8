"""ScaleTrackTracker's optional motion cue (Kalman gate / fused cost).

The default (``motion=None``) is pinned against an independent plain-Python
implementation of Eq. 10 on a random stream; the motion cases follow from
hand computation with DeepSORT's noise model (mmdet's KalmanFilter).
"""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment

from scaletrack.models.trackers import ScaleTrackTracker


def dets_of(boxes, scores=None):
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    n = boxes.size(0)
    scores = torch.full((n, ), 0.9) if scores is None else torch.as_tensor(
        scores, dtype=torch.float32)
    return InstanceData(
        bboxes=boxes, scores=scores, labels=torch.zeros(n, dtype=torch.long))


def unit(*xs):
    v = torch.tensor(xs, dtype=torch.float32)
    return v / v.norm()


def random_stream(seed, frames=40, objects=12, dim=16):
    """Objects with a fixed appearance (+ noise), moving boxes, random
    misses and 0-3 clutter detections per frame; returns per-frame
    (dets, embeds). Frame ids jump by 2 now and then."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(objects, dim, generator=g)
    pos = torch.rand(objects, 2, generator=g) * 400
    vel = torch.randn(objects, 2, generator=g) * 4
    size = 20 + torch.rand(objects, 2, generator=g) * 40
    stream, frame_id = [], 0
    for _ in range(frames):
        seen = torch.rand(objects, generator=g) > 0.25
        n_fp = int(torch.randint(0, 4, (1, ), generator=g))
        xy = torch.cat([pos[seen], torch.rand(n_fp, 2, generator=g) * 400])
        wh = torch.cat([size[seen], 20 + torch.rand(n_fp, 2, generator=g)])
        emb = torch.cat([
            base[seen] + 0.6 * torch.randn(int(seen.sum()), dim, generator=g),
            torch.randn(n_fp, dim, generator=g)
        ])
        scores = 0.2 + 0.8 * torch.rand(xy.size(0), generator=g)
        stream.append((frame_id, dets_of(torch.cat([xy, xy + wh], 1),
                                         scores), emb))
        pos = pos + vel
        frame_id += 1 + int(torch.rand(1, generator=g) < 0.2)
    return stream


def reference_ids(stream, tau=0.5, m=0.5, init_thr=0.3, retain=30):
    """Eq. 10 + EMA + births + expiry, one Python object per track, numpy
    float64 (independent of the tracker's tensor code)."""
    tracks, next_id, out = [], 0, []
    for frame_id, dets, emb in stream:
        tracks = [t for t in tracks if frame_id - 1 - t['last'] <= retain]
        e = emb.double().numpy()
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        ids = [-1] * len(e)
        if tracks and len(e):
            sims = e @ np.stack([t['e'] for t in tracks]).T
            cost = np.where(sims >= tau, 1 - sims, 1 - tau + 1e-5)
            for r, c in zip(*linear_sum_assignment(cost)):
                if sims[r, c] >= tau:
                    t = tracks[c]
                    v = (1 - m) * t['e'] + m * e[r]
                    t['e'], t['last'] = v / np.linalg.norm(v), frame_id
                    ids[r] = t['id']
        for r, s in enumerate(dets.scores.tolist()):
            if ids[r] < 0 and s >= init_thr:
                ids[r] = next_id
                tracks.append(dict(id=next_id, e=e[r], last=frame_id))
                next_id += 1
        out.append([i for i in ids if i >= 0])
    return out


def run(tracker, stream):
    return [
        tracker.associate(f, d, e).instances_id.tolist() for f, d, e in stream
    ]


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_default_is_unchanged_and_neutral_motion_is_identical(seed):
    stream = random_stream(seed)
    default = run(ScaleTrackTracker(), stream)
    assert default == reference_ids(stream)
    assert sum(len(x) for x in default) > 200  # a non-trivial stream
    # motion with neutral settings must not move a single id: an infinite
    # gate, and a fused cost that weighs appearance alone
    for motion in (dict(mode='gate', gate_thr=float('inf')),
                   dict(mode='fuse', appearance_weight=1.0),
                   dict(mode='both', gate_thr=1e300, appearance_weight=1.0)):
        assert run(ScaleTrackTracker(motion=motion), stream) == default


def test_gate_forbids_a_far_detection_that_appearance_prefers():
    """Track born at (100, 100, 120, 140), h = 40: the projected position
    std after one prediction is sqrt((4 + 2) + 1) * h / 20 per axis... a
    detection 100 px away is far outside the 9.49 gate, one 2 px away is
    inside (hand: variance of cx = (2h/20)^2 + (10h/160)^2 + (h/20)^2 +
    (h/20)^2 = 16 + 6.25 + 4 + 4 = 30.25 at h = 40, so 2 px gives 0.13)."""
    e = unit(1, 0)
    near, far = [102, 100, 122, 140], [202, 100, 222, 140]
    for motion, want in ((None, 'far'), (dict(mode='gate'), 'near')):
        tr = ScaleTrackTracker(motion=motion)
        tr.associate(0, dets_of([100, 100, 120, 140]), e[None])
        out = tr.associate(1, dets_of([far, near]),
                           torch.stack([unit(1, 0.01),
                                        unit(1, 0.3)]))
        by_x = dict(zip(out.bboxes[:, 0].tolist(), out.instances_id.tolist()))
        assert by_x[{'far': 202, 'near': 102}[want]] == 0
    tr = ScaleTrackTracker(motion=dict(mode='gate'))
    tr.associate(0, dets_of([100, 100, 120, 140]), e[None])
    tr._kf_mean, tr._kf_cov = tr._kf.predict_batch(tr._kf_mean, tr._kf_cov)
    d2 = tr._kf.gating_distance_batch(
        tr._kf_mean, tr._kf_cov,
        torch.tensor([[112., 120., 0.5, 40.]], dtype=torch.float64))
    assert d2.item() == pytest.approx(4 / 30.25, rel=1e-9)


def test_unmatched_tracks_keep_predicting_through_an_occlusion():
    """10 px/frame to the right for 8 frames, hidden for 4, back where it
    would be at frame 12: the state equals mmdet's KalmanFilter run per
    track (predict every frame, update when seen), and the gate admits the
    detection, which it would not without the predictions."""
    from mmdet.models.task_modules.tracking import KalmanFilter
    e = unit(1, 0)
    kf = KalmanFilter()
    tr = ScaleTrackTracker(motion=dict(mode='gate'))
    for f in range(8):
        box = [100 + 10 * f, 100, 120 + 10 * f, 140]
        out = tr.associate(f, dets_of(box), e[None])
        assert out.instances_id.tolist() == [0]
        z = np.array([110. + 10 * f, 120., 0.5, 40.])
        if f == 0:
            mean, cov = kf.initiate(z)
        else:
            mean, cov = kf.update(*kf.predict(mean, cov), z)
    frozen = tr._kf_mean.clone(), tr._kf_cov.clone()
    for f in range(8, 12):
        tr.associate(f, dets_of([]), torch.zeros(0, 2))
        mean, cov = kf.predict(mean, cov)
    np.testing.assert_allclose(tr._kf_mean[0].numpy(), mean, 1e-9, 1e-9)
    np.testing.assert_allclose(tr._kf_cov[0].numpy(), cov, 1e-9, 1e-9)
    z12 = np.array([[230., 120., 0.5, 40.]])
    pm, pc = kf.predict(mean, cov)
    assert kf.gating_distance(pm, pc, z12) <= kf.chi2inv95[4]
    # without the 4 occluded predictions the same detection is gated out
    fm, fc = kf.predict(frozen[0][0].numpy(), frozen[1][0].numpy())
    assert kf.gating_distance(fm, fc, z12) > kf.chi2inv95[4]
    out = tr.associate(12, dets_of([220, 100, 240, 140]), e[None])
    assert out.instances_id.tolist() == [0]


def test_fuse_orders_admissible_pairs_but_never_admits_more():
    """Two tracks, one detection. Appearance 0.7 to track 0 (far box, IoU 0)
    and 0.65 to track 1 (same box, IoU with its fresh prediction = 1):
    fused 0.5 * 0.7 + 0 = 0.35 < 0.5 * 0.65 + 0.5 * 1 = 0.825."""
    a, b = unit(1, 0, 0), unit(0, 1, 0)
    box0, box1 = [0, 0, 20, 40], [300, 0, 320, 40]
    det = unit(0.7, 0.65, (1 - 0.7**2 - 0.65**2)**0.5)
    assert float(det @ a) == pytest.approx(0.7, abs=1e-6)
    for motion, want in ((None, 0), (dict(mode='fuse'), 1)):
        tr = ScaleTrackTracker(motion=motion)
        tr.associate(0, dets_of([box0, box1]), torch.stack([a, b]))
        out = tr.associate(1, dets_of([box1]), det[None])
        assert out.instances_id.tolist() == [want]
    # S = 0.4 < tau: IoU 1 does not make the pair admissible
    tr = ScaleTrackTracker(motion=dict(mode='fuse', appearance_weight=0.1))
    tr.associate(0, dets_of([box1]), b[None])
    out = tr.associate(1, dets_of([box1]), unit(0.9165, 0.4, 0)[None])
    assert out.instances_id.tolist() == [1]


def test_motion_option_errors():
    with pytest.raises(ValueError, match='mode'):
        ScaleTrackTracker(motion=dict(mode='kalman'))
    with pytest.raises(ValueError, match='unknown keys'):
        ScaleTrackTracker(motion=dict(mode='gate', lambda_=0.5))
    with pytest.raises(ValueError, match='appearance_weight'):
        ScaleTrackTracker(motion=dict(mode='fuse', appearance_weight=2))
    with pytest.raises(ValueError, match='gate_thr'):
        ScaleTrackTracker(motion=dict(mode='gate', gate_thr=0))
    tr = ScaleTrackTracker(motion=dict(mode='gate', center_only=True))
    assert tr.motion['gate_thr'] == 5.9915  # chi2inv95[2]
    assert ScaleTrackTracker(motion=dict(
        mode='gate')).motion['gate_thr'] == 9.4877
    with pytest.raises(ValueError, match='positive width'):
        tr.associate(0, dets_of([10, 10, 10, 20]), unit(1, 0)[None])


def test_motion_state_follows_the_memory():
    """Kalman rows are born, popped and reset with their tracks."""
    e = torch.eye(3)
    tr = ScaleTrackTracker(motion=dict(mode='both'), num_frames_retain=1)
    tr.associate(0, dets_of([[0, 0, 10, 10], [50, 0, 60, 10]]), e[:2])
    assert tr._kf_mean.shape == (2, 8) and tr._kf_cov.shape == (2, 8, 8)
    tr.associate(1, dets_of([[0, 0, 10, 10], [90, 0, 99, 10]]), e[[0, 2]])
    assert tr._kf_mean.shape[0] == tr.num_live_tracks == 3
    tr.associate(2, dets_of([]), torch.zeros(0, 3))  # track 1 expires
    assert tr.ids == [0, 2] and tr._kf_mean.shape[0] == 2
    assert tr._kf_mean[:, 0].tolist() == pytest.approx([5.0, 94.5], abs=1e-6)
    tr.reset()
    assert tr._kf_mean is None and tr._kf_cov is None


def test_motion_option_from_the_command_line():
    """``--cfg-options model.tracker.motion.mode=fuse`` (as
    tools/experiments/motion_cue.py passes it) reaches the tracker; the
    defaults fill the rest."""
    import argparse
    import os.path as osp

    from mmdet.registry import MODELS
    from mmengine.config import Config, DictAction
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(
        osp.join(
            root, 'configs/scaletrack/synthetic/mot_val/'
            'scaletrack_tiny-r18_1xb1-6e_synthetic_mot-val.py'))
    assert cfg.test_dataloader.dataset.type == 'MOTChallengeVideoDataset'
    assert 'motion' not in cfg.model.tracker  # off by default
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    opts = parser.parse_args([
        '--cfg-options', 'model.tracker.motion.mode=fuse',
        'model.tracker.motion.appearance_weight=0.3'
    ]).cfg_options
    cfg.merge_from_dict(opts)
    tracker = MODELS.build(cfg.model.tracker)
    assert tracker.motion == dict(
        mode='fuse', gate_thr=9.4877, appearance_weight=0.3, center_only=False)
    assert ScaleTrackTracker(motion=dict()).motion['mode'] == 'fuse'
