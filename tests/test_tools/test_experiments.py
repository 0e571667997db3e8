"""The small-scale experiment drivers (tools/experiments/).

Fast tests check the shared machinery against hand computations (per-video
TETA, sign test, slopes), the run bookkeeping (reuse, resume, refusal of a
different run in the same folder) with a fake command runner, the report's
verdicts, and that each ablation config changes only what it claims to.
One slow test runs a real experiment end to end on a tiny setting.
"""
import importlib
import json
import os
import os.path as osp
from math import comb

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(name):
    """tools.experiments.NAME (tools is a package of the repository root,
    which ``python -m pytest`` from there puts on sys.path)."""
    return importlib.import_module(f'tools.experiments.{name}')


kit = _load('experiment_kit')
make_report = _load('make_report')

TINY = kit.Setting(
    'tiny',
    num_train_videos=3,
    num_val_videos=2,
    frames=4,
    epochs=2,
    scaling_sizes=(1, 3))


# ------------------------------------------------------------- fixtures
def _tao_gt(num_frames=4):
    """Two videos, one object each, perfect boxes (TAO format)."""
    videos, images, anns, tracks = [], [], [], []
    for v in (1, 2):
        videos.append(
            dict(
                id=v,
                name=f'video_{v}',
                width=100,
                height=100,
                neg_category_ids=[],
                not_exhaustive_category_ids=[]))
        tracks.append(dict(id=v, category_id=1, video_id=v))
        for t in range(num_frames):
            img_id = 100 * v + t
            images.append(
                dict(
                    id=img_id,
                    video_id=v,
                    width=100,
                    height=100,
                    file_name=f'v{v}/{t}.jpg',
                    frame_index=t))
            anns.append(
                dict(
                    id=img_id,
                    image_id=img_id,
                    video_id=v,
                    track_id=v,
                    category_id=1,
                    bbox=[10 + 5 * t, 20, 30, 30],
                    area=900,
                    iscrowd=0))
    return dict(
        videos=videos,
        images=images,
        annotations=anns,
        tracks=tracks,
        categories=[dict(id=1, name='object', frequency='f')])


def _results(gt, switch_video):
    """Exact boxes; in ``switch_video`` the track id changes halfway."""
    out = []
    for a in gt['annotations']:
        t = a['image_id'] % 100
        tid = 1 if a['video_id'] != switch_video or t < 2 else 2
        out.append(
            dict(
                image_id=a['image_id'],
                video_id=a['video_id'],
                category_id=1,
                bbox=list(a['bbox']),
                score=0.9,
                track_id=tid))
    return out


