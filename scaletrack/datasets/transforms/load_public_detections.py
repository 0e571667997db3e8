"""Load a frame's public detections into the pipeline results."""
import copy
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TASK_UTILS, TRANSFORMS

from .. import public_detections  # noqa: F401  (registers the readers)


@TRANSFORMS.register_module()
class LoadPublicDetections(BaseTransform):
    """Read one frame's public detections (the same-detections protocol).

    A per-frame transform: use it on a single frame's results, or inside
    ``TransformBroadcaster`` for a clip. It reads ``img_path``, ``video_name``
    (optional), ``frame_id`` (0-based) and ``img_id`` from the results and
    asks the reader built from ``source`` (once, at construction) for the
    frame's boxes.

    Added keys:

    - ``public_bboxes`` (np.float32 ``[N, 4]``): x1, y1, x2, y2 in
      original-image pixels (not transformed by later geometric transforms).
    - ``public_scores`` (np.float32 ``[N]``).
    - ``public_labels`` (np.int64 ``[N]``).

    Args:
        source (dict): reader config, e.g. ``dict(type='MASADetections',
            root=..., img_root=...)``, ``dict(type='TAOResultDetections',
            json_file=..., ann_file=...)`` or ``dict(type='MOTDetDetections',
            root=...)`` (mmdet ``TASK_UTILS``).
        missing (str, optional): ``'error'`` or ``'empty'``; fills the
            reader's ``missing`` (a conflicting value in ``source`` is an
            error). Defaults to ``'error'`` when neither sets it.
        num_classes (int, optional): size of the dataset's class list; fills
            the reader's ``num_classes`` (same rule), so that a label
            outside the class list is an error naming the file, the frame
            and the label. Public-detection configs set it to the length of
            the class list the detections were produced in.
    """

    def __init__(self,
                 source: dict,
                 missing: Optional[str] = None,
                 num_classes: Optional[int] = None) -> None:
        if not isinstance(source, dict) or 'type' not in source:
            raise TypeError('LoadPublicDetections: source must be a reader '
                            "config dict with a 'type', e.g. "
                            "dict(type='MASADetections', root=..., "
                            f'img_root=...); got {source!r}')
        cfg = copy.deepcopy(source)
        for key, value in (('missing', missing), ('num_classes', num_classes)):
            if value is None:
                continue
            if cfg.get(key, value) != value:
                raise ValueError(
                    f"LoadPublicDetections: {key}={value!r} conflicts "
                    f'with source {key}={cfg[key]!r}')
            cfg[key] = value
        self.source = cfg
        self.reader = TASK_UTILS.build(cfg)

    def transform(self, results: dict) -> dict:
        img_path = results.get('img_path')
        if isinstance(img_path, (list, tuple)):
            raise TypeError(
                'LoadPublicDetections works on one frame; wrap it in '
                "dict(type='TransformBroadcaster', transforms=[...]) for "
                'clips')
        dets = self.reader.get(
            img_path=img_path,
            video_name=results.get('video_name'),
            frame_index=results.get('frame_id'),
            image_id=results.get('img_id'))
        results['public_bboxes'] = np.asarray(
            dets['bboxes'], dtype=np.float32).reshape(-1, 4)
        results['public_scores'] = np.asarray(
            dets['scores'], dtype=np.float32).reshape(-1)
        results['public_labels'] = np.asarray(
            dets['labels'], dtype=np.int64).reshape(-1)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(source={self.source})'
