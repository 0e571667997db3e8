"""Scene planning: which objects a video has, how they look and move, the
occluders, the camera path and the background.

Everything is decided here, once per video, from the video's random
generator; ``renderer.py`` then evaluates the plan at any time of the base
timeline (24 fps), so a video written at 6 fps and one written at 1 fps
follow the same physics.

Coordinates are *world* pixels: the world is the view enlarged by the camera
margin ``R`` on each side; the camera at offset (dx, dy) sees
``world[R + dy : R + dy + H, R + dx : R + dx + W]``.
"""
import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .appearance import Appearance, near_identical, random_appearance
from .config import VIDEO_FPS, SyntheticConfig
from .shapes import (CATEGORIES, CATEGORY_NAMES, FREQUENCY_WEIGHTS,
                     fixed_aspect, polygons_extent, shape_polygons)

#: Gap between distractor twins, in units of the sum of their radii: 1.15
#: puts them side by side, nearly touching.
TWIN_GAP = 1.15
#: Crossing objects pass each other this far apart (fraction of the smaller
#: radius), so that both stay partly visible at the crossing.
CROSSING_OFFSET = 0.35
#: Written frames a crossing pair needs to come together and separate again.
CROSSING_SEPARATE_FRAMES = 3
#: Minimum displacement (px) per written frame of occluded and crossing
#: objects: 5 px clears the occluder's 1 px pad by >= 4 px, so the object
#: is partly visible in the written frames right before and after its
#: hidden ones (at 256 px and 6 fps this is 0.12 frame/s, inside the
#: default speed range).
MIN_EVENT_STEP_PX = 5.0
#: Pixels added around the union of the occluded object's float extents:
#: cv2.fillPoly also fills pixels its edges touch (up to 0.5 px outside),
#: which the 1 px pad covers.
OCCLUDER_PAD = 1
#: Fraction of an object's radius that may leave the view at the bounce
#: walls (objects touch and slightly cross the frame edge).
WALL_SLACK = 0.3
#: Camera path: sinusoid period range in seconds and its share of the
#: amplitude (the rest is a linear pan over the video).
CAMERA_PERIOD_S = (3.0, 8.0)
CAMERA_SINE_SHARE = 0.65
#: Occluders look like walls and poles rather than objects: smooth or
#: striped surfaces only.
OCCLUDER_TEXTURES = ('noise', 'shaded', 'stripes')
#: Background clutter primitives per 256x256 px.
CLUTTER_PER_64K_PX = 24


