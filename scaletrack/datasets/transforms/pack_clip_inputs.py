"""Pack a clip like mmdet's PackTrackInputs plus proposals and public
detections."""
import numpy as np
import torch
from mmdet.datasets.transforms import PackTrackInputs
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes
from mmengine.structures import InstanceData

from .load_track_proposals import PROPOSAL_INSTANCE_ID

# Per-box keys that LoadTrackProposals extends and that must be split in step.
_PER_BOX_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_instances_ids',
                 'gt_ignore_flags')


def _as_array(boxes) -> np.ndarray:
    if isinstance(boxes, BaseBoxes):
        boxes = boxes.numpy()
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)


@TRANSFORMS.register_module()
class PackClipInputs(PackTrackInputs):
    """``PackTrackInputs`` (images, ``gt_instances``, ``ignored_instances``,
    metainfo, key/reference frame indices) plus, per frame:

    * ``data_sample.proposals = InstanceData(bboxes=FloatTensor[M, 4])``: the
      pseudo-negative proposals that :class:`LoadTrackProposals` appended to
      ``gt_bboxes`` (instance id -1), in input-image pixels after
      augmentation; set (possibly empty) whenever annotations were loaded;
    * ``data_sample.public_instances = InstanceData(bboxes, scores, labels)``
      from ``public_bboxes`` / ``public_scores`` / ``public_labels`` (set by
      ``LoadPublicDetections``, original-image pixels).
    """

    def transform(self, results: dict) -> dict:
        proposals = None
        if 'gt_instances_ids' in results:
            proposals = []
            for i, ids in enumerate(results['gt_instances_ids']):
                ids = np.asarray(ids)
                is_prop = ids == PROPOSAL_INSTANCE_ID
                proposals.append(
                    torch.from_numpy(
                        _as_array(results['gt_bboxes'][i])[is_prop]))
                if is_prop.any():
                    keep = np.flatnonzero(~is_prop)
                    for key in _PER_BOX_KEYS:
                        if key in results:
                            results[key][i] = results[key][i][keep]
        packed = super().transform(results)
        frames = packed['data_samples'].video_data_samples
        for i, sample in enumerate(frames):
            if proposals is not None:
                sample.proposals = InstanceData(bboxes=proposals[i])
            if 'public_bboxes' in results:
                bboxes = torch.as_tensor(
                    _as_array(results['public_bboxes'][i]))
                n = len(bboxes)
                scores = results.get('public_scores',
                                     [np.ones(n, np.float32)] * len(frames))[i]
                labels = results.get('public_labels',
                                     [np.zeros(n, np.int64)] * len(frames))[i]
                sample.public_instances = InstanceData(
                    bboxes=bboxes,
                    scores=torch.as_tensor(
                        np.asarray(scores, np.float32).reshape(-1)),
                    labels=torch.as_tensor(
                        np.asarray(labels, np.int64).reshape(-1)))
        return packed