def _write_json(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def _fake_data(work_dir, num_videos=3):
    data = osp.join(work_dir, 'data')
    os.makedirs(osp.join(data, 'sav_train'), exist_ok=True)
    with open(osp.join(data, 'sav_train', 'sav_train.txt'), 'w') as f:
        f.write('# synthetic ids\n' +
                ''.join(f'sav_{i:06d}\n' for i in range(1, num_videos + 1)))
    _write_json(
        osp.join(data, 'tao_val', 'annotations', 'validation.json'), _tao_gt())
    _write_json(
        osp.join(data, 'manifest.json'),
        dict(args=TINY.data_args(), complete=True))


class FakeRunner:
    """Stands in for the train/test subprocesses: records the commands and
    writes the files the real tools write."""

    def __init__(self, fail_train=False):
        self.cmds = []
        self.fail_train = fail_train

    @staticmethod
    def _opt(cmd, flag):
        return cmd[cmd.index(flag) + 1]

    def __call__(self, cmd, env, log_file=None):
        self.cmds.append(cmd)
        tool = cmd[1]
        if tool == 'tools/train.py':
            if self.fail_train:
                raise RuntimeError('killed')
            opts = dict(
                o.split('=', 1) for o in cmd[cmd.index('--cfg-options') + 1:])
            wd = self._opt(cmd, '--work-dir')
            os.makedirs(wd, exist_ok=True)
            open(
                osp.join(wd, f'epoch_{opts["train_cfg.max_epochs"]}.pth'),
                'w').close()
        elif tool == 'tools/test.py':
            gt = _tao_gt()
            _write_json(
                self._opt(cmd, '--metrics-out'), {
                    'teta/AssocA': 75.0,
                    'mot/HOTA': 0.5
                })
            _write_json(
                osp.join(
                    self._opt(cmd, '--out'), 'TETAMetric', 'tao_track.json'),
                _results(gt, 2))


# ------------------------------------------------------------ the kit
def test_subsets_are_nested_prefixes_of_the_training_list(tmp_path):
    _fake_data(str(tmp_path), num_videos=3)
    ws = kit.Workspace(str(tmp_path), TINY)
    one = open(ws.subset_file(1)).read().split()
    three = open(ws.subset_file(3)).read().split()
    assert one == ['sav_000001']  # the comment line is not a video
    assert three == ['sav_000001', 'sav_000002', 'sav_000003']
    with pytest.raises(ValueError, match='sav_train.txt'):
        ws.subset_file(4)


def test_metric_converts_trackeval_fractions_to_percent():
    m = {'teta/AssocA': 41.5, 'mot/HOTA': 0.463, 'motmetric/IDF1': 0.5}
    assert kit.metric(m, 'AssocA') == 41.5
    assert kit.metric(m, 'HOTA') == pytest.approx(46.3)
    assert kit.metric(m, 'IDF1') == pytest.approx(50.0)
    with pytest.raises(KeyError, match='mot/MOTA'):
        kit.metric(m, 'MOTA', 'x.json')


def test_per_video_assoca_matches_hand_computation(tmp_path):
    # video_1 tracked perfectly: AssocA 100. video_2: one object over 4
    # frames, id switch after 2: each of the 4 matches has TPA 2, FNA 2,
    # FPA 0 -> A = 2 / 4, so AssocA = 50 at every IoU threshold.
    gt = _tao_gt()
    _write_json(str(tmp_path / 'gt.json'), gt)
    _write_json(str(tmp_path / 'res.json'), _results(gt, switch_video=2))
    per_video = kit.per_video_teta(
        str(tmp_path / 'gt.json'), str(tmp_path / 'res.json'))
    assert per_video == pytest.approx({'video_1': 100.0, 'video_2': 50.0})


def test_sign_test_against_the_binomial_tail():
    a = {f'v{i}': 10.0 for i in range(9)}
    b = dict(a)
    for i in range(7):
        b[f'v{i}'] = 5.0  # a wins 7
    b['v7'] = 12.0  # a loses 1, v8 ties
    st = kit.sign_test(a, b)
    assert (st['wins'], st['losses'], st['ties']) == (7, 1, 1)
    # P(X >= 7), X ~ Binomial(8, 1/2), ties dropped
    assert st['p_value'] == pytest.approx((comb(8, 7) + comb(8, 8)) / 2**8)
    with pytest.raises(ValueError, match='no video in common'):
        kit.sign_test({'x': 1.0}, {'y': 1.0})


def test_log2_slope_is_points_per_doubling():
    # AssocA = 36 + 2 log2(N): slope exactly 2
    pts = [(4, 40.0), (8, 42.0), (16, 44.0), (64, 48.0)]
    assert make_report.log2_slope(pts) == pytest.approx(2.0)


def test_run_trains_once_evaluates_once_then_reuses(tmp_path):
    _fake_data(str(tmp_path))
    runner = FakeRunner()
    ws = kit.Workspace(str(tmp_path), TINY, runner=runner)
    spec = kit.RunSpec('chain_n1', kit.BASE_CONFIG, num_videos=1)
    res = ws.run(spec)
    train_cmd, test_cmd = runner.cmds
    opts = train_cmd[train_cmd.index('--cfg-options') + 1:]
    assert 'train_cfg.max_epochs=2' in opts
    assert 'param_scheduler.0.milestones=[1]' in opts  # decay last epoch
    assert 'randomness.seed=0' in opts
    assert 'randomness.deterministic=True' in opts  # seed fixes the result
    subset = [o for o in opts if o.startswith('train_dataloader')][0]
    assert open(subset.split('=', 1)[1]).read().split() == ['sav_000001']
    assert '--resume' in train_cmd
    assert test_cmd[3].endswith('epoch_2.pth')  # the trained checkpoint
    assert res['per_video'] == pytest.approx({
        'video_1': 100.0,
        'video_2': 50.0
    })
    # a second call (another experiment sharing the run) runs nothing
    runner.cmds.clear()
    again = ws.run(spec)
    assert runner.cmds == []
    assert again['metrics'] == res['metrics']
    # the same name with another meaning in the same folder is refused
    other = kit.Workspace(
        str(tmp_path),
        kit.Setting(**dict(kit.asdict(TINY), epochs=3)),
        runner=runner)
    with pytest.raises(RuntimeError, match='another run'):
        other.run(spec)


def test_seed_repeat_trains_and_evaluates_with_its_own_seed(tmp_path):
    _fake_data(str(tmp_path))
    runner = FakeRunner()
    spec = kit.RunSpec('chain_n3_seed2', kit.BASE_CONFIG, num_videos=3, seed=2)
    kit.Workspace(str(tmp_path), TINY, runner=runner).run(spec)
    for cmd in runner.cmds:
        assert 'randomness.seed=2' in cmd and 'randomness.seed=0' not in cmd
    rec = json.load(open(tmp_path / 'runs' / 'chain_n3_seed2' / 'run.json'))
    assert rec['seed'] == 2


def test_interrupted_training_is_resumed_not_skipped(tmp_path):
    _fake_data(str(tmp_path))
    spec = kit.RunSpec('pairwise_n3', kit.BASE_CONFIG, num_videos=3)
    with pytest.raises(RuntimeError, match='killed'):
        kit.Workspace(
            str(tmp_path), TINY, runner=FakeRunner(fail_train=True)).run(spec)
    runner = FakeRunner()
    kit.Workspace(str(tmp_path), TINY, runner=runner).run(spec)
    assert [c[1] for c in runner.cmds] == ['tools/train.py', 'tools/test.py']
    assert '--resume' in runner.cmds[0]


def test_last_checkpoint_reads_the_record_else_the_highest_epoch(tmp_path):
    """The quickstart and the runs share this lookup: mmengine's
    ``last_checkpoint`` record wins; without it epoch 10 beats epoch 9
    (numeric, not lexicographic, order); a stale record is ignored."""
    assert kit.last_checkpoint(str(tmp_path)) is None
    for e in (2, 9, 10):
        (tmp_path / f'epoch_{e}.pth').write_bytes(b'')
    assert kit.last_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_9.pth'))
    assert kit.last_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_9.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'gone.pth'))
    assert kit.last_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')


