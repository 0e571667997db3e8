"""Run any mmdet detector over a dataset's frames and write its boxes in every
format the project reads.

* MASA-layout per-frame files (always): ``<out-dir>/<frame path relative to
  the image root, .jpg -> .pth>``, a plain ``pickle`` of ``dict(det_bboxes=
  float32 [N, 5] (x1, y1, x2, y2, score, original pixels), det_labels=int64
  [N])``, exactly what MASA reads. They are SA-V's pseudo-negative proposals
  (``SAVDataset(proposals_root=...)``) and public detections for
  ``MASADetections``.
* ``--out-json``: a TAO results JSON (``image_id, video_id, category_id,
  bbox [x, y, w, h], score``) for ``TAOResultDetections``; needs
  ``--ann-file`` for the ids.
* ``--out-mot``: MOTChallenge ``<out-mot>/<sequence>/det/det.txt`` (``frame,
  -1, x, y, w, h, score, -1, -1, -1``) for ``MOTDetDetections``.

Frames come from a COCO-VID annotation file (``--ann-file`` + ``--img-root``:
TAO, OVT-B, converted BDD100K / MOTChallenge), a folder of frame folders
(``--img-root``: one video per folder) or a folder of videos
(``--video-root``: frames decoded with OpenCV and named as
``sav_extract_frames.py`` names them, ``<video_id>/{frame:05d}.jpg``).
``--every 4`` keeps every 4th frame of each video (SA-V's annotated frames
of all-frame folders or of the mp4s).

Resumable per video: a video is finished when its record
``<out-dir>/.dump_detections/<video>.pkl`` exists (written after all its
frame files); a re-run skips it, and a run with other settings into the
same ``--out-dir`` is refused. Every file is written atomically. Several
GPUs: ``torchrun --nproc_per_node=8 tools/misc/dump_detections.py ...
--launcher pytorch`` (each rank takes every world-size-th video; rank 0
writes the JSON / det.txt once all are finished).

Example (SA-V proposals, paper Sec. 3.3)::

    python tools/misc/dump_detections.py DETIC_CONFIG DETIC_CKPT \\
        --video-root data/sav/sav_train --every 4 \\
        --out-dir data/sav/sav_train/proposals/detic
"""
import argparse
import glob
import os
import os.path as osp
import pickle
import sys
import time
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np

# --every default: every frame of every video.
DEFAULT_EVERY = 1
# Frames per forward pass (1: any detector, any frame size; larger batches
# help on GPUs, see docs/datasets.md).
DEFAULT_BATCH_SIZE = 1
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv')
STATE_DIR = '.dump_detections'
SETTINGS_FILE = 'settings.json'


# ----------------------------------------------------------------- frames
class Video:
    """One video: ``key`` (unique, used for the record file), ``name`` (the
    MOTChallenge sequence name) and its frames, each ``dict(rel, frame,
    image_id, video_id)`` where ``rel`` is the frame path relative to the
    image root and ``frame`` the 0-based frame number for det.txt."""

    def __init__(self,
                 key: str,
                 name: str,
                 frames: List[dict],
                 source: Optional[str] = None,
                 root: Optional[str] = None):
        self.key, self.name, self.frames = key, name, frames
        self.source, self.root = source, root

    def images(self) -> Iterator[Tuple[dict, np.ndarray]]:
        """``(frame, BGR image)`` for every frame, in order."""
        if self.source is not None:  # a video file
            yield from _decode_video(self.source, self.frames)
            return
        for f in self.frames:
            path = osp.join(self.root, f['rel'])
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            if img is None:
                raise FileNotFoundError(
                    f'frame {path!r} is missing or not an image')
            yield f, img


def _decode_video(path: str,
                  frames: List[dict]) -> Iterator[Tuple[dict, np.ndarray]]:
    wanted = {f['frame']: f for f in frames}
    last = max(wanted) if wanted else -1
    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise ValueError(
                f'video {path!r} cannot be opened (corrupt or truncated)')
        for k in range(last + 1):
            if k in wanted:
                ok, img = cap.read()
            else:
                ok, img = cap.grab(), None
            if not ok:
                raise ValueError(
                    f'video {path!r} stops decoding at frame {k} (its header '
                    f'says {len(frames)} kept frames up to {last}): '
                    'truncated or corrupt')
            if img is not None:
                yield wanted[k], img
    finally:
        cap.release()


