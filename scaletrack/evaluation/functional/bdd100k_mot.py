"""BDD100K box tracking (MOT) evaluated as its users evaluate it.

Inputs are Scalabel frames ``{name, videoName, frameIndex, labels: [{id,
category, attributes {crowd, ...}, box2d {x1, y1, x2, y2}, score}]}``: a
folder of per-video JSON files or one JSON file (a list of frames or a
Scalabel dataset ``{"frames": [...]}``), for the ground truth and for the
predictions alike.

Category rules (bdd100k ``configs/box_track.toml`` applied by
``bdd100k.label.to_scalabel`` to both files, then scalabel
``eval/mot.py``):

* ``name_mapping``: bike -> bicycle, caravan -> car, motor -> motorcycle,
  person -> pedestrian, van -> car;
* ``ignore_mapping``: "other person" -> pedestrian, "other vehicle" -> car,
  "trailer" -> truck, marked ``ignored``;
* 8 classes under 3 super-categories: human (pedestrian, rider), vehicle
  (car, truck, bus, train), bike (motorcycle, bicycle);
* a box with the ``crowd`` or ``ignored`` attribute is an ignore region (of
  any class); any other category is an error (scalabel's default; the
  ``ignore_unknown`` option skips and counts them);
* per class and frame: ``1 - IoU`` distances of ``[x1, y1, x2 - x1 + 1,
  y2 - y1 + 1]`` boxes (scalabel's ``box2d_to_bbox``), pairs need IoU >=
  0.5; when the frame has ignore regions, a prediction left unpaired by the
  minimum-cost assignment and lying more than 50 % (intersection over its
  own area) inside one is dropped; then the CLEAR / identity events
  (``clear_id.py``).

Reported per class, per super-category and OVERALL (all classes' events):
MOTA, MOTP, IDF1 (percent), FP, FN, IDSw, MT, PT, ML, FM; AVERAGE: the mean
over the 8 classes of the percentages and the sum of the counts, NaN / inf
counted as 0 (scalabel's ``compute_average``): mMOTA, mMOTP, mIDF1. Also
HOTA / mHOTA (trackeval's BDD100K rules, ``mot_metrics.py``, on the raw
``x1y1x2y2`` boxes as trackeval reads them) and TETA (``teta.py`` with
BDD100K's options: exhaustive, ignore regions, every frame a timestep).
"""
import glob
import math
import os.path as osp
from collections import Counter, OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...utils.file_io import load_json_file
from .clear_id import (ClearAccumulator, clear_id_summary, iou_distances,
                       min_cost_pairs)

__all__ = [
    'BDD100K_CATEGORY_TREE', 'BDD100K_NAME_MAPPING', 'BDD100K_IGNORE_MAPPING',
    'load_scalabel_frames', 'bdd100k_category', 'scalabel_box_xywh',
    'load_category_tree', 'evaluate_bdd100k_mot'
]

#: bdd100k configs/box_track.toml: super-category -> its evaluated classes.
BDD100K_CATEGORY_TREE = OrderedDict(
    human=('pedestrian', 'rider'),
    vehicle=('car', 'truck', 'bus', 'train'),
    bike=('motorcycle', 'bicycle'))
#: bdd100k configs/box_track.toml ``name_mapping``.
BDD100K_NAME_MAPPING = {
    'bike': 'bicycle',
    'caravan': 'car',
    'motor': 'motorcycle',
    'person': 'pedestrian',
    'van': 'car'
}
#: bdd100k configs/box_track.toml ``ignore_mapping``: ignored boxes of
#: these classes.
BDD100K_IGNORE_MAPPING = {
    'other person': 'pedestrian',
    'other vehicle': 'car',
    'trailer': 'truck'
}
#: IoU of a match (scalabel ``iou_thr``) and the share of a prediction
#: inside an ignore region that drops it (``ignore_iof_thr``).
IOU_THR, IGNORE_IOF_THR = 0.5, 0.5
#: Scalabel boxes count pixels inclusively (``box2d_to_bbox`` adds 1).
BOX2D_EXTENT_OFFSET = 1.0
#: scalabel's ``parse_objects`` held the boxes as float32 when the official
#: figures of the sample were made (commit 071d0735); rounding them so
#: reproduces those figures to the last digit (float64: MOTP off by 3e-7).
CLEAR_BOX_DTYPE = np.float32
CLEAR_KEYS = ('MOTA', 'MOTP', 'IDF1', 'FP', 'FN', 'IDSw', 'MT', 'PT', 'ML',
              'FM')
