"""SA-V-style training data (sparsely annotated videos + pseudo-negative
proposals).

Layout under ``root``::

    annotations/{video_id}_manual.json   # SA-V masklet file (manual)
    annotations/{video_id}_auto.json     # SA-V masklet file (auto)
    JPEGImages_24fps/{video_id}/{4i:05d}.jpg   # annotated frames only
    proposals/{video_id}/{4i:05d}.pth    # MASA per-frame box file
    sav_train.txt                        # video ids, one a line
    manifest.json

``masklet[i]`` is video frame ``4 * i`` (SA-V annotates its 24 fps videos at
6 fps).  Only those frames are written, which is all a loader of the
annotated frames reads; the unannotated frames in between do not exist.
"""
import os
from functools import partial
from typing import Dict, List

import numpy as np
import pycocotools.mask as mask_utils
import torch

from .atomic_io import (atomic_torch_save, atomic_write_jpeg,
                        atomic_write_json, atomic_write_text)
from .config import (SAV_ANNOTATION_STEP, VIDEO_FPS, SyntheticConfig, aux_rng,
                     video_rng)
from .manifest import begin_split, finish_split
from .noisy_boxes import make_proposals
from .renderer import render_frame
from .scene import plan_video
from .video_loop import map_videos

SAV_OWNED = ('annotations', 'JPEGImages_24fps', 'proposals', 'sav_train.txt')
#: SA-V's masklet size buckets (mask area in px): small < 32^2 <= medium
#: < 96^2 <= large (the COCO area ranges).
SIZE_BUCKETS = ((32**2, 'small'), (96**2, 'medium'))
#: Per-mask stability scores of auto masklets (SAM's stability score of
#: kept masks is >= 0.92 by default).
AUTO_STABILITY_RANGE = (0.92, 1.0)


def sav_video_id(index: int) -> str:
    """``sav_000001`` for index 0 (SA-V's naming, 1-based)."""
    return f'sav_{index + 1:06d}'


def _rle_json(rle: dict) -> dict:
    return dict(
        size=[int(v) for v in rle['size']],
        counts=rle['counts'].decode('ascii'))


def _bucket(area: float) -> str:
    for limit, name in SIZE_BUCKETS:
        if area < limit:
            return name
    return 'large'


def _masklet_file(video_id, n_video_frames, cfg, env, ids, per_frame_rles,
                  per_frame_areas, mtype, rng) -> dict:
    """Build one SA-V annotation dict for the masklets of ``ids``."""
    H, W = cfg.height, cfg.width
    n = len(per_frame_rles)
    masklet = [[_rle_json(per_frame_rles[k][oid]) for oid in ids]
               for k in range(n)]
    size_abs, changes, first, edited, stability = [], [], [], [], []
    for oid in ids:
        areas = np.array([per_frame_areas[k][oid] for k in range(n)])
        vis = areas > 0
        f = int(np.argmax(vis))
        first.append(f)
        size_abs.append(float(areas[vis].mean()))
        changes.append(int(np.count_nonzero(vis[f + 1:] != vis[f:-1])))
        if mtype == 'manual':
            # annotators correct some of the visible frames
            edited.append(int(rng.integers(1, int(vis.sum()) + 1)))
            stability.append(None)
        else:
            edited.append(0)
            stability.append([
                round(float(rng.uniform(
                    *AUTO_STABILITY_RANGE)), 4) if v else 0.0 for v in vis
            ])
    return {
        'video_id': video_id,
        'video_duration': n_video_frames / VIDEO_FPS,
        'video_frame_count': float(n_video_frames),
        'video_height': float(H),
        'video_width': float(W),
        'video_resolution': float(H * W),
        'video_environment': env,
        'video_split': 'train',
        'masklet': masklet,
        'masklet_id': list(range(len(ids))),
        'masklet_size_rel': [a / (H * W) for a in size_abs],
        'masklet_size_abs': size_abs,
        'masklet_size_bucket': [_bucket(a) for a in size_abs],
        'masklet_visibility_changes': changes,
        'masklet_first_appeared_frame': first,
        'masklet_frame_count': [n] * len(ids),
        'masklet_edited_frame_count': edited,
        'masklet_type': [mtype] * len(ids),
        'masklet_stability_score': stability,
        'masklet_num': len(ids),
    }


