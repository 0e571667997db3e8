"""The unified configs (configs/scaletrack/unified/): each builds; the stock
mmdet ones track a short random-weight video end to end (through the data
preprocessor) and train one step on a clip."""
import os
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from test_scaletrack_train_robustness import ROOT, make_batch

UNIFIED = osp.join(ROOT, 'configs/scaletrack/unified')
STOCK = {
    'faster-rcnn':
    'scaletrack_unified_faster-rcnn_r50_fpn_tao.py',
    'dino':
    'scaletrack_unified_dino-4scale_r50_tao.py',
    'faster-rcnn-sav':
    'scaletrack_unified_faster-rcnn_r50_fpn_16xb1-5e_sav_test-tao.py',
}
NEEDS_MMDET_ROOT = [
    'scaletrack_unified_co-dino-5scale-r50_tao.py',
    'scaletrack_unified_detic-swin-b_tao.py',
]


def batch_at(size, num_frames):
    """``make_batch``'s clip scaled to ``size`` x ``size`` (boxes too)."""
    batch = make_batch(num_frames)
    imgs = batch['inputs'][0]
    f = size / imgs.shape[-1]
    batch['inputs'] = [
        torch.nn.functional.interpolate(
            imgs.float(), size=(size, size), mode='bilinear').byte()
    ]
    for ds in batch['data_samples'][0]:
        ds.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size)))
        ds.gt_instances.bboxes = ds.gt_instances.bboxes * f
        ds.proposals.bboxes = ds.proposals.bboxes * f
    return batch


# DINO keeps its 900 best encoder positions as queries: the 4 levels of a
# 256 x 256 input have 32^2 + 16^2 + 8^2 + 4^2 = 1360 >= 900 (128: 340)
TEST_SIDE = {'faster-rcnn': 128, 'dino': 256}


def build(name):
    cfg = Config.fromfile(osp.join(UNIFIED, name))
    cfg.model.detector.backbone.init_cfg = None  # no download here
    cfg.model.detector.init_cfg = None
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model)


def test_every_unified_config_is_tested():
    names = sorted(p for p in os.listdir(UNIFIED) if not p.startswith('_'))
    assert names == sorted(list(STOCK.values()) + NEEDS_MMDET_ROOT)


@pytest.mark.parametrize('key', sorted(STOCK))
def test_stock_config_builds_without_own_backbone(key):
    cfg, model = build(STOCK[key])
    assert model.unified and model.backbone is None
    # FPN P3-P6 / DINO's 4 ChannelMapper levels: 256 channels, strides 8-64
    assert model.neck.in_channels == [256] * 4
    assert model.track_head.featmap_strides == (8., 16., 32., 64.)
    assert not any(p.requires_grad for p in model.detector.parameters())
    # one input for both: the detector's test scale, not 518 x 518
    resize = cfg.test_dataloader.dataset.pipeline[0].transforms[1]
    assert (resize.type, resize.scale,
            resize.keep_ratio) == ('Resize', (1333, 800), True)
    assert cfg.model.data_preprocessor.pad_size_divisor == 32
    if key == 'faster-rcnn-sav':
        assert cfg.train_dataloader.dataset.type == 'SAVDataset'
        assert cfg.model.detector.init_cfg is None  # reset in build()
        raw = Config.fromfile(osp.join(UNIFIED, STOCK[key]))
        assert raw.model.detector.init_cfg.type == 'Pretrained'
        # the recipe's optimizer trains exactly the adapter and decoder
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        trained = {
            id(p)
            for g in optim.optimizer.param_groups
            for p in g['params'] if p.requires_grad
        }
        assert trained == {
            id(p)
            for m in (model.neck, model.track_head)
            for p in m.parameters()
        }


@pytest.mark.slow
@pytest.mark.parametrize('key', ['faster-rcnn', 'dino'])
def test_stock_config_tracks_and_trains(key):
    """A 3-frame random video through test_step (data preprocessor,
    detector, adapter, decoder, tracker), then one train_step."""
    # random weights, seeded and initialised as mmdet does (init_weights:
    # DINO's reference points and query heads get their own init; left at
    # torch's default some queries' boxes can be degenerate or NaN, which
    # the box checks drop)
    torch.manual_seed(0)
    _, model = build(STOCK[key])
    model.init_weights()
    model.eval()
    if key == 'faster-rcnn':
        # random weights score every class near 1/81, under 0.05
        model.detector.roi_head.test_cfg.score_thr = 0.0
    model.tracker.score_thr = 0.0
    model.tracker.init_score_thr = 0.0
    calls = []
    model.detector.backbone.register_forward_hook(lambda *_: calls.append(1))
    out = model.test_step(batch_at(TEST_SIDE[key], 3))[0]
    assert len(calls) == 3  # one backbone pass per frame, no other one
    for ds in out:
        tracks = ds.pred_track_instances
        assert model.total_invalid_boxes == 0
        assert len(tracks) > 0
        assert tracks.instances_id.unique().numel() == len(tracks)
        assert (tracks.bboxes[:, 2:] > tracks.bboxes[:, :2]).all()
    # the first frame starts a track per kept detection: ids 0..n-1
    first = out[0].pred_track_instances.instances_id.sort()[0]
    assert first.tolist() == list(range(len(first)))

    model.train()
    assert not model.detector.training
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='AdamW', lr=1e-3)))
    det_before = {k: v.clone() for k, v in model.detector.state_dict().items()}
    neck_before = [p.clone() for p in model.neck.parameters()]
    log_vars = model.train_step(batch_at(TEST_SIDE[key], 2), optim)
    assert bool(torch.isfinite(torch.as_tensor(log_vars['loss']).detach()))
    det_after = model.detector.state_dict()
    assert all(torch.equal(det_before[k], det_after[k]) for k in det_before)
    assert any(not torch.equal(a, b)
               for a, b in zip(neck_before, model.neck.parameters()))


