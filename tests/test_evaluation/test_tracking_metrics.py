"""TETAMetric and MOTMetric fed with TrackDataSamples through mmengine's
Evaluator, in video mode and in image mode."""
import json

import pytest
import torch
from mmdet.registry import METRICS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

import scaletrack.evaluation  # noqa: F401  (registers the metrics)
from scaletrack.evaluation.functional.teta import evaluate_teta

CLASSES = ('apple', 'bison')
BOX_A = [0.0, 0.0, 10.0, 10.0]  # x, y, w, h
BOX_B = [100.0, 100.0, 20.0, 20.0]


def xyxy(b):
    return [b[0], b[1], b[0] + b[2], b[1] + b[3]]


def frame_sample(img_id,
                 video_id,
                 frame_id,
                 video_len,
                 preds,
                 gts=(),
                 ignored=(),
                 img_path=None):
    """preds / gts: lists of (id, label, xywh box[, score])."""
    s = DetDataSample(
        metainfo=dict(
            img_id=img_id,
            video_id=video_id,
            frame_id=frame_id,
            ori_video_length=video_len,
            img_path=img_path or f'/data/v{video_id}/{frame_id:06d}.jpg'))
    s.pred_track_instances = InstanceData(
        bboxes=torch.tensor([xyxy(p[2]) for p in preds],
                            dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor([p[3] if len(p) > 3 else 0.9 for p in preds]),
        labels=torch.tensor([p[1] for p in preds], dtype=torch.long),
        instances_id=torch.tensor([p[0] for p in preds], dtype=torch.long))
    s.gt_instances = InstanceData(
        bboxes=torch.tensor([xyxy(g[2]) for g in gts]).reshape(-1, 4),
        labels=torch.tensor([g[1] for g in gts], dtype=torch.long),
        instances_ids=torch.tensor([g[0] for g in gts], dtype=torch.long))
    s.ignored_instances = InstanceData(
        bboxes=torch.tensor([xyxy(g[2]) for g in ignored]).reshape(-1, 4),
        labels=torch.tensor([g[1] for g in ignored], dtype=torch.long))
    return s


def run(metric_cfg, videos, image_mode=False, classes=CLASSES):
    """videos: list of lists of frame DetDataSamples."""
    evaluator = Evaluator([METRICS.build(metric_cfg)])
    evaluator.dataset_meta = dict(classes=classes)
    for frames in videos:
        batches = [[f] for f in frames] if image_mode else [frames]
        for batch in batches:
            t = TrackDataSample()
            t.video_data_samples = batch
            evaluator.process(data_samples=[t])
    return evaluator.evaluate(size=len(videos))


@pytest.fixture
def tao_setup(tmp_path, tao):
    """Two videos; the tracker reuses track id 1 in both; category ids
    (7, 9) differ from the label order to test the name mapping."""
    gt = tao.gt(
        {
            1: [[(1, 7, BOX_A), (2, 9, BOX_B)] for _ in range(3)],
            2: [[(3, 9, BOX_A)] for _ in range(2)]
        }, [(9, 'bison', 'r'), (7, 'apple', 'f')])
    ann_file = tmp_path / 'tao.json'
    ann_file.write_text(json.dumps(gt))
    label = {7: 0, 9: 1}
    videos = []
    for vid in (1, 2):
        anns = [a for a in gt['annotations'] if a['video_id'] == vid]
        imgs = sorted({a['image_id'] for a in anns})
        frames = []
        for t, img in enumerate(imgs):
            preds = [(1 if a['track_id'] in (1, 3) else 2,
                      label[a['category_id']], a['bbox']) for a in anns
                     if a['image_id'] == img]
            frames.append(frame_sample(img, vid, t, len(imgs), preds))
        videos.append(frames)
    return gt, str(ann_file), videos


@pytest.mark.parametrize('image_mode', [False, True])
def test_teta_metric_perfect_tracks(tao_setup, image_mode, tmp_path):
    gt, ann_file, videos = tao_setup
    out_dir = tmp_path / 'out'
    res = run(
        dict(
            type='TETAMetric', ann_file=ann_file, outfile_prefix=str(out_dir)),
        videos, image_mode)
    for k in ('TETA', 'LocA', 'AssocA', 'ClsA', 'ClsPr'):
        assert res[f'teta/{k}'] == pytest.approx(100.0), k
    assert res['teta/base_TETA'] == pytest.approx(100.0)
    written = json.loads((out_dir / 'tao_track.json').read_text())
    assert len(written) == len(gt['annotations'])
    # ids unique across videos, boxes back in x, y, w, h, category ids
    assert len({r['track_id'] for r in written}) == 3
    first = next(r for r in written if r['image_id'] == 1)
    assert first['bbox'] == pytest.approx(BOX_A)
    assert {r['category_id'] for r in written} == {7, 9}


def test_teta_metric_equals_functional_on_written_results(tao_setup, tmp_path):
    gt, ann_file, videos = tao_setup
    # degrade: the apple of video 1 is mislabelled in frame 0, and its box
    # shrinks in frame 2
    p = videos[0][0].pred_track_instances
    p.labels[0] = 1
    videos[0][2].pred_track_instances.bboxes[0] = torch.tensor(
        [0.0, 0.0, 6.0, 10.0])
    res = run(
        dict(
            type='TETAMetric',
            ann_file=ann_file,
            use_tcc=False,
            outfile_prefix=str(tmp_path)), videos)
    written = json.loads((tmp_path / 'tao_track.json').read_text())
    ref = evaluate_teta(gt, written, use_tcc=False)
    assert res['teta/TETA'] < 100
    for k in ('TETA', 'LocA', 'AssocA', 'ClsA'):
        assert res[f'teta/{k}'] == pytest.approx(ref[k])


def test_teta_metric_written_file_rescored_as_given(tao_setup, tmp_path):
    """Round trip: TETAMetric votes track classes (MASA's tcc, default) and
    writes the voted classes, so eval_teta.py on that file with no options
    (score as given, the reference) gives the metric's figures."""
    import importlib.util
    import os.path as osp
    gt, ann_file, videos = tao_setup
    # the apple track of video 1 says bison in frame 0: tcc votes apple
    videos[0][0].pred_track_instances.labels[0] = 1
    res = run(
        dict(
            type='TETAMetric', ann_file=ann_file,
            outfile_prefix=str(tmp_path)), videos)
    written = tmp_path / 'tao_track.json'
    rows = json.loads(written.read_text())
    apple = [
        r['category_id'] for r in rows
        if r['video_id'] == 1 and r['bbox'] == pytest.approx(BOX_A)
    ]
    assert apple == [7, 7, 7]  # voted
    tool_path = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools',
        'analysis_tools', 'eval_teta.py')
    spec = importlib.util.spec_from_file_location('_eval_teta', tool_path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out_path = tmp_path / 'rescored.json'
    assert tool.main([ann_file, str(written), '--out', str(out_path)]) == 0
    out = json.loads(out_path.read_text())
    assert res['teta/ClsA'] == pytest.approx(100.0)
    for k in ('TETA', 'LocA', 'AssocA', 'ClsA', 'ClsRe', 'ClsPr'):
        assert res[f'teta/{k}'] == pytest.approx(out[k]), k


def test_teta_metric_format_only(tao_setup, tmp_path):
    _, ann_file, videos = tao_setup
    res = run(
        dict(
            type='TETAMetric',
            ann_file=ann_file,
            format_only=True,
            outfile_prefix=str(tmp_path)), videos)
    assert res == {}
    assert (tmp_path / 'tao_track.json').is_file()
    with pytest.raises(ValueError, match='outfile_prefix'):
        METRICS.build(
            dict(type='TETAMetric', ann_file=ann_file, format_only=True))


def test_teta_metric_rejects_unknown_class_names(tao_setup):
    _, ann_file, videos = tao_setup
    with pytest.raises(ValueError, match='zebra'):
        run(dict(type='TETAMetric', ann_file=ann_file),
            videos,
            classes=('apple', 'zebra'))


def mot_videos():
    """Video 1: car id 5 covered by track 1 in 4 frames except frame 3
    (a far FP). Video 2: a bus tracked perfectly for 2 frames, plus a
    prediction inside an ignored region in frame 0."""
    far = [300.0, 300.0, 40.0, 40.0]
    v1 = [
        frame_sample(
            t + 1,
            1,
            t,
            4,
            preds=[(1, 0, BOX_A if t < 3 else far)],
            gts=[(5, 0, BOX_A)],
            img_path=f'/d/MOT-01/img1/{t}.jpg') for t in range(4)
    ]
    v2 = [
        frame_sample(
            10 + t,
            2,
            t,
            2,
            preds=[(1, 1, BOX_B)] +
            ([(2, 1, [0, 200, 30, 30])] if t == 0 else []),
            gts=[(6, 1, BOX_B)],
            ignored=[(-1, 1, [0, 195, 40, 40])] if t == 0 else [],
            img_path=f'/d/b2/{t}.jpg') for t in range(2)
    ]
    return [v1, v2]


@pytest.mark.parametrize('image_mode', [False, True])
def test_mot_metric_per_class_and_means(image_mode, tmp_path):
    res = run(
        dict(
            type='MOTMetric',
            classes=['car', 'bus'],
            outfile_prefix=str(tmp_path)),
        mot_videos(),
        image_mode,
        classes=('car', 'bus', 'truck'))
    # car: TP 3, FN 1, FP 1 -> MOTA 0.5, IDF1 0.75, HOTA 0.6 (hand
    # computation in test_mot_functional); bus perfect, its ignored-region
    # prediction removed (bdd100k rule)
    assert res['mot/car_MOTA'] == pytest.approx(0.5)
    assert res['mot/car_IDF1'] == pytest.approx(0.75)
    assert res['mot/car_HOTA'] == pytest.approx(0.6)
    assert res['mot/bus_HOTA'] == pytest.approx(1.0)
    assert res['mot/mHOTA'] == pytest.approx(0.8)
    assert res['mot/mIDF1'] == pytest.approx(0.875)
    assert res['mot/MOTA'] == pytest.approx((5 - 1) / 6)
    # MOTChallenge files: 1-based frames, x, y, w, h, named by sequence
    rows = (tmp_path / 'MOT-01.txt').read_text().splitlines()
    assert rows[0] == '1,1,0.000,0.000,10.000,10.000,0.90000,-1,-1,-1'
    assert rows[3].startswith('4,1,300.000,300.000,40.000,40.000')
    assert len((tmp_path / 'b2.txt').read_text().splitlines()) == 3


def test_mot_metric_defaults_to_dataset_classes():
    res = run(
        dict(type='MOTMetric', metric='HOTA'),
        mot_videos()[:1],
        classes=('car', ))
    assert res['mot/HOTA'] == pytest.approx(0.6)
    assert 'mot/MOTA' not in res