def test_untrained_run_evaluates_without_checkpoint(tmp_path):
    _fake_data(str(tmp_path))
    runner = FakeRunner()
    kit.Workspace(
        str(tmp_path), TINY, runner=runner).run(
            kit.RunSpec('untrained', kit.BASE_CONFIG, train=False))
    (cmd, ) = runner.cmds
    assert cmd[1] == 'tools/test.py' and cmd[3] == '--work-dir'


def test_setting_requires_the_largest_size_to_be_the_training_set():
    with pytest.raises(ValueError, match='largest scaling size'):
        kit.Setting(
            'bad',
            num_train_videos=8,
            num_val_videos=1,
            frames=4,
            epochs=1,
            scaling_sizes=(2, 4))


def test_bar_plot_writes_a_png_atomically(tmp_path):
    rows = [
        dict(label='a', metrics=dict(AssocA=40.0, TETA=30.0)),
        dict(label='b', metrics=dict(AssocA=45.0, TETA=31.0))
    ]
    path = str(tmp_path / 'plot.png')
    kit.bar_plot(rows, ('AssocA', 'TETA'), path, 'test')
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert os.listdir(tmp_path) == ['plot.png']  # no temporary left


# ------------------------------------------------------------- configs
def _flatten(d, prefix=''):
    out = {}
    for k, v in d.items():
        key = f'{prefix}{k}'
        if isinstance(v, dict):
            out.update(_flatten(v, key + '.'))
        else:
            out[key] = v
    return out


