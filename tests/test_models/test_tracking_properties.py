"""Property-based test of the tracking stack (issue 12), with hypothesis.

Random streams of detections -- empty frames, NaN / inf / huge / zero-size
boxes, duplicates, scores outside [0, 1], 0 to 300 boxes, labels outside
the class list -- go through the tracker alone and through the MOT model
(the CPU-sized synthetic config with random weights). On every frame:

* valid input raises nothing; a label outside the class list raises a
  ``ValueError`` that says so (and nothing else does);
* the ids of a frame are unique;
* output boxes are finite and inside the image;
* ids are never reused: an id that is not live is never handed out again,
  new ids are always fresh; in the tracker test, where each detection
  carries its object's (orthogonal) appearance, an id never moves to
  another object.

Examples are bounded and derandomised (same examples on every run) so that
the whole file runs in well under a minute on the 2-core CI machine.
"""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from scaletrack.models.trackers import ScaleTrackTracker

IMG = 64  # model input side: a multiple of the config's pad divisor 32
EMBED = 16  # tracker-test embedding size = the most objects kept apart
MAX_BOXES = 300  # the bound on detections per frame
#: the kinds of boxes a frame mixes (weights: mostly valid ones)
KINDS = ('valid', 'valid', 'valid', 'nan', 'inf', 'huge', 'zero', 'dup',
         'outside')

# bounded, reproducible runs: ~40 tracker streams and ~25 model streams
TRACKER_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck))
MODEL_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck))


@st.composite
def frames(draw, max_frames=5, max_boxes=MAX_BOXES):
    """A video: per frame the object index and kind of each box, a seed for
    the numbers, and whether its scores leave [0, 1]."""
    num_frames = draw(st.integers(1, max_frames))
    video = []
    for _ in range(num_frames):
        n = draw(
            st.one_of(
                st.just(0), st.integers(0, 8), st.integers(0, max_boxes)))
        kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n,
                              max_size=n)) if n <= 8 else None
        video.append(
            dict(
                n=n,
                kinds=kinds,
                seed=draw(st.integers(0, 2**16)),
                wild_scores=draw(st.booleans())))
    return video


def make_boxes(frame, num_objects, size):
    """Boxes, scores and object indices of one frame (numpy)."""
    rng = np.random.default_rng(frame['seed'])
    n = frame['n']
    kinds = frame['kinds'] or list(rng.choice(KINDS, size=n))
    obj = rng.integers(0, num_objects, size=n)
    xy = rng.uniform(0, size * 0.8, (n, 2))
    wh = rng.uniform(2, size * 0.5, (n, 2))
    boxes = np.concatenate([xy, xy + wh], 1).astype(np.float32)
    for i, kind in enumerate(kinds):
        if kind == 'nan':
            boxes[i, rng.integers(4)] = np.nan
        elif kind == 'inf':
            boxes[i, rng.integers(4)] = np.inf * rng.choice([-1, 1])
        elif kind == 'huge':
            boxes[i, 2:] = 1e30
        elif kind == 'zero':
            boxes[i, 2] = boxes[i, 0]
        elif kind == 'dup' and i > 0:
            boxes[i], obj[i] = boxes[i - 1], obj[i - 1]
        elif kind == 'outside':
            boxes[i] = [size + 5, size + 5, size + 20, size + 20]
    low, high = (-2.0, 3.0) if frame['wild_scores'] else (0.0, 1.0)
    scores = rng.uniform(low, high, n).astype(np.float32)
    return boxes, scores, obj


