"""TETA on inputs whose figures can be computed by hand."""
import copy

import pytest

from scaletrack.evaluation.functional.teta import TETA_KEYS, evaluate_teta

A, B = 1, 2  # category ids
CATS = [(A, 'apple', 'f'), (B, 'bison', 'r')]
BOX_A = [0.0, 0.0, 10.0, 10.0]
BOX_B = [100.0, 100.0, 20.0, 20.0]
FAR = [500.0, 400.0, 30.0, 30.0]  # overlaps no ground-truth box


def two_class_gt(tao, n_frames=3):
    """One apple and one bison, visible in every frame of one video."""
    frames = [[(10, A, BOX_A), (11, B, BOX_B)] for _ in range(n_frames)]
    return tao.gt({1: frames}, CATS)


def figures(out, keys=TETA_KEYS):
    return {k: round(out[k], 9) for k in keys}


def test_perfect_predictions_score_100_everywhere(tao):
    gt = two_class_gt(tao)
    out = evaluate_teta(gt, tao.perfect_results(gt))
    for k in TETA_KEYS:
        assert out[k] == pytest.approx(100.0), k
        for group in ('base', 'novel'):
            assert out[group][k] == pytest.approx(100.0), (group, k)
        for name in ('apple', 'bison'):
            assert out['per_class'][name][k] == pytest.approx(100.0)


def test_constant_iou_0_6_gives_loca_65_and_clsa_30(tao):
    # prediction [0, 0, 6, 10] inside ground truth [0, 0, 10, 10]:
    # IoU = 60 / 100 = 0.6 exactly, right class, right identity.
    # LocA averages a = 0.00, 0.05, ..., 0.95: the match counts for the 13
    # thresholds a <= 0.60, so LocA = 13 / 20 = 65 %. Above 0.60 the box is
    # an unmatched overlapping prediction (FP) and the object a FN: 0.
    # AssocA is 1 where there are matches and 0 elsewhere: also 65 %.
    # ClsA averages a = 0.50, ..., 0.95: 3 of 10 (0.50, 0.55, 0.60): 30 %.
    gt = tao.gt({1: [[(10, A, BOX_A)] for _ in range(4)]}, CATS[:1])
    res = tao.perfect_results(gt)
    for r in res:
        r['bbox'] = [0.0, 0.0, 6.0, 10.0]
    out = evaluate_teta(gt, res)
    assert out['LocA'] == pytest.approx(65.0)
    assert out['AssocA'] == pytest.approx(65.0)
    assert out['ClsA'] == pytest.approx(30.0)
    assert out['TETA'] == pytest.approx((65 + 65 + 30) / 3)
    # recall = precision = TP / (TP + 1 error) per threshold, same 13/20
    assert out['LocRe'] == pytest.approx(65.0)
    assert out['LocPr'] == pytest.approx(65.0)


def test_predictions_on_unannotated_objects_change_nothing(tao):
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    res[0]['bbox'] = [1.0, 0.0, 10.0, 10.0]  # make the baseline imperfect
    base = evaluate_teta(gt, res)
    extra = copy.deepcopy(res)
    for im in gt['images']:  # a tracked but unannotated object of class A
        extra.append(
            dict(
                image_id=im['id'],
                video_id=1,
                category_id=A,
                bbox=FAR,
                score=0.99,
                track_id=77))
    out = evaluate_teta(gt, extra)
    assert base['LocA'] < 100
    assert figures(out) == figures(base)
    assert out['per_class'] == base['per_class']


def test_identity_switch_lowers_assoca_only(tao):
    # one object over 4 frames, tracked perfectly but as track 1 in frames
    # 0-1 and track 2 in frames 2-3. Matches (g, k1) = 2, (g, k2) = 2 at
    # every threshold, TP = 4:
    # AssocA = (2 * 2/(4 + 2 - 2) + 2 * 2/(4 + 2 - 2)) / 4 = 0.5
    # AssocRe = (2 * 2/4 + 2 * 2/4) / 4 = 0.5
    # AssocPr = (2 * 2/2 + 2 * 2/2) / 4 = 1.0
    gt = tao.gt({1: [[(10, A, BOX_A)] for _ in range(4)]}, CATS[:1])
    res = tao.perfect_results(gt)
    for r, tid in zip(res, (1, 1, 2, 2)):
        r['track_id'] = tid
    out = evaluate_teta(gt, res)
    assert out['AssocA'] == pytest.approx(50.0)
    assert out['AssocRe'] == pytest.approx(50.0)
    assert out['AssocPr'] == pytest.approx(100.0)
    for k in ('LocA', 'LocRe', 'LocPr', 'ClsA', 'ClsRe', 'ClsPr'):
        assert out[k] == pytest.approx(100.0), k
    assert out['TETA'] == pytest.approx((100 + 50 + 100) / 3)


def test_wrong_class_lowers_clsa_only(tao):
    # the apple's track is predicted as bison in all 3 frames.
    # apple: 3 matches of the wrong class -> ClsA_apple = 0 / (0 + 3) = 0.
    # bison: 3 right matches + 3 FPs (the mislabelled apple) ->
    # ClsA_bison = 3 / (3 + 3) = 0.5; mean over classes: 25 %.
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    for r in res:
        if r['track_id'] == 10:
            r['category_id'] = B
    out = evaluate_teta(gt, res)
    assert out['ClsA'] == pytest.approx(25.0)
    assert out['per_class']['apple']['ClsA'] == pytest.approx(0.0)
    assert out['per_class']['bison']['ClsA'] == pytest.approx(50.0)
    assert out['per_class']['bison']['ClsPr'] == pytest.approx(50.0)
    assert out['per_class']['bison']['ClsRe'] == pytest.approx(100.0)
    for k in ('LocA', 'AssocA', 'LocRe', 'LocPr', 'AssocRe', 'AssocPr'):
        assert out[k] == pytest.approx(100.0), k


