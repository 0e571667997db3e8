"""Each dataset config loads with mmengine and its pipelines build."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

CFG_DIR = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')
TEST_CFGS = ['tao_val.py', 'ovmot_val.py', 'bdd100k_mot_val.py', 'sportsmot_val.py',
             'mot17_val.py', 'ovtb.py']


def test_all_config_files_are_covered():
    found = sorted(osp.basename(p) for p in glob.glob(osp.join(CFG_DIR, '*.py')))
    assert found == sorted(TEST_CFGS + ['sav_train.py'])


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
    assert resize and tuple(resize[0].scale) == (518, 518) and resize[0].keep_ratio is False
    assert 'LoadPublicDetections' in _types(pipe) and pipe[-1].type == 'PackClipInputs'
    Compose(pipe)  # every transform (and public-detection reader) is registered
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [
        cfg.test_evaluator]
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


def test_ovmot_uses_lvis_v1_and_tao_val_v05():
    tao = Config.fromfile(osp.join(CFG_DIR, 'tao_val.py'))
    ov = Config.fromfile(osp.join(CFG_DIR, 'ovmot_val.py'))
    assert 'v05' in tao.test_dataloader.dataset.ann_file
    assert 'v1' in ov.test_dataloader.dataset.ann_file
    assert ov.test_evaluator.ann_file == ov.test_dataloader.dataset.ann_file
    assert ov.test_dataloader.dataset.type == 'TAODataset'


def test_sav_train_config():
    cfg = Config.fromfile(osp.join(CFG_DIR, 'sav_train.py'))
    loader = cfg.train_dataloader
    assert loader.batch_size == 1 and loader.sampler == dict(type='DefaultSampler', shuffle=True)
    pipe = loader.dataset.pipeline
    assert pipe[0] == dict(type='ClipFrameSample', num_frames=10, sampling='uniform')
    assert pipe[1].type == 'TransformBroadcaster' and pipe[1].share_random_params is True
    inner = [t.type for t in pipe[1].transforms]
    assert inner == ['LoadImageFromFile', 'LoadTrackAnnotations', 'LoadTrackProposals',
                     'RandomResize', 'RandomCrop', 'RandomFlip', 'Pad']
    assert tuple(pipe[1].transforms[3].ratio_range) == (0.1, 2.0)
    assert pipe[-1].type == 'PackClipInputs'
    Compose(pipe)
