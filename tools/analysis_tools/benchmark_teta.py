"""Time ``evaluate_teta`` on a TAO-validation-sized synthetic input.

TAO val has 988 videos annotated at 1 FPS (about 30 annotated frames each);
a tracker with Detic detections outputs up to 100 boxes per frame. The input
is generated with a fixed seed:

* every video has 1-10 ground-truth tracks (of 1,230 LVIS-style categories
  with r/c/f frequencies), each visible in ~90% of the frames;
* predictions per frame: a noisy box per visible object (2 % identity
  switches per frame, a wrong class for 30 % of the objects and 10 % of the
  boxes), a lower-scored near-duplicate per object, and persistent clutter
  tracks up to ``--preds`` boxes.

Reports the wall time of ``evaluate_teta`` alone and the peak resident set
size (``resource.getrusage``) of the process before and after it (the input
list of 3 million result dicts is itself ~2 GB of Python objects).

Example::

    python tools/analysis_tools/benchmark_teta.py --videos 988 --frames 30 \\
        --preds 100
"""
import argparse
import resource
import sys
import time

import numpy as np

from scaletrack.evaluation.functional.teta import evaluate_teta

#: LVIS v1 has 1,203 categories; TAO's LVIS-based vocabulary is ~1,230.
NUM_CATEGORIES = 1230
#: Pixel size of the synthetic frames (TAO is mostly 640x480).
IMG_W, IMG_H = 640.0, 480.0


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate(num_videos: int, num_frames: int, preds_per_frame: int,
             seed: int):
    """Return (gt dict, results list) in TAO format."""
    rng = np.random.default_rng(seed)
    freqs = rng.choice(['r', 'c', 'f'], NUM_CATEGORIES, p=[0.3, 0.4, 0.3])
    gt = dict(
        videos=[],
        images=[],
        annotations=[],
        tracks=[],
        categories=[
            dict(id=i + 1, name=f'category_{i + 1}', frequency=str(freqs[i]))
            for i in range(NUM_CATEGORIES)
        ])
    results = []
    img_id = ann_id = 0
    gt_track_id = 0
    for vid in range(1, num_videos + 1):
        gt['videos'].append(
            dict(
                id=vid,
                name=f'val/video_{vid}',
                width=IMG_W,
                height=IMG_H,
                neg_category_ids=[],
                not_exhaustive_category_ids=[]))
        n_obj = int(rng.integers(1, 11))  # TAO val: ~5 boxes per frame
        cats = rng.integers(1, 400, n_obj)  # ~400 classes have GT in val
        # the tracker's class per object: wrong for 30 % of the objects
        pred_cats = np.where(
            rng.random(n_obj) < 0.3, rng.integers(1, NUM_CATEGORIES + 1,
                                                  n_obj), cats)
        size = rng.uniform(20, 200, (n_obj, 2))
        pos0 = rng.uniform(0, 1, (n_obj, 2)) * ([IMG_W, IMG_H] - size)
        vel = rng.normal(0, 4, (n_obj, 2))  # pixels per annotated frame
        n_clutter = preds_per_frame  # enough for any frame
        c_size = rng.uniform(10, 150, (n_clutter, 2))
        c_pos0 = rng.uniform(0, 1, (n_clutter, 2)) * ([IMG_W, IMG_H] - c_size)
        c_cat = rng.integers(1, NUM_CATEGORIES + 1, n_clutter)
        track_ids = np.arange(n_obj)
        for t in range(num_frames):
            img_id += 1
            gt['images'].append(
                dict(
                    id=img_id,
                    video_id=vid,
                    frame_index=t,
                    file_name=f'video_{vid}/{t:06d}.jpg',
                    width=IMG_W,
                    height=IMG_H))
            visible = rng.random(n_obj) < 0.9
            boxes = np.concatenate([pos0 + t * vel, size], 1)
            switch = rng.random(n_obj) < 0.02  # identity switches
            track_ids = np.where(switch, 100000 + t * 100 + np.arange(n_obj),
                                 track_ids)
            frame_preds = []
            for k in np.flatnonzero(visible):
                ann_id += 1
                box = boxes[k].tolist()
                gt['annotations'].append(
                    dict(
                        id=ann_id,
                        image_id=img_id,
                        video_id=vid,
                        track_id=gt_track_id + k,
                        category_id=int(cats[k]),
                        bbox=box,
                        area=box[2] * box[3],
                        iscrowd=0))
                # box noise of 5 % of the size: IoU mostly 0.7-0.95
                noisy = boxes[k] + rng.normal(0, 0.05, 4) * np.r_[boxes[k, 2:],
                                                                  boxes[k, 2:]]
                cat = int(pred_cats[k]) if rng.random() > 0.1 else int(
                    rng.integers(1, NUM_CATEGORIES + 1))
                frame_preds.append(
                    (noisy, cat, float(rng.uniform(0.5,
                                                   1)), int(track_ids[k])))
                # a lower-scored near-duplicate on a separate track
                dup = boxes[k] + rng.normal(0, 0.15, 4) * np.r_[boxes[k, 2:],
                                                                boxes[k, 2:]]
                frame_preds.append(
                    (dup, cat, float(rng.uniform(0, 0.5)), int(k + 5000)))
            n_rest = max(preds_per_frame - len(frame_preds), 0)
            c_boxes = np.concatenate([
                c_pos0[:n_rest] + rng.normal(0, 3,
                                             (n_rest, 2)), c_size[:n_rest]
            ], 1)
            c_scores = rng.uniform(0, 0.6, n_rest)
            for j in range(n_rest):
                frame_preds.append((c_boxes[j], int(c_cat[j]),
                                    float(c_scores[j]), int(10000 + j)))
            for box, cat, score, tid in frame_preds[:preds_per_frame]:
                b = box.tolist()
                results.append(
                    dict(
                        image_id=img_id,
                        video_id=vid,
                        category_id=cat,
                        bbox=b,
                        score=score,
                        track_id=tid))
        gt_track_id += n_obj
    return gt, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--videos', type=int, default=988)
    parser.add_argument('--frames', type=int, default=30)
    parser.add_argument(
        '--preds', type=int, default=100, help='predicted boxes per frame')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--exhaustive', action='store_true')
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    gt, results = generate(args.videos, args.frames, args.preds, args.seed)
    t_gen = time.perf_counter() - t0
    rss_before = peak_rss_mb()
    print(f'generated {len(gt["videos"])} videos, {len(gt["images"])} '
          f'images, {len(gt["annotations"])} ground-truth boxes, '
          f'{len(results)} predictions in {t_gen:.1f} s; peak RSS '
          f'{rss_before:.0f} MB')
    t0 = time.perf_counter()
    out = evaluate_teta(gt, results, exhaustive=args.exhaustive)
    t_eval = time.perf_counter() - t0
    rss_after = peak_rss_mb()
    print('TETA {TETA:.2f} LocA {LocA:.2f} AssocA {AssocA:.2f} '
          'ClsA {ClsA:.2f}'.format(**out))
    print(f'evaluate_teta: {t_eval:.1f} s wall, peak RSS {rss_after:.0f} '
          f'MB (+{rss_after - rss_before:.0f} MB over the input)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