@pytest.mark.parametrize(
    'name,allowed',
    [
        ('pairwise-loss', ('model.track_head.loss_track.', )),
        ('global-loss', ('model.track_head.loss_track.', )),
        ('broken-chain-loss', ('model.track_head.loss_track.', )),
        ('chain-length-2', ('train_dataloader.dataset.pipeline', 'num_frames',
                            'train_pipeline')),
        ('no-pseudo-negatives',
         ('train_dataloader.dataset.pipeline', 'train_pipeline',
          'model.track_head.max_proposals_per_frame')),
        ('plain-decoder', ('model.track_head.with_', )),
        ('spatial-pool_cross-attn', ('model.track_head.with_', )),
        # issue 16's diagnosis configs
        ('chain-loss-clip-negatives', ('model.track_head.loss_track.', )),
        ('global-infonce-loss', ('model.track_head.loss_track.', )),
        ('global-infonce-loss-next-frame-negatives',
         ('model.track_head.loss_track.', )),
        ('per-frame-jitter',
         ('train_dataloader.dataset.pipeline', 'train_pipeline')),
        ('4f-stride2',
         ('train_dataloader.dataset.pipeline', 'train_pipeline')),
        ('4f-stride6',
         ('train_dataloader.dataset.pipeline', 'train_pipeline')),
        ('global-loss_4f-stride6',
         ('train_dataloader.dataset.pipeline', 'train_pipeline',
          'model.track_head.loss_track.')),
        ('global-loss_per-frame-jitter',
         ('train_dataloader.dataset.pipeline', 'train_pipeline',
          'model.track_head.loss_track.')),
    ])
def test_ablation_config_changes_only_its_switch(name, allowed):
    from mmengine.config import Config
    base = _flatten(Config.fromfile(osp.join(ROOT, kit.BASE_CONFIG)).to_dict())
    path = osp.join(ROOT, kit.ABLATION_DIR,
                    f'scaletrack_tiny-r18_{name}_1xb1-6e_synthetic.py')
    var = _flatten(Config.fromfile(path).to_dict())
    changed = {
        k
        for k in set(base) | set(var)
        if base.get(k, '<absent>') != var.get(k, '<absent>')
    }
    assert changed, f'{name} changes nothing'
    assert all(k.startswith(allowed) for k in changed), changed


def test_ablation_configs_set_the_intended_values():
    from mmengine.config import Config

    def cfg(name):
        return Config.fromfile(
            osp.join(ROOT, kit.ABLATION_DIR,
                     f'scaletrack_tiny-r18_{name}_1xb1-6e_synthetic.py'))

    assert cfg('chain-length-5'
               ).train_dataloader.dataset.pipeline[0]['num_frames'] == 5
    no_prop = cfg('no-pseudo-negatives')
    assert 'LoadTrackProposals' not in [
        t['type']
        for t in no_prop.train_dataloader.dataset.pipeline[1]['transforms']
    ]
    assert no_prop.model.track_head.max_proposals_per_frame == 0
    head = cfg('spatial-pool').model.track_head
    assert (head.with_spatial_pool, head.with_cross_attn,
            head.with_temporal) == (True, False, False)
    assert cfg('broken-chain-loss').model.track_head.loss_track.type == \
        'BrokenChainContrastiveLoss'