def test_tcc_gives_tracks_their_majority_class(tao):
    # 2 of 3 boxes of the apple track say apple: with tcc all three become
    # apple (ClsA 100); without, the odd box is a wrong-class match at every
    # ClsA threshold: apple 2/(2+1), bison 3/(3+1) -> mean 70.83 %.
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    odd = next(r for r in res if r['track_id'] == 10)
    odd['category_id'] = B
    assert evaluate_teta(gt, res)['ClsA'] == pytest.approx(100.0)
    out = evaluate_teta(gt, res, use_tcc=False)
    assert out['ClsA'] == pytest.approx(100 * (2 / 3 + 3 / 4) / 2)


def test_base_novel_split_by_lvis_frequency(tao):
    # apple (frequency 'f', base) perfect; bison ('r', novel) at IoU 0.6.
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    for r in res:
        if r['category_id'] == B:
            r['bbox'] = [100.0, 100.0, 12.0, 20.0]  # IoU 240 / 400 = 0.6
    out = evaluate_teta(gt, res)
    assert figures(out['base']) == figures(out['per_class']['apple'])
    assert out['base']['TETA'] == pytest.approx(100.0)
    assert out['novel']['LocA'] == pytest.approx(65.0)
    assert out['novel']['ClsA'] == pytest.approx(30.0)
    assert out['LocA'] == pytest.approx((100 + 65) / 2)


def test_no_frequency_means_no_split(tao):
    gt = tao.gt({1: [[(10, A, BOX_A)]]}, [(A, 'apple', None)])
    out = evaluate_teta(gt, tao.perfect_results(gt))
    assert 'base' not in out and 'novel' not in out


def test_exhaustive_counts_class_predictions_outside_clusters(tao):
    # an extra apple-labelled track far from any ground truth, 3 boxes.
    # exhaustive=False: ignored (TAO). exhaustive=True: 3 ClsA FPs of apple:
    # ClsA_apple = 3 / (3 + 0 + 3) = 0.5, bison unchanged -> mean 75 %.
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    for im in gt['images']:
        res.append(
            dict(
                image_id=im['id'],
                video_id=1,
                category_id=A,
                bbox=FAR,
                score=0.99,
                track_id=77))
    assert evaluate_teta(gt, res)['ClsA'] == pytest.approx(100.0)
    out = evaluate_teta(gt, res, exhaustive=True)
    assert out['ClsA'] == pytest.approx(75.0)
    assert out['per_class']['apple']['ClsPr'] == pytest.approx(50.0)
    assert out['LocA'] == pytest.approx(100.0)
    assert out['AssocA'] == pytest.approx(100.0)


def test_max_dets_keeps_top_scoring_boxes_per_image(tao):
    # per frame: the perfect apple box (score 0.9) and a duplicate on
    # another track (IoU 0.9 with the apple, score 0.1). Without a cap the
    # duplicate is an overlapping unmatched prediction, one FP per frame at
    # every threshold: LocA = 3 / (3 + 3) = 50 %. max_dets=1 drops it.
    gt = tao.gt({1: [[(10, A, BOX_A)] for _ in range(3)]}, CATS[:1])
    res = tao.perfect_results(gt)
    for im in gt['images']:
        res.append(
            dict(
                image_id=im['id'],
                video_id=1,
                category_id=A,
                bbox=[0.0, 0.0, 10.0, 9.0],
                score=0.1,
                track_id=5))
    assert evaluate_teta(gt, res)['LocA'] == pytest.approx(50.0)
    assert evaluate_teta(gt, res, max_dets=1)['LocA'] == pytest.approx(100.)
    assert evaluate_teta(gt, res, max_dets=2)['LocA'] == pytest.approx(50.0)


def test_track_ids_are_made_unique_across_videos(tao):
    # the same track id in two videos must be two tracks: perfect AssocA.
    frames = [[(10, A, BOX_A)] for _ in range(2)]
    gt = tao.gt({1: frames, 2: frames}, CATS[:1])
    res = tao.perfect_results(gt)
    for r in res:
        r['track_id'] = 3
    assert evaluate_teta(gt, res)['AssocA'] == pytest.approx(100.0)


def test_results_on_unknown_images_are_rejected(tao):
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    res.append(dict(res[0], image_id=999))
    with pytest.raises(ValueError, match='999'):
        evaluate_teta(gt, res)


def test_duplicate_track_id_in_one_image_is_rejected(tao):
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    res[1]['track_id'] = res[0]['track_id']
    with pytest.raises(ValueError, match='unique per image'):
        evaluate_teta(gt, res)


def test_missing_result_field_is_named(tao):
    gt = two_class_gt(tao)
    res = tao.perfect_results(gt)
    del res[2]['score']
    with pytest.raises(ValueError, match="#2 has no 'score'"):
        evaluate_teta(gt, res)