def _every(items: list, every: int) -> list:
    return items[::every]


def _mot_frames(frames: List[dict]) -> None:
    """0-based det.txt frame numbers: MOTChallenge's 1-based names when every
    name is a number >= 1 (``img1/000001.jpg``; what ``MOTDetDetections``
    reads from the name), else the position in the video."""
    stems = [osp.splitext(osp.basename(f['rel']))[0] for f in frames]
    named = all(s.isdigit() and int(s) >= 1 for s in stems)
    for i, (f, s) in enumerate(zip(frames, stems)):
        f['frame'] = int(s) - 1 if named else i


def videos_from_ann_file(ann_file: str, img_root: str,
                         every: int) -> List[Video]:
    from scaletrack.utils.file_io import load_json_file
    ann = load_json_file(ann_file, 'COCO-VID annotation')
    try:
        names = {
            v['id']: v.get('name', str(v['id']))
            for v in ann.get('videos', [])
        }
        per_video: Dict[int, list] = {}
        for img in ann['images']:
            per_video.setdefault(img['video_id'], []).append(img)
        videos = []
        for vid in sorted(per_video):
            imgs = sorted(
                per_video[vid],
                key=lambda i:
                (i.get('frame_index', i.get('frame_id', 0)), i['id']))
            frames = [
                dict(
                    rel=i['file_name'],
                    image_id=int(i['id']),
                    video_id=int(vid)) for i in _every(imgs, every)
            ]
            _mot_frames(frames)
            name = names.get(vid, str(vid))
            videos.append(
                Video(
                    f'{vid}_{_safe(name)}',
                    _sequence_name(frames[0]['rel']),
                    frames,
                    root=img_root))
    except (KeyError, TypeError) as e:
        raise ValueError(
            f'{ann_file!r} is not a COCO-VID file with videos and images '
            f'(video_id, file_name, id): {e!r}') from e
    return videos


def videos_from_img_root(img_root: str, every: int) -> List[Video]:
    per_dir: Dict[str, List[str]] = {}
    for dirpath, dirs, files in os.walk(img_root, followlinks=True):
        # hidden folders: unfinished extractions (.{video}.tmp), our state
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        imgs = sorted(
            f for f in files
            if f.lower().endswith(IMAGE_EXTS) and not f.startswith('.'))
        if imgs:
            rel_dir = osp.relpath(dirpath, img_root)
            per_dir[rel_dir] = [
                osp.normpath(osp.join(rel_dir, f)) for f in imgs
            ]
    videos = []
    for rel_dir in sorted(per_dir):
        frames = [
            dict(rel=r, image_id=None, video_id=None)
            for r in _every(per_dir[rel_dir], every)
        ]
        _mot_frames(frames)
        videos.append(
            Video(
                _safe(rel_dir),
                _sequence_name(frames[0]['rel']),
                frames,
                root=img_root))
    return videos


def videos_from_video_root(video_root: str, every: int) -> List[Video]:
    if osp.isfile(video_root):
        paths = [video_root]
    else:
        paths = sorted(
            p for p in glob.glob(
                osp.join(video_root, '**', '*'), recursive=True)
            if p.lower().endswith(VIDEO_EXTS))
    videos, seen = [], {}
    for path in paths:
        vid = osp.splitext(osp.basename(path))[0]
        if vid in seen:
            raise ValueError(
                f'two videos named {vid}: {seen[vid]!r} and {path!r}')
        seen[vid] = path
        cap = cv2.VideoCapture(path)
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
        cap.release()
        # an unreadable video keeps one frame so that it fails with its name
        frames = [
            dict(
                rel=f'{vid}/{k:05d}.jpg',
                frame=k,
                image_id=None,
                video_id=None) for k in range(0, max(total, 1), every)
        ]
        videos.append(Video(_safe(vid), vid, frames, source=path))
    return videos


