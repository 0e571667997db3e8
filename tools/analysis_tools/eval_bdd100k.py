"""Evaluate BDD100K box tracking (MOT) as the official evaluator does.

Usage::

    python tools/analysis_tools/eval_bdd100k.py GT PREDICTIONS \
        [--config box_track.toml] [--out OUT_JSON] [--ignore-unknown-cats] \
        [--no-hota] [--no-teta]

GT and PREDICTIONS are Scalabel-format BDD100K MOT labels: a folder of
per-video JSON files (``labels/box_track_20/val``) or one JSON file of
frames. Categories follow bdd100k's ``configs/box_track.toml`` (8 classes,
super-categories human / vehicle / bike, ``name_mapping``,
``ignore_mapping``, crowd boxes as ignore regions); ``--config`` reads
another scalabel / bdd100k category tree. Prints scalabel's table (MOTA,
MOTP, IDF1, FP, FN, IDSw, MT, PT, ML, FM per class, super-category,
AVERAGE and OVERALL), mMOTA / mIDF1 / mMOTP, HOTA / mHOTA and TETA (BDD100K
options). ``--out`` writes every figure to a JSON file. Rules and sources:
``scaletrack/evaluation/functional/bdd100k_mot.py``.
"""
import argparse
import sys

from scaletrack.evaluation.functional.bdd100k_mot import (evaluate_bdd100k_mot,
                                                          load_category_tree)
from scaletrack.evaluation.functional.tables import bdd100k_table
from scaletrack.utils.file_io import dump_json_atomic


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='BDD100K MOT metrics of Scalabel-format predictions.')
    parser.add_argument('gt', help='Scalabel ground truth: folder or file')
    parser.add_argument(
        'predictions', help='Scalabel predictions: folder '
        'or file')
    parser.add_argument(
        '--config',
        help='category tree TOML (default: '
        "bdd100k's box_track.toml tree)")
    parser.add_argument(
        '--ignore-unknown-cats',
        action='store_true',
        help='skip (and count) labels of categories outside '
        'the tree instead of stopping')
    parser.add_argument(
        '--no-hota', action='store_true', help='skip HOTA / mHOTA')
    parser.add_argument('--no-teta', action='store_true', help='skip TETA')
    parser.add_argument('--out', help='write all figures to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        tree = load_category_tree(args.config) if args.config else None
        out = evaluate_bdd100k_mot(
            args.gt,
            args.predictions,
            category_tree=tree,
            ignore_unknown=args.ignore_unknown_cats,
            with_hota=not args.no_hota,
            with_teta=not args.no_teta)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for what, n in out['skipped'].items():
        print(f'skipped: {n} {what}')
    print(bdd100k_table(out))
    if args.out:
        if 'TETA' in out:
            out['TETA'].pop('per_class', None)
        dump_json_atomic(out, args.out, indent=2)
        print(f'figures written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