AVERAGE, OVERALL = 'AVERAGE', 'OVERALL'


def load_scalabel_frames(path: str, what: str) -> List[Tuple[str, dict]]:
    """``(file, frame)`` pairs of a Scalabel JSON file or a folder of them
    (``*.json``); errors name the file."""
    if osp.isdir(path):
        files = sorted(glob.glob(osp.join(path, '*.json')))
        if not files:
            raise FileNotFoundError(f'{what} folder {path!r} holds no '
                                    '*.json Scalabel file.')
    else:
        files = [path]
    out = []
    for f in files:
        data = load_json_file(f, what)
        if isinstance(data, dict) and isinstance(data.get('frames'), list):
            data = data['frames']
        if not isinstance(data, list) or not all(
                isinstance(fr, dict) for fr in data):
            raise ValueError(f'{f}: a {what} file must hold a list of '
                             'Scalabel frames (or {"frames": [...]}).')
        for k, fr in enumerate(data):
            if 'videoName' not in fr:
                raise ValueError(f'{f}: frame #{k} ({fr.get("name")!r}) has '
                                 'no videoName; BDD100K MOT frames need '
                                 'videoName and frameIndex.')
            labels = fr.get('labels') or []
            if not isinstance(labels, list):
                raise ValueError(f'{f}: frame #{k} has labels of type '
                                 f'{type(labels).__name__}, not a list.')
            out.append((f, fr))
    return out


def bdd100k_category(category: str, attributes: Optional[dict],
                     classes: Sequence[str]) -> Tuple[Optional[str], bool]:
    """``(class, ignored)`` of a BDD100K label after ``name_mapping`` and
    ``ignore_mapping``; class None: not a BDD100K tracking category."""
    category = BDD100K_NAME_MAPPING.get(category, category)
    ignored = bool((attributes or {}).get('crowd')
                   or (attributes or {}).get('ignored'))
    if category not in classes and category in BDD100K_IGNORE_MAPPING:
        return BDD100K_IGNORE_MAPPING[category], True
    if category not in classes:
        return None, ignored
    return category, ignored


def scalabel_box_xywh(box2d, where: str) -> List[float]:
    """Scalabel ``box2d`` -> ``[x1, y1, x2 - x1 + 1, y2 - y1 + 1]``; a box
    with a missing / non-finite coordinate or ``x2 < x1`` / ``y2 < y1`` is
    an error naming ``where``."""
    try:
        x1, y1, x2, y2 = (float(box2d[k]) for k in ('x1', 'y1', 'x2', 'y2'))
    except (KeyError, TypeError, ValueError):
        raise ValueError(f'{where}: box2d {box2d!r} needs numbers x1, y1, '
                         'x2, y2.') from None
    if not all(map(math.isfinite, (x1, y1, x2, y2))):
        raise ValueError(f'{where}: box2d {box2d!r} is not finite.')
    if x2 < x1 or y2 < y1:
        raise ValueError(f'{where}: box2d {box2d!r} has x2 < x1 or y2 < y1 '
                         '(negative size).')
    return [
        x1, y1, x2 - x1 + BOX2D_EXTENT_OFFSET, y2 - y1 + BOX2D_EXTENT_OFFSET
    ]


