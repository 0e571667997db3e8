"""The vectorised TETA against a deliberately simple loop re-derivation.

``loop_teta`` below is written from the metric's definition (as the
reference ``teta`` package computes it, see docs/evaluation.md): one video,
one class, one frame at a time, with Python sets and dicts and one dense
matrix per frame. It shares no code with ``scaletrack.evaluation``. Both
must agree within 1e-6 on random inputs that exercise every rule: id
switches, wrong classes, clutter, duplicates, boxes on unannotated images,
track ids reused across videos, merged categories, max_dets, tcc and the
exhaustive mode. ``loop_teta`` also implements BDD100K's ignore regions and
every-frame timesteps (``ignore_iscrowd``, ``all_frames``), checked in
``test_teta_bdd_rules.py``.
"""
from collections import Counter, defaultdict

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from scaletrack.evaluation.functional.teta import evaluate_teta

EPS = np.finfo(float).eps
ALPHAS = np.arange(0.0, 0.99, 0.05)
KEYS = ('TETA', 'LocA', 'AssocA', 'ClsA', 'LocRe', 'LocPr', 'AssocRe',
        'AssocPr', 'ClsRe', 'ClsPr')


def iou_matrix(gt_boxes, pr_boxes):
    out = np.zeros((len(gt_boxes), len(pr_boxes)))
    for i, (gx, gy, gw, gh) in enumerate(gt_boxes):
        for j, (px, py, pw, ph) in enumerate(pr_boxes):
            gx2, gy2, px2, py2 = gx + gw, gy + gh, px + pw, py + ph
            ga, pa = (gx2 - gx) * (gy2 - gy), (px2 - px) * (py2 - py)
            iw = max(min(gx2, px2) - max(gx, px), 0)
            ih = max(min(gy2, py2) - max(gy, py), 0)
            inter = iw * ih
            union = ga + pa - inter
            if ga <= EPS or pa <= EPS or union <= EPS:
                inter = 0
            if union <= EPS:
                union = 1
            out[i, j] = inter / union
    return out


def alignment(frames_gt, frames_pr, sims):
    """Global alignment score dict (g, k) -> A and the id counts."""
    nm, gcount, kcount = defaultdict(float), Counter(), Counter()
    for g_ids, k_ids, sim in zip(frames_gt, frames_pr, sims):
        for i, g in enumerate(g_ids):
            gcount[g] += 1
            for j, k in enumerate(k_ids):
                denom = sim[i, :].sum() + sim[:, j].sum() - sim[i, j]
                if denom > EPS:
                    nm[g, k] += sim[i, j] / denom
        for k in k_ids:
            kcount[k] += 1
    ga = {
        key: v / (gcount[key[0]] + kcount[key[1]] - v)
        for key, v in nm.items()
    }
    return ga, gcount, kcount


def hungarian(g_ids, k_ids, sim, ga):
    score = np.zeros_like(sim)
    for i, g in enumerate(g_ids):
        for j, k in enumerate(k_ids):
            score[i, j] = ga.get((g, k), 0.0) * sim[i, j]
    return linear_sum_assignment(-score)


def remove_in_ignored(g_boxes, preds, ig_boxes):
    """BDD100K's ignore rule for one frame, written from its definition:
    Hungarian on IoU (pairs below 0.5 score 0), then the unmatched
    predictions more than half inside (intersection over their own area) an
    ignored box are dropped."""
    if not preds or not ig_boxes:
        return preds
    matched = set()
    if g_boxes:
        sim = iou_matrix(g_boxes, [p['bbox'] for p in preds])
        score = np.where(sim < 0.5 - EPS, 0.0, sim)
        rows, cols = linear_sum_assignment(-score)
        matched = {j for i, j in zip(rows, cols) if score[i, j] > EPS}
    kept = []
    for j, p in enumerate(preds):
        px, py, pw, ph = p['bbox']
        px2, py2 = px + pw, py + ph
        area = (px2 - px) * (py2 - py)
        inside = False
        for ix, iy, iw, ih in ig_boxes:
            iw_ = max(min(px2, ix + iw) - max(px, ix), 0)
            ih_ = max(min(py2, iy + ih) - max(py, iy), 0)
            ioa = iw_ * ih_ / area if area > EPS else 0.0
            inside = inside or ioa > 0.5 + EPS
        if j in matched or not inside:
            kept.append(p)
    return kept


