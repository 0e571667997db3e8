"""Track a video with any detector + ScaleTrack and write the results.

    python demo/video_demo.py INPUT --config CONFIG [--checkpoint CKPT]
        [--detector-checkpoint DET_CKPT] [--out out.mp4]
        [--out-json results.json] [--out-mot results.txt]
        [--public-dets DIR] [--score-thr 0.3] [--device cpu]

INPUT is a video file or a folder of frames. ``--out`` writes the video with
boxes, ids and class names drawn (one stable colour per id); ``--out-json``
the tracks as a TAO-style results JSON (image_id = frame index, video_id 0,
bbox [x, y, w, h], category_id = label; the rows ``TETAMetric`` writes);
``--out-mot`` as MOTChallenge rows ``frame,id,x,y,w,h,score,-1,-1,-1``
(frames 1-based; the package's MOTChallenge writer). Every output is written
to a temporary file and moved into place only when the whole video has been
tracked, so a failure never leaves a half-written file.

Run from the repository root with the package installed (``pip install -e
.``), as mmdet's demos. The arguments, and that every output can be
written, are checked before a
frame is tracked: a wrong extension, ``--score-thr`` outside ``[0, 1]`` or
an output folder that cannot be created or written is an error with exit
code 2; a failure while tracking exits with 1.
"""
import argparse
import contextlib
import math
import os
import os.path as osp
import sys
import time

import cv2
import numpy as np

from scaletrack.apis import init_tracker, track_video
from scaletrack.evaluation.functional.motchallenge_io import \
    write_motchallenge_results
from scaletrack.evaluation.functional.tao_format import tao_track_results
from scaletrack.utils.file_io import (atomic_path, dump_json_atomic,
                                      temporary_path)
from scaletrack.visualization import ScaleTrackVisualizer

#: Containers OpenCV's ``mp4v`` writer produces (the fourcc used below).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov')
#: Exit codes: bad arguments or unwritable outputs; failure while tracking.
EXIT_USAGE, EXIT_FAILURE = 2, 1


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='ScaleTrack video demo')
    p.add_argument('input', help='video file or folder of frames')
    p.add_argument('--config', required=True, help='tracking config')
    p.add_argument('--checkpoint', help='ScaleTrack checkpoint')
    p.add_argument('--detector-checkpoint', help='detector-only checkpoint')
    p.add_argument('--out', help='output video (.mp4)')
    p.add_argument('--out-json', help='TAO-style results JSON')
    p.add_argument('--out-mot', help='MOTChallenge results txt')
    p.add_argument(
        '--public-dets',
        help='folder of per-frame public detections (MASA layout, relative '
        'to the INPUT folder) for detector-free configs')
    p.add_argument(
        '--score-thr',
        type=float,
        default=None,
        help='detection score threshold (default: the config\'s)')
    p.add_argument(
        '--fps',
        type=float,
        default=None,
        help='output video fps (default: the input\'s, or 10)')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def _check_writable(path: str, option: str) -> None:
    """Create ``path``'s folder and write (then remove) a file in it."""
    folder = osp.dirname(osp.abspath(path))
    if osp.isdir(path):
        raise ValueError(f'{option} {path} is a folder; give a file name')
    try:
        with temporary_path(path):
            pass
    except OSError as err:
        raise ValueError(f'{option} {path}: cannot write into {folder} '
                         f'({err.strerror or err})') from err


def _check_video_writer(path: str) -> None:
    """Open (and drop) a writer of ``path``'s kind next to it."""
    with temporary_path(path, keep_ext=True) as probe:
        writer = cv2.VideoWriter(probe, cv2.VideoWriter_fourcc(*'mp4v'), 10.0,
                                 (64, 64))
        ok = writer.isOpened()
        writer.release()
    if not ok:
        raise ValueError(f'--out {path}: OpenCV cannot write this video '
                         '(no mp4v encoder for this container)')


def validate_args(args) -> None:
    """Every check that needs no model; raises ValueError."""
    if not (args.out or args.out_json or args.out_mot):
        raise ValueError(
            'nothing to write: give --out, --out-json and/or --out-mot')
    if not osp.exists(args.input):
        raise ValueError(f'input not found: {args.input}')
    if args.public_dets and not osp.isdir(args.input):
        raise ValueError('--public-dets needs INPUT to be a folder of frames')
    if args.score_thr is not None and not (math.isfinite(args.score_thr)
                                           and 0 <= args.score_thr <= 1):
        raise ValueError(
            f'--score-thr must be a number in [0, 1], got {args.score_thr}')
    if args.fps is not None and not (math.isfinite(args.fps) and args.fps > 0):
        raise ValueError(f'--fps must be a positive number, got {args.fps}')
    wanted = dict(
        out=(args.out, VIDEO_EXTENSIONS),
        out_json=(args.out_json, ('.json', )),
        out_mot=(args.out_mot, ('.txt', )))
    given = {}
    for key, (path, exts) in wanted.items():
        if path is None:
            continue
        option = '--' + key.replace('_', '-')
        if not path.lower().endswith(exts):
            raise ValueError(f'{option} {path}: the file name must end with ' +
                             ' or '.join(exts))
        if osp.abspath(path) in given:
            raise ValueError(f'{option} and {given[osp.abspath(path)]} '
                             f'name the same file {path}')
        given[osp.abspath(path)] = option
        _check_writable(path, option)
    if args.out:
        _check_video_writer(args.out)


