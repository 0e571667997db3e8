"""Shared machinery of the small-scale experiments (docs/results.md).

Every experiment of ``tools/experiments/`` is a set of *runs*. A run trains
one config on the first N videos of one synthetic SA-V-style training set
(or does not train: random init, motion-only trackers) and evaluates it with
``tools/test.py`` on the held-out TAO-style synthetic videos (TETA from
``TETAMetric``, HOTA/IDF1 from ``MOTMetric``). All figures are on
**SYNTHETIC** data with a CPU-sized model trained from scratch.

Layout of a work dir (one per setting, ``full`` or ``quick``)::

    WORK/data/                   the synthetic benchmark, generated once
    WORK/subsets/first_N.txt     SA-V video-id lists (the first N videos)
    WORK/runs/NAME/run.json      what the run is (checked on every re-use)
    WORK/runs/NAME/train/        tools/train.py work dir (resumable)
    WORK/runs/NAME/eval/metrics.json, eval/results/  tools/test.py output
    WORK/runs/NAME/per_video.json  AssocA of every held-out video

Runs are shared by name across experiments (the chain-loss run on all
training videos is the scaling curve's last point, chain length 10, "with
pseudo-negatives", the full model of the component table and the trained
ScaleTrack of the comparison), and a run whose metrics exist is never
redone. Every file is written atomically (temporary file + ``os.replace``).
"""
import argparse
import glob
import math
import os
import os.path as osp
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from scaletrack.utils.file_io import (atomic_write, dump_json_atomic,
                                      load_json_file, write_text_atomic)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_CONFIG = ('configs/scaletrack/synthetic/'
               'scaletrack_tiny-r18_1xb1-6e_synthetic.py')
ABLATION_DIR = 'configs/scaletrack/synthetic/ablations'
BYTETRACK_CONFIG = 'configs/baselines/bytetrack_public-dets_synthetic.py'
OCSORT_CONFIG = 'configs/baselines/ocsort_public-dets_synthetic.py'
DEFAULT_OUT_DIR = osp.join(ROOT, 'docs', 'experiments')
SYNTHETIC_BANNER = ('SYNTHETIC data (project-generated videos), CPU-sized '
                    'model trained from scratch: not the paper\'s setting '
                    'and not comparable to its numbers.')

#: Lines of a failed subprocess's log shown on the console.
LOG_TAIL_LINES = 40
#: One-sided sign-test level below which a per-video ordering is called
#: consistent across the held-out videos (the usual 5 %).
SIGN_TEST_ALPHA = 0.05


# --------------------------------------------------------------- settings
@dataclass(frozen=True)
class Setting:
    """What every run of one work dir shares.

    Args:
        name: ``'full'`` or ``'quick'`` (or a test's own).
        num_train_videos: size of the one training set; subsets are its
            first N videos, and the ablations train on all of it.
        num_val_videos: held-out TAO-style (and MOT-style) videos.
        frames: frames per generated evaluation video (and per training
            video unless ``train_frames`` is given).
        train_frames: annotated frames per SA-V-style training video
            (None: ``frames``). The evaluation videos do not depend on it.
        epochs: training epochs of every run. Fixed, so that the number of
            iterations grows with the data (the paper's scaling protocol
            trains a fixed single epoch, Sec. 4.3). None: the config's
            schedule and the whole training set, only the seed set (the
            quickstart's training, `train_options`).
        scaling_sizes: training-set sizes of the scaling curves.
        seed: data generation, training and random-init seed.
    """
    name: str
    num_train_videos: int
    num_val_videos: int
    frames: int
    epochs: Optional[int]
    scaling_sizes: Tuple[int, ...]
    seed: int = 0
    train_frames: Optional[int] = None

    def __post_init__(self):
        if max(self.scaling_sizes) != self.num_train_videos:
            raise ValueError(
                f'setting {self.name!r}: the largest scaling size '
                f'{max(self.scaling_sizes)} must equal num_train_videos '
                f'{self.num_train_videos} (the ablations share that run)')
        if min(self.scaling_sizes) < 1 or (self.epochs is not None
                                           and self.epochs < 1):
            raise ValueError(f'setting {self.name!r}: sizes and epochs must '
                             'be >= 1')

    def data_args(self) -> dict:
        return dict(
            num_train_videos=self.num_train_videos,
            num_val_videos=self.num_val_videos,
            frames=self.frames,
            train_frames=self.train_frames or self.frames,
            seed=self.seed)


