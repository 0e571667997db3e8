"""HOTA / CLEAR / Identity through trackeval on hand-made and real data."""
import importlib.util
import math
import os.path as osp
import shutil

import numpy as np
import pytest

from scaletrack.evaluation.functional.mot_metrics import (MOTSequence,
                                                          evaluate_mot)
from scaletrack.evaluation.functional.motchallenge_io import (
    format_motchallenge_results, load_motchallenge_sequence, read_mot_txt)

BOX = [10.0, 10.0, 60.0, 60.0]  # x1, y1, x2, y2
FAR = [300.0, 300.0, 350.0, 350.0]


def tud_campus_dir():
    """motmetrics' bundled TUD-Campus data, found without importing
    motmetrics (it fails to import with numpy 2)."""
    spec = importlib.util.find_spec('motmetrics')
    if spec is None or not spec.submodule_search_locations:
        return None
    path = osp.join(
        list(spec.submodule_search_locations)[0], 'data', 'TUD-Campus')
    return path if osp.isdir(path) else None


@pytest.mark.skipif(
    tud_campus_dir() is None,
    reason='motmetrics==1.4.0 (requirements/tests.txt) is '
    'not installed: its TUD-Campus files are the reference '
    'data of this test')
def test_tud_campus_matches_trackeval_figures(tmp_path):
    # published trackeval figures for motmetrics' TUD-Campus gt vs test
    src = tud_campus_dir()
    (tmp_path / 'gt' / 'TUD-Campus' / 'gt').mkdir(parents=True)
    (tmp_path / 'res').mkdir()
    shutil.copy(
        osp.join(src, 'gt.txt'),
        tmp_path / 'gt' / 'TUD-Campus' / 'gt' / 'gt.txt')
    shutil.copy(osp.join(src, 'test.txt'), tmp_path / 'res' / 'TUD-Campus.txt')
    seq = load_motchallenge_sequence(
        str(tmp_path / 'gt'), 'TUD-Campus', str(tmp_path / 'res'))
    out = evaluate_mot([seq], ['pedestrian'])['combined']
    assert round(out['HOTA'], 3) == 0.391
    assert round(out['MOTA'], 3) == 0.526
    assert round(out['IDF1'], 3) == 0.558


def one_track_sequence(label=0, name='seq'):
    """Ground truth: id 1 at BOX in frames 0-3. Track 7 covers it exactly
    in frames 0-2 and is far away (a FP) in frame 3."""
    return MOTSequence(
        name=name,
        num_frames=4,
        gt_frame=[0, 1, 2, 3],
        gt_id=[1, 1, 1, 1],
        gt_box=[BOX] * 4,
        gt_label=[label] * 4,
        pr_frame=[0, 1, 2, 3],
        pr_id=[7] * 4,
        pr_box=[BOX, BOX, BOX, FAR],
        pr_label=[label] * 4)


def test_hand_computed_hota_mota_idf1():
    # TP 3, FN 1, FP 1, no switch:
    # MOTA = (TP - FP - IDSW) / GT = (3 - 1) / 4 = 0.5
    # IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN) = 6 / 8 = 0.75
    # DetA = 3 / (3 + 1 + 1) = 0.6 at every threshold (IoU is 1);
    # AssA = 3 / (4 + 4 - 3) = 0.6; HOTA = sqrt(0.6 * 0.6) = 0.6
    out = evaluate_mot([one_track_sequence()], ['car'])
    c = out['per_class']['car']
    assert c['MOTA'] == pytest.approx(0.5)
    assert c['IDF1'] == pytest.approx(0.75)
    assert c['DetA'] == pytest.approx(0.6)
    assert c['AssA'] == pytest.approx(0.6)
    assert c['HOTA'] == pytest.approx(0.6)
    assert (c['CLR_TP'], c['CLR_FN'], c['CLR_FP'], c['IDSW']) == (3, 1, 1, 0)
    assert out['combined']['HOTA'] == pytest.approx(0.6)


def test_identity_switch_counts():
    seq = one_track_sequence()
    seq.pr_box[3] = BOX  # frame 3 covered, but by another track id
    seq.pr_id[3] = 8
    c = evaluate_mot([seq], ['car'])['per_class']['car']
    assert c['IDSW'] == 1
    assert c['MOTA'] == pytest.approx((4 - 0 - 1) / 4)
    # IDTP 3 (track 7), IDFN 1, IDFP 1 (track 8)
    assert c['IDF1'] == pytest.approx(0.75)


