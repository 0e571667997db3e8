"""HOTA, CLEAR (MOTA, ...) and Identity (IDF1, ...) through ``trackeval``.

The metric classes of PyPI ``trackeval`` 1.3.0 (``HOTA``, ``CLEAR``,
``Identity``) are run directly on per-frame arrays built here, without
writing MOTChallenge files. Sequences are evaluated per class and combined:

* per class: sequences summed as trackeval does;
* ``combined``: classes combined by detection (trackeval's
  ``combine_classes_det_averaged``, BDD100K's "OVERALL" HOTA/IDF1);
* ``class_averaged`` and ``mHOTA``/``mIDF1``/``mMOTA``: the mean over the
  classes with at least one ground-truth or predicted box (trackeval's
  ``combine_classes_class_averaged(ignore_empty_classes=True)``).

Ignored ground truth (crowd regions, distractor classes, BDD100K's "other
person" ...) removes predictions before evaluation, by one of trackeval's
two rules:

* ``'bdd100k'``: class-c predictions not matched (Hungarian, IoU >= 0.5) to a
  class-c ground-truth box and lying more than 50 % (intersection over the
  prediction's area) inside an ignored box are removed;
* ``'motchallenge'``: trackeval's own ``MotChallenge2DBox`` preprocessing
  (``get_preprocessed_seq_data``, MOT17 rules) is called on the sequence:
  class-c predictions are matched (Hungarian, IoU >= 0.5) against every
  ground-truth box of the frame, zero-marked ones included; those matched
  to a distractor (``gt_ignore``) are removed; then ground truth that is
  zero-marked (``gt_considered`` False) or of another class is dropped,
  while predictions on zero-marked ground truth stay (they are FPs).

Figures are fractions in [0, 1] (trackeval's convention; HOTA-family figures
are averaged over its 19 thresholds 0.05 ... 0.95); counts are integers.
"""
from dataclasses import dataclass, field
from typing import Dict, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ['MOTSequence', 'evaluate_mot', 'MOT_METRICS', 'IGNORE_RULES']

MOT_METRICS = ('HOTA', 'CLEAR', 'Identity')
IGNORE_RULES = ('bdd100k', 'motchallenge')
EPS = np.finfo(float).eps
#: IoU of a TP match in CLEAR/Identity and in the ignore rules (trackeval).
MATCH_IOU_THR = 0.5
#: Fraction of a prediction inside an ignored box that removes it (BDD100K).
IGNORE_IOA_THR = 0.5


def _ints(x):
    return np.asarray(x, dtype=np.int64).reshape(-1)


def _boxes(x):
    return np.asarray(x, dtype=np.float64).reshape(-1, 4)


@dataclass
class MOTSequence:
    """One video as flat per-box arrays (frames 0-based, boxes x1y1x2y2).

    Ground truth: ``gt_label`` indexes the evaluated class list (-1: a class
    that is not evaluated); ``gt_ignore`` marks ignore regions / distractors;
    ``gt_considered`` False drops a box from evaluation without making it an
    ignore region (MOTChallenge's "consider" flag 0).
    """
    name: str
    num_frames: int
    gt_frame: np.ndarray = field(default_factory=lambda: _ints([]))
    gt_id: np.ndarray = field(default_factory=lambda: _ints([]))
    gt_box: np.ndarray = field(default_factory=lambda: _boxes([]))
    gt_label: np.ndarray = field(default_factory=lambda: _ints([]))
    gt_ignore: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    gt_considered: np.ndarray = field(
        default_factory=lambda: np.zeros(0, bool))
    pr_frame: np.ndarray = field(default_factory=lambda: _ints([]))
    pr_id: np.ndarray = field(default_factory=lambda: _ints([]))
    pr_box: np.ndarray = field(default_factory=lambda: _boxes([]))
    pr_label: np.ndarray = field(default_factory=lambda: _ints([]))
    pr_score: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self):
        self.gt_frame, self.gt_id = _ints(self.gt_frame), _ints(self.gt_id)
        self.gt_label, self.gt_box = _ints(self.gt_label), _boxes(self.gt_box)
        n_gt = len(self.gt_frame)
        self.gt_ignore = np.asarray(self.gt_ignore, bool).reshape(-1)
        self.gt_considered = np.asarray(self.gt_considered, bool).reshape(-1)
        if len(self.gt_ignore) == 0 and n_gt:
            self.gt_ignore = np.zeros(n_gt, bool)
        if len(self.gt_considered) == 0 and n_gt:
            self.gt_considered = ~self.gt_ignore
        self.pr_frame, self.pr_id = _ints(self.pr_frame), _ints(self.pr_id)
        self.pr_label, self.pr_box = _ints(self.pr_label), _boxes(self.pr_box)
        self.pr_score = np.asarray(self.pr_score, float).reshape(-1)
        if len(self.pr_score) == 0 and len(self.pr_frame):
            self.pr_score = np.ones(len(self.pr_frame))
        for prefix, names in (('gt', ('frame', 'id', 'box', 'label', 'ignore',
                                      'considered')),
                              ('pr', ('frame', 'id', 'box', 'label',
                                      'score'))):
            lens = {n: len(getattr(self, f'{prefix}_{n}')) for n in names}
            if len(set(lens.values())) > 1:
                raise ValueError(f'sequence {self.name!r}: {prefix} arrays '
                                 f'differ in length {lens}.')
        for what, frames in (('ground truth', self.gt_frame), ('predictions',
                                                               self.pr_frame)):
            if len(frames) and (frames.min() < 0
                                or frames.max() >= self.num_frames):
                raise ValueError(
                    f'sequence {self.name!r}: {what} refer to frame '
                    f'{int(frames.max()) + 1} (1-based) but the sequence has '
                    f'{self.num_frames} frames.')


