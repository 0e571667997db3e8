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
    if key == 'faster-rcnn-sav':
        assert cfg.train_dataloader.dataset.type == 'SAVDataset'
        assert cfg.model.detector.init_cfg is None  # reset in build()
        raw = Config.fromfile(osp.join(UNIFIED, STOCK[key]))
        assert raw.model.detector.init_cfg.type == 'Pretrained'


@pytest.mark.slow
@pytest.mark.parametrize('key', ['faster-rcnn', 'dino'])
def test_stock_config_tracks_and_trains(key):
    """A 3-frame random video through test_step (data preprocessor,
    detector, adapter, decoder, tracker), then one train_step."""
    _, model = build(STOCK[key])
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
