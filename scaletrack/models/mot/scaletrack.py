"""ScaleTrack: any detector + the learned association module (Sec. 3)."""
import logging
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.mot import BaseMOTModel
from mmdet.registry import MODELS
from mmdet.structures import TrackSampleList
from mmdet.structures.bbox import get_box_tensor
from mmdet.utils import OptConfigType, OptMultiConfig
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor

from .detection_inputs import sanitize_detections
from .detector_features import (DETECTOR_SOURCES, FEATURE_SOURCES,
                                check_detector, extract_levels,
                                predict_on_feats, probe_levels, select_levels)
from .temporal_buffer import TemporalFeatureBuffer, clip_temporal_windows

#: Where mmdet detectors keep the head whose labels they output (checked in
#: this order; Co-DETR has a query head besides auxiliary ones).
_DETECTOR_LABEL_HEADS = ('query_head', 'roi_head.bbox_head', 'bbox_head')

#: Training settings the head owns (``model.track_head.<key>``); configs
#: written before they moved get an error saying where they go.
_HEAD_LOSS_KEYS = ('loss_track', 'layer_loss_weights', 'proposal_iou_thr',
                   'max_proposals_per_frame')


@MODELS.register_module()
class ScaleTrack(BaseMOTModel):
    """A detector (or public detections) plus the ScaleTrack association net.

    The association network is ``backbone`` (frozen DINOv2 by default) ->
    ``neck`` (deformable encoder adapter, Eq. 3) -> ``track_head``
    (spatio-temporal decoder, Eq. 4-9), trained with a contrastive loss on
    clips (Chain Contrastive Learning, Eq. 1-2) and used at inference by the
    ``tracker`` (Hungarian matching on cosine similarity, Eq. 10).

    As mmdet's ``QDTrack``, this model only coordinates: it runs the
    detector, the backbone and neck, and the temporal buffer, and hands
    over to ``track_head.loss`` (training: box assembly, pseudo-negatives,
    per-layer losses, all configured under ``track_head``) and to
    ``tracker.track`` (inference: which calls ``track_head.predict``).

    Args:
        backbone (dict, optional): ScaleTrack's own backbone; ``None``
            (and only then) with a detector feature source.
        neck, track_head (dict): configs of the association net
            (``track_head`` also holds ``loss_track``,
            ``layer_loss_weights``, ``proposal_iou_thr`` and
            ``max_proposals_per_frame``).
        tracker (dict, optional): config of the tracker (inference).
        detector (dict, optional): any mmdet detector config. ``None`` is
            ``dict(type='PublicDetectionsDetector')``: the frames' public
            detections (the same-detections protocol), the one detector-free
            path, shared with the mmdet baselines.
        track_img_size (tuple[int, int], optional): ``(h, w)`` input of the
            association net when it should differ from the detector's input
            (e.g. a detector at 1333x800 and ScaleTrack at 518x518, Appendix
            D). ``None`` uses the detector's input as it is.
        freeze_detector (bool): a detector is never updated by training.
        num_classes (int, optional): size of the detections' label space,
            checked on every frame (a label outside it is an error, see
            ``detection_inputs.py``). ``None``: the detector's
            ``num_classes`` when it has one, else only negative labels are
            refused (``tools/test.py`` sets it from the test dataset).
        feature_source (str): where the adapter's input levels come from:
            ``'backbone'`` (ScaleTrack's own backbone, the two-backbone
            model), ``'detector_neck'`` (the levels of
            ``detector.extract_feat``, e.g. FPN outputs) or
            ``'detector_backbone'`` (the detector backbone's stages, as
            MASA's ``unified_backbone``). The last two are the unified
            variant (App. D, Table 20), see below.
        feature_levels (Sequence[int], optional): which levels of a
            detector source feed the adapter (indices into its outputs, as
            ``out_indices``); ``None`` takes all.

    Unified variant (``feature_source='detector_*'``, ``detector_features.py``
    and docs/model.md): ``backbone=None``; the detector must be an mmdet
    detector (not public detections), frozen (``freeze_detector=True``,
    it is kept in eval mode) and see the association net's input
    (``track_img_size=None``). At build time the detector is probed once with
    a dummy image: ``neck.in_channels`` must equal the chosen levels'
    channels and ``track_head.featmap_strides`` their strides (extra adapter
    levels: twice the previous stride), else a ``ValueError`` names both
    numbers. In training the detector's features of a clip are computed
    without gradients, once per frame; at inference one ``extract_feat`` pass
    per frame serves detection and association for detectors whose
    ``predict`` goes through ``extract_feat`` (mmdet's two-stage,
    single-stage and DETR-family detectors, Co-DETR, Detic); any other
    detector runs its backbone a second time for detection (warned once).

    Every frame's detections pass :func:`sanitize_detections`: invalid
    boxes are dropped and counted (``num_invalid_boxes``), boxes are
    clipped to the image, and a frame whose boxes were all invalid is
    counted in ``num_all_invalid_frames`` (per video) and reported once per
    video with mmengine's ``print_log``; the counts of the whole run are in
    ``total_all_invalid_frames`` / ``total_invalid_boxes``.
    """

    def __init__(self,
                 backbone: Optional[dict],
                 neck: dict,
                 track_head: dict,
                 tracker: Optional[dict] = None,
                 detector: Optional[dict] = None,
                 track_img_size: Optional[Tuple[int, int]] = None,
                 freeze_detector: bool = True,
                 num_classes: Optional[int] = None,
                 feature_source: str = 'backbone',
                 feature_levels: Optional[Sequence[int]] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        moved = [k for k in kwargs if k in _HEAD_LOSS_KEYS]
        if moved:
            raise TypeError(
                f'ScaleTrack: {moved} are settings of the head: move them '
                'from model.<key> to model.track_head.<key> in the config '
                '(the head owns its loss, as in mmdet)')
        if kwargs:
            raise TypeError(
                f'ScaleTrack got unexpected arguments {sorted(kwargs)}')
        if feature_source not in FEATURE_SOURCES:
            raise ValueError(f'ScaleTrack: feature_source must be one of '
                             f'{FEATURE_SOURCES}, got {feature_source!r}')
        self.feature_source = feature_source
        self.unified = feature_source in DETECTOR_SOURCES
        self.feature_levels = None if feature_levels is None else tuple(
            int(i) for i in feature_levels)
        self._check_unified_args(backbone, detector, track_img_size,
                                 freeze_detector)
        super().__init__(data_preprocessor, init_cfg)
        self.backbone = MODELS.build(backbone) if backbone is not None \
            else None
        self.neck = MODELS.build(neck)
        self.track_head = MODELS.build(track_head)
        self.tracker = MODELS.build(tracker) if tracker is not None else None
        self.detector = MODELS.build(
            detector if detector is not None else dict(
                type='PublicDetectionsDetector'))
        # T of the temporal buffer comes from the head that samples it
        self.with_temporal = getattr(self.track_head, 'with_temporal', False)
        self.temporal_window = int(
            getattr(self.track_head, 'temporal_window', 1))
        self.track_img_size = tuple(track_img_size) if track_img_size \
            else None
        self.freeze_detector = freeze_detector
        if self.freeze_detector:
            self.freeze_module('detector')
        self.buffer = TemporalFeatureBuffer(self.temporal_window)
        self._warned_two_passes = False
        if self.unified:
            check_detector(self.detector, feature_source)
            self._check_levels()
        self.num_classes = None if num_classes is None else int(num_classes)
        self.total_all_invalid_frames = 0
        self.total_invalid_boxes = 0
        self._reset_invalid_counts()

    def _check_unified_args(self, backbone, detector, track_img_size,
                            freeze_detector) -> None:
        """Build-time errors of the feature-source switch."""
        source = self.feature_source
        if not self.unified:
            if backbone is None:
                raise ValueError(
                    "ScaleTrack(feature_source='backbone') needs "
                    'model.backbone; for the unified variant without a '
                    "backbone of its own set feature_source='detector_neck'"
                    " or 'detector_backbone'")
            if self.feature_levels is not None:
                raise ValueError(
                    'ScaleTrack: feature_levels picks levels of a detector '
                    "source; with feature_source='backbone' use the "
                    "backbone's out_indices")
            return
        need = f"ScaleTrack(feature_source='{source}') (unified variant)"
        if backbone is not None:
            raise ValueError(
                f'{need} reads the detector\'s features and has no backbone '
                'of its own: set model.backbone=None')
        if detector is None:
            raise ValueError(
                f'{need} needs an mmdet detector in model.detector; '
                'detector=None means public detections, which have no '
                "features: use feature_source='backbone' with them")
        if track_img_size is not None:
            raise ValueError(
                f'{need} embeds on the detector\'s own input, so '
                f'track_img_size must be None (got {tuple(track_img_size)})')
        if not freeze_detector:
            raise ValueError(
                f'{need} keeps the detector frozen (its features are computed'
                ' without gradients): set freeze_detector=True')

    def _check_levels(self) -> None:
        """Probe the detector once: the adapter's ``in_channels`` and the
        head's ``featmap_strides`` must match the chosen levels."""
        in_channels = list(getattr(self.neck, 'in_channels', []))
        strides = list(getattr(self.track_head, 'featmap_strides', []))
        levels = probe_levels(self.detector, self.feature_source,
                              self.feature_levels, strides)
        where = f"feature_source='{self.feature_source}'" + (
            f', feature_levels={list(self.feature_levels)}'
            if self.feature_levels is not None else '')
        got_ch = [c for c, _ in levels]
        if got_ch != in_channels:
            raise ValueError(
                f'ScaleTrack unified mode: the detector levels ({where}) have '
                f'{got_ch} channels but model.neck.in_channels is '
                f'{in_channels}: set neck.in_channels={got_ch} (or pick other '
                'levels with feature_levels)')
        num_levels = getattr(self.neck, 'num_levels', len(in_channels))
        got_st = [s for _, s in levels]
        got_st += [
            got_st[-1] * 2**(k + 1) for k in range(num_levels - len(levels))
        ]
        if len(strides) != len(got_st) or any(
                abs(a - b) > 1e-6 * b for a, b in zip(strides, got_st)):
            shown = [int(s) if float(s).is_integer() else s for s in got_st]
            raise ValueError(
                f'ScaleTrack unified mode: the adapter levels ({where}, plus '
                f'{num_levels - len(levels)} extra) have strides {shown} but '
                'model.track_head.featmap_strides is '
                f'{[int(s) if s.is_integer() else s for s in strides]}: set '
                f'featmap_strides={tuple(shown)}')

    def _reset_invalid_counts(self) -> None:
        self.num_all_invalid_frames = 0  # in the current video
        self.num_invalid_boxes = 0

    @property
    def detection_num_classes(self) -> Optional[int]:
        """The label space detections are checked against (or None)."""
        if self.num_classes is not None:
            return self.num_classes
        # the head that labels the boxes: DETR-like query head, two-stage
        # RoI head, one-stage head (not the RPN: its num_classes is 1)
        for path in _DETECTOR_LABEL_HEADS:
            module = self.detector
            for part in path.split('.'):
                module = getattr(module, part, None)
            n = getattr(module, 'num_classes', None)
            if isinstance(n, int) and n > 0:
                return n
        return None

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_detector:
            self.detector.eval()
        return self

    # ------------------------------------------------------------------
    # association network
    # ------------------------------------------------------------------
    def extract_track_feats(self, imgs: Tensor) -> Tuple[Tensor, ...]:
        """``[B, 3, H, W]`` -> the adapter's multi-level maps (Eq. 3)."""
        return tuple(self.neck(self._source_levels(imgs)[0]))

    def _source_levels(self, imgs: Tensor) -> Tuple[Tuple[Tensor, ...], tuple]:
        """The adapter's input levels and the detector's features (the
        unified variant, computed without gradients; else ``None``)."""
        if not self.unified:
            return tuple(self.backbone(imgs)), None
        levels, det_feats = extract_levels(self.detector, imgs,
                                           self.feature_source)
        return select_levels(levels, self.feature_levels,
                             self.feature_source), det_feats

    def _track_input(self, img: Tensor) -> Tuple[Tensor, float, float]:
        """The association net's input and the box scale (sx, sy) to it."""
        if self.track_img_size is None:
            return img, 1.0, 1.0
        h, w = img.shape[-2:]
        th, tw = self.track_img_size
        if (h, w) == (th, tw):
            return img, 1.0, 1.0
        img = F.interpolate(
            img, size=(th, tw), mode='bilinear', align_corners=False)
        return img, tw / w, th / h

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: TrackSampleList,
             **kwargs) -> Dict[str, Tensor]:
        """Contrastive loss of each clip of the batch (Eq. 2).

        ``inputs`` is ``[N, T, C, H, W]``: N clips of T frames in time order.
        The detector plays no part: ``track_head.loss`` embeds the
        ground-truth boxes and the pseudo-negative proposals of each frame.
        The batch's loss is the mean of its clips'.
        """
        assert inputs.dim() == 5, 'inputs must be [N, T, C, H, W] clips'
        clip_losses = []
        for clip, track_sample in zip(inputs, data_samples):
            clip, sx, sy = self._track_input(clip)
            feats = self.extract_track_feats(clip)
            temporal = clip_temporal_windows(
                feats[-1], self.temporal_window) if self.with_temporal \
                else None
            clip_losses.append(
                self.track_head.loss(
                    feats,
                    track_sample.video_data_samples,
                    temporal,
                    box_scale=(sx, sy)))
        losses = {
            k: torch.stack([c[k] for c in clip_losses]).mean()
            for k in clip_losses[0]
        }
        if not all(v.requires_grad for v in losses.values()):
            # a batch without any box to embed (every clip frame empty): a
            # zero loss tied to every trainable weight, so the backward
            # pass (and DDP's gradient reduction) runs as on any batch
            zero = sum(p.sum()
                       for p in self.parameters() if p.requires_grad) * 0.0
            losses = {
                k: v if v.requires_grad else v + zero
                for k, v in losses.items()
            }
        return losses

    def train_step(self, data, optim_wrapper):
        """mmengine's train step, refusing a non-finite loss before the
        optimizer can write it into the weights (and then a checkpoint)."""
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed_losses, log_vars = self.parse_losses(losses)
        if not torch.isfinite(parsed_losses):
            raise FloatingPointError(
                f'non-finite training loss ({parsed_losses.item()}; parts: ' +
                ', '.join(f'{k}={float(v):.4g}' for k, v in log_vars.items()) +
                '). Stopped before the update so no checkpoint is '
                'corrupted: lower the learning rate or check the data, then '
                'resume from the last checkpoint with --resume.')
        optim_wrapper.update_params(parsed_losses)
        return log_vars

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------
    def predict(self,
                inputs: Tensor,
                data_samples: TrackSampleList,
                rescale: bool = True,
                **kwargs) -> TrackSampleList:
        """Track frame by frame (Sec. 3.5); one video per batch.

        Each frame's ``pred_track_instances`` holds ``bboxes`` (original
        image pixels when ``rescale``), ``scores``, ``labels`` and
        ``instances_id``, as mmdet's trackers return them.
        """
        assert inputs.dim() == 5, 'inputs must be [N, T, C, H, W]'
        assert inputs.size(0) == 1 and len(data_samples) == 1, \
            'ScaleTrack tracks one video per batch (batch_size=1)'
        if self.tracker is None:
            raise RuntimeError('model.tracker is not set: add a tracker to '
                               'the config to run inference')
        track_data_sample = data_samples[0]
        for frame_idx in range(len(track_data_sample)):
            img_data_sample = track_data_sample[frame_idx]
            if img_data_sample.metainfo.get('frame_id', -1) == 0:
                self.reset()
            img = inputs[:, frame_idx].contiguous()
            img_data_sample.pred_track_instances = self.track_frame(
                img, img_data_sample, rescale=rescale)
        return [track_data_sample]

    def reset(self) -> None:
        """Start a new video: clear the tracks and the temporal buffer."""
        if self.tracker is not None:
            self.tracker.reset()
        self.buffer.reset()
        if self.num_all_invalid_frames > 1:
            print_log(
                f'the previous video had {self.num_all_invalid_frames} '
                'frames whose detections were all invalid '
                f'({self.num_invalid_boxes} boxes dropped in all)',
                logger='current',
                level=logging.WARNING)
        self._reset_invalid_counts()

    @torch.no_grad()
    def track_frame(self,
                    img: Tensor,
                    img_data_sample,
                    rescale: bool = True) -> InstanceData:
        """Detect, embed and associate one frame (QDTrack's loop body).

        The frame's kept detections (input pixels) are left in
        ``img_data_sample.pred_det_instances``, as in mmdet's MOT models.
        """
        meta = img_data_sample.metainfo
        frame_id = int(meta.get('frame_id', 0))
        track_img, sx, sy = self._track_input(img)
        levels, det_feats = self._source_levels(track_img)
        dets = self._frame_detections(img, img_data_sample, det_feats)
        dets = self._sanitize(dets, meta.get('img_shape', img.shape[-2:]),
                              frame_id, meta)
        img_data_sample.pred_det_instances = \
            self.tracker.select_detections(dets)
        feats = tuple(self.neck(levels))
        temporal = self.buffer.push(feats[-1]) if self.with_temporal \
            else None
        out = self.tracker.track(
            model=self,
            img=track_img,
            feats=feats,
            data_sample=img_data_sample,
            temporal_feats=temporal,
            box_scale=(sx, sy))
        if rescale and len(out) > 0:
            scale = out.bboxes.new_tensor(meta['scale_factor']).repeat(2)
            # clipped to the input image above; clip again after the
            # division so rounding cannot step outside the original image
            bboxes = out.bboxes / scale
            shape = meta.get('ori_shape') or meta.get('img_shape')
            if shape is not None:
                h, w = shape[:2]
                bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, float(w))
                bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, float(h))
            out.bboxes = bboxes
        return out

    def _sanitize(self, dets: InstanceData, img_shape, frame_id: int,
                  meta: dict) -> InstanceData:
        """Input checks of a frame's detections; counts invalid ones."""
        where = f'frame {frame_id}'
        if meta.get('img_path'):
            where += f' ({meta["img_path"]})'
        n = len(dets)
        dets, dropped = sanitize_detections(dets, img_shape,
                                            self.detection_num_classes, where)
        if dropped == 0:
            return dets
        self.num_invalid_boxes += dropped
        self.total_invalid_boxes += dropped
        if dropped == n:
            self.num_all_invalid_frames += 1
            self.total_all_invalid_frames += 1
            if self.num_all_invalid_frames == 1:
                print_log(
                    f'{where}: all {n} detections are invalid (NaN/inf, or '
                    'empty after clipping to the image) and were dropped; '
                    'later such frames of this video are counted in '
                    'model.num_all_invalid_frames',
                    logger='current',
                    level=logging.WARNING)
        return dets

    def _frame_detections(self,
                          img: Tensor,
                          img_data_sample,
                          det_feats=None) -> InstanceData:
        """Detections of a frame in input-image pixels (from the detector:
        a real one or ``PublicDetectionsDetector``); with ``det_feats``
        (unified variant) on the features already extracted."""
        if det_feats is None:
            det_sample = self.detector.predict(
                img, [img_data_sample], rescale=False)[0]
        else:
            out, single = predict_on_feats(self.detector, img,
                                           [img_data_sample], det_feats)
            det_sample = out[0]
            if not single and not self._warned_two_passes:
                self._warned_two_passes = True
                print_log(
                    f'{type(self.detector).__name__}.predict does not take '
                    'its features from extract_feat(inputs): its backbone '
                    'runs a second time per frame for detection (the '
                    'unified single pass covers mmdet two-stage, '
                    'single-stage and DETR-family detectors)',
                    logger='current',
                    level=logging.WARNING)
        pred = det_sample.pred_instances
        return InstanceData(
            bboxes=get_box_tensor(pred.bboxes).float(),
            scores=pred.scores.float(),
            labels=pred.labels.long())

    def _forward(self, inputs: Tensor, data_samples=None, **kwargs):
        """``tensor`` mode: the adapter's maps of every frame."""
        return self.extract_track_feats(inputs.flatten(0, 1))


__all__ = ['ScaleTrack']
