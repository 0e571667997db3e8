"""Embedding context probe (issue 16): how much of the tracking embedding
is the box's place and size rather than the object's pixels?

Usage::

    python tools/analysis_tools/embedding_probe.py CONFIG CHECKPOINT \
        [--data-root DIR] [--out FILE.json] [--random-init] \
        [--pairs-per-frame 3] [--shifts 8,32,64] [--seed 0]

On the held-out TAO-style videos (``DIR/tao_val/annotations/
validation.json`` + ``frames/``; by default the config's test dataloader
``ann_file`` / ``data_prefix``, i.e. ``$SCALETRACK_SYNTH_ROOT`` for the
synthetic configs), every GT box is embedded with ``track_head.predict`` on
its frame alone: the temporal input is T = 1 (``temporal_feats=None``, the
current final-level map only), so no earlier frame enters. Frames enter
at their stored size (the synthetic ones are the test scale, 256 x 256),
normalised as the config's ``data_preprocessor``. Three probes:

(a) ridge: 5-fold cross-validated R^2 of a ridge regression from the
    L2-normalised embedding to (cx / W, cy / H, log sqrt(w h)); the alpha is
    chosen per target from :data:`ALPHAS` on the same folds (a nested choice
    that is mildly optimistic, identically so for every model);
(b) pixel swap: for random non-overlapping GT pairs (A, B) of a frame, the
    two boxes' pixels are swapped (each resized into the other's box).
    "same content, new place" = cos(A, A's pixels in B's box), "new content,
    same place" = cos(B, A's pixels in B's box) (and symmetrically for B),
    baseline = cos(A, B) in the original frame;
(c) shift: the whole frame is shifted by (d, d) px (padded with the Pad
    colour of the config's training pipeline); cos(box, shifted box) for
    the boxes that stay inside: same content and context, new place.

A checkpoint is loaded with ``load_checkpoint_checked``; ``--random-init``
evaluates the config's model untrained (``init_weights`` after
``torch.manual_seed(--seed)``), the reference for (a)-(c). Prints a table
and writes every figure to ``--out`` (JSON).
"""
import argparse
import logging
import os.path as osp
import sys
from collections import defaultdict

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger

from scaletrack.utils.file_io import dump_json_atomic, load_json_file

