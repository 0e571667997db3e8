"""TETA with BDD100K's rules: ignore regions and every frame a timestep.

``ignore_iscrowd``: annotations with ``iscrowd`` / ``ignore`` (what
``bdd100k_to_cocovid.py`` writes for "other person", "other vehicle",
"trailer" and crowd boxes) are not ground truth; a prediction that the
per-frame Hungarian on IoU (pairs >= 0.5 only) leaves unmatched and that lies
more than half inside an ignored box (intersection over the prediction's
area) is removed. ``all_frames``: images without annotations are timesteps.
The defaults (TAO) keep the former numbers.
"""
import copy
import json

import numpy as np
import pytest
from test_teta_reference_loop import KEYS, loop_teta, random_case
from test_tracking_metrics import frame_sample, run

from scaletrack.evaluation.functional.tao_format import parse_tao_ground_truth
from scaletrack.evaluation.functional.teta import TETA_KEYS, evaluate_teta

A, B = 1, 2
CATS = [(A, 'apple', None), (B, 'bison', None)]
BOX_A = [0.0, 0.0, 10.0, 10.0]
BOX_B = [100.0, 100.0, 20.0, 20.0]
FAR = [500.0, 400.0, 30.0, 30.0]
BDD = dict(exhaustive=True, ignore_iscrowd=True, all_frames=True)


def mark_ignored(gt, track_id):
    """Flag the annotations of a track as the converter does."""
    for a in gt['annotations']:
        if a['track_id'] == track_id:
            a['iscrowd'] = a['ignore'] = 1
    return gt


def pred(gt, frame, track_id, box, cat=A):
    return dict(
        image_id=gt['images'][frame]['id'],
        video_id=1,
        category_id=cat,
        bbox=list(box),
        score=0.9,
        track_id=track_id)


def test_parsed_ground_truth_keeps_the_ignore_flags(tao):
    gt = tao.gt({1: [[(10, A, BOX_A), (11, A, BOX_B), (12, A, FAR)]]},
                CATS[:1])
    gt['annotations'][1]['iscrowd'] = 1  # crowd box
    gt['annotations'][2]['ignore'] = 1  # ignore flag only
    parsed = parse_tao_ground_truth(gt)
    assert parsed.ann_ignore.tolist() == [False, True, True]


def test_prediction_inside_ignored_box_is_removed(tao):
    # frame: a real apple (track 10) and an ignored apple-class box (11).
    # Predictions: perfect on the real one; on the ignored one a box
    # [100, 100, 8, 20] wholly inside it (IoA = 1) with IoU 160/400 = 0.4.
    gt = mark_ignored(
        tao.gt({1: [[(10, A, BOX_A), (11, A, BOX_B)]]}, CATS[:1]), 11)
    res = [pred(gt, 0, 1, BOX_A), pred(gt, 0, 2, [100.0, 100.0, 8.0, 20.0])]
    bdd = evaluate_teta(gt, res, **BDD)
    # only the real apple is ground truth and the inside box is gone:
    # everything is perfect, no exhaustive ClsA FP
    for k in TETA_KEYS:
        assert bdd[k] == pytest.approx(100.0), k
    # TAO mode (defaults): the ignored box is a ground-truth apple that
    # nothing matches (IoU 0.4 < 0.5): 1 TP, 1 FN at every threshold ->
    # LocRe = LocA = 50, LocPr = 100 (the 0.4 box overlaps nothing).
    tao_out = evaluate_teta(gt, res, exhaustive=True)
    assert tao_out['LocRe'] == pytest.approx(50.0)
    assert tao_out['LocPr'] == pytest.approx(100.0)
    assert tao_out['LocA'] == pytest.approx(50.0)
    # ... and the apple-labelled box outside the apple cluster is an
    # exhaustive FP: ClsA = 1 / (1 + 0 + 1) = 50
    assert tao_out['ClsA'] == pytest.approx(50.0)
    assert figures(
        evaluate_teta(
            gt, res, exhaustive=True, ignore_iscrowd=False,
            all_frames=False)) == figures(tao_out)