def _sequence_name(rel: str) -> str:
    """MOTChallenge sequence of a frame: its folder, or the folder above
    ``img1`` (``MOT17-02/img1/000001.jpg`` -> ``MOT17-02``)."""
    folder = osp.dirname(rel)
    if osp.basename(folder) == 'img1':
        folder = osp.dirname(folder)
    return osp.basename(folder) or 'video'


def _safe(name: str) -> str:
    return name.replace(os.sep, '__').replace('/', '__') or 'root'


# -------------------------------------------------------------- detector
def build_detector(config: str,
                   checkpoint: str,
                   device: str,
                   cfg_options: Optional[dict] = None,
                   strict: bool = True):
    """The detector of ``config`` with ``checkpoint``'s weights, in eval
    mode, and its test pipeline (frames given as arrays). Errors name the
    config or checkpoint."""
    from mmcv.transforms import Compose
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    try:
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    except Exception as e:
        raise ValueError(f'detector config {config!r} cannot be read: '
                         f'{type(e).__name__}: {e}') from e
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    try:
        model = MODELS.build(cfg.model)
        pipeline_cfg = cfg.test_dataloader.dataset.pipeline
        pipeline_cfg = [
            dict(t) for t in pipeline_cfg
            if not str(t['type']).endswith('LoadAnnotations')
        ]
        if 'LoadImage' not in str(pipeline_cfg[0]['type']):
            raise ValueError(
                'the test pipeline does not start with an image loader')
        pipeline_cfg[0] = dict(type='mmdet.LoadImageFromNDArray')
        pipeline = Compose(pipeline_cfg)
    except Exception as e:
        raise ValueError(
            f'detector config {config!r} does not build a detector and its '
            f'test pipeline: {type(e).__name__}: {e}') from e
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'detector checkpoint {checkpoint!r} not found')
    try:
        ckpt = load_checkpoint(
            model,
            checkpoint,
            map_location='cpu',
            strict=strict,
            logger='silent')
    except Exception as e:
        raise ValueError(
            f'detector checkpoint {checkpoint!r} does not fit the model of '
            f'{config!r} '
            f'({str(e)[:500]}); pass the matching checkpoint, or '
            '--allow-partial-checkpoint if the missing weights are expected'
        ) from e
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    test_data = cfg.get('test_dataloader', {}).get('dataset', {})
    classes = (meta.get('dataset_meta') or {}).get('classes') or \
        test_data.get('metainfo', {}).get('classes')
    model.dataset_meta = dict(classes=classes)
    model.to(device).eval()
    return model, pipeline