#: Annotated frames of every SA-V-style training video (6 fps, so 14 s):
#: SA-V's videos last about 14 s on average and the paper samples its 10
#: clip frames uniformly over them, so consecutive chain links are about
#: 1.4 s apart (Appendix A.1); with 84 frames the 10 uniform frames are 8
#: frames = 1.33 s apart, close to that and to the held-out videos' 1 s
#: step. The earlier 24-frame videos put links 2 frames = 1/3 s apart,
#: which made the chain loss learn the box's surroundings (issue 16,
#: docs/results.md section 7). The evaluation videos keep 24 frames.
SAV_TRAIN_FRAMES = 84

#: Full mode, sized to stay within 60-90 min on 2 shared CPU cores. Idle
#: machine: 0.55 s per 10-frame training clip, about 8 s start-up per
#: process, 20 s to evaluate 16 held-out videos of 24 frames, so about 35 min
#: for everything; up to about 80 min at the 1.4 s per clip measured while
#: the CPU was shared (2,640 iterations, 29 evaluations; docs/results.md).
#: 64 training videos, scaling sizes 4 / 8 / 16 / 32 / 64 (a 16x range, one
#: point per doubling), 3 epochs for every run (the scaling protocol's fixed
#: epochs; 3 instead of the paper's 1 because 4 videos x 1 epoch = 4
#: iterations would leave the model at its initialisation; the largest runs
#: get 192 iterations, the quickstart's training length), 16 held-out videos
#: of 24 frames (twice the quickstart's 8: evaluation noise matters here).
FULL = Setting(
    'full',
    num_train_videos=64,
    num_val_videos=16,
    frames=24,
    train_frames=SAV_TRAIN_FRAMES,
    epochs=3,
    scaling_sizes=(4, 8, 16, 32, 64))
#: Quick mode: a smoke run of every code path in a few minutes; its numbers
#: mean nothing (2-4 training videos, one epoch).
QUICK = Setting(
    'quick',
    num_train_videos=4,
    num_val_videos=2,
    frames=8,
    epochs=1,
    scaling_sizes=(2, 4))


@dataclass(frozen=True)
class RunSpec:
    """One training (optional) + evaluation.

    Args:
        name: folder under ``WORK/runs``; equal names must mean equal specs.
        config: config path relative to the repository root.
        train: ``False`` evaluates without a checkpoint (random init or a
            tracker without learned weights).
        num_videos: training-set size (the first N videos); ``None`` = all.
        seed: training seed; ``None`` = the setting's (seed repeats only).
    """
    name: str
    config: str
    train: bool = True
    num_videos: Optional[int] = None
    seed: Optional[int] = None


def base_run(setting: Setting) -> RunSpec:
    """The shared reference run: the full model, chain loss, 10-frame clips,
    pseudo-negatives, all training videos."""
    n = setting.num_train_videos
    return RunSpec(f'chain_n{n}', BASE_CONFIG, num_videos=n)


def ablation_config(name: str) -> str:
    path = f'{ABLATION_DIR}/{name}'
    if not osp.isfile(osp.join(ROOT, path)):
        raise FileNotFoundError(f'ablation config {path} is missing')
    return path


# ---------------------------------------------------------------- metrics
#: metric name -> (keys in tools/test.py's metrics JSON, tried in order;
#: factor to percent). TETAMetric reports percent; MOTMetric (trackeval)
#: reports fractions. 'motmetric/' is the prefix of mmdet's own metric.
METRIC_KEYS = {
    'TETA': (('teta/TETA', ), 1.0),
    'LocA': (('teta/LocA', ), 1.0),
    'AssocA': (('teta/AssocA', ), 1.0),
    'ClsA': (('teta/ClsA', ), 1.0),
    'HOTA': (('mot/HOTA', 'motmetric/HOTA'), 100.0),
    'IDF1': (('mot/IDF1', 'motmetric/IDF1'), 100.0),
    'MOTA': (('mot/MOTA', 'motmetric/MOTA'), 100.0),
}


