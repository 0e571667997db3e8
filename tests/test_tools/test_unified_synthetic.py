"""tools/experiments/unified_synthetic.py: the unified vs two-backbone
comparison on the synthetic benchmark (issue 15)."""
import importlib
import json

import numpy as np
import pytest

us = importlib.import_module('tools.experiments.unified_synthetic')
kit = importlib.import_module('tools.experiments.experiment_kit')


def test_class_agnostic_maps_every_category_to_object():
    coco = dict(
        images=[dict(id=1)],
        annotations=[
            dict(id=1, image_id=1, category_id=4, bbox=[1, 2, 3, 4]),
            dict(id=2, image_id=1, category_id=9, bbox=[5, 6, 7, 8])
        ],
        categories=[dict(id=4, name='ellipse'),
                    dict(id=9, name='hexagon')])
    out = us.class_agnostic(coco)
    assert out['categories'] == [dict(id=1, name='object')]
    assert [a['category_id'] for a in out['annotations']] == [1, 1]
    assert [a['bbox'] for a in out['annotations']] == [[1, 2, 3, 4],
                                                       [5, 6, 7, 8]]
    assert coco['annotations'][0]['category_id'] == 4  # input untouched


def test_detector_data_is_exhaustive_base_only_and_not_the_heldout(tmp_path):
    from scaletrack.datasets.synthetic import SyntheticConfig, generate_tao
    from scaletrack.datasets.synthetic.shapes import CATEGORIES
    held = generate_tao(
        str(tmp_path / 'tao_val'),
        SyntheticConfig(num_videos=1, num_frames=2, fps_mode='low'))
    us.prepare_detector_data(
        str(tmp_path / 'det'), held['ann_file'], 2, 2, seed=0)
    src = json.loads(
        (tmp_path / 'det/train/annotations/validation.json').read_text())
    novel = {c['id'] for c in CATEGORIES if c['frequency'] == 'r'}
    assert src['annotations']
    assert not {a['category_id'] for a in src['annotations']} & novel
    train = json.loads(
        (tmp_path / 'det/annotations/train_agnostic.json').read_text())
    assert len(train['annotations']) == len(src['annotations'])
    assert len(train['images']) == 4  # 2 videos x 2 frames
    # another seed: other frames than the held-out video's
    a = (tmp_path / 'det/train/frames/video_0000/00000.jpg').read_bytes()
    b = (tmp_path / 'tao_val/frames/video_0000/00000.jpg').read_bytes()
    assert a != b
    held_ag = json.loads(
        (tmp_path / 'det/annotations/heldout_agnostic.json').read_text())
    assert len(held_ag['annotations']) == len(
        json.loads(open(held['ann_file']).read())['annotations'])


def test_mean_rows_by_hand():
    rows = [
        dict(label='a', seed=0, metrics={n: 10.0
                                         for n in us.METRICS}),
        dict(label='a', seed=1, metrics={n: 20.0
                                         for n in us.METRICS}),
        dict(label='b', seed=0, metrics={n: 5.0
                                         for n in us.METRICS}),
    ]
    a, b = us.mean_rows(rows)
    assert a['label'] == 'a' and a['seeds'] == [0, 1]
    assert a['mean']['AssocA'] == 15.0
    # sample std of (10, 20): sqrt(((-5)**2 + 5**2) / 1)
    assert a['std']['AssocA'] == pytest.approx(np.sqrt(50.0))
    assert b['mean']['IDF1'] == 5.0 and b['std']['IDF1'] == 0.0


def test_dry_run_trains_detector_then_both_models_per_seed(tmp_path, capsys):
    us.main(['--dry-run', '--work-dir',
             str(tmp_path), '--seeds', '2'],
            runner=lambda *a: pytest.fail(f'ran {a[0]}'))
    out = capsys.readouterr().out
    trains = [ln for ln in out.splitlines() if 'tools/train.py' in ln]
    assert len(trains) == 7
    assert us.DET_CONFIG in trains[0] and 'max_epochs=8' in trains[0]
    configs = [us.TWO_BACKBONE_CONFIG
               ] * 2 + [us.UNIFIED_CONFIG] * 2 + [us.UNIFIED_FPN_CONFIG] * 2
    assert all(f' {c} ' in t for c, t in zip(configs, trains[1:]))
    for t, seed in zip(trains[1:], (0, 1) * 3):
        assert f'randomness.seed={seed} ' in t
        # the recipe's decay after epoch 4 of 6
        assert 'max_epochs=6' in t and 'milestones=[4]' in t
    assert not (tmp_path / 'runs').exists()  # nothing ran