def load_category_tree(path: str) -> 'OrderedDict[str, Tuple[str, ...]]':
    """The category tree of a scalabel / bdd100k TOML config
    (``[[categories]]`` or ``[config]`` + ``[[config.categories]]`` with
    ``subcategories``)."""
    import tomllib
    try:
        with open(path, 'rb') as f:
            cfg = tomllib.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f'category config {path!r} not found.')
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f'{path}: not valid TOML ({err}).') from None
    cats = cfg.get('config', cfg).get('categories')
    if not cats:
        raise ValueError(f'{path}: no [[categories]] in the config.')
    tree = OrderedDict()
    for c in cats:
        subs = tuple(s['name'] for s in c.get('subcategories') or [])
        tree[c['name']] = subs or (c['name'], )
    return tree


def _parse_frames(items, classes, what, ignore_unknown, skipped):
    """Scalabel frames -> {video: {frameIndex: (name, boxes)}} where boxes
    are lists of (class index or -1 for an ignore region, id, xywh,
    x1y1x2y2, score)."""
    videos = OrderedDict()
    for f, fr in items:
        v = str(fr['videoName'])
        try:
            idx = int(fr.get('frameIndex', 0))
        except (TypeError, ValueError):
            raise ValueError(
                f'{f}: frame {fr.get("name")!r} has frameIndex '
                f'{fr.get("frameIndex")!r}, not an integer.') from None
        frames = videos.setdefault(v, OrderedDict())
        if idx in frames:
            raise ValueError(f'{f}: video {v!r} lists frameIndex {idx} '
                             'twice.')
        boxes = []
        for k, lab in enumerate(fr.get('labels') or []):
            where = (f'{f}: video {v!r} frame {idx} label #{k} '
                     f'(id {lab.get("id")!r})')
            if lab.get('box2d') is None:
                continue  # not a box label (scalabel skips it too)
            cls, ignored = bdd100k_category(
                lab.get('category'), lab.get('attributes'), classes)
            if cls is None:
                if not ignore_unknown:
                    raise ValueError(
                        f'{where}: unknown category '
                        f'{lab.get("category")!r}; BDD100K MOT evaluates '
                        f'{list(classes)} (pass ignore_unknown / '
                        '--ignore-unknown-cats to skip such labels).')
                skipped[
                    f'{what} unknown category {lab.get("category")!r}'] += 1
                continue
            if 'id' not in lab:
                raise ValueError(f'{where}: label has no id.')
            xywh = scalabel_box_xywh(lab['box2d'], where)
            b = lab['box2d']
            xyxy = [
                float(b['x1']),
                float(b['y1']),
                float(b['x2']),
                float(b['y2'])
            ]
            score = lab.get('score', 1.0)
            boxes.append(
                (-1 if ignored else classes.index(cls), cls, str(lab['id']),
                 xywh, xyxy, 1.0 if score is None else float(score)))
        frames[idx] = (fr.get('name'), boxes)
    return videos


def _align(gt_videos, pr_videos, pred_path, skipped):
    """Predictions per ground-truth video and frame; a prediction for a
    video or frame that the ground truth lacks is an error."""
    extra = [v for v in pr_videos if v not in gt_videos]
    if extra:
        raise ValueError(
            f'{pred_path}: predictions for video {extra[0]!r} '
            f'({len(extra)} video(s) in all) that the ground truth lacks; '
            'evaluate against the matching split.')
    for v, frames in pr_videos.items():
        bad = [i for i in frames if i not in gt_videos[v]]
        if bad:
            raise ValueError(f'{pred_path}: video {v!r} has predictions for '
                             f'frameIndex {bad[0]}, a frame the ground truth '
                             'lacks.')
    missing = [v for v in gt_videos if v not in pr_videos]
    if missing:
        skipped['ground-truth videos without predictions (scored as '
                'empty)'] += len(missing)


