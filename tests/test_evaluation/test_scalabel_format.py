"""BDD100K's Scalabel result files: written by TETAMetric (``out_formats``)
from ground truth converted with ``bdd100k_to_cocovid.py``."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from mmdet.registry import METRICS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

import scaletrack.evaluation  # noqa: F401  (registers the metrics)
from scaletrack.datasets import BDD100K_MOT_CLASSES
from scaletrack.evaluation.functional import (tao_results_to_scalabel,
                                              write_scalabel_results)

SCRIPT = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
    'bdd100k_to_cocovid.py')


def _label(id_, cat, x1, y1, x2, y2):
    return dict(
        id=id_,
        category=cat,
        attributes=dict(occluded=False, truncated=False, crowd=False),
        box2d=dict(x1=x1, y1=y1, x2=x2, y2=y2))


@pytest.fixture
def bdd(tmp_path):
    """Scalabel ground truth of two videos -> COCO-VID with the converter."""
    labels = {
        'v1': [
            dict(
                name='v1-0000001.jpg',
                videoName='v1',
                frameIndex=0,
                labels=[
                    _label('a', 'car', 100, 100, 199, 149),
                    _label('b', 'pedestrian', 10, 20, 19, 59)
                ]),
            dict(
                name='v1-0000002.jpg',
                videoName='v1',
                frameIndex=1,
                labels=[_label('a', 'car', 104, 100, 203, 149)]),
            dict(
                name='v1-0000003.jpg', videoName='v1', frameIndex=2, labels=[])
        ],
        'v2': [
            dict(
                name='v2-0000001.jpg',
                videoName='v2',
                frameIndex=0,
                labels=[_label('c', 'bicycle', 50, 60, 69, 99)])
        ],
    }
    src = tmp_path / 'labels'
    src.mkdir()
    for video, frames in labels.items():
        (src / f'{video}.json').write_text(json.dumps(frames))
    spec = importlib.util.spec_from_file_location('bdd100k_to_cocovid', SCRIPT)
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)
    gt = conv.convert(conv.find_label_files(str(src)))
    ann_file = tmp_path / 'bdd_val.json'
    ann_file.write_text(json.dumps(gt))
    return labels, gt, str(ann_file)


def _perfect_video_samples(gt):
    """TrackDataSamples predicting the ground truth, track id = identity."""
    classes = list(BDD100K_MOT_CLASSES)
    cat_name = {c['id']: c['name'] for c in gt['categories']}
    videos = {}
    for img in gt['images']:
        anns = [a for a in gt['annotations'] if a['image_id'] == img['id']]
        s = DetDataSample(
            metainfo=dict(
                img_id=img['id'],
                video_id=img['video_id'],
                frame_id=img['frame_id'],
                img_path=img['file_name'],
                ori_video_length=sum(i['video_id'] == img['video_id']
                                     for i in gt['images'])))
        s.pred_track_instances = InstanceData(
            bboxes=torch.tensor([[
                a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                a['bbox'][1] + a['bbox'][3]
            ] for a in anns],
                                dtype=torch.float32).reshape(-1, 4),
            scores=torch.full((len(anns), ), 0.75),
            labels=torch.tensor(
                [classes.index(cat_name[a['category_id']]) for a in anns],
                dtype=torch.long),
            instances_id=torch.tensor([a['instance_id'] for a in anns],
                                      dtype=torch.long))
        videos.setdefault(img['video_id'], []).append(s)
    return [sorted(v, key=lambda s: s.frame_id) for v in videos.values()]


def test_teta_metric_writes_scalabel_that_matches_the_ground_truth(
        bdd, tmp_path):
    labels, gt, ann_file = bdd
    out = tmp_path / 'results'
    evaluator = Evaluator([
        METRICS.build(
            dict(
                type='TETAMetric',
                ann_file=ann_file,
                exhaustive=True,
                outfile_prefix=str(out),
                out_formats=('tao', 'scalabel')))
    ])
    evaluator.dataset_meta = dict(classes=BDD100K_MOT_CLASSES)
    videos = _perfect_video_samples(gt)
    for frames in videos:
        t = TrackDataSample()
        t.video_data_samples = frames
        evaluator.process(data_samples=[t])
    res = evaluator.evaluate(size=len(videos))
    assert res['teta/TETA'] == pytest.approx(100.0)
    assert (out / 'tao_track.json').is_file()
    assert sorted(p.name for p in (out / 'scalabel').iterdir()) == [
        'v1.json', 'v2.json'
    ]
    for video, truth in labels.items():
        written = json.loads((out / 'scalabel' / f'{video}.json').read_text())
        # every frame, in order, empty frames included
        assert [
            (f['name'], f['videoName'], f['frameIndex']) for f in written
        ] == [(f['name'], f['videoName'], f['frameIndex']) for f in truth]
        for w, t in zip(written, truth):
            # same boxes (inclusive pixels round trip) and categories
            assert sorted((lab['category'], lab['box2d']['x1'],
                           lab['box2d']['y1'], lab['box2d']['x2'],
                           lab['box2d']['y2']) for lab in w['labels']) == \
                sorted((lab['category'], *lab['box2d'].values())
                       for lab in t['labels'])
            assert all(lab['score'] == pytest.approx(0.75)
                       for lab in w['labels'])
            assert all(isinstance(lab['id'], str) for lab in w['labels'])
    # one identity keeps one id over its frames, distinct identities differ
    v1 = json.loads((out / 'scalabel' / 'v1.json').read_text())
    car = [
        lab['id'] for f in v1 for lab in f['labels']
        if lab['category'] == 'car'
    ]
    ped = [
        lab['id'] for f in v1 for lab in f['labels']
        if lab['category'] == 'pedestrian'
    ]
    assert len(set(car)) == 1 and set(car) != set(ped)


def test_scalabel_writer_is_all_or_nothing(bdd, tmp_path):
    _, gt, _ = bdd
    out = tmp_path / 'out' / 'scalabel'
    frames = tao_results_to_scalabel(gt, [])
    write_scalabel_results(frames, str(out))
    assert json.loads((out / 'v2.json').read_text())[0]['labels'] == []
    # a failing write leaves the previous folder as it was, no temp left
    bad = dict(frames, v3=[dict(unserialisable=object())])
    with pytest.raises(TypeError):
        write_scalabel_results(bad, str(out))
    assert sorted(p.name for p in out.parent.iterdir()) == ['scalabel']
    assert sorted(p.name for p in out.iterdir()) == ['v1.json', 'v2.json']
    with pytest.raises(ValueError, match='image_id 999'):
        tao_results_to_scalabel(gt, [
            dict(
                image_id=999,
                category_id=1,
                bbox=[0, 0, 1, 1],
                score=1.0,
                track_id=0)
        ])


def test_unknown_out_format_is_refused(bdd):
    with pytest.raises(ValueError, match='out_formats'):
        METRICS.build(
            dict(
                type='TETAMetric',
                ann_file=bdd[2],
                out_formats=('scalabel', 'motchallenge')))