def metric(metrics: dict, name: str, source: str = 'metrics') -> float:
    """Metric ``name`` (see `METRIC_KEYS`) in percent."""
    if name not in METRIC_KEYS:
        raise KeyError(f'unknown metric {name!r}; known: {list(METRIC_KEYS)}')
    keys, factor = METRIC_KEYS[name]
    for k in keys:
        if k in metrics:
            return float(metrics[k]) * factor
    raise KeyError(f'{source} has none of {keys} (metric {name}); it has '
                   f'{sorted(metrics)[:12]}... -- is the evaluator missing '
                   'from the config?')


def fmt(value: Optional[float], digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    return f'{value:.{digits}f}'


# ---------------------------------------------------------- atomic output
def _read_text(path: str) -> str:
    with open(path, encoding='utf-8') as f:
        return f.read()


def save_figure_atomic(fig, path: str) -> None:
    """Save a matplotlib figure as PNG, atomically."""
    atomic_write(
        path,
        lambda f: fig.savefig(f, format='png', dpi=120, bbox_inches='tight'),
        binary=True)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = [
        '| ' + ' | '.join(str(h) for h in header) + ' |',
        '|' + '---|' * len(header)
    ]
    lines += ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows]
    return '\n'.join(lines)


# ------------------------------------------------------- per-video scores
def filter_tao_video(gt: dict, results: List[dict], video_id: int):
    """The ground truth and results of one video of a TAO-format set."""
    img_ids = {im['id'] for im in gt['images'] if im['video_id'] == video_id}
    sub = dict(gt)
    sub['videos'] = [v for v in gt['videos'] if v['id'] == video_id]
    sub['images'] = [im for im in gt['images'] if im['id'] in img_ids]
    sub['annotations'] = [
        a for a in gt['annotations'] if a['image_id'] in img_ids
    ]
    if 'tracks' in gt:
        sub['tracks'] = [t for t in gt['tracks'] if t['video_id'] == video_id]
    res = [r for r in results if r['image_id'] in img_ids]
    return sub, res


def per_video_teta(gt_file: str,
                   results_file: str,
                   key: str = 'AssocA') -> Dict[str, float]:
    """TETA figure ``key`` (percent) of every video that has ground truth,
    computed by ``scaletrack.evaluation`` on that video alone; the basis of
    the paired per-video comparisons (`sign_test`)."""
    from scaletrack.evaluation.functional.teta import evaluate_teta
    gt = load_json_file(gt_file, 'TAO annotation file')
    results = load_json_file(results_file, 'TAO results file')
    out = {}
    for video in gt['videos']:
        sub, res = filter_tao_video(gt, results, video['id'])
        if not sub['annotations']:
            continue
        value = evaluate_teta(sub, res)[key]
        out[str(video.get('name', video['id']))] = float(value)
    return out


def sign_test(a: Dict[str, float], b: Dict[str, float]) -> dict:
    """Paired comparison of two runs over the same videos.

    Returns ``wins`` (videos where a > b), ``losses``, ``ties`` and the
    one-sided exact sign-test p-value of "a > b" (ties dropped; 1.0 when
    every video ties).
    """
    from scipy.stats import binomtest
    common = sorted(set(a) & set(b))
    if not common:
        raise ValueError('the two runs have no video in common')
    wins = sum(a[v] > b[v] for v in common)
    losses = sum(a[v] < b[v] for v in common)
    n = wins + losses
    p = binomtest(wins, n, 0.5, alternative='greater').pvalue if n else 1.0
    return dict(
        wins=wins, losses=losses, ties=len(common) - n, p_value=float(p))


# ---------------------------------------------------------------- running
#: Written into a training work dir once tools/train.py has finished; holds
#: the path of the last checkpoint. A training without it is resumed.
DONE_FLAG = 'TRAINING_DONE'


class CommandFailed(RuntimeError):
    """A tools/*.py subprocess exited with ``returncode`` != 0."""

    def __init__(self, msg: str, returncode: int) -> None:
        super().__init__(msg)
        self.returncode = returncode


