"""TAO ground truth and TAO tracking results as flat arrays.

This file turns the two JSON inputs of TETA into numpy arrays and applies the
preprocessing that the reference pipeline (MASA's ``TaoTETAMetric`` feeding
the ``teta`` package of SysCV/tet) applies to tracking results, in the same
order:

1. track ids are made unique across videos (a track is ``(video_id,
   track_id)``);
2. optional track class consistency (MASA's ``tcc``): every box of a track
   takes the majority category of the track, ties going to the smallest
   category id (``pandas.Series.mode()[0]``); the boxes are then grouped by
   track in ascending track id, as MASA writes them;
3. ``MAX_DETECTIONS``: images with more than ``max_dets`` boxes keep the
   ``max_dets`` highest-scoring ones (stable sort by descending score);
4. categories that TAO marks as ``merged`` into another are mapped to it.

The order of boxes inside an image is kept because it decides the tie
breaking of the Hungarian matching, as in the reference.
"""
import itertools
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

__all__ = [
    'TaoGroundTruth', 'TaoPredictions', 'parse_tao_ground_truth',
    'prepare_tao_results', 'majority_vote_categories', 'vote_tao_results',
    'tao_track_results'
]

_REQUIRED_GT_KEYS = ('videos', 'images', 'annotations', 'categories')
_RESULT_KEYS = ('image_id', 'category_id', 'bbox', 'score', 'track_id')


@dataclass
class TaoGroundTruth:
    """Flat view of a TAO (COCO-VID) ground-truth dict.

    Annotation arrays keep the file order. ``categories`` keeps the file
    order, which is also the order in which the reference iterates classes.
    """
    categories: List[dict]
    merge_map: Dict[int, int]
    video_ids: np.ndarray  # [V] sorted unique video ids
    image_ids: np.ndarray  # [I] sorted unique image ids
    image_video_idx: np.ndarray  # [I] index into video_ids
    ann_image_idx: np.ndarray  # [A] index into image_ids
    ann_track_id: np.ndarray  # [A] int64
    ann_category_id: np.ndarray  # [A] int64, merged
    ann_bbox: np.ndarray  # [A, 4] float64, x, y, w, h
    #: [A] bool: the annotation is an ignored region (``iscrowd`` or
    #: ``ignore`` set, the rule of the COCO-VID datasets); kept as ground
    #: truth unless the evaluation asks for ignore regions (BDD100K).
    ann_ignore: np.ndarray
    #: [V] bool: the video is listed under ``videos`` (an evaluated sequence).
    video_listed: np.ndarray

    def image_index(self, image_ids: np.ndarray, what: str) -> np.ndarray:
        """Index into ``self.image_ids``; a clear error for unknown ids."""
        idx = np.searchsorted(self.image_ids, image_ids)
        if len(self.image_ids) == 0:
            bad = np.ones(len(image_ids), bool)
        else:
            idx_c = np.minimum(idx, len(self.image_ids) - 1)
            bad = self.image_ids[idx_c] != image_ids
        if np.any(bad):
            missing = np.unique(np.asarray(image_ids)[bad])
            raise ValueError(
                f'{what}: {len(missing)} image id(s) are not in the ground '
                f'truth images, e.g. {missing[:5].tolist()}; results must '
                'refer to images of the annotation file they are evaluated '
                'against.')
        return idx


@dataclass
class TaoPredictions:
    """Flat, preprocessed tracking results (see the module docstring)."""
    image_idx: np.ndarray  # [N] index into TaoGroundTruth.image_ids
    track_idx: np.ndarray  # [N] dense index of (video, track_id)
    track_id: np.ndarray  # [N] the track ids as given (for messages)
    category_id: np.ndarray  # [N] int64 (after tcc and merging)
    bbox: np.ndarray  # [N, 4] float64 x, y, w, h
    score: np.ndarray  # [N] float64


