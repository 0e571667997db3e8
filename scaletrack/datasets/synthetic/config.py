"""`SyntheticConfig`: every knob of the synthetic video generator.

All times live on one *timeline* of base frames at ``VIDEO_FPS`` (24 fps, the
SA-V video rate).  A video written with ``frame_step = k`` keeps every k-th
base frame: SA-V training videos are annotated every ``SAV_ANNOTATION_STEP``
(4) base frames (6 fps); TAO/MOT evaluation videos use ``frame_step``
(``fps_mode='normal'`` -> 4, ``'low'`` -> 24, i.e. TAO's 1 FPS).

Sizes and speeds are fractions of ``min(height, width)`` so that the same
config makes the same kind of scene at any resolution.
"""
import dataclasses
import json
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

#: Rate of the base timeline (SA-V videos are 24 fps).
VIDEO_FPS = 24
#: SA-V annotates at 6 fps: ``masklet[i]`` is video frame ``4 * i``.
SAV_ANNOTATION_STEP = 4
#: Independent random streams per output kind (same seed, different videos).
SPLIT_CODES = {'sav': 0, 'tao': 1, 'mot': 2}
#: Base frames between two written frames for each ``fps_mode``:
#: 'normal' = 6 fps (SA-V's annotation rate); 'low' = 1 fps (TAO).
FPS_MODE_STEPS = {'normal': 4, 'low': 24}


