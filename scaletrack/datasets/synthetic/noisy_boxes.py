"""Detector-like boxes made from ground truth: pseudo-negative proposals for
training frames and public detections for evaluation frames.

Both return ``(det_bboxes [N, 5] float32 = x1, y1, x2, y2, score,
det_labels [N] int64)`` sorted by decreasing score, the MASA per-frame box
file content (docs/architecture.md, "Per-frame box files").
"""
from typing import Callable, List, Optional, Tuple

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps

from .config import SyntheticConfig
from .renderer import FrameObject
from .shapes import CATEGORY_NAMES

#: Boxes narrower or lower than this (px) are dropped (not a detection).
MIN_BOX_SIDE = 2.0
#: Score ranges. Object-like proposals (SAM/Detic find real objects with
#: high confidence) vs background boxes (low confidence).
OBJECT_PROPOSAL_SCORE = (0.5, 0.95)
PART_PROPOSAL_SCORE = (0.3, 0.7)
BACKGROUND_PROPOSAL_SCORE = (0.05, 0.5)
#: Share of visible unannotated objects a proposal model finds.
UNANNOTATED_RECALL = 0.9
#: A part proposal covers this fraction of its object's box (so its IoU
#: with the object is <= 0.45, below the 0.5 pseudo-negative filter).
PART_AREA = (0.2, 0.45)
#: Visibility at and above which detection is as likely as for a fully
#: visible object; below it the detection probability falls linearly.
FULL_DETECT_VISIBILITY = 0.5
#: Detection score = clip(SCORE_BASE + SCORE_GAIN * quality + noise), with
#: quality = IoU(noisy box, true box) * sqrt(visibility factor): accurate,
#: well-visible detections score high, as with a real detector.
SCORE_BASE, SCORE_GAIN, SCORE_NOISE = 0.2, 0.75, 0.05
#: Boxes are rounded to 1/100 px and scores to 1e-4 so that the .pth files,
#: the results JSON and det.txt hold exactly the same numbers.
BOX_DECIMALS, SCORE_DECIMALS = 2, 4


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix ``[N, M]`` of x1y1x2y2 boxes: mmdet's ``bbox_overlaps``
    on numpy arrays, in float64 (the generator's precision)."""
    a = torch.from_numpy(np.asarray(a, dtype=np.float64).reshape(-1, 4))
    b = torch.from_numpy(np.asarray(b, dtype=np.float64).reshape(-1, 4))
    return bbox_overlaps(a, b).numpy()


def _jitter(box, rng, sigma, height, width) -> np.ndarray:
    b = np.asarray(box, dtype=np.float64)
    w, h = b[2] - b[0], b[3] - b[1]
    b = b + rng.normal(0, sigma, size=4) * np.array([w, h, w, h])
    return np.clip(b, 0, [width, height, width, height])


def _random_box(rng, cfg: SyntheticConfig) -> np.ndarray:
    s = min(cfg.height, cfg.width)
    d = rng.uniform(*cfg.object_size) * s
    ar = rng.uniform(0.6, 1.6)
    w, h = d * np.sqrt(ar), d / np.sqrt(ar)
    x = rng.uniform(0, cfg.width - w / 2)
    y = rng.uniform(0, cfg.height - h / 2)
    return np.clip([x, y, x + w, y + h], 0,
                   [cfg.width, cfg.height, cfg.width, cfg.height])


def _part_box(box, rng) -> np.ndarray:
    """A sub-box at a random corner covering PART_AREA of the box."""
    x1, y1, x2, y2 = box
    frac = rng.uniform(*PART_AREA)
    fw = rng.uniform(frac, 1.0)  # width share; height share = frac / fw
    fh = frac / fw
    w, h = (x2 - x1) * fw, (y2 - y1) * fh
    px = x1 if rng.uniform() < 0.5 else x2 - w
    py = y1 if rng.uniform() < 0.5 else y2 - h
    return np.array([px, py, px + w, py + h])


def _pack(rows: List[Tuple[np.ndarray, float, int]]):
    boxes = np.zeros((0, 5), dtype=np.float32)
    labels = np.zeros((0, ), dtype=np.int64)
    rows = [(b, s, l) for b, s, l in rows
            if b[2] - b[0] >= MIN_BOX_SIDE and b[3] - b[1] >= MIN_BOX_SIDE]
    if rows:
        boxes = np.array(
            [[*np.round(b, BOX_DECIMALS),
              round(float(s), SCORE_DECIMALS)] for b, s, _ in rows],
            dtype=np.float32)
        labels = np.array([l for _, _, l in rows], dtype=np.int64)
        order = np.argsort(-boxes[:, 4], kind='stable')
        boxes, labels = boxes[order], labels[order]
    return boxes, labels


def make_proposals(objects: List[FrameObject], rng: np.random.Generator,
                   cfg: SyntheticConfig):
    """Pseudo-negative proposals of one training frame, a Detic/SAM-like
    mix: boxes of the visible *unannotated* objects (the negatives sparse
    annotation hides), jittered duplicates and part boxes of annotated
    objects, and random background boxes."""
    H, W = cfg.height, cfg.width
    rows = []
    for o in objects:
        if o.bbox is None:
            continue
        if not o.annotated:
            if rng.uniform() < UNANNOTATED_RECALL:
                rows.append((_jitter(o.bbox, rng, cfg.proposal_jitter, H, W),
                             rng.uniform(*OBJECT_PROPOSAL_SCORE), o.category))
            continue
        if rng.uniform() < cfg.proposal_duplicate_prob:
            rows.append(
                (_jitter(o.bbox, rng, cfg.proposal_jitter, H,
                         W), rng.uniform(*OBJECT_PROPOSAL_SCORE), o.category))
        if rng.uniform() < cfg.proposal_part_prob:
            rows.append((_part_box(o.bbox, rng),
                         rng.uniform(*PART_PROPOSAL_SCORE), o.category))
    for _ in range(rng.poisson(cfg.num_background_proposals)):
        rows.append((_random_box(rng,
                                 cfg), rng.uniform(*BACKGROUND_PROPOSAL_SCORE),
                     int(rng.integers(len(CATEGORY_NAMES)))))
    return _pack(rows)


def make_detections(objects: List[FrameObject],
                    rng: np.random.Generator,
                    cfg: SyntheticConfig,
                    box_of: Optional[Callable[[FrameObject], object]] = None):
    """Public detections of one evaluation frame: ground-truth boxes with
    corner noise, misses (more for occluded objects), wrong labels and
    Poisson false positives; scores follow box quality and visibility.

    ``box_of`` picks the ground-truth box of an object (default: the visible
    box, as TAO annotates; MOT uses the amodal ``full_bbox``)."""
    box_of = box_of or (lambda o: o.bbox)
    H, W = cfg.height, cfg.width
    n_cat = len(CATEGORY_NAMES)
    rows = []
    for o in objects:
        gt = box_of(o)
        if gt is None or o.visibility < cfg.det_min_visibility:
            continue
        vis_factor = min(1.0, o.visibility / FULL_DETECT_VISIBILITY)
        if rng.uniform() >= (1 - cfg.det_miss_rate) * vis_factor:
            continue
        box = _jitter(gt, rng, cfg.det_box_noise, H, W)
        quality = float(box_iou(box, gt)[0, 0]) * np.sqrt(vis_factor)
        score = np.clip(
            SCORE_BASE + SCORE_GAIN * quality + rng.normal(0, SCORE_NOISE),
            0.01, 0.99)
        label = o.category
        if rng.uniform() < cfg.det_label_noise:
            label = int((label + rng.integers(1, n_cat)) % n_cat)
        rows.append((box, score, label))
    for _ in range(rng.poisson(cfg.det_fp_rate)):
        # false positives: mostly low scores with a tail above the 0.3
        # tracking threshold (Beta(2, 4) has mean 1/3)
        rows.append((_random_box(rng, cfg), 0.05 + 0.6 * rng.beta(2, 4),
                     int(rng.integers(n_cat))))
    return _pack(rows)