# -------------------------------------------------------------- report
def _row(label, assoca, per_video, run=None, **fields):
    return dict(
        label=label,
        run=run or f'{label}-{fields.get("num_videos")}',
        metrics=dict(AssocA=assoca, TETA=assoca - 5, IDF1=assoca + 5),
        per_video_AssocA=per_video,
        wall_s=dict(train=120.0, eval=60.0),
        cpu_s=dict(train=100.0, eval=20.0),
        **fields)


def _videos(base, n=8, delta=0.0):
    return {f'v{i}': base + i + delta for i in range(n)}


def test_make_report_fills_blocks_with_verdicts(tmp_path):
    tables = tmp_path / 'tables'
    tables.mkdir()
    # chain rises 2 points per doubling and is best at 64 on all 8 videos;
    # pairwise rises 1 per doubling; broken chain is 1 point *above* the
    # chain everywhere (its two claims must come out NOT reproduced)
    rows = []
    for n, a, p in [(4, 40.0, 41.0), (8, 42.0, 42.0), (16, 44.0, 43.0),
                    (64, 48.0, 45.0)]:
        rows.append(_row('Chain (ours)', a, _videos(a), num_videos=n))
        rows.append(_row('Pairwise', p, _videos(p), num_videos=n))
        rows.append(_row('Broken chain', a + 1, _videos(a + 1), num_videos=n))
    _write_json(
        str(tables / 'scaling.json'),
        dict(experiment='scaling', setting=kit.asdict(TINY), rows=rows))
    pn = [
        _row('w/o', 40.0, _videos(40.0), proposals=False),
        _row(
            'w/',
            43.0,
            _videos(40.0, delta=-1.0) | {'v0': 99.0},
            run='Chain (ours)-64',
            proposals=True)
    ]
    _write_json(
        str(tables / 'pseudo_negatives.json'),
        dict(experiment='pseudo_negatives', setting=kit.asdict(TINY), rows=pn))
    # seed-to-seed range 2.5 AssocA points: the 3-point chain-pairwise gap
    # is above it, the 1-point chain-broken gap below
    seeds = [
        _row(
            f'seed {k}',
            47.0 + 1.25 * k,
            _videos(47.0),
            seed=k,
            run='Chain (ours)-64' if k == 0 else None) for k in range(3)
    ]
    _write_json(
        str(tables / 'seed_noise.json'),
        dict(
            experiment='seed_noise',
            setting=kit.asdict(TINY),
            rows=seeds,
            spread=dict(AssocA=dict(mean=48.25, std=1.25, range=2.5))))
    report = tmp_path / 'results.md'
    template = open(osp.join(ROOT, 'docs', 'results.md')).read()
    report.write_text(template)
    make_report.main(['--tables', str(tables), '--report', str(report)])
    out = report.read_text()
    scaling = out.split('<!-- BEGIN scaling -->')[1].split('<!-- END')[0]
    lines = {ln for ln in scaling.splitlines() if ln.startswith('* ')}
    assert any(
        ln.startswith('* **reproduced**: Fig. 1b: chain contrast '
                      'has a higher AssocA than Pairwise')
        and 'higher on 8/8' in ln and 'consistent across videos' in ln
        for ln in lines)
    assert any('**reproduced**: Fig. 1b: chain contrast scales best' in ln
               and 'Chain (ours) +2.00' in ln and 'Pairwise +1.00' in ln
               for ln in lines)
    assert any('**NOT reproduced**: Fig. 3b: the chain beats the broken' in ln
               and '-1.0 points' in ln and 'seed-to-seed range (2.5 '
               'points): within seed noise' in ln for ln in lines)
    assert not any('than Pairwise' in ln and 'seed noise' in ln
                   for ln in lines)
    pseudo = out.split('<!-- BEGIN pseudo_negatives -->')[1]
    # mean +3 points but only 1 of 8 videos higher: reproduced, yet noise
    assert '**reproduced**: Table 13' in pseudo
    assert 'higher on 1/8' in pseudo and 'within per-video noise' in pseudo
    # blocks without a table keep the placeholder; the rest is untouched
    assert 'Not run yet: `python -m tools.experiments.chain_length`' in out
    assert '| AssocA | 52.8 | 54.4 | 54.7 | 55.8 |' in out
    assert '`scaling`: 3 of 5 claims reproduced' in out
    # 12 scaling runs + "w/o" + 2 seed repeats (the "w/" row and seed 0
    # are the shared chain run): 15 x 120 s training, 15 x 60 s evaluation
    assert ('15 runs; measured wall time of their training 30 min and '
            'evaluation 15 min (30 CPU-minutes)') in out
    assert '`seed_noise`' not in out.split('<!-- BEGIN summary')[1]
    assert '**NOT reproduced**: Fig. 3b: the gap between chain and broken' \
        in scaling
    # idempotent: a second fill gives the same page
    make_report.main(['--tables', str(tables), '--report', str(report)])
    assert report.read_text() == out


