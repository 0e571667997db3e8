"""Small SA-V-format inputs for the tool tests: an mp4 written with cv2 whose
frames can be recognised after lossy coding, a masklet JSON in the
structure of the real file, and a tiny random-weight mmdet detector."""
import json
import os
import os.path as osp

import cv2
import numpy as np
from pycocotools import mask as mask_utils

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
REAL_MANUAL = osp.join(ROOT, 'tests', 'data', 'real', 'sav',
                       'sav_000001_manual.json')
# SA-V's frame rate and annotation stride
FPS, STRIDE = 24, 4
# a marker square this wide moves this many pixels per frame, so the frame
# number can be read back from a decoded JPEG (argmax of the column sums)
MARK, STEP = 8, 8


def marker_x(frame: int, width: int) -> int:
    return (frame * STEP) % (width - MARK)


def object_boxes(frame: int, width: int, height: int):
    """Three objects (x1, y1, x2, y2) moving slowly, all visible always."""
    out = []
    for j in range(3):
        x = 10 + 60 * j + frame % 7
        y = height // 3 + 10 * j
        out.append((x, y, x + 40, y + 30))
    return out


def render(frame: int, width: int, height: int) -> np.ndarray:
    img = np.full((height, width, 3), 40, np.uint8)
    for j, (x1, y1, x2, y2) in enumerate(object_boxes(frame, width, height)):
        img[y1:y2, x1:x2] = (60 + 60 * j, 200 - 50 * j, 90)
    x = marker_x(frame, width)
    img[:MARK, x:x + MARK] = 255
    return img


def read_frame_number(img: np.ndarray, num_frames: int, width: int) -> int:
    """The frame whose marker sits where the bright column of ``img`` is."""
    x = int(
        np.argmax(img[:MARK].astype(np.float64).sum(axis=(0, 2))[:width -
                                                                 MARK + 1]))
    cands = [k for k in range(num_frames) if abs(marker_x(k, width) - x) <= 3]
    assert len(cands) >= 1, x
    return cands


def write_mp4(path: str,
              num_frames: int,
              width: int = 256,
              height: int = 192) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS,
                             (width, height))
    assert writer.isOpened()
    for k in range(num_frames):
        writer.write(render(k, width, height))
    writer.release()
    return path


def write_sav_json(path: str,
                   num_frames: int,
                   width: int = 256,
                   height: int = 192) -> str:
    """``{video_id}_manual.json`` for the mp4 of :func:`write_mp4`, with the
    keys and value types of the real SA-V file (floats for the video
    fields, string RLE counts, masklet[i] = frame 4 i)."""
    with open(REAL_MANUAL) as f:
        real = json.load(f)
    ann_frames = list(range(0, num_frames, STRIDE))
    masklet = []
    for k in ann_frames:
        row = []
        for x1, y1, x2, y2 in object_boxes(k, width, height):
            m = np.zeros((height, width), np.uint8)
            m[y1:y2, x1:x2] = 1
            rle = mask_utils.encode(np.asfortranarray(m))
            row.append(
                dict(
                    size=[height, width],
                    counts=rle['counts'].decode('ascii')))
        masklet.append(row)
    n = 3
    video_id = osp.basename(path)[:-len('_manual.json')]
    ann = dict(real)
    ann.update(
        video_id=video_id,
        video_duration=num_frames / FPS,
        video_frame_count=float(num_frames),
        video_height=float(height),
        video_width=float(width),
        video_resolution=float(height * width),
        masklet=masklet,
        masklet_id=list(range(n)),
        masklet_size_rel=[0.02] * n,
        masklet_size_abs=[1200.0] * n,
        masklet_size_bucket=['medium'] * n,
        masklet_visibility_changes=[0] * n,
        masklet_first_appeared_frame=[0.0] * n,
        masklet_frame_count=[len(ann_frames)] * n,
        masklet_edited_frame_count=[0] * n,
        masklet_type=['manual'] * n,
        masklet_stability_score=[None] * n,
        masklet_num=n)
    assert set(ann) == set(real)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(ann, f)
    return path


def tiny_detector(tmp_dir: str, img_scale=(128, 96)) -> tuple:
    """A RetinaNet-R18 config of mmdet at a small test size, and a
    checkpoint of its random weights (COCO's 80 classes)."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg_path = osp.join(tmp_dir, 'retinanet_tiny.py')
    with open(cfg_path, 'w') as f:
        f.write(f'''_base_ = 'mmdet::retinanet/retinanet_r18_fpn_1x_coco.py'
model = dict(backbone=dict(init_cfg=None),
             test_cfg=dict(score_thr=0.0, nms_pre=200, max_per_img=20))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale={img_scale}, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
''')
    cfg = Config.fromfile(cfg_path)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # random weights that give boxes of varied scores
    with torch.no_grad():
        model.bbox_head.retina_cls.bias.normal_(-2.0, 1.0)
    ckpt = osp.join(tmp_dir, 'retinanet_tiny.pth')
    from mmdet.datasets import CocoDataset
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(
                dataset_meta=dict(
                    classes=list(CocoDataset.METAINFO['classes'])))), ckpt)
    return cfg_path, ckpt


def write_textured_mp4(path: str,
                       num_frames: int,
                       width: int = 480,
                       height: int = 848,
                       seed: int = 0) -> str:
    """A video with natural-image-like texture (blurred noise, panning), for
    throughput measurements: flat synthetic frames code far faster than
    camera footage."""
    rng = np.random.default_rng(seed)
    big = rng.integers(0, 256, (height + 64, width + 4 * num_frames, 3),
                       np.uint8)
    big = cv2.GaussianBlur(big, (0, 0), 3)
    big = cv2.addWeighted(big, 0.7, rng.integers(0, 256, big.shape, np.uint8),
                          0.3, 0)
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS,
                             (width, height))
    for k in range(num_frames):
        writer.write(
            np.ascontiguousarray(big[32:32 + height, 4 * k:4 * k + width]))
    writer.release()
    return path
