"""COCO-VID video dataset shared by the TAO, OVT-B, BDD100K and MOTChallenge
readers.

mmdet's :class:`~mmdet.datasets.BaseVideoDataset` holds the video-level data
infos, the test-mode frame-by-frame access (``prepare_data((video, frame))``
for :class:`~mmdet.datasets.samplers.TrackImgSampler`) and the category
look-ups; this class only replaces how the annotation file is read, to fix
what the benchmarks here need and mmdet does not do:

* ``classes=None`` takes every category of the file, in file order, and the
  label of a box is the index of its category in ``metainfo['classes']``
  (mmdet keeps the file order even when ``classes`` lists another order);
* identities come from ``instance_id`` or, in TAO-style files, ``track_id``
  and are renumbered ``0, 1, ...`` per ``(video, id)`` so that they are
  unique across videos; an id of 0 is kept (mmdet treats 0 as "no id");
* frames are sorted by ``frame_id`` (or TAO's ``frame_index``) and get
  ``frame_id = 0, 1, ...`` in that order, because the trackers reset on
  ``frame_id == 0`` and expect consecutive ids; the file's value is kept as
  ``frame_index``;
* ``iscrowd`` or ``ignore`` boxes are kept with ``ignore_flag=1`` (they are
  packed into ``ignored_instances``), instead of being dropped;
* a missing or unreadable file is named in the error.
"""
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List, Optional

from mmdet.datasets import BaseVideoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from ..utils.file_io import load_json_file

# Smallest box side, in pixels, that is kept as an annotation (mmdet's
# BaseVideoDataset drops boxes with w < 1 or h < 1 as well).
MIN_BOX_SIDE = 1.0


