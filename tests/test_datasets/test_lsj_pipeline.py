"""Large-scale jittering shared by every frame of a clip (sav_train.py recipe),
with the pseudo-negative proposals following the same geometry."""
import copy
import os.path as osp
import random

import numpy as np
import pytest
from mmcv.transforms import TransformBroadcaster
from mmdet.registry import DATASETS, TRANSFORMS
from mmengine.config import Config

CFG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets',
    'sav_train.py')
H, W = 90, 120
OBJ = (30, 20, 70, 60)  # annotated white square, x1 y1 x2 y2
DISTRACTOR = (80, 50, 110, 80)  # unannotated red object, given as a proposal


def _seed(s):
    random.seed(s)
    np.random.seed(s)


def _scene():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 60, size=(H, W, 3), dtype=np.uint8)  # dark texture
    x1, y1, x2, y2 = OBJ
    img[y1:y2, x1:x2] = 255
    x1, y1, x2, y2 = DISTRACTOR
    img[y1:y2, x1:x2] = (0, 0, 255)  # red in BGR
    return img


def _write_static_video(root, dw, n=6):
    """A video whose frames are all the same image with two static objects
    (one annotated twice to pass the >= 2 objects filter, same box)."""
    m = np.zeros((H, W), np.uint8)
    x1, y1, x2, y2 = OBJ
    m[y1:y2, x1:x2] = 1
    dw.write_sav_annotation(osp.join(root, 'ann'), 'sav_000001', [[m, m]] * n)
    dw.write_frames(
        osp.join(root, 'JPEGImages_24fps'), 'sav_000001', [_scene()] * n)
    for i in range(n):
        dw.write_box_file(
            osp.join(root, 'props', 'sav_000001', f'{4 * i:05d}.pth'),
            [list(OBJ) + [0.9],
             list(DISTRACTOR) + [0.6], [0, 0, 5, 5, 0.1]])


def _dataset(root):
    cfg = Config.fromfile(CFG)
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.update(
        data_root=str(root),
        cache_file=None,
        proposals_root='props',
        data_prefix=dict(img_path='JPEGImages_24fps', ann_path='ann'))
    ds_cfg.pipeline[-1] = dict(
        type='PackClipInputs', meta_keys=('homography_matrix', ))
    return DATASETS.build(ds_cfg)


def _apply_h(hm, box):
    x1, y1, x2, y2 = box
    pts = hm @ np.array([[x1, x2], [y1, y2], [1, 1]], np.float64)
    xs, ys = pts[0] / pts[2], pts[1] / pts[2]
    return np.array([xs.min(), ys.min(), xs.max(), ys.max()])