def tao_track_results(frames: List[dict],
                      label_to_cat: Optional[np.ndarray] = None) -> List[dict]:
    """Tracked frames -> TAO tracking results (the rows of
    ``tao_track.json``), with track ids unique over the dataset (each
    video's ids shifted past the previous videos', as MASA).

    Args:
        frames: dicts with ``img_id``, ``video_id``, ``frame_id`` and numpy
            ``bboxes`` (x1y1x2y2, original pixels), ``scores``, ``labels``,
            ``instances_id``.
        label_to_cat: category id of each label; None writes the label
            itself as the category id.
    """
    offsets, next_offset = OrderedDict(), 0
    by_video = OrderedDict()
    for fr in frames:
        by_video.setdefault(fr['video_id'], []).append(fr)
    results = []
    for vid, vframes in by_video.items():
        max_id = max((int(f['instances_id'].max())
                      for f in vframes if len(f['instances_id'])),
                     default=-1)
        offsets[vid] = next_offset
        next_offset += max_id + 1
        for fr in sorted(vframes, key=lambda f: f['frame_id']):
            labels = fr['labels']
            if label_to_cat is not None and len(labels) and (
                    labels.min() < 0 or labels.max() >= len(label_to_cat)):
                raise ValueError(
                    f'image {fr["img_id"]}: label {int(labels.max())} is '
                    f'outside the {len(label_to_cat)} dataset classes.')
            cats = labels if label_to_cat is None else label_to_cat[labels]
            b = np.asarray(fr['bboxes'], np.float64).reshape(-1, 4)
            xywh = np.stack(
                [b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)
            for box, s, cat, tid in zip(xywh.tolist(), fr['scores'].tolist(),
                                        np.asarray(cats).tolist(),
                                        fr['instances_id'].tolist()):
                results.append(
                    dict(
                        image_id=int(fr['img_id']),
                        video_id=int(vid),
                        category_id=int(cat),
                        bbox=box,
                        score=float(s),
                        track_id=int(tid) + offsets[vid]))
    return results


def _merge_map(categories: List[dict]) -> Dict[int, int]:
    merge_map = {}
    for cat in categories:
        for merged in cat.get('merged', []) or []:
            merge_map[int(merged['id'])] = int(cat['id'])
    return merge_map


def _apply_merge(cat_ids: np.ndarray, merge_map: Dict[int, int]) -> np.ndarray:
    if not merge_map:
        return cat_ids
    out = cat_ids.copy()
    for src, dst in merge_map.items():
        out[cat_ids == src] = dst
    return out


def _boxes(items, n: int, what: str) -> np.ndarray:
    lens = np.fromiter((len(it['bbox']) for it in items),
                       dtype=np.int64,
                       count=n)
    if np.any(lens != 4):
        i = int(np.flatnonzero(lens != 4)[0])
        raise ValueError(f'{what} #{i} has a bbox with {lens[i]} numbers; '
                         'expected [x, y, w, h].')
    flat = np.fromiter(
        itertools.chain.from_iterable(it['bbox'] for it in items),
        dtype=np.float64,
        count=4 * n)
    boxes = flat.reshape(n, 4)
    if not np.all(np.isfinite(boxes)):
        i = int(np.flatnonzero(~np.isfinite(boxes).all(1))[0])
        raise ValueError(f'{what} #{i} has a non-finite bbox '
                         f'{boxes[i].tolist()}.')
    if np.any(boxes[:, 2:] < 0):
        i = int(np.flatnonzero(np.any(boxes[:, 2:] < 0, axis=1))[0])
        raise ValueError(f'{what} #{i} has a bbox with negative width or '
                         f'height {boxes[i].tolist()}; bboxes are [x, y, '
                         'w, h], not [x1, y1, x2, y2].')
    return boxes


def _column(items, key: str, dtype, n: int, what: str) -> np.ndarray:
    try:
        return np.fromiter((it[key] for it in items), dtype=dtype, count=n)
    except KeyError:
        i = next(i for i, it in enumerate(items) if key not in it)
        raise ValueError(f'{what} #{i} has no {key!r} field; every entry '
                         f'needs {key!r}.') from None
    except (TypeError, ValueError) as err:
        raise ValueError(f'{what}: field {key!r} must hold numbers '
                         f'({err}).') from None


def _track_key(anns: List[dict]) -> str:
    """The identity field of ground-truth annotations: TAO's ``track_id``,
    or ``instance_id`` in the COCO conversion of BDD100K that scalabel /
    bdd100k (``to_coco``) and MASA publish (``instance_id``,
    ``scalabel_id``, no ``track_id``)."""
    if anns and 'track_id' not in anns[0] and 'instance_id' in anns[0]:
        return 'instance_id'
    return 'track_id'


def parse_tao_ground_truth(gt: dict) -> TaoGroundTruth:
    """Validate a TAO ground-truth dict and flatten it into arrays."""
    if not isinstance(gt, dict):
        raise ValueError('TAO ground truth must be a JSON object with keys '
                         f'{_REQUIRED_GT_KEYS}; got {type(gt).__name__}.')
    missing = [k for k in _REQUIRED_GT_KEYS if k not in gt]
    if missing:
        raise ValueError(f'TAO ground truth lacks the keys {missing}; is it '
                         'a TAO/COCO-VID annotation file?')
    categories = list(gt['categories'])
    merge_map = _merge_map(categories)
    images = gt['images']
    n_img = len(images)
    img_ids = _column(images, 'id', np.int64, n_img, 'ground-truth image')
    img_vids = _column(images, 'video_id', np.int64, n_img,
                       'ground-truth image')
    listed_videos = _column(gt['videos'], 'id', np.int64, len(gt['videos']),
                            'ground-truth video')
    video_ids = np.unique(np.concatenate([listed_videos, img_vids]))
    order = np.argsort(img_ids, kind='stable')
    image_ids = img_ids[order]
    if len(image_ids) > 1 and np.any(image_ids[1:] == image_ids[:-1]):
        dup = image_ids[1:][image_ids[1:] == image_ids[:-1]][0]
        raise ValueError(f'ground-truth image id {int(dup)} appears twice.')
    image_video_idx = np.searchsorted(video_ids, img_vids[order])

    anns = gt['annotations']
    n_ann = len(anns)
    ann_img = _column(anns, 'image_id', np.int64, n_ann,
                      'ground-truth annotation')
    gt_data = TaoGroundTruth(
        categories=categories,
        merge_map=merge_map,
        video_ids=video_ids,
        image_ids=image_ids,
        image_video_idx=image_video_idx,
        ann_image_idx=np.zeros(0, np.int64),
        ann_track_id=_column(anns, _track_key(anns), np.int64, n_ann,
                             'ground-truth annotation'),
        ann_category_id=_apply_merge(
            _column(anns, 'category_id', np.int64, n_ann,
                    'ground-truth annotation'), merge_map),
        ann_bbox=_boxes(anns, n_ann, 'ground-truth annotation')
        if n_ann else np.zeros((0, 4)),
        ann_ignore=np.fromiter(
            (bool(a.get('iscrowd') or a.get('ignore')) for a in anns),
            dtype=bool,
            count=n_ann),
        video_listed=np.isin(video_ids, listed_videos))
    gt_data.ann_image_idx = gt_data.image_index(ann_img,
                                                'ground-truth annotations')
    if n_ann and all('video_id' in a for a in anns):
        ann_vid = _column(anns, 'video_id', np.int64, n_ann,
                          'ground-truth annotation')
        bad = video_ids[image_video_idx[gt_data.ann_image_idx]] != ann_vid
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f'ground-truth annotation #{i} says video_id '
                f'{int(ann_vid[i])} but its image {int(ann_img[i])} belongs '
                f'to another video; the annotation file is inconsistent.')
    # like the reference, only the videos listed under "videos" are
    # sequences: annotations of other videos' images are not evaluated
    listed = gt_data.video_listed[image_video_idx[gt_data.ann_image_idx]]
    if not np.all(listed):
        for name in ('ann_image_idx', 'ann_track_id', 'ann_category_id',
                     'ann_bbox', 'ann_ignore'):
            setattr(gt_data, name, getattr(gt_data, name)[listed])
    return gt_data


