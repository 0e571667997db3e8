"""The install issue: registration, mmdet config inheritance, resume on
torch>=2.6."""
import os.path as osp

import pytest
import torch
from torch import nn


def test_import_registers_modules_in_mmdet_registries():
    from mmdet.registry import DATASETS, METRICS, MODELS, TRANSFORMS

    import scaletrack  # noqa: F401
    for name in ('ScaleTrack', 'ScaleTrackTracker', 'ChainContrastiveLoss',
                 'DINOv2Backbone', 'DeformableEncoderAdapter',
                 'ScaleTrackEmbedHead'):
        assert MODELS.get(name) is not None, name
    assert DATASETS.get('SAVDataset') is not None
    assert DATASETS.get('TAODataset') is not None
    assert TRANSFORMS.get('ClipFrameSample') is not None
    assert METRICS.get('TETAMetric') is not None


def test_register_all_modules_sets_mmdet_scope():
    from mmengine.registry import DefaultScope

    from scaletrack.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmdet'


def test_config_inheriting_stock_mmdet_detector_builds(tmp_path):
    from mmdet.registry import MODELS
    from mmengine.config import Config

    from scaletrack.utils import register_all_modules
    register_all_modules()
    cfg_file = tmp_path / 'faster_rcnn_child.py'
    cfg_file.write_text(
        "_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']\n"
        "custom_imports = dict(imports=['scaletrack'], "
        "allow_failed_imports=False)\n"
        "model = dict(backbone=dict(init_cfg=None), "
        "roi_head=dict(bbox_head=dict(num_classes=3)))\n")
    cfg = Config.fromfile(str(cfg_file))
    # inherited from the stock mmdet config ...
    assert cfg.model.type == 'FasterRCNN'
    assert cfg.model.rpn_head.type == 'RPNHead'
    # ... and overridden by the child
    assert cfg.model.roi_head.bbox_head.num_classes == 3
    detector = MODELS.build(cfg.model)
    assert detector.roi_head.bbox_head.fc_cls.out_features == 3 + 1
    detector.eval()
    with torch.no_grad():
        feats = detector.extract_feat(torch.rand(1, 3, 64, 64))
    assert len(feats) == 5  # FPN P2-P6


class _ToyModel(nn.Module):
    """A tiny mmengine model: y = w x, mse loss."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='loss'):
        pred = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=((pred.squeeze(-1) - labels)**2).mean())
        return pred


def _toy_model():
    from mmengine.model import BaseModel

    class Toy(BaseModel):

        def __init__(self):
            super().__init__()
            self.net = _ToyModel()

        def forward(self, inputs, labels=None, mode='loss'):
            inputs = torch.stack(inputs) if isinstance(inputs, list) \
                else inputs
            labels = torch.stack(labels) if isinstance(labels, list) \
                else labels
            return self.net(inputs, labels, mode)

    return Toy()


class _ToyDataset(torch.utils.data.Dataset):
    metainfo = dict()

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(idx)
        x = torch.rand(2, generator=g)
        return dict(inputs=x, labels=x.sum())


def _runner(work_dir, max_iters, resume=False, load_from=None):
    from mmengine.runner import Runner
    return Runner(
        model=_toy_model(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False)),
        resume=resume,
        load_from=load_from,
        randomness=dict(seed=0),
        default_scope='mmdet')


def test_runner_checkpoint_loads_with_weights_only_and_resumes(tmp_path):
    import scaletrack  # noqa: F401  (registers the checkpoint allow-list)
    runner = _runner(tmp_path, max_iters=2)
    runner.train()
    ckpt = osp.join(tmp_path, 'iter_2.pth')
    assert osp.exists(ckpt)
    # torch >= 2.6 loads with weights_only=True by default; the checkpoint
    # holds mmengine's message hub (HistoryBuffer, numpy values) and meta.
    state = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert state['meta']['iter'] == 2
    saved_exp_avg = state['optimizer']['state'][0]['exp_avg'].clone()
    assert saved_exp_avg.abs().sum() > 0

    # a new process-like runner resumes from the checkpoint and goes on
    runner2 = _runner(tmp_path, max_iters=4, resume=True)
    runner2.train()
    assert runner2.iter == 4
    assert osp.exists(osp.join(tmp_path, 'iter_4.pth'))

    # the optimizer state was restored at resume, not re-initialised: the
    # step count continues from the saved one
    resumed = torch.load(osp.join(tmp_path, 'iter_4.pth'), weights_only=True)
    assert int(resumed['optimizer']['state'][0]['step']) == 4


class Evil:
    """An arbitrary class: not something mmengine writes to a checkpoint."""


def test_unknown_globals_still_refused(tmp_path):
    """The shim is an allow-list, not weights_only=False."""
    import scaletrack  # noqa: F401

    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(Exception, match='(?i)unsupported global|weights_only'):
        torch.load(path, weights_only=True)


def test_history_buffer_round_trip_keeps_statistics(tmp_path):
    from mmengine.logging import HistoryBuffer

    import scaletrack  # noqa: F401
    buf = HistoryBuffer()
    for v in (3.0, 1.0, 2.0):
        buf.update(v)
    path = tmp_path / 'buf.pth'
    torch.save({'buf': buf}, path)
    loaded = torch.load(path, weights_only=True)['buf']
    assert loaded.min() == 1.0 and loaded.max() == 3.0
    assert loaded.current() == 2.0 and loaded.mean() == 2.0
    assert loaded.statistics('mean') == 2.0
    # pickling did not add state to the live buffer
    assert 'statistics_methods' not in buf.__dict__
