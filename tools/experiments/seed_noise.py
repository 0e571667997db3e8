"""The noise floor of the small-scale (SYNTHETIC) results: the reference
run repeated with other training seeds.

    python -m tools.experiments.seed_noise [--quick] [--work-dir DIR]

Every other experiment trains each variant once, with one seed. Training
is deterministic for a given seed, but a different seed (another
initialisation, other clips, other augmentations) moves AssocA by an
amount this experiment measures: the reference run (chain loss, full
model, all training videos) with ``NUM_SEEDS`` seeds. make_report.py flags
every difference smaller than the seed-to-seed range as within seed noise.
Writes ``seed_noise.md``, ``.json`` and ``.png``.
"""
import os.path as osp

import numpy as np

from . import experiment_kit as kit

#: Seeds of the reference run, the setting's own included: 3 is the fewest
#: that gives a spread beyond a single difference, and the full set stays
#: within its time budget (2 extra trainings of 192 iterations).
NUM_SEEDS = 3
METRICS = ('AssocA', 'TETA', 'IDF1')


def entries(setting):
    out = [(f'seed {setting.seed} (reference run)', kit.base_run(setting),
            dict(seed=setting.seed))]
    base = kit.base_run(setting)
    for k in range(1, NUM_SEEDS):
        seed = setting.seed + k
        out.append((f'seed {seed}',
                    kit.RunSpec(
                        f'{base.name}_seed{seed}',
                        base.config,
                        num_videos=base.num_videos,
                        seed=seed), dict(seed=seed)))
    return out


def spread(rows, name='AssocA'):
    """Mean, sample standard deviation and range (max - min) of a metric
    over the seed repeats."""
    v = np.array([r['metrics'][name] for r in rows], float)
    return dict(
        mean=float(v.mean()),
        std=float(v.std(ddof=1)) if len(v) > 1 else 0.0,
        range=float(v.max() - v.min()))


def main(argv=None, setting=None):
    args = kit.parse_args(__doc__.split('\n\n')[0], argv)
    ws, out_dir = kit.workspace_from_args(args, setting)
    rows = kit.run_table_experiment(
        ws,
        out_dir,
        'seed_noise',
        'Seed-to-seed noise of the reference run',
        entries(ws.setting),
        METRICS,
        notes=[
            'Same config, data and schedule; only the training seed '
            'differs (initialisation, clip sampling, augmentation, '
            'shuffling).'
        ])
    if rows is None:
        return None
    stats = {n: spread(rows, n) for n in METRICS}
    lines = [
        f'* {n}: mean {kit.fmt(s["mean"])}, std {kit.fmt(s["std"])}, '
        f'range {kit.fmt(s["range"])} points' for n, s in stats.items()
    ]
    md_path = osp.join(out_dir, 'seed_noise.md')
    with open(md_path, encoding='utf-8') as f:
        text = f.read()
    kit.write_text_atomic(md_path,
                          text.rstrip() + '\n' + '\n'.join(lines) + '\n')
    json_path = osp.join(out_dir, 'seed_noise.json')
    table = kit.load_json_file(json_path, 'seed_noise table')
    table['spread'] = stats
    kit.dump_json_atomic(table, json_path, indent=1)
    return rows


if __name__ == '__main__':
    main()
