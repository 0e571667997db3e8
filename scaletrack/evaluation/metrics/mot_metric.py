"""``MOTMetric``: HOTA / CLEAR / Identity of a tracker via trackeval."""
import os
import os.path as osp
from collections import OrderedDict
from typing import List, Optional, Sequence, Union

import numpy as np
from mmdet.evaluation.metrics.base_video_metric import BaseVideoMetric
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

from ..functional.mot_metrics import (IGNORE_RULES, MOT_METRICS, MOTSequence,
                                      evaluate_mot)
from ..functional.motchallenge_io import (MOTCHALLENGE_DISTRACTORS,
                                          read_motchallenge_gt,
                                          write_motchallenge_results)
from ..functional.tables import mot_table
from .teta_metric import frame_metainfo, pred_track_arrays, to_numpy

__all__ = ['MOTMetric', 'video_name_of']

#: Per-class figures reported next to the combined ones.
PER_CLASS_KEYS = ('HOTA', 'DetA', 'AssA', 'MOTA', 'IDF1')
#: Combined figures reported (fractions, IDSW/MT/ML/Frag counts).
COMBINED_KEYS = ('HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe', 'AssPr',
                 'LocA', 'MOTA', 'MOTP', 'IDSW', 'MT', 'ML', 'Frag', 'CLR_TP',
                 'CLR_FN', 'CLR_FP', 'IDF1', 'IDP', 'IDR')


def video_name_of(img_path: Optional[str], video_id) -> str:
    """Sequence name: the image's folder, or the folder above a
    MOTChallenge ``img1`` folder; ``video_<id>`` without a path."""
    if not img_path:
        return f'video_{video_id}'
    parent = osp.dirname(osp.normpath(img_path))
    name = osp.basename(parent)
    if name == 'img1':
        name = osp.basename(osp.dirname(parent))
    return name or f'video_{video_id}'


def _frame_number(meta: dict) -> Optional[int]:
    """MOTChallenge frame number (1-based): ``mot_frame_id`` or the digits
    of the image file name; None when neither exists."""
    if meta.get('mot_frame_id') is not None:
        return int(meta['mot_frame_id'])
    stem = osp.splitext(osp.basename(meta.get('img_path') or ''))[0]
    return int(stem) if stem.isdigit() else None


def _instances(inst, id_keys=('instances_ids', 'instances_id')):
    """bboxes, labels, ids of an InstanceData (ids -1 when absent)."""
    if inst is None or 'bboxes' not in inst:
        return np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(0, np.int64)
    boxes = to_numpy(inst.bboxes).reshape(-1, 4).astype(float)
    n = len(boxes)
    labels = to_numpy(inst.labels).reshape(-1).astype(np.int64) \
        if 'labels' in inst else np.full(n, -1, np.int64)
    ids = np.full(n, -1, np.int64)
    for key in id_keys:
        if key in inst:
            ids = to_numpy(inst.get(key)).reshape(-1).astype(np.int64)
            break
    return boxes, labels, ids