def _box_iou(gt, pr, do_ioa=False):
    """trackeval's own box IoU (x0y0x1y1), so results match it exactly."""
    from trackeval.datasets._base_dataset import _BaseDataset
    return _BaseDataset._calculate_box_ious(
        gt, pr, box_format='x0y0x1y1', do_ioa=do_ioa)


def _matched_cols(sim):
    """Hungarian matching at IoU >= 0.5 as trackeval's preprocessing."""
    if sim.shape[0] == 0 or sim.shape[1] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    scores = sim.copy()
    scores[scores < MATCH_IOU_THR - EPS] = 0
    rows, cols = linear_sum_assignment(-scores)
    ok = scores[rows, cols] > 0 + EPS
    return rows[ok], cols[ok]


def _check_unique(seq, frames, ids, what):
    key = np.stack([frames, ids], 1)
    if len(np.unique(key, axis=0)) != len(key):
        _, inv, counts = np.unique(
            key, axis=0, return_inverse=True, return_counts=True)
        i = int(np.flatnonzero(counts[inv.reshape(-1)] > 1)[0])
        raise ValueError(f'sequence {seq.name!r}: {what} id {int(ids[i])} '
                         f'occurs twice in frame {int(frames[i]) + 1}.')


#: trackeval MotChallenge2DBox class ids used to hand a sequence to its
#: preprocessing: the evaluated class as 'pedestrian', distractors as
#: 'distractor', other ground truth as 'car' (a class that is neither).
_TE_EVAL, _TE_DISTRACTOR, _TE_OTHER = 1, 8, 3


def _dense_ids(ids: np.ndarray) -> np.ndarray:
    """Ids -> 0..n-1; negative ids (no identity) get fresh unique ids."""
    ids = ids.copy()
    neg = ids < 0
    ids[neg] = ids.max(initial=0) + 1 + np.arange(int(neg.sum()))
    return np.unique(ids, return_inverse=True)[1].reshape(-1)