def preprocess_results(gt, results, max_dets, use_tcc, merge):
    image_video = {im['id']: im['video_id'] for im in gt['images']}
    res = []
    for r in results:
        r = dict(r)
        r['track'] = (image_video[r['image_id']], r['track_id'])
        res.append(r)
    if use_tcc:
        cats = defaultdict(Counter)
        for r in res:
            cats[r['track']][r['category_id']] += 1
        vote = {}
        for track, cnt in cats.items():
            best = max(cnt.values())
            vote[track] = min(c for c, n in cnt.items() if n == best)
        for r in res:
            r['category_id'] = vote[r['track']]
        res = sorted(res, key=lambda r: r['track'])
    if max_dets:
        per_image = {}
        for r in res:
            per_image.setdefault(r['image_id'], []).append(r)
        res = []
        for lst in per_image.values():
            if len(lst) > max_dets:
                lst = sorted(
                    lst, key=lambda r: r['score'], reverse=True)[:max_dets]
            res += lst
    for r in res:
        r['category_id'] = merge.get(r['category_id'], r['category_id'])
    return res


def loop_teta(gt,
              results,
              exhaustive=False,
              max_dets=0,
              use_tcc=True,
              ignore_iscrowd=False,
              all_frames=False):
    merge = {
        m['id']: c['id']
        for c in gt['categories']
        for m in c.get('merged', [])
    }
    all_anns = [
        dict(a, category_id=merge.get(a['category_id'], a['category_id']))
        for a in gt['annotations']
    ]
    is_ignored = [
        ignore_iscrowd and bool(a.get('iscrowd') or a.get('ignore'))
        for a in all_anns
    ]
    anns = [a for a, ig in zip(all_anns, is_ignored) if not ig]
    ignored = [a for a, ig in zip(all_anns, is_ignored) if ig]
    images = {im['id']: im for im in gt['images']}
    res = preprocess_results(gt, results, max_dets, use_tcc, merge)

    first_cat = {}
    for a in anns:
        first_cat.setdefault((a['video_id'], a['track_id']), a['category_id'])
    classes = [
        c['id'] for c in gt['categories'] if c['id'] in set(first_cat.values())
    ]
    n_a = len(ALPHAS)
    tot = {
        c:
        dict(
            Loc_TP=np.zeros(n_a),
            Loc_FN=np.zeros(n_a),
            Loc_FP=np.zeros(n_a),
            Cls_TP=np.zeros(10),
            Cls_FN=np.zeros(10),
            Cls_FP=np.zeros(10),
            AssocA=np.zeros(n_a),
            AssocRe=np.zeros(n_a),
            AssocPr=np.zeros(n_a))
        for c in classes
    }

    for video in gt['videos']:
        vid = video['id']
        if all_frames:
            frame_imgs = sorted(
                (i for i, im in images.items() if im['video_id'] == vid),
                key=lambda i: images[i]['frame_index'])
        else:
            frame_imgs = sorted(
                {
                    a['image_id']
                    for a in all_anns
                    if images[a['image_id']]['video_id'] == vid
                },
                key=lambda i: images[i]['frame_index'])
        G = [[a for a in anns if a['image_id'] == i] for i in frame_imgs]
        P = [[r for r in res if r['image_id'] == i] for i in frame_imgs]
        P = [
            remove_in_ignored(
                [a['bbox'] for a in g], p,
                [a['bbox'] for a in ignored if a['image_id'] == i])
            for g, p, i in zip(G, P, frame_imgs)
        ]
        sims = [
            iou_matrix([a['bbox'] for a in g], [r['bbox'] for r in p])
            for g, p in zip(G, P)
        ]

        # class-agnostic global assignment
        in_all = {
            P[t][j]['track']
            for t in range(len(G))
            for j in range(len(P[t])) if (sims[t][:, j] >= 0.5).any()
        }
        assignment = [dict() for _ in G]
        if in_all:
            cols = [[j for j, r in enumerate(p) if r['track'] in in_all]
                    for p in P]
            g_ids = [[a['track_id'] for a in g] for g in G]
            k_ids = [[P[t][j]['track'] for j in cols[t]]
                     for t in range(len(G))]
            sub = [sims[t][:, cols[t]] for t in range(len(G))]
            ga, _, _ = alignment(g_ids, k_ids, sub)
            for t in range(len(G)):
                rows, cs = hungarian(g_ids[t], k_ids[t], sub[t], ga)
                for i, j in zip(rows, cs):
                    if sub[t][i, j] >= 0.5 - EPS:
                        assignment[t][g_ids[t][i]] = k_ids[t][j]

        cls_fp = {c: np.zeros(10) for c in classes}
        seq = {}
        for c in classes:
            gmask = [[a['category_id'] == c for a in g] for g in G]
            overlap = []
            for t in range(len(G)):
                out_tracks = {
                    k
                    for g, k in assignment[t].items() if g not in
                    {a['track_id']
                     for a in G[t] if a['category_id'] == c}
                }
                ov = set()
                for j, r in enumerate(P[t]):
                    if any(sims[t][i, j] >= 0.5 for i in range(len(G[t]))
                           if gmask[t][i]):
                        ov.add(r['track'])
                overlap.append(ov - out_tracks)
            cluster = set().union(*overlap) if overlap else set()
            own = [{r['track']
                    for r in P[t] if r['category_id'] == c}
                   for t in range(len(G))]
            n_own = sum(len(overlap[t] | own[t]) for t in range(len(G)))
            r_c = dict(
                Loc_TP=np.zeros(n_a),
                Loc_FN=np.zeros(n_a),
                Loc_FP=np.zeros(n_a),
                Cls_TP=np.zeros(10),
                Cls_FN=np.zeros(10),
                AssocA=np.zeros(n_a),
                AssocRe=np.zeros(n_a),
                AssocPr=np.zeros(n_a))
            n_gt = sum(sum(m) for m in gmask)
            if sum(len(o) for o in overlap) == 0:
                r_c['Loc_FN'][:] = n_gt
                if exhaustive:
                    cls_fp[c] = np.full(10, float(n_own))  # sets, not adds
                seq[c] = r_c
                continue
            g_ids = [[a['track_id'] for a, m in zip(G[t], gmask[t]) if m]
                     for t in range(len(G))]
            cols = [[j for j, r in enumerate(P[t]) if r['track'] in cluster]
                    for t in range(len(G))]
            k_ids = [[P[t][j]['track'] for j in cols[t]]
                     for t in range(len(G))]
            k_cls = [[P[t][j]['category_id'] for j in cols[t]]
                     for t in range(len(G))]
            sub = [
                sims[t][np.array(gmask[t], bool)][:, cols[t]]
                if len(G[t]) else np.zeros((0, len(cols[t])))
                for t in range(len(G))
            ]
            ga, gcount, kcount = alignment(g_ids, k_ids, sub)
            mcount = [Counter() for _ in ALPHAS]
            for t in range(len(G)):
                if not g_ids[t]:
                    if exhaustive:
                        cls_fp[c] += len(overlap[t] | own[t])
                    continue
                rows, cs = hungarian(g_ids[t], k_ids[t], sub[t], ga)
                if exhaustive:
                    cls_fp[c] += len(overlap[t] | own[t]) - len(overlap[t])
                for a, alpha in enumerate(ALPHAS):
                    ok = [(i, j) for i, j in zip(rows, cs)
                          if sub[t][i, j] >= alpha - EPS]
                    matched = {k_ids[t][j] for _, j in ok}
                    r_c['Loc_TP'][a] += len(ok)
                    r_c['Loc_FN'][a] += len(g_ids[t]) - len(ok)
                    r_c['Loc_FP'][a] += len(overlap[t] - matched)
                    for i, j in ok:
                        mcount[a][g_ids[t][i], k_ids[t][j]] += 1
                    if a >= 10:
                        for i, j in ok:
                            if k_cls[t][j] == c:
                                r_c['Cls_TP'][a - 10] += 1
                            else:
                                r_c['Cls_FN'][a - 10] += 1
                                if k_cls[t][j] in cls_fp:
                                    cls_fp[k_cls[t][j]][a - 10] += 1
            for a in range(n_a):
                tp = max(1, r_c['Loc_TP'][a])
                for (g, k), m in mcount[a].items():
                    r_c['AssocA'][a] += m * m / max(
                        1, gcount[g] + kcount[k] - m) / tp
                    r_c['AssocRe'][a] += m * m / max(1, gcount[g]) / tp
                    r_c['AssocPr'][a] += m * m / max(1, kcount[k]) / tp
            seq[c] = r_c
        for c in classes:
            for k in ('Loc_TP', 'Loc_FN', 'Loc_FP', 'Cls_TP', 'Cls_FN'):
                tot[c][k] += seq[c][k]
            tot[c]['Cls_FP'] += cls_fp[c]
            for k in ('AssocA', 'AssocRe', 'AssocPr'):
                tot[c][k] += seq[c][k] * seq[c]['Loc_TP']

    per_class = {}
    for c in classes:
        t = tot[c]
        tp, fn, fp = t['Loc_TP'], t['Loc_FN'], t['Loc_FP']
        ctp, cfn, cfp = t['Cls_TP'], t['Cls_FN'], t['Cls_FP']
        f = dict(
            LocA=tp / np.maximum(1, tp + fn + fp),
            LocRe=tp / np.maximum(1, tp + fn),
            LocPr=tp / np.maximum(1, tp + fp),
            AssocA=t['AssocA'] / np.maximum(1, tp),
            AssocRe=t['AssocRe'] / np.maximum(1, tp),
            AssocPr=t['AssocPr'] / np.maximum(1, tp),
            ClsA=np.mean(ctp / np.maximum(1, ctp + cfn + cfp)),
            ClsRe=np.mean(ctp / np.maximum(1, ctp + cfn)),
            ClsPr=np.mean(ctp / np.maximum(1, ctp + cfp)))
        f['TETA'] = (f['LocA'] + f['AssocA'] + f['ClsA']) / 3
        per_class[c] = {k: 100 * float(np.mean(f[k])) for k in KEYS}
    out = {k: float(np.mean([per_class[c][k] for c in classes])) for k in KEYS}
    names = {c['id']: c['name'] for c in gt['categories']}
    freq = {c['id']: c.get('frequency') for c in gt['categories']}
    out['per_class'] = {names[c]: v for c, v in per_class.items()}
    for group, fs in (('base', ('c', 'f')), ('novel', ('r', ))):
        members = [c for c in classes if freq[c] in fs]
        out[group] = {
            k: float(np.mean([per_class[c][k] for c in members]))
            for k in KEYS
        }
    return out


