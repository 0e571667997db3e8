"""The unified variant's access to a frozen detector's features (App. D).

In the unified mode (``ScaleTrack(feature_source='detector_neck' |
'detector_backbone')``, paper Table 20) the association net has no backbone
of its own: its adapter reads the multi-level maps the detector computes
anyway, either the output of ``detector.extract_feat`` (e.g. the FPN levels)
or the detector backbone's stages (Swin / ResNet, as MASA's
``unified_backbone``), captured with a forward hook on ``detector.backbone``
while ``extract_feat`` runs. So one ``extract_feat`` call per frame gives
both sets, and :func:`predict_on_feats` runs the detector's own ``predict``
with ``extract_feat`` answered from them: the backbone runs once per frame
for detection and association.

Which detectors get the single pass: every detector whose ``predict`` takes
its features from one ``self.extract_feat(batch_inputs)`` call -- mmdet's
``TwoStageDetector`` (Faster / Cascade R-CNN, Detic), ``SingleStageDetector``
(RetinaNet, FCOS, ...) and ``DetectionTransformer`` (DETR, Deformable DETR,
DINO), and Co-DETR. For any other detector (``predict`` calls its backbone
directly, or passes other inputs to ``extract_feat``) the real
``extract_feat`` runs again, the detections stay correct, the backbone runs
twice per frame, and :func:`predict_on_feats` reports it.
"""
import math
from contextlib import contextmanager
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

#: The feature sources of ScaleTrack: its own backbone (two-backbone
#: ScaleTrack) or the detector's features (the unified variant).
FEATURE_SOURCES = ('backbone', 'detector_neck', 'detector_backbone')
DETECTOR_SOURCES = FEATURE_SOURCES[1:]

#: Smallest side of the build-time probe image. 256 keeps the probe cheap
#: (ResNet-50: about 5 GFLOPs) while the coarsest level of mmdet's detectors
#: (stride 64, or 128 for an extra P7) still has >= 2 cells; the side is
#: rounded up to a multiple of every configured stride so that a matching
#: level has exactly ``side / stride`` rows.
PROBE_MIN_SIDE = 256


def check_detector(detector: nn.Module, source: str) -> None:
    """Refuse a detector the unified mode cannot read features from."""
    name = type(detector).__name__
    if not callable(getattr(detector, 'extract_feat', None)):
        raise TypeError(
            f"ScaleTrack(feature_source='{source}') needs a detector with "
            f'extract_feat (an mmdet detector), but model.detector is {name},'
            ' which has none. Public detections (detector=None) have no '
            "features: use feature_source='backbone' (ScaleTrack's own "
            'backbone) with them, or set model.detector to an mmdet '
            'detector config.')
    if source == 'detector_backbone' and not isinstance(
            getattr(detector, 'backbone', None), nn.Module):
        raise TypeError(
            "ScaleTrack(feature_source='detector_backbone') reads the "
            f'stages of detector.backbone, but the {name} detector has no '
            "backbone module: use feature_source='detector_neck' (its "
            'extract_feat levels).')


def _as_levels(feats, what: str) -> Tuple[Tensor, ...]:
    if isinstance(feats, Tensor) or not isinstance(feats, (tuple, list)):
        shape = tuple(feats.shape) if isinstance(feats, Tensor) else ''
        raise TypeError(
            f'ScaleTrack unified mode: {what} returned a single '
            f'{type(feats).__name__} {shape}; the adapter needs a tuple of '
            'multi-level maps [B, C_l, h_l, w_l] (e.g. an FPN or backbone '
            'with several out_indices).')
    if not feats or not all(
            isinstance(f, Tensor) and f.dim() == 4 for f in feats):
        raise TypeError(f'ScaleTrack unified mode: {what} must return 4-d '
                        'maps [B, C_l, h_l, w_l], got '
                        f'{[getattr(f, "shape", f) for f in feats]}')
    return tuple(feats)