def test_decay_point_follows_the_recipe():
    """2/3 of the epochs (kit's default would be the last epoch, 8)."""
    setting = kit.Setting(**dict(kit.asdict(us.QUICK), epochs=9))
    ws = us.UnifiedWorkspace('/nonexistent', setting, dry_run=True)
    opts = ws.train_options(kit.RunSpec('x', us.UNIFIED_CONFIG))
    assert 'param_scheduler.0.milestones=[6]' in opts
    assert 'train_cfg.max_epochs=9' in opts


def _n_trainable(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_unified_config_reads_the_frozen_detector_and_tracks_public_boxes():
    """The unified model: no backbone, the two-backbone model's adapter and
    head (same trainable size minus the backbone), a frozen detector whose
    backbone runs once per frame, and the public detections as boxes."""
    import torch
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.config import Config
    from mmengine.structures import InstanceData

    from scaletrack.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(us.UNIFIED_CONFIG).model).eval()
    ref = MODELS.build(Config.fromfile(us.TWO_BACKBONE_CONFIG).model)
    assert model.backbone is None
    assert model.feature_source == 'detector_backbone'
    assert _n_trainable(model) == _n_trainable(ref) - _n_trainable(
        ref.backbone)
    assert _n_trainable(model.detector) == 0
    calls = dict(backbone=0, rpn=0)

    def count(name):

        def hook(*_):
            calls[name] += 1

        return hook

    det = model.detector.detector
    det.backbone.register_forward_hook(count('backbone'))
    det.rpn_head.register_forward_hook(count('rpn'))
    boxes = [[10., 10., 40., 50.], [70., 60., 110., 100.]]
    for t in range(2):
        ds = DetDataSample(
            metainfo=dict(
                frame_id=t,
                img_id=t,
                img_shape=(128, 128),
                ori_shape=(128, 128),
                scale_factor=(1.0, 1.0)))
        ds.public_instances = InstanceData(
            bboxes=torch.tensor(boxes),
            scores=torch.tensor([0.9, 0.8]),
            labels=torch.tensor([0, 1]))
        sample = TrackDataSample()
        sample.video_data_samples = [ds]
        out = model.predict(torch.rand(1, 1, 3, 128, 128), [sample])[0][0]
        assert sorted(out.pred_det_instances.bboxes.tolist()) == boxes
    # one detector backbone pass per frame; its heads never run
    assert calls == dict(backbone=2, rpn=0)


@pytest.mark.slow
def test_quick_mode_end_to_end(tmp_path):
    """--quick: real data, detector, two models (one seed) and the table;
    a second call reuses every result."""
    work, out = tmp_path / 'work', tmp_path / 'tables'
    argv = [
        '--quick', '--work-dir',
        str(work), '--out-dir',
        str(out), '--seeds', '1', '--models', 'two-backbone', 'unified'
    ]
    res = us.main(argv)
    assert [r['label'] for r in res['rows']] == ['two-backbone', 'unified']
    for r in res['rows']:
        for name in us.METRICS:
            assert 0.0 <= r['metrics'][name] <= 100.0
    assert 0.0 <= res['detector']['bbox_mAP'] <= 100.0
    md = (out / 'unified_synthetic.md').read_text()
    assert '| **unified** | mean of 1 |' in md
    table = json.loads((out / 'unified_synthetic.json').read_text())
    assert table['detector']['epochs'] == us.DET_EPOCHS_SMOKE
    # the unified run loaded the trained detector
    log = (work / 'runs' / 'unified_s0' / 'train.log').read_text()
    ckpt = work / 'detector' / 'train' / 'epoch_1.pth'
    assert f'load model from: {ckpt}' in log
    assert 'missing keys' not in log and 'unexpected key' not in log
    # re-running reuses everything
    assert us.main(
        argv, runner=lambda *a: pytest.fail(f'ran {a[0]}'))['rows'] == \
        res['rows']
