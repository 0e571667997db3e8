"""LoadTrackProposals: threshold, top-k, alignment rows, errors."""
import numpy as np
import pytest
from mmdet.registry import TRANSFORMS

from scaletrack.datasets import PROPOSAL_INSTANCE_ID, LoadTrackProposals


def _frame(path):
    return dict(
        img_path='frame.jpg',
        proposals_path=path,
        gt_bboxes=np.array([[1, 2, 3, 4]], np.float32),
        gt_bboxes_labels=np.array([0]),
        gt_ignore_flags=np.array([False]),
        gt_instances_ids=np.array([5], np.int32))


def test_threshold_and_top_k_and_appended_rows(tmp_path, dw):
    path = str(tmp_path / 'p' / '00000.pth')
    dets = [[0, 0, 10, 10, 0.35], [5, 5, 9, 9, 0.2], [1, 1, 2, 2, 0.95],
            [3, 3, 8, 8, 0.3], [2, 2, 6, 6, 0.8]]
    dw.write_box_file(path, dets)
    out = LoadTrackProposals(score_thr=0.3, max_num=3)(_frame(path))
    # scores >= 0.3: 0.95, 0.8, 0.35, 0.3 -> top 3 by score
    np.testing.assert_array_equal(
        out['gt_bboxes'],
        [[1, 2, 3, 4], [1, 1, 2, 2], [2, 2, 6, 6], [0, 0, 10, 10]])
    assert out['gt_instances_ids'].tolist() == [5] + [PROPOSAL_INSTANCE_ID] * 3
    assert out['gt_bboxes_labels'].tolist() == [0, -1, -1, -1]
    assert out['gt_ignore_flags'].tolist() == [False] * 4
    # default threshold 0.3 includes the boundary score
    assert len(
        TRANSFORMS.build(dict(type='LoadTrackProposals'))(
            _frame(path))['gt_bboxes']) == 5


def test_no_path_and_missing_file(tmp_path):
    out = LoadTrackProposals()(_frame(None))
    assert out['gt_bboxes'].shape == (1, 4)
    missing = str(tmp_path / 'nope' / '00004.pth')
    with pytest.raises(FileNotFoundError, match='00004.pth'):
        LoadTrackProposals()(_frame(missing))
    assert LoadTrackProposals(allow_missing=True)(
        _frame(missing))['gt_bboxes'].shape == (1, 4)


def test_order_and_reserved_id_errors(tmp_path, dw):
    path = str(tmp_path / 'a.pth')
    dw.write_box_file(path, [[0, 0, 1, 1, 1.0]])
    resized = dict(_frame(path), scale_factor=(2.0, 2.0))
    with pytest.raises(RuntimeError, match='before Resize'):
        LoadTrackProposals()(resized)
    clash = dict(_frame(path), gt_instances_ids=np.array([-1], np.int32))
    with pytest.raises(ValueError, match='reserved'):
        LoadTrackProposals()(clash)
    with pytest.raises(KeyError, match='LoadTrackAnnotations'):
        LoadTrackProposals()(dict(img_path='x.jpg', proposals_path=path))


def test_plain_pickle_proposals_and_refused_code(tmp_path):
    """Proposal files go through the public-detection reader: MASA's plain
    pickles load, a file that would run code is refused unexecuted."""
    import os
    import pickle

    from scaletrack.datasets.restricted_unpickler import UnsafePickleError
    path = tmp_path / 'plain.pth'
    with open(path, 'wb') as f:  # N x 4 boxes: every score is 1
        pickle.dump(dict(det_bboxes=np.array([[0, 0, 4, 4], [1, 1, 3, 3]])), f)
    out = LoadTrackProposals(score_thr=0.5)(_frame(str(path)))
    np.testing.assert_array_equal(out['gt_bboxes'][1:],
                                  [[0, 0, 4, 4], [1, 1, 3, 3]])

    marker = tmp_path / 'ran'

    class RunsCode:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    evil = tmp_path / 'evil.pth'
    with open(evil, 'wb') as f:
        pickle.dump(dict(det_bboxes=np.ones((1, 5)), x=RunsCode()), f)
    with pytest.raises(UnsafePickleError, match=r'evil\.pth.*system'):
        LoadTrackProposals()(_frame(str(evil)))
    assert not marker.exists()
