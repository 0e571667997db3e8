"""The door every frame's detections pass before the tracker (Sec. 3.5).

Detections come from ``model.detector``: an mmdet detector or
``PublicDetectionsDetector`` (public-detection files, the default when the
config sets no detector); both reach :meth:`ScaleTrack.track_frame` through
:func:`sanitize_detections`, so the checks below hold for every path:

* a box with a NaN/inf coordinate, or a NaN/inf score, is dropped;
* boxes are clipped to the image (``[0, w] x [0, h]`` in input pixels), so
  huge coordinates (1e30) end at the border; a box whose width or height
  is not positive after clipping (empty, or entirely outside the image) is
  dropped;
* scores are kept as given when finite, also outside ``[0, 1]``: the
  thresholds compare against them, and public detections such as MOT17's
  DPM scores are not probabilities (a detector's scores are in ``[0, 1]``
  anyway);
* a label below 0, or at least ``num_classes`` when the label space is
  known, is a ``ValueError``: such a label would come out as a category id
  the benchmark does not have, which no clipping can repair.

The number of dropped boxes is returned so that the model can count and
report frames whose boxes were all invalid.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData


def sanitize_detections(dets: InstanceData,
                        img_shape: Sequence[int],
                        num_classes: Optional[int] = None,
                        where: str = 'detections') -> Tuple[InstanceData, int]:
    """Drop invalid boxes, clip the rest to the image, check the labels.

    Args:
        dets: ``bboxes [N, 4]`` (x1, y1, x2, y2, input pixels),
            ``scores [N]``, ``labels [N]``.
        img_shape: ``(h, w)`` of the image the boxes live in.
        num_classes: size of the detections' label space; ``None`` checks
            only that labels are not negative.
        where: names the frame in error messages.

    Returns:
        ``(kept detections with clipped float boxes, number dropped)``.
    """
    bboxes = dets.bboxes.float().reshape(-1, 4)
    scores = dets.scores.reshape(-1)
    labels = dets.labels.reshape(-1)
    n = bboxes.size(0)
    if scores.numel() != n or labels.numel() != n:
        raise ValueError(f'{where}: {n} boxes but {scores.numel()} scores '
                         f'and {labels.numel()} labels')
    if n == 0:
        return dets, 0
    bad = labels < 0
    if num_classes is not None:
        bad |= labels >= num_classes
    if bool(bad.any()):
        shown = sorted(set(labels[bad].tolist()))[:5]
        space = f'0..{num_classes - 1}' if num_classes is not None \
            else '>= 0'
        raise ValueError(
            f'{where}: detection labels {shown} are outside the class list '
            f'({space}); the detections were made with another class list '
            'than the model/dataset uses: map them to its classes')
    h, w = float(img_shape[0]), float(img_shape[1])
    finite = torch.isfinite(bboxes).all(dim=1) & torch.isfinite(scores)
    # clamp before the size test, so 1e30 ends at the border; NaN stays
    # NaN through clamp and is removed by ``finite``
    x = bboxes[:, 0::2].clamp(0.0, w)
    y = bboxes[:, 1::2].clamp(0.0, h)
    clipped = torch.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], dim=1)
    valid = finite & (clipped[:, 2] > clipped[:, 0]) & (
        clipped[:, 3] > clipped[:, 1])
    keep = torch.nonzero(valid, as_tuple=False).squeeze(1)
    out = dets[keep]
    out.bboxes = clipped[keep]
    return out, int(n - keep.numel())