def _motchallenge_class_data(seq: MOTSequence, cls: int) -> dict:
    """trackeval's ``MotChallenge2DBox.get_preprocessed_seq_data`` (MOT17
    benchmark, preprocessing on) on one sequence and class."""
    from trackeval.datasets import MotChallenge2DBox
    from trackeval.utils import TrackEvalException

    # the preprocessing reads only these attributes; the dataset's
    # __init__ (which wants a folder layout) is not needed
    ds = MotChallenge2DBox.__new__(MotChallenge2DBox)
    ds.benchmark, ds.do_preproc = 'MOT17', True
    ds.class_name_to_class_id = dict(
        pedestrian=_TE_EVAL, car=_TE_OTHER, distractor=_TE_DISTRACTOR)
    for name in ('person_on_vehicle', 'static_person', 'reflection',
                 'non_mot_vehicle'):  # named in the distractor list
        ds.class_name_to_class_id[name] = -1
    ds.valid_class_numbers = [_TE_EVAL, _TE_OTHER, _TE_DISTRACTOR]
    gt_cls = np.where(seq.gt_ignore, _TE_DISTRACTOR,
                      np.where(seq.gt_label == cls, _TE_EVAL, _TE_OTHER))
    gt_ids, pr_ids = _dense_ids(seq.gt_id), _dense_ids(seq.pr_id)
    pr_sel = seq.pr_label == cls
    raw = {
        k: []
        for k in ('gt_ids', 'gt_dets', 'gt_classes', 'gt_extras',
                  'tracker_ids', 'tracker_dets', 'tracker_classes',
                  'tracker_confidences', 'similarity_scores')
    }
    for t in range(seq.num_frames):
        g = np.flatnonzero(seq.gt_frame == t)
        p = np.flatnonzero((seq.pr_frame == t) & pr_sel)
        raw['gt_ids'].append(gt_ids[g])
        raw['gt_dets'].append(seq.gt_box[g])
        raw['gt_classes'].append(gt_cls[g])
        raw['gt_extras'].append(
            dict(zero_marked=seq.gt_considered[g].astype(int)))
        raw['tracker_ids'].append(pr_ids[p])
        raw['tracker_dets'].append(seq.pr_box[p])
        raw['tracker_classes'].append(np.ones(len(p), int))
        raw['tracker_confidences'].append(seq.pr_score[p])
        raw['similarity_scores'].append(_box_iou(seq.gt_box[g], seq.pr_box[p]))
    raw.update(num_timesteps=seq.num_frames, seq=seq.name)
    try:
        return ds.get_preprocessed_seq_data(raw, 'pedestrian')
    except TrackEvalException as err:
        raise ValueError(f'sequence {seq.name!r}: {err}') from None


def _sequence_class_data(seq: MOTSequence, cls: int, ignore_rule: str) -> dict:
    """trackeval's per-sequence, per-class input dict."""
    if ignore_rule == 'motchallenge':
        known = seq.gt_id >= 0  # ignore regions may carry no id (-1)
        _check_unique(seq, seq.gt_frame[known], seq.gt_id[known],
                      'ground-truth')
        pr_cls = seq.pr_label == cls
        _check_unique(seq, seq.pr_frame[pr_cls], seq.pr_id[pr_cls], 'track')
        return _motchallenge_class_data(seq, cls)
    data = dict(gt_ids=[], tracker_ids=[], similarity_scores=[])
    gt_eval = (seq.gt_label == cls) & seq.gt_considered & ~seq.gt_ignore
    _check_unique(seq, seq.gt_frame[gt_eval], seq.gt_id[gt_eval],
                  'ground-truth')
    pr_cls = seq.pr_label == cls
    _check_unique(seq, seq.pr_frame[pr_cls], seq.pr_id[pr_cls], 'track')
    gt_order = np.argsort(seq.gt_frame, kind='stable')
    pr_order = np.argsort(seq.pr_frame, kind='stable')
    gt_bounds = np.searchsorted(seq.gt_frame[gt_order],
                                np.arange(seq.num_frames + 1))
    pr_bounds = np.searchsorted(seq.pr_frame[pr_order],
                                np.arange(seq.num_frames + 1))
    gt_id_list, pr_id_list = [], []
    for t in range(seq.num_frames):
        g_all = gt_order[gt_bounds[t]:gt_bounds[t + 1]]
        p = pr_order[pr_bounds[t]:pr_bounds[t + 1]]
        p = p[pr_cls[p]]
        g = g_all[gt_eval[g_all]]
        sim = _box_iou(seq.gt_box[g], seq.pr_box[p])
        ign = g_all[seq.gt_ignore[g_all]]
        remove = np.zeros(len(p), bool)
        if len(ign) and len(p):  # trackeval's BDD100K rule
            _, cols = _matched_cols(sim)
            unmatched = np.ones(len(p), bool)
            unmatched[cols] = False
            ioa = _box_iou(seq.pr_box[p], seq.gt_box[ign], do_ioa=True)
            remove = unmatched & np.any(ioa > IGNORE_IOA_THR + EPS, axis=1)
        p = p[~remove]
        data['gt_ids'].append(seq.gt_id[g])
        data['tracker_ids'].append(seq.pr_id[p])
        data['similarity_scores'].append(sim[:, ~remove])
        gt_id_list.append(seq.gt_id[g])
        pr_id_list.append(seq.pr_id[p])
    # relabel ids to 0..n-1 as trackeval does
    for key, ids in (('gt', gt_id_list), ('tracker', pr_id_list)):
        flat = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        uniq = np.unique(flat)
        data[f'{key}_ids'] = [np.searchsorted(uniq, x) for x in ids]
        data[f'num_{key}_ids'] = len(uniq)
        data[f'num_{key}_dets'] = len(flat)
    data['num_timesteps'] = seq.num_frames
    data['seq'] = seq.name
    return data


