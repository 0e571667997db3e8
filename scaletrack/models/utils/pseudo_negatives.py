"""Pseudo-negative proposal filtering (paper Sec. 3.3, Appendix D / Tab. 13).

"To avoid leakage of positives into the negative pool, we discard any
SAM/Detic proposal with IoU >= 0.5 to a GT box in the same frame prior to
use as a negative."
"""
import torch
from mmdet.structures.bbox import BaseBoxes, bbox_overlaps
from torch import Tensor

#: Appendix D: proposals overlapping a ground-truth box by IoU >= 0.5 are
#: probably the same object and must not serve as its negative.
PSEUDO_NEGATIVE_IOU_THR = 0.5


def _as_box_tensor(boxes, name: str) -> Tensor:
    if isinstance(boxes, BaseBoxes):
        boxes = boxes.tensor
    if not isinstance(boxes, Tensor):
        boxes = torch.as_tensor(boxes)
    if boxes.numel() == 0:
        return boxes.reshape(0, 4).float()
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f'{name} must be an [K, 4] (x1, y1, x2, y2) box tensor, got shape '
            f'{tuple(boxes.shape)}; drop score columns first (boxes[:, :4])')
    return boxes if boxes.is_floating_point() else boxes.float()


@torch.no_grad()
def filter_pseudo_negatives(
        proposals,
        gt_bboxes,
        iou_thr: float = PSEUDO_NEGATIVE_IOU_THR) -> Tensor:
    """Keep the proposals that may serve as pseudo-negatives of a frame.

    Args:
        proposals: ``[M, 4]`` proposal boxes ``(x1, y1, x2, y2)`` of one frame
            (Tensor, array or mmdet ``BaseBoxes``); M may be 0.
        gt_bboxes: ``[N, 4]`` ground-truth boxes of the same frame, same
            coordinates; N may be 0 (then every proposal is kept).
        iou_thr: a proposal is dropped if its IoU with any ground-truth box
            is ``>= iou_thr``. Default 0.5 (Appendix D).

    Returns:
        BoolTensor ``[M]`` on the proposals' device: True = keep, i.e. the
        max IoU with every ground-truth box is ``< iou_thr``.
    """
    if not 0 < iou_thr <= 1:
        raise ValueError(f'iou_thr must be in (0, 1], got {iou_thr!r}')
    proposals = _as_box_tensor(proposals, 'proposals')
    gt_bboxes = _as_box_tensor(gt_bboxes, 'gt_bboxes').to(proposals)
    keep = torch.ones(
        proposals.shape[0], dtype=torch.bool, device=proposals.device)
    if proposals.shape[0] == 0 or gt_bboxes.shape[0] == 0:
        return keep
    ious = bbox_overlaps(proposals, gt_bboxes)  # [M, N]
    return ious.max(dim=1).values < iou_thr