@pytest.mark.parametrize('name', NEEDS_MMDET_ROOT)
def test_mmdetection_tree_config_builds(name):
    """Co-DINO and Detic come from an mmdetection source tree (MMDET_ROOT,
    on PYTHONPATH); Detic also needs its metadata files."""
    root = os.environ.get('MMDET_ROOT')
    if not root:
        pytest.skip(f'{name} needs MMDET_ROOT (an mmdetection 3.3 source '
                    'tree, also on PYTHONPATH); not set here')
    if 'detic' in name and not osp.exists(
            osp.join('data', 'metadata', 'lvis_v1_clip_a+cname.npy')):
        pytest.skip('Detic needs data/metadata/lvis_v1_clip_a+cname.npy '
                    '(projects/Detic_new/README.md)')
    from mmengine.utils import import_modules_from_strings
    cfg = Config.fromfile(osp.join(UNIFIED, name))
    import_modules_from_strings(**cfg.custom_imports)
    cfg.model.detector.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert model.unified and model.backbone is None


# Stand-ins for the mmdetection trees (the real ones are not on this
# machine): the same paths and the same level layout -- Co-DINO R50's
# 5-level neck at strides 4-64 (here an FPN of 5 outputs from C2), Detic's
# Swin-B with out_indices (1, 2, 3) (the real Swin-B sizes).
STAND_INS = {
    'scaletrack_unified_co-dino-5scale-r50_tao.py':
    ('CO-DETR', 'codetr', 'configs/codino/'
     'co_dino_5scale_r50_lsj_8xb2_1x_coco.py', """
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']
model = dict(type='CoDETRStandIn', backbone=dict(init_cfg=None))
"""),
    'scaletrack_unified_detic-swin-b_tao.py':
    ('Detic_new', 'detic', 'configs/'
     'detic_centernet2_swin-b_fpn_4x_lvis_in21k-lvis.py', """
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']
model = dict(
    type='DeticStandIn',
    backbone=dict(_delete_=True, type='SwinTransformer', embed_dims=128,
                  depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32],
                  window_size=7, out_indices=(1, 2, 3)),
    neck=dict(in_channels=[256, 512, 1024]))
"""),
}


@pytest.mark.parametrize('name', NEEDS_MMDET_ROOT)
def test_mmdetection_tree_config_with_stand_in(name, tmp_path, monkeypatch):
    """The config resolves MMDET_ROOT, imports the project package and
    scaletrack, and its levels fit the detector's layout."""
    import sys
    import textwrap
    project, pkg, cfg_path, cfg_text = STAND_INS[name]
    tree = tmp_path / 'mmdetection'
    cls = 'CoDETRStandIn' if pkg == 'codetr' else 'DeticStandIn'
    (tree / 'projects' / project / pkg).mkdir(parents=True)
    (tree / 'projects' / project / pkg / '__init__.py').write_text(
        textwrap.dedent(f"""
        from mmdet.registry import MODELS
        from mmdet.models.detectors import FasterRCNN

        @MODELS.register_module(force=True)
        class {cls}(FasterRCNN):
            pass
        """))
    target = tree / 'projects' / project / cfg_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(cfg_text)
    monkeypatch.setenv('MMDET_ROOT', str(tree))
    monkeypatch.syspath_prepend(str(tree))
    cfg = Config.fromfile(osp.join(UNIFIED, name))
    assert cfg.custom_imports['imports'] == [
        f'projects.{project}.{pkg}', 'scaletrack'
    ]
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**cfg.custom_imports)
    try:
        model = MODELS.build(cfg.model)
    finally:
        sys.modules.pop(f'projects.{project}.{pkg}', None)
    assert type(model.detector).__name__ == cls
    assert model.backbone is None
    assert model.track_head.featmap_strides == (8., 16., 32., 64.)
    if pkg == 'detic':
        assert model.feature_source == 'detector_backbone'
        assert model.neck.in_channels == [256, 512, 1024]
        assert cfg.test_dataloader.dataset.class_list == 'lvis_v1'
    else:
        resize = cfg.test_dataloader.dataset.pipeline[0].transforms[1]
        assert resize.scale == (1024, 1024)
