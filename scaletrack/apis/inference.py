"""Inference API: build a tracker from a config and track a video.

    model = init_tracker('configs/scaletrack/...py', 'ckpt.pth', device='cpu')
    for frame in track_video(model, 'video.mp4'):
        frame.index, frame.image (BGR), frame.tracks (InstanceData)

Both are thin wrappers over mmdet's MOT API: :func:`init_tracker` builds the
model with ``mmdet.apis.init_track_model`` and adds checked checkpoint
loading (:func:`scaletrack.utils.load_checkpoint_checked`: a checkpoint that
does not fit the model is an error, where mmdet's ``load_checkpoint`` only
logs the mismatch) and a detector-only checkpoint next to a ScaleTrack one;
:func:`track_video` runs each frame through ``model.test_step`` as
``mmdet.apis.inference_mot`` does, and adds video / folder / array inputs,
public detections for detector-free configs, the config's own test pipeline
(``inference_mot`` keeps only its ``Resize``, and feeds float32 images) and
a tracker reset between videos. ``track_video`` restores every setting it
changes (``score_thr``) when the video ends, fails or is closed.
"""
import contextlib
import copy
import math
import os
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmdet.apis import init_track_model
from mmdet.registry import TASK_UTILS
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.structures import InstanceData

from ..models.detectors import PublicDetectionsDetector

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
# Loading transforms of dataset pipelines: the API feeds decoded frames and
# public detections itself, so these are dropped from the config pipeline.
_LOADING = ('LoadImageFromFile', 'LoadTrackAnnotations',
            'LoadPublicDetections', 'LoadAnnotations', 'LoadTrackProposals')


@dataclass
class FrameResult:
    """One tracked frame."""
    index: int
    image: np.ndarray  # BGR, as decoded
    tracks: InstanceData  # bboxes (pixels), scores, labels, instances_id


def init_tracker(config: Union[str, Config],
                 checkpoint: Optional[str] = None,
                 detector_checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a tracking model from a config (and checkpoints), ready to run.

    Args:
        config: a config file path or a :class:`Config`.
        checkpoint: ScaleTrack checkpoint (association net, and the detector
            if it was saved with it).
        detector_checkpoint: weights of ``model.detector`` alone (a stock
            mmdet checkpoint); ``checkpoint`` may then lack the detector.
        device: e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: overrides merged into the config.

    Raises:
        CheckpointMismatchError: a checkpoint does not fit the model (see
            :func:`scaletrack.utils.load_checkpoint_checked`).
    """
    from scaletrack.utils import load_checkpoint_checked, register_all_modules
    register_all_modules(init_default_scope=True)
    config_name = '<Config object>'
    if isinstance(config, (str, os.PathLike)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config_name = str(config)
        config = Config.fromfile(str(config))
    elif isinstance(config, Config) and config.filename:
        config_name = config.filename
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or Config, got {type(config)}')
    with warnings.catch_warnings():
        # mmdet warns of a missing dataset_meta before any checkpoint is
        # loaded; the checkpoint's meta is read below
        warnings.filterwarnings(
            'ignore', message='dataset_meta or class names are missed')
        model = init_track_model(
            config, None, device=device, cfg_options=cfg_options)
    no_detector = isinstance(
        getattr(model, 'detector', None),
        (type(None), PublicDetectionsDetector))
    if detector_checkpoint is not None and no_detector:
        raise ValueError('--detector-checkpoint given but the config has '
                         'no model.detector (it tracks public detections)')
    if checkpoint is not None:
        # the detector may come from its own file, nothing else may miss
        allow = ('detector.', ) if detector_checkpoint is not None else ()
        ckpt = load_checkpoint_checked(model, checkpoint, config_name, allow)
        meta = ckpt.get('meta', {}) or {}
        if 'dataset_meta' in meta:
            model.dataset_meta = meta['dataset_meta']
    if detector_checkpoint is not None:
        load_checkpoint_checked(model.detector, detector_checkpoint,
                                f'{config_name} (model.detector)')
    return model


def build_inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline without its file-loading transforms."""
    pipeline = cfg.get('test_pipeline', None)
    if pipeline is None:
        pipeline = cfg.test_dataloader.dataset.pipeline
    pipeline = copy.deepcopy(pipeline)
    out = []
    for t in pipeline:
        if t['type'] == 'TransformBroadcaster':
            t['transforms'] = [
                x for x in t['transforms'] if x['type'] not in _LOADING
            ]
            if not t['transforms']:
                continue
        elif t['type'] in _LOADING:
            continue
        out.append(t)
    return Compose(out)


def iter_frames(
        source: Union[str, Sequence[np.ndarray], Iterable]) -> Iterator[tuple]:
    """Yield ``(index, image BGR, path or None)`` from a video file, a folder
    of frames or a sequence of arrays, with clear errors on bad input."""
    if isinstance(source, (str, os.PathLike)):
        source = str(source)
        if osp.isdir(source):
            names = sorted(
                f for f in os.listdir(source)
                if f.lower().endswith(IMG_EXTENSIONS))
            if not names:
                raise FileNotFoundError(
                    f'no image files ({", ".join(IMG_EXTENSIONS)}) in the '
                    f'folder {source}')
            for i, name in enumerate(names):
                path = osp.join(source, name)
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if img is None:
                    raise ValueError(
                        f'frame {i} ({path}) could not be decoded: the file '
                        'is corrupt or not an image; remove or re-extract it')
                yield i, img, path
            return
        if not osp.isfile(source):
            raise FileNotFoundError(f'input not found: {source}')
        cap = cv2.VideoCapture(source)
        if not cap.isOpened():
            raise ValueError(
                f'cannot open {source} as a video: unreadable or corrupt, '
                'or a codec OpenCV lacks; try converting it to H.264 mp4 or '
                'extracting its frames to a folder')
        expected = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        i = 0
        try:
            while True:
                ok, img = cap.read()
                if not ok:
                    break
                yield i, img, None
                i += 1
        finally:
            cap.release()
        if i == 0:
            raise ValueError(f'{source}: no frame could be decoded')
        if expected and i < expected:
            warnings.warn(f'{source}: decoding stopped at frame {i} of '
                          f'{expected} announced by the container (truncated '
                          'or corrupt file); tracked the decoded frames')
        return
    for i, img in enumerate(source):
        img = np.asarray(img)
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f'frame {i}: expected an H x W x 3 BGR array, got shape '
                f'{img.shape}')
        yield i, img.astype(np.uint8, copy=False), None


