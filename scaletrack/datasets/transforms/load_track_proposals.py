"""Load a frame's pseudo-negative proposals so that they follow the
augmentation.

The proposals (Sec. 3.3, e.g. Detic boxes of the frame) are appended to
``gt_bboxes`` with instance id :data:`PROPOSAL_INSTANCE_ID` (and label -1,
ignore flag False). mmdet's geometric transforms (Resize, RandomCrop,
RandomFlip, Pad) then rescale, crop, clip, drop and flip them exactly as the
ground-truth boxes, keeping every per-box array aligned, and
:class:`PackClipInputs` splits them off into ``data_sample.proposals``.
Proposals overlapping a ground-truth box (IoU >= 0.5) are removed in the
model (``filter_pseudo_negatives``), not here.
"""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes

from ..public_detections import load_box_file

# Instance id that marks a proposal row in gt_bboxes. Real instance ids are
# >= 0 in every dataset here (SA-V masklet ids, renumbered COCO-VID ids).
PROPOSAL_INSTANCE_ID = -1
# Paper Appendix A.1: "Training and validation detection confidence
# thresholds are set to 0.3".
DEFAULT_SCORE_THR = 0.3
# At most this many proposals per frame, highest scores first; matches the
# 100 detections per frame kept at inference (Appendix A.2) and bounds the
# number of negatives per frame.
DEFAULT_MAX_PROPOSALS = 100


@TRANSFORMS.register_module()
class LoadTrackProposals(BaseTransform):
    """Read ``results['proposals_path']`` (a per-frame box file, see
    docs/architecture.md) and append the kept proposals to the annotations.

    Files are read by :func:`~scaletrack.datasets.load_box_file`, the reader
    of public detections: MASA's plain pickles and ``torch.save`` files,
    through restricted loaders, so a downloaded file cannot run code.

    Must run on single frames (inside ``TransformBroadcaster``) after
    ``LoadTrackAnnotations`` and before any geometric transform (the files
    hold original-image pixels).

    Args:
        score_thr (float): keep proposals with ``score >= score_thr``.
        max_num (int): keep at most this many, highest scores first.
        allow_missing (bool): a frame without ``proposals_path`` (or with
            ``None``) gets no proposals; a path that does not exist raises
            unless this is True.
    """

    def __init__(self,
                 score_thr: float = DEFAULT_SCORE_THR,
                 max_num: int = DEFAULT_MAX_PROPOSALS,
                 allow_missing: bool = False):
        self.score_thr = score_thr
        self.max_num = max_num
        self.allow_missing = allow_missing

    def load(self, path) -> np.ndarray:
        """The kept proposal boxes ``[M, 4]`` (float32) of one file."""
        if path is None:
            return np.zeros((0, 4), np.float32)
        if not osp.isfile(path):
            if self.allow_missing:
                return np.zeros((0, 4), np.float32)
            raise FileNotFoundError(
                f'proposal file {path!r} not found; check proposals_root '
                'or set LoadTrackProposals(allow_missing=True).')
        boxes = load_box_file(path)
        bboxes = np.asarray(boxes['bboxes'], np.float32).reshape(-1, 4)
        scores = np.asarray(boxes['scores'], np.float32).reshape(-1)
        keep = np.flatnonzero(scores >= self.score_thr)
        keep = keep[np.argsort(-scores[keep], kind='stable')][:self.max_num]
        return bboxes[keep]

    def transform(self, results: dict) -> dict:
        if 'gt_instances_ids' not in results:
            raise KeyError(
                'LoadTrackProposals needs the annotations: put it after '
                'LoadTrackAnnotations in the same TransformBroadcaster.')
        if 'scale_factor' in results or 'flip' in results:
            raise RuntimeError(
                'LoadTrackProposals must run before Resize/RandomCrop/'
                'RandomFlip: proposal files hold original-image pixels.')
        ids = results['gt_instances_ids']
        if np.any(ids == PROPOSAL_INSTANCE_ID):
            raise ValueError(
                f'instance id {PROPOSAL_INSTANCE_ID} is reserved for '
                'proposals but a ground-truth box of '
                f"{results.get('img_path')!r} has it.")
        props = self.load(results.get('proposals_path'))
        m = len(props)
        gt = results['gt_bboxes']
        if isinstance(gt, BaseBoxes):
            results['gt_bboxes'] = gt.cat([gt, gt.__class__(props)])
        else:
            results['gt_bboxes'] = np.concatenate(
                [np.asarray(gt, np.float32).reshape(-1, 4), props], axis=0)
        results['gt_instances_ids'] = np.concatenate(
            [ids, np.full(m, PROPOSAL_INSTANCE_ID, dtype=ids.dtype)])
        if 'gt_bboxes_labels' in results:
            labels = results['gt_bboxes_labels']
            results['gt_bboxes_labels'] = np.concatenate(
                [labels, np.full(m, -1, labels.dtype)])
        if 'gt_ignore_flags' in results:
            flags = results['gt_ignore_flags']
            results['gt_ignore_flags'] = np.concatenate(
                [flags, np.zeros(m, dtype=bool)])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(score_thr={self.score_thr}, '
                f'max_num={self.max_num}, '
                f'allow_missing={self.allow_missing})')