def test_make_report_names_a_missing_block(tmp_path):
    report = tmp_path / 'results.md'
    report.write_text('# no blocks\n')
    with pytest.raises(SystemExit, match='BEGIN scaling'):
        make_report.main(['--tables', str(tmp_path), '--report', str(report)])


# ------------------------------------------------------------ end to end
@pytest.mark.slow
def test_pseudo_negatives_experiment_end_to_end(tmp_path):
    """Real data generation, training and evaluation on a tiny setting."""
    pseudo_negatives = _load('pseudo_negatives')
    setting = kit.Setting(
        'e2e',
        num_train_videos=2,
        num_val_videos=1,
        frames=4,
        epochs=1,
        scaling_sizes=(2, ))
    work, out = tmp_path / 'work', tmp_path / 'tables'
    argv = ['--work-dir', str(work), '--out-dir', str(out)]
    rows = pseudo_negatives.main(argv, setting)
    assert [r['proposals'] for r in rows] == [False, True]
    for r in rows:
        for name in ('AssocA', 'TETA', 'IDF1'):
            assert 0.0 <= r['metrics'][name] <= 100.0
        assert len(r['per_video_AssocA']) == 1
    table = json.loads((out / 'pseudo_negatives.json').read_text())
    assert table['rows'][1]['run'] == 'chain_n2'
    assert '| w/o pseudo-negative proposals |' in (
        out / 'pseudo_negatives.md').read_text()
    assert (out / 'pseudo_negatives.png').read_bytes()[:4] == b'\x89PNG'
    # the two runs really differ: one config loads no proposals
    logs = [(work / 'runs' / r['run'] / 'train.log').read_text() for r in rows]
    assert 'LoadTrackProposals' not in logs[0]
    assert 'LoadTrackProposals' in logs[1]
    # re-running reuses everything
    ws = kit.Workspace(
        str(work), setting, runner=lambda *a: pytest.fail(f'ran {a[0]}'))
    assert ws.run(kit.base_run(setting))['metrics'] == json.loads(
        (work / 'runs' / 'chain_n2' / 'eval' / 'metrics.json').read_text())