def majority_vote_categories(track_idx: np.ndarray,
                             category_id: np.ndarray) -> np.ndarray:
    """MASA's track class consistency: each box gets its track's most
    frequent category; ties go to the smallest category id."""
    if len(track_idx) == 0:
        return category_id.copy()
    cats, cat_idx = np.unique(category_id, return_inverse=True)
    n_cat = len(cats)
    pair, counts = np.unique(
        track_idx.astype(np.int64) * n_cat + cat_idx, return_counts=True)
    pair_track, pair_cat = pair // n_cat, pair % n_cat
    # per track: highest count first, then smallest category
    order = np.lexsort((pair_cat, -counts, pair_track))
    first = np.ones(len(order), bool)
    first[1:] = pair_track[order][1:] != pair_track[order][:-1]
    winner = np.empty(track_idx.max() + 1, np.int64)
    winner[pair_track[order][first]] = pair_cat[order][first]
    return cats[winner[track_idx]]


def vote_tao_results(results: List[dict]) -> List[dict]:
    """MASA's ``tcc`` applied to a TAO results list, as written to a file:
    every box takes its track's majority category (a track is ``(video_id,
    track_id)``) and the boxes are ordered by video id, then track id, as
    ``prepare_tao_results(use_tcc=True)`` orders them. Scoring the returned
    list as given equals scoring ``results`` with ``use_tcc=True``."""
    n = len(results)
    if n == 0:
        return []
    what = 'tracking result'
    vids = _column(results, 'video_id', np.int64, n, what)
    tids = _column(results, 'track_id', np.int64, n, what)
    cats = _column(results, 'category_id', np.int64, n, what)
    _, track_idx = np.unique(
        np.stack([vids, tids], 1), axis=0, return_inverse=True)
    track_idx = track_idx.reshape(-1)
    voted = majority_vote_categories(track_idx, cats)
    order = np.argsort(track_idx, kind='stable')
    return [
        dict(results[i], category_id=int(voted[i])) for i in order.tolist()
    ]


