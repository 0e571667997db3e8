"""Fig. 1b and Fig. 3b at small scale (SYNTHETIC): AssocA against the number
of training videos for the chain, pairwise, global and broken-chain losses.

    python -m tools.experiments.scaling [--quick] [--work-dir DIR]

Protocol (the paper's scaling protocol, Sec. 4.3): one training set of
SA-V-style synthetic videos is generated once and every size takes its
first N videos (nested subsets); every run trains the same fixed number of
epochs, so the number of iterations grows with the data; the configs differ
only in ``model.track_head.loss_track``. Full mode: N = 4 / 8 / 16 / 32 /
64 (a 16x range), 3 epochs each, 20 runs. Writes ``scaling.md``,
``scaling.json`` and ``scaling.png`` (two panels: Fig. 1b losses, Fig. 3b
chain vs broken chain).
"""
import os.path as osp

from . import experiment_kit as kit

#: (label, config, plot colour). Chain is red as in the paper's figures.
LOSSES = [
    ('Chain (ours)', kit.BASE_CONFIG, 'tab:red'),
    ('Pairwise', 'scaletrack_tiny-r18_pairwise-loss_1xb1-6e_synthetic.py',
     'tab:green'),
    ('Global (SupCon)', 'scaletrack_tiny-r18_global-loss_1xb1-6e_synthetic.py',
     'tab:purple'),
    ('Broken chain',
     'scaletrack_tiny-r18_broken-chain-loss_1xb1-6e_synthetic.py', 'tab:blue'),
]
RUN_PREFIX = {
    'Chain (ours)': 'chain',
    'Pairwise': 'pairwise',
    'Global (SupCon)': 'global',
    'Broken chain': 'broken'
}


def specs(setting):
    """``{(loss label, N): RunSpec}`` in execution order (small sizes first,
    so a partial run already gives whole curves' beginnings)."""
    out = {}
    for n in sorted(setting.scaling_sizes):
        for label, cfg, _ in LOSSES:
            config = cfg if cfg == kit.BASE_CONFIG else kit.ablation_config(
                cfg)
            out[(label, n)] = kit.RunSpec(
                f'{RUN_PREFIX[label]}_n{n}', config, num_videos=n)
    return out


def grid_table(rows, labels, sizes, key):
    """Markdown table: one line per loss, one column per size."""
    value = {(r['label'], r['num_videos']): r['metrics'][key] for r in rows}
    return kit.markdown_table(
        ['loss \\ training videos'] + [str(n) for n in sizes],
        [[label] + [kit.fmt(value.get((label, n))) for n in sizes]
         for label in labels])


def plot(rows, sizes, path):
    plt = kit.plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    panels = [('Fig. 1b: contrastive strategies', ('Chain (ours)', 'Pairwise',
                                                   'Global (SupCon)')),
              ('Fig. 3b: chain vs broken chain', ('Chain (ours)',
                                                  'Broken chain'))]
    colour = {label: c for label, _, c in LOSSES}
    for ax, (title, labels) in zip(axes, panels):
        for label in labels:
            pts = sorted((r['num_videos'], r['metrics']['AssocA'])
                         for r in rows if r['label'] == label)
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    'o-',
                    color=colour[label],
                    label=label)
        ax.set_xscale('log', base=2)
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes])
        ax.set_xlabel('training videos (SYNTHETIC SA-V-style)')
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel('AssocA (%) on synthetic TAO-style videos')
    fig.suptitle('SYNTHETIC data, CPU-sized model: scaling with training '
                 'videos')
    kit.save_figure_atomic(fig, path)
    plt.close(fig)


def main(argv=None, setting=None):
    args = kit.parse_args(__doc__.split('\n\n')[0], argv)
    ws, out_dir = kit.workspace_from_args(args, setting)
    ws.prepare_data()
    sizes = sorted(ws.setting.scaling_sizes)
    rows = []
    for (label, n), spec in specs(ws.setting).items():
        result = ws.run(spec)
        if ws.dry_run:
            continue
        rows.append(
            kit.row_of(
                label,
                spec,
                result,
                num_videos=n,
                iterations=n * ws.setting.epochs))
    if ws.dry_run:
        return None
    labels = [label for label, _, _ in LOSSES]
    md = ('AssocA (%):\n\n' + grid_table(rows, labels, sizes, 'AssocA') +
          '\n\nTETA (%):\n\n' + grid_table(rows, labels, sizes, 'TETA'))
    notes = [
        f'{ws.setting.epochs} epoch(s) for every size (fixed epochs: '
        'iterations = videos x epochs grow with the data, as in the '
        "paper's one-epoch scaling runs); batch 1 clip of 10 frames.",
        'Subsets are nested: the first N videos of one generated training '
        'set.',
        'Only `model.track_head.loss_track` differs between the curves '
        '(configs/scaletrack/synthetic/ablations/*-loss_*).',
    ]
    kit.write_experiment(
        out_dir,
        'scaling', 'Scaling with training videos '
        '(Fig. 1b, Fig. 3b)',
        ws.setting,
        rows,
        md,
        notes,
        extra=dict(sizes=sizes))
    plot(rows, sizes, osp.join(out_dir, 'scaling.png'))
    ws.log(f'wrote {out_dir}/scaling.md and scaling.png')
    return rows


if __name__ == '__main__':
    main()
