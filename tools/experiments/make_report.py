"""Fill docs/results.md with the small-scale (SYNTHETIC) experiment tables
and say, claim by claim, where the paper's ordering reproduces.

    python -m tools.experiments.make_report [--tables docs/experiments]
        [--report docs/results.md]

Reads the ``*.json`` tables written by the experiment scripts and replaces
the blocks between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` of the
report (``name`` = scaling, chain_length, pseudo_negatives, components,
motion_baselines, summary); everything else of the page is kept. A missing
table leaves "not run yet" in its block. The report is written atomically.

A claim is *reproduced* when the synthetic numbers order as the paper's
do. Pairwise claims also give the per-video evidence: on how many held-out
videos the ordering holds and the one-sided sign-test p-value; below
``SIGN_TEST_ALPHA`` the ordering is called consistent across videos,
otherwise it is within the per-video noise of this small benchmark. When
the seed_noise table exists, a difference smaller than the seed-to-seed
range of the reference run (the same metric) is also flagged as within
seed noise.
"""
import argparse
import os.path as osp
import re
from typing import Dict, List, Optional

import numpy as np

from . import experiment_kit as kit

EXPERIMENTS = ('scaling', 'chain_length', 'pseudo_negatives', 'components',
               'motion_baselines', 'seed_noise')
NOT_RUN = ('_Not run yet: `python -m tools.experiments.{name}` writes '
           '`docs/experiments/{name}.json`, then run this script._')


class Claim:
    """One statement of the paper checked against the synthetic numbers."""

    def __init__(self, text: str, holds: bool, evidence: str):
        self.text, self.holds, self.evidence = text, bool(holds), evidence

    def line(self) -> str:
        status = 'reproduced' if self.holds else 'NOT reproduced'
        return f'* **{status}**: {self.text} {self.evidence}'


def paired(a: dict,
           b: dict,
           key: str = 'AssocA',
           noise: Optional[Dict[str, float]] = None) -> str:
    """'a - b' in points with the per-video sign test and, given the
    seed-to-seed ``noise`` range of each metric, the seed-noise flag."""
    diff = a['metrics'][key] - b['metrics'][key]
    text = f'({key} {kit.fmt(a["metrics"][key])} vs ' \
           f'{kit.fmt(b["metrics"][key])}, {diff:+.1f} points'
    if key == 'AssocA' and a.get('per_video_AssocA') and \
            b.get('per_video_AssocA'):
        st = kit.sign_test(a['per_video_AssocA'], b['per_video_AssocA'])
        n = st['wins'] + st['losses'] + st['ties']
        verdict = 'consistent across videos' \
            if st['p_value'] < kit.SIGN_TEST_ALPHA else \
            'within per-video noise'
        text += (f'; higher on {st["wins"]}/{n} held-out videos, sign test '
                 f'p = {st["p_value"]:.2f}: {verdict}')
    if noise and key in noise and abs(diff) < noise[key]:
        text += (f'; smaller than the seed-to-seed range '
                 f'({noise[key]:.1f} points): within seed noise')
    return text + ')'


def log2_slope(points: List[tuple]) -> float:
    """Least-squares slope of AssocA against log2(videos): points per
    doubling of the data."""
    x = np.log2([p[0] for p in points])
    y = np.array([p[1] for p in points])
    if len(points) < 2:
        return float('nan')
    return float(np.polyfit(x, y, 1)[0])


# ----------------------------------------------------------------- claims
def scaling_claims(table: dict, noise=None) -> List[Claim]:
    rows = table['rows']
    sizes = sorted({r['num_videos'] for r in rows})
    lo, hi = sizes[0], sizes[-1]

    def at(label, n):
        return next(r for r in rows
                    if r['label'] == label and r['num_videos'] == n)

    def curve(label):
        return sorted((r['num_videos'], r['metrics']['AssocA']) for r in rows
                      if r['label'] == label)

    chain = 'Chain (ours)'
    others = [
        lb for lb in ('Pairwise', 'Global (SupCon)')
        if any(r['label'] == lb for r in rows)
    ]
    claims = []
    for other in others:
        claims.append(
            Claim(
                f'Fig. 1b: chain contrast has a higher AssocA than {other} at '
                f'the largest training set ({hi} videos)',
                at(chain, hi)['metrics']['AssocA']
                > at(other, hi)['metrics']['AssocA'],
                paired(at(chain, hi), at(other, hi), noise=noise)))
    slopes = {
        lb: log2_slope(curve(lb))
        for lb in [chain] + others + ['Broken chain']
        if any(r['label'] == lb for r in rows)
    }
    slope_txt = ', '.join(f'{lb} {s:+.2f}' for lb, s in slopes.items())
    claims.append(
        Claim(
            'Fig. 1b: chain contrast scales best with more videos (largest '
            'least-squares slope of AssocA per doubling of the data)',
            all(slopes[chain] > slopes[o] for o in others),
            f'(points per doubling: {slope_txt})'))
    claims.append(
        Claim(
            'Fig. 1b: chain contrast keeps improving as the data grows '
            f'(AssocA at {hi} videos above AssocA at {lo})',
            at(chain, hi)['metrics']['AssocA'] > at(chain,
                                                    lo)['metrics']['AssocA'],
            paired(at(chain, hi), at(chain, lo), noise=noise)))
    if 'Broken chain' in slopes:
        gap_lo = at(chain, lo)['metrics']['AssocA'] - \
            at('Broken chain', lo)['metrics']['AssocA']
        gap_hi = at(chain, hi)['metrics']['AssocA'] - \
            at('Broken chain', hi)['metrics']['AssocA']
        claims.append(
            Claim(f'Fig. 3b: the chain beats the broken chain at {hi} videos',
                  gap_hi > 0,
                  paired(at(chain, hi), at('Broken chain', hi), noise=noise)))
        claims.append(
            Claim(
                'Fig. 3b: the gap between chain and broken chain grows with '
                'the data', gap_hi > gap_lo,
                f'(gap {gap_lo:+.1f} points at {lo} videos, {gap_hi:+.1f} at '
                f'{hi})'))
    return claims


