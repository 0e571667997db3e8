"""Each dataset config loads with mmengine and its pipelines build."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

CFG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')
TEST_CFGS = [
    'tao_val.py', 'ovmot_val.py', 'bdd100k_mot_val.py', 'sportsmot_val.py',
    'mot17_val.py', 'ovtb.py'
]


def test_all_config_files_are_covered():
    found = sorted(
        osp.basename(p) for p in glob.glob(osp.join(CFG_DIR, '*.py')))
    assert found == sorted(TEST_CFGS + ['sav_train.py', 'sportsmot_train.py'])


def _types(pipeline):
    out = []
    for t in pipeline:
        out.append(t['type'])
        out += _types(t.get('transforms', []))
    return out


@pytest.mark.parametrize('name', TEST_CFGS)
def test_test_configs(name):
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    loader = cfg.test_dataloader
    assert loader.sampler.type == 'TrackImgSampler' and loader.batch_size == 1
    assert loader.dataset.test_mode is True
    pipe = loader.dataset.pipeline
    resize = [t for t in pipe[0].transforms if t.type == 'Resize']
    assert resize and tuple(
        resize[0].scale) == (518, 518) and resize[0].keep_ratio is False
    assert 'LoadPublicDetections' in _types(
        pipe) and pipe[-1].type == 'PackClipInputs'
    Compose(
        pipe)  # every transform (and public-detection reader) is registered
    evaluators = cfg.test_evaluator if isinstance(
        cfg.test_evaluator, list) else [cfg.test_evaluator]
    kinds = {e.type: e for e in evaluators}
    if name in ('tao_val.py', 'ovmot_val.py', 'ovtb.py'):
        assert kinds['TETAMetric'].exhaustive is False
        assert kinds['TETAMetric'].ann_file == loader.dataset.ann_file
    elif name == 'bdd100k_mot_val.py':
        assert kinds['TETAMetric'].exhaustive is True and 'MOTMetric' in kinds
    else:
        assert list(kinds['MOTMetric'].metric) == ['HOTA', 'CLEAR', 'Identity']


@pytest.mark.parametrize('name', TEST_CFGS)
def test_train_base_combines_with_each_test_base(tmp_path, name):
    """A model config takes sav_train.py and a test set as two bases; mmengine
    rejects bases that define the same top-level name."""
    cfg_file = tmp_path / 'combined.py'
    bases = [osp.abspath(osp.join(CFG_DIR, n)) for n in ('sav_train.py', name)]
    cfg_file.write_text(f'_base_ = {bases!r}\n')
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.train_dataloader.dataset.type == 'SAVDataset'
    assert cfg.test_dataloader.dataset.test_mode is True


def test_tao_and_ovmot_use_lvis_v1_with_the_detic_detections():
    """Issue 11 changed this: MASA pairs its Detic detections with
    tao_val_lvis_v1_classes.json and the LVIS v1 class list (its
    tao_dataset_v1.py), so TAO TETA and OV-MOT both use them (the v0.5
    file goes with the TETer detections)."""
    from mmdet.datasets import LVISV1Dataset
    for name in ('tao_val.py', 'ovmot_val.py'):
        cfg = Config.fromfile(osp.join(CFG_DIR, name))
        ds = cfg.test_dataloader.dataset
        assert ds.ann_file.endswith('tao_val_lvis_v1_classes.json')
        assert ds.class_list == 'lvis_v1' and ds.type == 'TAODataset'
        assert cfg.test_evaluator.ann_file == ds.ann_file
        assert _public_dets(cfg).num_classes == len(
            LVISV1Dataset.METAINFO['classes']) == 1203
        assert 'public_dets/detic_swinb' in _public_dets(cfg).source.root


def _public_dets(cfg):
    (t, ) = [
        t for t in cfg.test_dataloader.dataset.pipeline[0].transforms
        if t.type == 'LoadPublicDetections'
    ]
    return t


def test_public_detection_class_spaces():
    """Every public-detection config states the size of the class list its
    detections index, equal to the dataset's class list."""
    from scaletrack.datasets.bdd100k_mot_dataset import BDD100K_MOT_CLASSES
    bdd = Config.fromfile(osp.join(CFG_DIR, 'bdd100k_mot_val.py'))
    assert _public_dets(bdd).num_classes == len(BDD100K_MOT_CLASSES) == 8
    mot17 = Config.fromfile(osp.join(CFG_DIR, 'mot17_val.py'))
    assert _public_dets(mot17).num_classes == len(
        mot17.test_dataloader.dataset.metainfo.classes) == 1
    sports = Config.fromfile(osp.join(CFG_DIR, 'sportsmot_val.py'))
    assert _public_dets(sports).num_classes == 1  # --class-map 1=player
    ovtb = Config.fromfile(osp.join(CFG_DIR, 'ovtb.py'))
    assert ovtb.test_dataloader.dataset.class_list is None  # file order
    assert _public_dets(ovtb).num_classes == 1048
    assert _public_dets(ovtb).source.root.startswith('data/ovtb/')


