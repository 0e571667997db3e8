"""CLEAR MOT and identity counts with ``motmetrics``' event rules.

BDD100K's official box-tracking evaluation (scalabel ``eval/mot.py``) feeds
``motmetrics.MOTAccumulator`` frame by frame and reads MOTA, MOTP, IDF1, FP,
FN, IDSw, MT, PT, ML and FM from it. ``motmetrics`` 1.4.0 (the last release)
calls ``np.asfarray``, which numpy 2 removed, so the same rules are written
here (Bernardin & Stiefelhagen 2008; Ristani et al. 2016 for IDF1):

1. an object keeps its previous hypothesis if that hypothesis is in the
   frame with a finite distance (a ``MATCH``);
2. the other objects and hypotheses are paired by a minimum-cost assignment
   of the finite distances (the most pairs first, then the least cost);
   a pair whose object was last matched to another hypothesis is an
   ``SWITCH`` (IDSw), otherwise a ``MATCH``;
3. unpaired objects are misses (FN), unpaired hypotheses false positives;
4. MT / PT / ML: objects tracked in >= 80 %, 20-80 %, < 20 % of the frames
   they appear in; FM: the object's tracked -> missed transitions between
   its first and last tracked frame;
5. IDF1 = 2 IDTP / (objects + hypotheses), IDTP the co-occurrences (finite
   distance) of the best one-to-one object / hypothesis assignment.

Distances are ``1 - IoU`` of ``[x, y, w, h]`` boxes, NaN above
``1 - iou_thr`` (motmetrics' ``iou_matrix``).
"""
from collections import Counter, defaultdict
from typing import Dict, Iterable, List

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = [
    'ClearAccumulator', 'iou_distances', 'min_cost_pairs', 'clear_id_summary'
]

#: motmetrics' mostly-tracked / mostly-lost ratios (MT >= 0.8, ML < 0.2).
MOSTLY_TRACKED, MOSTLY_LOST = 0.8, 0.2
#: counts reported by ``clear_id_summary``.
COUNT_KEYS = ('FP', 'FN', 'IDSw', 'MT', 'PT', 'ML', 'FM')


def iou_distances(gt_xywh, pr_xywh, iou_thr: float = 0.5) -> np.ndarray:
    """``1 - IoU`` [G, P] of x, y, w, h boxes; NaN where IoU < iou_thr."""
    a = np.asarray(gt_xywh, np.float64).reshape(-1, 1, 4)
    b = np.asarray(pr_xywh, np.float64).reshape(1, -1, 4)
    lo = np.maximum(a[..., :2], b[..., :2])
    hi = np.minimum(a[..., :2] + a[..., 2:], b[..., :2] + b[..., 2:])
    inter = np.prod(np.maximum(hi - lo, 0), axis=-1)
    vol_a = np.prod(np.maximum(a[..., 2:], 0), axis=-1)
    vol_b = np.prod(np.maximum(b[..., 2:], 0), axis=-1)
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.where(inter == 0, 0.0, inter / (vol_a + vol_b - inter))
    dist = 1.0 - iou
    return np.where(dist > 1.0 - iou_thr, np.nan, dist)


def min_cost_pairs(cost: np.ndarray):
    """Rows / columns of a minimum-cost assignment over the finite entries
    (NaN: not allowed): as many pairs as possible, then the least cost."""
    cost = np.asarray(cost, np.float64)
    valid = np.isfinite(cost)
    if cost.size == 0 or not valid.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # an invalid edge costs more than any r valid ones together
    r = min(cost.shape)
    big = 2 * r * (np.abs(cost[valid]).max() + 1) + 1
    rows, cols = linear_sum_assignment(np.where(valid, cost, big))
    keep = valid[rows, cols]
    return rows[keep], cols[keep]