def chain_length_claims(table: dict, noise=None) -> List[Claim]:
    rows = sorted(table['rows'], key=lambda r: r['chain_length'])
    claims = []
    for a, b in zip(rows, rows[1:]):
        claims.append(
            Claim(
                f'Table 5: chain length {b["chain_length"]} beats '
                f'{a["chain_length"]}', b['metrics']['AssocA']
                > a['metrics']['AssocA'], paired(b, a, noise=noise)))
    return claims


def pseudo_negative_claims(table: dict, noise=None) -> List[Claim]:
    with_ = next(r for r in table['rows'] if r['proposals'])
    without = next(r for r in table['rows'] if not r['proposals'])
    return [
        Claim('Table 13: pseudo-negative proposals raise AssocA',
              with_['metrics']['AssocA'] > without['metrics']['AssocA'],
              paired(with_, without, noise=noise))
    ]


def component_claims(table: dict, noise=None) -> List[Claim]:
    rows = table['rows']
    claims = []
    for a, b in zip(rows, rows[1:]):
        claims.append(
            Claim(f'Table 7: "{b["label"]}" improves on "{a["label"]}"',
                  b['metrics']['AssocA'] > a['metrics']['AssocA'],
                  paired(b, a, noise=noise)))
    claims.append(
        Claim(
            'Table 7: the full model beats the plain adapter + chain contrast',
            rows[-1]['metrics']['AssocA'] > rows[1]['metrics']['AssocA'],
            paired(rows[-1], rows[1], noise=noise)))
    return claims


def motion_claims(table: dict, noise=None) -> List[Claim]:
    by_kind: Dict[str, List[dict]] = {}
    for r in table['rows']:
        by_kind.setdefault(r['kind'], []).append(r)
    trained = by_kind['trained'][0]
    claims = []
    for motion in by_kind.get('motion', []):
        for key in ('AssocA', 'IDF1'):
            claims.append(
                Claim(
                    f'Table 2 (and 9-10): the learned association beats '
                    f'{motion["label"]} on {key} with the same detections',
                    trained['metrics'][key] > motion['metrics'][key],
                    paired(trained, motion, key, noise=noise)))
    for untrained in by_kind.get('untrained', []):
        claims.append(
            Claim(
                'training matters: the trained embedding beats the same '
                'network at random init', trained['metrics']['AssocA']
                > untrained['metrics']['AssocA'],
                paired(trained, untrained, noise=noise)))
    return claims


def seed_noise_claims(table: dict, noise=None) -> List[Claim]:
    """No claim of the paper: the table is the noise floor of the others."""
    return []


CLAIMS = dict(
    scaling=scaling_claims,
    chain_length=chain_length_claims,
    pseudo_negatives=pseudo_negative_claims,
    components=component_claims,
    motion_baselines=motion_claims,
    seed_noise=seed_noise_claims)


def seed_noise_ranges(tables_dir: str) -> Optional[Dict[str, float]]:
    """Seed-to-seed range of each metric (seed_noise.json), or None."""
    path = osp.join(tables_dir, 'seed_noise.json')
    if not osp.isfile(path):
        return None
    spread = kit.load_json_file(path, 'seed_noise table').get('spread', {})
    return {k: v['range'] for k, v in spread.items()}


