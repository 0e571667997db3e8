"""Every config loads and builds; detectors compose by config alone."""
import glob
import os
import os.path as osp
import sys
import textwrap

import pytest
from mmdet.registry import MODELS
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p and 'co-dino' not in p and 'detic' not in p)


def test_configs_were_found():
    assert len(CONFIGS) >= 12


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_loads(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet'
    assert 'scaletrack' in cfg.custom_imports['imports']
    if 'synthetic/unified/faster-rcnn' in path:
        # the synthetic benchmark's own detector (a plain mmdet model whose
        # features the unified ScaleTrack reads, issue 15)
        assert cfg.model.type == 'FasterRCNN'
        return
    assert cfg.model.type in ('ScaleTrack', 'ByteTrack', 'OCSORT')


# one representative per model family is built (DINOv2-L is 300 M params)
BUILD = [
    'configs/scaletrack/scaletrack_dinov2-s_public-dets_tao.py',
    'configs/scaletrack/scaletrack_r50_public-dets_tao.py',
    'configs/scaletrack/scaletrack_dinov2-s_retinanet_r50_fpn_tao.py',
    'configs/scaletrack/scaletrack_dinov2-s_dino-4scale_r50_tao.py',
    'configs/baselines/bytetrack_public-dets_synthetic.py',
]


@pytest.mark.parametrize('path', BUILD)
def test_model_builds(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    if 'detector' in cfg.model and 'backbone' in cfg.model.detector:
        cfg.model.detector.backbone.init_cfg = None  # no download here
    model = MODELS.build(cfg.model)
    if cfg.model.type == 'ScaleTrack':
        # frozen backbone: no trainable parameter there
        assert not any(p.requires_grad for p in model.backbone.parameters())
        if 'detector' in cfg.model:
            assert type(model.detector).__name__ == cfg.model.detector.type
            assert not any(p.requires_grad
                           for p in model.detector.parameters())


def test_co_detr_config_with_mmdetection_source_tree(tmp_path, monkeypatch):
    """The Co-DETR config resolves an mmdetection tree from MMDET_ROOT and
    imports both `projects.CO-DETR.codetr` and scaletrack. A stand-in tree
    with the same layout checks the mechanics (the real one is not on this
    machine)."""
    tree = tmp_path / 'mmdetection'
    cfg_dir = tree / 'projects' / 'CO-DETR' / 'configs' / 'codino'
    pkg = tree / 'projects' / 'CO-DETR' / 'codetr'
    cfg_dir.mkdir(parents=True)
    pkg.mkdir(parents=True)
    (pkg / '__init__.py').write_text(
        textwrap.dedent('''
        from mmdet.registry import MODELS
        from mmdet.models.detectors import RetinaNet

        @MODELS.register_module(force=True)
        class CoDETRStandIn(RetinaNet):
            pass
        '''))
    # like the real Co-DINO config: its own custom_imports and a model
    (cfg_dir / 'co_dino_5scale_r50_lsj_8xb2_1x_coco.py').write_text(
        textwrap.dedent('''
        _base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
        custom_imports = dict(
            imports=['projects.CO-DETR.codetr'], allow_failed_imports=False)
        model = dict(type='CoDETRStandIn', backbone=dict(init_cfg=None))
        '''))
    monkeypatch.setenv('MMDET_ROOT', str(tree))
    monkeypatch.syspath_prepend(str(tree))
    cfg = Config.fromfile(
        osp.join(
            ROOT, 'configs/scaletrack/'
            'scaletrack_dinov2-s_co-dino-5scale-r50_tao.py'))
    # the child restates custom_imports with both packages
    assert cfg.custom_imports['imports'] == [
        'projects.CO-DETR.codetr', 'scaletrack'
    ]
    assert cfg.model.type == 'ScaleTrack'
    assert cfg.model.detector.type == 'CoDETRStandIn'
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**cfg.custom_imports)
    model = MODELS.build(cfg.model)
    assert type(model.detector).__name__ == 'CoDETRStandIn'
    sys.modules.pop('projects.CO-DETR.codetr', None)
    assert os.environ['MMDET_ROOT'] == str(tree)


def test_unfrozen_backbone_config_trains_backbone_at_tenth_lr():
    """Table 6's switch: the backbone gets gradients, in train mode, and the
    optimizer gives its parameters 0.1 x the base lr (2e-5, App. A.1)."""
    import torch
    from mmengine.optim import build_optim_wrapper

    cfg = Config.fromfile(
        osp.join(
            ROOT, 'configs/scaletrack/ablations/'
            'scaletrack_dinov2-s-unfrozen_16xb1-5e_sav_test-tao.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.train()
    backbone = list(model.backbone.parameters())
    assert backbone and all(p.requires_grad for p in backbone)
    assert model.backbone.training
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lr_of = {
        id(p): g['lr']
        for g in wrapper.optimizer.param_groups
        for p in g['params']
    }
    assert [lr_of[id(p)]
            for p in backbone] == pytest.approx([2e-5] * len(backbone))
    head = list(model.track_head.parameters())
    assert [lr_of[id(p)] for p in head] == pytest.approx([2e-4] * len(head))
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)


@pytest.mark.parametrize(
    'detector',
    ['faster-rcnn_r50_fpn', 'retinanet_r50_fpn', 'dino-4scale_r50'])
def test_coco_detector_on_tao_maps_labels_by_synset(detector):
    """COCO detectors' labels go through TAO's synset mapping, not read as
    LVIS v1 labels (label 0 = 'person' would otherwise be 'aerosol_can')."""
    cfg = Config.fromfile(
        osp.join(ROOT,
                 f'configs/scaletrack/scaletrack_dinov2-s_{detector}_tao.py'))
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.class_list == 'coco'
        assert loader.dataset.class_synsets.endswith(
            'coco_to_lvis_synset.json')
    assert not any(
        t.get('type') == 'LoadPublicDetections'
        for t in cfg.test_dataloader.dataset.pipeline[0]['transforms'])
