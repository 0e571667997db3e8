"""The main job: synthetic data -> train ScaleTrack -> evaluate -> demo.

Run through ``bash tools/quickstart.sh [WORK_DIR]``, which sets up the
environment first, or from the repository root as
``python -m tools.misc.quickstart [--work-dir DIR]``. The steps run
through ``tools.experiments.experiment_kit`` (the experiments' runner):
finished steps are skipped, an interrupted training resumes. All figures
it writes come from SYNTHETIC videos and a small model trained from
scratch on CPU; they are labelled so.
"""
import argparse
import os
import os.path as osp
import sys
import time

from scaletrack.utils.file_io import write_text_atomic
from tools.experiments import experiment_kit as kit

SCALETRACK_CFG = kit.BASE_CONFIG
BASELINE_CFGS = {
    'ByteTrack (mmdet, motion only)': kit.BYTETRACK_CONFIG,
    'OC-SORT (mmdet, motion only)': kit.OCSORT_CONFIG,
}
#: Frames per generated evaluation video: the generator's default. The
#: training videos have `kit.SAV_TRAIN_FRAMES` (84 = 14 s at SA-V's 6 fps;
#: why in experiment_kit.py and docs/results.md section 7).
GENERATOR_FRAMES = 24
#: The table's columns (`kit.METRIC_KEYS`, in percent).
COLUMNS = ('TETA', 'LocA', 'AssocA', 'ClsA', 'HOTA', 'IDF1', 'MOTA')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        '--work-dir', default=osp.join(kit.ROOT, 'work_dirs', 'quickstart'))
    p.add_argument('--num-train-videos', type=int, default=32)
    p.add_argument('--num-val-videos', type=int, default=8)
    p.add_argument(
        '--epochs',
        type=int,
        default=None,
        help='override the config\'s epochs')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def step(msg):
    print(f'\n[quickstart] ===== {msg} =====', flush=True)


def main(argv=None):
    args = parse_args(argv)
    setting = kit.Setting(
        'quickstart',
        num_train_videos=args.num_train_videos,
        num_val_videos=args.num_val_videos,
        frames=GENERATOR_FRAMES,
        train_frames=kit.SAV_TRAIN_FRAMES,
        epochs=args.epochs,
        scaling_sizes=(args.num_train_videos, ),
        seed=args.seed)
    ws = kit.Workspace(args.work_dir, setting, tag='quickstart')
    try:
        table = run_steps(ws, args)
    except kit.CommandFailed as e:
        print(
            f'[quickstart] error: {e}\nFix the cause and run the '
            'quickstart again: finished steps are skipped and an '
            'interrupted training resumes.',
            file=sys.stderr,
            flush=True)
        sys.exit(e.returncode)
    print('\n' + table)
    print(f'[quickstart] everything is in {ws.work_dir}')


def run_steps(ws, args):
    """The five steps; returns the results table (also in results.md)."""
    work, data = ws.work_dir, ws.data_root
    t0 = time.time()
    timings = {}

    step('1/5 generate the synthetic benchmark (SYNTHETIC, seeded)')
    t = time.time()
    ws.prepare_data()
    timings['data'] = time.time() - t

    step('2/5 train ScaleTrack (CPU-sized, from scratch)')
    t = time.time()
    options = [f'randomness.seed={args.seed}']
    if args.epochs:
        options += [
            f'train_cfg.max_epochs={args.epochs}',
            f'param_scheduler.0.end={args.epochs}'
        ]
    ckpt = ws.train(SCALETRACK_CFG, osp.join(work, 'train'), options)
    timings['train'] = time.time() - t

    step('3/5 evaluate ScaleTrack on the held-out TAO-style videos')
    t = time.time()
    results = {}
    results['ScaleTrack (ours, trained on synthetic SA-V-style)'] = \
        ws.evaluate(SCALETRACK_CFG, ckpt, osp.join(work, 'eval_scaletrack'))
    # the same model with class-aware matching (the tracker's class_aware
    # switch; the paper's default is class-agnostic)
    results['ScaleTrack, class-aware matching'] = ws.evaluate(
        SCALETRACK_CFG, ckpt, osp.join(work, 'eval_scaletrack_class-aware'),
        ['model.tracker.class_aware=True'])
    timings['eval'] = time.time() - t

    step('4/5 motion-only baselines on the same detections')
    t = time.time()
    for name, cfg in BASELINE_CFGS.items():
        tag = osp.splitext(osp.basename(cfg))[0]
        results[name] = ws.evaluate(cfg, None, osp.join(work, 'eval_' + tag))
    timings['baselines'] = time.time() - t

    step('5/5 tracked demo video')
    t = time.time()
    video = sorted(os.listdir(osp.join(data, 'tao_val', 'frames')))[0]
    demo_out = osp.join(work, 'demo')
    if not osp.exists(osp.join(demo_out, 'tracked.mp4')):
        ws.execute([
            ws.python, 'demo/video_demo.py',
            osp.join(data, 'tao_val', 'frames', video), '--config',
            SCALETRACK_CFG, '--checkpoint', ckpt, '--public-dets',
            osp.join(data, 'tao_val', 'detections', video), '--out',
            osp.join(demo_out, 'tracked.mp4'), '--out-json',
            osp.join(demo_out, 'tracked.json'), '--out-mot',
            osp.join(demo_out, 'tracked.txt')
        ])
    timings['demo'] = time.time() - t

    lines = [
        '# Quickstart results (SYNTHETIC data)', '',
        'Held-out TAO-style synthetic videos (1 FPS mode: large '
        'displacements, crossings, occlusions, near-identical distractors), '
        'the same public detections for every tracker. ScaleTrack is the '
        'CPU-sized model trained from scratch on '
        f'{args.num_train_videos} sparsely annotated SA-V-style synthetic '
        'videos; these are not the paper\'s numbers.', '',
        kit.markdown_table(
            ('tracker', ) + COLUMNS,
            [[name] + [kit.fmt(kit.metric(m, c, name)) for c in COLUMNS]
             for name, m in results.items()])
    ]
    lines += [
        '', f'Checkpoint: `{ckpt}`  ', f'Demo video: `{demo_out}/tracked.mp4`'
        '  ', 'Wall time (s): ' + ', '.join(f'{k} {v:.0f}'
                                            for k, v in timings.items()) +
        f', total {time.time() - t0:.0f}', ''
    ]
    table = '\n'.join(lines)
    write_text_atomic(osp.join(work, 'results.md'), table)
    return table


if __name__ == '__main__':
    main()
