"""SA-V (Ravi et al. 2024) masklets as a sparsely annotated tracking dataset.

Layout (docs/datasets.md)::

    <data_root>/<ann_path>/{video_id}_manual.json  # and {video_id}_auto.json
    <data_root>/<img_path>/{video_id}/{4*i:05d}.jpg  # JPEGImages_24fps
    <proposals_root>/{video_id}/{4*i:05d}.pth  # optional, MASA layout

Each annotation file holds ``masklet``: a list over the annotated frames
(6 fps) of lists over objects of COCO RLE masks, so ``masklet[i]`` is video
frame ``4 * i``. Boxes are computed from the RLE run lengths with
``pycocotools.mask.toBbox`` (no mask is decoded), so thousands of videos
index in seconds; an optional cache file makes re-indexing instantaneous.
"""
import glob
import os
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.datasets import BaseVideoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log
from pycocotools import mask as mask_utils

from ..utils.file_io import dump_pickle_atomic, load_json_file

# SA-V videos are 24 fps and annotated at 6 fps: annotated frame i is JPEG 4*i.
SAV_FRAME_STRIDE = 4
# Instance ids are made unique across the two annotation types by adding a
# per-type offset to the masklet id. SA-V has at most a few hundred masklets
# per video, far below the offset; a larger id is reported as an error.
ANN_TYPE_ID_OFFSET = {'manual': 0, 'auto': 100_000}
# Annotation types a video may lack: SA-V's README, "all of them have manual
# annotations. Among the 50,583 videos there are 48,436 videos that also
# have automatic annotations".
OPTIONAL_ANN_TYPES = ('auto', )
# Characters of one number in a compressed RLE string: 7 x 5 bits hold any
# run of a frame below 2**34 pixels (sign included); more is garbage.
_MAX_RLE_CHARS = 7
# 'jpeg': frames extracted by tools/dataset_converters/sav_extract_frames.py
# (LoadImageFromFile); 'video': decoded from the mp4 next to the annotation
# file (LoadFrameFromVideo). docs/datasets.md compares their cost.
FRAME_SOURCES = ('jpeg', 'video')
# Bumped whenever the cached data-list layout changes.
_CACHE_VERSION = 2


