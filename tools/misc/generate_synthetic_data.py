#!/usr/bin/env python
"""Generate the synthetic ScaleTrack benchmark (see docs/synthetic_data.md).

    python tools/misc/generate_synthetic_data.py OUT_DIR \
        [--num-train-videos 32] [--num-val-videos 8] [--frames 24] \
        [--train-frames N] \
        [--height 256 --width 256] [--seed 0]

Writes OUT_DIR/sav_train (SA-V style), OUT_DIR/tao_val (TAO style) and
OUT_DIR/mot_val (MOTChallenge).  Re-running with the same arguments skips
finished output (OUT_DIR/manifest.json records the arguments); other
arguments on an existing OUT_DIR need --overwrite.
"""
import argparse
import json
import os
import sys
import time

MANIFEST = 'manifest.json'
#: Arguments that change the data (the others only change how it is made).
DATA_ARGS = ('num_train_videos', 'num_val_videos', 'frames', 'train_frames',
             'height', 'width', 'seed', 'tao_fps_mode')


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Generate synthetic SA-V / TAO / MOTChallenge data.')
    p.add_argument('out_dir', help='output folder')
    p.add_argument(
        '--num-train-videos',
        type=int,
        default=32,
        help='SA-V-style training videos (default 32)')
    p.add_argument(
        '--num-val-videos',
        type=int,
        default=8,
        help='TAO-style and MOT-style videos each (default 8)')
    p.add_argument(
        '--frames',
        type=int,
        default=24,
        help='frames per video; for SA-V the annotated frames '
        '(default 24)')
    p.add_argument(
        '--train-frames',
        type=int,
        default=None,
        help='annotated frames of the SA-V-style training videos only '
        '(default: --frames); the evaluation videos keep --frames')
    p.add_argument('--height', type=int, default=256)
    p.add_argument('--width', type=int, default=256)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument(
        '--tao-fps-mode',
        choices=('normal', 'low'),
        default='low',
        help="TAO frames at 6 fps ('normal') or 1 fps ('low', "
        'like TAO; default)')
    p.add_argument(
        '--workers',
        type=int,
        default=1,
        help='worker processes (default 1; the output does not '
        'depend on it)')
    p.add_argument(
        '--overwrite',
        action='store_true',
        help='replace output made with other arguments')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.train_frames is None:
        args.train_frames = args.frames
    data_args = {k: getattr(args, k) for k in DATA_ARGS}
    manifest_path = os.path.join(args.out_dir, MANIFEST)
    if os.path.isfile(manifest_path):
        try:
            with open(manifest_path, encoding='utf-8') as f:
                old = json.load(f)
        except ValueError as e:
            print(
                f'error: {manifest_path} is corrupt ({e}); delete it or '
                'use --overwrite',
                file=sys.stderr)
            if not args.overwrite:
                return 2
            old = {}
        if isinstance(old.get('args'), dict):
            # manifests written before --train-frames existed
            old['args'].setdefault('train_frames', old['args'].get('frames'))
        if old.get('args') == data_args and old.get('complete'):
            if not args.overwrite:
                print(f'{args.out_dir} is already complete for these '
                      'arguments; nothing to do.')
                return 0
        elif old.get('args') not in (None, data_args) and not args.overwrite:
            print(
                f'error: {args.out_dir} holds data generated with other '
                f'arguments {old.get("args")}; use another folder or '
                '--overwrite',
                file=sys.stderr)
            return 2

    from scaletrack.datasets.synthetic import generate_benchmark
    from scaletrack.utils.file_io import dump_json_atomic
    os.makedirs(args.out_dir, exist_ok=True)
    dump_json_atomic(
        dict(args=data_args, complete=False), manifest_path, indent=1)
    start = time.time()
    try:
        paths = generate_benchmark(
            args.out_dir,
            num_train_videos=args.num_train_videos,
            num_val_videos=args.num_val_videos,
            seed=args.seed,
            num_frames=args.frames,
            num_train_frames=args.train_frames,
            height=args.height,
            width=args.width,
            tao_fps_mode=args.tao_fps_mode,
            num_workers=args.workers,
            progress=True,
            overwrite=args.overwrite)
    except (ValueError, FileExistsError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    dump_json_atomic(
        dict(args=data_args, complete=True, paths=paths),
        manifest_path,
        indent=1)
    print(f'done in {time.time() - start:.1f} s:')
    for split, p in paths.items():
        print(f'  {split}: {p["root"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
