"""MOTChallenge text files: reading ground truth / results, writing results.

Layout (MOT16/17/20, SportsMOT, DanceTrack): ``<root>/<seq>/gt/gt.txt`` with
rows ``frame, id, x, y, w, h, consider, class, visibility`` (1-based frames),
``<root>/<seq>/seqinfo.ini`` (``[Sequence] seqLength=...``) and results
``<results>/<seq>.txt`` with rows ``frame, id, x, y, w, h, score, -1, -1,
-1``. MOT15-style ground truth has ``-1`` in the class column: every row is
then a pedestrian and no distractor rule applies (trackeval's MOT15 setting).
"""
import configparser
import math
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

from ...utils.file_io import write_text_atomic
from .mot_metrics import MOTSequence

__all__ = [
    'MOTCHALLENGE_CLASSES', 'MOTCHALLENGE_DISTRACTORS', 'read_mot_txt',
    'read_seqinfo', 'read_motchallenge_gt', 'load_motchallenge_sequence',
    'list_motchallenge_seqs', 'format_motchallenge_results',
    'write_motchallenge_results'
]

#: MOTChallenge class ids (MOT16/17/20 ground truth), as trackeval names them.
MOTCHALLENGE_CLASSES = {
    'pedestrian': 1,
    'person_on_vehicle': 2,
    'car': 3,
    'bicycle': 4,
    'motorbike': 5,
    'non_mot_vehicle': 6,
    'static_person': 7,
    'distractor': 8,
    'occluder': 9,
    'occluder_on_ground': 10,
    'occluder_full': 11,
    'reflection': 12,
    'crowd': 13
}
#: Classes whose matched predictions are removed (trackeval, MOT16/17; MOT20
#: adds non_mot_vehicle = 6).
MOTCHALLENGE_DISTRACTORS = (2, 7, 8, 12)
_SPLIT = re.compile(r'[,\s]+')


