"""Every small-scale (SYNTHETIC) experiment in order, then the report.

    python -m tools.experiments.run_all [--quick] [--work-dir DIR] [--dry-run]

Runs scaling, chain_length, pseudo_negatives, components,
motion_baselines and seed_noise in one work dir (shared runs are trained
once), then make_report.py. Full mode fills docs/results.md; --quick fills
a copy, WORK/results.md, so the committed page is never touched by a smoke
run.
Everything is resumable: re-running after an interruption skips the runs
whose metrics exist.
"""
import os.path as osp
import sys
import time

from . import chain_length, components
from . import experiment_kit as kit
from . import (make_report, motion_baselines, pseudo_negatives, scaling,
               seed_noise)

ORDER = (scaling, chain_length, pseudo_negatives, components, motion_baselines,
         seed_noise)


def main(argv=None, setting=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = kit.parse_args(__doc__.split('\n\n')[0], argv)
    ws, out_dir = kit.workspace_from_args(args, setting)
    start = time.time()
    for module in ORDER:
        t = time.time()
        module.main(argv, setting)
        name = module.__name__.rsplit('.', 1)[-1]
        ws.log(f'{name}: {time.time() - t:.0f} s')
    if args.dry_run:
        return
    report = osp.join(kit.ROOT, 'docs', 'results.md')
    if ws.setting.name != 'full' or args.out_dir:
        copy = osp.join(ws.work_dir, 'results.md')
        with open(report, encoding='utf-8') as f:
            kit.write_text_atomic(copy, f.read())
        report = copy
    make_report.main(['--tables', out_dir, '--report', report])
    ws.log(f'all experiments: {time.time() - start:.0f} s; report {report}')


if __name__ == '__main__':
    main()