def _check_range(name, value, lo=None, hi=None, integer=False):
    """Validate a ``(min, max)`` pair; return it as a tuple."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f'SyntheticConfig.{name} must be a (min, max) pair, '
                         f'got {value!r}') from None
    for v in (a, b):
        if integer and int(v) != v:
            raise ValueError(f'SyntheticConfig.{name} must hold integers, '
                             f'got {value!r}')
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ValueError(f'SyntheticConfig.{name}={value!r} is outside '
                             f'[{lo}, {hi}]')
    if a > b:
        raise ValueError(f'SyntheticConfig.{name}={value!r}: min > max; '
                         'give (min, max)')
    return (int(a), int(b)) if integer else (float(a), float(b))


@dataclass
class SyntheticConfig:
    """Configuration of the synthetic open-world tracking videos.

    Scene:
        num_videos: videos per split.
        num_frames: written frames per video (SA-V: annotated frames, i.e.
            the length of ``masklet``; TAO/MOT: frames of the sequence).
        height, width: frame size in pixels.
        num_objects: (min, max) objects per video (uniform).
        object_size: (min, max) object diameter as a fraction of
            ``min(height, width)``; the default 0.08-0.2 gives 20-51 px
            objects at 256 px (TAO objects are mostly small to medium).
        speed: (min, max) object speed in ``min(height, width)`` per second
            (24 base frames).  At 256 px, 0.03-0.15 is 8-38 px/s: a few px
            between SA-V's 6 fps frames, about one object size at 1 fps.
        categories: names of the shape categories that may appear (None: all
            of ``CATEGORIES``).
        novel_in_train: let rare ('r', novel) categories appear in SA-V
            training videos.  False (default) keeps them out so that the
            base/novel split of the evaluation data measures generalisation
            to shapes never seen in training, as TAO's OV-MOT protocol does.
        num_appearance_groups: 0 draws every object's look independently; k>0
            makes every object a slight variation of one of k prototypes
            (SportsMOT-like teams: near-identical objects everywhere).

    Difficulty knobs (see docs/synthetic_data.md for what each one tests):
        annotated_fraction: fraction of the objects of a TRAINING video that
            get a manual masklet (the rest are present but unlabelled; at
            least one object is always annotated).
        auto_fraction: fraction of the unlabelled objects visible in the
            first annotated frame that get an *auto* masklet
            (``{video_id}_auto.json``, like SA-V's SAM-generated masklets).
        distractor_fraction: fraction of objects that come as near-identical
            twins (same category, colours ``distractor_color_delta`` apart)
            moving side by side.
        distractor_color_delta: L2 distance (BGR, 0-255) between the colours
            of twins; 20 is visible but subtle.
        crossing_fraction: fraction of objects in pairs whose paths cross
            (both pass the same point at the same written frame).
        occlusion_fraction: fraction of objects that pass fully behind a
            static occluder for ``occlusion_frames`` written frames.
        occlusion_frames: written frames of full occlusion.
        num_static_occluders: (min, max) extra static occluders per video.
        num_moving_occluders: (min, max) occluders sweeping across the view.
        drift_strength: 0..1, slow appearance change over a video: colour
            drift, texture phase, rotation and scale change (up to x1.8 at 1).
        camera_motion: amplitude of the global camera translation as a
            fraction of the frame size (the whole scene shifts, background
            included).
        enter_exit_fraction: fraction of plain objects that enter after the
            first frame or leave before the last one.
        fps_mode / frame_step: written-frame step of TAO/MOT videos (see
            module docstring); ``frame_step`` overrides ``fps_mode``.
        pixel_noise: std of Gaussian sensor noise added to every frame.
        jpeg_quality: quality of the written JPEGs.

    Pseudo-negative proposals (SA-V training frames):
        proposal_jitter: box noise of proposals, fraction of box size.
        num_background_proposals: mean number of random background boxes
            per frame (Poisson).
        proposal_duplicate_prob: probability of a jittered duplicate box of
            an annotated object (these overlap the ground truth and must be
            removed by the IoU >= 0.5 filter of the model).
        proposal_part_prob: probability of a part box of an annotated object
            (IoU < 0.5: a hard negative that survives the filter).

    Public detections (evaluation videos):
        det_miss_rate: probability of missing a fully visible object
            (partly visible ones are missed more, see ``noisy_boxes.py``).
        det_fp_rate: mean false positives per frame (Poisson).
        det_box_noise: std of box-corner noise as a fraction of box size.
        det_label_noise: probability of a wrong category label.
        det_min_visibility: objects less visible than this are never
            detected.

    seed: seed of every random choice; the same config and seed give
        byte-identical annotation files and images.
    """

    num_videos: int = 8
    num_frames: int = 24
    height: int = 256
    width: int = 256
    num_objects: Tuple[int, int] = (6, 12)
    object_size: Tuple[float, float] = (0.08, 0.2)
    speed: Tuple[float, float] = (0.03, 0.15)
    categories: Optional[Tuple[str, ...]] = None
    novel_in_train: bool = False
    num_appearance_groups: int = 0

    annotated_fraction: float = 0.6
    auto_fraction: float = 0.5
    distractor_fraction: float = 0.3
    distractor_color_delta: float = 20.0
    crossing_fraction: float = 0.3
    occlusion_fraction: float = 0.2
    occlusion_frames: int = 3
    num_static_occluders: Tuple[int, int] = (0, 2)
    num_moving_occluders: Tuple[int, int] = (0, 1)
    drift_strength: float = 0.5
    camera_motion: float = 0.08
    enter_exit_fraction: float = 0.2
    fps_mode: str = 'normal'
    frame_step: Optional[int] = None
    pixel_noise: float = 2.0
    jpeg_quality: int = 90

    proposal_jitter: float = 0.05
    num_background_proposals: float = 4.0
    proposal_duplicate_prob: float = 0.7
    proposal_part_prob: float = 0.3

    det_miss_rate: float = 0.1
    det_fp_rate: float = 1.0
    det_box_noise: float = 0.04
    det_label_noise: float = 0.1
    det_min_visibility: float = 0.1

    seed: int = 0

    def __post_init__(self):
        from .shapes import CATEGORY_NAMES
        for name in ('num_videos', 'num_frames', 'height', 'width',
                     'occlusion_frames', 'jpeg_quality', 'seed',
                     'num_appearance_groups'):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v:
                raise ValueError(f'SyntheticConfig.{name} must be an integer, '
                                 f'got {v!r}')
            setattr(self, name, int(v))
        if min(self.num_videos, self.num_appearance_groups, self.seed) < 0:
            raise ValueError('SyntheticConfig.num_videos, '
                             'num_appearance_groups and seed must be >= 0, '
                             f'got {self.num_videos}, '
                             f'{self.num_appearance_groups}, {self.seed}')
        if self.num_frames < 1:
            raise ValueError(f'SyntheticConfig.num_frames must be >= 1, got '
                             f'{self.num_frames}')
        # 32 px: below that, objects of the minimum size are a few pixels.
        if self.height < 32 or self.width < 32:
            raise ValueError(f'SyntheticConfig.height/width must be >= 32, '
                             f'got {self.height}x{self.width}')
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f'SyntheticConfig.jpeg_quality must be in '
                             f'[1, 100], got {self.jpeg_quality}')
        if self.occlusion_frames < 1:
            raise ValueError('SyntheticConfig.occlusion_frames must be >= 1')
        self.num_objects = _check_range(
            'num_objects', self.num_objects, 1, None, integer=True)
        self.object_size = _check_range('object_size', self.object_size, 0.01,
                                        0.9)
        self.speed = _check_range('speed', self.speed, 0.0, None)
        self.num_static_occluders = _check_range('num_static_occluders',
                                                 self.num_static_occluders, 0,
                                                 None, True)
        self.num_moving_occluders = _check_range('num_moving_occluders',
                                                 self.num_moving_occluders, 0,
                                                 None, True)
        for name in ('annotated_fraction', 'auto_fraction',
                     'distractor_fraction', 'crossing_fraction',
                     'occlusion_fraction', 'drift_strength',
                     'enter_exit_fraction', 'proposal_duplicate_prob',
                     'proposal_part_prob', 'det_miss_rate', 'det_label_noise',
                     'det_min_visibility'):
            v = float(getattr(self, name))
            if not 0.0 <= v <= 1.0:
                raise ValueError(f'SyntheticConfig.{name} must be in [0, 1], '
                                 f'got {v}')
            setattr(self, name, v)
        for name in ('distractor_color_delta', 'camera_motion', 'pixel_noise',
                     'proposal_jitter', 'num_background_proposals',
                     'det_fp_rate', 'det_box_noise'):
            v = float(getattr(self, name))
            if not v >= 0.0:
                raise ValueError(f'SyntheticConfig.{name} must be >= 0, got '
                                 f'{v}')
            setattr(self, name, v)
        if self.camera_motion > 0.5:
            raise ValueError(
                f'SyntheticConfig.camera_motion={self.camera_motion} moves '
                'the camera by more than half the frame; use a value <= 0.5')
        if self.fps_mode not in FPS_MODE_STEPS:
            raise ValueError(f'SyntheticConfig.fps_mode={self.fps_mode!r}; '
                             f'choose one of {sorted(FPS_MODE_STEPS)}')
        if self.frame_step is not None:
            if int(self.frame_step) != self.frame_step or self.frame_step < 1:
                raise ValueError('SyntheticConfig.frame_step must be a '
                                 f'positive integer, got {self.frame_step!r}')
            self.frame_step = int(self.frame_step)
        if self.categories is not None:
            if isinstance(self.categories, str):
                self.categories = (self.categories, )
            cats = tuple(self.categories)
            unknown = [c for c in cats if c not in CATEGORY_NAMES]
            if unknown or not cats:
                raise ValueError(f'SyntheticConfig.categories has unknown or '
                                 f'no names {unknown or cats!r}; choose from '
                                 f'{list(CATEGORY_NAMES)}')
            self.categories = cats

    @property
    def eval_frame_step(self) -> int:
        """Base frames between two written frames of an evaluation video."""
        if self.frame_step is not None:
            return self.frame_step
        return FPS_MODE_STEPS[self.fps_mode]

    def replace(self, **changes) -> 'SyntheticConfig':
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-safe dict (tuples as lists) for manifests."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, d: dict) -> 'SyntheticConfig':
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f'unknown SyntheticConfig fields {unknown}')
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**d)


def video_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random generator of video ``index`` of a split ('sav', 'tao' or
    'mot'): ``render_video(cfg, video_rng(cfg.seed, split, i), ...)``
    reproduces in memory what the writers put on disk."""
    if split not in SPLIT_CODES:
        raise ValueError(f'unknown split {split!r}; choose from '
                         f'{sorted(SPLIT_CODES)}')
    return np.random.default_rng([int(seed), SPLIT_CODES[split], int(index)])


def aux_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """A second stream of the same video for proposals, detections and
    metadata, so that they never change the rendered pixels."""
    return np.random.default_rng(
        [int(seed), SPLIT_CODES[split],
         int(index), 1])


__all__ = [
    'SyntheticConfig', 'VIDEO_FPS', 'SAV_ANNOTATION_STEP', 'FPS_MODE_STEPS',
    'SPLIT_CODES', 'video_rng', 'aux_rng'
]