@DATASETS.register_module()
class CocoVideoDataset(BaseVideoDataset):
    """Video dataset on a COCO-VID JSON (``videos``, ``images``,
    ``annotations``, ``categories``); data infos exactly as mmdet's
    ``BaseVideoDataset``.

    ``filter_cfg`` (training only): ``None`` keeps every frame, which clip
    sampling needs to keep a constant frame rate; ``dict(filter_empty_gt=True,
    min_size=32)`` drops frames without annotations or smaller than
    ``min_size`` like mmdet's ``BaseVideoDataset``.
    """

    METAINFO = dict(classes=None)

    # ----------------------------------------------------------------- classes
    def _select_categories(self, categories: List[dict]) -> List[dict]:
        """The categories that become labels ``0..C-1``, in label order."""
        names = [c['name'] for c in categories]
        dup = [n for n, k in Counter(names).items() if k > 1]
        if dup:
            raise ValueError(
                f'{self.ann_file!r}: category names are not unique: '
                f'{sorted(dup)[:5]}')
        wanted = self._metainfo.get('classes', None)
        if wanted is None:
            return list(categories)
        if isinstance(wanted, str):
            wanted = (wanted, )
        by_name = {c['name']: c for c in categories}
        missing = [n for n in wanted if n not in by_name]
        if missing:
            raise ValueError(
                f'classes {missing[:5]} are not categories of '
                f'{self.ann_file!r} (it has {len(categories)}: '
                f'{names[:5]}...); fix metainfo.classes or use classes=None '
                'for all of them.')
        return [by_name[n] for n in wanted]

    def _set_class_metainfo(self, selected: List[dict]) -> None:
        """Write the label order into the metainfo (subclasses add more)."""
        self._metainfo['classes'] = tuple(c['name'] for c in selected)

    # ----------------------------------------------------------------- loading
    def load_data_list(self) -> List[dict]:
        data = load_json_file(
            self.ann_file, 'annotation', backend_args=self.backend_args)
        for key in ('images', 'categories'):
            if key not in data:
                raise ValueError(
                    f'{self.ann_file!r} is not a COCO-VID file: no {key!r} '
                    'list.')
        selected = self._select_categories(data['categories'])
        self._set_class_metainfo(selected)
        self.cat_ids = [c['id'] for c in selected]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}

        anns_by_img = defaultdict(list)
        for ann in data.get('annotations', []):
            anns_by_img[ann['image_id']].append(ann)

        videos: Dict[int, List[dict]] = defaultdict(list)
        # as mmdet: images without a video are one-frame videos
        single_video_id = 100000
        for img in data['images']:
            vid = img.get('video_id')
            if vid is None:
                single_video_id += 1
                vid = single_video_id
            videos[vid].append(img)

        self._instance_id_map: Dict[tuple, int] = {}
        data_list = []
        for vid, imgs in videos.items():
            imgs = sorted(
                imgs,
                key=lambda im:
                (im.get('frame_id', im.get('frame_index', 0)), im['id']))
            frames = []
            for frame_id, img in enumerate(imgs):
                frames.append(
                    self._parse_frame(img, anns_by_img.get(img['id'], []), vid,
                                      frame_id))
            data_list.append(
                dict(video_id=vid, images=frames, video_length=len(frames)))
        return data_list

    def _parse_frame(self, img: dict, anns: List[dict], video_id,
                     frame_id: int) -> dict:
        info = dict(img)
        info['img_id'] = img['id']
        info['video_id'] = video_id
        info['frame_index'] = img.get('frame_id',
                                      img.get('frame_index', frame_id))
        info['frame_id'] = frame_id
        prefix = self.data_prefix.get('img_path', None)
        info['img_path'] = osp.join(
            prefix, img['file_name']) if prefix else img['file_name']
        instances = []
        for i, ann in enumerate(anns):
            inst = self._parse_instance(ann, img, video_id, i)
            if inst is not None:
                instances.append(inst)
        info['instances'] = instances
        return info

    def _instance_id(self, ann: dict, video_id, ann_index: int) -> int:
        raw = ann.get('instance_id', ann.get('track_id', None))
        key = (video_id,
               raw) if raw is not None else (video_id, 'ann',
                                             ann.get('id', ann_index))
        if key not in self._instance_id_map:
            self._instance_id_map[key] = len(self._instance_id_map)
        return self._instance_id_map[key]

    def _parse_instance(self, ann: dict, img: dict, video_id,
                        ann_index: int) -> Optional[dict]:
        """One annotation -> one instance dict, or None when it is not
        usable."""
        if ann['category_id'] not in self.cat2label:
            return None
        x1, y1, w, h = ann['bbox']
        inter_w = max(0, min(x1 + w, img['width']) - max(x1, 0))
        inter_h = max(0, min(y1 + h, img['height']) - max(y1, 0))
        if inter_w * inter_h == 0 or w < MIN_BOX_SIDE or h < MIN_BOX_SIDE:
            return None
        if ann.get('area', w * h) <= 0:
            return None
        return dict(
            bbox=[x1, y1, x1 + w, y1 + h],
            bbox_label=self.cat2label[ann['category_id']],
            instance_id=self._instance_id(ann, video_id, ann_index),
            ignore_flag=int(
                bool(ann.get('iscrowd', False) or ann.get('ignore', False))))

    # --------------------------------------------------------------- filtering
    def filter_data(self) -> List[dict]:
        if self.test_mode or self.filter_cfg is None:
            return self.data_list
        filter_empty = self.filter_cfg.get('filter_empty_gt', True)
        min_size = self.filter_cfg.get('min_size', 32)  # mmdet's default

        def keep(frame):
            if min(frame['width'], frame['height']) < min_size:
                return False
            return not filter_empty or any(not i['ignore_flag']
                                           for i in frame['instances'])

        before = sum(len(v['images']) for v in self.data_list)
        out = []
        for video in self.data_list:
            frames = [f for f in video['images'] if keep(f)]
            if frames:
                out.append(
                    dict(video, images=frames, video_length=len(frames)))
        print_log(
            f'{type(self).__name__}: frames before / after filtering: '
            f'{before} / {sum(len(v["images"]) for v in out)}', 'current')
        if not out:
            raise ValueError(
                f'{type(self).__name__}: no frame of {self.ann_file!r} passes '
                f'filter_cfg={self.filter_cfg}; relax it or check the file.')
        return out
