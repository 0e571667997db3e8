"""Convert MOTChallenge-format sequences (MOT17, SportsMOT, DanceTrack) to
COCO-VID.

Usage::

    # SportsMOT val (ids start at 0, one class)
    python tools/dataset_converters/mot_to_cocovid.py \
        -i data/sportsmot/val -o data/sportsmot/annotations/val.json \
        --class-map 1=player
    # MOT17 half-val as in ByteTrack / MASA (FRCNN copies only)
    python tools/dataset_converters/mot_to_cocovid.py -i data/MOT17/train \
        -o data/MOT17/annotations/half-val_cocoformat.json --split half-val \
        --seq-filter FRCNN --class-map 1=pedestrian --ignore-classes 2,7,8,12

Input: ``<input>/<seq>/seqinfo.ini`` (``[Sequence]`` name, imDir, frameRate,
seqLength, imWidth, imHeight, imExt) and, when annotated, ``<seq>/gt/gt.txt``
with rows ``frame, id, x, y, w, h, conf/consider, class, visibility``
(frames 1-based; missing class -> 1, missing visibility -> 1). Sequences
without gt.txt (test sets) give images without annotations.

Rules:

* ``--class-map 1=pedestrian,3=car`` maps the class column to categories
  (ids 1..K in the order given); rows of ``--ignore-classes`` become ignored
  boxes (``iscrowd=1``) of the first category; other rows are dropped;
* ``conf/consider == 0`` -> ignored box (not scored);
* identities: ``(sequence, id)`` -> ``instance_id`` 1, 2, ... unique across
  sequences (so SportsMOT's id 0 is kept as an ordinary identity); the raw
  id is kept as ``mot_instance_id``;
* boxes are ``[x, y, w, h]`` exactly as in gt.txt (no pixel shift);
* ``frame_id`` is 0-based within the written frames; ``mot_frame_id`` is
  the 1-based MOTChallenge frame number;
* ``--split half-train|half-val`` keeps 0-based frames ``[0, n//2]`` or
  ``[n//2 + 1, n - 1]`` of each sequence (ByteTrack's split).
"""
import argparse
import configparser
import os
import os.path as osp
import sys
from collections import Counter
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from scaletrack.utils.file_io import dump_json_atomic

SPLITS = ('full', 'half-train', 'half-val')


def parse_class_map(text: str) -> Dict[int, str]:
    """``'1=pedestrian,3=car'`` -> ``{1: 'pedestrian', 3: 'car'}``
    (ordered)."""
    out: Dict[int, str] = {}
    for item in filter(None, (s.strip() for s in text.split(','))):
        try:
            k, v = item.split('=', 1)
            out[int(k)] = v.strip()
        except ValueError:
            raise ValueError(
                f'bad --class-map entry {item!r}; use CLASS_ID=name, '
                'e.g. 1=pedestrian') from None
    if not out:
        raise ValueError('--class-map is empty')
    return out


def read_seqinfo(seq_dir: str) -> dict:
    path = osp.join(seq_dir, 'seqinfo.ini')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path!r} not found: every sequence needs a seqinfo.ini')
    cp = configparser.ConfigParser()
    try:
        cp.read(path)
        s = cp['Sequence']
        return dict(
            name=s.get('name', osp.basename(seq_dir)),
            im_dir=s.get('imDir', 'img1'),
            frame_rate=float(s.get('frameRate', 0)),
            length=int(s['seqLength']),
            width=int(s['imWidth']),
            height=int(s['imHeight']),
            ext=s.get('imExt', '.jpg'))
    except (KeyError, ValueError, configparser.Error) as e:
        raise ValueError(
            f'{path!r}: [Sequence] needs seqLength, imWidth, imHeight ({e!r})'
        ) from e


def read_gt(path: str) -> np.ndarray:
    """gt.txt -> float array ``[R, 9]`` (class and visibility filled with
    1)."""
    try:
        rows = np.loadtxt(path, delimiter=',', ndmin=2, dtype=np.float64)
    except ValueError as e:
        raise ValueError(
            f'{path!r} is not a MOTChallenge gt.txt (frame, id, x, y, w, h, '
            f'conf, class, visibility): {e}') from e
    if rows.size == 0:
        return np.zeros((0, 9))
    if rows.shape[1] < 7:
        raise ValueError(
            f'{path!r}: rows need at least 7 columns, got {rows.shape[1]}')
    full = np.ones((len(rows), 9))
    full[:, :min(9, rows.shape[1])] = rows[:, :9]
    return full


def frame_range(length: int, split: str) -> Tuple[int, int]:
    """0-based ``[first, last]`` frames of a split (ByteTrack's half split)."""
    if split == 'full':
        return 0, length - 1
    if split == 'half-train':
        return 0, length // 2
    return length // 2 + 1, length - 1