#: ridge penalties tried per target, one per decade: the inputs are unit
#: vectors, so X^T X is O(n) (n ~ 10^3 boxes) and 1e-6 is least squares in
#: effect while 10 shrinks hard
ALPHAS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
#: cross-validation folds of the ridge probe
NUM_FOLDS = 5
TARGETS = ('cx', 'cy', 'log_size')
TEMPORAL_INPUT = 'T=1: the current frame alone (temporal_feats=None)'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Probe how much of the tracking embedding is box '
        'position / scale (issue 16)')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint (omit with --random-init)')
    parser.add_argument(
        '--data-root',
        help='root holding tao_val/annotations/validation.json and '
        'tao_val/frames/ (default: the config\'s test dataloader)')
    parser.add_argument('--out', help='JSON file for the figures')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='evaluate the config\'s model untrained (seeded)')
    parser.add_argument(
        '--pairs-per-frame',
        type=int,
        default=3,
        help='random GT pairs per frame for the pixel-swap probe')
    parser.add_argument(
        '--shifts',
        default='8,32,64',
        help='comma-separated whole-frame shifts in px (one stride-8 cell '
        'to two stride-32 cells)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.random_init == (args.checkpoint is not None):
        parser.error('give a CHECKPOINT or --random-init (exactly one)')
    if args.out and not args.out.endswith('.json'):
        parser.error(f'--out {args.out!r} must end with .json')
    if args.pairs_per_frame < 0:
        parser.error('--pairs-per-frame must be >= 0')
    try:
        args.shifts = [int(s) for s in args.shifts.split(',') if s.strip()]
    except ValueError:
        parser.error(f'--shifts {args.shifts!r}: give integers, e.g. 8,32')
    if any(d <= 0 for d in args.shifts):
        parser.error('--shifts must be positive pixel counts')
    return args


# ------------------------------------------------------------------ inputs
def data_files(cfg: Config, data_root=None):
    """``(annotation file, frames folder)`` of the held-out videos."""
    if data_root is not None:
        base = osp.join(data_root, 'tao_val')
        return (osp.join(base, 'annotations',
                         'validation.json'), osp.join(base, 'frames'))
    dataset = cfg.test_dataloader.dataset
    return dataset.ann_file, dataset.data_prefix['img_path']


def load_frames(ann_file: str, img_root: str):
    """``[(image path, [N, 4] xyxy GT boxes)]`` of the frames with boxes."""
    data = load_json_file(ann_file, 'TAO-style annotation')
    boxes = defaultdict(list)
    for ann in data.get('annotations', []):
        x, y, w, h = ann['bbox']
        if w > 0 and h > 0:
            boxes[ann['image_id']].append([x, y, x + w, y + h])
    frames = [(osp.join(img_root, im['file_name']),
               np.array(boxes[im['id']], dtype=np.float32))
              for im in data.get('images', []) if boxes[im['id']]]
    if not frames:
        raise ValueError(f'{ann_file} has no GT box with a positive size: '
                         'nothing to probe; pass a validation split with '
                         'annotations.')
    return frames


def read_image(path: str) -> np.ndarray:
    img = cv2.imread(path)
    if img is None:
        raise FileNotFoundError(f'frame {path!r} cannot be read; check the '
                                'frames folder of --data-root.')
    return img


def train_pad_colour(cfg: Config):
    """``pad_val['img']`` of the first ``Pad`` of the training pipeline
    (searched through wrappers such as ``TransformBroadcaster``); mmcv's
    default 0 when there is none."""

    def find(node):
        if isinstance(node, dict):
            if node.get('type') == 'Pad':
                val = node.get('pad_val', 0)
                return val.get('img', 0) if isinstance(val, dict) else val
            node = list(node.values())
        if isinstance(node, (list, tuple)):
            for item in node:
                found = find(item)
                if found is not None:
                    return found
        return None

    found = find(cfg.get('train_dataloader', {}).get('dataset', {}))
    return 0 if found is None else found


# ------------------------------------------------------------------- model
def build_model(cfg: Config, config_path: str, checkpoint, seed: int):
    """The config's model in eval mode: seeded init, then the checkpoint
    (if any) through the project's checked loader."""
    from mmdet.registry import MODELS

    from scaletrack.utils import load_checkpoint_checked
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights lists every tensor
    try:
        model.init_weights()  # as the Runner before training
    finally:
        logger.setLevel(level)
    if checkpoint is not None:
        load_checkpoint_checked(model, checkpoint, config_path)
    return model.eval()


class Embedder:
    """L2-normalised embeddings of boxes of a BGR frame, preprocessed as
    the config's ``data_preprocessor`` (mean / std / bgr_to_rgb / pad)."""

    def __init__(self, model, preprocessor: dict):
        self.model = model
        self.mean = torch.tensor(preprocessor['mean'])[:, None, None]
        self.std = torch.tensor(preprocessor['std'])[:, None, None]
        self.bgr_to_rgb = preprocessor.get('bgr_to_rgb', False)
        self.divisor = preprocessor.get('pad_size_divisor', 1)

    def input_tensor(self, img: np.ndarray) -> torch.Tensor:
        x = img[..., ::-1] if self.bgr_to_rgb else img
        x = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
        x = (x.float() - self.mean) / self.std
        h, w = x.shape[-2:]
        pad_h, pad_w = (-h) % self.divisor, (-w) % self.divisor
        return F.pad(x, (0, pad_w, 0, pad_h))[None]  # zeros, as mmdet's

    @torch.no_grad()
    def __call__(self, img: np.ndarray, boxes) -> np.ndarray:
        track_img, sx, sy = self.model._track_input(self.input_tensor(img))
        feats = self.model.extract_track_feats(track_img)
        rois = torch.as_tensor(np.asarray(boxes), dtype=torch.float32)
        rois = rois * rois.new_tensor([sx, sy, sx, sy])
        embeds = self.model.track_head.predict(feats, [rois], None)
        return F.normalize(embeds, dim=1).numpy()


# ----------------------------------------------------------- (a) ridge
def box_targets(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """``[N, 3]`` = (cx / W, cy / H, log sqrt(w h)) of xyxy boxes."""
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return np.stack(
        [(boxes[:, 0] + boxes[:, 2]) / 2 / width,
         (boxes[:, 1] + boxes[:, 3]) / 2 / height, 0.5 * np.log(w * h)], 1)


def ridge_cv_predict(X, Y, alpha: float, folds) -> np.ndarray:
    """Out-of-fold ridge predictions (centred per training fold, so the
    intercept is not penalised)."""
    pred = np.zeros_like(Y, dtype=np.float64)
    for test in folds:
        train = np.setdiff1d(np.arange(len(X)), test)
        mx, my = X[train].mean(0), Y[train].mean(0)
        Xc = X[train] - mx
        W = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]),
                            Xc.T @ (Y[train] - my))
        pred[test] = (X[test] - mx) @ W + my
    return pred


