"""Track a video with any detector + ScaleTrack and write the results.

    python demo/video_demo.py INPUT --config CONFIG [--checkpoint CKPT]
        [--detector-checkpoint DET_CKPT] [--out out.mp4]
        [--out-json results.json] [--out-mot results.txt]
        [--public-dets DIR] [--score-thr 0.3] [--device cpu]

INPUT is a video file or a folder of frames. ``--out`` writes the video with
boxes, ids and class names drawn (one stable colour per id); ``--out-json``
the tracks as a TAO-style results JSON (image_id = frame index, video_id 0,
bbox [x, y, w, h]); ``--out-mot`` as MOTChallenge rows
``frame,id,x,y,w,h,score,-1,-1,-1`` (frames 1-based). Every output is
written to a temporary file and moved into place only when the whole video
has been tracked, so a failure never leaves a half-written file.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import time

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from scaletrack.apis import init_tracker, track_video  # noqa: E402
from scaletrack.visualization import ScaleTrackVisualizer  # noqa: E402


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
    p.add_argument('--score-thr', type=float, default=None,
                   help='detection score threshold (default: the config\'s)')
    p.add_argument('--fps', type=float, default=None,
                   help='output video fps (default: the input\'s, or 10)')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def _tmp_path(final: str) -> str:
    d = osp.dirname(osp.abspath(final)) or '.'
    os.makedirs(d, exist_ok=True)
    suffix = osp.splitext(final)[1]
    fd, path = tempfile.mkstemp(prefix='.tmp-', suffix=suffix, dir=d)
    os.close(fd)
    return path


def main(argv=None):
    args = parse_args(argv)
    if not (args.out or args.out_json or args.out_mot):
        print('nothing to write: give --out, --out-json and/or --out-mot',
              file=sys.stderr)
        return 2
    if not osp.exists(args.input):
        print(f'input not found: {args.input}', file=sys.stderr)
        return 2
    model = init_tracker(args.config, args.checkpoint,
                         args.detector_checkpoint, device=args.device)
    public = None
    if args.public_dets:
        if not osp.isdir(args.input):
            print('--public-dets needs INPUT to be a folder of frames',
                  file=sys.stderr)
            return 2
        public = dict(type='MASADetections', root=args.public_dets,
                      img_root=args.input)
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
        total = len([f for f in os.listdir(args.input)
                     if f.lower().endswith(('.jpg', '.jpeg', '.png'))])
    tmp = {}
    writer = None
    json_rows, mot_rows = [], []
    start = time.time()
    try:
        from tqdm import tqdm
        bar = tqdm(total=total or None, unit='frame', desc='tracking')
        for frame in track_video(model, args.input, public, args.score_thr):
            tr = frame.tracks
            boxes = tr.bboxes.numpy() if len(tr) else np.zeros((0, 4))
            for box, score, label, tid in zip(boxes, tr.scores.tolist(),
                                              tr.labels.tolist(),
                                              tr.instances_id.tolist()):
                x1, y1, x2, y2 = [float(v) for v in box]
                json_rows.append(
                    dict(image_id=frame.index, video_id=0,
                         category_id=int(label), track_id=int(tid),
                         bbox=[x1, y1, x2 - x1, y2 - y1], score=float(score)))
                mot_rows.append(
                    f'{frame.index + 1},{int(tid)},{x1:.2f},{y1:.2f},'
                    f'{x2 - x1:.2f},{y2 - y1:.2f},{float(score):.4f},-1,-1,-1')
            if args.out:
                if writer is None:
                    tmp['out'] = _tmp_path(args.out)
                    h, w = frame.image.shape[:2]
                    writer = cv2.VideoWriter(
                        tmp['out'], cv2.VideoWriter_fourcc(*'mp4v'),
                        args.fps or fps_in, (w, h))
                    size = (w, h)
                drawn = visualizer.draw_tracks(frame.image[..., ::-1], tr)
                drawn = np.ascontiguousarray(drawn[..., ::-1])
                if (drawn.shape[1], drawn.shape[0]) != size:
                    drawn = cv2.resize(drawn, size)
                writer.write(drawn)
            bar.update(1)
            bar.set_postfix(fps=f'{bar.n / max(time.time() - start, 1e-9):.1f}')
        bar.close()
        if writer is not None:
            writer.release()
            writer = None
        if args.out_json:
            tmp['json'] = _tmp_path(args.out_json)
            with open(tmp['json'], 'w') as f:
                json.dump(json_rows, f)
        if args.out_mot:
            tmp['mot'] = _tmp_path(args.out_mot)
            with open(tmp['mot'], 'w') as f:
                f.write('\n'.join(mot_rows) + ('\n' if mot_rows else ''))
        for key, final in (('out', args.out), ('json', args.out_json),
                           ('mot', args.out_mot)):
            if key in tmp:
                os.replace(tmp.pop(key), final)
    finally:
        if writer is not None:
            writer.release()
        for path in tmp.values():
            if osp.exists(path):
                os.remove(path)
    n = len({r['track_id'] for r in json_rows})
    print(f'tracked {bar.n} frames, {n} tracks, '
          f'{bar.n / max(time.time() - start, 1e-9):.2f} frames/s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
