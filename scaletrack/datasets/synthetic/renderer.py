"""Rendering of planned videos and their per-frame ground truth.

`render_video(cfg, rng)` is the in-memory entry point: it returns a
`SyntheticVideo` with BGR uint8 frames and, per frame, a list of
`FrameObject` (id, category, visible box, amodal box, visibility, annotated
flag and the visible mask as COCO RLE).  The file writers use the same
`render_frame` so files and memory always agree.

Drawing order (painter's algorithm): background, objects by increasing
``z``, then occluders; a pixel belongs to the last thing drawn on it, which
gives each object's *visible* (modal) mask exactly.
"""
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
import pycocotools.mask as mask_utils

from .config import SyntheticConfig
from .scene import VideoPlan, plan_video
from .shapes import CATEGORY_NAMES, polygons_extent, rasterize

#: An object with fewer visible pixels than this (a 4x4 patch) counts as
#: invisible (empty mask, no box): annotators do not label slivers, and a
#: RoI of a few pixels carries no appearance to learn from.
MIN_VISIBLE_PIXELS = 16
_OCCLUDER_OWNER = -2

Box = Tuple[float, float, float, float]


@dataclass
class FrameObject:
    """Ground truth of one object in one frame.

    Attributes:
        id: object id, unique within the video (0-based).
        category: index into ``CATEGORY_NAMES`` (the ``det_labels`` value;
            the JSON category id is ``category + 1``).
        category_name: the category's name.
        bbox: visible (modal) box ``(x1, y1, x2, y2)`` in pixels, tight
            around the visible pixels with exclusive x2/y2 (pycocotools'
            ``toBbox`` convention), or None when not visible.
        full_bbox: the same for the whole shape ignoring occlusion (clipped
            to the image), or None.
        visibility: visible pixels / all pixels of the shape (occlusion and
            truncation by the frame border both reduce it).
        annotated: False for the unlabelled objects of training videos.
        area: number of visible pixels.
        rle: the visible mask as a pycocotools RLE (``counts`` bytes).
    """
    id: int
    category: int
    category_name: str
    bbox: Optional[Box]
    full_bbox: Optional[Box]
    visibility: float
    annotated: bool
    area: int
    rle: dict