def postprocess(
        bboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
        score_thr: float, topk: Optional[int],
        nms_iou: Optional[float]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score threshold, then class-agnostic NMS (when ``nms_iou``), then the
    ``topk`` highest scores; output sorted by score."""
    keep = np.flatnonzero(
        np.isfinite(scores) & (scores >= score_thr)
        & np.isfinite(bboxes).all(axis=1))
    bboxes, scores, labels = bboxes[keep], scores[keep], labels[keep]
    if nms_iou is not None and len(scores):
        import torch
        from mmcv.ops import nms
        _, idx = nms(
            torch.from_numpy(bboxes).float(),
            torch.from_numpy(scores).float(), float(nms_iou))
        idx = idx.numpy()
        bboxes, scores, labels = bboxes[idx], scores[idx], labels[idx]
    order = np.argsort(-scores, kind='stable')
    if topk is not None:
        order = order[:topk]
    return bboxes[order], scores[order], labels[order]


def detect(model, pipeline, images: List[np.ndarray]) -> List[tuple]:
    """``(bboxes [N, 4], scores [N], labels [N])`` per image, in original
    pixels."""
    import torch
    from mmengine.dataset import pseudo_collate
    data = pseudo_collate(
        [pipeline(dict(img=img, img_id=i)) for i, img in enumerate(images)])
    with torch.no_grad():
        results = model.test_step(data)
    out = []
    for res in results:
        inst = res.pred_instances
        out.append(
            (inst.bboxes.detach().cpu().numpy().astype(np.float32).reshape(
                -1, 4),
             inst.scores.detach().cpu().numpy().astype(np.float32).reshape(-1),
             inst.labels.detach().cpu().numpy().astype(np.int64).reshape(-1)))
    return out


# ---------------------------------------------------------------- writing
def box_file_path(out_dir: str, rel: str) -> str:
    """MASA's name: the frame path relative to the image root, extension
    replaced by ``.pth``."""
    return osp.join(out_dir, osp.splitext(rel)[0] + '.pth')


def run_video(video: Video, model, pipeline, args) -> dict:
    """Detect every frame of ``video``, write its frame files and return its
    record (also written, last, as the video's finished marker)."""
    from scaletrack.utils.file_io import dump_pickle_atomic
    rows = []

    def flush(batch):
        for (f, img), (b, s, lab) in zip(
                batch, detect(model, pipeline, [img for _, img in batch])):
            b, s, lab = postprocess(b, s, lab, args.score_thr, args.topk,
                                    args.class_agnostic_nms)
            dets = np.concatenate([b, s[:, None]], axis=1).astype(np.float32)
            dump_pickle_atomic(
                dict(det_bboxes=dets, det_labels=lab.astype(np.int64)),
                box_file_path(args.out_dir, f['rel']))
            rows.append(
                dict(
                    f,
                    det_bboxes=dets,
                    det_labels=lab,
                    height=img.shape[0],
                    width=img.shape[1]))

    batch = []
    for f, img in video.images():
        batch.append((f, img))
        if len(batch) == args.batch_size:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    record = dict(key=video.key, name=video.name, frames=rows)
    dump_pickle_atomic(record, record_path(args.out_dir, video.key))
    return record


def record_path(out_dir: str, key: str) -> str:
    return osp.join(out_dir, STATE_DIR, key + '.pkl')


def load_record(out_dir: str, key: str) -> Optional[dict]:
    path = record_path(out_dir, key)
    if not osp.isfile(path):
        return None
    with open(path, 'rb') as f:
        return pickle.load(f)


def category_ids(ann_file: str, model_classes) -> List[int]:
    """``category_id`` of each detector label: by name when every detector
    class is a category of ``ann_file``, else by position when the counts
    agree; anything else cannot be mapped."""
    from scaletrack.utils.file_io import load_json_file
    cats = load_json_file(ann_file,
                          'COCO-VID annotation').get('categories') or []
    by_name = {c.get('name'): c['id'] for c in cats}
    if model_classes and all(c in by_name for c in model_classes):
        return [by_name[c] for c in model_classes]
    if model_classes is None or len(model_classes) == len(cats):
        return [c['id'] for c in cats]
    raise ValueError(
        f'cannot map the detector\'s {len(model_classes)} classes to the '
        f'{len(cats)} categories of {ann_file!r} (neither the names nor the '
        'number agree); use a detector trained on its classes')


def write_json(path: str, records: List[dict], cat_ids: List[int]) -> int:
    from scaletrack.utils.file_io import dump_json_atomic
    out = []
    for rec in records:
        for f in rec['frames']:
            for box, lab in zip(f['det_bboxes'].tolist(),
                                f['det_labels'].tolist()):
                if not 0 <= lab < len(cat_ids):
                    raise ValueError(
                        f'label {lab} of frame {f["rel"]} is outside the '
                        f'{len(cat_ids)} categories')
                x1, y1, x2, y2, s = box
                out.append(
                    dict(
                        image_id=f['image_id'],
                        video_id=f['video_id'],
                        category_id=cat_ids[lab],
                        bbox=[x1, y1, x2 - x1, y2 - y1],
                        score=s))
    dump_json_atomic(out, path)
    return len(out)


def write_mot(out_mot: str, records: List[dict]) -> None:
    from scaletrack.evaluation.functional.motchallenge_io import \
        write_motchallenge_results
    from scaletrack.utils.file_io import write_text_atomic
    seen = {}
    for rec in records:
        name = rec['name']
        if name in seen:
            raise ValueError(
                f'two videos give the MOTChallenge sequence {name}: '
                f'{seen[name]} and {rec["key"]}')
        seen[name] = rec['key']
        frames, boxes, scores = [], [], []
        for f in rec['frames']:
            n = len(f['det_bboxes'])
            frames.append(np.full(n, f['frame'], np.int64))
            boxes.append(f['det_bboxes'][:, :4])
            scores.append(f['det_bboxes'][:, 4])
        frames = np.concatenate(frames) if frames else np.zeros(0, np.int64)
        write_motchallenge_results(
            osp.join(out_mot, name, 'det', 'det.txt'), frames,
            np.full(len(frames), -1),
            np.concatenate(boxes) if boxes else np.zeros((0, 4)),
            np.concatenate(scores) if scores else np.zeros(0))
        ini = osp.join(out_mot, name, 'seqinfo.ini')
        if not osp.isfile(ini) and rec['frames']:
            # the sequence length, so that empty frames at the end are frames
            last = rec['frames'][-1]
            write_text_atomic(
                ini, '[Sequence]\n'
                f'name={name}\nseqLength={last["frame"] + 1}\n'
                f'imWidth={last["width"]}\nimHeight={last["height"]}\n')


# -------------------------------------------------------------------- main
def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='mmdet detector config')
    p.add_argument('checkpoint', help='its weights')
    src = p.add_argument_group('frames (one of --img-root / --video-root)')
    src.add_argument(
        '--img-root',
        help='image root: with --ann-file its file_names are '
        'relative to it; without, every folder of images is a video')
    src.add_argument('--video-root', help='a folder of videos (or one video)')
    src.add_argument(
        '--ann-file',
        help='COCO-VID JSON (TAO, OVT-B, converted sets): '
        'the frames, image/video ids and categories')
    src.add_argument(
        '--every',
        type=int,
        default=DEFAULT_EVERY,
        help='keep every N-th frame of each video (4: SA-V annotated frames)')
    out = p.add_argument_group('outputs')
    out.add_argument(
        '--out-dir', required=True, help='per-frame .pth files (MASA layout)')
    out.add_argument('--out-json', help='TAO results JSON (needs --ann-file)')
    out.add_argument('--out-mot', help='folder for <sequence>/det/det.txt')
    det = p.add_argument_group('boxes')
    det.add_argument(
        '--score-thr',
        type=float,
        default=0.0,
        help='drop boxes below this score (default 0: keep what the '
        "detector's own test_cfg keeps; training reads proposals >= 0.3)")
    det.add_argument(
        '--topk',
        type=int,
        default=None,
        help='keep at most K boxes per frame, highest scores')
    det.add_argument(
        '--class-agnostic-nms',
        type=float,
        default=None,
        metavar='IOU',
        help='NMS over all classes at this IoU (default: off)')
    run = p.add_argument_group('running')
    run.add_argument(
        '--device', default=None, help='default: cuda if available, else cpu')
    run.add_argument('--batch-size', type=int, default=DEFAULT_BATCH_SIZE)
    run.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='pytorch: under torchrun, videos split over ranks')
    run.add_argument(
        '--allow-partial-checkpoint',
        action='store_true',
        help='load a checkpoint that lacks or adds weights (logged)')
    run.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override detector config settings, key=value')
    args = p.parse_args(argv)
    if (args.img_root is None) == (args.video_root is None):
        p.error('give exactly one of --img-root and --video-root')
    if args.ann_file and not args.img_root:
        p.error(
            '--ann-file needs --img-root (its file_names are relative to it)')
    if args.out_json and not args.ann_file:
        p.error('--out-json needs --ann-file (the image and video ids of the '
                'results)')
    if args.every < 1 or args.batch_size < 1 or (args.topk is not None
                                                 and args.topk < 1):
        p.error('--every, --batch-size and --topk must be >= 1')
    if not np.isfinite(
            args.score_thr) or (args.class_agnostic_nms is not None
                                and not 0 < args.class_agnostic_nms <= 1):
        p.error(
            '--score-thr must be finite and --class-agnostic-nms in (0, 1]')
    return args