def _accumulate(gt_frames, pr_frames, n_cls):
    """scalabel ``acc_single_video_mot``: one accumulator per class."""

    def boxes(items):
        return np.array([b[3] for b in items],
                        CLEAR_BOX_DTYPE).astype(np.float64).reshape(-1, 4)

    accs = [ClearAccumulator() for _ in range(n_cls)]
    for idx in sorted(gt_frames):
        gts = gt_frames[idx][1]
        prs = pr_frames.get(idx, (None, []))[1]
        ign = boxes([b for b in gts if b[0] < 0])
        prs = [b for b in prs if b[0] >= 0]  # crowd predictions: dropped
        for c in range(n_cls):
            g = [b for b in gts if b[0] == c]
            p = [b for b in prs if b[0] == c]
            pb = boxes(p)
            dist = iou_distances(boxes(g), pb, IOU_THR)
            p_ids = np.array([b[2] for b in p], object)
            if len(ign) and len(p):
                fps = np.ones(len(p), bool)
                fps[min_cost_pairs(dist)[1]] = False
                lo = np.maximum(pb[:, None, :2], ign[None, :, :2])
                hi = np.minimum(pb[:, None, :2] + pb[:, None, 2:],
                                ign[None, :, :2] + ign[None, :, 2:])
                inter = np.prod(np.maximum(hi - lo, 0), axis=-1)
                iof = inter / (pb[:, 2] * pb[:, 3])[:, None]
                keep = ~(fps & np.any(iof > IGNORE_IOF_THR, axis=1))
                p_ids, dist = p_ids[keep], dist[:, keep]
            if dist.shape != (0, 0):
                accs[c].update(
                    np.array([b[2] for b in g], object), p_ids, dist)
    return accs


def _average(rows: List[dict]) -> dict:
    out = {}
    for k in CLEAR_KEYS:
        v = np.nan_to_num(
            np.array([r[k] for r in rows], np.float64),
            nan=0,
            posinf=0,
            neginf=0)
        out[k] = float(v.mean()) if k in ('MOTA', 'MOTP',
                                          'IDF1') else int(v.sum())
    return out


def _mot_sequences(gt_videos, pr_videos, classes):
    """The videos as ``MOTSequence`` (x1y1x2y2 boxes) for HOTA."""
    from .mot_metrics import MOTSequence
    seqs = []
    for v, gframes in gt_videos.items():
        order = {idx: t for t, idx in enumerate(sorted(gframes))}
        pframes = pr_videos.get(v, {})
        g = [(order[i], b) for i, (_, bs) in gframes.items() for b in bs]
        p = [(order[i], b) for i, (_, bs) in pframes.items() for b in bs
             if b[0] >= 0]
        gid = {k: n for n, k in enumerate(sorted({b[2] for _, b in g}))}
        pid = {k: n for n, k in enumerate(sorted({b[2] for _, b in p}))}
        seqs.append(
            MOTSequence(
                name=v,
                num_frames=len(order),
                gt_frame=[t for t, _ in g],
                gt_id=[gid[b[2]] for _, b in g],
                gt_box=[b[4] for _, b in g],
                gt_label=[classes.index(b[1]) for _, b in g],
                gt_ignore=[b[0] < 0 for _, b in g],
                gt_considered=[b[0] >= 0 for _, b in g],
                pr_frame=[t for t, _ in p],
                pr_id=[pid[b[2]] for _, b in p],
                pr_box=[b[4] for _, b in p],
                pr_label=[b[0] for _, b in p],
                pr_score=[b[5] for _, b in p]))
    return seqs


def _tao_inputs(gt_videos, pr_videos, classes):
    """The videos as TAO ground truth / results (xywh as the converter
    writes them) for TETA."""
    gt = dict(
        videos=[],
        images=[],
        annotations=[],
        categories=[dict(id=i + 1, name=c) for i, c in enumerate(classes)])
    res, img_of = [], {}
    for vid, (v, gframes) in enumerate(gt_videos.items(), 1):
        gt['videos'].append(dict(id=vid, name=v))
        gid = {}
        for idx in sorted(gframes):
            img_id = len(gt['images']) + 1
            img_of[(v, idx)] = img_id
            gt['images'].append(dict(id=img_id, video_id=vid, frame_index=idx))
            for b in gframes[idx][1]:
                gid.setdefault(b[2], len(gid) + 1)
                gt['annotations'].append(
                    dict(
                        id=len(gt['annotations']) + 1,
                        image_id=img_id,
                        video_id=vid,
                        track_id=vid * 10**6 + gid[b[2]],
                        category_id=classes.index(b[1]) + 1,
                        bbox=b[3],
                        iscrowd=int(b[0] < 0)))
        pid = {}
        for idx, (_, boxes) in pr_videos.get(v, {}).items():
            for b in boxes:
                if b[0] < 0:
                    continue
                pid.setdefault(b[2], len(pid) + 1)
                res.append(
                    dict(
                        image_id=img_of[(v, idx)],
                        video_id=vid,
                        category_id=b[0] + 1,
                        bbox=b[3],
                        score=b[5],
                        track_id=pid[b[2]]))
    return gt, res


