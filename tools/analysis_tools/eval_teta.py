"""Evaluate TAO-format tracking results with TETA.

Usage::

    python tools/analysis_tools/eval_teta.py GT_JSON RESULTS_JSON \
        [--out OUT_JSON] [--exhaustive] [--max-dets N] [--tcc] \
        [--ignore-iscrowd] [--all-frames] [--bdd]

GT_JSON is a TAO / COCO-VID annotation file, RESULTS_JSON a list of
``{image_id, video_id, category_id, bbox [x, y, w, h], score, track_id}``.
Prints a table and, with ``--out``, writes a JSON object with TETA, LocA,
AssocA, ClsA, LocRe, LocPr, AssocRe, AssocPr, ClsRe, ClsPr (percent) and,
when the categories carry LVIS ``frequency``, objects ``base`` and ``novel``
with the same keys. By default the results are scored AS GIVEN, as the
reference scorer (SysCV/tet ``teta``) does: not exhaustive, no per-image
cap, every box keeps its own class. ``--tcc`` first gives every box the
majority class of its track (MASA's ``TaoTETAMetric(tcc=True)``); the
results file that ``TETAMetric`` writes (``tools/test.py``) already holds
the voted classes, so it is re-scored without ``--tcc``. ``--bdd`` is BDD100K's
(exhaustive, iscrowd/ignore boxes as ignore regions, every frame a timestep;
GT from tools/dataset_converters/bdd100k_to_cocovid.py).
"""
import argparse
import sys

from scaletrack.evaluation.functional.tables import teta_table
from scaletrack.evaluation.functional.teta import evaluate_teta
from scaletrack.utils.file_io import dump_json_atomic, load_json_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='TETA of TAO-format tracking results.')
    parser.add_argument('gt_json', help='TAO-format ground truth')
    parser.add_argument('results_json', help='TAO-format tracking results')
    parser.add_argument('--out', help='write the figures to this JSON file')
    parser.add_argument(
        '--exhaustive',
        action='store_true',
        help='count class predictions outside every local '
        'cluster as ClsA FPs (BDD100K, COCO-VID)')
    parser.add_argument(
        '--max-dets',
        type=int,
        default=0,
        help='keep the top N boxes per image by score '
        '(0: all, the default)')
    parser.add_argument(
        '--tcc',
        action='store_true',
        help='give every box the majority class of its '
        'track before scoring (MASA); default: score the '
        'classes as given, as the reference does')
    parser.add_argument(
        '--ignore-iscrowd',
        action='store_true',
        help='iscrowd/ignore annotations are ignore regions, '
        'not ground truth (BDD100K)')
    parser.add_argument(
        '--all-frames',
        action='store_true',
        help='every image of a video is a timestep, also '
        'those without annotations (BDD100K)')
    parser.add_argument(
        '--bdd',
        action='store_true',
        help='BDD100K protocol: --exhaustive --ignore-iscrowd '
        '--all-frames')
    parser.add_argument(
        '--per-class',
        action='store_true',
        help='also print and write per-class figures')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.bdd:
        args.exhaustive = args.ignore_iscrowd = args.all_frames = True
    try:
        gt = load_json_file(args.gt_json, 'ground-truth')
        results = load_json_file(args.results_json, 'results')
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    try:
        out = evaluate_teta(
            gt,
            results,
            exhaustive=args.exhaustive,
            max_dets=args.max_dets,
            use_tcc=args.tcc,
            ignore_iscrowd=args.ignore_iscrowd,
            all_frames=args.all_frames)
    except ValueError as err:  # names the entry; add the files
        print(
            f'error: {args.results_json} scored against {args.gt_json}: '
            f'{err}',
            file=sys.stderr)
        return 1
    print(teta_table(out, per_class=args.per_class))
    if args.out:
        if not args.per_class:
            out.pop('per_class')
        dump_json_atomic(out, args.out, indent=2)
        print(f'figures written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