def track_video(model: torch.nn.Module,
                source,
                public_detections=None,
                score_thr: Optional[float] = None) -> Iterator[FrameResult]:
    """Track one video frame by frame, yielding a :class:`FrameResult` each.

    Args:
        model: from :func:`init_tracker`.
        source: a video file, a folder of frames or a sequence of BGR arrays.
        public_detections: for a detector-free model, a reader with
            ``get(img_path, video_name, frame_index, image_id)`` (see
            ``scaletrack.datasets.public_detections``) or its config dict.
        score_thr: overrides the tracker's detection score threshold.
    """
    pipeline = build_inference_pipeline(model.cfg)
    if isinstance(public_detections, dict):
        public_detections = TASK_UTILS.build(public_detections)
    if getattr(model, 'detector', None) is None and public_detections is None:
        raise ValueError('this model has no detector: pass '
                         'public_detections (a reader or its config)')
    overrides = {}
    if score_thr is not None:
        if not math.isfinite(score_thr):
            raise ValueError(f'score_thr must be a finite number, got '
                             f'{score_thr}')
        overrides['score_thr'] = float(score_thr)
    return _track(model, source, pipeline, public_detections, overrides)


@contextlib.contextmanager
def tracker_settings(tracker, **settings):
    """Set attributes of ``tracker`` for the block, then restore them (also
    when the block raises)."""
    missing = [k for k in settings if not hasattr(tracker, k)]
    if missing:
        raise AttributeError(
            f'{type(tracker).__name__} has no setting {missing}')
    saved = {k: getattr(tracker, k) for k in settings}
    try:
        for k, v in settings.items():
            setattr(tracker, k, v)
        yield tracker
    finally:
        for k, v in saved.items():
            setattr(tracker, k, v)


def _track(model, source, pipeline, public_detections,
           overrides) -> Iterator[FrameResult]:
    """The frame loop of :func:`track_video` (a generator: the settings are
    restored when it is exhausted, raises or is closed)."""
    video_name = osp.splitext(osp.basename(str(source)))[0] \
        if isinstance(source, (str, os.PathLike)) else 'video'
    with tracker_settings(model.tracker, **overrides):
        model.reset()
        for index, img, path in iter_frames(source):
            data = dict(
                img=[img],
                img_path=[path],
                img_id=[index],
                frame_id=[index],
                video_id=[0],
                ori_shape=[img.shape[:2]],
                img_shape=[img.shape[:2]],
                ori_video_length=[-1],
                video_length=[-1])
            if public_detections is not None:
                dets = public_detections.get(path, video_name, index, None)
                data['public_bboxes'] = [dets['bboxes']]
                data['public_scores'] = [dets['scores']]
                data['public_labels'] = [dets['labels']]
            batch = default_collate([pipeline(data)])
            # as mmdet.apis.inference_mot: preprocess + predict
            with torch.no_grad():
                out = model.test_step(batch)
            tracks = out[0][0].pred_track_instances.cpu()
            yield FrameResult(index=index, image=img, tracks=tracks)
