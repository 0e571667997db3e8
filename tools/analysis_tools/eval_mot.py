"""Evaluate MOTChallenge-format tracking results: HOTA, CLEAR, Identity.

Usage::

    python tools/analysis_tools/eval_mot.py GT_ROOT RESULTS_DIR \
        [--classes pedestrian ...] [--out OUT_JSON]

GT_ROOT holds ``<seq>/gt/gt.txt`` (+ ``<seq>/seqinfo.ini``), RESULTS_DIR one
``<seq>.txt`` per sequence (``frame, id, x, y, w, h, score, -1, -1, -1``).
Prints HOTA, DetA, AssA, MOTA, MOTP, IDF1, IDP, IDR, IDSW, ... per class and
combined (fractions, as trackeval) and, with ``--out``, writes all figures
to a JSON file. Scoring calls trackeval's own MotChallenge2DBox
preprocessing (MOT17 rules): predictions matched to distractor classes are
removed, rows with int(consider) = 0 are not evaluated (predictions on them
stay, as false positives); MOT15-style files (class -1) are evaluated as
they are. Truncated or inconsistent lines, values that are not finite,
negative sizes, result files of sequences the ground truth lacks and
results with no row of an evaluated class are errors naming the file (and
line).
"""
import argparse
import os
import os.path as osp
import sys

from scaletrack.evaluation.functional.mot_metrics import (MOT_METRICS,
                                                          evaluate_mot)
from scaletrack.evaluation.functional.motchallenge_io import (
    MOTCHALLENGE_CLASSES, MOTCHALLENGE_DISTRACTORS, list_motchallenge_seqs,
    load_motchallenge_sequence)
from scaletrack.evaluation.functional.tables import mot_table
from scaletrack.utils.file_io import dump_json_atomic


def result_seqs(results_dir: str):
    """Sequence names of a results folder (``<seq>.txt``)."""
    if not osp.isdir(results_dir):
        raise FileNotFoundError(f'results folder {results_dir!r} is not a '
                                'folder.')
    return [f[:-4] for f in os.listdir(results_dir) if f.endswith('.txt')]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='HOTA / CLEAR / Identity of MOTChallenge results.')
    parser.add_argument('gt_root', help='folder of <seq>/gt/gt.txt')
    parser.add_argument('results_dir', help='folder of <seq>.txt results')
    parser.add_argument(
        '--classes',
        nargs='+',
        default=['pedestrian'],
        choices=sorted(MOTCHALLENGE_CLASSES),
        help='MOTChallenge classes to evaluate')
    parser.add_argument(
        '--metrics', nargs='+', default=list(MOT_METRICS), choices=MOT_METRICS)
    parser.add_argument(
        '--distractors',
        nargs='*',
        type=int,
        default=list(MOTCHALLENGE_DISTRACTORS),
        help='ground-truth class ids whose matched '
        'predictions are removed (MOT20: add 6)')
    parser.add_argument('--out', help='write all figures to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        names = list_motchallenge_seqs(args.gt_root)
        extra = sorted(set(result_seqs(args.results_dir)) - set(names))
        if extra:
            raise ValueError(
                f'{args.results_dir}: results for sequence(s) {extra[:3]} '
                f'that {args.gt_root} lacks ({len(extra)} in all); score '
                'against the matching split.')
        seqs = [
            load_motchallenge_sequence(args.gt_root, s, args.results_dir,
                                       args.classes, args.distractors)
            for s in names
        ]
        out = evaluate_mot(
            seqs, args.classes, args.metrics, ignore_rule='motchallenge')
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'{len(seqs)} sequence(s): ' + ', '.join(s.name for s in seqs))
    print(mot_table(out))
    if args.out:
        out['sequences'] = [s.name for s in seqs]
        dump_json_atomic(out, args.out, indent=2)
        print(f'figures written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