def last_checkpoint(train_dir: str) -> Optional[str]:
    """The newest checkpoint of an mmengine work dir: the one its
    ``last_checkpoint`` record names, else the highest ``epoch_N.pth``;
    None when there is none."""
    record = osp.join(train_dir, 'last_checkpoint')
    if osp.isfile(record):
        ckpt = _read_text(record).strip()
        if osp.isfile(ckpt):
            return ckpt
    ckpts = sorted(
        glob.glob(osp.join(train_dir, 'epoch_*.pth')),
        key=lambda p: int(p.rsplit('_', 1)[1][:-len('.pth')]))
    return ckpts[-1] if ckpts else None


@dataclass
class Workspace:
    """Runs the runs of one setting in ``work_dir``.

    Args:
        work_dir: everything goes here (data, subsets, runs).
        setting: the shared sizes (`FULL`, `QUICK`).
        python: interpreter for the subprocesses.
        dry_run: print what would run, run nothing.
        runner: ``runner(cmd, env, log_file)`` executes a command (tests
            replace it).
        tag: prefix of the console messages.
    """
    work_dir: str
    setting: Setting
    python: str = sys.executable
    dry_run: bool = False
    runner: Optional[Callable] = None
    tag: str = 'experiments'
    timings: Dict[str, float] = field(default_factory=dict)
    #: CPU seconds (user + system) of the last command's process tree
    last_cpu_s: float = 0.0

    def __post_init__(self):
        self.work_dir = osp.abspath(self.work_dir)
        self.data_root = osp.join(self.work_dir, 'data')
        self.env = dict(
            os.environ,
            SCALETRACK_SYNTH_ROOT=self.data_root,
            PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
        if self.runner is None:
            self.runner = self._subprocess

    # ------------------------------------------------------------ helpers
    def log(self, msg: str) -> None:
        print(f'[{self.tag}] {msg}', flush=True)

    def _subprocess(self,
                    cmd: List[str],
                    env: dict,
                    log_file: Optional[str] = None) -> None:
        """Run ``cmd`` from the repository root; its output goes to
        ``log_file`` (the console when None). A failure raises
        `CommandFailed`, with the log's last lines."""
        self.log('$ ' + ' '.join(cmd))
        if log_file is None:
            proc = subprocess.run(cmd, cwd=ROOT, env=env)
            if proc.returncode != 0:
                raise CommandFailed(
                    f'command failed (exit {proc.returncode}, its output is '
                    f'above): {" ".join(cmd)}', proc.returncode)
            return
        os.makedirs(osp.dirname(log_file), exist_ok=True)
        self.log(f'  (output: {log_file})')
        with open(log_file, 'a', encoding='utf-8') as log:
            proc = subprocess.run(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            with open(log_file, encoding='utf-8', errors='replace') as f:
                tail = f.readlines()[-LOG_TAIL_LINES:]
            raise CommandFailed(
                f'command failed (exit {proc.returncode}): {" ".join(cmd)}'
                f'\n--- last lines of {log_file} ---\n' + ''.join(tail),
                proc.returncode)

    def execute(self, cmd: List[str], log_file: Optional[str] = None):
        if self.dry_run:
            self.log('(dry run) $ ' + ' '.join(cmd))
            return
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.runner(cmd, self.env, log_file)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time does not depend on other load on the machine the way
        # wall time does: the basis of the duration estimates
        self.last_cpu_s = (
            after.ru_utime - before.ru_utime + after.ru_stime -
            before.ru_stime)

    @property
    def gt_file(self) -> str:
        return osp.join(self.data_root, 'tao_val', 'annotations',
                        'validation.json')

    # --------------------------------------------------------------- data
    def prepare_data(self) -> None:
        """Generate the benchmark once (the generator skips finished
        output and refuses a folder made with other arguments)."""
        manifest = osp.join(self.data_root, 'manifest.json')
        if osp.isfile(manifest):
            m = load_json_file(manifest, 'data manifest')
            want = self.setting.data_args()
            have = {k: m.get('args', {}).get(k) for k in want}
            if m.get('complete') and have == want:
                return
        s = self.setting
        t = time.time()
        self.execute([
            self.python, 'tools/misc/generate_synthetic_data.py',
            self.data_root, '--num-train-videos',
            str(s.num_train_videos), '--num-val-videos',
            str(s.num_val_videos), '--frames',
            str(s.frames), '--train-frames',
            str(s.train_frames or s.frames), '--seed',
            str(s.seed)
        ], osp.join(self.work_dir, 'generate_data.log'))
        self.timings['data'] = time.time() - t

    def train_video_ids(self) -> List[str]:
        path = osp.join(self.data_root, 'sav_train', 'sav_train.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} not found: the synthetic training set is missing '
                '(prepare_data() generates it)')
        with open(path, encoding='utf-8') as f:
            return [
                ln.strip() for ln in f if ln.strip() and not ln.startswith('#')
            ]

    def subset_file(self, n: int) -> str:
        """``WORK/subsets/first_N.txt``: the first ``n`` training videos
        (nested subsets, so a larger set contains every smaller one)."""
        ids = self.train_video_ids()
        if not 1 <= n <= len(ids):
            raise ValueError(f'a subset of {n} videos was asked for but the '
                             f'training set has {len(ids)} (sav_train.txt); '
                             'regenerate the data with more videos')
        path = osp.join(self.work_dir, 'subsets', f'first_{n}.txt')
        text = '\n'.join(ids[:n]) + '\n'
        if not osp.isfile(path) or _read_text(path) != text:
            write_text_atomic(path, text)
        return path

    # --------------------------------------------------------------- runs
    def run_dir(self, spec: RunSpec) -> str:
        return osp.join(self.work_dir, 'runs', spec.name)

    def seed_of(self, spec: RunSpec) -> int:
        return self.setting.seed if spec.seed is None else spec.seed

    def _record(self, spec: RunSpec) -> dict:
        s = self.setting
        rec = dict(
            spec=asdict(spec), seed=self.seed_of(spec), data=s.data_args())
        if spec.train:
            rec.update(epochs=s.epochs)
        return rec

    def _check_record(self, spec: RunSpec) -> str:
        run_dir = self.run_dir(spec)
        rec_path = osp.join(run_dir, 'run.json')
        want = self._record(spec)
        if osp.isfile(rec_path):
            have = load_json_file(rec_path, 'run record')
            have_core = {k: have.get(k) for k in want}
            if have_core != want:
                raise RuntimeError(
                    f'{run_dir} holds another run ({have_core}) than the one '
                    f'asked for ({want}); use another --work-dir or delete '
                    'that folder')
        elif not self.dry_run:
            dump_json_atomic(want, rec_path, indent=1)
        return rec_path

    def train_options(self, spec: RunSpec) -> List[str]:
        """``--cfg-options`` of a training run: seed and deterministic
        kernels, training subset, the fixed epochs (decay x0.1 for the last
        epoch), one checkpoint.

        ``randomness.deterministic=True`` (torch's deterministic algorithms)
        is needed for a seed to fix the result: without it two runs with
        the same seed drifted apart after 4 iterations (float summation
        order), and the quick setting's AssocA then differed by 9 points.
        It cost no measurable speed on the CPU.

        With ``setting.epochs=None`` and ``spec.num_videos=None`` only the
        seed is set: the config trains as it is on the whole training set,
        exactly as the quickstart trains it (its config already sets
        ``deterministic=True``), so such a run with seed 0 is the
        quickstart's model.
        """
        s = self.setting
        if s.epochs is None:
            if spec.num_videos is not None:
                raise ValueError(
                    f'run {spec.name}: a training subset needs fixed epochs '
                    f'(setting {s.name!r} has epochs=None)')
            return [f'randomness.seed={self.seed_of(spec)}']
        n = spec.num_videos or s.num_train_videos
        subset = osp.join(self.work_dir, 'subsets', f'first_{n}.txt') \
            if self.dry_run else self.subset_file(n)
        milestone = max(1, s.epochs - 1)
        return [
            f'randomness.seed={self.seed_of(spec)}',
            'randomness.deterministic=True',
            f'train_dataloader.dataset.ann_file={subset}',
            f'train_cfg.max_epochs={s.epochs}',
            f'param_scheduler.0.end={s.epochs}',
            f'param_scheduler.0.milestones=[{milestone}]',
            'default_hooks.checkpoint.max_keep_ckpts=1',
        ]

    def checkpoint_of(self, train_dir: str) -> str:
        if self.setting.epochs is None:
            ckpt = last_checkpoint(train_dir) or osp.join(
                train_dir, 'last_checkpoint')
        else:
            ckpt = osp.join(train_dir, f'epoch_{self.setting.epochs}.pth')
        if not osp.isfile(ckpt):
            raise FileNotFoundError(
                f'training in {train_dir} finished without {ckpt}; see the '
                'log there')
        return ckpt

    def train(self,
              config: str,
              train_dir: str,
              cfg_options: List[str],
              log_file: Optional[str] = None) -> Optional[str]:
        """tools/train.py on ``config`` into ``train_dir`` unless its
        `DONE_FLAG` exists (an interrupted training resumes); returns the
        last checkpoint (None when dry-running)."""
        done = osp.join(train_dir, DONE_FLAG)
        if not osp.isfile(done):
            self.execute([
                self.python, 'tools/train.py', config, '--work-dir', train_dir,
                '--resume', '--cfg-options'
            ] + list(cfg_options), log_file)
            if self.dry_run:
                return None
            write_text_atomic(done, (last_checkpoint(train_dir) or '') + '\n')
        return last_checkpoint(train_dir)

    def evaluate(self,
                 config: str,
                 checkpoint: Optional[str],
                 eval_dir: str,
                 cfg_options: Sequence[str] = (),
                 log_file: Optional[str] = None) -> Optional[dict]:
        """tools/test.py on ``config`` (+ ``checkpoint``) into ``eval_dir``
        unless its ``metrics.json`` exists; returns the metrics (None when
        dry-running). Raw results go to ``eval_dir/results``."""
        metrics_file = osp.join(eval_dir, 'metrics.json')
        if not osp.isfile(metrics_file):
            cmd = [self.python, 'tools/test.py', config]
            if checkpoint:
                cmd.append(checkpoint)
            cmd += [
                '--work-dir', eval_dir, '--out',
                osp.join(eval_dir, 'results'), '--metrics-out', metrics_file
            ]
            if cfg_options:
                cmd += ['--cfg-options', *cfg_options]
            self.execute(cmd, log_file)
            if self.dry_run:
                return None
        return load_json_file(metrics_file, 'metrics file')

    def run(self, spec: RunSpec) -> dict:
        """Train (unless done) and evaluate (unless done) one run; returns
        ``{'metrics': ..., 'per_video': {video: AssocA}, 'record': ...}``."""
        run_dir = self.run_dir(spec)
        rec_path = self._check_record(spec)
        eval_dir = osp.join(run_dir, 'eval')
        metrics_file = osp.join(eval_dir, 'metrics.json')
        per_video_file = osp.join(run_dir, 'per_video.json')
        if osp.isfile(metrics_file) and osp.isfile(per_video_file):
            self.log(f'{spec.name}: done, reusing {metrics_file}')
            return self._load(run_dir, rec_path, metrics_file, per_video_file)
        ckpt = None
        t_train = cpu_train = 0.0
        if spec.train:
            train_dir = osp.join(run_dir, 'train')
            if not osp.isfile(osp.join(train_dir, DONE_FLAG)):
                t = time.time()
                self.train(spec.config, train_dir, self.train_options(spec),
                           osp.join(run_dir, 'train.log'))
                t_train = time.time() - t
                cpu_train = self.last_cpu_s
                if self.dry_run:
                    return {}
            ckpt = self.checkpoint_of(train_dir)
        t = time.time()
        self.evaluate(spec.config, ckpt, eval_dir, [
            f'randomness.seed={self.seed_of(spec)}',
            'randomness.deterministic=True'
        ], osp.join(run_dir, 'eval.log'))
        if self.dry_run:
            return {}
        t_eval = time.time() - t
        cpu_eval = self.last_cpu_s
        results = osp.join(eval_dir, 'results', 'TETAMetric', 'tao_track.json')
        dump_json_atomic(
            per_video_teta(self.gt_file, results), per_video_file, indent=1)
        rec = load_json_file(rec_path, 'run record')
        rec.setdefault('wall_s', {})
        rec.setdefault('cpu_s', {})
        if t_train:
            rec['wall_s']['train'] = round(t_train, 1)
            rec['cpu_s']['train'] = round(cpu_train, 1)
        rec['wall_s']['eval'] = round(t_eval, 1)
        rec['cpu_s']['eval'] = round(cpu_eval, 1)
        dump_json_atomic(rec, rec_path, indent=1)
        return self._load(run_dir, rec_path, metrics_file, per_video_file)

    def _load(self, run_dir, rec_path, metrics_file, per_video_file) -> dict:
        return dict(
            metrics=load_json_file(metrics_file, 'metrics file'),
            per_video=load_json_file(per_video_file, 'per-video file'),
            record=load_json_file(rec_path, 'run record'),
            run_dir=run_dir)


# ------------------------------------------------------------ experiments
def summarise(result: dict, names: Sequence[str]) -> dict:
    """The named metrics (percent) of a run result."""
    return {
        n:
        metric(result['metrics'], n,
               osp.join(result['run_dir'], 'eval', 'metrics.json'))
        for n in names
    }


def write_experiment(out_dir: str,
                     name: str,
                     title: str,
                     setting: Setting,
                     rows: List[dict],
                     markdown: str,
                     notes: Sequence[str],
                     extra: Optional[dict] = None) -> Tuple[str, str]:
    """``OUT/NAME.md`` (a titled table) and ``OUT/NAME.json`` (the rows,
    read by make_report.py)."""
    md_path = osp.join(out_dir, f'{name}.md')
    json_path = osp.join(out_dir, f'{name}.json')
    epochs = setting.epochs or 'the config\'s'
    text = '\n'.join([
        f'# {title} -- SYNTHETIC', '', f'> {SYNTHETIC_BANNER}', '',
        f'Setting `{setting.name}`: {setting.num_train_videos} training '
        f'videos of {setting.train_frames or setting.frames} annotated '
        f'frames, {setting.num_val_videos} held-out TAO-style videos of '
        f'{setting.frames} frames, '
        f'{epochs} epoch(s) per run, seed '
        f'{setting.seed}. Plot: `{name}.png`.', '', markdown, ''
    ] + [f'* {n}' for n in notes] + [''])
    write_text_atomic(md_path, text)
    dump_json_atomic(
        dict(
            experiment=name,
            title=title,
            setting=asdict(setting),
            rows=rows,
            **(extra or {})),
        json_path,
        indent=1)
    return md_path, json_path


def row_of(label: str,
           spec: RunSpec,
           result: dict,
           names: Sequence[str] = ('TETA', 'LocA', 'AssocA', 'ClsA', 'HOTA',
                                   'IDF1'),
           **fields) -> dict:
    return dict(
        label=label,
        run=spec.name,
        metrics=summarise(result, names),
        per_video_AssocA=result['per_video'],
        wall_s=result['record'].get('wall_s', {}),
        cpu_s=result['record'].get('cpu_s', {}),
        **fields)


# yapf: disable (yapf 0.43 indents this '= ()' signature against E125)
def metrics_table(rows: Sequence[dict],
                  names: Sequence[str],
                  extra_cols: Sequence[Tuple[str, str]] = ()) -> str:
    # yapf: enable
    """Markdown table of rows: label, ``extra_cols`` (header, row field),
    then the metrics ``names`` (percent)."""
    header = [''] + [h for h, _ in extra_cols] + [f'{n} (%)' for n in names]
    body = [[r['label']] + [str(r.get(f, '')) for _, f in extra_cols] +
            [fmt(r['metrics'].get(n)) for n in names] for r in rows]
    return markdown_table(header, body)


def bar_plot(rows: Sequence[dict], names: Sequence[str], path: str,
             title: str) -> None:
    """Grouped bars: one group per metric, one bar per row."""
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(max(6, 1.6 * len(names) + 3), 4))
    width = 0.8 / max(1, len(rows))
    for i, r in enumerate(rows):
        xs = [j + (i - (len(rows) - 1) / 2) * width for j in range(len(names))]
        vals = [r['metrics'].get(n, float('nan')) for n in names]
        bars = ax.bar(xs, vals, width, label=r['label'])
        for b, v in zip(bars, vals):
            ax.annotate(
                fmt(v), (b.get_x() + b.get_width() / 2, v),
                ha='center',
                va='bottom',
                fontsize=7)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names)
    ax.set_ylabel('% on synthetic TAO-style videos')
    ax.set_title(f'{title} (SYNTHETIC data)')
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=8, loc='upper left', bbox_to_anchor=(1.01, 1.0))
    save_figure_atomic(fig, path)
    pyplot.close(fig)