def _write_sav_video(index: int, root: str, cfg: SyntheticConfig) -> dict:
    video_id = sav_video_id(index)
    rng = video_rng(cfg.seed, 'sav', index)
    aux = aux_rng(cfg.seed, 'sav', index)
    plan = plan_video(cfg, rng, SAV_ANNOTATION_STEP, train=True)
    noise_seed = int(rng.integers(2**62))  # same draw as render_video
    H, W = cfg.height, cfg.width
    empty = mask_utils.encode(np.zeros((H, W, 1), dtype=np.uint8,
                                       order='F'))[0]
    all_ids = [o.id for o in plan.objects]
    rles: List[Dict[int, dict]] = []
    areas: List[Dict[int, int]] = []
    for k, t in enumerate(plan.frame_times):
        frame, objs = render_frame(plan, k, noise_seed)
        name = f'{t:05d}'
        atomic_write_jpeg(
            os.path.join(root, 'JPEGImages_24fps', video_id, name + '.jpg'),
            frame, cfg.jpeg_quality)
        boxes, labels = make_proposals(objs, aux, cfg)
        atomic_torch_save(
            os.path.join(root, 'proposals', video_id, name + '.pth'),
            dict(
                det_bboxes=torch.from_numpy(boxes),
                det_labels=torch.from_numpy(labels)))
        by_id = {o.id: o for o in objs}
        rles.append({
            i: by_id[i].rle if i in by_id and by_id[i].area else empty
            for i in all_ids
        })
        areas.append({i: by_id[i].area if i in by_id else 0 for i in all_ids})

    def ever_visible(oid):
        return any(a[oid] > 0 for a in areas)

    manual = [o.id for o in plan.objects if o.annotated and ever_visible(o.id)]
    # auto masklets (first appeared frame is always 0 in SA-V): a share of
    # the unlabelled objects visible in the first annotated frame
    candidates = [
        o.id for o in plan.objects if not o.annotated and areas[0][o.id] > 0
    ]
    n_auto = int(round(cfg.auto_fraction * len(candidates)))
    auto = sorted(aux.permutation(candidates)[:n_auto].tolist())
    n_video_frames = SAV_ANNOTATION_STEP * (len(plan.frame_times) - 1) + 1
    env = 'Indoor' if aux.uniform() < 0.5 else 'Outdoor'
    for mtype, ids in (('manual', manual), ('auto', auto)):
        atomic_write_json(
            os.path.join(root, 'annotations', f'{video_id}_{mtype}.json'),
            _masklet_file(video_id, n_video_frames, cfg, env, ids, rles, areas,
                          mtype, aux))
    return dict(
        video_id=video_id,
        num_objects=len(all_ids),
        num_manual=len(manual),
        num_auto=len(auto))


def generate_sav(root: str,
                 cfg: SyntheticConfig,
                 num_workers: int = 0,
                 progress: bool = False,
                 overwrite: bool = False) -> dict:
    """Write ``cfg.num_videos`` SA-V-style training videos under ``root``.

    Training videos are sparsely annotated (``cfg.annotated_fraction``) and
    leave novel ('r') categories out unless ``cfg.novel_in_train``.  Video
    ``i`` is ``render_video(cfg, video_rng(cfg.seed, 'sav', i),
    frame_step=4, train=True)``.  Returns the paths (keys ``root``,
    ``ann_dir``, ``img_dir``, ``proposals_dir``, ``video_list``) and
    ``video_ids``.
    """
    root = os.path.abspath(root)
    paths = dict(
        root=root,
        ann_dir=os.path.join(root, 'annotations'),
        img_dir=os.path.join(root, 'JPEGImages_24fps'),
        proposals_dir=os.path.join(root, 'proposals'),
        video_list=os.path.join(root, 'sav_train.txt'),
        video_ids=[sav_video_id(i) for i in range(cfg.num_videos)])
    if begin_split(root, 'sav', cfg, SAV_OWNED, overwrite):
        return paths
    stats = map_videos(
        partial(_write_sav_video, root=root, cfg=cfg),
        list(range(cfg.num_videos)), num_workers, progress)
    atomic_write_text(paths['video_list'],
                      ''.join(v + '\n' for v in paths['video_ids']))
    finish_split(root, 'sav', cfg, extra=dict(videos=stats))
    return paths