def ridge_cv_r2(X, Y, rng, alphas=ALPHAS, num_folds=NUM_FOLDS):
    """Per target column: the best cross-validated R^2 over ``alphas`` and
    that alpha (the nested choice is mildly optimistic)."""
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    if len(X) < num_folds:
        raise ValueError(f'{len(X)} boxes: the ridge probe needs at least '
                         f'{num_folds} (one per fold)')
    folds = np.array_split(rng.permutation(len(X)), num_folds)
    total = ((Y - Y.mean(0))**2).sum(0)
    r2 = np.stack([
        1 - ((Y - ridge_cv_predict(X, Y, a, folds))**2).sum(0) / total
        for a in alphas
    ])  # [num_alphas, num_targets]
    best = r2.argmax(0)
    return r2.max(0), np.asarray(alphas)[best]


# ------------------------------------------------------- (b) pixel swap
def int_box(box, width: int, height: int):
    """``box`` rounded to whole pixels and clipped to the image."""
    x1, y1, x2, y2 = [int(round(float(v))) for v in box]
    return [
        min(max(x1, 0), width),
        min(max(y1, 0), height),
        min(max(x2, 0), width),
        min(max(y2, 0), height)
    ]


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def swap_pixels(img: np.ndarray, a, b) -> np.ndarray:
    """A copy of ``img`` whose integer boxes ``a`` and ``b`` (xyxy, not
    overlapping) hold each other's pixels, each resized to the other box."""
    out = img.copy()
    for src, dst in ((a, b), (b, a)):
        crop = img[src[1]:src[3], src[0]:src[2]]
        out[dst[1]:dst[3], dst[0]:dst[2]] = cv2.resize(
            crop, (dst[2] - dst[0], dst[3] - dst[1]),
            interpolation=cv2.INTER_LINEAR)
    return out


def swap_pairs(boxes, num_pairs: int, rng):
    """Up to ``num_pairs`` random pairs ``(i, j)`` of non-empty,
    non-overlapping integer boxes."""
    ok = [b[2] > b[0] and b[3] > b[1] for b in boxes]
    pairs = [(i, j) for i in range(len(boxes))
             for j in range(i + 1, len(boxes))
             if ok[i] and ok[j] and not overlap(boxes[i], boxes[j])]
    if not pairs:
        return []
    pick = rng.choice(len(pairs), min(num_pairs, len(pairs)), replace=False)
    return [pairs[k] for k in pick]


def swap_probe(embed, img, boxes, embeds, num_pairs, rng):
    """The three cosine lists of the pixel-swap test on one frame."""
    ib = [int_box(b, img.shape[1], img.shape[0]) for b in boxes]
    same_content, same_place, baseline = [], [], []
    for i, j in swap_pairs(ib, num_pairs, rng):
        swapped = embed(swap_pixels(img, ib[i], ib[j]), boxes[[i, j]])
        # swapped[1]: A's pixels in B's box; swapped[0]: B's in A's
        same_content += [embeds[i] @ swapped[1], embeds[j] @ swapped[0]]
        same_place += [embeds[j] @ swapped[1], embeds[i] @ swapped[0]]
        baseline.append(embeds[i] @ embeds[j])
    return same_content, same_place, baseline


# ------------------------------------------------------ (c) frame shift
def shift_image(img: np.ndarray, d: int, pad) -> np.ndarray:
    """``img`` moved by ``d`` px right and down, ``pad`` filling in."""
    out = np.empty_like(img)
    out[:] = pad
    out[d:, d:] = img[:img.shape[0] - d, :img.shape[1] - d]
    return out


