"""Time one ScaleTrackTracker step (matching + memory update).

Embeddings are given (random unit vectors, returned by a stand-in
``model.track_head.predict``), so this measures the tracker alone through
its mmdet interface ``track(model, img, feats, data_sample)``: cosine
similarity, gated Hungarian assignment (Eq. 10), EMA update,
births, votes and track expiry. For each number of live tracks ``T`` the
tracker is filled with ``T`` tracks, then the timed step associates
``--num-dets`` detections, of which ``--reobserved`` (a fraction) are noisy
re-observations of existing tracks and the rest are new objects. Each repeat
runs on a fresh copy of the filled tracker (copy not timed).

Example (the table in docs/tracker.md)::

    python tools/analysis_tools/benchmark_tracker.py --threads 1

``--motion none gate fuse both`` times each mode of the optional Kalman
motion cue (``ScaleTrackTracker(motion=dict(mode=...))``; ``none`` is the
default appearance-only step) in turn, with the tracks' Kalman states warmed
by a few steps; every step then also predicts all tracks and (gate) the
``[T, N]`` Mahalanobis distances or (fuse) the IoU with the predicted boxes.

prints the median / minimum / 90th percentile milliseconds per step (the
minimum is the least disturbed by other processes on a shared machine), the
time of ``scipy.optimize.linear_sum_assignment`` alone and the growth between
sizes (``slope`` = d log(median time) / d log(T)).
"""
import argparse
import copy
import math
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment


def parse_args():
    parser = argparse.ArgumentParser(
        description='Benchmark one ScaleTrackTracker association step')
    parser.add_argument(
        '--num-dets',
        type=int,
        default=100,
        help='detections per frame (the paper keeps 100)')
    parser.add_argument(
        '--tracks',
        type=int,
        nargs='+',
        default=[10, 30, 100, 300, 1000],
        help='numbers of live tracks to time')
    parser.add_argument(
        '--embed-dim',
        type=int,
        default=256,
        help='embedding size (the head outputs 256)')
    parser.add_argument(
        '--reobserved',
        type=float,
        default=0.8,
        help='fraction of detections that re-observe an '
        'existing track (the rest are new objects)')
    parser.add_argument(
        '--repeats',
        type=int,
        default=50,
        help='timed steps per size (median reported)')
    parser.add_argument(
        '--warmup', type=int, default=5, help='untimed steps per size')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch.set_num_threads (1 = one CPU core)')
    parser.add_argument(
        '--motion',
        nargs='+',
        default=['none'],
        choices=['none', 'gate', 'fuse', 'both'],
        help='motion-cue modes to time (none = appearance only)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='optional JSON file for the results')
    return parser.parse_args()


def random_dets(num, gen):
    xy = torch.rand(num, 2, generator=gen) * 1000
    wh = 10 + torch.rand(num, 2, generator=gen) * 100
    return InstanceData(
        bboxes=torch.cat([xy, xy + wh], dim=1),
        scores=0.3 + 0.7 * torch.rand(num, generator=gen),
        labels=torch.randint(0, 10, (num, ), generator=gen))


#: Steps that re-observe every track (boxes moved by `WARMUP_SHIFT_PX`)
#: before timing, so that the Kalman states have velocities and full
#: covariances.
MOTION_WARMUP_STEPS = 3
#: 1 px per step: inside the chi2 gate even for the smallest (10 px) boxes,
#: whose fresh-track centre std is about 1.4 px.
WARMUP_SHIFT_PX = 1.0


def filled_tracker(num_tracks, dim, gen, motion='none'):
    from scaletrack.models.trackers import ScaleTrackTracker
    tracker = ScaleTrackTracker(
        init_score_thr=0.0,
        motion=None if motion == 'none' else dict(mode=motion))
    bank = F.normalize(torch.randn(num_tracks, dim, generator=gen), dim=1)
    dets = random_dets(num_tracks, gen)
    tracker.associate(0, dets, bank)
    if motion != 'none':
        for step in range(1, MOTION_WARMUP_STEPS + 1):
            dets = dets.clone()
            dets.bboxes = dets.bboxes + WARMUP_SHIFT_PX
            tracker.associate(step, dets, bank)
    assert tracker.num_live_tracks == num_tracks
    return tracker, bank


class _GivenEmbeddings:
    """Stands in for the model: ``track_head.predict`` returns the given
    embeddings (the head is not timed)."""

    def __init__(self, embeds):
        self.track_head = self
        self.embeds = embeds

    def predict(self, feats, bboxes, temporal_feats=None):
        return self.embeds


def step_inputs(bank, track_boxes, num_dets, reobserved, gen):
    """Detections: re-observations (the track's embedding with noise, its
    last box moved on by the warm-up's shift plus 0.5 px noise) and new
    objects (random embedding and box)."""
    num_tracks, dim = bank.shape
    n_old = min(num_tracks, int(round(reobserved * num_dets)))
    old = torch.randperm(num_tracks, generator=gen)[:n_old]
    embeds = torch.cat([
        bank[old] + 0.05 * torch.randn(n_old, dim, generator=gen),
        torch.randn(num_dets - n_old, dim, generator=gen)
    ])
    dets = random_dets(num_dets, gen)
    dets.bboxes[:n_old] = track_boxes[old] + WARMUP_SHIFT_PX + 0.5 * \
        torch.randn(n_old, 4, generator=gen)
    return dets, embeds


def time_size(num_tracks, args, gen, motion='none'):
    tracker, bank = filled_tracker(num_tracks, args.embed_dim, gen, motion)
    dets, embeds = step_inputs(bank, tracker.memo['bboxes'], args.num_dets,
                               args.reobserved, gen)
    # the assignment alone, on the same gated cost matrix as the tracker's
    sims = F.normalize(embeds, dim=1) @ tracker._embeds.t()
    thr = tracker.match_thr
    cost = torch.where(sims >= thr, 1 - sims,
                       torch.full_like(sims, 1 - thr + 1e-5)).double().numpy()
    model = _GivenEmbeddings(embeds)
    sample = DetDataSample(
        metainfo=dict(frame_id=1 + MOTION_WARMUP_STEPS * (motion != 'none')))
    sample.pred_det_instances = dets
    step_ms, lsa_ms = [], []
    for i in range(args.warmup + args.repeats):
        trial = copy.deepcopy(tracker)
        t0 = time.perf_counter()
        out = trial.track(model, None, None, sample)
        t1 = time.perf_counter()
        linear_sum_assignment(cost)
        t2 = time.perf_counter()
        if i >= args.warmup:
            step_ms.append((t1 - t0) * 1e3)
            lsa_ms.append((t2 - t1) * 1e3)
    n_matched = int((out.instances_id < num_tracks).sum())
    return dict(
        motion=motion,
        tracks=num_tracks,
        min_ms=min(step_ms),
        median_ms=statistics.median(step_ms),
        p90_ms=float(np.percentile(step_ms, 90)),
        hungarian_ms=statistics.median(lsa_ms),
        matched=n_matched)


def main():
    args = parse_args()
    if args.num_dets < 1 or args.repeats < 1 or min(args.tracks) < 1:
        raise SystemExit('--num-dets, --repeats and --tracks must be >= 1')
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    rows = [
        time_size(t, args, gen, motion) for motion in args.motion
        for t in sorted(args.tracks)
    ]
    print(f'ScaleTrackTracker step: {args.num_dets} detections, embed dim '
          f'{args.embed_dim}, {args.threads} thread(s), torch '
          f'{torch.__version__}, {platform.processor() or platform.machine()}')
    print('| motion | live tracks | median ms/step | min ms | p90 ms | '
          'Hungarian ms | matched | slope vs previous |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    prev = None
    for row in rows:
        slope = '' if prev is None or prev['motion'] != row[
            'motion'] else '{:.2f}'.format(
                math.log(row['median_ms'] / prev['median_ms']) /
                math.log(row['tracks'] / prev['tracks']))
        row['slope'] = slope
        print(f"| {row['motion']} | {row['tracks']} | "
              f"{row['median_ms']:.2f} | "
              f"{row['min_ms']:.2f} | {row['p90_ms']:.2f} | "
              f"{row['hungarian_ms']:.2f} | "
              f"{row['matched']} | {slope} |")
        prev = row
    if args.out:
        from scaletrack.utils.file_io import dump_json_atomic
        dump_json_atomic(dict(args=vars(args), rows=rows), args.out, indent=2)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