def test_removed_box_leaves_its_track(tao):
    # ground-truth apple 10 in frames 0 and 1; an ignored box in frame 1.
    # Predicted track 1: on the apple in frame 0, inside the ignored box in
    # frame 1 (removed); track 2 on the apple in frame 1.
    # Matches (10, 1) and (10, 2) once each, TP = 2, |10| = 2 and, with the
    # removed box gone, |1| = |2| = 1:
    # AssocA = (1/(2+1-1) + 1/(2+1-1)) / 2 = 0.5, AssocPr = (1 + 1) / 2 = 1.
    # (Were the box kept with |1| = 2: AssocA = (1/3 + 1/2) / 2, AssocPr
    # = (1/2 + 1) / 2.)
    gt = mark_ignored(
        tao.gt({1: [[(10, A, BOX_A)], [(10, A, BOX_A), (11, A, BOX_B)]]},
               CATS[:1]), 11)
    res = [pred(gt, 0, 1, BOX_A), pred(gt, 1, 1, BOX_B), pred(gt, 1, 2, BOX_A)]
    out = evaluate_teta(gt, res, **BDD)
    assert out['AssocA'] == pytest.approx(50.0)
    assert out['AssocRe'] == pytest.approx(50.0)
    assert out['AssocPr'] == pytest.approx(100.0)
    assert out['LocA'] == pytest.approx(100.0)
    assert out['ClsA'] == pytest.approx(100.0)


def test_inside_box_matched_to_real_ground_truth_stays(tao):
    # a real apple [0, 0, 10, 10] inside an ignored box [0, 0, 20, 20].
    # Two identical predictions on the apple (tracks 1 and 2), both wholly
    # inside the ignored box (IoA = 1): the Hungarian gives the apple to one
    # of them, which stays (TP); the other is unmatched and removed (it
    # would be an overlapping FP: LocPr = 50). LocRe = LocPr = 100.
    gt = mark_ignored(
        tao.gt({1: [[(10, A, BOX_A), (11, A, [0.0, 0.0, 20.0, 20.0])]]},
               CATS[:1]), 11)
    res = [pred(gt, 0, 1, BOX_A), pred(gt, 0, 2, BOX_A)]
    out = evaluate_teta(gt, res, **BDD)
    for k in TETA_KEYS:
        assert out[k] == pytest.approx(100.0), k
    # the same without the ignored box: the duplicate is an overlapping FP
    plain = copy.deepcopy(gt)
    plain['annotations'] = plain['annotations'][:1]
    assert evaluate_teta(plain, res, **BDD)['LocPr'] == pytest.approx(50.0)


def test_pairs_below_iou_0_5_cannot_save_an_inside_box(tao):
    # frame 0: apple [0, 0, 10, 10] inside an ignored box [0, 0, 20, 20],
    # predicted by track 1 as [0, 0, 10, 4] (IoU 0.4, IoA 1): no pair below
    # IoU 0.5 matches, so the box is removed. Frame 1: apple predicted
    # perfectly by track 1 (so track 1 is in the cluster either way).
    # Removed: TP = 1, FN = 1 at every threshold -> LocRe = 50, LocPr = 100.
    # (Kept, the 0.4 pair would count for a <= 0.40: LocRe = 72.5.)
    gt = mark_ignored(
        tao.gt(
            {
                1: [[(10, A, BOX_A),
                     (11, A, [0.0, 0.0, 20.0, 20.0])], [(10, A, BOX_A)]]
            }, CATS[:1]), 11)
    res = [pred(gt, 0, 1, [0.0, 0.0, 10.0, 4.0]), pred(gt, 1, 1, BOX_A)]
    out = evaluate_teta(gt, res, **BDD)
    assert out['LocRe'] == pytest.approx(50.0)
    assert out['LocPr'] == pytest.approx(100.0)
    assert out['LocA'] == pytest.approx(50.0)


def test_half_inside_is_not_inside(tao):
    # the rule is IoA > 0.5 (strict): a box exactly half inside the ignored
    # box stays and, overlapping no ground truth, is an exhaustive ClsA FP
    # of apple: ClsA = 1 / (1 + 0 + 1) = 50. A box 0.6 inside is removed.
    gt = mark_ignored(
        tao.gt({1: [[(10, A, BOX_A), (11, A, BOX_B)]]}, CATS[:1]), 11)
    half = [pred(gt, 0, 1, BOX_A), pred(gt, 0, 2, [90.0, 100.0, 20.0, 20.0])]
    assert evaluate_teta(gt, half, **BDD)['ClsA'] == pytest.approx(50.0)
    more = [pred(gt, 0, 1, BOX_A), pred(gt, 0, 2, [92.0, 100.0, 20.0, 20.0])]
    assert evaluate_teta(gt, more, **BDD)['ClsA'] == pytest.approx(100.0)