# ----------------------------------------------------------------- blocks
def block_text(name: str,
               table: Optional[dict],
               md: Optional[str],
               claims: List[Claim],
               plot: str = '',
               source: str = '') -> str:
    """The measured tables of ``NAME.md`` (without its title, banner and
    setting line, which the block restates), the plot and the verdicts."""
    if table is None:
        return NOT_RUN.format(name=name)
    s = table['setting']
    keep = [
        ln for ln in (md or '').splitlines()
        if not ln.startswith(('# ', '> ', 'Setting `'))
    ]
    # tables made before the training videos got their own length
    train_frames = s.get('train_frames') or s.get('frames')
    return '\n'.join([
        f'Measured (SYNTHETIC, setting `{s["name"]}`: '
        f'{s["num_train_videos"]} training videos of {train_frames} '
        f'annotated frames, {s["num_val_videos"]} held-out videos of '
        f'{s.get("frames")} frames, {s["epochs"]} epoch(s) per run, seed '
        f'{s["seed"]}; from `{source or f"experiments/{name}.md"}`):',
        '',
        '\n'.join(keep).strip(),
        '',
        f'![{name}]({plot or f"experiments/{name}.png"})',
        '',
    ] + (['Against the paper:', ''] + [c.line()
                                       for c in claims] if claims else []))


def summary_text(all_claims: Dict[str, List[Claim]],
                 tables: Dict[str, dict]) -> str:
    if not all_claims:
        return '_No experiment has been run yet._'
    lines = []
    for name, claims in all_claims.items():
        if not claims:
            continue
        ok = sum(c.holds for c in claims)
        lines.append(f'* `{name}`: {ok} of {len(claims)} claims reproduced' +
                     ('' if ok == len(claims) else ' -- not: ' +
                      '; '.join(c.text for c in claims if not c.holds)))
    # each run once, however many tables show it
    runs = {r['run']: r for t in tables.values() for r in t['rows']}
    wall = {
        k: sum(r.get('wall_s', {}).get(k, 0.0) for r in runs.values())
        for k in ('train', 'eval')
    }
    cpu = sum(sum(r.get('cpu_s', {}).values()) for r in runs.values())
    lines += [
        '', f'{len(runs)} runs; measured wall time of their training '
        f'{wall["train"] / 60:.0f} min and evaluation '
        f'{wall["eval"] / 60:.0f} min ({cpu / 60:.0f} CPU-minutes).'
    ]
    return '\n'.join(lines)


def replace_block(text: str,
                  name: str,
                  content: str,
                  report: str = 'report') -> str:
    pattern = re.compile(
        rf'(<!-- BEGIN {name} -->\n)(.*?)(<!-- END {name} -->)', re.S)
    if not pattern.search(text):
        raise ValueError(f'{report} has no "<!-- BEGIN {name} -->" ... '
                         f'"<!-- END {name} -->" block; restore it from '
                         'git or add it where the results should go')
    return pattern.sub(
        lambda m: m.group(1) + content.rstrip() + '\n' + m.group(3),
        text,
        count=1)


def build_report(report_text: str,
                 tables_dir: str,
                 report_path: str = 'report') -> str:
    all_claims, tables = {}, {}
    noise = seed_noise_ranges(tables_dir)
    for name in EXPERIMENTS:
        json_path = osp.join(tables_dir, f'{name}.json')
        md_path = osp.join(tables_dir, f'{name}.md')
        table = md = None
        claims = []
        if osp.isfile(json_path):
            table = kit.load_json_file(json_path, f'{name} table')
            md = open(md_path, encoding='utf-8').read() \
                if osp.isfile(md_path) else kit.markdown_table(
                    ['run'], [[r['label']] for r in table['rows']])
            claims = CLAIMS[name](table, noise)
            all_claims[name] = claims
            tables[name] = table
        here = osp.dirname(osp.abspath(report_path))
        plot = osp.relpath(osp.join(tables_dir, f'{name}.png'), here)
        source = osp.relpath(md_path, here)
        report_text = replace_block(
            report_text, name, block_text(name, table, md, claims, plot,
                                          source), report_path)
    return replace_block(report_text, 'summary',
                         summary_text(all_claims, tables), report_path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument(
        '--tables',
        default=kit.DEFAULT_OUT_DIR,
        help='folder of the experiment tables (*.json, *.md)')
    p.add_argument(
        '--report', default=osp.join(kit.ROOT, 'docs', 'results.md'))
    args = p.parse_args(argv)
    if not osp.isfile(args.report):
        raise SystemExit(f'error: report {args.report} not found')
    with open(args.report, encoding='utf-8') as f:
        text = f.read()
    try:
        text = build_report(text, args.tables, args.report)
    except (ValueError, KeyError, StopIteration) as e:
        raise SystemExit(f'error: {e}')
    kit.write_text_atomic(args.report, text)
    print(f'[experiments] wrote {args.report}')


if __name__ == '__main__':
    main()
