"""tools/misc/dump_detections.py: a stock mmdet detector at random weights;
what it writes is read back by the project's loaders with the boxes that
mmdet's own inference gives."""
import importlib.util
import json
import os
import os.path as osp
import pickle
import sys

import cv2
import numpy as np
import pytest
from sav_helpers import ROOT, render, tiny_detector, write_mp4, write_sav_json

W, H = 256, 192


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'dump_detections', osp.join(ROOT, 'tools', 'misc',
                                    'dump_detections.py'))
    mod = importlib.util.module_from_spec(spec)
    sys.modules['dump_detections'] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def detector(tmp_path_factory):
    return tiny_detector(str(tmp_path_factory.mktemp('det')))


@pytest.fixture(scope='module')
def reference(detector):
    """mmdet's own inference (init_detector + inference_detector)."""
    from mmdet.apis import inference_detector, init_detector
    model = init_detector(detector[0], detector[1], device='cpu')

    def run(img_path):
        inst = inference_detector(model, img_path).pred_instances
        order = np.argsort(-inst.scores.numpy(), kind='stable')
        return (inst.bboxes.numpy()[order], inst.scores.numpy()[order],
                inst.labels.numpy()[order])

    return run


def _write_frames(folder, frames):
    os.makedirs(folder, exist_ok=True)
    paths = []
    for k, name in frames:
        path = osp.join(folder, name)
        cv2.imwrite(path, render(k, W, H))
        paths.append(path)
    return paths


def test_masa_files_are_read_back_by_the_proposal_and_detection_loaders(
        tmp_path, tool, detector, reference):
    from scaletrack.datasets import MASADetections, SAVDataset
    from scaletrack.datasets.transforms import LoadTrackProposals
    img_root = tmp_path / 'sav_train' / 'JPEGImages_24fps'
    paths = _write_frames(
        str(img_root / 'sav_000001'),
        [(k, f'{k:05d}.jpg') for k in range(0, 20, 4)])
    # an unfinished extraction (sav_extract_frames.py's temporary folder)
    _write_frames(str(img_root / '.sav_000002.tmp'), [(0, '00000.jpg')])
    out = tmp_path / 'sav_train' / 'proposals'
    assert tool.main([
        *detector, '--img-root',
        str(img_root), '--out-dir',
        str(out), '--device', 'cpu'
    ]) == 0
    masa = MASADetections(root=str(out), img_root=str(img_root))
    props = LoadTrackProposals(score_thr=0.0, max_num=1000)
    for path in paths:
        box_file = str(out / 'sav_000001' /
                       osp.basename(path).replace('.jpg', '.pth'))
        with open(box_file, 'rb') as f:  # as MASA reads it
            raw = pickle.load(f)
        assert set(raw) == {'det_bboxes', 'det_labels'}
        assert raw['det_bboxes'].dtype == np.float32 and raw[
            'det_bboxes'].shape[1] == 5
        assert raw['det_labels'].dtype == np.int64
        boxes, scores, labels = reference(path)
        assert len(boxes) == 20  # the config's max_per_img
        got = masa.get(path)
        np.testing.assert_allclose(got['bboxes'], boxes, atol=1e-4)
        np.testing.assert_allclose(got['scores'], scores, atol=1e-6)
        np.testing.assert_array_equal(got['labels'], labels)
        np.testing.assert_allclose(props.load(box_file), boxes, atol=1e-4)
    assert sorted(os.listdir(out)) == ['.dump_detections', 'sav_000001']
    # the proposals are exactly SA-V's annotated frames
    write_sav_json(
        str(tmp_path / 'sav_train' / 'sav_000' / 'sav_000001_manual.json'), 17,
        W, H)
    ds = SAVDataset(
        data_root=str(tmp_path / 'sav_train'),
        ann_file='',
        data_prefix=dict(img_path='JPEGImages_24fps', ann_path='sav_000'),
        proposals_root='proposals',
        check_files=True,
        pipeline=[])
    assert len(ds) == 1