def _video_side(ann: dict, key: str) -> int:
    """``video_height`` / ``video_width``: a positive whole number, stored
    as a float (``848.0``) in SA-V's files."""
    value = ann[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not np.isfinite(value) or value <= 0 or value != int(value):
        raise ValueError(
            f'"{key}" must be a positive whole number, got {value!r}')
    return int(value)


def _any_per_group(group: np.ndarray, flags: np.ndarray, n: int) -> np.ndarray:
    """``out[g] = flags[group == g].any()`` for ``g < n``."""
    return np.bincount(group[flags], minlength=n)[:n] > 0


def rle_run_totals(counts: Sequence[str]) -> np.ndarray:
    """Number of pixels covered by the runs of each compressed COCO RLE
    string (``-1`` for a string that is not a valid run-length code: a
    character outside the alphabet, a number cut off at the end, a negative
    or over-long run).

    A mask of ``h x w`` is only valid if this equals ``h * w``; pycocotools
    does not check it, and ``toBbox`` of garbage gives boxes millions of
    pixels outside the frame. The code is decoded for all strings at once
    with numpy (COCO's format: 5 data bits per character offset by 48, bit
    0x20 continues a number, bit 0x10 of its last character is the sign,
    and from the fourth number on each one is a difference to the number
    two places before it).
    """
    n = len(counts)
    totals = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return totals
    lengths = np.fromiter((len(c) for c in counts), dtype=np.int64, count=n)
    try:
        raw = ''.join(counts).encode('ascii')
    except UnicodeEncodeError:
        return totals
    chars = np.frombuffer(raw, dtype=np.uint8).astype(np.int64) - 48
    string_of = np.repeat(np.arange(n), lengths)
    bad = _any_per_group(string_of, (chars < 0) | (chars > 63), n)
    last = np.cumsum(lengths) - 1
    has_chars = lengths > 0
    more = (chars & 0x20) != 0
    # a string that ends inside a number is cut off
    bad[has_chars] |= more[last[has_chars]]
    chars[(chars < 0) | (chars > 63)] = 0
    # the last character of every number; a string's last character always
    # ends one, so that a cut-off string cannot spill into the next
    is_end = ~more
    is_end[last[has_chars]] = True
    ends = np.flatnonzero(is_end)
    if len(ends) == 0:
        return totals
    starts = np.r_[0, ends[:-1] + 1]
    number_of = np.r_[0, np.cumsum(is_end)[:-1]]  # number index per char
    pos = np.arange(len(chars)) - starts[number_of]
    # a count below 2**30 needs at most 7 characters (35 bits with the sign)
    too_long = _any_per_group(number_of, pos >= _MAX_RLE_CHARS, len(ends))
    pos = np.minimum(pos, _MAX_RLE_CHARS)
    values = np.add.reduceat((chars & 0x1F) << (5 * pos), starts)
    nbits = 5 * (ends - starts + 1)
    negative = (chars[ends] & 0x10) != 0
    values[negative] -= np.left_shift(1, np.minimum(nbits[negative], 62))
    number_string = string_of[ends]
    bad |= _any_per_group(number_string, too_long, n)
    # index of each number within its string
    first = np.searchsorted(number_string, np.arange(n))
    m = np.arange(len(ends)) - first[number_string]
    # runs: cnt[0] = v[0]; cnt[m] = v[m] + cnt[m - 2] for m >= 3, i.e. a
    # running sum over the odd numbers and over the even ones from 2 on
    group = number_string * 3 + np.where(m == 0, 0, 1 + (m % 2))
    order = np.lexsort((m, group))
    csum = np.cumsum(values[order])
    g_sorted = group[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    offsets = np.repeat(np.r_[0, csum[group_start[1:] - 1]],
                        np.diff(np.r_[group_start, len(order)]))
    runs = np.empty_like(values)
    runs[order] = csum - offsets
    bad |= _any_per_group(number_string, runs < 0, n)
    totals = np.bincount(
        number_string, weights=runs, minlength=n).astype(np.int64)
    totals[bad | ~has_chars] = -1
    return totals


def masklet_boxes(rles: Sequence[Optional[dict]],
                  size: Optional[Tuple[int, int]] = None,
                  objects_per_frame: Optional[int] = None) -> np.ndarray:
    """Boxes ``[N, 4]`` (x1, y1, x2, y2) of COCO RLE masks, NaN rows for
    empty masks and ``None`` entries (an object absent from the frame, as
    SAM 2's loader reads them), read from the run lengths without decoding
    the masks. With ``objects_per_frame`` (a whole ``masklet`` flattened),
    errors name the annotated frame and object of the bad mask.

    Every RLE must be ``{'size': [h, w], 'counts': str}`` with ``[h, w] ==
    size`` (when given) and runs covering exactly ``h * w`` pixels
    (:func:`rle_run_totals`); anything else is a ValueError naming the
    first bad entry, so no box outside the frame is ever produced.

    A non-empty mask has a box at least one pixel wide, an empty one gets
    ``toBbox == [0, 0, 0, 0]``, so emptiness is read from the width
    (``pycocotools.mask.area`` overflows for lists of more than 255 masks
    under numpy 2).
    """

    def where(i: int) -> str:
        if objects_per_frame:
            return (f'the mask of object {i % objects_per_frame} at annotated '
                    f'frame '
                    f'{i // objects_per_frame}')
        return f'mask {i}'

    boxes = np.full((len(rles), 4), np.nan, dtype=np.float64)
    keep = [i for i, r in enumerate(rles) if r is not None]
    if not keep:
        return boxes
    sizes, counts = [], []
    for i in keep:
        rle = rles[i]
        if not isinstance(rle, dict) or not isinstance(rle.get('counts'), str):
            raise ValueError(
                f'{where(i)} is not a COCO RLE with string counts: '
                f'{str(rle)[:80]}')
        hw = rle.get('size')
        if not isinstance(hw, (list, tuple)) or len(hw) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0
                for v in hw):
            raise ValueError(
                f'{where(i)} has size {hw!r}, expected [height, width]')
        if size is not None and tuple(hw) != tuple(size):
            raise ValueError(
                f'{where(i)} has size {list(hw)} but the video is '
                f'{size[0]} x {size[1]} (video_height x video_width)')
        sizes.append(hw[0] * hw[1])
        counts.append(rle['counts'])
    totals = rle_run_totals(counts)
    wrong = np.flatnonzero(totals != np.asarray(sizes, dtype=np.int64))
    if len(wrong):
        j = int(wrong[0])
        raise ValueError(
            f'{where(keep[j])} (and {len(wrong) - 1} more) has RLE counts '
            f'that '
            f'cover {totals[j] if totals[j] >= 0 else "no valid"} pixels '
            f'instead '
            f'of {sizes[j]} (corrupt counts)')
    xywh = mask_utils.toBbox([rles[i]
                              for i in keep]).reshape(-1, 4).astype(np.float64)
    xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    xyxy[xywh[:, 2] <= 0] = np.nan
    boxes[keep] = xyxy
    return boxes


@DATASETS.register_module()
class SAVDataset(BaseVideoDataset):
    """SA-V videos as video-level data infos (mmdet ``BaseVideoDataset``).

    Every annotated frame (6 fps) is a frame of the video (``frame_id = i``,
    ``frame_index = 4 * i``,
    ``img_path = <img_path>/<video_id>/<4i:05d>.jpg``),
    including frames where no annotated object is visible, so clip sampling
    keeps a constant frame rate. Objects are class agnostic (``bbox_label 0``,
    class ``'object'``); ``instance_id`` is the masklet id (plus 100000 for
    ``auto`` masklets). Only annotated objects are positives (SA-V is sparse).

    Args:
        ann_file (str): optional text file with one video id per line (a
            subset, e.g. the paper's 1k/3k/6k/12k-video schedules); empty:
            every annotation file found under ``data_prefix['ann_path']``.
        data_prefix (dict): ``img_path`` (default ``'JPEGImages_24fps'``) and
            ``ann_path``: the folder(s) with the JSON files, a glob pattern is
            allowed (e.g. ``'sav_0[01]?'`` for shards sav_000..sav_019).
        ann_types (Sequence[str]): ``('manual',)``, ``('auto',)`` or both.
            A video without ``_auto.json`` trains on its manual masklets
            (counted in ``num_videos_without_auto`` and logged once).
        proposals_root (str, optional): per-frame pseudo-negative proposal
            files ``<root>/<video_id>/<4i:05d>.pth``; relative to ``data_root``
            unless absolute. Sets ``proposals_path`` on every frame.
        skip_invalid (bool): skip (and count in the log) videos whose
            annotation file is missing or corrupt (or, with ``check_files``,
            whose frames or proposal files are missing) instead of raising.
        min_objects_per_pair (int): training keeps a video only if some pair
            of consecutive annotated frames shares at least this many objects
            (2: a contrastive pair needs a negative). Test mode keeps all.
        cache_file (str, optional): pickle of the parsed videos, rebuilt when
            the settings or any annotation file (size, mtime) change.
        check_files (bool): check at indexing that every annotated frame's
            JPEG and proposal file exists and that no proposal file is for a
            frame the video does not have (two ``os.listdir`` per video, not
            cached), so that a broken extraction fails at once instead of
            hours into training.
        frames_from (str): ``'jpeg'`` (default): ``img_path`` is the
            extracted JPEG; ``'video'``: every frame also gets
            ``video_path``, the ``{video_id}.mp4`` next to the annotation
            file, for ``LoadFrameFromVideo`` (no extraction).
    """

    METAINFO = dict(classes=('object', ))

    def __init__(self,
                 *args,
                 ann_types: Sequence[str] = ('manual', ),
                 proposals_root: Optional[str] = None,
                 skip_invalid: bool = False,
                 min_objects_per_pair: int = 2,
                 cache_file: Optional[str] = None,
                 check_files: bool = False,
                 frames_from: str = 'jpeg',
                 data_prefix: dict = dict(
                     img_path='JPEGImages_24fps', ann_path=''),
                 **kwargs):
        if isinstance(ann_types, str):
            ann_types = (ann_types, )
        bad = [t for t in ann_types if t not in ANN_TYPE_ID_OFFSET]
        if not ann_types or bad:
            raise ValueError(
                'ann_types must be a non-empty subset of '
                f'{tuple(ANN_TYPE_ID_OFFSET)}, got {tuple(ann_types)}')
        self.ann_types = tuple(ann_types)
        self.proposals_root = proposals_root
        self.skip_invalid = skip_invalid
        self.min_objects_per_pair = min_objects_per_pair
        self.cache_file = cache_file
        self.check_files = check_files
        if frames_from not in FRAME_SOURCES:
            raise ValueError(
                f'frames_from must be one of {FRAME_SOURCES}, got '
                f'{frames_from!r}')
        self.frames_from = frames_from
        self.num_invalid_videos = 0
        self.num_videos_without_auto = 0
        self.num_few_object_videos = 0
        data_prefix = dict(data_prefix)
        data_prefix.setdefault('img_path', 'JPEGImages_24fps')
        data_prefix.setdefault('ann_path', '')
        super().__init__(*args, data_prefix=data_prefix, **kwargs)

    # ------------------------------------------------------------ file lookup
    def _ann_dirs(self) -> List[str]:
        pattern = self.data_prefix['ann_path'] or self.data_root or '.'
        if glob.has_magic(pattern):
            dirs = sorted(d for d in glob.glob(pattern) if osp.isdir(d))
        else:
            dirs = [pattern]
        if not dirs or not all(osp.isdir(d) for d in dirs):
            raise FileNotFoundError(
                f'SA-V annotation folder {pattern!r} not found; set '
                "data_root and data_prefix['ann_path'] (docs/datasets.md).")
        return dirs

    def _index_files(self) -> Dict[str, Dict[str, str]]:
        """``{video_id: {ann_type: path}}`` for every annotation file found."""
        files: Dict[str, Dict[str, str]] = {}
        for d in self._ann_dirs():
            for name in os.listdir(d):
                for t in self.ann_types:
                    suffix = f'_{t}.json'
                    if name.endswith(suffix):
                        files.setdefault(name[:-len(suffix)],
                                         {})[t] = osp.join(d, name)
        return files

    def _video_ids(self, files: Dict[str, Dict[str, str]]) -> List[str]:
        if not self.ann_file:
            return sorted(files)
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'SA-V video list {self.ann_file!r} not found (one video '
                'id per line, or ann_file="" for all videos).')
        with open(self.ann_file) as f:
            return [
                ln.strip() for ln in f if ln.strip() and not ln.startswith('#')
            ]

    # ---------------------------------------------------------------- parsing
    def _read_ann_file(self, path: str) -> tuple:
        """One annotation file -> ``(ids, boxes [T, N, 4], height, width)``;
        a malformed file is a ValueError naming it."""
        ann = load_json_file(path, what='SA-V annotation')
        try:
            if not isinstance(ann, dict):
                raise ValueError(
                    f'expected a JSON object, got {type(ann).__name__}')
            height = _video_side(ann, 'video_height')
            width = _video_side(ann, 'video_width')
            masklet = ann['masklet']
            if not isinstance(masklet, list) or not all(
                    isinstance(m, list) for m in masklet):
                raise ValueError(
                    '"masklet" must be a list (frames) of lists (objects)')
            num_obj = len(masklet[0]) if masklet else 0
            ids = ann.get('masklet_id', None)
            ids = list(
                range(num_obj)) if ids is None else [int(i) for i in ids]
            if any(len(m) != len(ids) for m in masklet):
                raise ValueError(
                    'masklet rows do not all have one mask per masklet_id '
                    f'({len(ids)} ids)')
            if len(set(ids)) != len(ids):
                raise ValueError(f'masklet ids are not unique: {ids}')
            if any(i < 0 or i >= 100_000 for i in ids):
                raise ValueError(
                    f'masklet ids must be in [0, 100000), got {ids[:5]}...')
            rles = [r for m in masklet for r in m]
            boxes = masklet_boxes(rles, (height, width), len(ids))
            boxes = boxes.reshape(len(masklet), len(ids), 4)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise ValueError(
                f'SA-V annotation file {path!r} is malformed ({e}); '
                're-download it or use skip_invalid=True.') from e
        return ids, boxes, height, width

    def _parse_video(self, video_id: str, paths: Dict[str, str]) -> dict:
        """One video -> ``{'video_id', 'video_length', 'images'}`` (no
        ``img_id`` yet).

        ``auto`` is optional (SA-V ships it for 48,436 of 50,583 training
        videos): without it the video trains on its other types; every other
        requested type must exist.
        """
        types = [t for t in self.ann_types if t in paths]
        missing = [t for t in self.ann_types if t not in paths]
        if any(t not in OPTIONAL_ANN_TYPES for t in missing) or not types:
            t = missing[0]
            raise FileNotFoundError(
                f'SA-V annotation file {video_id}_{t}.json not found under '
                f'{self._ann_dirs()}; drop {t!r} from ann_types or use '
                f'skip_invalid=True.')
        frames: Optional[List[dict]] = None
        for t in types:
            path = paths[t]
            ids, boxes, height, width = self._read_ann_file(path)
            if frames is None:
                frames = self._frame_infos(video_id, len(boxes), height, width)
            elif (len(frames) != len(boxes)
                  or (frames and (frames[0]['height'], frames[0]['width'])
                      != (height, width))):
                raise ValueError(
                    f'{path!r} has {len(boxes)} annotated frames of {height} '
                    f'x {width} but the other annotation type of {video_id} '
                    f'has {len(frames)}, or another size.')
            offset = ANN_TYPE_ID_OFFSET[t]
            present = ~np.isnan(boxes[..., 0])  # empty or None: absent there
            box_lists = boxes.tolist()
            for frame, row, pres in zip(frames, box_lists, present.tolist()):
                frame['instances'].extend(
                    dict(
                        bbox=box,
                        bbox_label=0,
                        instance_id=offset + mid,
                        ignore_flag=0) for mid, box, p in zip(ids, row, pres)
                    if p)
        if self.frames_from == 'video':
            video_path = osp.join(
                osp.dirname(paths[types[0]]), video_id + '.mp4')
            for frame in frames:
                frame['video_path'] = video_path
        return dict(video_id=video_id, images=frames, video_length=len(frames))

    def _frame_infos(self, video_id: str, length: int, height: int,
                     width: int) -> List[dict]:
        img_dir = osp.join(self.data_prefix['img_path'], video_id, '')
        prop_dir = None
        if self.proposals_root is not None:
            root = self.proposals_root
            if not osp.isabs(root) and self.data_root:
                root = osp.join(self.data_root, root)
            prop_dir = osp.join(root, video_id, '')
        frames = []
        for i in range(length):
            stem = f'{SAV_FRAME_STRIDE * i:05d}'
            info = dict(
                img_path=img_dir + stem + '.jpg',
                frame_id=i,
                frame_index=SAV_FRAME_STRIDE * i,
                height=height,
                width=width,
                video_id=video_id,
                instances=[])
            if prop_dir is not None:
                info['proposals_path'] = prop_dir + stem + '.pth'
            frames.append(info)
        return frames

    # ---------------------------------------------------------------- loading
    def _cache_key(self, video_ids: List[str],
                   files: Dict[str, Dict[str, str]]) -> tuple:
        stats = []
        for v in video_ids:
            for t in self.ann_types:
                p = files.get(v, {}).get(t)
                if p is not None:
                    st = os.stat(p)
                    stats.append((p, st.st_size, st.st_mtime_ns))
                else:
                    stats.append((v, t, None))
        return (_CACHE_VERSION, self.ann_types, self.frames_from,
                self.data_prefix['img_path'], self.proposals_root,
                self.data_root, self.skip_invalid, tuple(stats))

    def load_data_list(self) -> List[dict]:
        files = self._index_files()
        video_ids = self._video_ids(files)
        self.num_videos_without_auto = sum(
            1 for v in video_ids
            if 'auto' in self.ann_types and 'auto' not in files.get(v, {}))
        if self.num_videos_without_auto and len(self.ann_types) > 1:
            print_log(
                f'SAVDataset: {self.num_videos_without_auto} of '
                f'{len(video_ids)} '
                'videos have no _auto.json (SA-V ships it for 48,436 of '
                '50,583); '
                'they train on their other masklets', 'current')
        videos = self._load_videos(video_ids, files)
        if self.check_files:
            videos = self._check_files(videos)
        return self._number_images(videos)

    def _load_videos(self, video_ids: List[str],
                     files: Dict[str, Dict[str, str]]) -> List[dict]:
        key = None
        if self.cache_file:
            key = self._cache_key(video_ids, files)
            if osp.isfile(self.cache_file):
                try:
                    with open(self.cache_file, 'rb') as f:
                        cached = pickle.load(f)
                    if cached.get('key') == key:
                        self.num_invalid_videos = cached['num_invalid']
                        print_log(
                            f'SAVDataset: {len(cached["videos"])} videos from '
                            f'cache '
                            f'{self.cache_file}', 'current')
                        return cached['videos']
                except (OSError, EOFError, pickle.UnpicklingError,
                        AttributeError, KeyError):
                    print_log(
                        f'SAVDataset: cache {self.cache_file} unreadable, '
                        f'rebuilding',
                        'current',
                        level=30)
        videos, invalid = [], []
        for vid in video_ids:
            try:
                videos.append(self._parse_video(vid, files.get(vid, {})))
            except (FileNotFoundError, ValueError) as e:
                if not self.skip_invalid:
                    raise
                invalid.append((vid, str(e)))
        self.num_invalid_videos = len(invalid)
        if invalid:
            print_log(
                f'SAVDataset: skipped {len(invalid)} videos with missing or '
                f'corrupt '
                f'annotation files, e.g. {invalid[0][1]}',
                'current',
                level=30)
        if self.cache_file:
            dump_pickle_atomic(
                dict(key=key, videos=videos, num_invalid=len(invalid)),
                self.cache_file)
        return videos

    def _check_files(self, videos: List[dict]) -> List[dict]:
        """Every annotated frame's JPEG exists and, with ``proposals_root``,
        its proposal file too and no proposal file names another frame (one
        ``os.listdir`` per folder). A failing video is an error naming the
        file, or with ``skip_invalid`` a counted skip."""
        kept, bad = [], []
        for video in videos:
            try:
                self._check_video_files(video)
                kept.append(video)
            except FileNotFoundError as e:
                if not self.skip_invalid:
                    raise
                bad.append(str(e))
        if bad:
            self.num_invalid_videos += len(bad)
            print_log(
                f'SAVDataset: skipped {len(bad)} videos with missing frame or '
                f'proposal '
                f'files, e.g. {bad[0]}',
                'current',
                level=30)
        return kept

    @staticmethod
    def _check_video_files(video: dict) -> None:
        frames = video['images']
        if not frames:
            return
        img_dir = osp.dirname(frames[0]['img_path'])
        if 'video_path' in frames[0]:
            if not osp.isfile(frames[0]['video_path']):
                raise FileNotFoundError(
                    f'video {frames[0]["video_path"]!r} not found')
            lost = []
        else:
            have = set(os.listdir(img_dir)) if osp.isdir(img_dir) else set()
            lost = [
                f['img_path'] for f in frames
                if osp.basename(f['img_path']) not in have
            ]
        if lost:
            raise FileNotFoundError(
                f'{len(lost)} of the {len(frames)} annotated frames of '
                f'{video["video_id"]} '
                f'are missing, e.g. {lost[0]!r}; delete {img_dir!r} and '
                f're-run '
                'tools/dataset_converters/sav_extract_frames.py (it '
                'resumes).')
        if 'proposals_path' not in frames[0]:
            return
        prop_dir = osp.dirname(frames[0]['proposals_path'])
        props = set(os.listdir(prop_dir)) if osp.isdir(prop_dir) else set()
        wanted = {osp.basename(f['proposals_path']) for f in frames}
        stray = sorted(n for n in props - wanted
                       if n.endswith('.pth') and not n.startswith('.'))
        if stray:
            raise FileNotFoundError(
                f'proposal file {osp.join(prop_dir, stray[0])!r} (and '
                f'{len(stray) - 1} more) '
                f'is for a frame that {video["video_id"]} does not have '
                f'(annotated frames '
                'are 00000, 00004, ...); dump the proposals for the annotated '
                'frames '
                '(tools/misc/dump_detections.py --every 4 on all frames) into '
                'a fresh folder.')
        lost = sorted(wanted - props)
        if lost:
            raise FileNotFoundError(
                f'{len(lost)} of the {len(frames)} proposal files of '
                f'{video["video_id"]} are '
                f'missing, e.g. {osp.join(prop_dir, lost[0])!r}; re-run '
                'tools/misc/dump_detections.py (it resumes) or set '
                'check_files=False and '
                'LoadTrackProposals(allow_missing=True).')

    @staticmethod
    def _number_images(videos: List[dict]) -> List[dict]:
        img_id = 0
        for v in videos:
            for frame in v['images']:
                frame['img_id'] = img_id
                img_id += 1
        return videos

    @staticmethod
    def max_shared_objects(video: dict) -> int:
        """Largest number of objects present in both frames of a pair of
        consecutive annotated frames."""
        ids = [{i['instance_id']
                for i in f['instances']} for f in video['images']]
        return max((len(a & b) for a, b in zip(ids[:-1], ids[1:])), default=0)

    def filter_data(self) -> List[dict]:
        """Training drops videos no pair of consecutive frames of which shares
        ``min_objects_per_pair`` objects (they give no contrastive pair)."""
        if self.test_mode:
            return self.data_list
        kept = [
            v for v in self.data_list
            if self.max_shared_objects(v) >= self.min_objects_per_pair
        ]
        self.num_few_object_videos = len(self.data_list) - len(kept)
        print_log(
            f'SAVDataset: {len(kept)} videos kept, '
            f'{self.num_few_object_videos} skipped '
            f'(fewer than {self.min_objects_per_pair} objects shared by '
            f'consecutive '
            f'annotated frames), {self.num_invalid_videos} skipped as '
            f'invalid', 'current')
        if not kept:
            raise ValueError(
                'SAVDataset: no training video left (of '
                f'{len(self.data_list)}) '
                f'in {self.data_prefix["ann_path"]!r}; check the annotation '
                'folder/ann_file or lower min_objects_per_pair.')
        return kept