def reflect(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Fold positions into [lo, hi] as a ball bouncing between two walls
    (triangle wave); the identity inside the interval."""
    span = np.maximum(hi - lo, 1e-6)
    y = np.mod(x - lo, 2 * span)
    return lo + span - np.abs(y - span)


@dataclass
class ObjectPlan:
    """One object of a video, in world coordinates on the base timeline.

    ``position(t) = reflect(p0 + offset + vel * (t - t_ref), lo, hi)``.
    ``role`` is 'plain', 'twin' (near-identical distractor of ``partner``),
    'crossing' (crosses ``partner`` at written frame ``event_frames[0]``) or
    'occluded' (fully hidden during the written frames ``event_frames``).
    """
    id: int
    category: int
    appearance: Appearance
    radius0: float
    scale_end: float
    aspect: Tuple[float, float]
    angle0: float
    spin: float
    p0: np.ndarray
    vel: np.ndarray
    t_ref: float
    lo: np.ndarray
    hi: np.ndarray
    z: float
    offset: np.ndarray = field(default_factory=lambda: np.zeros(2))
    t_start: float = -math.inf
    t_end: float = math.inf
    annotated: bool = True
    role: str = 'plain'
    partner: Optional[int] = None
    event_frames: List[int] = field(default_factory=list)

    @property
    def category_name(self) -> str:
        return CATEGORY_NAMES[self.category]

    def alive(self, t: float) -> bool:
        return self.t_start <= t <= self.t_end

    def position(self, t: float) -> np.ndarray:
        return reflect(self.p0 + self.offset + self.vel * (t - self.t_ref),
                       self.lo, self.hi)

    def radius(self, t: float, duration: float) -> float:
        return self.radius0 * self.scale_end**(t / duration)

    def polygons(self, t: float, duration: float, origin=(0.0, 0.0)):
        """Shape polygons at time t, shifted by ``-origin``."""
        c = self.position(t) - np.asarray(origin, dtype=np.float64)
        return shape_polygons(self.category, c, self.radius(t, duration),
                              self.aspect, self.angle0 + self.spin * t)


@dataclass
class OccluderPlan:
    """A textured rectangle drawn above all objects ("stuff", never
    annotated); static when ``vel`` is zero."""
    center0: np.ndarray
    half: np.ndarray
    vel: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    appearance: Appearance
    for_object: Optional[int] = None

    def rect(self, t: float) -> np.ndarray:
        """World ``[x1, y1, x2, y2]`` at time t."""
        c = reflect(self.center0 + self.vel * t, self.lo, self.hi)
        return np.concatenate([c - self.half, c + self.half])


@dataclass
class VideoPlan:
    """Everything needed to render a video at its written frames."""
    height: int
    width: int
    margin: int
    frame_times: List[int]
    objects: List[ObjectPlan]
    occluders: List[OccluderPlan]
    camera: np.ndarray  # [num_frames, 2] integer (dx, dy)
    background: np.ndarray  # [H + 2R, W + 2R, 3] uint8 BGR
    pixel_noise: float
    train: bool

    @property
    def duration(self) -> float:
        """Base frames spanned by the video (>= 1, the drift time scale)."""
        return float(max(self.frame_times[-1], 1))

    def view_origin(self, k: int) -> Tuple[int, int]:
        """World (x, y) of the top-left pixel of written frame k."""
        dx, dy = self.camera[k]
        return self.margin + int(dx), self.margin + int(dy)

    def background_view(self, k: int) -> np.ndarray:
        """The noise-free background seen in written frame k."""
        ox, oy = self.view_origin(k)
        return self.background[oy:oy + self.height, ox:ox + self.width]


def _category_pool(cfg: SyntheticConfig, train: bool) -> List[int]:
    names = cfg.categories or CATEGORY_NAMES
    pool = [CATEGORY_NAMES.index(n) for n in names]
    if train and not cfg.novel_in_train:
        pool = [c for c in pool if CATEGORIES[c]['frequency'] != 'r']
        if not pool:
            raise ValueError(
                f'SyntheticConfig.categories={cfg.categories!r} has only '
                "rare ('r', novel) categories, which training videos exclude;"
                ' add base categories or set novel_in_train=True')
    return pool


def _count(fraction: float,
           n: int,
           per_unit: int,
           available: int,
           feasible: bool = True) -> int:
    """How many units (pairs or objects) a fraction of n objects gives: at
    least one when the fraction is > 0 and there is room, so that every
    enabled difficulty occurs in every video."""
    if fraction <= 0 or not feasible:
        return 0
    k = max(1, int(round(fraction * n / per_unit)))
    return min(k, available // per_unit)


def _camera_path(cfg, rng, times, duration, margin) -> np.ndarray:
    cam = np.zeros((len(times), 2), dtype=np.int64)
    if margin == 0:
        return cam
    t = np.asarray(times, dtype=np.float64)
    for axis in range(2):
        period = rng.uniform(*CAMERA_PERIOD_S) * VIDEO_FPS
        phase = rng.uniform(0, 2 * np.pi)
        pan = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0)
        x = (
            CAMERA_SINE_SHARE * np.sin(2 * np.pi * t / period + phase) +
            (1 - CAMERA_SINE_SHARE) * pan * (2 * t / duration - 1))
        cam[:, axis] = np.round(np.clip(x, -1, 1) * margin)
    return cam


def _background(cfg, rng, height, width) -> np.ndarray:
    """A textured background: colour gradient + smooth noise + clutter."""
    c1 = rng.uniform(40, 200, size=3)
    c2 = rng.uniform(40, 200, size=3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    a = rng.uniform(0, np.pi)
    g = (xx * np.cos(a) + yy * np.sin(a))
    g = (g - g.min()) / max(float(g.max() - g.min()), 1.0)
    bg = c1 * (1 - g[..., None]) + c2 * g[..., None]
    noise = rng.normal(0, 22, size=(6, 6, 3)).astype(np.float32)
    bg += cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    # fine low-contrast grain (amplitude 6) so that flat regions have texture
    f = rng.uniform(0.15, 0.35)
    bg += 6 * np.sin(f * (xx * np.cos(a + 1) + yy * np.sin(a + 1)))[..., None]
    bg = np.clip(bg, 0, 255).astype(np.uint8)
    n_clutter = int(round(CLUTTER_PER_64K_PX * height * width / 65536))
    base = bg.reshape(-1, 3).mean(0)
    s = min(height, width)
    for _ in range(n_clutter):
        col = tuple(
            float(v)
            for v in np.clip(base + rng.normal(0, 45, size=3), 0, 255))
        x, y = int(rng.integers(width)), int(rng.integers(height))
        kind = rng.integers(3)
        if kind == 0:
            x2 = int(x + rng.normal(0, 0.15 * s))
            y2 = int(y + rng.normal(0, 0.15 * s))
            cv2.line(bg, (x, y), (x2, y2), col, int(rng.integers(1, 4)))
        elif kind == 1:
            axes = tuple(int(rng.uniform(2, 0.05 * s)) for _ in range(2))
            cv2.ellipse(bg, (x, y), axes, float(rng.uniform(0, 180)), 0, 360,
                        col, -1)
        else:
            w, h = (int(rng.uniform(2, 0.06 * s)) for _ in range(2))
            cv2.rectangle(bg, (x, y), (x + w, y + h), col, -1)
    return cv2.GaussianBlur(bg, (3, 3), 0)


class _Planner:
    """Builds a `VideoPlan` (split out of `plan_video` for readability)."""

    def __init__(self, cfg: SyntheticConfig, rng: np.random.Generator,
                 frame_step: int, train: bool):
        self.cfg, self.rng, self.train = cfg, rng, train
        self.H, self.W = cfg.height, cfg.width
        self.S = min(self.H, self.W)
        self.step = frame_step
        self.n = cfg.num_frames
        self.times = [k * frame_step for k in range(self.n)]
        self.duration = float(max(self.times[-1], 1))
        self.margin = int(math.ceil(cfg.camera_motion * max(self.H, self.W)))
        self.pool = _category_pool(cfg, train)
        weights = np.array(
            [FREQUENCY_WEIGHTS[CATEGORIES[c]['frequency']] for c in self.pool])
        self.cat_p = weights / weights.sum()
        self.groups = [
            random_appearance(rng, cfg.drift_strength)
            for _ in range(cfg.num_appearance_groups)
        ]

    # -- single objects -------------------------------------------------
    def _speed(self) -> float:
        """Speed in px per base frame."""
        return self.rng.uniform(*self.cfg.speed) * self.S / VIDEO_FPS

    def _bounds(self, radius):
        m = self.margin
        r = min(radius * (1 - WALL_SLACK), 0.45 * self.S)
        lo = np.array([m + r, m + r])
        hi = np.array([m + self.W - r, m + self.H - r])
        return lo, hi

    def _appearance(self):
        cfg, rng = self.cfg, self.rng
        if self.groups:
            proto = self.groups[rng.integers(len(self.groups))]
            return near_identical(proto, rng, cfg.distractor_color_delta)
        return random_appearance(rng, cfg.drift_strength)

    def new_object(self,
                   oid: int,
                   category: Optional[int] = None,
                   radius: Optional[float] = None) -> ObjectPlan:
        cfg, rng = self.cfg, self.rng
        if category is None:
            category = int(rng.choice(self.pool, p=self.cat_p))
        if radius is None:
            radius = rng.uniform(*cfg.object_size) * self.S / 2
        aspect = fixed_aspect(category)
        if aspect is None:
            a = rng.uniform(0.8, 1.25)  # mild random stretch
            aspect = (a, 1.0 / a)
        # scale change over the whole video: up to x1.8 (or 1/1.8) at
        # drift_strength = 1
        scale_end = float(
            np.exp(rng.uniform(-1, 1) * cfg.drift_strength * np.log(1.8)))
        # rotation over the whole video: up to 90 degrees at strength 1
        spin = (
            rng.uniform(-1, 1) * cfg.drift_strength * np.pi / 2 /
            self.duration)
        lo, hi = self._bounds(radius)
        theta = rng.uniform(0, 2 * np.pi)
        vel = self._speed() * np.array([np.cos(theta), np.sin(theta)])
        return ObjectPlan(
            id=oid,
            category=int(category),
            appearance=self._appearance(),
            radius0=float(radius),
            scale_end=scale_end,
            aspect=(float(aspect[0]), float(aspect[1])),
            angle0=float(rng.uniform(0, 2 * np.pi)),
            spin=float(spin),
            p0=rng.uniform(lo, hi),
            vel=vel,
            t_ref=0.0,
            lo=lo,
            hi=hi,
            z=float(rng.uniform()))

    # -- difficulties ---------------------------------------------------
    def make_twin(self, parent: ObjectPlan, oid: int) -> ObjectPlan:
        """A near-identical distractor moving side by side with parent."""
        rng = self.rng
        twin = self.new_object(oid, parent.category,
                               parent.radius0 * rng.uniform(0.9, 1.1))
        twin.appearance = near_identical(parent.appearance, rng,
                                         self.cfg.distractor_color_delta)
        twin.aspect = parent.aspect
        twin.scale_end = parent.scale_end
        twin.spin = parent.spin
        twin.angle0 = parent.angle0 + rng.uniform(-0.2, 0.2)
        twin.vel = parent.vel.copy()
        twin.t_ref = parent.t_ref
        speed = np.linalg.norm(parent.vel)
        d = (parent.vel / speed if speed > 0 else np.array([1.0, 0.0]))
        perp = np.array([-d[1], d[0]]) * rng.choice([-1.0, 1.0])
        twin.offset = perp * (parent.radius0 + twin.radius0) * TWIN_GAP
        # start both inside their bounce walls so they begin side by side
        lo = np.maximum(parent.lo, twin.lo - twin.offset)
        hi = np.maximum(np.minimum(parent.hi, twin.hi - twin.offset), lo)
        parent.p0 = rng.uniform(lo, hi)
        twin.p0 = parent.p0.copy()
        twin.z = parent.z + 1e-3
        twin.role, twin.partner = 'twin', parent.id
        parent.role, parent.partner = 'twin', twin.id
        twin.t_start, twin.t_end = parent.t_start, parent.t_end
        return twin

    def make_crossing(self, a: ObjectPlan, b: ObjectPlan):
        """Set a and b on paths through (nearly) the same point at the same
        written frame."""
        rng, n = self.rng, self.n
        k = int(rng.integers(max(1, n // 3), max(2, (2 * n) // 3 + 1)))
        k = min(max(k, 1), n - 2)
        t_c = self.times[k]
        lo = np.maximum(a.lo, b.lo)
        hi = np.minimum(a.hi, b.hi)
        center = lo + (hi - lo) * rng.uniform(0.25, 0.75, size=2)
        r_max = max(a.radius0, b.radius0)
        # fast enough to come together and separate within a few frames,
        # at most twice the configured top speed
        floor = max(2 * r_max / (self.step * CROSSING_SEPARATE_FRAMES),
                    MIN_EVENT_STEP_PX / self.step)
        cap = max(2 * self.cfg.speed[1] * self.S / VIDEO_FPS,
                  MIN_EVENT_STEP_PX / self.step)
        theta = rng.uniform(0, 2 * np.pi)
        theta_b = theta + rng.choice([-1, 1]) * rng.uniform(np.pi / 3, np.pi)
        for obj, th in ((a, theta), (b, theta_b)):
            speed = min(max(np.linalg.norm(obj.vel), floor), cap)
            obj.vel = speed * np.array([np.cos(th), np.sin(th)])
            obj.t_ref = float(t_c)
            obj.p0 = center.copy()
        side = rng.uniform(0, 2 * np.pi)
        b.p0 = center + CROSSING_OFFSET * min(a.radius0, b.radius0) * np.array(
            [np.cos(side), np.sin(side)])
        a.role, a.partner, a.event_frames = 'crossing', b.id, [k]
        b.role, b.partner, b.event_frames = 'crossing', a.id, [k]

    def make_occluded(self, obj: ObjectPlan) -> OccluderPlan:
        """Route obj behind a static occluder for ``occlusion_frames``
        written frames, visible right before and after."""
        cfg, rng, n = self.cfg, self.rng, self.n
        h = cfg.occlusion_frames
        # hidden: k0 .. k0 + h - 1, with 2 written frames before and after
        # when the video is long enough (1 otherwise) to slide in and out
        room = 2 if n >= h + 4 else 1
        k0 = int(rng.integers(room, n - h - room + 1))
        hidden = list(range(k0, k0 + h))
        # no bounce in the window around the event: the object keeps going
        # and re-emerges on the far side of the occluder
        w0 = max(k0 - 2, 0)
        w1 = min(k0 + h + 1, n - 1)
        span = max(self.times[w1] - self.times[w0], 1)
        t_mid = 0.5 * (self.times[w0] + self.times[w1])
        extent = obj.hi - obj.lo
        speed = np.linalg.norm(obj.vel)
        speed = max(speed, MIN_EVENT_STEP_PX / self.step)
        speed = min(speed, 0.8 * float(extent.min()) / span)
        d = obj.vel / max(np.linalg.norm(obj.vel), 1e-9)
        obj.vel = d * speed
        half_path = np.abs(obj.vel) * span / 2
        lo = obj.lo + half_path
        hi = np.maximum(obj.hi - half_path, lo)
        obj.p0 = rng.uniform(lo, hi)
        obj.t_ref = float(t_mid)
        obj.role, obj.event_frames = 'occluded', hidden
        ext = np.stack([
            polygons_extent(obj.polygons(self.times[k], self.duration))
            for k in hidden
        ])
        x1, y1 = np.floor(ext[:, :2].min(0)) - OCCLUDER_PAD
        x2, y2 = np.ceil(ext[:, 2:].max(0)) + OCCLUDER_PAD
        center = np.array([x1 + x2, y1 + y2]) / 2
        half = np.array([x2 - x1, y2 - y1]) / 2
        look = random_appearance(rng, 0.0, OCCLUDER_TEXTURES)
        return OccluderPlan(
            center0=center,
            half=half,
            vel=np.zeros(2),
            lo=center,
            hi=center,
            appearance=look,
            for_object=obj.id)

    def random_occluder(self, moving: bool) -> OccluderPlan:
        rng, m, S = self.rng, self.margin, self.S
        if moving:  # a bar sweeping across the view and bouncing back
            vertical_bar = rng.uniform() < 0.5
            a, b = rng.uniform(0.06, 0.12) * S, rng.uniform(0.3, 0.6) * S
            half = np.array([a, b] if vertical_bar else [b, a]) / 2
            speed = rng.uniform(1.0, 2.0) * self._speed()
            vel = (np.array([speed, 0.0]) if vertical_bar else np.array(
                [0.0, speed])) * rng.choice([-1, 1])
            lo = np.array([m, m]) - half / 2
            hi = np.array([m + self.W, m + self.H]) + half / 2
        else:
            half = rng.uniform(0.05, 0.12, size=2) * S
            vel = np.zeros(2)
            lo = np.array([m, m]) + half
            hi = np.array([m + self.W, m + self.H]) - half
        center = rng.uniform(lo, np.maximum(hi, lo))
        if not moving:
            lo = hi = center
        look = random_appearance(rng, 0.0, OCCLUDER_TEXTURES)
        return OccluderPlan(
            center0=center, half=half, vel=vel, lo=lo, hi=hi, appearance=look)

    # -- the whole video ------------------------------------------------
    def plan(self) -> VideoPlan:
        cfg, rng, n = self.cfg, self.rng, self.n
        num = int(rng.integers(cfg.num_objects[0], cfg.num_objects[1] + 1))
        objects: List[ObjectPlan] = []
        occluders: List[OccluderPlan] = []

        n_twin = _count(cfg.distractor_fraction, num, 2, num)
        for _ in range(n_twin):
            parent = self.new_object(len(objects))
            objects.append(parent)
            objects.append(self.make_twin(parent, len(objects)))
        left = num - len(objects)
        n_cross = _count(cfg.crossing_fraction, num, 2, left, n >= 3)
        for _ in range(n_cross):
            a = self.new_object(len(objects))
            objects.append(a)
            b = self.new_object(len(objects))
            objects.append(b)
            self.make_crossing(a, b)
        left = num - len(objects)
        n_occ = _count(cfg.occlusion_fraction, num, 1, left, n
                       >= cfg.occlusion_frames + 2)
        for _ in range(n_occ):
            obj = self.new_object(len(objects))
            objects.append(obj)
            occluders.append(self.make_occluded(obj))
        while len(objects) < num:
            obj = self.new_object(len(objects))
            if n >= 4 and rng.uniform() < cfg.enter_exit_fraction:
                mode = rng.integers(3)  # enter, exit, or both
                if mode in (0, 2):
                    obj.t_start = self.times[int(rng.integers(1, n // 2 + 1))]
                if mode in (1, 2):
                    obj.t_end = self.times[int(rng.integers(n // 2, n - 1))]
            objects.append(obj)

        for _ in range(
                int(
                    rng.integers(cfg.num_static_occluders[0],
                                 cfg.num_static_occluders[1] + 1))):
            occluders.append(self.random_occluder(moving=False))
        for _ in range(
                int(
                    rng.integers(cfg.num_moving_occluders[0],
                                 cfg.num_moving_occluders[1] + 1))):
            occluders.append(self.random_occluder(moving=True))

        if self.train:  # sparse annotation: a fixed share of the objects
            k = max(1, int(round(cfg.annotated_fraction * num)))
            chosen = set(rng.permutation(num)[:k].tolist())
            for obj in objects:
                obj.annotated = obj.id in chosen

        camera = _camera_path(cfg, rng, self.times, self.duration, self.margin)
        background = _background(cfg, rng, self.H + 2 * self.margin,
                                 self.W + 2 * self.margin)
        return VideoPlan(
            height=self.H,
            width=self.W,
            margin=self.margin,
            frame_times=self.times,
            objects=objects,
            occluders=occluders,
            camera=camera,
            background=background,
            pixel_noise=cfg.pixel_noise,
            train=self.train)


def plan_video(cfg: SyntheticConfig, rng: np.random.Generator, frame_step: int,
               train: bool) -> VideoPlan:
    """Plan one video of ``cfg.num_frames`` frames written every
    ``frame_step`` base frames.  ``train`` applies sparse annotation and
    keeps novel categories out (unless ``cfg.novel_in_train``)."""
    if frame_step < 1:
        raise ValueError(f'frame_step must be >= 1, got {frame_step}')
    return _Planner(cfg, rng, int(frame_step), train).plan()