@METRICS.register_module()
class MOTMetric(BaseVideoMetric):
    """HOTA, CLEAR (MOTA, ...) and Identity (IDF1, ...) per class and
    combined, with the class means mHOTA / mIDF1 / mMOTA (BDD100K).

    Ground truth comes from each frame's ``gt_instances`` (``bboxes`` in
    original pixels, ``labels``, ``instances_ids``) and ``ignored_instances``
    (ignore regions); predictions from ``pred_track_instances``. Figures are
    fractions (trackeval); see ``functional/mot_metrics.py``.

    Args:
        metric: any of ``'HOTA', 'CLEAR', 'Identity'``.
        classes: names of the evaluated classes (default: all the dataset's
            classes), e.g. BDD100K's 8.
        ignore_rule: ``'bdd100k'`` (unmatched predictions mostly inside an
            ignored box are dropped) or ``'motchallenge'`` (trackeval's
            MotChallenge2DBox preprocessing: predictions matched to a
            distractor are dropped, zero-marked ground truth is not scored
            but its predictions stay).
        gt_root (str, optional): MOTChallenge split folder holding
            ``<seq>/gt/gt.txt``. With it (and ``ignore_rule='motchallenge'``)
            the ground truth is read from those files, every row as
            trackeval reads them, so that distractors and zero-marked rows
            are told apart and rows of classes the COCO-VID conversion
            drops still take part in the matching: the official figures.
            A frame's number is the image's ``mot_frame_id`` or its file
            name (``000001.jpg``). Without it the dataset's ignored
            instances all count as distractors (an approximation).
        distractors: gt.txt class ids of distractors (MOT17; MOT20 adds 6).
        gt_class_ids: the gt.txt class id of each evaluated class (default:
            by MOTChallenge name, pedestrian = 1); SportsMOT: ``(1, )``.
        outfile_prefix: folder to write one MOTChallenge results file
            ``<video>.txt`` per video into (rows ``frame, id, x, y, w, h,
            score, -1, -1, -1``, 1-based frames).
        format_only: only write the results.
    """
    default_prefix: Optional[str] = 'mot'

    def __init__(self,
                 metric: Union[str, Sequence[str]] = MOT_METRICS,
                 classes: Optional[Sequence[str]] = None,
                 ignore_rule: str = 'bdd100k',
                 gt_root: Optional[str] = None,
                 distractors: Sequence[int] = MOTCHALLENGE_DISTRACTORS,
                 gt_class_ids: Optional[Sequence[int]] = None,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        metrics = [metric] if isinstance(metric, str) else list(metric)
        unknown = [m for m in metrics if m not in MOT_METRICS]
        if unknown:
            raise KeyError(f'unknown metric(s) {unknown}; choose from '
                           f'{MOT_METRICS}.')
        if ignore_rule not in IGNORE_RULES:
            raise ValueError(f'ignore_rule must be one of {IGNORE_RULES}.')
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs outfile_prefix.')
        self.metrics = metrics
        self.classes = list(classes) if classes is not None else None
        self.ignore_rule = ignore_rule
        if gt_root is not None and ignore_rule != 'motchallenge':
            raise ValueError('gt_root (MOTChallenge gt.txt files) goes with '
                             "ignore_rule='motchallenge'.")
        self.gt_root = gt_root
        self.distractors = tuple(distractors)
        self.gt_class_ids = gt_class_ids
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only

    # ----------------------------------------------------------------- process
    def _process_frame(self, sample, video_len: Optional[int]) -> None:
        meta = frame_metainfo(sample, ('video_id', 'frame_id'))
        gt_box, gt_label, gt_id = _instances(sample.get('gt_instances'))
        ign_box, ign_label, _ = _instances(sample.get('ignored_instances'))
        pred = pred_track_arrays(sample)
        self.results.append(
            dict(
                video_id=meta['video_id'],
                frame_id=int(meta['frame_id']),
                video_name=video_name_of(
                    sample.metainfo.get('img_path'), meta['video_id']),
                video_len=video_len if video_len is not None else
                sample.metainfo.get('ori_video_length'),
                frame_number=_frame_number(sample.metainfo),
                gt_bboxes=gt_box,
                gt_labels=gt_label,
                gt_ids=gt_id,
                ignored_bboxes=ign_box,
                ignored_labels=ign_label,
                pred_bboxes=pred['bboxes'],
                pred_scores=pred['scores'],
                pred_labels=pred['labels'],
                pred_ids=pred['instances_id']))

    def process_video(self, data_samples) -> None:
        for sample in data_samples:
            self._process_frame(sample, len(data_samples))

    def process_image(self, data_samples, ori_video_len: int) -> None:
        self._process_frame(data_samples[0], ori_video_len)

    # ----------------------------------------------------------------- compute
    def _class_map(self):
        """Dataset label -> index into the evaluated classes (-1: none)."""
        ds_classes = list((self.dataset_meta or {}).get('classes') or [])
        classes = self.classes if self.classes is not None else ds_classes
        if not classes:
            raise ValueError('MOTMetric needs class names: set classes=... '
                             'or use a dataset with metainfo classes.')
        if not ds_classes:  # labels already index `classes`
            return classes, np.arange(len(classes))
        missing = [c for c in classes if c not in ds_classes]
        if missing:
            raise ValueError(f'classes {missing} are not dataset classes '
                             f'{ds_classes}.')
        lut = np.full(len(ds_classes), -1, np.int64)
        for i, c in enumerate(classes):
            lut[ds_classes.index(c)] = i
        return classes, lut

    @staticmethod
    def _map(labels, lut):
        labels = np.asarray(labels, np.int64)
        ok = (labels >= 0) & (labels < len(lut))
        out = np.full(len(labels), -1, np.int64)
        out[ok] = lut[labels[ok]]
        return out

    def build_sequences(self, frames: List[dict], lut) -> List[MOTSequence]:
        by_video = OrderedDict()
        for fr in frames:
            by_video.setdefault(fr['video_id'], []).append(fr)
        seqs = []
        for vid, vframes in by_video.items():
            num_frames = max([f['frame_id'] + 1 for f in vframes] +
                             [int(f['video_len'] or 0) for f in vframes])

            def cat(key):
                return np.concatenate([np.asarray(f[key]) for f in vframes])

            def frames_of(key):
                return np.concatenate([
                    np.full(len(f[key]), f['frame_id']) for f in vframes
                ]).astype(np.int64)

            n_ign = frames_of('ignored_bboxes')
            gt_box = np.concatenate([
                cat('gt_bboxes').reshape(-1, 4),
                cat('ignored_bboxes').reshape(-1, 4)
            ])
            n_gt = len(gt_box) - len(n_ign)
            seqs.append(
                MOTSequence(
                    name=vframes[0]['video_name'],
                    num_frames=num_frames,
                    gt_frame=np.concatenate([frames_of('gt_bboxes'), n_ign]),
                    gt_id=np.concatenate(
                        [cat('gt_ids'), np.full(len(n_ign), -1)]),
                    gt_box=gt_box,
                    gt_label=np.concatenate([
                        self._map(cat('gt_labels'), lut),
                        self._map(cat('ignored_labels'), lut)
                    ]),
                    gt_ignore=np.r_[np.zeros(n_gt, bool),
                                    np.ones(len(n_ign), bool)],
                    gt_considered=np.r_[np.ones(n_gt, bool),
                                        np.zeros(len(n_ign), bool)],
                    pr_frame=frames_of('pred_bboxes'),
                    pr_id=cat('pred_ids'),
                    pr_box=cat('pred_bboxes').reshape(-1, 4),
                    pr_label=self._map(cat('pred_labels'), lut),
                    pr_score=cat('pred_scores')))
        names = [s.name for s in seqs]
        if len(set(names)) != len(names):  # fall back to unique names
            for s, vid in zip(seqs, by_video):
                s.name = f'{s.name}_{vid}'
        if self.gt_root is not None:
            seqs = [
                self._gt_from_files(s, v)
                for s, v in zip(seqs, by_video.values())
            ]
        return seqs

    def _gt_from_files(self, seq: MOTSequence, frames: List[dict]):
        """Replace a sequence's ground truth by its gt.txt rows at the
        evaluated frames (module ``gt_root`` rule)."""
        t_of = {}
        for f in frames:
            if f['frame_number'] is None:
                raise ValueError(
                    f'sequence {seq.name!r}: frame {f["frame_id"]} has no '
                    'MOTChallenge frame number (mot_frame_id or a numeric '
                    'file name); gt_root needs it.')
            t_of[f['frame_number']] = f['frame_id']
        gt = read_motchallenge_gt(self.gt_root, seq.name, self._classes,
                                  self.distractors, self.gt_class_ids)
        keep = np.isin(gt['gt_frame'], list(t_of))
        gt = {k: v[keep] for k, v in gt.items()}
        gt['gt_frame'] = np.array([t_of[n] for n in gt['gt_frame'].tolist()],
                                  np.int64)
        return MOTSequence(
            name=seq.name,
            num_frames=seq.num_frames,
            pr_frame=seq.pr_frame,
            pr_id=seq.pr_id,
            pr_box=seq.pr_box,
            pr_label=seq.pr_label,
            pr_score=seq.pr_score,
            **gt)

    def compute_metrics(self, results: list) -> dict:
        logger = MMLogger.get_current_instance()
        classes, lut = self._class_map()
        self._classes = classes
        if self.ignore_rule == 'motchallenge' and self.gt_root is None:
            logger.warning(
                'MOTMetric: motchallenge rule without gt_root: every '
                'ignored instance counts as a distractor (zero-marked rows '
                'too); set gt_root for the official (trackeval) figures.')
        seqs = self.build_sequences(results, lut)
        if self.outfile_prefix is not None:
            os.makedirs(self.outfile_prefix, exist_ok=True)
            for s in seqs:
                write_motchallenge_results(
                    osp.join(self.outfile_prefix, f'{s.name}.txt'), s.pr_frame,
                    s.pr_id, s.pr_box, s.pr_score)
            logger.info(f'MOTChallenge results written to '
                        f'{self.outfile_prefix}')
        if self.format_only:
            return {}
        out = evaluate_mot(seqs, classes, self.metrics, self.ignore_rule)
        logger.info('MOT metrics:\n' + mot_table(out))
        metrics = {
            k: out['combined'][k]
            for k in COMBINED_KEYS if k in out['combined']
        }
        for k in ('mHOTA', 'mIDF1', 'mMOTA'):
            if k in out:
                metrics[k] = out[k]
        if len(classes) > 1:
            for c in classes:
                metrics.update({
                    f'{c}_{k}': out['per_class'][c][k]
                    for k in PER_CLASS_KEYS if k in out['per_class'][c]
                })
        return metrics