def select_levels(levels: Sequence[Tensor], indices: Optional[Sequence[int]],
                  what: str) -> Tuple[Tensor, ...]:
    """The levels ``indices`` (all when ``None``) of ``levels``."""
    if indices is None:
        return tuple(levels)
    bad = [i for i in indices if not -len(levels) <= i < len(levels)]
    if bad:
        raise ValueError(
            f'ScaleTrack: feature_levels {list(indices)} picks {bad}, but '
            f'{what} has only {len(levels)} levels (0..{len(levels) - 1})')
    return tuple(levels[i] for i in indices)


def extract_levels(detector: nn.Module, img: Tensor,
                   source: str) -> Tuple[Tuple[Tensor, ...], tuple]:
    """One ``extract_feat`` pass: ``(source levels, detector features)``.

    The source levels are the backbone's outputs captured on the way
    (``detector_backbone``) or ``extract_feat``'s own (``detector_neck``).
    No gradient flows: the detector is frozen.
    """
    captured: List = []
    handle = None
    if source == 'detector_backbone':
        handle = detector.backbone.register_forward_hook(
            lambda module, args, out: captured.append(out))
    try:
        with torch.no_grad():
            det_feats = detector.extract_feat(img)
    finally:
        if handle is not None:
            handle.remove()
    levels = _as_levels(det_feats, 'detector.extract_feat')
    if source == 'detector_backbone':
        if len(captured) != 1:
            raise RuntimeError(
                f'detector.extract_feat called detector.backbone '
                f'{len(captured)} times; the unified mode expects one call')
        levels = _as_levels(captured[0], 'detector.backbone')
    return levels, det_feats


def probe_side(strides: Sequence[float]) -> int:
    """Probe image side: >= ``PROBE_MIN_SIDE``, a multiple of every integer
    stride in ``strides``."""
    lcm = 1
    for s in strides:
        if float(s).is_integer():
            lcm = math.lcm(lcm, int(s))
    return lcm * math.ceil(PROBE_MIN_SIDE / lcm)


def probe_levels(detector: nn.Module, source: str,
                 indices: Optional[Sequence[int]],
                 strides: Sequence[float]) -> List[Tuple[int, float]]:
    """``(channels, stride)`` of each chosen level, from one dummy image."""
    side = probe_side(strides)
    param = next(detector.parameters(), None)
    device = param.device if param is not None else 'cpu'
    was_training = detector.training
    detector.eval()  # no BN statistics from the dummy image
    try:
        levels, _ = extract_levels(
            detector, torch.zeros(1, 3, side, side, device=device), source)
    finally:
        detector.train(was_training)
    what = 'detector.backbone' if source == 'detector_backbone' \
        else 'detector.extract_feat'
    levels = select_levels(levels, indices, what)
    return [(int(f.size(1)), side / f.size(-2)) for f in levels]


@contextmanager
def _extract_feat_answered(detector: nn.Module, img: Tensor, det_feats):
    """``detector.extract_feat(img)`` returns ``det_feats`` inside."""

    def extract_feat(batch_inputs, *args, **kwargs):
        if batch_inputs is img and not args and not kwargs:
            return det_feats
        # other inputs than the frame's: compute them for real
        return type(detector).extract_feat(detector, batch_inputs, *args,
                                           **kwargs)

    detector.extract_feat = extract_feat  # instance attribute: one call
    try:
        yield
    finally:
        del detector.extract_feat  # the class's method again


def predict_on_feats(detector: nn.Module, img: Tensor, data_samples: list,
                     det_feats) -> Tuple[list, bool]:
    """``detector.predict(img, data_samples, rescale=False)`` reusing
    ``det_feats``; also says whether the backbone stayed idle (single
    pass)."""
    calls: List[int] = []
    backbone = getattr(detector, 'backbone', None)
    handle = backbone.register_forward_hook(lambda *_: calls.append(
        1)) if isinstance(backbone, nn.Module) else None
    try:
        with _extract_feat_answered(detector, img, det_feats):
            out = detector.predict(img, data_samples, rescale=False)
    finally:
        if handle is not None:
            handle.remove()
    return out, not calls
