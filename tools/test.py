"""Evaluate a config (and checkpoint) with mmengine's Runner.

    python tools/test.py CONFIG [CHECKPOINT] [--work-dir DIR] [--out PREFIX]
        [--show-dir DIR] [--metrics-out JSON] [--cfg-options k=v ...]
        [--launcher ...]

``--out PREFIX`` writes the predictions in each benchmark's own format
(TAO results JSON for TETA, BDD100K's per-video Scalabel JSONs where the
config's TETAMetric has ``out_formats=('tao', 'scalabel')`` as
bdd100k_mot_val.py does, MOTChallenge txt files for HOTA/CLEAR/IDF1),
atomically, through the evaluators' ``outfile_prefix``. ``--show-dir`` draws
the tracks of every frame into that folder. Multi-GPU: tools/dist_test.sh.

A checkpoint that does not fit the config's model (missing, unexpected or
differently shaped tensors) stops the run before any frame is tracked, with
the checkpoint, the config and the first mismatches named (exit code 1).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from scaletrack.engine import prepare_runner_cfg
from scaletrack.utils import load_checkpoint_checked, register_all_modules
from scaletrack.utils.file_io import dump_json_atomic


def parse_args():
    parser = argparse.ArgumentParser(description='Test (evaluate) ScaleTrack')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint', nargs='?', default=None, help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument(
        '--out',
        help='prefix (folder) for the results in the benchmark format')
    parser.add_argument(
        '--show-dir', help='folder where the tracked frames are drawn')
    parser.add_argument(
        '--metrics-out', help='write the metrics as a JSON file (atomically)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def _evaluators(cfg):
    ev = cfg.test_evaluator
    return ev if isinstance(ev, (list, tuple)) else [ev]


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg = prepare_runner_cfg(cfg, args, args.config)
    # loaded below through the checked loader, not mmengine's lenient one
    cfg.load_from = None
    if args.out:
        for ev in _evaluators(cfg):
            ev['outfile_prefix'] = osp.join(args.out, ev['type'])
    if args.show_dir:
        cfg.default_hooks.setdefault('visualization', {})
        cfg.default_hooks.visualization.update(
            type='TrackVisualizationHook',
            draw=True,
            test_out_dir=osp.abspath(args.show_dir))
        cfg.visualizer = dict(
            type='ScaleTrackVisualizer',
            name='visualizer',
            vis_backends=[dict(type='LocalVisBackend')])
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    if args.checkpoint is not None:
        try:
            load_checkpoint_checked(model, args.checkpoint, args.config)
        except (FileNotFoundError, ValueError) as err:
            sys.exit(f'error: {err}')
    _set_label_space(model, runner)
    metrics = runner.test()
    if args.metrics_out and runner.rank == 0:
        dump_json_atomic({
            k: _jsonable(v)
            for k, v in metrics.items()
        },
                         args.metrics_out,
                         indent=1)


def _set_label_space(model, runner) -> None:
    """A detector-free ScaleTrack checks public-detection labels against
    the test dataset's class list (``ScaleTrack.num_classes``)."""
    if not hasattr(model, 'num_classes') or model.num_classes is not None \
            or getattr(model, 'detector', None) is not None:
        return
    classes = runner.test_loop.dataloader.dataset.metainfo.get('classes')
    if classes:
        model.num_classes = len(classes)


def _jsonable(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


if __name__ == '__main__':
    main()