@TRACKER_SETTINGS
@given(video=frames())
def test_tracker_properties(video):
    tracker = ScaleTrackTracker(num_frames_retain=2)
    protos = torch.linalg.qr(
        torch.randn(EMBED, EMBED,
                    generator=torch.Generator().manual_seed(0)))[0]
    owner = {}  # track id -> object index
    issued = -1
    for t, frame in enumerate(video):
        boxes, scores, obj = make_boxes(frame, EMBED, 1000)
        dets = InstanceData(
            bboxes=torch.from_numpy(boxes),
            scores=torch.from_numpy(scores),
            labels=torch.from_numpy(obj % 3).long(),
            obj=torch.from_numpy(obj).long())
        kept = tracker.select_detections(dets)
        assert len(kept) <= tracker.max_per_frame
        noise = 0.05 * torch.randn(
            len(kept),
            EMBED,
            generator=torch.Generator().manual_seed(frame['seed']))
        emb = protos[kept.obj] + noise if len(kept) else torch.zeros(0, 3)
        live = set(tracker.ids)
        out = tracker.associate(t, kept, emb)
        ids = out.instances_id.tolist()
        assert len(set(ids)) == len(ids)
        assert torch.isfinite(out.bboxes).all() and torch.isfinite(
            out.scores).all()
        assert ((out.bboxes[:, 2] > out.bboxes[:, 0]) &
                (out.bboxes[:, 3] > out.bboxes[:, 1])).all()
        for i, o in zip(ids, out.obj.tolist()):
            if i not in live:  # a birth: a fresh id
                assert i == issued + 1, (i, issued)
                issued = i
            assert owner.setdefault(i, o) == o, 'id moved to another object'
    # and NaN boxes straight into track() are refused, not stored
    bad = InstanceData(
        bboxes=torch.tensor([[0., 0., float('nan'), 1.]]),
        scores=torch.ones(1),
        labels=torch.zeros(1).long())
    with pytest.raises(ValueError, match='NaN'):
        tracker.associate(len(video), bad, torch.ones(1, EMBED))


@pytest.fixture(scope='module')
def model():
    from mmdet.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile('configs/scaletrack/synthetic/'
                          'scaletrack_tiny-r18_1xb1-6e_synthetic.py')
    cfg.model.tracker.num_frames_retain = 2
    torch.manual_seed(0)
    m = MODELS.build(cfg.model)
    m.eval()
    m.num_classes = 3
    return m


@MODEL_SETTINGS
@given(
    video=frames(max_frames=4),
    bad_label=st.sampled_from([None, None, None, -1, 3, 99]),
    scale=st.sampled_from([1.0, 0.5, 2.0]))
def test_model_properties(model, video, bad_label, scale):
    ori = (int(IMG / scale), int(IMG / scale))
    img = torch.rand(
        1, 1, 3, IMG, IMG, generator=torch.Generator().manual_seed(1))
    issued = -1
    for t, frame in enumerate(video):
        boxes, scores, obj = make_boxes(frame, 5, ori[0])
        labels = obj % 3
        invalid = bad_label is not None and len(labels) > 0
        if invalid:
            labels[-1] = bad_label
        ds = DetDataSample(
            metainfo=dict(
                frame_id=t,
                img_id=t,
                img_shape=(IMG, IMG),
                ori_shape=ori,
                scale_factor=(scale, scale)))
        ds.public_instances = InstanceData(
            bboxes=torch.from_numpy(boxes),
            scores=torch.from_numpy(scores),
            labels=torch.from_numpy(labels).long())
        sample = TrackDataSample()
        sample.video_data_samples = [ds]
        live = set(model.tracker.ids) if t > 0 else set()
        if invalid:
            with pytest.raises(ValueError, match='outside the class list'):
                model.predict(img, [sample])
            return
        out = model.predict(img, [sample])[0][0].pred_track_instances
        ids = out.instances_id.tolist()
        assert len(set(ids)) == len(ids)
        b = out.bboxes
        assert torch.isfinite(b).all() and torch.isfinite(out.scores).all()
        assert (b[:, 0::2] >= 0).all() and (b[:, 0::2] <= ori[1]).all()
        assert (b[:, 1::2] >= 0).all() and (b[:, 1::2] <= ori[0]).all()
        assert ((b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])).all()
        assert set(out.labels.tolist()) <= {0, 1, 2}
        for i in sorted(ids):
            if i not in live:
                assert i == issued + 1, (i, issued)  # fresh, never reused
                issued = i
        issued = max([issued] + ids)
