"""PackClipInputs: PackTrackInputs + proposals + public detections."""
import numpy as np
import torch

from scaletrack.datasets import PackClipInputs


def _clip():
    img = np.zeros((8, 10, 3), np.uint8)
    f0 = dict(
        bboxes=np.array(
            [[0, 0, 4, 4], [1, 1, 5, 5], [2, 2, 6, 6], [3, 3, 7, 7]],
            np.float32),
        labels=np.array([2, -1, 1, -1]),
        ids=np.array([10, -1, 11, -1], np.int32),
        ignore=np.array([False, False, True, False]))
    f1 = dict(
        bboxes=np.array([[0, 1, 2, 3]], np.float32),
        labels=np.array([2]),
        ids=np.array([10], np.int32),
        ignore=np.array([False]))
    frames = [f0, f1]
    return dict(
        img=[img, img + 1],
        img_id=[1, 2],
        frame_id=[0, 1],
        img_shape=[(8, 10)] * 2,
        ori_shape=[(8, 10)] * 2,
        scale_factor=[(1.0, 1.0)] * 2,
        video_id=[3, 3],
        gt_bboxes=[f['bboxes'] for f in frames],
        gt_bboxes_labels=[f['labels'] for f in frames],
        gt_instances_ids=[f['ids'] for f in frames],
        gt_ignore_flags=[f['ignore'] for f in frames],
        public_bboxes=[
            np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.float32),
            np.zeros((0, 4), np.float32)
        ],
        public_scores=[
            np.array([0.9, 0.4], np.float32),
            np.zeros(0, np.float32)
        ],
        public_labels=[np.array([3, 0]),
                       np.zeros(0, np.int64)],
        key_frame_flags=[True, True])


def test_packs_gt_ignored_proposals_and_public_detections():
    out = PackClipInputs()(_clip())
    assert out['inputs'].shape == (2, 3, 8, 10)
    assert torch.equal(out['inputs'][1],
                       torch.ones(3, 8, 10, dtype=torch.uint8))
    tds = out['data_samples']
    assert tds.key_frames_inds == [0, 1] and tds.ref_frames_inds == []
    s0, s1 = tds.video_data_samples
    # ground truth without the proposal rows; ignored box apart
    assert s0.gt_instances.bboxes.tolist() == [[0, 0, 4, 4]]
    assert s0.gt_instances.instances_ids.tolist() == [10]
    assert s0.gt_instances.labels.tolist() == [2]
    assert s0.ignored_instances.bboxes.tolist() == [[2, 2, 6, 6]]
    assert s0.ignored_instances.instances_ids.tolist() == [11]
    # proposals in order, float tensors
    assert s0.proposals.bboxes.dtype == torch.float32
    assert s0.proposals.bboxes.tolist() == [[1, 1, 5, 5], [3, 3, 7, 7]]
    assert s1.proposals.bboxes.shape == (0, 4)
    assert s1.gt_instances.bboxes.tolist() == [[0, 1, 2, 3]]
    # public detections
    assert s0.public_instances.bboxes.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert np.allclose(s0.public_instances.scores.numpy(), [0.9, 0.4])
    assert s0.public_instances.labels.dtype == torch.int64
    assert s0.public_instances.labels.tolist() == [3, 0]
    assert len(s1.public_instances) == 0
    assert s0.frame_id == 0 and s1.img_id == 2


def test_without_annotations_there_are_no_proposals():
    clip = _clip()
    for k in ('gt_bboxes', 'gt_bboxes_labels', 'gt_instances_ids',
              'gt_ignore_flags', 'public_bboxes', 'public_scores',
              'public_labels'):
        clip.pop(k)
    s0 = PackClipInputs()(clip)['data_samples'].video_data_samples[0]
    assert 'proposals' not in s0 and 'public_instances' not in s0