def test_ignore_regions_are_class_agnostic(tao):
    # the ignored box is a bison-class region; an apple-labelled prediction
    # inside it is removed all the same
    gt = mark_ignored(
        tao.gt({1: [[(10, A, BOX_A), (11, B, BOX_B)]]}, CATS), 11)
    res = [pred(gt, 0, 1, BOX_A), pred(gt, 0, 2, BOX_B, cat=A)]
    out = evaluate_teta(gt, res, **BDD)
    assert list(out['per_class']) == ['apple']  # no bison ground truth
    assert out['ClsA'] == pytest.approx(100.0)
    # as ground truth (not exhaustive, for a simple count), the bison is
    # matched by an apple-labelled box: an FP of apple, ClsA_apple = 1 / 2
    no_rule = evaluate_teta(gt, res, all_frames=True)
    assert no_rule['per_class']['apple']['ClsA'] == pytest.approx(50.0)
    assert no_rule['per_class']['bison']['ClsA'] == pytest.approx(0.0)


def test_prediction_on_unannotated_frame_counts_with_all_frames(tao):
    # apple 10 annotated in frames 0 and 1, frame 2 has no annotation.
    # Track 1 is perfect on frames 0-1; track 5 (apple) sits in frame 2.
    # BDD (exhaustive + all_frames): frame 2 is a timestep, track 5 is an
    # exhaustive ClsA FP: ClsA = 2 / (2 + 0 + 1). TAO: frame 2 is not a
    # timestep, ClsA = 100.
    gt = tao.gt({1: [[(10, A, BOX_A)], [(10, A, BOX_A)], []]}, CATS[:1])
    res = tao.perfect_results(gt) + [pred(gt, 2, 5, FAR)]
    out = evaluate_teta(gt, res, **BDD)
    assert out['ClsA'] == pytest.approx(200 / 3)
    assert out['LocA'] == pytest.approx(100.0)
    assert evaluate_teta(
        gt, res, exhaustive=True)['ClsA'] == pytest.approx(100.0)
    # exhaustive without all_frames: the frame-2 box is ignored as before
    assert evaluate_teta(
        gt, res, exhaustive=True,
        ignore_iscrowd=True)['ClsA'] == pytest.approx(100.0)


def test_unannotated_frames_lengthen_predicted_tracks(tao):
    # as above, but track 1 (the apple's) goes on into frame 2 (far away).
    # all_frames: |1| = 3, 2 matches, TP = 2:
    # AssocPr = 2 * 2/3 / 2 = 2/3, AssocRe = 2 * 2/2 / 2 = 1,
    # AssocA = 2 * 2/(2 + 3 - 2) / 2 = 2/3. Default: |1| = 2, all 100.
    gt = tao.gt({1: [[(10, A, BOX_A)], [(10, A, BOX_A)], []]}, CATS[:1])
    res = tao.perfect_results(gt)
    res[0]['track_id'] = res[1]['track_id'] = 1
    res.append(pred(gt, 2, 1, FAR))
    out = evaluate_teta(gt, res, all_frames=True)
    assert out['AssocPr'] == pytest.approx(200 / 3)
    assert out['AssocRe'] == pytest.approx(100.0)
    assert out['AssocA'] == pytest.approx(200 / 3)
    assert evaluate_teta(gt, res)['AssocA'] == pytest.approx(100.0)


def test_all_frames_skips_videos_not_listed(tao):
    # images of a video missing from "videos" are no timesteps either way
    gt = tao.gt({1: [[(10, A, BOX_A)]], 2: [[]]}, CATS[:1])
    gt['videos'] = gt['videos'][:1]
    res = tao.perfect_results(gt) + [
        dict(
            image_id=gt['images'][1]['id'],
            video_id=2,
            category_id=A,
            bbox=FAR,
            score=0.9,
            track_id=3)
    ]
    assert evaluate_teta(gt, res, **BDD)['ClsA'] == pytest.approx(100.0)