def shift_probe(embed, img, boxes, embeds, d: int, pad):
    """cos(box, the same box after a whole-frame shift by d) of the boxes
    still inside the frame."""
    h, w = img.shape[:2]
    keep = (boxes[:, 2] + d <= w) & (boxes[:, 3] + d <= h)
    if not keep.any():
        return []
    moved = embed(shift_image(img, d, pad), boxes[keep] + d)
    return list((embeds[keep] * moved).sum(1))


# -------------------------------------------------------------- the probe
def run_probe(embed, frames, pairs_per_frame, shifts, pad, seed):
    """All three probes over ``frames``; a JSON-ready dict."""
    rng = np.random.RandomState(seed)
    X, Y = [], []
    swap = ([], [], [])
    shifted = {d: [] for d in shifts}
    for path, boxes in frames:
        img = read_image(path)
        embeds = embed(img, boxes)
        X.append(embeds)
        Y.append(box_targets(boxes, img.shape[1], img.shape[0]))
        for acc, vals in zip(
                swap,
                swap_probe(embed, img, boxes, embeds, pairs_per_frame, rng)):
            acc += vals
        for d in shifts:
            shifted[d] += shift_probe(embed, img, boxes, embeds, d, pad)
    X, Y = np.concatenate(X), np.concatenate(Y)
    r2, alpha = ridge_cv_r2(X, Y, rng)

    def mean(vals):
        return float(np.mean(vals)) if vals else None

    return dict(
        num_frames=len(frames),
        num_boxes=len(X),
        embed_dim=int(X.shape[1]),
        ridge=dict(
            r2={
                t: float(v)
                for t, v in zip(TARGETS, r2)
            },
            alpha={
                t: float(v)
                for t, v in zip(TARGETS, alpha)
            },
            alphas=list(ALPHAS),
            folds=NUM_FOLDS),
        swap=dict(
            num_pairs=len(swap[2]),
            cos_same_content_new_place=mean(swap[0]),
            cos_new_content_same_place=mean(swap[1]),
            cos_baseline_a_b=mean(swap[2])),
        shift={
            str(d): dict(cos=mean(v), num_boxes=len(v))
            for d, v in shifted.items()
        })


def fmt(v):
    return '-' if v is None else f'{v:.3f}'


def table(res: dict) -> str:
    rows = [(f'ridge CV R^2 {t} (alpha {res["ridge"]["alpha"][t]:g})',
             res['ridge']['r2'][t]) for t in TARGETS]
    sw = res['swap']
    rows += [
        ('swap: cos(same content, new place)',
         sw['cos_same_content_new_place']),
        ('swap: cos(new content, same place)',
         sw['cos_new_content_same_place']),
        ('swap: cos(A, B) baseline', sw['cos_baseline_a_b']),
    ]
    rows += [(f'shift {d} px: cos(box, shifted box) (n={s["num_boxes"]})',
              s['cos']) for d, s in res['shift'].items()]
    width = max(len(name) for name, _ in rows)
    head = (f'{res["model"]}: {res["num_boxes"]} boxes in '
            f'{res["num_frames"]} frames, {res["swap"]["num_pairs"]} swap '
            f'pairs, embed dim {res["embed_dim"]}, {TEMPORAL_INPUT}')
    return '\n'.join([head] + [f'  {n:<{width}}  {fmt(v)}' for n, v in rows])


def main(argv=None) -> int:
    args = parse_args(argv)
    from scaletrack.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    try:
        if not osp.isfile(args.config):
            raise FileNotFoundError(f'config file {args.config!r} not found')
        cfg = Config.fromfile(args.config)
        ann_file, img_root = data_files(cfg, args.data_root)
        frames = load_frames(ann_file, img_root)
        model = build_model(cfg, args.config, args.checkpoint, args.seed)
        embed = Embedder(model, cfg.model.data_preprocessor)
        res = run_probe(embed, frames, args.pairs_per_frame, args.shifts,
                        train_pad_colour(cfg), args.seed)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    res = dict(
        model='random init' if args.random_init else args.checkpoint,
        config=args.config,
        checkpoint=args.checkpoint,
        random_init=args.random_init,
        seed=args.seed,
        ann_file=ann_file,
        temporal_input=TEMPORAL_INPUT,
        **res)
    print(table(res))
    if args.out:
        dump_json_atomic(res, args.out, indent=2)
        print(f'figures written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