def evaluate_bdd100k_mot(gt_path: str,
                         pred_path: str,
                         category_tree: Optional[Dict[str,
                                                      Sequence[str]]] = None,
                         ignore_unknown: bool = False,
                         with_hota: bool = True,
                         with_teta: bool = True) -> dict:
    """Evaluate Scalabel-format BDD100K MOT predictions.

    Args:
        gt_path, pred_path: a Scalabel JSON file or a folder of them.
        category_tree: super-category -> classes (default: BDD100K's).
        ignore_unknown: skip (and count) labels of other categories instead
            of raising.
        with_hota, with_teta: also compute HOTA / mHOTA and TETA.

    Returns:
        ``rows`` (class / super-category / AVERAGE / OVERALL -> CLEAR
        figures), ``mMOTA, mMOTP, mIDF1`` and the OVERALL figures at top
        level, ``skipped`` (what was skipped, counted), and with the options
        ``HOTA, mHOTA`` (percent) and ``TETA`` (the ``evaluate_teta`` dict).
    """
    tree = OrderedDict(category_tree or BDD100K_CATEGORY_TREE)
    classes = [c for subs in tree.values() for c in subs]
    skipped = Counter()
    gt_videos = _parse_frames(
        load_scalabel_frames(gt_path, 'ground-truth'), classes, 'ground-truth',
        ignore_unknown, skipped)
    pr_videos = _parse_frames(
        load_scalabel_frames(pred_path, 'prediction'), classes, 'prediction',
        ignore_unknown, skipped)
    if not gt_videos:
        raise ValueError(f'{gt_path}: the ground truth holds no frame.')
    _align(gt_videos, pr_videos, pred_path, skipped)
    video_accs = [
        _accumulate(gt_videos[v], pr_videos.get(v, {}), len(classes))
        for v in gt_videos
    ]
    per_class = [[a[c] for a in video_accs] for c in range(len(classes))]
    rows = OrderedDict(
        (c, clear_id_summary(per_class[i])) for i, c in enumerate(classes))
    class_rows = list(rows.values())
    if len(tree) > 1 or list(tree.values())[0] != (list(tree)[0], ):
        for sup, subs in tree.items():
            rows[sup] = clear_id_summary(
                [a for c in subs for a in per_class[classes.index(c)]])
    rows[AVERAGE] = _average(class_rows)
    rows[OVERALL] = clear_id_summary([a for accs in per_class for a in accs])
    out = dict(rows[OVERALL])
    out.update(
        mMOTA=rows[AVERAGE]['MOTA'],
        mMOTP=rows[AVERAGE]['MOTP'],
        mIDF1=rows[AVERAGE]['IDF1'],
        rows=rows,
        skipped=dict(skipped))
    if with_hota:
        from .mot_metrics import evaluate_mot
        hota = evaluate_mot(
            _mot_sequences(gt_videos, pr_videos, classes),
            classes, ('HOTA', ),
            ignore_rule='bdd100k')
        out['HOTA'] = 100 * hota['combined']['HOTA']
        out['mHOTA'] = 100 * hota['mHOTA']
        for c in classes:
            rows[c]['HOTA'] = 100 * hota['per_class'][c]['HOTA']
    if with_teta:
        from .teta import evaluate_teta
        gt, res = _tao_inputs(gt_videos, pr_videos, classes)
        out['TETA'] = evaluate_teta(
            gt,
            res,
            exhaustive=True,
            use_tcc=False,
            ignore_iscrowd=True,
            all_frames=True)
    return out
