"""ScaleTrack's tracker: Hungarian matching on ``1 - cosine`` (Eq. 10).

The tracker owns the track memory of one video. It is class-agnostic: the
association uses appearance embeddings only, and each returned instance
reports the majority-vote class of its track (the convention of MASA's
tracker, Li et al., "Matching Anything by Segmenting Anything", CVPR 2024,
github.com/siyuanliii/masa).

It follows mmdet's ``BaseTracker`` contract: ``track(model, img, feats,
data_sample)`` as ``QuasiDenseTracker``, with the memory hooks ``update`` /
``init_track`` / ``update_track`` / ``pop_invalid_tracks`` and the ``memo`` /
``get`` read-outs. The memory itself is not BaseTracker's dict of per-track
lists but tensors, one row per live track, so one step costs a handful of
tensor ops plus one ``scipy.optimize.linear_sum_assignment`` call,
independent of the number of tracks in Python terms. Measured reason (one
thread, 300 tracks, 100 detections, 256-d embeddings, the setting of
``tools/analysis_tools/benchmark_tracker.py``): BaseTracker's own ``update``
(a Python loop over the detections' ids) and ``memo`` (a ``torch.cat`` over
every track) alone take at least 3.0 ms and 0.7 ms, against about 1.2 ms for
this tracker's whole step (docs/tracker.md).

Optional motion cue (``motion=dict(...)``, off by default): a constant
velocity Kalman filter per track (mmdet's ``KalmanFilter`` equations, run on
all tracks at once by `BatchedKalmanFilter`) gates the appearance matching
by Mahalanobis distance and/or mixes IoU with the predicted box into the
cost (:meth:`ScaleTrackTracker._match`).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.trackers import BaseTracker
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from .batched_kalman import BatchedKalmanFilter, xyah_to_xyxy, xyxy_to_xyah

#: Added to the gated cost of a pair whose similarity is below the match
#: threshold, so it costs strictly more than any admissible pair (whose cost
#: is at most ``1 - match_thr``). Any positive value works; it is kept small
#: so the clipped cost stays close to the threshold (DeepSORT uses 1e-5).
GATE_EPS = 1e-5

#: Modes of the optional motion cue (see ``ScaleTrackTracker``).
MOTION_MODES = ('gate', 'fuse', 'both')
#: Defaults of the motion option. ``mode='fuse'`` with
#: ``appearance_weight=0.5``: the best setting on the synthetic 6 fps videos
#: (docs/experiments/motion_cue.md: HOTA +4.9, AssocA +8.3 over appearance
#: only), where the gate lost 17-26 AssocA because DeepSORT's noise model
#: (mmdet's weights) leaves about half of the true pairs outside its 95 %
#: gate. ``gate_thr=None``: the 95 % quantile of chi-square with 4 degrees of
#: freedom (the whole (cx, cy, a, h) box), mmdet's
#: ``KalmanFilter.chi2inv95[4]`` and DeepSORT's gate (2 with
#: ``center_only``): a detection that the filter's noise model explains is
#: wrongly gated 5 % of the time.
DEFAULT_MOTION = dict(
    mode='fuse', gate_thr=None, appearance_weight=0.5, center_only=False)


@MODELS.register_module()
class ScaleTrackTracker(BaseTracker):
    """Appearance-only, class-agnostic tracker (Sec. 3.5, App. A, Eq. 10).

    One step (:meth:`track`; :meth:`associate` when the embeddings are
    already computed) for frame ``t``:

    1. ``S = normalize(E_det) @ normalize(E_track).T`` (cosine similarity,
       ``[N, T]``).
    2. Eq. 10, ``HungarianMatching(1 - S, tau)``: pairs with ``S < tau`` are
       gated (their cost clipped to ``1 - tau + GATE_EPS``), the Hungarian
       algorithm (``scipy.optimize.linear_sum_assignment``) solves the
       rectangular assignment, and assigned pairs with ``S < tau`` are
       rejected. Gating before the assignment (as DeepSORT does) means the
       solver maximises the summed margin ``S - tau`` of the accepted matches,
       so an inadmissible pair can never steal a track from an admissible one.
    3. Matched tracks: embedding ``e <- normalize((1 - m) * e + m * e_det)``
       with ``m = memo_momentum`` (the weight of the *new* detection, mmdet's
       ``QuasiDenseTracker`` convention); the paper's ``m = 0.5`` weighs the
       track memory and the new detection equally (symmetric).
    4. Unmatched detections with ``score >= init_score_thr`` start new tracks
       (ids ``0, 1, 2, ...`` per video, restarting after :meth:`reset`);
       matched tracks are updated by :meth:`update_track`, new ones by
       :meth:`init_track` (:meth:`update` does both for given ids).
    5. A track unmatched for more than ``num_frames_retain`` frames is dropped:
       a track last matched at frame ``f`` can still be matched at any frame
       ``t <= f + num_frames_retain + 1`` (it may be missing for up to
       ``num_frames_retain`` frames in between and be re-identified)
       (:meth:`pop_invalid_tracks`).

    Each track counts one class vote per matched detection; the reported label
    is the most frequent class, ties going to the class voted most recently.

    Args:
        score_thr (float): detections with a lower score are dropped by
            :meth:`select_detections`. 0.3: paper, App. A ("detection
            confidence thresholds are set to 0.3").
        nms_iou_thr (float): class-agnostic NMS IoU threshold of
            :meth:`select_detections`. 0.4: paper, App. A ("NMS at 0.4 IoU").
        max_per_frame (int): detections kept per frame, highest scores first.
            100: paper, App. A ("We retain up to 100 detections per frame").
        match_thr (float): minimum cosine similarity of an accepted match
            (``tau`` of Eq. 10). 0.5: paper, App. A ("association threshold of
            0.5").
        memo_momentum (float): EMA weight of the new detection's embedding.
            0.5: paper, App. A ("EMA with a weight of 0.5"); symmetric, so the
            side it weighs does not matter at the default.
        init_score_thr (float): birth threshold for unmatched detections. The
            paper names no separate birth threshold, only the 0.3 detection
            threshold; 0.3 (equal to ``score_thr``) makes every kept, unmatched
            detection a new track, as MASA does on TAO (its birth threshold is
            1e-4, i.e. effectively every kept detection). Raise it for
            exhaustively annotated benchmarks where spurious short tracks cost
            precision (e.g. MOT17).
        num_frames_retain (int): frames a lost track stays re-identifiable.
            Our choice: 30. MASA keeps 10 frames; the paper stresses
            re-identification after long occlusion, and since association
            here is appearance-only with a 0.5 similarity gate, a longer
            memory costs little accuracy and only ``O(T)`` compute. 30 is
            also ByteTrack's ``track_buffer`` (1 s at 30 fps; 30 s on TAO's
            1 fps; 6 s on BDD's 5 fps).
        class_aware (bool): only match a detection to a track whose
            majority-vote class is the detection's class. Default False: the
            paper associates class-agnostically, which suits open-vocabulary
            detectors whose labels flicker between frames. True suits
            detectors with reliable labels (mmdet's ByteTracker, for one,
            never associates across classes).
        motion (dict, optional): the motion cue; None (default) is the
            paper's appearance-only tracker, bit for bit. Keys:

            * ``mode`` (default ``'fuse'``, see `DEFAULT_MOTION`):
              ``'gate'`` forbids a pair whose squared Mahalanobis
              distance (detection box against the track's Kalman
              prediction, ``BatchedKalmanFilter.gating_distance_batch``)
              exceeds ``gate_thr``; the cost stays appearance's.
              ``'fuse'`` keeps Eq. 10's admissibility (``S >= tau``) and
              orders the admissible pairs by the fused similarity
              ``w * S + (1 - w) * IoU(predicted box, det)``. ``'both'``
              does both.
            * ``gate_thr``: None = ``KalmanFilter.chi2inv95[4]`` (9.4877;
              ``[2]`` = 5.9915 with ``center_only``), see `DEFAULT_MOTION`.
            * ``appearance_weight`` (``w``): 0.5, equal weights (chosen
              in docs/experiments/motion_cue.md against 0.3 and 0.8).
            * ``center_only``: gate on the box centre only (mmdet's option).

            Every live track is predicted once per step (frame ids may
            jump: one step, one prediction, as mmdet's trackers do), so an
            unmatched track keeps moving through an occlusion; a matched one
            is corrected with its detection's box.
    """

    def __init__(self,
                 score_thr: float = 0.3,
                 nms_iou_thr: float = 0.4,
                 max_per_frame: int = 100,
                 match_thr: float = 0.5,
                 memo_momentum: float = 0.5,
                 init_score_thr: float = 0.3,
                 num_frames_retain: int = 30,
                 class_aware: bool = False,
                 motion: Optional[dict] = None,
                 **kwargs) -> None:
        if not 0.0 <= memo_momentum <= 1.0:
            raise ValueError(
                f'memo_momentum must be in [0, 1], got {memo_momentum}')
        if not -1.0 <= match_thr <= 1.0:
            raise ValueError('match_thr is a cosine similarity and must be in '
                             f'[-1, 1], got {match_thr}')
        if max_per_frame < 1:
            raise ValueError(
                f'max_per_frame must be >= 1, got {max_per_frame}')
        if num_frames_retain < 0:
            raise ValueError(
                f'num_frames_retain must be >= 0, got {num_frames_retain}')
        if not 0.0 <= nms_iou_thr <= 1.0:
            raise ValueError(
                f'nms_iou_thr must be in [0, 1], got {nms_iou_thr}')
        self.score_thr = float(score_thr)
        self.nms_iou_thr = float(nms_iou_thr)
        self.max_per_frame = int(max_per_frame)
        self.match_thr = float(match_thr)
        self.memo_momentum = float(memo_momentum)
        self.init_score_thr = float(init_score_thr)
        self.class_aware = bool(class_aware)
        self.motion = self._check_motion(motion)
        self._kf = None if self.motion is None else BatchedKalmanFilter(
            center_only=self.motion['center_only'])
        # BaseTracker stores num_frames_retain and calls self.reset().
        super().__init__(num_frames_retain=int(num_frames_retain), **kwargs)

    @staticmethod
    def _check_motion(motion: Optional[dict]) -> Optional[dict]:
        """The motion option with its defaults filled in (None: off)."""
        if motion is None:
            return None
        if not isinstance(motion, dict):
            raise TypeError('motion must be None or a dict(mode=...), got '
                            f'{type(motion).__name__}')
        unknown = set(motion) - set(DEFAULT_MOTION)
        if unknown:
            raise ValueError(f'motion: unknown keys {sorted(unknown)}; '
                             f'known: {sorted(DEFAULT_MOTION)}')
        cfg = dict(DEFAULT_MOTION, **motion)
        if cfg['mode'] not in MOTION_MODES:
            raise ValueError(f"motion: mode must be one of {MOTION_MODES}, "
                             f"got {cfg['mode']!r}")
        cfg['center_only'] = bool(cfg['center_only'])
        if cfg['gate_thr'] is None:
            dof = 2 if cfg['center_only'] else 4
            cfg['gate_thr'] = BatchedKalmanFilter.chi2inv95[dof]
        cfg['gate_thr'] = float(cfg['gate_thr'])
        if not cfg['gate_thr'] > 0:
            raise ValueError('motion: gate_thr (a squared Mahalanobis '
                             f"distance) must be > 0, got {cfg['gate_thr']}")
        w = cfg['appearance_weight'] = float(cfg['appearance_weight'])
        if not 0.0 <= w <= 1.0:
            raise ValueError(
                f'motion: appearance_weight must be in [0, 1], got {w}')
        return cfg

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all tracks; the next track id is 0 again."""
        self.num_tracks = 0  # ids handed out so far (mmdet's meaning)
        self._step = 0  # internal step counter, orders class votes in time
        self._ids: Optional[Tensor] = None  # [T] long
        self._embeds: Optional[Tensor] = None  # [T, E] float32, unit norm
        self._bboxes: Optional[Tensor] = None  # [T, 4] last matched box
        self._last_frame: Optional[Tensor] = None  # [T] long
        # class votes: one column per class label seen in this video
        self._votes: Optional[Tensor] = None  # [T, K] long counts
        self._vote_step: Optional[Tensor] = None  # [T, K] long, -1 = never
        self._label_to_col: Dict[int, int] = {}
        self._col_labels: Optional[Tensor] = None  # [K] long
        # Kalman state (motion cue only), float64 as mmdet's filter
        self._kf_mean: Optional[Tensor] = None  # [T, 8] (cx, cy, a, h, v)
        self._kf_cov: Optional[Tensor] = None  # [T, 8, 8]

    @property
    def num_live_tracks(self) -> int:
        """Number of tracks currently in memory."""
        return 0 if self._ids is None else int(self._ids.numel())

    @property
    def empty(self) -> bool:
        """Whether no track is in memory."""
        return self.num_live_tracks == 0

    @property
    def ids(self) -> List[int]:
        """Ids of the tracks in memory."""
        return [] if self._ids is None else self._ids.tolist()

    @property
    def tracks(self) -> Dict[int, dict]:
        """A read-only snapshot ``{id: dict(embed, bbox, last_frame, label)}``
        built on demand (for inspection; the tracker itself uses tensors)."""
        if self.empty:
            return {}
        labels = self._majority_labels(
            torch.arange(self.num_live_tracks, device=self._ids.device))
        return {
            int(i):
            dict(
                embed=self._embeds[r].clone(),
                bbox=self._bboxes[r].clone(),
                last_frame=int(self._last_frame[r]),
                label=int(labels[r]))
            for r, i in enumerate(self._ids.tolist())
        }

    # ------------------------------------------------------------ detections
    def select_detections(self, dets: InstanceData) -> InstanceData:
        """Keep the detections the tracker may use (App. A).

        Drops boxes with a non-finite coordinate or score and boxes with
        non-positive width or height, keeps ``score >= score_thr``, applies
        class-agnostic NMS at ``nms_iou_thr`` (a box is suppressed by a
        higher-scored one when their IoU is ``> nms_iou_thr``) and keeps the
        ``max_per_frame`` highest-scored boxes.

        Args:
            dets (InstanceData): ``bboxes [N, 4]`` (x1, y1, x2, y2),
                ``scores [N]``, ``labels [N]``; other per-instance fields
                are carried along.

        Returns:
            InstanceData: the kept rows, sorted by descending score.
        """
        bboxes, scores, _ = self._check_dets(dets, 'select_detections')
        valid = (
            torch.isfinite(bboxes).all(dim=1) & torch.isfinite(scores)
            & (bboxes[:, 2] > bboxes[:, 0])
            & (bboxes[:, 3] > bboxes[:, 1]) & (scores >= self.score_thr))
        inds = torch.nonzero(valid, as_tuple=False).squeeze(1)
        if inds.numel() > 0:
            from mmcv.ops import nms  # compiled op; imported lazily
            _, keep = nms(bboxes[inds].float().contiguous(),
                          scores[inds].float().contiguous(), self.nms_iou_thr)
            inds = inds[keep.to(inds.device)][:self.max_per_frame]
        return dets[inds]

    # ---------------------------------------------------------------- step
    def track(self,
              model: torch.nn.Module,
              img: Optional[Tensor],
              feats: Sequence[Tensor],
              data_sample: DetDataSample,
              temporal_feats: Optional[Tensor] = None,
              box_scale: Tuple[float, float] = (1.0, 1.0),
              **kwargs) -> InstanceData:
        """Associate one frame's detections with the tracks (Eq. 10).

        mmdet's tracker step (``QuasiDenseTracker.track``): the detections
        are ``data_sample.pred_det_instances`` (usually the output of
        :meth:`select_detections`), their embeddings come from
        ``model.track_head.predict(feats, [bboxes * box_scale],
        temporal_feats)``, and the frame index from
        ``data_sample.metainfo['frame_id']``. Unlike mmdet's trackers, frame
        0 does not reset the tracker here: the model resets it together
        with its temporal buffer (``ScaleTrack.reset``).

        Args:
            model: the MOT model; only its ``track_head.predict`` is used.
            img: the association net's input (unused; mmdet's signature).
            feats: the association net's feature maps of the frame.
            data_sample (DetDataSample): ``pred_det_instances`` with
                ``bboxes [N, 4]`` (input pixels), ``scores [N]``,
                ``labels [N]``; a frame without detections (``N = 0``) is an
                ordinary frame: the tracks only age.
            temporal_feats: the buffered window of the last frames (or
                ``None``), passed to the head.
            box_scale: ``(sx, sy)`` from the detections' pixels to the
                association net's input (``ScaleTrack.track_img_size``).

        Raises:
            ValueError: malformed shapes, or NaN/inf in the embeddings,
                boxes or scores (:meth:`select_detections` removes the
                latter two).

        Returns:
            InstanceData: the detections that belong to a track (matched or
            newly born), in their input order, with ``labels`` replaced by
            their track's majority-vote class and ``instances_id [M]`` (long).
        """
        dets = data_sample.pred_det_instances
        checked = self._check_dets(dets, 'track')
        bboxes = checked[0]
        sx, sy = box_scale
        if (sx, sy) != (1.0, 1.0):
            bboxes = bboxes * bboxes.new_tensor([sx, sy, sx, sy])
        embeds = model.track_head.predict(feats, [bboxes], temporal_feats)
        return self._associate(
            int(data_sample.metainfo.get('frame_id', 0)), dets, checked,
            embeds)

    def associate(self, frame_id: int, dets: InstanceData,
                  embeds: Tensor) -> InstanceData:
        """The tensor-level step of :meth:`track`, given the embeddings.

        Args:
            frame_id (int): index of the frame in its video (increasing).
            dets (InstanceData): ``bboxes [N, 4]``, ``scores [N]``,
                ``labels [N]``.
            embeds (Tensor): ``[N, E]`` appearance embeddings, rows following
                ``dets``; normalised here, so any positive scale is fine.

        Returns and raises as :meth:`track`.
        """
        return self._associate(frame_id, dets,
                               self._check_dets(dets, 'associate'), embeds)

    def _associate(self, frame_id: int, dets: InstanceData,
                   checked: Tuple[Tensor, Tensor,
                                  Tensor], embeds: Tensor) -> InstanceData:
        """:meth:`associate` after ``_check_dets`` (``checked``)."""
        bboxes, scores, labels = checked
        num_dets = bboxes.size(0)
        if embeds.dim() != 2 or embeds.size(0) != num_dets:
            raise ValueError(
                'associate(): embeds must have shape [N, E] with N = '
                f'{num_dets} detections, got {tuple(embeds.shape)}')
        if not torch.isfinite(embeds).all():
            raise ValueError('associate(): embeds contain NaN/inf values; '
                             'check the association head output')
        if num_dets > 0 and not (torch.isfinite(bboxes).all()
                                 and torch.isfinite(scores).all()):
            raise ValueError(
                'associate(): boxes or scores contain NaN/inf values; pass '
                'the detections through select_detections() first')
        frame_id = int(frame_id)
        device = embeds.device
        embeds = F.normalize(embeds.float(), p=2, dim=1)
        labels = labels.long().to(device)
        scores = scores.to(device)
        bboxes = bboxes.to(device)
        if self.motion is not None and num_dets > 0 and not bool(
            ((bboxes[:, 2] > bboxes[:, 0]) &
             (bboxes[:, 3] > bboxes[:, 1])).all()):
            raise ValueError(
                'associate(): the motion cue needs boxes of positive width '
                'and height; pass the detections through '
                'select_detections() first')

        # tracks lost for more than num_frames_retain frames cannot match
        self.pop_invalid_tracks(frame_id - 1)
        # a frame without detections is an ordinary frame whatever the width
        # of its [0, E] embeddings: the tracks only age
        if num_dets > 0 and not self.empty \
                and self._embeds.size(1) != embeds.size(1):
            raise ValueError(
                f'associate(): embedding size {embeds.size(1)} differs from '
                f"the tracks' {self._embeds.size(1)}; call reset() between "
                'videos of different models')

        self._step += 1
        if self.motion is not None and not self.empty:
            # every live track moves one step, matched or not
            self._kf_mean, self._kf_cov = self._kf.predict_batch(
                self._kf_mean, self._kf_cov)
        det_ids = torch.full((num_dets, ), -1, dtype=torch.long, device=device)
        det_rows, track_rows = self._match(embeds, labels, bboxes)
        if det_rows.numel() > 0:
            matched_ids = self._ids[track_rows]
            det_ids[det_rows] = matched_ids
            self.update_track(
                matched_ids,
                embeds[det_rows],
                bboxes[det_rows].float(),
                labels[det_rows],
                frame_id,
                rows=track_rows)
        born = (det_ids < 0) & (scores >= self.init_score_thr)
        born_rows = torch.nonzero(born, as_tuple=False).squeeze(1)
        if born_rows.numel() > 0:
            new_ids = torch.arange(
                self.num_tracks,
                self.num_tracks + born_rows.numel(),
                dtype=torch.long,
                device=device)
            self.num_tracks += int(born_rows.numel())
            det_ids[born_rows] = new_ids
            self.init_track(new_ids, embeds[born_rows],
                            bboxes[born_rows].float(), labels[born_rows],
                            frame_id)

        keep = torch.nonzero(det_ids >= 0, as_tuple=False).squeeze(1)
        out = dets[keep.to(dets.bboxes.device)]
        out_ids = det_ids[keep]
        if keep.numel() > 0:
            rows = self._rows_of_ids(out_ids)
            out.labels = self._majority_labels(rows).to(dets.labels.device)
        out.instances_id = out_ids.to(dets.bboxes.device)
        self.pop_invalid_tracks(frame_id)
        return out

    # ---------------------------------------------------------------- memory
    def update(self, ids: Tensor, embeds: Tensor, bboxes: Tensor,
               labels: Tensor, frame_ids: int, **kwargs) -> None:
        """``BaseTracker.update`` on tensors: rows whose id is live update
        their track (:meth:`update_track`), the others start one
        (:meth:`init_track`); then expired tracks are popped
        (:meth:`pop_invalid_tracks`). One call is one step (frame).

        Args:
            ids: ``[M]`` track ids; new ids must be larger than every live
                one (:meth:`track` hands them out in increasing order).
            embeds: ``[M, E]`` unit-norm embeddings.
            bboxes: ``[M, 4]`` boxes.
            labels: ``[M]`` class labels (one vote each).
            frame_ids (int): the frame of this step.
        """
        frame_id = int(frame_ids)
        self._step += 1
        if ids.numel() > 0:
            if self.empty:
                known = torch.zeros_like(ids, dtype=torch.bool)
            else:
                rows = self._rows_of_ids(ids).clamp(max=self.num_live_tracks -
                                                    1)
                known = self._ids[rows] == ids
            if bool(known.any()):
                self.update_track(ids[known], embeds[known], bboxes[known],
                                  labels[known], frame_id)
            new = ~known
            if bool(new.any()):
                if not self.empty and int(ids[new].min()) <= int(
                        self._ids[-1]):
                    raise ValueError(
                        'update(): new track ids must be larger than the '
                        f'live ones (up to {int(self._ids[-1])}), got '
                        f'{ids[new].tolist()}')
                self.init_track(ids[new], embeds[new], bboxes[new],
                                labels[new], frame_id)
        self.pop_invalid_tracks(frame_id)

    def update_track(self,
                     ids: Tensor,
                     embeds: Tensor,
                     bboxes: Tensor,
                     labels: Tensor,
                     frame_id: int,
                     rows: Optional[Tensor] = None) -> None:
        """Matched tracks: EMA of the embedding (step 3), last box and
        frame, one class vote each. ``rows``: the ids' memory rows when the
        caller has them (the step does), else looked up."""
        if rows is None:
            rows = self._rows_of_ids(ids)
        m = self.memo_momentum
        self._embeds[rows] = F.normalize(
            (1 - m) * self._embeds[rows] + m * embeds, p=2, dim=1)
        self._bboxes[rows] = bboxes
        self._last_frame[rows] = frame_id
        self._vote(rows, labels)
        if self.motion is not None:
            self._kf_mean[rows], self._kf_cov[rows] = self._kf.update_batch(
                self._kf_mean[rows], self._kf_cov[rows],
                xyxy_to_xyah(bboxes.double()))

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _check_dets(dets: InstanceData, where: str):
        for key in ('bboxes', 'scores', 'labels'):
            if key not in dets:
                raise ValueError(
                    f'{where}(): detections need a "{key}" field; got fields '
                    f'{list(dets.keys())}')
        bboxes, scores, labels = dets.bboxes, dets.scores, dets.labels
        n = bboxes.size(0) if bboxes.dim() >= 1 else -1
        if bboxes.dim() != 2 or bboxes.size(1) != 4:
            raise ValueError(f'{where}(): bboxes must be [N, 4] (x1, y1, x2, '
                             f'y2), got {tuple(bboxes.shape)}')
        if scores.shape != (n, ) or labels.shape != (n, ):
            raise ValueError(
                f'{where}(): scores and labels must be [N] with N = {n}, got '
                f'{tuple(scores.shape)} and {tuple(labels.shape)}')
        return bboxes, scores, labels

    def _match(self, embeds: Tensor, labels: Tensor, bboxes: Tensor):
        """Gated Hungarian assignment of Eq. 10, with the motion cue when
        it is on; returns the matched (detection, track) row pairs."""
        device = embeds.device
        none = torch.zeros(0, dtype=torch.long, device=device)
        if self.empty or embeds.size(0) == 0:
            return none, none
        sims = embeds @ self._embeds.t()  # [N, T] cosine similarity
        admissible = sims >= self.match_thr
        if self.class_aware:
            rows = torch.arange(self._ids.numel(), device=device)
            track_labels = self._majority_labels(rows).to(device)
            admissible &= labels[:, None] == track_labels[None, :]
        score, worst = sims, self.match_thr  # lowest admissible score
        if self.motion is not None:
            mode = self.motion['mode']
            if mode in ('gate', 'both'):
                maha = self._kf.gating_distance_batch(
                    self._kf_mean, self._kf_cov, xyxy_to_xyah(bboxes.double()),
                    self.motion['center_only'])  # [N, T]
                admissible &= maha <= self.motion['gate_thr']
            if mode in ('fuse', 'both'):
                ious = bbox_overlaps(
                    bboxes.to(sims.dtype),
                    xyah_to_xyxy(self._kf_mean).to(sims.dtype))
                w = self.motion['appearance_weight']
                score = w * sims + (1.0 - w) * ious
                worst = w * self.match_thr  # S = tau, IoU = 0
        if not bool(admissible.any()):
            return none, none
        cost = torch.where(admissible, 1.0 - score,
                           sims.new_tensor(1.0 - worst + GATE_EPS))
        rows, cols = linear_sum_assignment(cost.detach().cpu().numpy().astype(
            np.float64))
        rows = torch.as_tensor(rows, dtype=torch.long, device=device)
        cols = torch.as_tensor(cols, dtype=torch.long, device=device)
        ok = admissible[rows, cols]
        return rows[ok], cols[ok]

    def _label_columns(self, labels: Tensor) -> Tensor:
        """Column of each label in the vote matrices (adds new columns)."""
        uniq = torch.unique(labels).tolist()
        new = [lb for lb in uniq if lb not in self._label_to_col]
        if new:
            for lb in new:
                self._label_to_col[lb] = len(self._label_to_col)
            device = labels.device
            new_t = torch.tensor(new, dtype=torch.long, device=device)
            self._col_labels = new_t if self._col_labels is None else \
                torch.cat([self._col_labels, new_t])
            if self._votes is not None:
                t = self._votes.size(0)
                self._votes = torch.cat(
                    [self._votes,
                     self._votes.new_zeros((t, len(new)))], dim=1)
                self._vote_step = torch.cat([
                    self._vote_step,
                    self._vote_step.new_full((t, len(new)), -1)
                ],
                                            dim=1)
        lut = {lb: self._label_to_col[lb] for lb in uniq}
        return torch.tensor([lut[lb] for lb in labels.tolist()],
                            dtype=torch.long,
                            device=labels.device)

    def _vote(self, rows: Tensor, labels: Tensor) -> None:
        cols = self._label_columns(labels)
        self._votes[rows, cols] += 1
        self._vote_step[rows, cols] = self._step

    def init_track(self, ids: Tensor, embeds: Tensor, bboxes: Tensor,
                   labels: Tensor, frame_id: int) -> None:
        """New tracks (appended, so ids stay increasing in memory)."""
        n = ids.numel()
        last = torch.full((n, ), frame_id, dtype=torch.long, device=ids.device)
        if self.motion is not None:
            mean, cov = self._kf.initiate_batch(xyxy_to_xyah(bboxes.double()))
            if self._ids is None:
                self._kf_mean, self._kf_cov = mean, cov
            else:
                self._kf_mean = torch.cat([self._kf_mean, mean])
                self._kf_cov = torch.cat([self._kf_cov, cov])
        if self._ids is None:
            self._ids, self._embeds, self._bboxes = ids, embeds, bboxes
            self._last_frame = last
            k = len(self._label_to_col)
            self._votes = torch.zeros((0, k),
                                      dtype=torch.long,
                                      device=ids.device)
            self._vote_step = self._votes.clone()
        else:
            self._ids = torch.cat([self._ids, ids])
            self._embeds = torch.cat([self._embeds, embeds])
            self._bboxes = torch.cat([self._bboxes, bboxes])
            self._last_frame = torch.cat([self._last_frame, last])
        cols = self._label_columns(labels)  # may widen the vote matrices
        k = self._votes.size(1)
        votes = self._votes.new_zeros((n, k))
        steps = self._vote_step.new_full((n, k), -1)
        rows = torch.arange(n, device=ids.device)
        votes[rows, cols] = 1
        steps[rows, cols] = self._step
        self._votes = torch.cat([self._votes, votes])
        self._vote_step = torch.cat([self._vote_step, steps])

    def _rows_of_ids(self, ids: Tensor) -> Tensor:
        """Memory rows of the given (live) track ids; ids are increasing in
        memory order because new tracks are appended with fresh ids."""
        return torch.searchsorted(self._ids, ids)

    def _majority_labels(self, rows: Tensor) -> Tensor:
        votes = self._votes[rows]
        is_max = votes == votes.max(dim=1, keepdim=True).values
        recency = torch.where(is_max, self._vote_step[rows],
                              torch.full_like(votes, -2))
        return self._col_labels[recency.argmax(dim=1)]

    def pop_invalid_tracks(self, frame_id: int) -> None:
        """Drop tracks unmatched for more than ``num_frames_retain`` frames
        as of (the end of) ``frame_id``."""
        if self.empty:
            return
        alive = (frame_id - self._last_frame) <= self.num_frames_retain
        if bool(alive.all()):
            return
        self._ids = self._ids[alive]
        self._embeds = self._embeds[alive]
        self._bboxes = self._bboxes[alive]
        self._last_frame = self._last_frame[alive]
        self._votes = self._votes[alive]
        self._vote_step = self._vote_step[alive]
        if self.motion is not None:
            self._kf_mean = self._kf_mean[alive]
            self._kf_cov = self._kf_cov[alive]

    @property
    def memo(self) -> Dict[str, Tensor]:
        """The live tracks' memory, one row per track (``BaseTracker.memo``
        keys): ``ids [T]``, ``embeds [T, E]`` (EMA), ``bboxes [T, 4]`` (last
        matched), ``frame_ids [T]`` (last matched frame), ``labels [T]``
        (majority vote). Views of the state: do not modify them."""
        if self.empty:
            return dict(
                ids=torch.zeros(0, dtype=torch.long),
                embeds=torch.zeros(0, 0),
                bboxes=torch.zeros(0, 4),
                frame_ids=torch.zeros(0, dtype=torch.long),
                labels=torch.zeros(0, dtype=torch.long))
        rows = torch.arange(self.num_live_tracks, device=self._ids.device)
        return dict(
            ids=self._ids,
            embeds=self._embeds,
            bboxes=self._bboxes,
            frame_ids=self._last_frame,
            labels=self._majority_labels(rows))

    def get(self,
            item: str,
            ids: Optional[Sequence[int]] = None,
            num_samples: Optional[int] = None,
            behavior: Optional[str] = None) -> Tensor:
        """``BaseTracker.get``: ``memo[item]`` of the given live ids (all
        when ``None``). Each track keeps one value per item (the EMA or the
        latest), so ``num_samples`` / ``behavior`` do not apply."""
        if num_samples is not None or behavior is not None:
            raise ValueError(
                'ScaleTrackTracker keeps one value per track and item (the '
                'EMA or the latest); num_samples/behavior do not apply')
        memo = self.memo
        if item not in memo:
            raise KeyError(f'no memory item {item!r}; items: {list(memo)}')
        if ids is None:
            return memo[item]
        ids = torch.as_tensor(
            list(ids), dtype=torch.long, device=memo['ids'].device)
        missing = set(ids.tolist()) - set(self.ids)
        if missing:
            raise KeyError(f'track ids {sorted(missing)} are not live')
        return memo[item][self._rows_of_ids(ids)]