def test_sav_train_pipeline_shares_geometry_across_the_clip(tmp_path, dw):
    _write_static_video(str(tmp_path), dw)
    ds = _dataset(tmp_path)
    scales, flips = set(), set()
    checked = 0
    for seed in range(8):
        _seed(seed)
        out = ds[0]
        frames = out['data_samples'].video_data_samples
        imgs = out['inputs'].numpy()
        assert imgs.shape == (6, 3, 518, 518)
        for k in range(1, 6):  # static clip + shared jitter = identical frames
            np.testing.assert_array_equal(imgs[k], imgs[0])
            np.testing.assert_array_equal(
                frames[k].gt_instances.bboxes.numpy(),
                frames[0].gt_instances.bboxes.numpy())
            np.testing.assert_array_equal(frames[k].proposals.bboxes.numpy(),
                                          frames[0].proposals.bboxes.numpy())
        f0 = frames[0]
        scales.add(tuple(np.round(f0.scale_factor, 4)))
        flips.add(bool(f0.flip))
        # ground truth: the 2 annotated copies of the square, ids 0 and 1
        gt = f0.gt_instances
        if len(gt) == 0:
            continue  # the crop missed the object (allow_negative_crop)
        assert sorted(gt.instances_ids.tolist()) == [0, 1]
        assert (gt.instances_ids >= 0).all()
        # the box is the original one mapped by the recorded augmentation,
        # clipped
        expect = _apply_h(np.asarray(f0.homography_matrix), OBJ)
        expect = np.clip(expect, 0, [f0.img_shape[1], f0.img_shape[0]] * 2)
        np.testing.assert_allclose(gt.bboxes[0].numpy(), expect, atol=1e-3)
        # the proposal equal to the ground-truth box is still equal to it
        props = f0.proposals.bboxes.numpy()
        # the 0.1-score one is dropped
        assert len(props) >= 1 and len(props) <= 2
        np.testing.assert_allclose(props[0], gt.bboxes[0].numpy(), atol=1e-4)
        # and boxes are aligned with the image: the square is white inside its
        # box
        x1, y1, x2, y2 = gt.bboxes[0].numpy()
        if (x2 - x1) > 6 and (y2 - y1) > 6:
            inner = imgs[0][:,
                            int(y1) + 2:int(y2) - 2,
                            int(x1) + 2:int(x2) - 2]
            assert inner.mean() > 200
        # and the unannotated red object is red inside its proposal box
        if len(props) == 2 and (props[1, 2:] - props[1, :2]).min() > 6:
            x1, y1, x2, y2 = props[1]
            inner = imgs[0][:,
                            int(y1) + 2:int(y2) - 2,
                            int(x1) + 2:int(x2) - 2]
            assert inner[2].mean() > 200 and inner[0].mean() < 50  # BGR
        checked += 1
    # the jitter is random from clip to clip (the test above is not vacuous)
    assert len(scales) > 1 and flips == {True, False}
    assert checked >= 4  # most clips keep the object in the crop


def _frames(n, h=200, w=300):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, size=(h, w, 3), dtype=np.uint8)
    bboxes = np.array([[20, 30, 120, 150], [150, 40, 290, 190]], np.float32)
    return dict(
        img=[img.copy() for _ in range(n)],
        img_shape=[(h, w)] * n,
        ori_shape=[(h, w)] * n,
        gt_bboxes=[bboxes.copy() for _ in range(n)],
        gt_bboxes_labels=[np.array([0, 0])] * n,
        gt_ignore_flags=[np.array([False, False])] * n,
        gt_instances_ids=[np.array([0, 1], np.int32)] * n,
        # present from the start: mmdet's RandomFlip adds it only when it
        # flips, and unshared flips would give frames different keys
        homography_matrix=[np.eye(3, dtype=np.float32)] * n)


LSJ_PARTS = {
    'RandomResize':
    dict(
        type='RandomResize',
        scale=(518, 518),
        ratio_range=(0.1, 2.0),
        keep_ratio=True),
    'RandomCrop':
    dict(
        type='RandomCrop',
        crop_type='absolute',
        crop_size=(100, 100),
        allow_negative_crop=True,
        recompute_bbox=True),
    'RandomFlip':
    dict(type='RandomFlip', prob=0.5),
    'Pad':
    dict(type='Pad', size=(518, 518)),
}


@pytest.mark.parametrize('name', list(LSJ_PARTS))
def test_each_lsj_transform_shares_its_random_parameters(name):
    """share_random_params=True gives identical frames for each transform of
    the recipe; without sharing the random ones differ (so the check works)."""
    differs = False
    for seed in range(10):
        for share in (True, False):
            t = TransformBroadcaster(
                transforms=[TRANSFORMS.build(LSJ_PARTS[name])],
                share_random_params=share)
            _seed(seed)
            out = t(_frames(4))
            same = all(
                out['img'][k].shape == out['img'][0].shape
                and np.array_equal(out['img'][k], out['img'][0])
                and np.array_equal(out['gt_bboxes'][k], out['gt_bboxes'][0])
                for k in range(4))
            if share:
                assert same, (f'{name} did not share its random parameters '
                              f'(seed {seed})')
            else:
                differs |= not same
    assert differs == (name != 'Pad')  # Pad has no randomness