def test_long_videos_reuses_the_loss_and_chain_length_runs():
    """The follow-up on 72-frame videos runs the four losses (10 frames)
    and chain lengths 2 and 5, sharing run names (hence configs) with the
    scaling and chain-length experiments; only the setting differs."""
    long_videos = _load('long_videos')
    assert long_videos.LONG.frames == 3 * kit.FULL.frames
    # every video (training ones included) has 72 frames there
    assert long_videos.LONG.data_args()['train_frames'] == 72
    assert dict(
        asdict_without(long_videos.LONG, 'name', 'frames',
                       'train_frames')) == dict(
                           asdict_without(kit.FULL, 'name', 'frames',
                                          'scaling_sizes', 'train_frames'),
                           scaling_sizes=(64, ))
    entries = long_videos.entries(TINY)
    runs = [spec.name for _, spec, _ in entries]
    assert runs == [
        'chain_n3', 'pairwise_n3', 'global_n3', 'broken_n3', 'chainlen2_n3',
        'chainlen5_n3'
    ]
    assert [f['chain_length'] for _, _, f in entries] == [10] * 4 + [2, 5]
    configs = [spec.config for _, spec, _ in entries]
    assert configs[0] == kit.BASE_CONFIG
    assert 'global-loss' in configs[2] and 'chain-length-5' in configs[5]


def asdict_without(setting, *keys):
    from dataclasses import asdict
    return {k: v for k, v in asdict(setting).items() if k not in keys}


def test_training_length_runs_three_losses_on_the_full_data():
    training_length = _load('training_length')
    s = training_length.LONG_TRAINING
    assert (s.frames, s.num_train_videos, s.num_val_videos,
            s.seed) == (kit.FULL.frames, kit.FULL.num_train_videos,
                        kit.FULL.num_val_videos, kit.FULL.seed)
    assert s.epochs == 4 * kit.FULL.epochs
    entries = training_length.entries(TINY)
    assert [spec.name for _, spec, _ in entries
            ] == ['chain_n3', 'global_n3', 'broken_n3']


def test_diagnosis_configs_set_the_intended_values():
    from mmengine.config import Config

    def cfg(name):
        return Config.fromfile(
            osp.join(ROOT, kit.ABLATION_DIR,
                     f'scaletrack_tiny-r18_{name}_1xb1-6e_synthetic.py'))

    sampler = cfg('4f-stride6').train_dataloader.dataset.pipeline[0]
    assert (sampler['num_frames'], sampler['sampling'],
            sampler['frame_stride']) == (4, 'stride', 6)
    jitter = cfg('per-frame-jitter').train_dataloader.dataset.pipeline
    per_frame = [
        t for t in jitter
        if t['type'] == 'TransformBroadcaster' and not t['share_random_params']
    ]
    assert [t['type'] for t in per_frame[0]['transforms']
            ] == ['RandomResize', 'RandomCrop', 'Pad']
    loss = cfg(
        'global-infonce-loss-next-frame-negatives').model.track_head.loss_track
    assert (loss.type, loss.mode, loss.negatives) == ('GlobalContrastiveLoss',
                                                      'infonce', 'next_frame')
    assert cfg('chain-loss-clip-negatives'
               ).model.track_head.loss_track.negatives == 'clip'


class ConfiguredScheduleRunner(FakeRunner):
    """FakeRunner for runs trained with the config's own schedule (no
    ``train_cfg.max_epochs`` option): writes epoch_6.pth and mmengine's
    ``last_checkpoint`` record."""

    def __call__(self, cmd, env, log_file=None):
        if cmd[1] != 'tools/train.py':
            super().__call__(cmd, env, log_file)
            _write_json(
                self._opt(cmd, '--metrics-out'), {
                    'teta/AssocA': 75.0,
                    'teta/TETA': 60.0,
                    'mot/HOTA': 0.5,
                    'mot/IDF1': 0.6
                })
            return
        self.cmds.append(cmd)
        wd = self._opt(cmd, '--work-dir')
        os.makedirs(wd, exist_ok=True)
        ckpt = osp.join(wd, 'epoch_6.pth')
        open(ckpt, 'w').close()
        with open(osp.join(wd, 'last_checkpoint'), 'w') as f:
            f.write(ckpt)


