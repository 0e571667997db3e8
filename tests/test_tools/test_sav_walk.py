"""docs/datasets.md's walk from the SA-V download to a checkpoint, on one
tiny SA-V-format video: extract frames -> dump proposals with an mmdet
detector (random weights) -> train (tools/train.py, 2 iterations) -> a
checkpoint."""
import importlib.util
import os.path as osp
import subprocess
import sys

import pytest
import torch
from sav_helpers import ROOT, tiny_detector, write_mp4, write_sav_json

W, H = 256, 192  # the synthetic config's 256 x 256 input after LSJ
NUM_FRAMES = 40  # 10 annotated frames: one 10-frame clip
SYNTHETIC = osp.join(ROOT, 'configs', 'scaletrack', 'synthetic',
                     'scaletrack_tiny-r18_1xb1-6e_synthetic.py')


def _load(name, *parts):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, *parts))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_walk_from_sav_mp4_to_checkpoint(tmp_path):
    sav = tmp_path / 'data' / 'sav' / 'sav_train'
    write_mp4(str(sav / 'sav_000' / 'sav_000001.mp4'), NUM_FRAMES, W, H)
    write_sav_json(
        str(sav / 'sav_000' / 'sav_000001_manual.json'), NUM_FRAMES, W, H)
    # 1. frames (the annotated ones)
    extract = _load('sav_extract_frames', 'tools', 'dataset_converters',
                    'sav_extract_frames.py')
    frames = sav / 'JPEGImages_24fps'
    assert extract.main([str(sav), str(frames), '--workers', '1']) == 0
    # 2. pseudo-negative proposals
    dump = _load('dump_detections', 'tools', 'misc', 'dump_detections.py')
    det_cfg, det_ckpt = tiny_detector(str(tmp_path))
    assert dump.main([
        det_cfg, det_ckpt, '--img-root',
        str(frames), '--out-dir',
        str(sav / 'proposals' / 'retinanet'), '--device', 'cpu'
    ]) == 0
    # 3. train: the CPU-sized config on these paths, 2 iterations
    cfg = tmp_path / 'walk.py'
    cfg.write_text(f'''_base_ = {SYNTHETIC!r}
train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root={str(sav) + '/'!r}, check_files=True,
                 data_prefix=dict(img_path='JPEGImages_24fps',
                                  ann_path='sav_000'),
                 proposals_root='proposals/retinanet'))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2)
param_scheduler = []
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    logger=dict(interval=1))
test_dataloader = None
test_evaluator = None
test_cfg = None
''')
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, 'tools/train.py',
         str(cfg), '--work-dir',
         str(work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'SAVDataset: 1 videos kept' in log
    assert 'Saving checkpoint at 2 iterations' in log
    # 4. the checkpoint of iteration 2
    ckpt = torch.load(
        str(work / 'iter_2.pth'), map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 2
    assert any(k.startswith('track_head.') for k in ckpt['state_dict'])
