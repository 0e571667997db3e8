"""TETA (Track Every Thing Accuracy, Li et al., ECCV 2022), vectorised.

This is this project's own implementation of the metric as the reference
``teta`` package (SysCV/tet) computes it for TAO, with the numbers of the
reference; see ``docs/evaluation.md`` for the definitions. In short, per
video:

* **Global assignment** (class agnostic): predicted tracks that overlap any
  ground truth box (IoU >= 0.5) in some frame take part; the HOTA global
  alignment score ``A(g, k) = sum_t simIoU_t(g, k) / (|g| + |k| - sum_t
  simIoU_t(g, k))`` is computed, every frame is matched by Hungarian on
  ``A * IoU`` and pairs with IoU >= 0.5 form the assignment.
* **Local clusters** per class c: a predicted box overlaps class c in frame t
  if its IoU with a class-c ground-truth box of frame t is >= 0.5, unless the
  global assignment gave it to a ground-truth box of another class in that
  frame. Tracks with an overlapping box in some frame take part in class c
  (all their boxes); the others are ignored.
* **Matching** per class and frame: Hungarian on ``A_c * IoU`` (``A_c``
  recomputed on the class-c data); a pair counts at threshold ``a`` if
  ``IoU >= a``.
* ``LocA(a) = TP / (TP + FN + FP)`` with FP the overlapping boxes left
  unmatched; ``AssocA(a)`` is HOTA's AssA over the matches;
  ``ClsA(a) = TPc / (TPc + FNc + FPc)`` where a match of another predicted
  class is an FNc of c and an FPc of the predicted class. ``exhaustive``
  also counts class-c boxes outside the class-c clusters as FPc.
* LocA and AssocA average 20 thresholds ``a = 0.00 ... 0.95``; ClsA the 10
  thresholds ``0.50 ... 0.95``. Sequences are summed per class, classes with
  ground truth are averaged.

BDD100K (the reference ``BDD`` dataset, as scalabel runs it) differs in two
opt-in ways: ``ignore_iscrowd`` turns ``iscrowd`` / ``ignore`` annotations
into ignore regions (a prediction left unmatched by a per-frame Hungarian on
IoU >= 0.5 and more than half inside one is removed before everything
else), and ``all_frames`` makes every image of a video a timestep instead of
only the annotated ones.

Only the Hungarian matchings loop in Python (one small dense problem per
frame and class, as in the reference, so ties are broken identically);
everything else works on flat arrays of boxes and box pairs.
"""
from typing import Dict, List

import numpy as np
from scipy.optimize import linear_sum_assignment

from .tao_format import (TaoGroundTruth, TaoPredictions,
                         parse_tao_ground_truth, prepare_tao_results)

__all__ = ['evaluate_teta', 'TETA_KEYS', 'LOC_ALPHAS', 'CLS_ALPHA_START']

#: 20 localisation thresholds 0.00, 0.05, ..., 0.95, generated exactly as
#: the reference does (np.arange), so the float values compare identically.
LOC_ALPHAS = np.arange(0.0, 0.99, 0.05)
#: ClsA uses the thresholds from 0.50 on: LOC_ALPHAS[10:].
CLS_ALPHA_START = 10
#: IoU a box needs with a ground-truth box to join its local cluster
#: (the "50" of TETA50) and to be kept by the global assignment.
CLUSTER_IOU_THR = 0.5
#: BDD100K ignore regions (``ignore_iscrowd``): an unmatched predicted box
#: more than this fraction inside an ignored box (intersection over the
#: predicted box's area, strictly above, as the reference) is removed.
IGNORE_IOA_THR = 0.5
EPS = np.finfo(float).eps
TETA_KEYS = ('TETA', 'LocA', 'AssocA', 'ClsA', 'LocRe', 'LocPr', 'AssocRe',
             'AssocPr', 'ClsRe', 'ClsPr')
#: Largest number of (gt box, predicted box) candidate pairs whose IoU is
#: computed at once: bounds the temporary memory to ~150 MB.
_PAIR_CHUNK = 1_000_000


def _xyxy(boxes: np.ndarray):
    """x1, y1, x2, y2 and area of [x, y, w, h] boxes, with the reference's
    arithmetic (x2 = x + w, area from the converted corners)."""
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    return x1, y1, x2, y2, (x2 - x1) * (y2 - y1)


def _group_starts(sorted_group: np.ndarray, n_groups: int):
    start = np.searchsorted(sorted_group, np.arange(n_groups))
    count = np.diff(np.append(start, len(sorted_group)))
    return start, count


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(c) for c in counts."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    return np.arange(total) - np.repeat(ends - counts, counts)


