"""MOTChallenge scoring equals trackeval's own MotChallenge2DBox run on the
same files (MOT17 rules: distractor classes remove matched predictions,
zero-marked ground truth is dropped but predictions on it stay)."""
import numpy as np
import pytest

# classes of MOT17 gt.txt rows: 1 pedestrian, 2 person_on_vehicle, 3 car,
# 7 static_person, 8 distractor, 12 reflection
DISTRACTORS = (2, 7, 8, 12)


def make_sequence(rng, n_frames=30, n_objs=8):
    """gt rows ``frame, id, x, y, w, h, consider, class, vis`` and result
    rows ``frame, id, x, y, w, h, score``: moving boxes of mixed classes,
    some zero-marked, predictions jittered (some below IoU 0.5), missed,
    swapped ids and false positives, and predictions on distractors and on
    zero-marked pedestrians."""
    gt, res = [], []
    classes = [1, 1, 1, 7, 8, 3, 2, 12][:n_objs]
    consider = [1, 1, 0, 0, 0, 1, 0, 0][:n_objs]
    start = rng.uniform(0, 400, (n_objs, 2))
    vel = rng.uniform(-4, 4, (n_objs, 2))
    size = rng.uniform(30, 80, (n_objs, 2))
    for f in range(1, n_frames + 1):
        for o in range(n_objs):
            if rng.random() < 0.1:  # object absent in this frame
                continue
            x, y = start[o] + vel[o] * f
            w, h = size[o]
            # a zero-marked pedestrian in a few frames of object 1
            cons = 0 if (o == 1 and f % 7 == 0) else consider[o]
            gt.append([f, o + 1, x, y, w, h, cons, classes[o], 1.0])
            if rng.random() < 0.15:  # missed
                continue
            jit = rng.normal(0, 6 if rng.random() < 0.2 else 1.5, 4)
            tid = o + 101 if not (o == 0 and f > n_frames // 2) else 999
            res.append([
                f, tid, x + jit[0], y + jit[1], w + jit[2], h + jit[3],
                float(rng.uniform(0.3, 1.0))
            ])
        if rng.random() < 0.3:  # a false positive
            res.append([f, 500 + f, *rng.uniform(0, 500, 2), 40, 40, 0.4])
    return gt, res


def write_layout(tmp_path, seqs):
    """MOTChallenge layout that both trackeval and eval_mot read."""
    gt_root = tmp_path / 'gt'
    res_dir = tmp_path / 'trackers' / 'ours' / 'data'
    res_dir.mkdir(parents=True)
    for name, (gt, res, n_frames) in seqs.items():
        (gt_root / name / 'gt').mkdir(parents=True)
        (gt_root / name / 'gt' / 'gt.txt').write_text(''.join(
            f'{int(r[0])},{int(r[1])},{r[2]:.3f},{r[3]:.3f},{r[4]:.3f},'
            f'{r[5]:.3f},{int(r[6])},{int(r[7])},{r[8]}\n' for r in gt))
        (gt_root / name / 'seqinfo.ini').write_text(
            f'[Sequence]\nname={name}\nimDir=img1\nframeRate=30\n'
            f'seqLength={n_frames}\nimWidth=640\nimHeight=480\n'
            'imExt=.jpg\n')
        (res_dir / f'{name}.txt').write_text(''.join(
            f'{int(r[0])},{int(r[1])},{r[2]:.3f},{r[3]:.3f},{r[4]:.3f},'
            f'{r[5]:.3f},{r[6]:.4f},-1,-1,-1\n' for r in res))
    return gt_root, res_dir


def trackeval_reference(tmp_path, gt_root, names):
    """trackeval's Evaluator + MotChallenge2DBox on the files."""
    import trackeval
    eval_cfg = dict(
        USE_PARALLEL=False,
        PRINT_RESULTS=False,
        PRINT_CONFIG=False,
        TIME_PROGRESS=False,
        OUTPUT_SUMMARY=False,
        OUTPUT_DETAILED=False,
        PLOT_CURVES=False,
        DISPLAY_LESS_PROGRESS=True,
        OUTPUT_EMPTY_CLASSES=False,
        BREAK_ON_ERROR=True)
    ds_cfg = dict(
        GT_FOLDER=str(gt_root),
        TRACKERS_FOLDER=str(tmp_path / 'trackers'),
        BENCHMARK='MOT17',
        SPLIT_TO_EVAL='train',
        SKIP_SPLIT_FOL=True,
        TRACKERS_TO_EVAL=['ours'],
        SEQ_INFO={n: None
                  for n in names},
        PRINT_CONFIG=False,
        DO_PREPROC=True)
    metric_cfg = dict(THRESHOLD=0.5, PRINT_CONFIG=False)
    evaluator = trackeval.Evaluator(eval_cfg)
    res, _ = evaluator.evaluate([trackeval.datasets.MotChallenge2DBox(ds_cfg)],
                                [
                                    trackeval.metrics.HOTA(metric_cfg),
                                    trackeval.metrics.CLEAR(metric_cfg),
                                    trackeval.metrics.Identity(metric_cfg)
                                ])
    comb = res['MotChallenge2DBox']['ours']['COMBINED_SEQ']['pedestrian']
    return dict(
        HOTA=float(np.mean(comb['HOTA']['HOTA'])),
        MOTA=float(comb['CLEAR']['MOTA']),
        IDF1=float(comb['Identity']['IDF1']),
        IDSW=int(comb['CLEAR']['IDSW']),
        CLR_FP=int(comb['CLEAR']['CLR_FP']))


def compare(tmp_path, mot_metrics, motchallenge_io, seed=0):
    rng = np.random.default_rng(seed)
    seqs = {}
    for k, n_frames in enumerate((30, 25)):
        gt, res = make_sequence(rng, n_frames)
        seqs[f'MOT17-0{k + 2}-FRCNN'] = (gt, res, n_frames)
    gt_root, res_dir = write_layout(tmp_path, seqs)
    names = sorted(seqs)
    loaded = [
        motchallenge_io.load_motchallenge_sequence(
            str(gt_root), n, str(res_dir)) for n in names
    ]
    out = mot_metrics.evaluate_mot(
        loaded, ['pedestrian'], ignore_rule='motchallenge')['combined']
    ours = {k: out[k] for k in ('HOTA', 'MOTA', 'IDF1', 'IDSW', 'CLR_FP')}
    return ours, trackeval_reference(tmp_path, gt_root, names)


# ---- tests
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_motchallenge_scoring_equals_trackeval(tmp_path, seed):
    from scaletrack.evaluation.functional import mot_metrics, motchallenge_io
    ours, ref = compare(tmp_path, mot_metrics, motchallenge_io, seed)
    for k in ('HOTA', 'MOTA', 'IDF1'):
        assert ours[k] == pytest.approx(ref[k], abs=1e-12), k
    assert (ours['IDSW'], ours['CLR_FP']) == (ref['IDSW'], ref['CLR_FP'])
    assert ref['CLR_FP'] > 0 and ref['IDSW'] > 0  # the data exercise both


def test_zero_marked_ground_truth_keeps_its_predictions():
    """By hand: one zero-marked pedestrian with a perfect prediction: the
    ground truth is dropped, the prediction stays and is a false positive
    (trackeval); the same box marked as a distractor removes it."""
    from scaletrack.evaluation.functional.mot_metrics import (MOTSequence,
                                                              evaluate_mot)
    box = [[10, 10, 60, 60]]
    common = dict(
        name='s',
        num_frames=1,
        gt_frame=[0],
        gt_id=[1],
        gt_box=box,
        gt_label=[0],
        pr_frame=[0],
        pr_id=[5],
        pr_box=box,
        pr_label=[0])
    zero = MOTSequence(gt_ignore=[False], gt_considered=[False], **common)
    out = evaluate_mot([zero], ['pedestrian'], ('CLEAR', ),
                       ignore_rule='motchallenge')['combined']
    assert (out['CLR_TP'], out['CLR_FP'], out['CLR_FN']) == (0, 1, 0)
    distractor = MOTSequence(gt_ignore=[True], gt_considered=[False], **common)
    out = evaluate_mot([distractor], ['pedestrian'], ('CLEAR', ),
                       ignore_rule='motchallenge')['combined']
    assert (out['CLR_TP'], out['CLR_FP'], out['CLR_FN']) == (0, 0, 0)


def test_mot_metric_with_gt_root_equals_trackeval(tmp_path):
    """The Runner's MOTMetric, fed the predictions frame by frame as
    TrackDataSamples and reading the ground truth from gt.txt (gt_root),
    gives trackeval's figures on the same files."""
    import torch
    from mmdet.registry import METRICS
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.evaluator import Evaluator
    from mmengine.structures import InstanceData

    import scaletrack.evaluation  # noqa: F401
    rng = np.random.default_rng(3)
    gt, res = make_sequence(rng, 30)
    name = 'MOT17-02-FRCNN'
    gt_root, _ = write_layout(tmp_path, {name: (gt, res, 30)})
    ref = trackeval_reference(tmp_path, gt_root, [name])
    # the same (rounded) predictions as the written file
    rows = np.loadtxt(
        tmp_path / 'trackers' / 'ours' / 'data' / f'{name}.txt', delimiter=',')
    evaluator = Evaluator([
        METRICS.build(
            dict(
                type='MOTMetric',
                ignore_rule='motchallenge',
                gt_root=str(gt_root),
                metric=['HOTA', 'CLEAR', 'Identity']))
    ])
    evaluator.dataset_meta = dict(classes=('pedestrian', ))
    frames = []
    for f in range(1, 31):
        r = rows[rows[:, 0] == f]
        s = DetDataSample(
            metainfo=dict(
                img_id=f,
                video_id=1,
                frame_id=f - 1,
                ori_video_length=30,
                img_path=f'/data/{name}/img1/{f:06d}.jpg'))
        boxes = np.concatenate([r[:, 2:4], r[:, 2:4] + r[:, 4:6]], 1)
        s.pred_track_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float64).reshape(-1, 4),
            scores=torch.tensor(r[:, 6]),
            labels=torch.zeros(len(r), dtype=torch.long),
            instances_id=torch.tensor(r[:, 1], dtype=torch.long))
        frames.append(s)
    t = TrackDataSample()
    t.video_data_samples = frames
    evaluator.process(data_samples=[t])
    out = evaluator.evaluate(size=1)
    for k in ('HOTA', 'MOTA', 'IDF1'):
        assert out[f'mot/{k}'] == pytest.approx(ref[k], abs=1e-12), k