def _within_group_rank(group: np.ndarray, sort_key: np.ndarray) -> np.ndarray:
    """Rank of each element inside its group when the group is ordered by
    ``sort_key`` (ties by position)."""
    order = np.lexsort((np.arange(len(group)), sort_key, group))
    g_sorted = group[order]
    starts = np.ones(len(order), bool)
    starts[1:] = g_sorted[1:] != g_sorted[:-1]
    start_pos = np.maximum.accumulate(
        np.where(starts, np.arange(len(order)), 0))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order)) - start_pos
    return rank


def prepare_tao_results(results: List[dict],
                        gt: TaoGroundTruth,
                        max_dets: int = 0,
                        use_tcc: bool = True,
                        what: str = 'tracking result') -> TaoPredictions:
    """Validate TAO results and apply the reference preprocessing.

    Args:
        results: TAO results, dicts with ``image_id, category_id, bbox
            [x, y, w, h], score, track_id`` and optionally ``video_id``.
        gt: the parsed ground truth the results refer to.
        max_dets: keep at most this many boxes per image (top by score);
            0 keeps all.
        use_tcc: apply MASA's majority-vote track category.
    """
    if not isinstance(results, (list, tuple)):
        raise ValueError(f'{what}s must be a JSON list of dicts; got '
                         f'{type(results).__name__}.')
    if max_dets is None:
        max_dets = 0
    if max_dets < 0:
        raise ValueError(f'max_dets must be >= 0 (0 = unlimited); got '
                         f'{max_dets}.')
    n = len(results)
    if n == 0:
        return TaoPredictions(
            np.zeros(0, np.int64), np.zeros(0, np.int64),
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)),
            np.zeros(0))
    if not all(isinstance(r, dict) for r in results):
        raise ValueError(f'every {what} must be a dict with keys '
                         f'{_RESULT_KEYS}.')
    img_ids = _column(results, 'image_id', np.int64, n, what)
    image_idx = gt.image_index(img_ids, what + 's')
    video_idx = gt.image_video_idx[image_idx]
    if all('video_id' in r for r in results):
        vids = _column(results, 'video_id', np.int64, n, what)
        bad = gt.video_ids[video_idx] != vids
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f'{what} #{i} says video_id {int(vids[i])} but its image '
                f'{int(img_ids[i])} belongs to video '
                f'{int(gt.video_ids[video_idx[i]])}.')
    track_ids = _column(results, 'track_id', np.int64, n, what)
    category_id = _column(results, 'category_id', np.int64, n, what)
    # categories of the file, and those TAO lists as merged into them
    known = np.array([int(c['id'])
                      for c in gt.categories] + [int(k) for k in gt.merge_map],
                     np.int64)
    unknown = ~np.isin(category_id, known)
    if np.any(unknown):
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f'{what} #{i} has category_id {int(category_id[i])}, which is '
            f'not a ground-truth category ({int(unknown.sum())} such '
            'entries); results and ground truth must use the same class '
            'list.')
    score = _column(results, 'score', np.float64, n, what)
    if not np.all(np.isfinite(score)):
        i = int(np.flatnonzero(~np.isfinite(score))[0])
        raise ValueError(f'{what} #{i} has a non-finite score.')
    bbox = _boxes(results, n, what)

    # 1. unique tracks over the whole set: (video, track_id)
    uniq_t, t_idx = np.unique(track_ids, return_inverse=True)
    _, track_idx = np.unique(
        video_idx * len(uniq_t) + t_idx, return_inverse=True)
    track_idx = track_idx.reshape(-1)

    order = np.arange(n)
    # 2. track class consistency, then MASA's grouping by track id
    if use_tcc:
        category_id = majority_vote_categories(track_idx, category_id)
        order = np.argsort(track_idx, kind='stable')
    # 3. top-k boxes per image by score
    if max_dets:
        img_o = image_idx[order]
        counts = np.bincount(img_o, minlength=len(gt.image_ids))
        over = counts[img_o] > max_dets
        if np.any(over):
            # images within the limit keep their order; the others are
            # sorted by descending score (stable), as the reference does
            key = _within_group_rank(img_o, np.where(over, -score[order], 0.0))
            keep = key < max_dets
            sub = np.lexsort((key[keep], img_o[keep]))
            order = order[keep][sub]
    # 4. merged TAO categories
    category_id = _apply_merge(category_id, gt.merge_map)
    return TaoPredictions(
        image_idx=image_idx[order],
        track_idx=track_idx[order],
        track_id=track_ids[order],
        category_id=category_id[order],
        bbox=bbox[order],
        score=score[order])