def _isin_sorted(keys: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    if len(sorted_unique) == 0:
        return np.zeros(len(keys), bool)
    pos = np.minimum(
        np.searchsorted(sorted_unique, keys),
        len(sorted_unique) - 1)
    return sorted_unique[pos] == keys


def _dense_index(keys: np.ndarray):
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, inv.reshape(-1)


def _box_iou(a_box, b_box, ia, ib):
    """IoU of the boxes ``a_box[ia]`` and ``b_box[ib]`` (reference
    arithmetic; 0 for boxes of area <= eps)."""
    ax1, ay1, ax2, ay2, aa = (v[ia] for v in a_box)
    bx1, by1, bx2, by2, ba = (v[ib] for v in b_box)
    inter = np.maximum(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0) * \
        np.maximum(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0)
    union = aa + ba - inter
    inter[(aa <= EPS) | (ba <= EPS) | (union <= EPS)] = 0
    union[union <= EPS] = 1
    return inter / union


def _box_ioa(a_box, b_box, ia, ib):
    """Intersection of ``a_box[ia]`` and ``b_box[ib]`` over the area of
    ``a_box[ia]`` (0 where that area is <= eps), as the reference's
    ``do_ioa``."""
    ax1, ay1, ax2, ay2, aa = (v[ia] for v in a_box)
    bx1, by1, bx2, by2, _ = (v[ib] for v in b_box)
    inter = np.maximum(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0) * \
        np.maximum(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0)
    valid = aa > EPS
    out = np.zeros_like(inter)
    out[valid] = inter[valid] / aa[valid]
    return out


def _frame_pairs(a_frame, b_start, b_count, measure):
    """All (a box, b box) pairs of the same frame with ``measure > 0``.

    ``a_frame`` is the frame of every a box (sorted), ``b_start`` /
    ``b_count`` the slice of each frame's b boxes; ``measure(ia, ib)``
    scores index arrays. Returns (a index, b index, value), sorted by
    frame; the pairs are enumerated in chunks of ``_PAIR_CHUNK``."""
    n_a = len(a_frame)
    out_a, out_b, out_v = [], [], []
    reps_all = b_count[a_frame]
    bounds = np.searchsorted(
        np.cumsum(reps_all),
        np.arange(_PAIR_CHUNK,
                  reps_all.sum() + _PAIR_CHUNK, _PAIR_CHUNK))
    lo = 0
    for hi in np.unique(np.append(bounds + 1, n_a)):
        hi = int(min(hi, n_a))
        if hi <= lo:
            continue
        a_idx = np.arange(lo, hi)
        reps = reps_all[lo:hi]
        pa = np.repeat(a_idx, reps)
        pb = np.repeat(b_start[a_frame[lo:hi]], reps) + _ragged_arange(reps)
        value = measure(pa, pb)
        nz = value > 0
        out_a.append(pa[nz])
        out_b.append(pb[nz])
        out_v.append(value[nz])
        lo = hi
    if not out_a:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return (np.concatenate(out_a), np.concatenate(out_b),
            np.concatenate(out_v))


def _solve(n_rows, n_cols, rows, cols, score, iou):
    """Hungarian matching of one frame maximising ``score``; returns the
    matched rows, cols and their IoU (reference: lsa(-score))."""
    if n_rows == 1 and n_cols == 1:
        return (np.zeros(1, np.int64), np.zeros(1, np.int64),
                iou[:1] if len(iou) else np.zeros(1))
    score_mat = np.zeros((n_rows, n_cols))
    score_mat[rows, cols] = score
    iou_mat = np.zeros((n_rows, n_cols))
    iou_mat[rows, cols] = iou
    r, c = linear_sum_assignment(-score_mat)
    return r, c, iou_mat[r, c]


def _in_ignored_regions(gt_frame, gt_box, ig_frame, ig_box, pr_frame, pr_box,
                        n_frames):
    """BDD100K's ignore-region rule: the predicted boxes to remove.

    Per frame, the predicted boxes are matched to the frame's (not ignored)
    ground-truth boxes by Hungarian on IoU, where pairs with IoU below
    ``CLUSTER_IOU_THR`` (0.5, minus eps) score 0 and cannot match. A
    predicted box left unmatched whose intersection over its own area with
    an ignored box of the frame, of any class, exceeds ``IGNORE_IOA_THR``
    (strictly, plus eps) is removed. All arrays are sorted by frame;
    returns a mask over the predicted boxes."""
    n_pr = len(pr_frame)
    pr_start, pr_count = _group_starts(pr_frame, n_frames)
    _, ip, ioa = _frame_pairs(ig_frame, pr_start, pr_count,
                              lambda i, p: _box_ioa(pr_box, ig_box, p, i))
    inside = np.zeros(n_pr, bool)
    inside[ip[ioa > IGNORE_IOA_THR + EPS]] = True
    if not inside.any():
        return inside
    # an inside box without a ground-truth box at IoU >= 0.5 is unmatched
    # whatever the matching; only frames where one has such a box are solved
    in_frame = np.zeros(n_frames, bool)
    in_frame[pr_frame[inside]] = True
    g_sel = np.flatnonzero(in_frame[gt_frame])
    sg, pp, iou = _frame_pairs(
        gt_frame[g_sel], pr_start, pr_count,
        lambda g, p: _box_iou(gt_box, pr_box, g_sel[g], p))
    ok = iou >= CLUSTER_IOU_THR - EPS
    pg, pp, iou = g_sel[sg[ok]], pp[ok], iou[ok]
    contested = np.zeros(n_frames, bool)
    contested[pr_frame[pp[inside[pp]]]] = True
    keep = contested[gt_frame[pg]]
    pg, pp, iou = pg[keep], pp[keep], iou[keep]
    pair_frame = gt_frame[pg]
    gt_start, gt_count = _group_starts(gt_frame, n_frames)
    frames = np.flatnonzero(contested)
    lo_all = np.searchsorted(pair_frame, frames)
    hi_all = np.searchsorted(pair_frame, frames, side='right')
    matched = np.zeros(n_pr, bool)
    for f, lo, hi in zip(frames.tolist(), lo_all.tolist(), hi_all.tolist()):
        # the whole frame, as the reference (same tie breaking)
        _, c, m_iou = _solve(gt_count[f], pr_count[f], pg[lo:hi] - gt_start[f],
                             pp[lo:hi] - pr_start[f], iou[lo:hi], iou[lo:hi])
        matched[pr_start[f] + c[m_iou > EPS]] = True
    return inside & ~matched


class _Frames:
    """Ground truth and predictions of the evaluated frames (timesteps),
    sorted by frame (stable, so the in-frame order of the inputs is kept).

    ``all_frames``: every image of the listed videos is a timestep (BDD100K
    reference); otherwise only the images with at least one annotation
    (ignored ones included), and boxes predicted on other images are
    dropped (TAO reference). ``ignore_iscrowd``: annotations flagged
    ``iscrowd`` / ``ignore`` are not ground truth but ignore regions, and
    the predictions that ``_in_ignored_regions`` selects are dropped before
    anything else."""

    def __init__(self,
                 gt: TaoGroundTruth,
                 preds: TaoPredictions,
                 ignore_iscrowd: bool = False,
                 all_frames: bool = False):
        if all_frames:
            frame_images = np.flatnonzero(gt.video_listed[gt.image_video_idx])
        else:
            frame_images = np.unique(gt.ann_image_idx)
        frame_of_image = np.full(len(gt.image_ids), -1, np.int64)
        frame_of_image[frame_images] = np.arange(len(frame_images))
        self.n_frames = len(frame_images)
        self.frame_image_ids = gt.image_ids[frame_images]
        self.frame_video = gt.image_video_idx[frame_images]

        real = np.arange(len(gt.ann_image_idx))
        if ignore_iscrowd:
            real = np.flatnonzero(~gt.ann_ignore)
        gt_frame = frame_of_image[gt.ann_image_idx[real]]
        go = real[np.argsort(gt_frame, kind='stable')]
        self.gt_frame = frame_of_image[gt.ann_image_idx[go]]
        self.gt_cat = gt.ann_category_id[go]
        gt_video = self.frame_video[self.gt_frame]
        # a ground-truth track is (video, track_id) in the class-agnostic
        # step and (video, track_id, category) in the per-class steps.
        _, tid = _dense_index(gt.ann_track_id[go])
        _, self.gt_track = _dense_index(gt_video * (tid.max(initial=0) + 1) +
                                        tid)
        _, cid = _dense_index(self.gt_cat)
        _, self.gt_unit = _dense_index(self.gt_track *
                                       (cid.max(initial=0) + 1) + cid)
        self.gt_box = _xyxy(gt.ann_bbox[go])
        self._check_unique(self.gt_frame, self.gt_track, 'ground-truth',
                           gt.ann_track_id[go])

        pos = frame_of_image[preds.image_idx]
        po = np.flatnonzero(pos >= 0)
        po = po[np.argsort(pos[po], kind='stable')]
        if ignore_iscrowd and gt.ann_ignore.any():
            ig = np.flatnonzero(gt.ann_ignore)
            ig_frame = frame_of_image[gt.ann_image_idx[ig]]
            io = np.argsort(ig_frame, kind='stable')
            po = po[~_in_ignored_regions(self.gt_frame, self.gt_box, ig_frame[
                io], _xyxy(gt.ann_bbox[ig[io]]
                           ), pos[po], _xyxy(preds.bbox[po]), self.n_frames)]
        self.pr_frame = pos[po]
        self.pr_cat = preds.category_id[po]
        _, self.pr_track = _dense_index(preds.track_idx[po])
        self.pr_box = _xyxy(preds.bbox[po])
        self._check_unique(self.pr_frame, self.pr_track, 'predicted',
                           preds.track_id[po])

        self.gt_start, self.gt_count = _group_starts(self.gt_frame,
                                                     self.n_frames)
        self.pr_start, self.pr_count = _group_starts(self.pr_frame,
                                                     self.n_frames)
        self.n_gt, self.n_pr = len(self.gt_frame), len(self.pr_frame)
        self.n_pr_tracks = int(self.pr_track.max(initial=-1)) + 1
        self.pr_track_count = np.bincount(
            self.pr_track, minlength=self.n_pr_tracks)
        self.gt_track_count = np.bincount(self.gt_track)
        self.gt_unit_count = np.bincount(self.gt_unit)

    def _check_unique(self, frame, track, what, raw_ids):
        if len(frame) == 0:
            return
        key = frame.astype(np.int64) * (track.max() + 1) + track
        uniq, counts = np.unique(key, return_counts=True)
        if np.any(counts > 1):
            k = uniq[counts > 1][0]
            i = int(np.flatnonzero(key == k)[0])
            raise ValueError(
                f'{what} track id {int(raw_ids[i])} occurs twice in image '
                f'{int(self.frame_image_ids[frame[i]])}; track ids must be '
                'unique per image.')

    def pairs(self):
        """All (gt box, predicted box) pairs of the same frame with IoU > 0,
        sorted by frame: (gt index, pred index, IoU)."""
        return _frame_pairs(
            self.gt_frame, self.pr_start, self.pr_count,
            lambda g, p: _box_iou(self.gt_box, self.pr_box, g, p))


def _alignment_scores(iou, row_key, col_key, gt_key, pr_track, gt_counts,
                      pr_counts, n_pr_tracks):
    """HOTA's global alignment score for every listed pair: the per-frame
    similarity IoU ``s / (row sum + column sum - s)`` summed over frames,
    over ``|gt track| + |pred track| - sum``."""
    _, row_inv = _dense_index(row_key)
    _, col_inv = _dense_index(col_key)
    row_sum = np.bincount(row_inv, iou)[row_inv]
    col_sum = np.bincount(col_inv, iou)[col_inv]
    denom = row_sum + col_sum - iou
    sim_iou = np.zeros_like(iou)
    ok = denom > EPS
    sim_iou[ok] = iou[ok] / denom[ok]
    track_key = gt_key.astype(np.int64) * n_pr_tracks + pr_track
    _, inv = _dense_index(track_key)
    matches = np.bincount(inv, sim_iou)[inv]
    return matches / (gt_counts[gt_key] + pr_counts[pr_track] - matches)


def _global_assignment(fr: _Frames, pg, pp, iou):
    """Class-agnostic assignment; returns, per predicted box, the category
    of the ground-truth box it is assigned to and whether it is assigned."""
    assigned = np.zeros(fr.n_pr, bool)
    assigned_cat = np.zeros(fr.n_pr, np.int64)
    overlap = iou >= CLUSTER_IOU_THR
    in_set = np.zeros(fr.n_pr_tracks, bool)
    in_set[fr.pr_track[pp[overlap]]] = True
    det_in = in_set[fr.pr_track]
    m = det_in[pp]
    pg_a, pp_a, iou_a = pg[m], pp[m], iou[m]
    if len(pg_a) == 0:
        return assigned, assigned_cat
    ga = _alignment_scores(iou_a, pg_a, pp_a, fr.gt_track[pg_a],
                           fr.pr_track[pp_a], fr.gt_track_count,
                           fr.pr_track_count, fr.n_pr_tracks)
    # columns: the frame's predicted boxes of participating tracks
    col_dets = np.flatnonzero(det_in)
    col_of = np.full(fr.n_pr, -1, np.int64)
    col_start = np.searchsorted(col_dets, fr.pr_start)
    col_of[col_dets] = np.arange(
        len(col_dets)) - col_start[fr.pr_frame[col_dets]]
    n_cols = np.bincount(fr.pr_frame[col_dets], minlength=fr.n_frames)
    pair_frame = fr.gt_frame[pg_a]
    rows = pg_a - fr.gt_start[pair_frame]
    cols = col_of[pp_a]
    score = ga * iou_a
    frames = np.unique(pair_frame[iou_a >= CLUSTER_IOU_THR])
    lo_all = np.searchsorted(pair_frame, frames)
    hi_all = np.searchsorted(pair_frame, frames, side='right')
    for f, lo, hi in zip(frames.tolist(), lo_all.tolist(), hi_all.tolist()):
        r, c, m_iou = _solve(fr.gt_count[f], n_cols[f], rows[lo:hi],
                             cols[lo:hi], score[lo:hi], iou_a[lo:hi])
        keep = m_iou >= CLUSTER_IOU_THR - EPS
        g = fr.gt_start[f] + r[keep]
        p = col_dets[col_start[f] + c[keep]]
        assigned[p] = True
        assigned_cat[p] = fr.gt_cat[g]
    return assigned, assigned_cat


def _class_index(cat_ids: np.ndarray, class_cat_ids: np.ndarray):
    """Index into the evaluated class list, -1 for other categories."""
    order = np.argsort(class_cat_ids)
    sorted_ids = class_cat_ids[order]
    pos = np.minimum(np.searchsorted(sorted_ids, cat_ids), len(order) - 1)
    return np.where(sorted_ids[pos] == cat_ids, order[pos], -1)


class _Clusters:
    """Local clusters of every class.

    ``overlap_keys``: (predicted box, class) pairs where the box overlaps
    (IoU >= 0.5) a ground-truth box of the class in its frame and was not
    assigned to a ground-truth box of another class; ``cluster_keys``:
    (track, class) pairs of the tracks with such a box (encoded ``x * C +
    class``, sorted)."""

    def __init__(self, fr: _Frames, pg, pp, iou, gt_cls, n_cls):
        assigned, assigned_cat = _global_assignment(fr, pg, pp, iou)
        p_cls = gt_cls[pg]
        removed = assigned[pp] & (assigned_cat[pp] != fr.gt_cat[pg])
        ov = (iou >= CLUSTER_IOU_THR) & (p_cls >= 0) & ~removed
        self.n_cls = n_cls
        self.overlap_keys = np.unique(pp[ov] * n_cls + p_cls[ov])
        self.ov_det = self.overlap_keys // n_cls
        self.ov_cls = self.overlap_keys % n_cls
        self.cluster_keys = np.unique(fr.pr_track[self.ov_det] * n_cls +
                                      self.ov_cls)
        # overlapping boxes per (video, class): a class without any in a
        # video takes the reference's early exit there
        n_vid = int(fr.frame_video.max(initial=-1)) + 1
        video = fr.frame_video[fr.pr_frame[self.ov_det]]
        self.n_overlap_vc = np.bincount(
            video * n_cls + self.ov_cls,
            minlength=n_vid * n_cls).reshape(n_vid, n_cls)


def _class_matches(fr: _Frames, pg, pp, iou, gt_cls, cl: _Clusters):
    """Hungarian matches of every (frame, class) with class-c ground truth:
    rows are the frame's class-c ground-truth boxes, columns the frame's
    boxes of the class-c cluster tracks, scores ``A_c * IoU``. Returns
    matched gt index, pred index, IoU and class (all Hungarian pairs, so
    IoU may be 0: a pair counts from threshold 0.00 on)."""
    n_cls = cl.n_cls
    p_cls = gt_cls[pg]
    cp = (p_cls >= 0) & _isin_sorted(fr.pr_track[pp] * n_cls + p_cls,
                                     cl.cluster_keys)
    cg, cpp, ciou, ccls = pg[cp], pp[cp], iou[cp], p_cls[cp]
    ga = _alignment_scores(ciou, cg, cpp * n_cls + ccls, fr.gt_unit[cg],
                           fr.pr_track[cpp], fr.gt_unit_count,
                           fr.pr_track_count, fr.n_pr_tracks)

    # rows: ground-truth boxes grouped by problem key frame * C + class
    g_valid = np.flatnonzero(gt_cls >= 0)
    g_key = fr.gt_frame[g_valid] * n_cls + gt_cls[g_valid]
    g_order = np.argsort(g_key, kind='stable')
    g_rows, g_key = g_valid[g_order], g_key[g_order]
    row_of = np.zeros(fr.n_gt, np.int64)
    row_of[g_rows] = np.arange(len(g_rows)) - np.searchsorted(g_key, g_key)

    # columns: every box of the cluster tracks, in the frames holding
    # ground truth of the class, in the frame's input order
    tr_order = np.argsort(fr.pr_track, kind='stable')
    tr_start = np.searchsorted(fr.pr_track[tr_order],
                               np.arange(fr.n_pr_tracks))
    cl_track, cl_cls = cl.cluster_keys // n_cls, cl.cluster_keys % n_cls
    reps = fr.pr_track_count[cl_track]
    col_det = tr_order[np.repeat(tr_start[cl_track], reps) +
                       _ragged_arange(reps)]
    col_cls = np.repeat(cl_cls, reps)
    col_key = fr.pr_frame[col_det] * n_cls + col_cls
    keep = _isin_sorted(col_key, np.unique(g_key))
    c_order = np.lexsort((col_det[keep], col_key[keep]))
    col_det = col_det[keep][c_order]
    col_cls = col_cls[keep][c_order]
    col_key = col_key[keep][c_order]
    col_local = np.arange(len(col_key)) - np.searchsorted(col_key, col_key)
    det_cls_key = col_det * n_cls + col_cls
    dc_order = np.argsort(det_cls_key)

    # non-zero entries of the score matrices, grouped by problem
    e_key = fr.gt_frame[cg] * n_cls + ccls
    e_rows = row_of[cg]
    e_cols = col_local[dc_order[np.searchsorted(det_cls_key[dc_order],
                                                cpp * n_cls + ccls)]]
    e_order = np.argsort(e_key, kind='stable')
    e_key, e_rows, e_cols = e_key[e_order], e_rows[e_order], e_cols[e_order]
    e_score, e_iou = (ga * ciou)[e_order], ciou[e_order]

    problems = np.unique(col_key)
    g_lo = np.searchsorted(g_key, problems)
    g_n = np.searchsorted(g_key, problems, side='right') - g_lo
    c_lo = np.searchsorted(col_key, problems)
    c_n = np.searchsorted(col_key, problems, side='right') - c_lo
    e_lo = np.searchsorted(e_key, problems)
    e_hi = np.searchsorted(e_key, problems, side='right')
    m_g, m_p, m_iou, m_cls = [], [], [], []
    for k, key in enumerate(problems.tolist()):
        lo, hi = e_lo[k], e_hi[k]
        r, c, mi = _solve(g_n[k], c_n[k], e_rows[lo:hi], e_cols[lo:hi],
                          e_score[lo:hi], e_iou[lo:hi])
        m_g.append(g_rows[g_lo[k] + r])
        m_p.append(col_det[c_lo[k] + c])
        m_iou.append(mi)
        m_cls.append(np.full(len(r), key % n_cls))

    def cat(xs, dtype):
        return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype)

    return (cat(m_g, np.int64), cat(m_p, np.int64), cat(m_iou, float),
            cat(m_cls, np.int64))


