"""Convert BDD100K MOT labels (Scalabel, per video) to one COCO-VID JSON.

Usage::

    python tools/dataset_converters/bdd100k_to_cocovid.py \
        -i data/bdd100k/labels/box_track_20/val \
        -o data/bdd100k/annotations/box_track_val_cocofmt.json

Input: a folder of per-video files (or one file), each a list of frames
``{name, videoName, frameIndex, labels: [{id, category, attributes:
{occluded, truncated, crowd}, box2d: {x1, y1, x2, y2}}]}``.

Output (read by ``BDD100KMOTDataset``): ``videos {id, name}``, ``images {id,
video_id, file_name = <videoName>/<name>, frame_id = frameIndex, width,
height}``, ``annotations {id, image_id, video_id, category_id, instance_id,
track_id, bbox [x, y, w, h], area, iscrowd, ignore, occluded, truncated}``,
``tracks`` and the 8 evaluation ``categories`` (ids 1..8).

Rules (those of BDD100K's own evaluation):

* the 8 classes pedestrian, rider, car, truck, bus, train, motorcycle,
  bicycle are scored, after bdd100k's ``name_mapping`` (bike -> bicycle,
  caravan -> car, motor -> motorcycle, person -> pedestrian, van -> car);
* "other person", "other vehicle" and "trailer" become ignored boxes
  (``iscrowd=1``, ``ignore=1``) of pedestrian, car and truck, and a box with
  the ``crowd`` attribute is ignored too: predictions on them are neither
  true nor false positives;
* any other category is dropped (and counted);
* a box with a missing or non-finite coordinate, or with x2 < x1 or
  y2 < y1, stops the conversion with an error naming the file, video,
  frame and label (nothing is written);
* the string label ids become integer instance ids ``1, 2, ...`` unique per
  ``(videoName, id)`` (1-based because mmdet treats id 0 as "no id");
* boxes follow Scalabel's inclusive-pixel convention (``w = x2 - x1 + 1``),
  as BDD100K's ``to_coco`` does, so the file matches the official one.
"""
import argparse
import glob
import os.path as osp
import sys
from collections import Counter
from typing import Dict, List

from scaletrack.datasets.bdd100k_mot_dataset import BDD100K_MOT_CLASSES
from scaletrack.evaluation.functional.bdd100k_mot import (bdd100k_category,
                                                          scalabel_box_xywh)
from scaletrack.utils.file_io import dump_json_atomic, load_json_file

# All BDD100K images are 1280 x 720; Scalabel MOT frames do not store the size.
BDD100K_WIDTH, BDD100K_HEIGHT = 1280, 720


def _read_video_file(path: str) -> List[dict]:
    frames = load_json_file(path, 'BDD100K label')
    if isinstance(frames,
                  dict) and 'frames' in frames:  # Scalabel "dataset" form
        frames = frames['frames']
    if not isinstance(frames, list):
        raise ValueError(f'{path!r}: expected a list of Scalabel frames, got '
                         f'{type(frames).__name__}')
    return frames


def convert(label_files: List[str],
            width: int = BDD100K_WIDTH,
            height: int = BDD100K_HEIGHT) -> dict:
    """Scalabel per-video label files -> a COCO-VID dict."""
    cat_ids = {name: i + 1 for i, name in enumerate(BDD100K_MOT_CLASSES)}
    out = dict(
        categories=[dict(id=i, name=n) for n, i in cat_ids.items()],
        videos=[],
        images=[],
        annotations=[],
        tracks=[])
    instance_ids: Dict[tuple, int] = {}
    dropped = Counter()
    video_ids: Dict[str, int] = {}
    for path in label_files:
        frames = _read_video_file(path)
        for k, frame in enumerate(
                sorted(frames, key=lambda f: f.get('frameIndex', 0))):
            try:
                vname = frame['videoName']
                name = frame['name']
                frame_index = int(frame.get('frameIndex', k))
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(
                    f'{path!r}: frame {k} lacks name/videoName ({e!r})') from e
            if vname not in video_ids:
                video_ids[vname] = len(video_ids) + 1
                out['videos'].append(dict(id=video_ids[vname], name=vname))
            img_id = len(out['images']) + 1
            out['images'].append(
                dict(
                    id=img_id,
                    video_id=video_ids[vname],
                    file_name=f'{vname}/{name}',
                    frame_id=frame_index,
                    frame_index=frame_index,
                    width=width,
                    height=height))
            for label in frame.get('labels') or []:
                cat = label.get('category')
                box = label.get('box2d')
                if box is None:
                    dropped['no box2d'] += 1
                    continue
                attrs = label.get('attributes') or {}
                mapped, ignore = bdd100k_category(cat, attrs, cat_ids)
                if mapped is None:
                    dropped[cat] += 1
                    continue
                cat = mapped
                x1, y1, w, h = scalabel_box_xywh(
                    box, f'{path}: video {vname!r} frame {frame_index} '
                    f'label {label.get("id")!r}')
                key = (vname, str(label['id']))
                if key not in instance_ids:
                    instance_ids[key] = len(instance_ids) + 1
                    out['tracks'].append(
                        dict(
                            id=instance_ids[key],
                            category_id=cat_ids[cat],
                            video_id=video_ids[vname]))
                out['annotations'].append(
                    dict(
                        id=len(out['annotations']) + 1,
                        image_id=img_id,
                        video_id=video_ids[vname],
                        category_id=cat_ids[cat],
                        instance_id=instance_ids[key],
                        track_id=instance_ids[key],
                        bbox=[x1, y1, w, h],
                        area=w * h,
                        iscrowd=int(ignore),
                        ignore=int(ignore),
                        occluded=bool(attrs.get('occluded', False)),
                        truncated=bool(attrs.get('truncated', False))))
    out['dropped'] = dict(dropped)
    return out


def find_label_files(path: str) -> List[str]:
    if osp.isfile(path):
        return [path]
    files = sorted(glob.glob(osp.join(path, '*.json')))
    if not files:
        raise FileNotFoundError(f'no Scalabel *.json label files in {path!r}')
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '-i',
        '--input',
        required=True,
        help='folder of per-video Scalabel JSONs, or one JSON')
    parser.add_argument(
        '-o', '--output', required=True, help='COCO-VID JSON to write')
    parser.add_argument('--width', type=int, default=BDD100K_WIDTH)
    parser.add_argument('--height', type=int, default=BDD100K_HEIGHT)
    args = parser.parse_args(argv)
    try:
        out = convert(find_label_files(args.input), args.width, args.height)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    dropped = out.pop('dropped')
    dump_json_atomic(out, args.output)
    n_ignored = sum(a['iscrowd'] for a in out['annotations'])
    print(f'{len(out["videos"])} videos, {len(out["images"])} images, '
          f'{len(out["annotations"])} boxes ({n_ignored} '
          f'ignored), dropped: {dropped or "none"} -> {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
