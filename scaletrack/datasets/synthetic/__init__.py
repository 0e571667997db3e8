"""Synthetic open-world tracking videos (see docs/synthetic_data.md).

Deterministic from a seed, rendered with numpy + OpenCV, written in the real
formats: SA-V (training, sparse masklets + pseudo-negative proposals), TAO
(COCO-VID, exhaustive, public detections) and MOTChallenge.
"""
from .benchmark import benchmark_configs, generate_benchmark
from .config import (FPS_MODE_STEPS, SAV_ANNOTATION_STEP, VIDEO_FPS,
                     SyntheticConfig, aux_rng, video_rng)
from .mot import generate_mot, mot_sequence_name
from .noisy_boxes import box_iou, make_detections, make_proposals
from .renderer import FrameObject, SyntheticVideo, render_frame, render_video
from .sav import generate_sav, sav_video_id
from .scene import ObjectPlan, VideoPlan, plan_video
from .shapes import CATEGORIES, CATEGORY_NAMES, category_index
from .tao import generate_tao, tao_categories, tao_video_name

__all__ = [
    'SyntheticConfig', 'VIDEO_FPS', 'SAV_ANNOTATION_STEP', 'FPS_MODE_STEPS',
    'video_rng', 'aux_rng', 'render_video', 'render_frame', 'SyntheticVideo',
    'FrameObject', 'plan_video', 'VideoPlan', 'ObjectPlan', 'generate_sav',
    'generate_tao', 'generate_mot', 'generate_benchmark', 'benchmark_configs',
    'make_proposals', 'make_detections', 'box_iou', 'CATEGORIES',
    'CATEGORY_NAMES', 'category_index', 'sav_video_id', 'tao_video_name',
    'mot_sequence_name', 'tao_categories'
]