def _settings(args) -> dict:
    return dict(
        config=osp.abspath(args.config),
        checkpoint=osp.abspath(args.checkpoint),
        every=args.every,
        score_thr=args.score_thr,
        topk=args.topk,
        class_agnostic_nms=args.class_agnostic_nms,
        cfg_options=str(args.cfg_options))


def _check_settings(args, rank: int, write: bool = False) -> None:
    """A run into an ``--out-dir`` of another run (other detector or
    options) would mix their boxes: refused. ``write``: record this run's
    settings (once its detector has been built)."""
    from scaletrack.utils.file_io import dump_json_atomic, load_json_file
    path = osp.join(args.out_dir, STATE_DIR, SETTINGS_FILE)
    mine = _settings(args)
    if osp.isfile(path):
        theirs = load_json_file(path, 'dump settings')
        if theirs != mine:
            diff = {
                k: (theirs.get(k), v)
                for k, v in mine.items() if theirs.get(k) != v
            }
            raise ValueError(
                f'{args.out_dir!r} holds detections of another run '
                f'(differs in {diff}); use a fresh --out-dir')
    elif write and rank == 0:
        dump_json_atomic(mine, path, indent=1)


def main(argv=None) -> int:
    import torch
    from mmengine.dist import barrier, get_dist_info, init_dist
    from mmengine.utils import ProgressBar
    args = parse_args(argv)
    if args.launcher != 'none':
        init_dist(args.launcher)
    rank, world = get_dist_info()
    device = args.device or (f'cuda:{torch.cuda.current_device()}'
                             if torch.cuda.is_available() else 'cpu')
    if args.ann_file:
        videos = videos_from_ann_file(args.ann_file, args.img_root, args.every)
    elif args.img_root:
        videos = videos_from_img_root(args.img_root, args.every)
    else:
        videos = videos_from_video_root(args.video_root, args.every)
    if not videos:
        raise FileNotFoundError(
            f'no frames found under {args.img_root or args.video_root!r}')
    _check_settings(args, rank)
    model, pipeline = build_detector(
        args.config,
        args.checkpoint,
        device,
        args.cfg_options,
        strict=not args.allow_partial_checkpoint)
    _check_settings(args, rank, write=True)
    mine = [v for i, v in enumerate(videos) if i % world == rank]
    todo = [
        v for v in mine if not osp.isfile(record_path(args.out_dir, v.key))
    ]
    print(
        f'rank {rank}: {len(todo)} of {len(mine)} videos to do '
        f'({len(mine) - len(todo)} finished before), device {device}',
        flush=True)
    start, num_frames, failed = time.perf_counter(), 0, []
    bar = ProgressBar(len(todo)) if rank == 0 and todo else None
    for video in todo:
        try:
            num_frames += len(
                run_video(video, model, pipeline, args)['frames'])
        except (FileNotFoundError, ValueError) as e:
            failed.append(
                f'{video.key}: {e}')  # reported at the end; rerun resumes
        if bar is not None:
            bar.update()
    seconds = time.perf_counter() - start
    print(
        f'\nrank {rank}: {num_frames} frames in {seconds:.1f} s '
        f'({num_frames / max(seconds, 1e-9):.2f} frames/s)',
        flush=True)
    for msg in failed:
        print(f'FAILED {msg}', file=sys.stderr)
    if world > 1:
        barrier()
    if rank != 0:
        return 1 if failed else 0
    records = [load_record(args.out_dir, v.key) for v in videos]
    unfinished = [v.key for v, r in zip(videos, records) if r is None]
    if unfinished:
        print(
            f'{len(unfinished)} videos are not finished (e.g. '
            f'{unfinished[0]}); '
            'fix the errors above and re-run: finished videos are skipped. '
            'The JSON / det.txt are written when all are done.',
            file=sys.stderr)
        return 1
    if args.out_json:
        n = write_json(
            args.out_json, records,
            category_ids(args.ann_file, model.dataset_meta.get('classes')))
        print(f'{n} boxes -> {args.out_json}')
    if args.out_mot:
        write_mot(args.out_mot, records)
        print(f'{len(records)} det.txt files -> {args.out_mot}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