def run_table_experiment(ws: 'Workspace',
                         out_dir: str,
                         name: str,
                         title: str,
                         entries: Sequence[Tuple[str, RunSpec, dict]],
                         names: Sequence[str],
                         notes: Sequence[str],
                         extra_cols: Sequence[Tuple[str, str]] = (),
                         plot_names: Optional[Sequence[str]] = None):
    """Run ``entries`` = (label, spec, extra row fields) in order, then
    write NAME.md / NAME.json / NAME.png. Returns the rows (None when
    dry-running)."""
    ws.prepare_data()
    rows = []
    for label, spec, fields in entries:
        result = ws.run(spec)
        if not ws.dry_run:
            rows.append(row_of(label, spec, result, **fields))
    if ws.dry_run:
        return None
    md = metrics_table(rows, names, extra_cols)
    write_experiment(out_dir, name, title, ws.setting, rows, md, notes)
    bar_plot(rows, plot_names or names, osp.join(out_dir, f'{name}.png'),
             title)
    ws.log(f'wrote {out_dir}/{name}.md and {name}.png')
    return rows


def run_followup(doc: str, argv, setting: Optional[Setting], default: Setting,
                 name: str, title: str, entries: Callable,
                 notes: Callable) -> Optional[List[dict]]:
    """main() of a follow-up experiment with its own setting ``default``
    (own work dir, tables in docs/experiments unless --out-dir):
    ``entries(setting)`` as for `run_table_experiment`, ``notes(setting)``
    its bullet notes; AssocA, TETA and IDF1 are tabulated."""
    args = parse_args(doc.split('\n\n')[0], argv)
    setting = setting or default
    if args.out_dir is None and setting is default:
        args.out_dir = DEFAULT_OUT_DIR
    ws, out_dir = workspace_from_args(args, setting)
    return run_table_experiment(
        ws,
        out_dir,
        name,
        title,
        entries(ws.setting), ('AssocA', 'TETA', 'IDF1'),
        notes=notes(ws.setting))


