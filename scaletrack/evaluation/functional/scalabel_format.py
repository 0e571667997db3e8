"""Tracking results in BDD100K's Scalabel format (one JSON per video).

Each video's file is a list of frames ``{name, videoName, frameIndex,
labels: [{id (str), category, box2d {x1, y1, x2, y2}, score}]}``, every
frame of the ground truth listed (frames without predictions have empty
``labels``), which is what BDD100K's own MOT evaluation (``bdd100k.eval.run
-t box_track``) reads from a folder of per-video files. Scalabel boxes count
pixels inclusively: ``x2 = x + w - 1``, the inverse of the converter's (and
BDD100K's ``to_coco``) ``w = x2 - x1 + 1``, so ground truth converted there
and back is unchanged.
"""
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

from ...utils.file_io import atomic_dir

__all__ = ['tao_results_to_scalabel', 'write_scalabel_results']


def _video_frame_order(img: dict) -> tuple:
    """Sort key of a COCO-VID image: video, then frame index."""
    return img['video_id'], img.get('frame_index', img.get('frame_id', 0))


def tao_results_to_scalabel(gt: dict,
                            tao_results: List[dict]) -> Dict[str, List[dict]]:
    """TAO results (``image_id, category_id, bbox xywh, score, track_id``)
    on a COCO-VID ground truth written by ``bdd100k_to_cocovid.py``
    (``file_name = <videoName>/<name>``, ``frame_index``) -> Scalabel frames
    per video name, in frame order."""
    videos = {v['id']: v['name'] for v in gt.get('videos', [])}
    names = {c['id']: c['name'] for c in gt['categories']}
    frames, by_image = OrderedDict(), {}
    for img in sorted(gt['images'], key=_video_frame_order):
        if img['video_id'] not in videos:
            raise ValueError(
                f'image {img["id"]} ({img.get("file_name")}) has video_id '
                f'{img["video_id"]}, which is not among the ground truth '
                'videos')
        video = videos[img['video_id']]
        frame = dict(
            name=osp.basename(img['file_name']),
            videoName=video,
            frameIndex=int(img.get('frame_index', img.get('frame_id', 0))),
            labels=[])
        frames.setdefault(video, []).append(frame)
        by_image[img['id']] = frame
    for res in tao_results:
        frame = by_image.get(res['image_id'])
        if frame is None:
            raise ValueError(f'a result has image_id {res["image_id"]}, '
                             'which is not an image of the ground truth')
        if res['category_id'] not in names:
            raise ValueError(f'a result has category_id '
                             f'{res["category_id"]}, which is not a '
                             'category of the ground truth')
        x, y, w, h = res['bbox']
        frame['labels'].append(
            dict(
                id=str(res['track_id']),
                category=names[res['category_id']],
                box2d=dict(
                    x1=float(x),
                    y1=float(y),
                    x2=float(x + w - 1),
                    y2=float(y + h - 1)),
                score=float(res['score'])))
    return frames


def write_scalabel_results(frames: Dict[str, List[dict]],
                           out_dir: str) -> None:
    """Write ``{videoName}.json`` per video into ``out_dir``, all or
    nothing (:func:`~scaletrack.utils.file_io.atomic_dir`: a previous
    ``out_dir`` is replaced at the end)."""
    with atomic_dir(out_dir) as tmp:
        for video, vframes in frames.items():
            with open(
                    osp.join(tmp, f'{video}.json'), 'w',
                    encoding='utf-8') as f:
                json.dump(vframes, f)
