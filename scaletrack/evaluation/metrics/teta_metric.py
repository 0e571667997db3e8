"""``TETAMetric``: TETA of a tracker's outputs on a TAO-format dataset."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation.metrics.base_video_metric import BaseVideoMetric
from mmdet.registry import METRICS
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger

from ...utils.file_io import dump_json_atomic, load_json_file
from ..functional.scalabel_format import (tao_results_to_scalabel,
                                          write_scalabel_results)
from ..functional.tables import teta_table
from ..functional.tao_format import tao_track_results, vote_tao_results
from ..functional.teta import TETA_KEYS, evaluate_teta

__all__ = ['TETAMetric', 'to_numpy']

#: Name of the TAO results file written under ``outfile_prefix`` (MASA's).
RESULTS_FILE = 'tao_track.json'
#: Result formats ``TETAMetric`` can write under ``outfile_prefix``.
OUT_FORMATS = ('tao', 'scalabel')


def to_numpy(x) -> np.ndarray:
    """Tensor / boxes object / array -> numpy (on CPU)."""
    if hasattr(x, 'tensor'):  # mmdet BaseBoxes
        x = x.tensor
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def frame_metainfo(sample, keys: Sequence[str]) -> dict:
    meta = sample.metainfo
    missing = [k for k in keys if k not in meta]
    if missing:
        raise KeyError(f'a frame data sample lacks the metainfo {missing}; '
                       'pack frames with PackTrackInputs (which keeps '
                       'img_id, video_id, frame_id).')
    return {k: meta[k] for k in keys}


def pred_track_arrays(sample) -> Dict[str, np.ndarray]:
    """bboxes (x1y1x2y2, original pixels), scores, labels, instances_id."""
    if 'pred_track_instances' not in sample:
        raise KeyError(
            'a frame data sample has no pred_track_instances (image '
            f'{sample.metainfo.get("img_id")}); the model must output '
            'tracks.')
    inst = sample.pred_track_instances
    out = dict(
        bboxes=to_numpy(inst.bboxes).reshape(-1, 4).astype(float),
        scores=to_numpy(inst.scores).reshape(-1).astype(float),
        labels=to_numpy(inst.labels).reshape(-1).astype(np.int64),
        instances_id=to_numpy(inst.instances_id).reshape(-1).astype(np.int64))
    if len({len(v) for v in out.values()}) != 1:
        raise ValueError('pred_track_instances fields differ in length: ' +
                         str({
                             k: len(v)
                             for k, v in out.items()
                         }))
    return out


@METRICS.register_module()
class TETAMetric(BaseVideoMetric):
    """TETA (LocA, AssocA, ClsA, ...) of tracking outputs, in percent.

    Each frame's ``pred_track_instances`` (``bboxes`` x1y1x2y2 in
    original-image pixels, ``scores``, ``labels`` indexing the dataset's
    classes, ``instances_id``) becomes TAO results; labels map to category
    ids by class name through ``ann_file`` (or by position when the dataset
    has no class list). Works with video- and image-based test loops and in
    distributed tests (``BaseVideoMetric`` collects the frames).

    Args:
        ann_file (str): TAO-format ground truth of the evaluated split.
        exhaustive (bool): count class predictions outside every cluster as
            ClsA FPs (BDD100K / COCO-VID); False for TAO and OVT-B.
        max_dets (int): keep the top ``max_dets`` boxes per image; 0 keeps
            all (the reference default used by MASA).
        use_tcc (bool): majority-vote track categories (MASA's ``tcc``,
            the default). The vote is applied before the results are
            written, so ``tao_track.json`` holds the voted classes and
            ``eval_teta.py`` (which scores a file as given, like the
            reference) reproduces this metric's figures on it.
        ignore_iscrowd (bool): treat ``iscrowd`` / ``ignore`` annotations
            as ignore regions, not ground truth: unmatched predictions more
            than half inside one are removed (BDD100K's rule, whose
            converter flags "other person", "other vehicle", "trailer" and
            crowd boxes). Default False: every annotation is ground truth
            (TAO, OVT-B).
        all_frames (bool): every image of a video is a timestep, so
            predictions on unannotated images count (BDD100K). Default
            False: only annotated images (TAO, OVT-B).
        outfile_prefix (str, optional): folder to write the results into
            (atomically), in the formats of ``out_formats``.
        out_formats (Sequence[str]): ``'tao'``: ``tao_track.json`` (TAO,
            OVT-B); ``'scalabel'``: ``scalabel/{videoName}.json`` per video
            (BDD100K's format; needs a ground truth from
            ``bdd100k_to_cocovid.py``). Default ``('tao', )``.
        format_only (bool): only write the results, skip the evaluation.
    """
    default_prefix: Optional[str] = 'teta'

    def __init__(self,
                 ann_file: str,
                 exhaustive: bool = False,
                 max_dets: int = 0,
                 use_tcc: bool = True,
                 ignore_iscrowd: bool = False,
                 all_frames: bool = False,
                 outfile_prefix: Optional[str] = None,
                 out_formats: Sequence[str] = ('tao', ),
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        out_formats = tuple(out_formats)
        unknown = set(out_formats) - set(OUT_FORMATS)
        if unknown or not out_formats:
            raise ValueError(f'out_formats must be a non-empty subset of '
                             f'{OUT_FORMATS}, got {out_formats}')
        self.out_formats = out_formats
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True writes the results and '
                             'skips evaluation: set outfile_prefix too.')
        self.ann_file = ann_file
        self.exhaustive = exhaustive
        self.max_dets = max_dets
        self.use_tcc = use_tcc
        self.ignore_iscrowd = ignore_iscrowd
        self.all_frames = all_frames
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only

    # ----------------------------------------------------------------- process
    def _process_frame(self, sample) -> None:
        meta = frame_metainfo(sample, ('img_id', 'video_id', 'frame_id'))
        self.results.append(dict(meta, **pred_track_arrays(sample)))

    def process_video(self, data_samples) -> None:
        for sample in data_samples:
            self._process_frame(sample)

    def process_image(self, data_samples, ori_video_len: int) -> None:
        self._process_frame(data_samples[0])

    # ----------------------------------------------------------------- compute
    def _label_to_category(self, gt: dict) -> np.ndarray:
        cats = gt['categories']
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            return np.array([int(c['id']) for c in cats], np.int64)
        by_name = {c.get('name'): int(c['id']) for c in cats}
        missing = [c for c in classes if c not in by_name]
        if missing:
            raise ValueError(
                f'{len(missing)} dataset class(es) are not categories of '
                f'{self.ann_file!r}, e.g. {missing[:5]}; the dataset and the '
                'annotation file must use the same class names.')
        return np.array([by_name[c] for c in classes], np.int64)

    def tao_results(self, frames: List[dict], label_to_cat: np.ndarray):
        """Frames -> TAO results with track ids unique over the dataset
        (each video's ids shifted past the previous videos', as MASA)."""
        return tao_track_results(frames, label_to_cat)

    def compute_metrics(self, results: list) -> dict:
        logger = MMLogger.get_current_instance()
        with get_local_path(self.ann_file) as local:
            gt = load_json_file(local, 'TAO annotation')
        if not isinstance(gt, dict) or 'categories' not in gt:
            raise ValueError(f'{self.ann_file!r} is not a TAO annotation '
                             'file (no categories).')
        tao_res = self.tao_results(results, self._label_to_category(gt))
        if self.use_tcc:  # the written file holds the voted classes
            tao_res = vote_tao_results(tao_res)
        if self.outfile_prefix is not None and 'tao' in self.out_formats:
            path = osp.join(self.outfile_prefix, RESULTS_FILE)
            dump_json_atomic(tao_res, path)
            logger.info(f'TAO tracking results written to {path}')
        if self.outfile_prefix is not None and 'scalabel' in self.out_formats:
            path = osp.join(self.outfile_prefix, 'scalabel')
            write_scalabel_results(tao_results_to_scalabel(gt, tao_res), path)
            logger.info(f'Scalabel (BDD100K) results written to {path}/')
        if self.format_only:
            return {}
        out = evaluate_teta(
            gt,
            tao_res,
            exhaustive=self.exhaustive,
            max_dets=self.max_dets,
            use_tcc=False,
            ignore_iscrowd=self.ignore_iscrowd,
            all_frames=self.all_frames)
        logger.info('TETA (%):\n' + teta_table(out))
        metrics = {k: out[k] for k in TETA_KEYS}
        for group in ('base', 'novel'):
            if group in out:
                metrics.update(
                    {f'{group}_{k}': out[group][k]
                     for k in TETA_KEYS})
        return metrics