def convert(seq_dirs: Iterable[str],
            class_map: Dict[int, str],
            ignore_classes: Iterable[int] = (),
            split: str = 'full') -> dict:
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    cat_ids = {cls: i + 1 for i, cls in enumerate(class_map)}
    ignore_classes = set(ignore_classes)
    out = dict(
        categories=[dict(id=cat_ids[c], name=n) for c, n in class_map.items()],
        videos=[],
        images=[],
        annotations=[])
    instance_ids: Dict[tuple, int] = {}
    dropped = Counter()
    for seq_dir in seq_dirs:
        info = read_seqinfo(seq_dir)
        seq = osp.basename(osp.normpath(seq_dir))
        vid = len(out['videos']) + 1
        first, last = frame_range(info['length'], split)
        out['videos'].append(
            dict(
                id=vid,
                name=seq,
                width=info['width'],
                height=info['height'],
                frame_rate=info['frame_rate']))
        img_ids = {}
        for k, f0 in enumerate(range(first, last + 1)):
            img_ids[f0 + 1] = len(out['images']) + 1
            out['images'].append(
                dict(
                    id=img_ids[f0 + 1],
                    video_id=vid,
                    frame_id=k,
                    mot_frame_id=f0 + 1,
                    file_name=(f'{seq}/{info["im_dir"]}/'
                               f'{f0 + 1:06d}{info["ext"]}'),
                    width=info['width'],
                    height=info['height']))
        gt_path = osp.join(seq_dir, 'gt', 'gt.txt')
        if not osp.isfile(gt_path):
            continue
        for row in read_gt(gt_path):
            frame, tid = int(row[0]), int(row[1])
            conf, cls, vis = float(row[6]), int(row[7]), float(row[8])
            if frame not in img_ids:
                if not 1 <= frame <= info['length']:
                    raise ValueError(
                        f'{gt_path!r}: frame {frame} outside '
                        f'1..{info["length"]} (seqLength of seqinfo.ini)')
                continue  # frame of the other half
            if cls in cat_ids:
                cat, ignore = cat_ids[cls], conf == 0
            elif cls in ignore_classes:
                cat, ignore = 1, True
            else:
                dropped[cls] += 1
                continue
            key = (seq, tid)
            if key not in instance_ids:
                instance_ids[key] = len(instance_ids) + 1
            x, y, w, h = (float(v) for v in row[2:6])
            out['annotations'].append(
                dict(
                    id=len(out['annotations']) + 1,
                    image_id=img_ids[frame],
                    video_id=vid,
                    category_id=cat,
                    instance_id=instance_ids[key],
                    mot_instance_id=tid,
                    bbox=[x, y, w, h],
                    area=w * h,
                    iscrowd=int(ignore),
                    ignore=int(ignore),
                    mot_conf=conf,
                    visibility=vis))
    out['dropped_classes'] = dict(dropped)
    return out


def find_sequences(root: str, seq_filter: Optional[str] = None) -> List[str]:
    if not osp.isdir(root):
        raise FileNotFoundError(
            f'MOTChallenge split folder {root!r} not found')
    seqs = sorted(
        osp.join(root, d) for d in os.listdir(root)
        if osp.isdir(osp.join(root, d)) and (
            seq_filter is None or seq_filter in d))
    if not seqs:
        raise FileNotFoundError(f'no sequence folders in {root!r}' + (
            f' matching {seq_filter!r}' if seq_filter else ''))
    return seqs


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '-i', '--input', required=True, help='split folder with sequences')
    parser.add_argument(
        '-o', '--output', required=True, help='COCO-VID JSON to write')
    parser.add_argument(
        '--class-map',
        default='1=pedestrian',
        help='CLASS_ID=name,... (gt.txt class column -> category)')
    parser.add_argument(
        '--ignore-classes',
        default='',
        help='class ids kept as ignored boxes, e.g. 2,7,8,12 for MOT17')
    parser.add_argument('--split', choices=SPLITS, default='full')
    parser.add_argument(
        '--seq-filter',
        default=None,
        help='only sequences whose name contains this (MOT17: FRCNN)')
    args = parser.parse_args(argv)
    ignore = [int(c) for c in args.ignore_classes.split(',') if c.strip()]
    out = convert(
        find_sequences(args.input, args.seq_filter),
        parse_class_map(args.class_map), ignore, args.split)
    dropped = out.pop('dropped_classes')
    dump_json_atomic(out, args.output)
    print(f'{len(out["videos"])} sequences, {len(out["images"])} images, '
          f'{len(out["annotations"])} boxes, dropped classes: '
          f'{dropped or "none"} -> {args.output}')


if __name__ == '__main__':
    sys.exit(main())
