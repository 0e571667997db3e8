"""TAO-style evaluation data (exhaustively annotated COCO-VID JSON, frames
and public detections).

Layout under ``root``::

    annotations/validation.json          # COCO-VID (TAO) ground truth
    frames/{video_name}/{frame_index:05d}.jpg
    detections/{video_name}/{frame_index:05d}.pth   # MASA per-frame pickles
    public_detections.json               # same detections, TAO results style
    manifest.json

``frame_index`` is the frame's number on the 24 fps base timeline (as TAO's
``frame_index`` is the frame number in the original video), so file names
step by ``cfg.eval_frame_step`` (24 in the 1 FPS 'low' mode); ``frame_id``
is the 0-based position in the annotated sequence (mmdet's key).
"""
import os
from functools import partial

from .atomic_io import atomic_pickle_dump, atomic_write_jpeg, atomic_write_json
from .config import SyntheticConfig, aux_rng, video_rng
from .manifest import GENERATOR_VERSION, begin_split, finish_split
from .noisy_boxes import BOX_DECIMALS, SCORE_DECIMALS, make_detections
from .renderer import render_frame
from .scene import plan_video
from .shapes import CATEGORIES, CATEGORY_NAMES
from .video_loop import map_videos

TAO_OWNED = ('annotations', 'frames', 'detections', 'public_detections.json')
#: Up to this many categories absent from a video are listed as verified
#: negatives (TAO's ``neg_category_ids``).
MAX_NEG_CATEGORIES = 3


def tao_video_name(index: int) -> str:
    return f'video_{index:04d}'


def tao_categories() -> list:
    """LVIS-like category records (id, name, frequency, synset, synonyms,
    def); 'r' = novel, 'c'/'f' = base."""
    return [{
        'id': c['id'],
        'name': c['name'],
        'frequency': c['frequency'],
        'synset': f"{c['name']}.n.01",
        'synonyms': [c['name']],
        'def': f"a synthetic {c['name']} shape",
    } for c in CATEGORIES]


def _xywh(box):
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, y1, x2 - x1, y2 - y1]


def _write_tao_video(index: int, root: str, cfg: SyntheticConfig) -> dict:
    """Render and write one video; return its annotation pieces with ids
    local to the video (made global by `generate_tao`)."""
    name = tao_video_name(index)
    rng = video_rng(cfg.seed, 'tao', index)
    aux = aux_rng(cfg.seed, 'tao', index)
    plan = plan_video(cfg, rng, cfg.eval_frame_step, train=False)
    noise_seed = int(rng.integers(2**62))  # same draw as render_video
    images, anns, dets = [], [], []
    for k, t in enumerate(plan.frame_times):
        frame, objs = render_frame(plan, k, noise_seed)
        rel = f'{name}/{t:05d}'
        atomic_write_jpeg(
            os.path.join(root, 'frames', rel + '.jpg'), frame,
            cfg.jpeg_quality)
        boxes, labels = make_detections(objs, aux, cfg)
        # MASA's public-detection files: a plain pickle of numpy arrays
        atomic_pickle_dump(
            os.path.join(root, 'detections', rel + '.pth'),
            dict(det_bboxes=boxes, det_labels=labels))
        images.append(
            dict(
                file_name=rel + '.jpg',
                width=cfg.width,
                height=cfg.height,
                frame_index=int(t),
                frame_id=k))
        for o in objs:
            if o.bbox is None:
                continue
            bbox = _xywh(o.bbox)
            anns.append(
                dict(
                    frame=k,
                    object=o.id,
                    category_id=o.category + 1,
                    bbox=bbox,
                    area=bbox[2] * bbox[3]))
        # the .pth values are float32 of numbers rounded to 1/100 px and
        # 1e-4 score: write those decimal numbers, not float32 artefacts
        dets.append([([round(v, BOX_DECIMALS) for v in _xywh(b[:4])],
                      round(b[4], SCORE_DECIMALS), int(lab) + 1)
                     for b, lab in zip(boxes.tolist(), labels.tolist())])
    present = sorted({a['category_id'] for a in anns})
    absent = [c['id'] for c in CATEGORIES if c['id'] not in present]
    n_neg = min(MAX_NEG_CATEGORIES, len(absent))
    neg = sorted(aux.permutation(absent)[:n_neg].tolist()) if n_neg else []
    return dict(
        name=name,
        images=images,
        anns=anns,
        dets=dets,
        neg_category_ids=[int(c) for c in neg])


def generate_tao(root: str,
                 cfg: SyntheticConfig,
                 num_workers: int = 0,
                 progress: bool = False,
                 overwrite: bool = False) -> dict:
    """Write ``cfg.num_videos`` exhaustively annotated TAO-style videos.

    Every visible object of every frame is annotated with its visible box;
    frames are ``cfg.eval_frame_step`` base frames apart (``fps_mode='low'``
    gives TAO's 1 FPS).  Video ``i`` is ``render_video(cfg,
    video_rng(cfg.seed, 'tao', i))``.  Returns the paths (``root``,
    ``ann_file``, ``img_dir``, ``det_dir``, ``det_json``).
    """
    root = os.path.abspath(root)
    paths = dict(
        root=root,
        ann_file=os.path.join(root, 'annotations', 'validation.json'),
        img_dir=os.path.join(root, 'frames'),
        det_dir=os.path.join(root, 'detections'),
        det_json=os.path.join(root, 'public_detections.json'))
    if begin_split(root, 'tao', cfg, TAO_OWNED, overwrite):
        return paths
    pieces = map_videos(
        partial(_write_tao_video, root=root, cfg=cfg),
        list(range(cfg.num_videos)), num_workers, progress)
    videos, images, tracks, annotations, results = [], [], [], [], []
    for vi, p in enumerate(pieces):
        vid = vi + 1
        videos.append(
            dict(
                id=vid,
                name=p['name'],
                width=cfg.width,
                height=cfg.height,
                neg_category_ids=p['neg_category_ids'],
                not_exhaustive_category_ids=[]))
        image_ids = []
        for img in p['images']:
            image_ids.append(len(images) + 1)
            images.append(
                dict(id=image_ids[-1], video_id=vid, video=p['name'], **img))
        track_ids = {}
        for a in p['anns']:
            if a['object'] not in track_ids:
                track_ids[a['object']] = len(tracks) + 1
                tracks.append(
                    dict(
                        id=track_ids[a['object']],
                        category_id=a['category_id'],
                        video_id=vid))
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_ids[a['frame']],
                    video_id=vid,
                    track_id=track_ids[a['object']],
                    bbox=a['bbox'],
                    area=a['area'],
                    category_id=a['category_id'],
                    iscrowd=0))
        for k, frame_dets in enumerate(p['dets']):
            for bbox, score, cat in frame_dets:
                results.append(
                    dict(
                        image_id=image_ids[k],
                        video_id=vid,
                        category_id=cat,
                        bbox=bbox,
                        score=score))
    categories = tao_categories()
    gt = dict(
        info=dict(
            description='ScaleTrack synthetic TAO-style '
            'validation set',
            version=GENERATOR_VERSION,
            seed=cfg.seed,
            category_names=list(CATEGORY_NAMES)),
        licenses=[],
        videos=videos,
        images=images,
        tracks=tracks,
        annotations=annotations,
        categories=categories)
    atomic_write_json(paths['ann_file'], gt)
    atomic_write_json(paths['det_json'], results)
    finish_split(
        root,
        'tao',
        cfg,
        extra=dict(
            num_images=len(images),
            num_annotations=len(annotations),
            num_tracks=len(tracks)))
    return paths