def test_teta_metric_passes_the_bdd_options(tao, tmp_path):
    # frame 0: apple + ignored box, predicted perfectly and by a box wholly
    # inside the ignored one (IoU 0.4); frame 1: no annotation, an apple
    # prediction far away (track 5).
    # BDD: the inside box is removed, frame 1 is a timestep: LocA = 100,
    # ClsA = 1 / (1 + 0 + 1) = 50. TAO rules: the ignored box is an
    # unmatched apple (LocA = 50), frame 1 is skipped, the inside box is an
    # exhaustive FP (ClsA = 50 as well).
    gt = mark_ignored(
        tao.gt({1: [[(10, A, BOX_A), (11, A, BOX_B)], []]}, CATS[:1]), 11)
    ann_file = tmp_path / 'bdd.json'
    ann_file.write_text(json.dumps(gt))
    frames = [
        frame_sample(1, 1, 0, 2, [(1, 0, BOX_A),
                                  (2, 0, [100.0, 100.0, 8.0, 20.0])]),
        frame_sample(2, 1, 1, 2, [(5, 0, FAR)])
    ]
    cfg = dict(type='TETAMetric', ann_file=str(ann_file), exhaustive=True)
    bdd = run(
        dict(cfg, ignore_iscrowd=True, all_frames=True), [frames],
        classes=('apple', ))
    assert bdd['teta/LocA'] == pytest.approx(100.0)
    assert bdd['teta/ClsA'] == pytest.approx(50.0)
    plain = run(cfg, [frames], classes=('apple', ))
    assert plain['teta/LocA'] == pytest.approx(50.0)
    assert plain['teta/ClsA'] == pytest.approx(50.0)


def figures(out, keys=TETA_KEYS):
    return {k: round(out[k], 9) for k in keys}


# ------------------------------------------------- against the loop version
def bdd_case(seed):
    """``random_case`` with BDD100K difficulties added: crowd boxes inside
    ground-truth tracks, ignored regions with tracks wandering in and out
    of them (IoA around 0.5), an ignored region around the overlapping
    horse and rider with a shifted duplicate of the rider inside it, and
    (from ``random_case``) predictions on an unannotated frame."""
    gt, results = random_case(seed)
    rng = np.random.default_rng(1000 + seed)
    for a in gt['annotations']:
        if rng.random() < 0.12:
            a['iscrowd'] = a['ignore'] = 1
    images = {im['id']: im for im in gt['images']}
    annotated = {a['image_id'] for a in gt['annotations']}
    ann_id = max(a['id'] for a in gt['annotations'])
    for im_id in sorted(annotated):
        t, vid = images[im_id]['frame_index'], images[im_id]['video_id']
        ann_id += 1
        region = [150.0 + 4 * t, 20.0, 60.0, 50.0]
        gt['annotations'].append(
            dict(
                id=ann_id,
                image_id=im_id,
                video_id=vid,
                track_id=300,
                category_id=int(rng.choice([1, 2, 3])),
                bbox=region,
                iscrowd=1,
                ignore=1))
        for j in range(2):  # boxes 20-100 % inside the region
            dx = float(rng.uniform(-0.8, 0.2)) * 40
            results.append(
                dict(
                    image_id=im_id,
                    video_id=vid,
                    score=0.5,
                    track_id=80 + j,
                    category_id=int(rng.choice([1, 2, 3, 6])),
                    bbox=[region[0] + 10 + dx, 25.0 + 10 * j, 40.0, 30.0]))
        # around the horse and rider of random_case
        ann_id += 1
        gt['annotations'].append(
            dict(
                id=ann_id,
                image_id=im_id,
                video_id=vid,
                track_id=301,
                category_id=1,
                bbox=[290.0 + 5 * t, 285.0, 140.0, 110.0],
                ignore=1))
        results.append(
            dict(
                image_id=im_id,
                video_id=vid,
                category_id=3,
                score=0.7,
                track_id=90,
                bbox=[312.0 + 5 * t, 297.0, 100.0, 85.0]))
    return gt, results


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
@pytest.mark.parametrize('ignore_iscrowd,all_frames,exhaustive',
                         [(True, True, True), (True, True, False),
                          (True, False, True), (False, True, True)])
def test_bdd_rules_match_loop_rederivation(seed, ignore_iscrowd, all_frames,
                                           exhaustive):
    gt, results = bdd_case(seed)
    kwargs = dict(
        exhaustive=exhaustive,
        ignore_iscrowd=ignore_iscrowd,
        all_frames=all_frames)
    fast = evaluate_teta(gt, results, **kwargs)
    slow = loop_teta(gt, results, **kwargs)
    assert 5 < slow['TETA'] < 95
    # the rules must change the figures for the comparison to mean anything
    assert figures(fast) != figures(
        evaluate_teta(gt, results, exhaustive=exhaustive))
    assert set(fast['per_class']) == set(slow['per_class'])
    for k in KEYS:
        assert fast[k] == pytest.approx(slow[k], abs=1e-6), k
        for name in slow['per_class']:
            assert fast['per_class'][name][k] == pytest.approx(
                slow['per_class'][name][k], abs=1e-6), (name, k)