@pytest.mark.slow  # two runs and mmdet's inference: 40 s on 2 busy cores
def test_tao_json_and_mot_det_txt_are_read_back(tmp_path, tool, detector,
                                                reference):
    import torch
    from mmdet.datasets import CocoDataset
    from mmdet.structures.bbox import bbox_overlaps

    from scaletrack.datasets import MOTDetDetections, TAOResultDetections
    img_root = tmp_path / 'train'
    images, videos = [], []
    for v, seq in enumerate(('SEQ-01', 'SEQ-02')):
        videos.append(dict(id=v + 1, name=seq))
        for k in range(2):
            rel = f'{seq}/img1/{k + 1:06d}.jpg'
            _write_frames(
                str(img_root / seq / 'img1'),
                [(k + 5 * v, f'{k + 1:06d}.jpg')])
            images.append(
                dict(
                    id=10 * v + k + 7,
                    video_id=v + 1,
                    file_name=rel,
                    frame_index=k,
                    width=W,
                    height=H))
    # TAO-style category ids (not 0..79) in an order other than the detector's
    names = list(CocoDataset.METAINFO['classes'])
    cats = [
        dict(id=1000 + i, name=n) for i, n in reversed(list(enumerate(names)))
    ]
    ann = tmp_path / 'ann.json'
    ann.write_text(
        json.dumps(
            dict(
                videos=videos,
                images=images,
                categories=cats,
                annotations=[],
                tracks=[])))
    out = tmp_path / 'dets'
    args = [
        *detector, '--img-root',
        str(img_root), '--ann-file',
        str(ann), '--out-dir',
        str(out), '--out-json',
        str(tmp_path / 'dets.json'), '--out-mot',
        str(tmp_path / 'mot'), '--device', 'cpu', '--batch-size', '2'
    ]
    assert tool.main(args) == 0
    tao = TAOResultDetections(
        str(tmp_path / 'dets.json'),
        ann_file=str(ann),
        categories=[1000 + i for i in range(80)])
    mot = MOTDetDetections(root=str(tmp_path / 'mot'))
    for img in images:
        path = str(img_root / img['file_name'])
        boxes, scores, labels = reference(path)
        got = tao.get(path, image_id=img['id'])
        order = np.argsort(-got['scores'], kind='stable')
        np.testing.assert_allclose(got['bboxes'][order], boxes, atol=1e-3)
        np.testing.assert_array_equal(got['labels'][order], labels)
        got = mot.get(path)
        order = np.argsort(-got['scores'], kind='stable')
        np.testing.assert_allclose(got['bboxes'][order], boxes, atol=2e-3)
        np.testing.assert_allclose(got['scores'][order], scores, atol=1e-5)
    # score threshold, top-k and class-agnostic NMS
    out2 = tmp_path / 'dets2'
    assert tool.main([
        *detector, '--img-root',
        str(img_root), '--out-dir',
        str(out2), '--device', 'cpu', '--score-thr', '0.1', '--topk', '5',
        '--class-agnostic-nms', '0.3'
    ]) == 0
    for img in images:
        path = str(img_root / img['file_name'])
        boxes, scores, _ = reference(path)
        with open(out2 / img['file_name'].replace('.jpg', '.pth'), 'rb') as f:
            dets = pickle.load(f)['det_bboxes']
        assert len(dets) <= 5 and (dets[:, 4] >= 0.1).all()
        assert len(dets) >= 1 and dets[0, 4] == pytest.approx(
            scores.max(), abs=1e-6)
        iou = bbox_overlaps(
            torch.from_numpy(dets[:, :4]), torch.from_numpy(dets[:, :4]))
        assert (iou.fill_diagonal_(0) <= 0.3 + 1e-6).all()


def test_videos_every_4_resume_and_bad_input(tmp_path, tool, detector, capsys):
    src = tmp_path / 'sav_000'
    write_mp4(str(src / 'sav_000001.mp4'), 10, W, H)
    bad = src / 'sav_000002.mp4'
    bad.write_bytes(os.urandom(3000))
    out = tmp_path / 'props'
    args = [
        *detector, '--video-root',
        str(src), '--every', '4', '--out-dir',
        str(out), '--device', 'cpu'
    ]
    assert tool.main(args) == 1
    err = capsys.readouterr().err
    assert 'sav_000002.mp4' in err
    assert sorted(os.listdir(
        out / 'sav_000001')) == ['00000.pth', '00004.pth', '00008.pth']
    assert not osp.exists(out / 'sav_000002')
    write_mp4(str(bad), 6, W, H)  # repaired: the re-run does that video only
    assert tool.main(args) == 0
    assert '1 of 2 videos to do' in capsys.readouterr().out
    assert sorted(os.listdir(out / 'sav_000002')) == ['00000.pth', '00004.pth']
    # other settings into the same folder would mix two runs
    with pytest.raises(ValueError, match='another run'):
        tool.main(args[:-2] + ['--score-thr', '0.5', '--device', 'cpu'])
    # a config that does not build, a checkpoint of another model
    broken = tmp_path / 'broken.py'
    broken.write_text(
        f"_base_ = '{detector[0]}'\nmodel = dict(type='NoSuchDetector')\n")
    with pytest.raises(ValueError, match='broken.py'):
        tool.main([
            str(broken), detector[1], '--video-root',
            str(src), '--out-dir',
            str(tmp_path / 'x')
        ])
    import torch
    other = tmp_path / 'other.pth'
    torch.save(
        dict(state_dict={'backbone.conv1.weight': torch.zeros(1)}), other)
    with pytest.raises(ValueError, match='other.pth'):
        tool.main([
            detector[0],
            str(other), '--video-root',
            str(src), '--out-dir',
            str(tmp_path / 'y'), '--device', 'cpu'
        ])
    assert not osp.exists(tmp_path / 'y' / 'sav_000001')
    assert not osp.exists(tmp_path / 'x')  # nothing written for either