def test_sportsmot_says_where_detections_come_from(tmp_path):
    """SportsMOT ships no det.txt: the configured reader's error names the
    expected file and the tool that makes it; the JSON alternative builds
    on a TAO-style results file."""
    import json

    from mmdet.registry import TRANSFORMS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(CFG_DIR, 'sportsmot_val.py'))
    t = _public_dets(cfg)
    assert t.source.type == 'MOTDetDetections'
    t.source.root = str(tmp_path / 'val')
    load = TRANSFORMS.build(t)
    img = tmp_path / 'val' / 'v_seq' / 'img1' / '000001.jpg'
    with pytest.raises(FileNotFoundError) as info:
        load(dict(img_path=str(img), frame_id=0, img_id=1))
    msg = str(info.value)
    assert osp.join(str(tmp_path), 'val', 'v_seq', 'det', 'det.txt') in msg
    assert 'tools/misc/dump_detections.py DET_CONFIG DET_CKPT' in msg
    assert 'SportsMOT ships no detections' in msg

    alt = cfg.sportsmot_json_dets
    assert alt.type == 'TAOResultDetections'
    ann, res = tmp_path / 'val.json', tmp_path / 'res.json'
    ann.write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='v_seq/img1/000001.jpg')],
                categories=[dict(id=1, name='player')])))
    res.write_text(
        json.dumps(
            [dict(image_id=1, category_id=1, score=0.9, bbox=[1, 2, 3, 4])]))
    alt.update(json_file=str(res), ann_file=str(ann))
    out = TRANSFORMS.build(
        dict(type='LoadPublicDetections', num_classes=1, source=alt))(
            dict(img_path=str(img), frame_id=0, img_id=1))
    assert out['public_bboxes'].tolist() == [[1, 2, 4, 6]]
    alt.update(json_file=str(tmp_path / 'absent.json'))
    with pytest.raises(FileNotFoundError, match=r'absent\.json.*dump_det'):
        TRANSFORMS.build(dict(type='LoadPublicDetections', source=alt))


def test_sav_train_config():
    cfg = Config.fromfile(osp.join(CFG_DIR, 'sav_train.py'))
    loader = cfg.train_dataloader
    assert loader.batch_size == 1 and loader.sampler == dict(
        type='DefaultSampler', shuffle=True)
    pipe = loader.dataset.pipeline
    assert pipe[0] == dict(
        type='ClipFrameSample', num_frames=10, sampling='uniform')
    assert pipe[1].type == 'TransformBroadcaster' and pipe[
        1].share_random_params is True
    inner = [t.type for t in pipe[1].transforms]
    assert inner == [
        'LoadImageFromFile', 'LoadTrackAnnotations', 'LoadTrackProposals',
        'RandomResize', 'RandomCrop', 'RandomFlip', 'Pad'
    ]
    assert tuple(pipe[1].transforms[3].ratio_range) == (0.1, 2.0)
    assert pipe[-1].type == 'PackClipInputs'
    Compose(pipe)