class ClearAccumulator:
    """The events of one class in one video (``motmetrics``' accumulator
    rules, module docstring)."""

    def __init__(self):
        self.prev = {}  # object id -> its last matched hypothesis
        self.num_updates = 0
        self.matches = self.switches = self.misses = self.fps = 0
        self.dist_sum = 0.0
        self.obj_states = defaultdict(list)  # oid -> [tracked per frame]
        self.hyp_count = 0  # hypothesis boxes (IDF1's denominator)
        self.overlap = Counter()  # (oid, hid) -> frames with finite dist

    def update(self, oids, hids, dists) -> None:
        # ids as Python objects (ints or strings) for the dict keys
        oids = np.array(list(oids) + [None], object)[:-1]
        hids = np.array(list(hids) + [None], object)[:-1]
        dists = np.asarray(dists, np.float64).reshape(len(oids),
                                                      len(hids)).copy()
        self.num_updates += 1
        for i, j in zip(*np.nonzero(np.isfinite(dists))):
            self.overlap[(oids[i], hids[j])] += 1
        self.hyp_count += len(hids)
        o_done = np.zeros(len(oids), bool)
        h_done = np.zeros(len(hids), bool)
        if len(oids) and len(hids):
            for i, o in enumerate(oids):  # 1. keep previous pairs
                if o not in self.prev:
                    continue
                js = np.flatnonzero(~h_done & (hids == self.prev[o]))
                if len(js) and np.isfinite(dists[i, js[0]]):
                    self._pair(
                        i,
                        js[0],
                        oids,
                        hids,
                        dists,
                        o_done,
                        h_done,
                        switch=False)
            dists[o_done, :] = np.nan
            dists[:, h_done] = np.nan
            for i, j in zip(*min_cost_pairs(dists)):  # 2. the rest
                o = oids[i]
                switch = o in self.prev and self.prev[o] != hids[j]
                self._pair(i, j, oids, hids, dists, o_done, h_done, switch)
        for i in np.flatnonzero(~o_done):  # 3. misses
            self.misses += 1
            self.obj_states[oids[i]].append(False)
        self.fps += int((~h_done).sum())  # 4. false positives

    def _pair(self, i, j, oids, hids, dists, o_done, h_done, switch):
        o, h = oids[i], hids[j]
        o_done[i] = h_done[j] = True
        self.prev[o] = h
        self.dist_sum += float(dists[i, j])
        self.obj_states[o].append(True)
        if switch:
            self.switches += 1
        else:
            self.matches += 1

    def idtp(self) -> int:
        """Co-occurrences of the best one-to-one object / hypothesis
        assignment (the identity true positives)."""
        if not self.overlap:
            return 0
        oids = sorted({o for o, _ in self.overlap})
        hids = sorted({h for _, h in self.overlap})
        w = np.zeros((len(oids), len(hids)))
        oi = {o: k for k, o in enumerate(oids)}
        hi = {h: k for k, h in enumerate(hids)}
        for (o, h), n in self.overlap.items():
            w[oi[o], hi[h]] = n
        rows, cols = linear_sum_assignment(-w)
        return int(w[rows, cols].sum())


def _fragmentations(states: List[bool]) -> int:
    s = np.asarray(states, bool)
    tracked = np.flatnonzero(s)
    if len(tracked) == 0:
        return 0
    span = s[tracked[0]:tracked[-1] + 1]
    return int(np.sum(span[:-1] & ~span[1:]))


def clear_id_summary(accs: Iterable[ClearAccumulator]) -> Dict[str, float]:
    """MOTA, MOTP, IDF1 (percent) and the counts of ``COUNT_KEYS`` over
    accumulators of separate videos / classes (their ids never meet).

    MOTP is ``100 * (1 - mean distance)`` = the mean IoU of the matches.
    A figure without a denominator is NaN."""
    accs = [a for a in accs if a.num_updates]
    if not accs:
        return {k: float('nan') for k in ('MOTA', 'MOTP', 'IDF1') + COUNT_KEYS}
    n_obj = sum(len(s) for a in accs for s in a.obj_states.values())
    n_hyp = sum(a.hyp_count for a in accs)
    fn = sum(a.misses for a in accs)
    fp = sum(a.fps for a in accs)
    idsw = sum(a.switches for a in accs)
    n_det = sum(a.matches + a.switches for a in accs)
    ratios = np.array(
        [np.mean(s) for a in accs for s in a.obj_states.values()])
    idtp = sum(a.idtp() for a in accs)
    with np.errstate(divide='ignore', invalid='ignore'):
        return dict(
            MOTA=float(100 * (1 - np.float64(fn + fp + idsw) / n_obj)),
            MOTP=float(100 * (1 - np.float64(sum(a.dist_sum
                                                 for a in accs)) / n_det)),
            IDF1=float(100 * np.float64(2 * idtp) / (n_obj + n_hyp)),
            FP=fp,
            FN=fn,
            IDSw=idsw,
            MT=int(np.sum(ratios >= MOSTLY_TRACKED)),
            PT=int(
                np.sum((ratios >= MOSTLY_LOST)
                       & (ratios < MOSTLY_TRACKED))),
            ML=int(np.sum(ratios < MOSTLY_LOST)),
            FM=sum(
                _fragmentations(s) for a in accs
                for s in a.obj_states.values()))