def _per_class_counts(fr: _Frames, class_cat_ids: np.ndarray,
                      exhaustive: bool) -> Dict[str, np.ndarray]:
    """TETA counts per class summed over the videos: [C, 20] arrays for
    Loc_* and the association numerators, [C, 10] for Cls_*."""
    n_cls = len(class_cat_ids)
    gt_cls = _class_index(fr.gt_cat, class_cat_ids)
    pr_cls = _class_index(fr.pr_cat, class_cat_ids)
    pg, pp, iou = fr.pairs()
    cl = _Clusters(fr, pg, pp, iou, gt_cls, n_cls)
    m_g, m_p, m_iou, m_cls = _class_matches(fr, pg, pp, iou, gt_cls, cl)
    hit = (m_iou[:, None] >= LOC_ALPHAS[None, :] - EPS).astype(float)

    def per_class(weights, cls_idx=m_cls):
        return np.stack([
            np.bincount(cls_idx, weights[:, a], minlength=n_cls)
            for a in range(weights.shape[1])
        ], 1)

    # localisation: FP = overlapping boxes left unmatched
    loc_tp = per_class(hit)
    in_overlap = _isin_sorted(m_p * n_cls + m_cls, cl.overlap_keys)
    n_overlap = cl.n_overlap_vc.sum(0)
    loc_fp = n_overlap[:, None] - per_class(hit * in_overlap[:, None])
    n_gt = np.bincount(gt_cls[gt_cls >= 0], minlength=n_cls)
    loc_fn = n_gt[:, None] - loc_tp

    # classification over thresholds 0.50 ... 0.95
    m_pcls = pr_cls[m_p]
    correct = (m_pcls == m_cls)[:, None]
    cls_hit = hit[:, CLS_ALPHA_START:]
    cls_tp = per_class(cls_hit * correct)
    cls_fn = per_class(cls_hit * ~correct)
    # a wrong class from the class list is an FP of the predicted class
    wrong = (m_pcls >= 0) & (m_pcls != m_cls)
    if exhaustive:
        # reference behaviour: a class without overlapping boxes in a video
        # *sets* its FP counter to its exhaustive FPs when its turn comes,
        # dropping what the classes evaluated before it (in category order)
        # had added there
        m_video = fr.frame_video[fr.pr_frame[m_p]]
        early = cl.n_overlap_vc[m_video, np.maximum(m_pcls, 0)] == 0
        wrong &= ~(early & (m_cls < m_pcls))
    cls_fp = per_class(cls_hit * wrong[:, None], np.maximum(m_pcls, 0))
    if exhaustive:  # class-c boxes outside the class-c clusters
        own = np.bincount(pr_cls[pr_cls >= 0], minlength=n_cls)
        own_in_cluster = np.bincount(
            cl.ov_cls[pr_cls[cl.ov_det] == cl.ov_cls], minlength=n_cls)
        cls_fp = cls_fp + (own - own_in_cluster)[:, None]

    # association: HOTA's AssA / AssRe / AssPr numerators per
    # (ground-truth track, predicted track) pair
    pair_key = fr.gt_unit[m_g] * fr.n_pr_tracks + fr.pr_track[m_p]
    uniq, first, inv = np.unique(
        pair_key, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    mc = np.stack([
        np.bincount(inv, hit[:, a], minlength=len(uniq))
        for a in range(hit.shape[1])
    ], 1)  # [K, 20]
    gc = fr.gt_unit_count[fr.gt_unit[m_g[first]]][:, None].astype(float)
    tc = fr.pr_track_count[fr.pr_track[m_p[first]]][:, None].astype(float)
    key_cls = m_cls[first]
    return dict(
        Loc_TP=loc_tp,
        Loc_FN=loc_fn,
        Loc_FP=loc_fp,
        Cls_TP=cls_tp,
        Cls_FN=cls_fn,
        Cls_FP=cls_fp,
        AssocA_num=per_class(mc * mc / np.maximum(1, gc + tc - mc), key_cls),
        AssocRe_num=per_class(mc * mc / np.maximum(1, gc), key_cls),
        AssocPr_num=per_class(mc * mc / np.maximum(1, tc), key_cls))


def _final_fields(c: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Per-class figures in [0, 1]; Loc*/Assoc* per threshold, Cls* already
    averaged over thresholds (reference ``_compute_final_fields``)."""
    tp, fn, fp = c['Loc_TP'], c['Loc_FN'], c['Loc_FP']
    ctp, cfn, cfp = c['Cls_TP'], c['Cls_FN'], c['Cls_FP']
    out = dict(
        LocA=tp / np.maximum(1, tp + fn + fp),
        LocRe=tp / np.maximum(1, tp + fn),
        LocPr=tp / np.maximum(1, tp + fp),
        AssocA=c['AssocA_num'] / np.maximum(1, tp),
        AssocRe=c['AssocRe_num'] / np.maximum(1, tp),
        AssocPr=c['AssocPr_num'] / np.maximum(1, tp),
        ClsA=(ctp / np.maximum(1, ctp + cfn + cfp)).mean(1, keepdims=True),
        ClsRe=(ctp / np.maximum(1, ctp + cfn)).mean(1, keepdims=True),
        ClsPr=(ctp / np.maximum(1, ctp + cfp)).mean(1, keepdims=True))
    out['TETA'] = (out['LocA'] + out['AssocA'] + out['ClsA']) / 3
    return out


def _summary(fields: Dict[str, np.ndarray], rows: np.ndarray) -> dict:
    """Mean over the given classes (rows) of each figure's mean over
    thresholds, in percent; NaN for an empty group."""
    if len(rows) == 0:
        return {k: float('nan') for k in TETA_KEYS}
    return {
        k: float(100 * np.mean(fields[k][rows].mean(1)))
        for k in TETA_KEYS
    }


def evaluate_teta(gt: dict,
                  results: List[dict],
                  exhaustive: bool = False,
                  max_dets: int = 0,
                  use_tcc: bool = True,
                  ignore_iscrowd: bool = False,
                  all_frames: bool = False) -> dict:
    """TETA of TAO-format tracking results against TAO ground truth.

    The defaults reproduce how MASA (and OVTrack/OVT-B) evaluate TAO with the
    reference ``teta`` package: ``exhaustive=False`` (TAO is not
    exhaustively annotated; BDD100K and COCO-VID use ``True``),
    ``max_dets=0`` (the reference ``MAX_DETECTIONS`` default: no per-image
    cap), ``use_tcc=True`` (MASA's majority-vote track category),
    ``ignore_iscrowd=False`` (the reference TAO dataset reads every
    annotation as ground truth) and ``all_frames=False`` (its timesteps are
    the annotated images). BDD100K (MASA evaluates it with scalabel's
    ``teta``, i.e. the reference ``BDD`` dataset) sets ``exhaustive``,
    ``ignore_iscrowd`` and ``all_frames`` to True.

    Args:
        gt: TAO ground truth (``videos, images, annotations, categories``).
        results: TAO results, dicts with ``image_id, video_id, category_id,
            bbox [x, y, w, h], score, track_id``; track ids only need to be
            unique within a video.
        exhaustive: count class-c predictions outside every class-c cluster
            as ClsA false positives.
        max_dets: keep only the top ``max_dets`` boxes per image by score
            (0: all).
        use_tcc: give every box the majority category of its track.
        ignore_iscrowd: annotations with ``iscrowd`` or ``ignore`` set are
            ignore regions, not ground truth (BDD100K's "other person",
            "other vehicle", "trailer" and crowd boxes): per frame, a
            prediction that Hungarian matching on IoU (pairs with IoU >= 0.5
            only) leaves without a ground-truth box and that lies more than
            half inside an ignored box (intersection over the predicted
            box's area > 0.5, any class) is removed from the evaluation
            (also from its track's length) after ``use_tcc`` and
            ``max_dets``.
        all_frames: every image of an evaluated video is a timestep, so
            predictions on images without annotations count (exhaustive
            ClsA FPs, predicted-track lengths in AssocA / AssocPr); False
            keeps only the images with at least one annotation.

    Returns:
        ``TETA, LocA, AssocA, ClsA, LocRe, LocPr, AssocRe, AssocPr, ClsRe,
        ClsPr`` in percent (mean over the classes that have ground truth),
        ``per_class`` (category name -> the same keys) and, when the
        categories carry LVIS ``frequency``, ``base`` ('c' and 'f') and
        ``novel`` ('r'), each the mean of the per-class figures of its group
        (NaN for an empty group).
    """
    gt_data = parse_tao_ground_truth(gt)
    preds = prepare_tao_results(
        results, gt_data, max_dets=max_dets, use_tcc=use_tcc)
    # classes with ground truth; like the reference, a ground-truth track's
    # category is the one of its first annotation in the file (ignore
    # regions are not ground truth with ignore_iscrowd)
    real = ~gt_data.ann_ignore if ignore_iscrowd else slice(None)
    ann_track_id = gt_data.ann_track_id[real]
    uniq_tid, tid = np.unique(ann_track_id, return_inverse=True)
    track_key = gt_data.image_video_idx[gt_data.ann_image_idx[real]] * len(
        uniq_tid) + tid.reshape(-1)
    _, first = np.unique(track_key, return_index=True)
    seen = set(gt_data.ann_category_id[real][first].tolist())
    classes = [c for c in gt_data.categories if int(c['id']) in seen]
    if not classes:
        raise ValueError('the ground truth has no annotation of a listed '
                         'category; TETA averages over classes with ground '
                         'truth, so there is nothing to evaluate.')
    class_ids = np.array([int(c['id']) for c in classes], np.int64)
    if len(preds.category_id) and not np.any(
            np.isin(preds.category_id, class_ids)):
        raise ValueError(
            'no tracking result has a category with ground truth (result '
            f'categories {sorted(set(preds.category_id.tolist()))[:5]}, '
            f'ground-truth ones {class_ids.tolist()[:5]}); the results '
            'and the ground truth use different class lists.')
    if len(np.unique(class_ids)) != len(class_ids):
        raise ValueError('ground-truth categories repeat an id.')
    frames = _Frames(
        gt_data, preds, ignore_iscrowd=ignore_iscrowd, all_frames=all_frames)
    fields = _final_fields(_per_class_counts(frames, class_ids, exhaustive))

    out = _summary(fields, np.arange(len(classes)))
    out['per_class'] = {
        str(c.get('name', c['id'])): _summary(fields, np.array([i]))
        for i, c in enumerate(classes)
    }
    if any('frequency' in c for c in gt_data.categories):
        freq = [c.get('frequency') for c in classes]
        out['base'] = _summary(
            fields,
            np.array([i for i, f in enumerate(freq) if f in ('c', 'f')],
                     np.int64))
        out['novel'] = _summary(
            fields,
            np.array([i for i, f in enumerate(freq) if f == 'r'], np.int64))
    return out
