"""A "detector" that returns each frame's public detections.

The same-detections protocol compares association methods on identical
boxes. With this module as ``detector``, mmdet's own MOT models (ByteTrack,
OC-SORT, ...) and ScaleTrack all run unchanged on the public detections that
``LoadPublicDetections`` put into each frame's data sample. It is the one
detector-free path: ``ScaleTrack(detector=None)`` builds it.
"""
from typing import List

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.model import BaseModule
from mmengine.structures import InstanceData


def public_instances(data_sample: DetDataSample,
                     rescale: bool,
                     device=None) -> InstanceData:
    """The frame's public detections, in original-image pixels when
    ``rescale`` else in network-input pixels (scaled by ``scale_factor``)."""
    if 'public_instances' not in data_sample:
        raise RuntimeError(
            'no public detections in the data sample: add '
            "dict(type='LoadPublicDetections', ...) to the test pipeline, or "
            'configure a real detector')
    pub = data_sample.public_instances
    bboxes = torch.as_tensor(pub.bboxes, device=device).float().reshape(-1, 4)
    if not rescale:
        scale = bboxes.new_tensor(
            data_sample.metainfo.get('scale_factor', (1.0, 1.0))).repeat(2)
        bboxes = bboxes * scale
    return InstanceData(
        bboxes=bboxes,
        scores=torch.as_tensor(pub.scores, device=device).float().reshape(-1),
        labels=torch.as_tensor(pub.labels, device=device).long().reshape(-1))


@MODELS.register_module()
class PublicDetectionsDetector(BaseModule):
    """Detector interface (``predict``) over precomputed detections."""

    def predict(self,
                batch_inputs: torch.Tensor,
                batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        for ds in batch_data_samples:
            ds.pred_instances = public_instances(ds, rescale,
                                                 batch_inputs.device)
        return batch_data_samples
