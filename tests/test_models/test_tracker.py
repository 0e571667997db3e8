"""ScaleTrackTracker: association (Eq. 10), memory, votes, detection filter.

Embeddings are scripted unit vectors, so every expected id and value below
follows from hand computation.
"""
import math

import pytest
import torch
from mmengine.structures import InstanceData

from scaletrack.models.trackers import ScaleTrackTracker


def dets_of(boxes, scores=None, labels=None):
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    n = boxes.size(0)
    scores = torch.full((n, ), 0.9) if scores is None else torch.as_tensor(
        scores, dtype=torch.float32)
    labels = torch.zeros(n, dtype=torch.long) if labels is None else \
        torch.as_tensor(labels, dtype=torch.long)
    return InstanceData(bboxes=boxes, scores=scores, labels=labels)


def unit(*xs):
    v = torch.tensor(xs, dtype=torch.float32)
    return v / v.norm()


def iou(a, b):
    """Reference IoU of two x1y1x2y2 boxes (plain Python)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area - inter)


def ids_by_row(out):
    """Map box x1 -> id (the tests give every box a distinct x1)."""
    return {
        round(float(b[0]), 3): int(i)
        for b, i in zip(out.bboxes, out.instances_id)
    }


def test_defaults_are_the_papers_and_registry_builds():
    from mmdet.registry import MODELS
    tracker = MODELS.build(dict(type='ScaleTrackTracker'))
    assert isinstance(tracker, ScaleTrackTracker)
    assert (tracker.score_thr, tracker.nms_iou_thr, tracker.max_per_frame,
            tracker.match_thr, tracker.memo_momentum) == (0.3, 0.4, 100, 0.5,
                                                          0.5)
    assert tracker.num_frames_retain == 30
    assert tracker.init_score_thr == 0.3
    with pytest.raises(ValueError, match='memo_momentum'):
        ScaleTrackTracker(memo_momentum=1.5)


def test_crossing_objects_keep_identity_by_appearance():
    """Two objects swap positions every frame; IoU would swap their ids."""
    tracker = ScaleTrackTracker()
    e_a, e_b = unit(1, 0.1, 0), unit(0.1, 1, 0)
    left, right = [0, 0, 20, 40], [12, 0, 32, 40]
    ids_a, ids_b = [], []
    for t in range(6):
        box_a, box_b = (left, right) if t % 2 == 0 else (right, left)
        # object A first on even frames, B first on odd ones
        order = [0, 1] if t % 2 == 0 else [1, 0]
        boxes = [[box_a, box_b][i] for i in order]
        # slightly perturbed appearance each frame, unnormalised on purpose
        emb = torch.stack([
            e_a + 0.05 * t * unit(0, 0, 1), e_b - 0.05 * t * unit(0, 0, 1)
        ])[order] * 3.0
        out = tracker.associate(t, dets_of(boxes), emb)
        got = dict(
            zip([tuple(b.tolist()) for b in out.bboxes],
                out.instances_id.tolist()))
        ids_a.append(got[tuple(float(x) for x in box_a)])
        ids_b.append(got[tuple(float(x) for x in box_b)])
    # the scenario defeats IoU matching: A's box overlaps B's next box more
    assert iou(left, left) > iou(left, right) > 0
    assert ids_a == [0] * 6 and ids_b == [1] * 6


def test_new_object_gets_new_id_and_reset_restarts_ids():
    tracker = ScaleTrackTracker()
    e = [unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)]
    out = tracker.associate(0, dets_of([[0, 0, 10, 10], [20, 0, 30, 10]]),
                            torch.stack(e[:2]))
    assert out.instances_id.tolist() == [0, 1]
    out = tracker.associate(
        1, dets_of([[40, 0, 50, 10], [21, 0, 31, 10], [1, 0, 11, 10]]),
        torch.stack([e[2], e[1], e[0]]))
    assert out.instances_id.tolist() == [2, 1, 0]
    assert tracker.num_tracks == 3 and sorted(tracker.ids) == [0, 1, 2]
    tracker.reset()
    assert tracker.empty and tracker.num_tracks == 0
    out = tracker.associate(0, dets_of([[0, 0, 10, 10]]), e[2][None])
    assert out.instances_id.tolist() == [0]


def test_birth_threshold():
    tracker = ScaleTrackTracker(init_score_thr=0.5)
    out = tracker.associate(
        0, dets_of([[0, 0, 10, 10], [20, 0, 30, 10]], scores=[0.49, 0.5]),
        torch.stack([unit(1, 0), unit(0, 1)]))
    assert out.instances_id.tolist() == [0]
    assert out.bboxes[0, 0].item() == 20
    # a low-score detection may still continue an existing track
    out = tracker.associate(1, dets_of([[21, 0, 31, 10]], scores=[0.35]),
                            unit(0, 1)[None])
    assert out.instances_id.tolist() == [0]


@pytest.mark.parametrize('gap,same', [(3, True), (4, False)])
def test_lifetime_and_reidentification(gap, same):
    """num_frames_retain=3: an object missing for 3 frames is re-identified,
    one missing for 4 frames gets a new id (its track was dropped)."""
    tracker = ScaleTrackTracker(num_frames_retain=3)
    e_obj, e_other = unit(1, 0), unit(0, 1)
    tracker.associate(0, dets_of([[0, 0, 10, 10]]), e_obj[None])
    for t in range(1, gap + 1):  # the object is occluded; another is seen
        tracker.associate(t, dets_of([[50, 0, 60, 10]]), e_other[None])
        assert (0 in tracker.ids) == (t <= 3)  # kept while t - 0 <= 3
    out = tracker.associate(gap + 1, dets_of([[5, 0, 15, 10]]), e_obj[None])
    assert (out.instances_id.item() == 0) == same
    if not same:
        assert out.instances_id.item() == 2


def test_lost_tracks_are_dropped_from_memory():
    tracker = ScaleTrackTracker(num_frames_retain=2)
    tracker.associate(0, dets_of([[0, 0, 10, 10]]), unit(1, 0)[None])
    for t in (1, 2):
        tracker.associate(t, dets_of([]), torch.zeros(0, 2))
        assert tracker.ids == [0]
    tracker.associate(3, dets_of([]), torch.zeros(0, 2))
    assert tracker.empty
    # a frame jump also ends tracks whose gap exceeds the lifetime
    tracker.associate(10, dets_of([[0, 0, 10, 10]]), unit(1, 0)[None])
    out = tracker.associate(14, dets_of([[0, 0, 10, 10]]), unit(1, 0)[None])
    assert out.instances_id.tolist() == [2]


@pytest.mark.parametrize('cos,matched', [(0.49, False), (0.51, True),
                                         (0.5, True)])
def test_match_threshold(cos, matched):
    tracker = ScaleTrackTracker()
    tracker.associate(0, dets_of([[0, 0, 10, 10]]), unit(1, 0)[None])
    det = torch.tensor([[cos, math.sqrt(1 - cos**2)]], dtype=torch.float64)
    out = tracker.associate(1, dets_of([[0, 0, 10, 10]]), det.float())
    assert out.instances_id.tolist() == ([0] if matched else [1])


def test_gated_hungarian_prefers_admissible_matches():
    """Plain Hungarian on 1 - S would give A->t2 (S=0.1, then rejected) and
    B->t1 (0.6); with the gate A keeps t1 (0.9) and B starts a track."""
    tracker = ScaleTrackTracker()
    tracker.associate(0, dets_of([[0, 0, 10, 10], [20, 0, 30, 10]]),
                      torch.stack([unit(1, 0, 0), unit(0, 1, 0)]))
    a = torch.tensor([0.9, 0.1, math.sqrt(1 - 0.81 - 0.01)])
    b = torch.tensor([0.6, -0.8, 0.0])
    # plain min-cost assignment really is the other one:
    cost_ab = (1 - 0.9) + (1 + 0.8)
    cost_ba = (1 - 0.1) + (1 - 0.6)
    assert cost_ba < cost_ab
    out = tracker.associate(1, dets_of([[1, 0, 11, 10], [2, 0, 12, 10]]),
                            torch.stack([a, b]))
    assert ids_by_row(out) == {1.0: 0, 2.0: 2}


@pytest.mark.parametrize(
    'momentum,expected',
    [
        (0.5, (0.8, 0.4)),  # 0.5 * [1, 0] + 0.5 * [0.6, 0.8]
        (0.25, (0.9, 0.2)),  # 0.75 * track + 0.25 * detection
    ])
def test_ema_update(momentum, expected):
    tracker = ScaleTrackTracker(memo_momentum=momentum)
    tracker.associate(0, dets_of([[0, 0, 10, 10]]), torch.tensor([[2.0, 0,
                                                                   0]]))
    # unnormalised detection embedding with cosine 0.6 to the track
    tracker.associate(1, dets_of([[0, 0, 10, 10]]),
                      torch.tensor([[3.0, 4.0, 0.0]]))
    x, y = expected
    norm = math.hypot(x, y)
    embed = tracker.tracks[0]['embed']
    assert embed.tolist() == pytest.approx([x / norm, y / norm, 0.0], abs=1e-6)
    assert tracker.tracks[0]['last_frame'] == 1


def test_majority_vote_class_with_recency_tiebreak():
    tracker = ScaleTrackTracker()
    e1, e2 = unit(1, 0), unit(0, 1)
    # track 0 sees labels 3, 5, 5, 3, 7 ; track 1 sees 8, 8, 3, 3, 3
    seq0 = [3, 5, 5, 3, 7]
    seq1 = [8, 8, 3, 3, 3]
    # expected: 3; tie 3/5 -> 5 (recent); 5; tie 2/2 -> 3 (recent);
    # 3 (2 x 3 vs 2 x 5, 3 more recent, 7 has one vote)
    exp0 = [3, 5, 5, 3, 3]
    # 8; 8; tie 2/1? no: 8 x2, 3 x1 -> 8; 2/2 tie -> 3 (recent); 3 x3 -> 3
    exp1 = [8, 8, 8, 3, 3]
    for t in range(5):
        out = tracker.associate(
            t,
            dets_of([[0, 0, 10, 10], [20, 0, 30, 10]],
                    labels=[seq0[t], seq1[t]]), torch.stack([e1, e2]))
        assert out.instances_id.tolist() == [0, 1]
        assert out.labels.tolist() == [exp0[t], exp1[t]]


def test_track_handles_zero_detections_and_zero_tracks():
    tracker = ScaleTrackTracker()
    out = tracker.associate(0, dets_of([]), torch.zeros(0, 8))
    assert len(out) == 0 and out.instances_id.shape == (0, )
    assert out.instances_id.dtype == torch.long
    tracker.associate(1, dets_of([[0, 0, 10, 10]]), torch.ones(1, 8))
    out = tracker.associate(2, dets_of([]), torch.zeros(0, 8))
    assert len(out) == 0 and tracker.ids == [0]
    out = tracker.associate(3, dets_of([[0, 0, 10, 10]]), torch.ones(1, 8))
    assert out.instances_id.tolist() == [0]


@pytest.mark.parametrize('empty_width', [1, 0, 8])
def test_empty_frame_embeddings_of_any_width(empty_width):
    """Issue 12: an empty frame's ``[0, E']`` embeddings need not have the
    tracks' width (the MOT model used to send ``[0, 1]``; the tracker
    raised "embedding size 1 differs from the tracks' 8"). The tracks only
    age: kept within ``num_frames_retain``, dropped after it."""
    tracker = ScaleTrackTracker(num_frames_retain=2)
    tracker.associate(0, dets_of([[0, 0, 10, 10]]),
                      unit(1, 0, 0, 0, 0, 0, 0, 0)[None])
    for t in (1, 2):
        out = tracker.associate(t, dets_of([]), torch.zeros(0, empty_width))
        assert len(out) == 0 and tracker.ids == [0]
    out = tracker.associate(3, dets_of([]), torch.zeros(0, empty_width))
    assert tracker.ids == []  # 3 frames unmatched > num_frames_retain = 2
    # a whole video of empty frames, from the first frame on
    tracker.reset()
    for t in range(4):
        assert len(
            tracker.associate(t, dets_of([]), torch.zeros(0,
                                                          empty_width))) == 0
    assert tracker.num_tracks == 0


def test_track_rejects_non_finite_boxes_and_scores():
    tracker = ScaleTrackTracker()
    nan = float('nan')
    with pytest.raises(ValueError, match='select_detections'):
        tracker.associate(0, dets_of([[0, 0, nan, 10]]), torch.ones(1, 4))
    with pytest.raises(ValueError, match='select_detections'):
        tracker.associate(0, dets_of([[0, 0, 10, 10]], scores=[float('inf')]),
                          torch.ones(1, 4))
    assert tracker.empty  # nothing was stored


def test_track_rejects_bad_input():
    tracker = ScaleTrackTracker()
    with pytest.raises(ValueError, match='embeds must have shape'):
        tracker.associate(0, dets_of([[0, 0, 10, 10]]), torch.ones(2, 4))
    with pytest.raises(ValueError, match='NaN'):
        tracker.associate(0, dets_of([[0, 0, 10, 10]]),
                          torch.tensor([[float('nan'), 1.0]]))
    with pytest.raises(ValueError, match='bboxes must be'):
        tracker.associate(
            0,
            dets_of([[0, 0, 10, 10]]).new(
                bboxes=torch.zeros(1, 5),
                scores=torch.ones(1),
                labels=torch.zeros(1, dtype=torch.long)), torch.ones(1, 4))


def test_many_tracks_recovered_exactly():
    """100 noisy re-observations among 300 live tracks, shuffled."""
    g = torch.Generator().manual_seed(0)
    tracker = ScaleTrackTracker()
    bank = torch.nn.functional.normalize(
        torch.randn(300, 256, generator=g), dim=1)
    boxes = torch.rand(300, 2, generator=g) * 500
    boxes = torch.cat([boxes, boxes + 20], dim=1)
    tracker.associate(0, dets_of(boxes), bank)
    assert tracker.num_live_tracks == 300
    perm = torch.randperm(300, generator=g)[:100]
    noisy = bank[perm] + 0.02 * torch.randn(100, 256, generator=g)
    out = tracker.associate(1, dets_of(boxes[perm]), noisy)
    assert out.instances_id.tolist() == perm.tolist()


# ---------------------------------------------------------- select_detections
def test_select_detections_drops_invalid_and_low_scores():
    tracker = ScaleTrackTracker()
    nan = float('nan')
    boxes = [
        [0, 0, 10, 10],  # 0 kept
        [nan, 0, 10, 10],  # 1 non-finite coordinate
        [100, 0, 90, 10],  # 2 negative width
        [200, 0, 210, 200],  # 3 kept
        [300, 5, 310, 5],  # 4 zero height
        [400, 0, 410, 10],  # 5 score below 0.3
        [500, 0, 510, 10],  # 6 score exactly 0.3: kept (>=)
        [600, 0, 610, 10],  # 7 non-finite score
        [700, 0, float('inf'), 10],  # 8 infinite coordinate
    ]
    scores = [0.9, 0.9, 0.9, 0.8, 0.9, 0.29, 0.3, nan, 0.9]
    out = tracker.select_detections(
        dets_of(boxes, scores, labels=list(range(9))))
    assert out.labels.tolist() == [0, 3, 6]  # sorted by descending score


@pytest.mark.parametrize('target,suppressed', [(0.39, False), (0.41, True)])
def test_select_detections_nms_at_0_4_class_agnostic(target, suppressed):
    # two 10x10 boxes shifted by s overlap in w = 10 - s: IoU = w / (20 - w)
    w = 20 * target / (1 + target)
    a, b = [0.0, 0.0, 10.0, 10.0], [10.0 - w, 0.0, 20.0 - w, 10.0]
    assert iou(a, b) == pytest.approx(target, abs=1e-4)
    tracker = ScaleTrackTracker()
    # different classes: the NMS must still compare them (class-agnostic)
    out = tracker.select_detections(dets_of([b, a], [0.5, 0.9], [1, 2]))
    assert out.labels.tolist() == ([2] if suppressed else [2, 1])


def test_select_detections_top_k_and_empty():
    tracker = ScaleTrackTracker()
    boxes = [[30 * i, 0, 30 * i + 10, 10] for i in range(150)]
    scores = torch.linspace(0.31, 0.99, 150)[torch.randperm(
        150, generator=torch.Generator().manual_seed(1))]
    out = tracker.select_detections(dets_of(boxes, scores))
    assert len(out) == 100
    assert torch.equal(out.scores, scores.sort(descending=True).values[:100])
    small = ScaleTrackTracker(max_per_frame=3)
    assert len(small.select_detections(dets_of(boxes, scores))) == 3
    empty = tracker.select_detections(dets_of([]))
    assert len(empty) == 0 and empty.bboxes.shape == (0, 4)
    none_valid = tracker.select_detections(
        dets_of([[0, 0, 10, 10]], scores=[0.1]))
    assert len(none_valid) == 0


def test_class_aware_never_matches_across_classes():
    """With class_aware=True a detection of another class starts a new
    track even when its embedding is identical; the default (paper) keeps
    class-agnostic association."""
    box = torch.tensor([[10., 10., 50., 50.]])
    emb = torch.tensor([[1.0, 0.0, 0.0]])
    for class_aware, expect_same in ((False, True), (True, False)):
        tr = ScaleTrackTracker(class_aware=class_aware)
        a = tr.associate(
            0,
            InstanceData(
                bboxes=box,
                scores=torch.tensor([0.9]),
                labels=torch.tensor([2])), emb)
        b = tr.associate(
            1,
            InstanceData(
                bboxes=box,
                scores=torch.tensor([0.9]),
                labels=torch.tensor([5])), emb)
        same = int(a.instances_id[0]) == int(b.instances_id[0])
        assert same == expect_same


class _GivenEmbeddings:
    """Stands in for the MOT model: ``track_head.predict`` records the boxes
    it is asked to embed and returns the given embeddings."""

    def __init__(self, embeds):
        self.track_head = self
        self.embeds = embeds
        self.calls = []

    def predict(self, feats, bboxes, temporal_feats=None):
        self.calls.append((feats, bboxes, temporal_feats))
        return self.embeds


def test_track_is_mmdets_interface_over_associate():
    from mmdet.structures import DetDataSample
    dets = dets_of([[0, 0, 10, 20], [30, 10, 50, 40]])
    emb = torch.stack([unit(1, 0), unit(0, 1)])
    model = _GivenEmbeddings(emb)
    sample = DetDataSample(metainfo=dict(frame_id=4))
    sample.pred_det_instances = dets
    tracker = ScaleTrackTracker()
    out = tracker.track(
        model,
        None,
        'feats',
        sample,
        temporal_feats='win',
        box_scale=(0.5, 2.0))
    (feats, bboxes, temporal), = model.calls
    assert feats == 'feats' and temporal == 'win'
    # boxes scaled by (sx, sy, sx, sy) into the association net's input
    assert bboxes[0].tolist() == [[0, 0, 5, 40], [15, 20, 25, 80]]
    assert out.instances_id.tolist() == [0, 1]
    assert tracker.memo['frame_ids'].tolist() == [4, 4]  # from metainfo
    # the same step with the embeddings given
    ref = ScaleTrackTracker().associate(4, dets, emb)
    assert ref.instances_id.tolist() == out.instances_id.tolist()


def test_memo_get_and_update_hooks():
    tracker = ScaleTrackTracker(memo_momentum=0.5)
    tracker.associate(
        0, dets_of([[0, 0, 10, 10], [20, 0, 30, 10]], labels=[3, 4]),
        torch.stack([unit(1, 0, 0), unit(0, 1, 0)]))
    # track 1 re-observed at 90 degrees: EMA 0.5 -> normalize((0,1,0)+(0,0,1))
    tracker.update(
        ids=torch.tensor([1]),
        embeds=unit(0, 0, 1)[None],
        bboxes=torch.tensor([[21., 0, 31, 10]]),
        labels=torch.tensor([4]),
        frame_ids=1)
    memo = tracker.memo
    assert memo['ids'].tolist() == [0, 1]
    assert memo['frame_ids'].tolist() == [0, 1]
    assert memo['labels'].tolist() == [3, 4]
    h = 1 / math.sqrt(2)
    assert torch.allclose(
        tracker.get('embeds', ids=[1]), torch.tensor([[0., h, h]]))
    assert tracker.get('bboxes', ids=[1]).tolist() == [[21, 0, 31, 10]]
    with pytest.raises(ValueError, match='larger than the live ones'):
        tracker.update(
            ids=torch.tensor([-5]),
            embeds=unit(1, 0, 0)[None],
            bboxes=torch.zeros(1, 4),
            labels=torch.zeros(1, dtype=torch.long),
            frame_ids=2)
    with pytest.raises(ValueError, match='num_samples'):
        tracker.get('embeds', num_samples=2)
    with pytest.raises(KeyError, match='not live'):
        tracker.get('embeds', ids=[9])
    # pop_invalid_tracks: unmatched for more than num_frames_retain frames
    tracker.pop_invalid_tracks(tracker.num_frames_retain + 1)
    assert tracker.ids == [1]
