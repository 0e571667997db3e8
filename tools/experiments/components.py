"""Table 7 at small scale (SYNTHETIC): the decoder's components added one
at a time (cumulative), with the chain loss.

    python -m tools.experiments.components [--quick] [--work-dir DIR]

Rows (each adds one component to the row above):
  0. no association training: the same network at random init (stand-in
     for the paper's "frozen DINOv2 only" row; our backbone is trained from
     scratch, so there are no pretrained features to test alone);
  1. adapter + chain contrast, plain RoIAlign average, decoder FFNs only;
  2. + spatial attention pooling (Eq. 4-6);
  3. + multi-scale cross attention (Eq. 9);
  4. + temporal fusion (Eq. 7) with its modulation (Eq. 8) = the full
     model (the shared reference run).
Rows 1-4 train on all training videos for the setting's epochs. Writes
``components.md``, ``.json`` and ``.png``.
"""

from . import experiment_kit as kit

#: (label, config or None for the reference, switches, run-name stem)
ROWS = [
    ('adapter + chain contrast',
     'scaletrack_tiny-r18_plain-decoder_1xb1-6e_synthetic.py',
     dict(spatial_pool=False, cross_attn=False, temporal=False), 'plain'),
    ('+ spatial attention pooling',
     'scaletrack_tiny-r18_spatial-pool_1xb1-6e_synthetic.py',
     dict(spatial_pool=True, cross_attn=False, temporal=False), 'spool'),
    ('+ cross attention',
     'scaletrack_tiny-r18_spatial-pool_cross-attn_1xb1-6e_synthetic.py',
     dict(spatial_pool=True, cross_attn=True, temporal=False), 'spool-xattn'),
    ('+ temporal fusion (full model)', None,
     dict(spatial_pool=True, cross_attn=True, temporal=True), None),
]


def untrained_run():
    """The reference config evaluated at its random initialisation."""
    return kit.RunSpec('untrained', kit.BASE_CONFIG, train=False)


def entries(setting):
    n = setting.num_train_videos
    out = [('no training (random init)', untrained_run(),
            dict(
                trained=False,
                spatial_pool=True,
                cross_attn=True,
                temporal=True))]
    for label, cfg, switches, stem in ROWS:
        spec = kit.base_run(setting) if cfg is None else kit.RunSpec(
            f'comp-{stem}_n{n}', kit.ablation_config(cfg), num_videos=n)
        out.append((label, spec, dict(trained=True, **switches)))
    return out


def main(argv=None, setting=None):
    args = kit.parse_args(__doc__.split('\n\n')[0], argv)
    ws, out_dir = kit.workspace_from_args(args, setting)
    mark = [('trained', 'trained'), ('spatial pool', 'spatial_pool'),
            ('cross attn', 'cross_attn'), ('temporal', 'temporal')]
    return kit.run_table_experiment(
        ws,
        out_dir,
        'components',
        'Model components (Table 7)',
        entries(ws.setting), ('AssocA', 'TETA', 'IDF1'),
        notes=[
            'Cumulative, as in Table 7. Modulation (Eq. 8) is switched '
            'with temporal fusion because it acts on the fused feature.',
            'The random-init row stands in for "frozen DINOv2 only": no '
            'pretrained weights can reach this machine.',
            f'Trained rows: chain loss, all {ws.setting.num_train_videos} '
            f'training videos, {ws.setting.epochs} epoch(s).',
        ],
        extra_cols=mark)


if __name__ == '__main__':
    main()