def test_configured_schedule_run_trains_as_the_quickstart(tmp_path):
    setting = kit.Setting(
        **dict(kit.asdict(TINY), epochs=None, scaling_sizes=(3, )))
    _fake_data(str(tmp_path))
    # the fixture's manifest was written for TINY; rewrite it for setting
    _write_json(
        osp.join(str(tmp_path), 'data', 'manifest.json'),
        dict(args=setting.data_args(), complete=True))
    runner = ConfiguredScheduleRunner()
    ws = kit.Workspace(str(tmp_path), setting, runner=runner)
    ws.run(kit.RunSpec('chain_s1', kit.BASE_CONFIG, seed=1))
    train_cmd, test_cmd = runner.cmds
    # only the seed, as tools/misc/quickstart.py trains
    assert train_cmd[train_cmd.index('--cfg-options') +
                     1:] == ['randomness.seed=1']
    assert test_cmd[3].endswith('epoch_6.pth')
    with pytest.raises(ValueError, match='needs fixed epochs'):
        ws.run(kit.RunSpec('chain_n2', kit.BASE_CONFIG, num_videos=2))


def test_setting_records_the_training_video_length():
    assert kit.FULL.data_args()['train_frames'] == kit.SAV_TRAIN_FRAMES
    assert kit.QUICK.data_args()['train_frames'] == kit.QUICK.frames
    cmds = []
    ws = kit.Workspace(
        '/nonexistent/ws', kit.FULL, runner=lambda c, e, log: cmds.append(c))
    ws.prepare_data()
    cmd = cmds[0]
    assert cmd[cmd.index('--train-frames') + 1] == str(kit.SAV_TRAIN_FRAMES)
    assert cmd[cmd.index('--frames') + 1] == '24'


def test_chain_diagnosis_groups_and_tables(tmp_path):
    """Every group's rows run with every seed through the kit (fake
    runner), share runs between groups of one benchmark, and the table
    gives per-seed AssocA and the paired differences."""
    diag = _load('chain_diagnosis')
    setting = kit.Setting(
        **dict(kit.asdict(TINY), epochs=None, scaling_sizes=(3, )))
    settings = dict(
        old=setting,
        new=kit.Setting(
            **dict(kit.asdict(setting), name='tiny-new', train_frames=8)))
    runners = {}
    orig = kit.Workspace.__post_init__

    def post_init(self):
        orig(self)
        self.runner = runners.setdefault(self.work_dir,
                                         ConfiguredScheduleRunner())
        key = osp.basename(self.work_dir)
        _fake_data(self.work_dir)
        _write_json(
            osp.join(self.data_root, 'manifest.json'),
            dict(args=settings[key].data_args(), complete=True))

    kit.Workspace.__post_init__ = post_init
    try:
        rows = diag.main([
            '--work-dir',
            str(tmp_path / 'w'), '--out-dir',
            str(tmp_path / 't'), '--seeds', '0,2'
        ], settings)
    finally:
        kit.Workspace.__post_init__ = orig
    assert [r['group'] for r in rows] == ['shortcut'] * 4 + [
        'temporal_gap'
    ] * 4 + ['benchmark'] * 4 + ['chain_length'] * 3 + ['negatives'] * 4
    assert all(sorted(r['per_seed']) == ['0', '2'] for r in rows)
    trained = {
        osp.basename(osp.dirname(c[c.index('--work-dir') + 1])) + '@' +
        osp.basename(
            osp.dirname(
                osp.dirname(osp.dirname(c[c.index('--work-dir') + 1]))))
        for r in runners.values()
        for c in r.cmds if c[1] == 'tools/train.py'
    }
    # 8 old configs + 9 new ones (chain shared by three groups) x 2 seeds
    assert len(trained) == (8 + 9) * 2
    md = (tmp_path / 't' / 'chain_diagnosis.md').read_text()
    assert '| chain, per-frame jitter |' in md
    # every fake run scores the same: differences of 0 on both seeds
    assert '+0.0, +0.0 (mean +0.0; not the same sign on every seed)' in md
    assert (tmp_path / 't' / 'chain_diagnosis.png').read_bytes()[:4] == \
        b'\x89PNG'
