"""Generators of small on-disk datasets in the real formats (SA-V, per-frame
box files)."""
import json
import os
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils


def encode_rle(mask):
    """COCO RLE with string counts, as stored in SA-V JSON."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(
        size=[int(s) for s in rle['size']],
        counts=rle['counts'].decode('ascii'))


def write_sav_annotation(ann_dir,
                         video_id,
                         masks,
                         ann_type='manual',
                         masklet_ids=None):
    """Write ``{video_id}_{ann_type}.json``; ``masks[i][j]`` is object j's
    binary mask at annotated frame i (6 fps)."""
    os.makedirs(ann_dir, exist_ok=True)
    h, w = masks[0][0].shape
    n = len(masks[0])
    ids = list(range(n)) if masklet_ids is None else list(masklet_ids)
    ann = dict(
        video_id=video_id,
        video_duration=len(masks) / 6.0,
        video_frame_count=4 * (len(masks) - 1) + 1,
        video_height=float(h),
        video_width=float(w),
        video_resolution=float(h * w),
        video_environment='Indoor',
        video_split='train',
        masklet=[[encode_rle(m) for m in frame] for frame in masks],
        masklet_id=ids,
        masklet_size_rel=[0.1] * n,
        masklet_size_abs=[100.0] * n,
        masklet_size_bucket=['medium'] * n,
        masklet_visibility_changes=[0] * n,
        masklet_first_appeared_frame=[0.0] * n,
        masklet_frame_count=[len(masks)] * n,
        masklet_edited_frame_count=[0] * n,
        masklet_type=[ann_type] * n,
        masklet_stability_score=[[1.0]] * n,
        masklet_num=n)
    path = osp.join(ann_dir, f'{video_id}_{ann_type}.json')
    with open(path, 'w') as f:
        json.dump(ann, f)
    return path


def write_frames(img_dir, video_id, images, stride=4):
    """Write ``images[i]`` as ``<img_dir>/<video_id>/<stride*i:05d>.jpg``."""
    d = osp.join(img_dir, video_id)
    os.makedirs(d, exist_ok=True)
    paths = []
    for i, img in enumerate(images):
        p = osp.join(d, f'{stride * i:05d}.jpg')
        assert cv2.imwrite(p, img)
        paths.append(p)
    return paths


def write_box_file(path, boxes_with_scores, labels=None):
    """A MASA-layout per-frame box file: ``det_bboxes`` N x 5 numpy array."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    data = dict(
        det_bboxes=np.asarray(boxes_with_scores, np.float32).reshape(-1, 5))
    if labels is not None:
        data['det_labels'] = np.asarray(labels, np.int64)
    torch.save(data, path)


@pytest.fixture
def dw():
    """The data writers of this file (fixtures work in every pytest import
    mode)."""
    return SimpleNamespace(
        encode_rle=encode_rle,
        write_sav_annotation=write_sav_annotation,
        write_frames=write_frames,
        write_box_file=write_box_file)