def _tight_box(mask: np.ndarray, x0: int, y0: int) -> Optional[Box]:
    rows = np.flatnonzero(mask.any(1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(0))
    return (float(x0 + cols[0]), float(y0 + rows[0]), float(x0 + cols[-1] + 1),
            float(y0 + rows[-1] + 1))


def _local_coords(x0, y0, w, h, center, angle, scale_xy):
    """Object coordinates (u, v) of the pixels of a ``h x w`` region."""
    xs = np.arange(x0, x0 + w, dtype=np.float32) - np.float32(center[0])
    ys = np.arange(y0, y0 + h, dtype=np.float32) - np.float32(center[1])
    c, s = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    u = (xs[None, :] * c + ys[:, None] * s) / np.float32(scale_xy[0])
    v = (-xs[None, :] * s + ys[:, None] * c) / np.float32(scale_xy[1])
    return u, v


def render_frame(plan: VideoPlan,
                 k: int,
                 noise_seed: int = 0) -> Tuple[np.ndarray, List[FrameObject]]:
    """Render written frame ``k`` of a plan.

    Returns the BGR uint8 frame and the objects present in it (alive and at
    least partly inside the image, visible or fully occluded), sorted by id.
    The sensor noise comes from ``default_rng([noise_seed, k])`` so any frame
    renders identically on its own.
    """
    H, W = plan.height, plan.width
    t = plan.frame_times[k]
    progress = t / plan.duration
    ox, oy = plan.view_origin(k)
    canvas = plan.background_view(k).copy()
    owner = np.full((H, W), -1, dtype=np.int32)
    drawn = []  # (object, (ix0, iy0, ix1, iy1), in-image full mask, area)

    for obj in sorted(plan.objects, key=lambda o: o.z):
        if not obj.alive(t):
            continue
        polys = obj.polygons(t, plan.duration, origin=(ox, oy))
        ext = polygons_extent(polys)
        x0, y0 = int(np.floor(ext[0])) - 1, int(np.floor(ext[1])) - 1
        x1, y1 = int(np.ceil(ext[2])) + 2, int(np.ceil(ext[3])) + 2
        ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
        if ix0 >= ix1 or iy0 >= iy1:
            continue
        full = rasterize(polys, x0, y0, x1 - x0, y1 - y0)
        area_total = int(full.sum())
        sub = full[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
        if area_total == 0 or not sub.any():
            continue
        radius = obj.radius(t, plan.duration)
        center = obj.position(t) - [ox, oy]
        u, v = _local_coords(ix0, iy0, ix1 - ix0, iy1 - iy0, center,
                             obj.angle0 + obj.spin * t,
                             (radius * obj.aspect[0], radius * obj.aspect[1]))
        color = obj.appearance.render(u, v, progress)
        region = canvas[iy0:iy1, ix0:ix1]
        region[sub] = np.clip(color[sub] + 0.5, 0, 255).astype(np.uint8)
        owner[iy0:iy1, ix0:ix1][sub] = obj.id
        drawn.append((obj, (ix0, iy0, ix1, iy1), sub, area_total))

    for occ in plan.occluders:
        r = occ.rect(t) - [ox, oy, ox, oy]
        ix0, iy0 = max(int(np.ceil(r[0])), 0), max(int(np.ceil(r[1])), 0)
        ix1 = min(int(np.floor(r[2])) + 1, W)
        iy1 = min(int(np.floor(r[3])) + 1, H)
        if ix0 >= ix1 or iy0 >= iy1:
            continue
        center = (r[:2] + r[2:]) / 2
        half = float(max(min(occ.half), 1.0))
        u, v = _local_coords(ix0, iy0, ix1 - ix0, iy1 - iy0, center, 0.0,
                             (half, half))
        color = occ.appearance.render(u, v, progress)
        canvas[iy0:iy1, ix0:ix1] = np.clip(color + 0.5, 0,
                                           255).astype(np.uint8)
        owner[iy0:iy1, ix0:ix1] = _OCCLUDER_OWNER

    if plan.pixel_noise > 0:
        noise = np.random.default_rng([noise_seed, k]).standard_normal(
            canvas.shape, dtype=np.float32) * np.float32(plan.pixel_noise)
        canvas = np.clip(canvas + noise + 0.5, 0, 255).astype(np.uint8)

    drawn.sort(key=lambda d: d[0].id)
    masks = np.zeros((H, W, len(drawn)), dtype=np.uint8, order='F')
    records = []
    for i, (obj, (ix0, iy0, ix1, iy1), sub, area_total) in enumerate(drawn):
        visible = sub & (owner[iy0:iy1, ix0:ix1] == obj.id)
        n_visible = int(visible.sum())
        if n_visible < MIN_VISIBLE_PIXELS:
            n_visible = 0
        else:
            masks[iy0:iy1, ix0:ix1, i] = visible
        records.append(
            dict(
                id=obj.id,
                category=obj.category,
                category_name=CATEGORY_NAMES[obj.category],
                bbox=_tight_box(visible, ix0, iy0) if n_visible else None,
                full_bbox=_tight_box(sub, ix0, iy0),
                visibility=n_visible / area_total,
                annotated=obj.annotated,
                area=n_visible))
    rles = mask_utils.encode(masks) if drawn else []
    objects = [FrameObject(rle=rle, **rec) for rec, rle in zip(records, rles)]
    return canvas, objects


@dataclass
class SyntheticVideo:
    """A rendered video held in memory.

    Attributes:
        plan: the `VideoPlan` (``plan.objects`` holds each object's category,
            role — 'plain', 'twin', 'crossing', 'occluded' — partner,
            ``event_frames`` and annotated flag).
        frames: BGR uint8 ``[H, W, 3]`` frames (OpenCV/mmcv channel order).
        frame_indices: base-timeline (24 fps) frame number of each frame.
        objects: per frame, the `FrameObject` list (sorted by id).
        noise_seed: seed of the per-frame sensor noise.
    """
    plan: VideoPlan
    frames: List[np.ndarray]
    frame_indices: List[int]
    objects: List[List[FrameObject]]
    noise_seed: int

    @property
    def tracks(self):
        """Video-level object plans (id, category, annotated, role...)."""
        return self.plan.objects

    @property
    def camera_offsets(self) -> np.ndarray:
        """``[num_frames, 2]`` camera translation (dx, dy) in pixels."""
        return self.plan.camera

    def background(self, k: int) -> np.ndarray:
        """The noise-free background of frame k (no objects/occluders)."""
        return self.plan.background_view(k)

    def object(self, k: int, oid: int) -> Optional[FrameObject]:
        """Object ``oid`` in frame k, or None if absent."""
        for o in self.objects[k]:
            if o.id == oid:
                return o
        return None


def render_video(cfg: SyntheticConfig,
                 rng: np.random.Generator,
                 frame_step: Optional[int] = None,
                 train: bool = False) -> SyntheticVideo:
    """Plan and render one video in memory (no files).

    Args:
        cfg: the configuration (``num_frames`` frames of
            ``height x width``).
        rng: the video's random generator (the only source of randomness).
        frame_step: base frames between written frames; None uses
            ``cfg.eval_frame_step`` (fps_mode). SA-V videos use 4.
        train: training video: sparse annotation (``annotated_fraction``)
            and no novel categories unless ``cfg.novel_in_train``.
    """
    step = cfg.eval_frame_step if frame_step is None else int(frame_step)
    plan = plan_video(cfg, rng, step, train)
    noise_seed = int(rng.integers(2**62))
    frames, objects = [], []
    for k in range(len(plan.frame_times)):
        frame, objs = render_frame(plan, k, noise_seed)
        frames.append(frame)
        objects.append(objs)
    return SyntheticVideo(
        plan=plan,
        frames=frames,
        frame_indices=list(plan.frame_times),
        objects=objects,
        noise_seed=noise_seed)