def test_classes_are_averaged_and_combined():
    # class 'car' perfect (HOTA 1), class 'bus' the 0.6 case.
    perfect = MOTSequence(
        name='a',
        num_frames=4,
        gt_frame=[0, 1, 2, 3],
        gt_id=[1] * 4,
        gt_box=[BOX] * 4,
        gt_label=[0] * 4,
        pr_frame=[0, 1, 2, 3],
        pr_id=[3] * 4,
        pr_box=[BOX] * 4,
        pr_label=[0] * 4)
    out = evaluate_mot(
        [perfect, one_track_sequence(label=1, name='b')], ['car', 'bus'])
    assert out['per_class']['car']['HOTA'] == pytest.approx(1.0)
    assert out['mHOTA'] == pytest.approx((1.0 + 0.6) / 2)
    assert out['mIDF1'] == pytest.approx((1.0 + 0.75) / 2)
    # detection-combined: DetA = 7 / 9, AssA = (4 * 1 + 3 * 0.6) / 7
    assert out['combined']['HOTA'] == pytest.approx(math.sqrt(7 / 9 * 5.8 / 7))


def test_empty_class_is_left_out_of_the_class_mean():
    out = evaluate_mot([one_track_sequence()], ['car', 'train'])
    assert out['mHOTA'] == pytest.approx(0.6)


def with_ignore_region(seq, pred_box):
    """Adds an ignored box at frame 0 and a prediction of track 9 there."""
    region = [200.0, 200.0, 400.0, 400.0]
    return MOTSequence(
        name=seq.name,
        num_frames=seq.num_frames,
        gt_frame=np.r_[seq.gt_frame, 0],
        gt_id=np.r_[seq.gt_id, -1],
        gt_box=np.r_[seq.gt_box, [region]],
        gt_label=np.r_[seq.gt_label, -1],
        gt_ignore=np.r_[np.zeros(len(seq.gt_frame), bool), True],
        pr_frame=np.r_[seq.pr_frame, 0],
        pr_id=np.r_[seq.pr_id, 9],
        pr_box=np.r_[seq.pr_box, [pred_box]],
        pr_label=np.r_[seq.pr_label, 0])


def test_ignore_rules():
    # a small box inside the ignored region: IoA 1 but IoU 0.04.
    inside = [250.0, 250.0, 290.0, 290.0]
    seq = with_ignore_region(one_track_sequence(), inside)
    bdd = evaluate_mot([seq], ['car'], ignore_rule='bdd100k')
    mot = evaluate_mot([seq], ['car'], ignore_rule='motchallenge')
    # BDD100K removes it (MOTA unchanged 0.5); MOTChallenge only removes
    # predictions matched (IoU >= 0.5) to the region: one more FP.
    assert bdd['combined']['MOTA'] == pytest.approx(0.5)
    assert mot['combined']['MOTA'] == pytest.approx((3 - 2) / 4)
    # a box matching the region (IoU 0.81) is removed by both rules
    seq = with_ignore_region(one_track_sequence(), [210, 210, 390, 390])
    for rule in ('bdd100k', 'motchallenge'):
        out = evaluate_mot([seq], ['car'], ignore_rule=rule)
        assert out['combined']['MOTA'] == pytest.approx(0.5), rule


def test_frames_outside_the_sequence_are_rejected():
    with pytest.raises(ValueError, match='has 4 frames'):
        MOTSequence(
            name='s',
            num_frames=4,
            pr_frame=[4],
            pr_id=[1],
            pr_box=[BOX],
            pr_label=[0])


def test_duplicate_track_in_a_frame_is_rejected():
    seq = one_track_sequence()
    seq.pr_frame[1] = 0
    with pytest.raises(ValueError, match='occurs twice in frame 1'):
        evaluate_mot([seq], ['car'])


def test_results_text_round_trip(tmp_path):
    text = format_motchallenge_results([1, 0], [5, 3],
                                       [[1, 2, 11, 22], [0, 0, 4, 8]],
                                       [0.5, 1.0])
    assert text.splitlines() == [
        '1,3,0.000,0.000,4.000,8.000,1.00000,-1,-1,-1',
        '2,5,1.000,2.000,10.000,20.000,0.50000,-1,-1,-1'
    ]
    path = tmp_path / 'x.txt'
    path.write_text(text)
    rows = read_mot_txt(str(path), min_cols=6)
    np.testing.assert_allclose(
        rows[:, :7], [[1, 3, 0, 0, 4, 8, 1], [2, 5, 1, 2, 10, 20, 0.5]])


def test_bad_line_is_named(tmp_path):
    path = tmp_path / 'bad.txt'
    path.write_text('1,2,3,4,5,6,1\n1,x,3,4,5,6,1\n')
    with pytest.raises(ValueError, match='bad.txt:2'):
        read_mot_txt(str(path), min_cols=6)