def _summarise(metric, res: dict) -> dict:
    """trackeval result -> floats (HOTA arrays averaged over thresholds)."""
    out = {}
    for f in metric.float_array_fields + metric.float_fields:
        if f != 'MOTP_sum':  # an internal sum, not a figure
            out[f] = float(np.mean(res[f]))
    for f in metric.integer_fields:
        out[f] = int(res[f])
    return out


def _build_metrics(names: Sequence[str]):
    import trackeval
    unknown = [m for m in names if m not in MOT_METRICS]
    if unknown:
        raise ValueError(f'unknown MOT metric(s) {unknown}; choose from '
                         f'{MOT_METRICS}.')
    cfg = dict(THRESHOLD=MATCH_IOU_THR, PRINT_CONFIG=False)
    return {m: getattr(trackeval.metrics, m)(dict(cfg)) for m in names}


def evaluate_mot(sequences: Sequence[MOTSequence],
                 classes: Sequence[str],
                 metrics: Sequence[str] = MOT_METRICS,
                 ignore_rule: str = 'bdd100k') -> dict:
    """HOTA / CLEAR / Identity per class and combined.

    Args:
        sequences: the videos; labels index ``classes``.
        classes: names of the evaluated classes.
        metrics: any of ``'HOTA', 'CLEAR', 'Identity'``.
        ignore_rule: ``'bdd100k'`` or ``'motchallenge'`` (module docstring).

    Returns:
        ``{'per_class': {name: figures}, 'combined': figures,
        'class_averaged': figures, 'mHOTA', 'mIDF1', 'mMOTA'}`` where
        ``figures`` maps trackeval's field names (HOTA, DetA, AssA, DetRe,
        DetPr, AssRe, AssPr, LocA, MOTA, MOTP, IDSW, CLR_TP, ..., IDF1, IDP,
        IDR, IDTP, ...) to numbers.
    """
    if ignore_rule not in IGNORE_RULES:
        raise ValueError(f'ignore_rule must be one of {IGNORE_RULES}; got '
                         f'{ignore_rule!r}.')
    if not classes:
        raise ValueError('evaluate_mot needs at least one class.')
    if not sequences:
        raise ValueError('evaluate_mot got no sequence to evaluate.')
    metric_objs = _build_metrics(metrics)
    per_class_raw: Dict[str, Dict[str, dict]] = {}
    for ci, cname in enumerate(classes):
        seq_res = {m: {} for m in metric_objs}
        for seq in sequences:
            data = _sequence_class_data(seq, ci, ignore_rule)
            for m, obj in metric_objs.items():
                seq_res[m][seq.name] = obj.eval_sequence(data)
        per_class_raw[cname] = {
            m: obj.combine_sequences(seq_res[m])
            for m, obj in metric_objs.items()
        }
    out = dict(
        per_class={
            c: {
                k: v
                for m, obj in metric_objs.items()
                for k, v in _summarise(obj, per_class_raw[c][m]).items()
            }
            for c in classes
        })
    combined, averaged = {}, {}
    for m, obj in metric_objs.items():
        by_class = {c: per_class_raw[c][m] for c in classes}
        combined.update(
            _summarise(obj, obj.combine_classes_det_averaged(by_class)))
        non_empty = {c: r for c, r in by_class.items() if _non_empty(m, r)}
        if non_empty:
            averaged.update(
                _summarise(
                    obj,
                    obj.combine_classes_class_averaged(
                        non_empty, ignore_empty_classes=False)))
    out['combined'] = combined
    out['class_averaged'] = averaged
    for key, field_name in (('mHOTA', 'HOTA'), ('mIDF1', 'IDF1'), ('mMOTA',
                                                                   'MOTA')):
        if field_name in averaged:
            out[key] = averaged[field_name]
        elif any(field_name in v for v in out['per_class'].values()):
            out[key] = float('nan')  # no class with any box
    return out


def _non_empty(metric_name: str, res: dict) -> bool:
    """A class with at least one ground-truth or predicted box (the
    ``ignore_empty_classes`` test of trackeval)."""
    if metric_name == 'HOTA':
        return bool(
            np.any(res['HOTA_TP'] + res['HOTA_FN'] + res['HOTA_FP'] > 0 + EPS))
    if metric_name == 'CLEAR':
        return res['CLR_TP'] + res['CLR_FN'] + res['CLR_FP'] > 0
    return res['IDTP'] + res['IDFN'] + res['IDFP'] > 0 + EPS