def test_sportsmot_train_config_gives_consistent_clips(tmp_path):
    """In-domain training (Table 8): a MOTChallenge sequence converted with
    mot_to_cocovid.py goes through sportsmot_train.py's clip pipeline; every
    frame of the clip keeps both players with their identities and boxes
    (flipped together when the shared flip fires)."""
    import importlib.util

    import cv2
    import numpy as np
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope

    init_default_scope('mmdet')
    seq = tmp_path / 'train' / 'basket_1'
    (seq / 'img1').mkdir(parents=True)
    length, size = 12, 64
    (seq / 'seqinfo.ini').write_text(
        f'[Sequence]\nname=basket_1\nimDir=img1\nframeRate=25\n'
        f'seqLength={length}\nimWidth={size}\nimHeight={size}\nimExt=.jpg\n')
    rows, boxes = [], {}
    for f in range(1, length + 1):
        cv2.imwrite(
            str(seq / 'img1' / f'{f:06d}.jpg'),
            np.full((size, size, 3), 40 * (f % 5), np.uint8))
        # SportsMOT ids start at 0; player 0 walks right, player 1 stays
        for pid, (x, y) in ((0, (2 + 2 * f, 10)), (1, (40, 30))):
            rows.append(f'{f},{pid},{x},{y},10,20,1,1,1')
            boxes[(f - 1, pid)] = [x, y, x + 10, y + 20]
    (seq / 'gt').mkdir()
    (seq / 'gt' / 'gt.txt').write_text('\n'.join(rows) + '\n')
    script = osp.join(CFG_DIR, '..', '..', '..', 'tools', 'dataset_converters',
                      'mot_to_cocovid.py')
    spec = importlib.util.spec_from_file_location('mot_to_cocovid', script)
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)
    ann = str(tmp_path / 'train.json')
    conv.main(
        ['-i',
         str(tmp_path / 'train'), '-o', ann, '--class-map', '1=player'])

    cfg = Config.fromfile(osp.join(CFG_DIR, 'sportsmot_train.py'))
    loader = cfg.train_dataloader
    assert loader.dataset.type == 'RepeatDataset' and loader.batch_size == 1
    inner = loader.dataset.dataset
    inner.ann_file = ann
    inner.data_prefix = dict(img_path=str(tmp_path / 'train'))
    resize, crop, _, pad = inner.pipeline[1].transforms[2:]
    resize.scale, resize.ratio_range = (size, size), (1.0, 1.0)
    crop.crop_size = pad.size = (size, size)
    dataset = DATASETS.build(loader.dataset)
    assert len(dataset) == 20  # one video, 20 clips per epoch

    for index in range(4):
        packed = dataset[index]
        frames = packed['data_samples'].video_data_samples
        assert packed['inputs'].shape == (10, 3, size, size)
        frame_ids = [s.frame_id for s in frames]
        assert frame_ids == list(range(frame_ids[0], frame_ids[0] + 10))
        flip = {s.flip for s in frames}
        assert len(flip) == 1  # one flip for the whole clip
        ids_per_frame = []
        for s in frames:
            gt = s.gt_instances
            ids_per_frame.append(sorted(gt.instances_ids.tolist()))
            for k, iid in enumerate(gt.instances_ids.tolist()):
                pid = ids_per_frame[0].index(iid)
                x1, y1, x2, y2 = boxes[(s.frame_id, pid)]
                if s.flip:
                    x1, x2 = size - x2, size - x1
                assert gt.bboxes[k].tolist() == [x1, y1, x2, y2]
            assert len(s.proposals.bboxes) == 0  # no pseudo-negatives here
        assert len(ids_per_frame[0]) == 2
        assert all(ids == ids_per_frame[0] for ids in ids_per_frame)
