"""Train ScaleTrack (or any config of this project) with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

Multi-GPU / multi-node: tools/dist_train.sh (torchrun); Slurm:
tools/slurm_train.sh.

``--resume`` without a path resumes from the newest checkpoint of the work
dir that can be read: a truncated or corrupt newer one (a run killed while
saving with an older version, a full disk) is skipped with a warning naming
it. ``--resume CKPT`` with an unreadable CKPT is an error naming the file.
"""
import argparse
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from scaletrack.engine import enable_amp, prepare_runner_cfg
from scaletrack.utils import (checkpoint_problem, find_resumable_checkpoint,
                              register_all_modules)


def parse_args():
    parser = argparse.ArgumentParser(description='Train ScaleTrack')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision (GPU)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or from the latest checkpoint of the work '
        'dir when no path is given')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=1')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg = prepare_runner_cfg(cfg, args, args.config)
    if args.amp:
        cfg = enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        try:
            # None (nothing saved yet): mmengine starts from scratch
            cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
        except RuntimeError as err:
            sys.exit(f'error: {err}')
    elif args.resume is not None:
        problem = checkpoint_problem(args.resume)
        if problem is not None:
            sys.exit(f'error: --resume {args.resume}: cannot resume from '
                     f'this file: {problem}')
        cfg.resume = True
        cfg.load_from = args.resume
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