def random_case(seed):
    """A small TAO-like input with every difficulty of the metric."""
    rng = np.random.default_rng(seed)
    # category 5 is merged into 1; category 6 never has ground truth
    categories = [
        dict(
            id=1,
            name='cat',
            frequency='f',
            merged=[dict(id=5, name='kitten')]),
        dict(id=2, name='dog', frequency='c'),
        dict(id=3, name='yak', frequency='r'),
        dict(id=4, name='emu', frequency='r'),
        dict(id=5, name='kitten', frequency='r'),
        dict(id=6, name='unused', frequency='c')
    ]
    gt = dict(videos=[], images=[], annotations=[], categories=categories)
    results, img_id, ann_id = [], 0, 0
    for vid in range(1, 4):
        gt['videos'].append(dict(id=vid, name=f'v{vid}'))
        n_frames = int(rng.integers(4, 7))
        n_tracks = int(rng.integers(2, 5))
        start = rng.uniform(0, 300, (n_tracks, 2))
        size = rng.uniform(20, 80, (n_tracks, 2))
        vel = rng.uniform(-15, 15, (n_tracks, 2))
        gcat = rng.choice([1, 2, 3, 4, 5], n_tracks)
        clutter = rng.uniform(0, 300, (3, 2))
        for t in range(n_frames):
            img_id += 1
            gt['images'].append(dict(id=img_id, video_id=vid, frame_index=t))
            annotated = t != 2  # frame 2 has no annotation
            for k in range(n_tracks):
                if rng.random() < 0.15:
                    continue  # the object is missed by the annotators
                xy = start[k] + t * vel[k]
                box = [*xy, *size[k]]
                if annotated and rng.random() > 0.1:
                    ann_id += 1
                    gt['annotations'].append(
                        dict(
                            id=ann_id,
                            image_id=img_id,
                            video_id=vid,
                            track_id=100 + k,
                            category_id=int(gcat[k]),
                            bbox=[float(v) for v in box]))
                if rng.random() < 0.15:
                    continue  # the tracker misses it
                noise = rng.normal(0, 6, 4)
                pbox = [
                    box[0] + noise[0], box[1] + noise[1],
                    max(box[2] + noise[2], 1),
                    max(box[3] + noise[3], 1)
                ]
                tid = k + (10 if t >= 3 and k == 0 else 0)  # id switch
                pcat = int(gcat[k]) if rng.random() > 0.25 else int(
                    rng.choice([1, 2, 3, 4, 5, 6]))
                results.append(
                    dict(
                        image_id=img_id,
                        video_id=vid,
                        category_id=pcat,
                        score=float(rng.uniform(0.3, 1)),
                        bbox=[float(v) for v in pbox],
                        track_id=tid))
                if rng.random() < 0.2:  # an exact duplicate, other track
                    results.append(
                        dict(
                            results[-1],
                            track_id=tid + 50,
                            score=float(rng.uniform(0.3, 1))))
            if annotated:
                # a rider on a horse: two ground-truth boxes of different
                # classes overlapping each other (IoU ~0.7), so that the
                # class-agnostic assignment decides which cluster a
                # prediction joins
                ann_id += 1
                horse = [300.0 + 5 * t, 300.0, 100.0, 80.0]
                rider = [310.0 + 5 * t, 295.0, 100.0, 85.0]
                for tid, cat, box in ((200, 2, horse), (201, 3, rider)):
                    ann_id += 1
                    gt['annotations'].append(
                        dict(
                            id=ann_id,
                            image_id=img_id,
                            video_id=vid,
                            track_id=tid,
                            category_id=cat,
                            bbox=box))
                    noise = rng.normal(0, 3, 4)
                    results.append(
                        dict(
                            image_id=img_id,
                            video_id=vid,
                            category_id=cat,
                            score=0.8,
                            track_id=tid,
                            bbox=[float(b + n) for b, n in zip(box, noise)]))
            # a wanderer: on an annotated object in frame 1 only, far away
            # otherwise (its other boxes are zero columns of the matching)
            k0 = start[0] + t * vel[0]
            wbox = [*(k0 + 2), *size[0]
                    ] if t == 1 else [500.0 + t, 20.0, 30.0, 30.0]
            results.append(
                dict(
                    image_id=img_id,
                    video_id=vid,
                    category_id=int(gcat[0]),
                    score=0.6,
                    track_id=40,
                    bbox=[float(v) for v in wbox]))
            for j in range(3):  # clutter tracks, some unannotated objects
                xy = clutter[j] + t * 3
                results.append(
                    dict(
                        image_id=img_id,
                        video_id=vid,
                        category_id=int(rng.choice([1, 2, 3, 6])),
                        score=float(rng.uniform(0, 0.5)),
                        bbox=[float(xy[0]),
                              float(xy[1]), 40.0, 40.0],
                        track_id=20 + j))
    return gt, results


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
@pytest.mark.parametrize('exhaustive,max_dets,use_tcc', [(False, 0, True),
                                                         (True, 0, False),
                                                         (True, 4, True),
                                                         (False, 3, False)])
def test_vectorised_matches_loop_rederivation(seed, exhaustive, max_dets,
                                              use_tcc):
    gt, results = random_case(seed)
    kwargs = dict(exhaustive=exhaustive, max_dets=max_dets, use_tcc=use_tcc)
    fast = evaluate_teta(gt, results, **kwargs)
    slow = loop_teta(gt, results, **kwargs)
    # the input must be non-trivial for the comparison to mean anything
    assert 5 < slow['TETA'] < 95
    assert set(fast['per_class']) == set(slow['per_class'])
    for k in KEYS:
        assert fast[k] == pytest.approx(slow[k], abs=1e-6), k
        for group in ('base', 'novel'):
            assert fast[group][k] == pytest.approx(
                slow[group][k], abs=1e-6), (group, k)
        for name in slow['per_class']:
            assert fast['per_class'][name][k] == pytest.approx(
                slow['per_class'][name][k], abs=1e-6), (name, k)