def read_mot_txt(path: str, min_cols: int) -> np.ndarray:
    """Rows of a MOTChallenge text file as a float array [N, >= min_cols]
    (comma or whitespace separated).

    A clear error names the file and line of: text that is not numbers, a
    line with fewer than ``min_cols`` columns or with another column count
    than the file's first line (a file cut mid-line), a value that is not
    finite, a negative width or height (columns 5, 6)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'MOTChallenge file {path!r} does not '
                                'exist; check the folder layout.')
    rows, n_cols = [], None
    with open(path, 'r', encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = [p for p in _SPLIT.split(line) if p]
            try:
                vals = [float(p) for p in parts]
            except ValueError:
                raise ValueError(f'{path}:{lineno}: cannot read numbers from '
                                 f'{line!r}.') from None
            if len(vals) < min_cols:
                raise ValueError(f'{path}:{lineno}: expected at least '
                                 f'{min_cols} columns, got {len(vals)} '
                                 f'({line!r}); is the file truncated?')
            if n_cols is None:
                n_cols = len(vals)
            elif len(vals) != n_cols:
                raise ValueError(f'{path}:{lineno}: {len(vals)} columns but '
                                 f'the first line has {n_cols} ({line!r}); '
                                 'is the file truncated or mixed?')
            if not all(map(math.isfinite, vals)):
                raise ValueError(f'{path}:{lineno}: a value is not finite '
                                 f'({line!r}).')
            if vals[4] < 0 or vals[5] < 0:
                raise ValueError(f'{path}:{lineno}: negative box width or '
                                 f'height ({line!r}).')
            rows.append(vals[:10] + [-1.0] * (10 - len(vals[:10])))
    if not rows:
        return np.zeros((0, 10))
    arr = np.asarray(rows, dtype=np.float64)
    if np.any(arr[:, 0] < 1):
        raise ValueError(f'{path}: frame numbers are 1-based; found '
                         f'{int(arr[:, 0].min())}.')
    return arr


def read_seqinfo(path: str) -> Dict[str, str]:
    """The ``[Sequence]`` section of a seqinfo.ini."""
    parser = configparser.ConfigParser()
    parser.optionxform = str  # keep seqLength's case
    if not parser.read(path) or 'Sequence' not in parser:
        raise ValueError(f'{path!r} is not a seqinfo.ini with a [Sequence] '
                         'section.')
    return dict(parser['Sequence'])


def list_motchallenge_seqs(gt_root: str) -> List[str]:
    """Sequences of a ground-truth root: sub-folders holding gt/gt.txt."""
    if not osp.isdir(gt_root):
        raise FileNotFoundError(f'ground-truth root {gt_root!r} is not a '
                                'folder.')
    seqs = sorted(
        d for d in os.listdir(gt_root)
        if osp.isfile(osp.join(gt_root, d, 'gt', 'gt.txt')))
    if not seqs:
        raise ValueError(f'{gt_root!r} holds no <seq>/gt/gt.txt; is it a '
                         'MOTChallenge split folder?')
    return seqs


def _class_index(class_ids: np.ndarray,
                 classes: Sequence[str],
                 ids_of_classes: Optional[Sequence[int]] = None):
    """MOTChallenge class id -> index in ``classes`` (-1: not evaluated);
    ``ids_of_classes`` gives the gt.txt id of each class (default: the
    MOTChallenge id of its name)."""
    if ids_of_classes is None:
        unknown = [c for c in classes if c not in MOTCHALLENGE_CLASSES]
        if unknown:
            raise ValueError(f'unknown MOTChallenge class(es) {unknown}; '
                             f'known: {sorted(MOTCHALLENGE_CLASSES)} (or '
                             'give the gt.txt class id of each class).')
        ids_of_classes = [MOTCHALLENGE_CLASSES[c] for c in classes]
    out = np.full(len(class_ids), -1, np.int64)
    for i, cid in enumerate(ids_of_classes):
        out[class_ids == int(cid)] = i
    return out


def _xywh_to_xyxy(a: np.ndarray) -> np.ndarray:
    return np.stack([a[:, 0], a[:, 1], a[:, 0] + a[:, 2], a[:, 1] +
                     a[:, 3]], 1) if len(a) else np.zeros((0, 4))


def read_motchallenge_gt(gt_root: str,
                         seq: str,
                         classes: Sequence[str] = ('pedestrian', ),
                         distractors: Sequence[int] = MOTCHALLENGE_DISTRACTORS,
                         class_ids: Optional[Sequence[int]] = None) -> dict:
    """A sequence's ``gt/gt.txt`` as ``MOTSequence`` ground-truth fields
    (``gt_frame`` still 1-based): every row, as trackeval reads them, with
    ``gt_ignore`` marking distractor classes and ``gt_considered`` False for
    zero-marked rows (``int(consider) == 0``, trackeval's ``zero_marked``).
    ``class_ids``: the gt.txt class id of each of ``classes`` (default: by
    MOTChallenge name; SportsMOT's ``player`` is 1).
    """
    gt = read_mot_txt(osp.join(gt_root, seq, 'gt', 'gt.txt'), min_cols=7)
    gt_cls = gt[:, 7].astype(np.int64)
    mot15 = bool(np.all(gt_cls <= 0))  # no class information
    if mot15:
        gt_cls = np.full(len(gt), MOTCHALLENGE_CLASSES['pedestrian'])
        ignore = np.zeros(len(gt), bool)
    else:
        ignore = np.isin(gt_cls, np.asarray(distractors, np.int64))
    return dict(
        gt_frame=gt[:, 0].astype(np.int64),
        gt_id=gt[:, 1].astype(np.int64),
        gt_box=_xywh_to_xyxy(gt[:, 2:6]),
        gt_label=_class_index(gt_cls, classes, class_ids),
        gt_ignore=ignore,
        # trackeval: zero_marked = int(consider) (0.5 -> 0: dropped)
        gt_considered=gt[:, 6].astype(np.int64) != 0)


def load_motchallenge_sequence(
        gt_root: str,
        seq: str,
        results_dir: str,
        classes: Sequence[str] = ('pedestrian', ),
        distractors: Sequence[int] = MOTCHALLENGE_DISTRACTORS) -> MOTSequence:
    """Read one sequence's ground truth and results."""
    try:
        gt = read_motchallenge_gt(gt_root, seq, classes, distractors)
    except ValueError as err:
        raise ValueError(f'{seq}: {err}') from None
    res_path = osp.join(results_dir, f'{seq}.txt')
    if not osp.isfile(res_path):
        raise FileNotFoundError(f'no results for sequence {seq!r}: '
                                f'{res_path!r} does not exist.')
    res = read_mot_txt(res_path, min_cols=6)
    ini = osp.join(gt_root, seq, 'seqinfo.ini')
    if osp.isfile(ini):
        info = read_seqinfo(ini)
        if 'seqLength' not in info:
            raise ValueError(f'{ini!r} has no seqLength.')
        num_frames = int(info['seqLength'])
    else:  # no seqinfo.ini: the last frame that has a box
        num_frames = int(
            max(gt['gt_frame'].max(initial=0), res[:, 0].max(initial=0)))
    gt['gt_frame'] = gt['gt_frame'] - 1
    res_cls = res[:, 7].astype(np.int64)
    res_cls[res_cls <= 0] = MOTCHALLENGE_CLASSES['pedestrian']
    pr_label = _class_index(res_cls, classes)
    if len(pr_label) and np.all(pr_label < 0):
        raise ValueError(f'{res_path}: no row is of an evaluated class '
                         f'{list(classes)} (class column: '
                         f'{sorted(set(res_cls.tolist()))[:5]}); check '
                         '--classes or the class column.')
    try:
        return MOTSequence(
            name=seq,
            num_frames=num_frames,
            pr_frame=res[:, 0].astype(np.int64) - 1,
            pr_id=res[:, 1].astype(np.int64),
            pr_box=_xywh_to_xyxy(res[:, 2:6]),
            pr_label=pr_label,
            pr_score=res[:, 6],
            **gt)
    except ValueError as err:
        raise ValueError(f'{seq}: {err}') from None


def format_motchallenge_results(frames: np.ndarray,
                                ids: np.ndarray,
                                boxes_xyxy: np.ndarray,
                                scores: Optional[np.ndarray] = None) -> str:
    """MOTChallenge result rows ``frame, id, x, y, w, h, score, -1, -1, -1``
    for 0-based ``frames`` (written 1-based), sorted by frame then id."""
    frames = np.asarray(frames, np.int64).reshape(-1)
    ids = np.asarray(ids, np.int64).reshape(-1)
    boxes = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4)
    scores = np.ones(len(frames)) if scores is None else np.asarray(
        scores, np.float64).reshape(-1)
    order = np.lexsort((ids, frames))
    # 3 decimals (1/1000 pixel) for boxes as mmdet's MOTChallengeMetric;
    # 5 for scores so that score thresholds survive the round trip
    lines = [
        f'{f + 1},{i},{b[0]:.3f},{b[1]:.3f},{b[2] - b[0]:.3f},'
        f'{b[3] - b[1]:.3f},{s:.5f},-1,-1,-1\n'
        for f, i, b, s in zip(frames[order].tolist(), ids[order].tolist(),
                              boxes[order], scores[order].tolist())
    ]
    return ''.join(lines)


def write_motchallenge_results(path: str,
                               frames,
                               ids,
                               boxes_xyxy,
                               scores=None) -> None:
    """Write one sequence's results file atomically."""
    write_text_atomic(
        path, format_motchallenge_results(frames, ids, boxes_xyxy, scores))