def main(argv=None):
    args = parse_args(argv)
    try:
        validate_args(args)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return EXIT_USAGE
    model = init_tracker(
        args.config,
        args.checkpoint,
        args.detector_checkpoint,
        device=args.device)
    public = None
    if args.public_dets:
        public = dict(
            type='MASADetections', root=args.public_dets, img_root=args.input)
    classes = getattr(model, 'dataset_meta', {}).get('classes') \
        or model.cfg.get('classes') or None
    visualizer = ScaleTrackVisualizer(line_width=2)
    visualizer.dataset_meta = dict(classes=classes) if classes else {}

    fps_in = 10.0
    if osp.isfile(args.input):
        cap = cv2.VideoCapture(args.input)
        fps_in = cap.get(cv2.CAP_PROP_FPS) or 10.0
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        cap.release()
    else:
        total = len([
            f for f in os.listdir(args.input)
            if f.lower().endswith(('.jpg', '.jpeg', '.png'))
        ])
    writer = None
    tracked = []  # per frame: the arrays the result writers take
    start = time.time()
    from tqdm import tqdm
    bar = tqdm(total=total or None, unit='frame', desc='tracking')
    with contextlib.ExitStack() as outputs:
        # every output goes to a temporary file that replaces the final one
        # only when the whole video was tracked (ExitStack: all or none)
        tmp = {
            key: outputs.enter_context(atomic_path(path, keep_ext=True))
            for key, path in (('out', args.out), ('json', args.out_json),
                              ('mot', args.out_mot)) if path
        }
        video_tmp = tmp.get('out')
        try:
            for frame in track_video(model, args.input, public,
                                     args.score_thr):
                tr = frame.tracks
                tracked.append(
                    dict(
                        img_id=frame.index,
                        video_id=0,
                        frame_id=frame.index,
                        bboxes=tr.bboxes.numpy().reshape(-1, 4),
                        scores=tr.scores.numpy().reshape(-1),
                        labels=tr.labels.numpy().reshape(-1),
                        instances_id=tr.instances_id.numpy().reshape(-1)))
                if video_tmp is not None:
                    if writer is None:
                        h, w = frame.image.shape[:2]
                        size = (w, h)
                        writer = cv2.VideoWriter(
                            video_tmp, cv2.VideoWriter_fourcc(*'mp4v'),
                            args.fps or fps_in, size)
                        if not writer.isOpened():
                            raise RuntimeError(
                                f'OpenCV could not open a video writer for '
                                f'{args.out}')
                    drawn = visualizer.draw_tracks(frame.image[..., ::-1], tr)
                    drawn = np.ascontiguousarray(drawn[..., ::-1])
                    if (drawn.shape[1], drawn.shape[0]) != size:
                        drawn = cv2.resize(drawn, size)
                    writer.write(drawn)
                bar.update(1)
                bar.set_postfix(
                    fps=f'{bar.n / max(time.time() - start, 1e-9):.1f}')
        finally:
            bar.close()
            if writer is not None:
                writer.release()
        if 'json' in tmp:
            dump_json_atomic(tao_track_results(tracked), tmp['json'])
        if 'mot' in tmp:
            # tracked is not empty: a video without frames is an error
            frames = np.concatenate([
                np.full(len(t['instances_id']), t['frame_id']) for t in tracked
            ])
            write_motchallenge_results(
                tmp['mot'], frames, *[
                    np.concatenate([t[k] for t in tracked])
                    for k in ('instances_id', 'bboxes', 'scores')
                ])
    n = len({int(i) for t in tracked for i in t['instances_id']})
    print(f'tracked {bar.n} frames, {n} tracks, '
          f'{bar.n / max(time.time() - start, 1e-9):.2f} frames/s')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (ValueError, RuntimeError, OSError) as err:
        # clear message and a non-zero status; nothing half-written is left
        print(f'error: {err}', file=sys.stderr)
        sys.exit(EXIT_FAILURE)
