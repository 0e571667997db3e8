"""Issue 4: distributed training with ``tools/dist_train.sh`` on CPU (gloo).

Two processes train the CPU-sized synthetic config on generated SA-V-style
videos. Every rank saves its parameters before and after training and the
clips it trained on (``_dump_params_hook.DumpParamsHook``); the test checks
that DDP kept the ranks' parameters identical, that training changed them,
and that the distributed sampler gave the ranks disjoint clips. A fifth
video with a single annotated object is skipped by ``SAVDataset`` (no
contrastive negative) and counted in the training log.
"""
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys

import pytest
import torch
from _dump_params_hook import write_hook_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HOOK_DIR = osp.dirname(osp.abspath(__file__))

# Small enough for 2 CPU cores: 4 videos of 6 annotated 128 x 128 frames,
# split over 2 ranks -> 2 iterations of one 4-frame clip per rank.
NUM_VIDEOS = 4
NUM_RANKS = 2
FRAME_SIZE = 128
CLIP_FRAMES = 4
# generous bound for two processes starting up and training on 2 cores
TIMEOUT_S = 400


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def tiny_cfg_options(max_epochs: int,
                     size: int = FRAME_SIZE,
                     clip_frames: int = CLIP_FRAMES):
    """--cfg-options that shrink the synthetic config's training run.

    Pipeline indices follow the config: 0 ClipFrameSample, 1 the broadcaster
    whose transforms are 3 RandomResize, 4 RandomCrop, 6 Pad.
    """
    t = 'train_dataloader.dataset.pipeline.1.transforms'
    return [
        f'train_cfg.max_epochs={max_epochs}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'train_dataloader.dataset.pipeline.0.num_frames={clip_frames}',
        f'{t}.3.scale=({size},{size})',
        f'{t}.4.crop_size=({size},{size})',
        f'{t}.6.size=({size},{size})',
        'randomness.seed=0',
        'default_hooks.logger.interval=1',
    ]


def write_single_object_video(ann_dir, src_id: str, new_id: str) -> None:
    """A real-format SA-V annotation file with one masklet: ``src_id``'s
    file keeping only its first masklet (and that masklet's statistics)."""
    ann = json.loads((ann_dir / f'{src_id}_manual.json').read_text())
    n = ann['masklet_num']
    for key, value in ann.items():
        if key.startswith('masklet_') and isinstance(value, list) \
                and len(value) == n:
            ann[key] = value[:1]
    ann.update(
        video_id=new_id,
        masklet_num=1,
        masklet=[row[:1] for row in ann['masklet']])
    (ann_dir / f'{new_id}_manual.json').write_text(json.dumps(ann))


def run_to_end(cmd, **kwargs):
    """Run ``cmd`` in its own process group; on timeout kill the group
    (torchrun and both ranks) and fail with the output so far."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **kwargs)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f'dist_train.sh ran over {TIMEOUT_S} s:\n{out[-4000:]}')
    return proc.returncode, out


def video_of(frame) -> str:
    """SA-V frame path ``.../<video_id>/<frame>.jpg`` -> video id."""
    return osp.basename(osp.dirname(frame['img_path']))


@pytest.mark.slow
def test_dist_train_two_cpu_ranks_stay_in_sync(tmp_path):
    from scaletrack.datasets.synthetic import generate_benchmark
    data = tmp_path / 'data'
    videos = generate_benchmark(
        str(data),
        num_train_videos=NUM_VIDEOS,
        num_frames=6,
        height=FRAME_SIZE,
        width=FRAME_SIZE,
        splits=('sav_train', ))['sav_train']['video_ids']
    ann_dir = data / 'sav_train' / 'annotations'
    write_single_object_video(ann_dir, videos[0], 'sav_009999')
    dumps, work_dir = tmp_path / 'dumps', tmp_path / 'work'
    cfg = write_hook_config(tmp_path / 'dist_cfg.py', dumps)
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(free_port()),
        SCALETRACK_SYNTH_ROOT=str(data),
        PYTHONPATH=os.pathsep.join(
            [HOOK_DIR, os.environ.get('PYTHONPATH', '')]),
        OMP_NUM_THREADS='1',  # one core per rank
        # the CPU / gloo path, also on a GPU host
        CUDA_VISIBLE_DEVICES='')
    cmd = [
        'bash',
        osp.join(ROOT, 'tools/dist_train.sh'), cfg,
        str(NUM_RANKS), '--work-dir',
        str(work_dir), '--cfg-options', *tiny_cfg_options(max_epochs=1),
        'default_hooks.checkpoint=None'
    ]
    rc, log = run_to_end(cmd, cwd=str(tmp_path), env=env)
    assert rc == 0, log[-6000:]

    before = [
        torch.load(dumps / f'rank{r}_before_train.pth', weights_only=False)
        for r in range(NUM_RANKS)
    ]
    after = [
        torch.load(dumps / f'rank{r}_after_train.pth', weights_only=False)
        for r in range(NUM_RANKS)
    ]

    # each rank ran NUM_VIDEOS / NUM_RANKS iterations of one clip
    per_rank = NUM_VIDEOS // NUM_RANKS
    for state in after:
        assert state['iter'] == per_rank and len(state['clips']) == per_rank

    # DistributedSampler: the ranks trained on disjoint videos covering all
    seen = [{
        video_of(f)
        for it in s['clips']
        for clip in it['clips']
        for f in clip
    } for s in after]
    assert all(len(s) == per_rank for s in seen), seen
    assert not seen[0] & seen[1], seen
    assert seen[0] | seen[1] == set(videos)

    # identical start (DDP broadcasts rank 0's weights) and identical end
    # (gradients are all-reduced), although the ranks saw different clips
    names = sorted(after[0]['params'])
    assert names == sorted(after[1]['params'])
    for name in names:
        assert torch.equal(before[0]['params'][name],
                           before[1]['params'][name]), name
        assert torch.equal(after[0]['params'][name],
                           after[1]['params'][name]), name
    # the optimizers took the same steps on the same averaged gradients
    st0 = after[0]['optimizer']['state']
    st1 = after[1]['optimizer']['state']
    assert st0.keys() == st1.keys() and len(st0) > 0
    for k in st0:
        assert float(st0[k]['step']) == per_rank
        assert torch.equal(st0[k]['exp_avg'], st1[k]['exp_avg'])

    # training happened: every parameter moved
    changed = {
        n
        for n in names
        if not torch.equal(before[0]['params'][n], after[0]['params'][n])
    }
    # DDP (find_unused_parameters=False) requires a gradient for every
    # parameter, so AdamW moved every one of them
    assert changed == set(names), sorted(set(names) - changed)

    # the run really was a 2-process gloo job
    assert 'Distributed training: True' in log
    # the single-object video was dropped and counted (rank 0 logs INFO)
    assert (f'SAVDataset: {NUM_VIDEOS} videos kept, 1 skipped '
            '(fewer than 2 objects') in log
    dumped_cfg = (work_dir / 'dist_cfg.py').read_text()
    assert "backend='gloo'" in dumped_cfg