def plt():
    """matplotlib.pyplot on the Agg backend (no display)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as pyplot
    return pyplot


# --------------------------------------------------------------------- CLI
def parse_args(description: str, argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        '--quick',
        action='store_true',
        help='tiny smoke setting (minutes; numbers meaningless)')
    p.add_argument(
        '--work-dir',
        default=None,
        help='runs and data (default work_dirs/experiments[_quick]'
        '); shared by all experiments of one setting')
    p.add_argument(
        '--out-dir',
        default=None,
        help='tables and plots (default docs/experiments; '
        'WORK/tables with --quick)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument(
        '--dry-run',
        action='store_true',
        help='print the commands, run nothing')
    return p.parse_args(argv)


def workspace_from_args(args, setting: Optional[Setting] = None):
    """(Workspace, out_dir) of the parsed command line; ``setting``
    overrides the --quick choice (tests)."""
    if setting is None:
        setting = QUICK if args.quick else FULL
    if args.seed != setting.seed:
        setting = Setting(**dict(asdict(setting), seed=args.seed))
    work = args.work_dir or osp.join(
        ROOT, 'work_dirs', 'experiments'
        if setting.name == 'full' else f'experiments_{setting.name}')
    out = args.out_dir or (DEFAULT_OUT_DIR if setting.name == 'full' else
                           osp.join(work, 'tables'))
    ws = Workspace(work, setting, dry_run=args.dry_run)
    return ws, out
