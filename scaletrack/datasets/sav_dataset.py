"""SA-V (Ravi et al. 2024) masklets as a sparsely annotated tracking dataset.

Layout (docs/datasets.md)::

    <data_root>/<ann_path>/{video_id}_manual.json   # and/or {video_id}_auto.json
    <data_root>/<img_path>/{video_id}/{4*i:05d}.jpg  # JPEGImages_24fps, 24 fps frames
    <proposals_root>/{video_id}/{4*i:05d}.pth        # optional, MASA per-frame layout

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
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log
from pycocotools import mask as mask_utils

from mmdet.datasets import BaseVideoDataset
from mmdet.registry import DATASETS
from .coco_video_dataset import load_json_file
from ..utils.file_io import dump_pickle_atomic

# SA-V videos are 24 fps and annotated at 6 fps: annotated frame i is JPEG 4*i.
SAV_FRAME_STRIDE = 4
# Instance ids are made unique across the two annotation types by adding a
# per-type offset to the masklet id. SA-V has at most a few hundred masklets
# per video, far below the offset; a larger id is reported as an error.
ANN_TYPE_ID_OFFSET = {'manual': 0, 'auto': 100_000}
# Bumped whenever the cached data-list layout changes.
_CACHE_VERSION = 1


def masklet_boxes(rles: Sequence[dict]) -> np.ndarray:
    """Boxes ``[N, 4]`` (x1, y1, x2, y2) of COCO RLE masks, NaN rows for empty
    masks, read from the run lengths without decoding the masks.

    A non-empty mask has a box at least one pixel wide, an empty one gets
    ``toBbox == [0, 0, 0, 0]``, so emptiness is read from the width
    (``pycocotools.mask.area`` overflows for lists of more than 255 masks
    under numpy 2).
    """
    if len(rles) == 0:
        return np.zeros((0, 4), dtype=np.float64)
    xywh = mask_utils.toBbox(list(rles)).reshape(-1, 4).astype(np.float64)
    boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    boxes[xywh[:, 2] <= 0] = np.nan
    return boxes


@DATASETS.register_module()
class SAVDataset(BaseVideoDataset):
    """SA-V videos as video-level data infos (mmdet ``BaseVideoDataset`` layout).

    Every annotated frame (6 fps) is a frame of the video (``frame_id = i``,
    ``frame_index = 4 * i``, ``img_path = <img_path>/<video_id>/<4i:05d>.jpg``),
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
        proposals_root (str, optional): per-frame pseudo-negative proposal
            files ``<root>/<video_id>/<4i:05d>.pth``; relative to ``data_root``
            unless absolute. Sets ``proposals_path`` on every frame.
        skip_invalid (bool): skip (and count in the log) videos whose
            annotation file is missing or corrupt instead of raising.
        min_objects_per_pair (int): training keeps a video only if some pair
            of consecutive annotated frames shares at least this many objects
            (2: a contrastive pair needs a negative). Test mode keeps all.
        cache_file (str, optional): pickle of the parsed videos, rebuilt when
            the settings or any annotation file (size, mtime) change.
    """

    METAINFO = dict(classes=('object', ))

    def __init__(self,
                 *args,
                 ann_types: Sequence[str] = ('manual', ),
                 proposals_root: Optional[str] = None,
                 skip_invalid: bool = False,
                 min_objects_per_pair: int = 2,
                 cache_file: Optional[str] = None,
                 data_prefix: dict = dict(img_path='JPEGImages_24fps', ann_path=''),
                 **kwargs):
        if isinstance(ann_types, str):
            ann_types = (ann_types, )
        bad = [t for t in ann_types if t not in ANN_TYPE_ID_OFFSET]
        if not ann_types or bad:
            raise ValueError('ann_types must be a non-empty subset of '
                             f'{tuple(ANN_TYPE_ID_OFFSET)}, got {tuple(ann_types)}')
        self.ann_types = tuple(ann_types)
        self.proposals_root = proposals_root
        self.skip_invalid = skip_invalid
        self.min_objects_per_pair = min_objects_per_pair
        self.cache_file = cache_file
        self.num_invalid_videos = 0
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
            raise FileNotFoundError(f'SA-V annotation folder {pattern!r} not found; set '
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
                        files.setdefault(name[:-len(suffix)], {})[t] = osp.join(d, name)
        return files

    def _video_ids(self, files: Dict[str, Dict[str, str]]) -> List[str]:
        if not self.ann_file:
            return sorted(files)
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'SA-V video list {self.ann_file!r} not found (one video '
                                    'id per line, or ann_file="" for all videos).')
        with open(self.ann_file) as f:
            return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]

    # ---------------------------------------------------------------- parsing
    def _parse_video(self, video_id: str, paths: Dict[str, str]) -> dict:
        """One video -> ``{'video_id', 'video_length', 'images'}`` (no img_id yet)."""
        frames: Optional[List[dict]] = None
        for t in self.ann_types:
            if t not in paths:
                raise FileNotFoundError(
                    f'SA-V annotation file {video_id}_{t}.json not found under '
                    f'{self._ann_dirs()}; drop {t!r} from ann_types or use skip_invalid=True.')
            path = paths[t]
            ann = load_json_file(path, what='SA-V annotation file')
            try:
                masklet = ann['masklet']
                num_obj = len(masklet[0]) if masklet else 0
                ids = ann.get('masklet_id', None)
                ids = list(range(num_obj)) if ids is None else [int(i) for i in ids]
                if masklet and any(len(m) != len(ids) for m in masklet):
                    raise ValueError('masklet rows do not all have one mask per masklet_id')
                if any(i < 0 or i >= 100_000 for i in ids):
                    raise ValueError(f'masklet ids must be in [0, 100000), got {ids[:5]}...')
                height = int(float(ann['video_height']))
                width = int(float(ann['video_width']))
                # one toBbox call for the whole video: [T, N, 4]
                boxes = masklet_boxes([r for m in masklet for r in m]).reshape(
                    len(masklet), len(ids), 4)
            except (KeyError, TypeError, ValueError, IndexError) as e:
                raise ValueError(f'SA-V annotation file {path!r} is malformed ({e!r}); '
                                 're-download it or use skip_invalid=True.') from e
            if frames is None:
                frames = self._frame_infos(video_id, len(masklet), height, width)
            elif len(frames) != len(masklet):
                raise ValueError(f'{path!r} has {len(masklet)} annotated frames but the other '
                                 f'annotation type of {video_id} has {len(frames)}.')
            offset = ANN_TYPE_ID_OFFSET[t]
            present = ~np.isnan(boxes[..., 0])  # empty mask: the object is absent there
            box_lists = boxes.tolist()
            for frame, row, pres in zip(frames, box_lists, present.tolist()):
                frame['instances'].extend(
                    dict(bbox=box, bbox_label=0, instance_id=offset + mid, ignore_flag=0)
                    for mid, box, p in zip(ids, row, pres) if p)
        return dict(video_id=video_id, images=frames or [], video_length=len(frames or []))

    def _frame_infos(self, video_id: str, length: int, height: int, width: int) -> List[dict]:
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
            info = dict(img_path=img_dir + stem + '.jpg', frame_id=i,
                        frame_index=SAV_FRAME_STRIDE * i, height=height, width=width,
                        video_id=video_id, instances=[])
            if prop_dir is not None:
                info['proposals_path'] = prop_dir + stem + '.pth'
            frames.append(info)
        return frames

    # ---------------------------------------------------------------- loading
    def _cache_key(self, video_ids: List[str], files: Dict[str, Dict[str, str]]) -> tuple:
        stats = []
        for v in video_ids:
            for t in self.ann_types:
                p = files.get(v, {}).get(t)
                if p is not None:
                    st = os.stat(p)
                    stats.append((p, st.st_size, st.st_mtime_ns))
                else:
                    stats.append((v, t, None))
        return (_CACHE_VERSION, self.ann_types, self.data_prefix['img_path'], self.proposals_root,
                self.data_root, self.skip_invalid, tuple(stats))

    def load_data_list(self) -> List[dict]:
        files = self._index_files()
        video_ids = self._video_ids(files)
        key = None
        if self.cache_file:
            key = self._cache_key(video_ids, files)
            if osp.isfile(self.cache_file):
                try:
                    with open(self.cache_file, 'rb') as f:
                        cached = pickle.load(f)
                    if cached.get('key') == key:
                        self.num_invalid_videos = cached['num_invalid']
                        print_log(f'SAVDataset: {len(cached["videos"])} videos from cache '
                                  f'{self.cache_file}', 'current')
                        return self._number_images(cached['videos'])
                except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError):
                    print_log(f'SAVDataset: cache {self.cache_file} unreadable, rebuilding',
                              'current', level=30)
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
            print_log(f'SAVDataset: skipped {len(invalid)} videos with missing or corrupt '
                      f'annotation files, e.g. {invalid[0][1]}', 'current', level=30)
        if self.cache_file:
            dump_pickle_atomic(dict(key=key, videos=videos, num_invalid=len(invalid)),
                           self.cache_file)
        return self._number_images(videos)

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
        ids = [{i['instance_id'] for i in f['instances']} for f in video['images']]
        return max((len(a & b) for a, b in zip(ids[:-1], ids[1:])), default=0)

    def filter_data(self) -> List[dict]:
        """Training drops videos no pair of consecutive frames of which shares
        ``min_objects_per_pair`` objects (they give no contrastive pair)."""
        if self.test_mode:
            return self.data_list
        kept = [v for v in self.data_list
                if self.max_shared_objects(v) >= self.min_objects_per_pair]
        self.num_few_object_videos = len(self.data_list) - len(kept)
        print_log(f'SAVDataset: {len(kept)} videos kept, {self.num_few_object_videos} skipped '
                  f'(fewer than {self.min_objects_per_pair} objects shared by consecutive '
                  f'annotated frames), {self.num_invalid_videos} skipped as invalid', 'current')
        if not kept:
            raise ValueError(f'SAVDataset: no training video left (of {len(self.data_list)}) '
                             f'in {self.data_prefix["ann_path"]!r}; check the annotation '
                             'folder/ann_file or lower min_objects_per_pair.')
        return kept
