"""SAVDataset: masklets (COCO RLE at 6 fps) -> boxes, frames, identities, filtering."""
import os.path as osp

import numpy as np
import pytest

from scaletrack.datasets import SAVDataset, masklet_boxes

H, W = 48, 64


def rect_mask(x1, y1, x2, y2):
    """Binary mask of the pixels x1 <= x < x2, y1 <= y < y2."""
    m = np.zeros((H, W), np.uint8)
    m[y1:y2, x1:x2] = 1
    return m


def ellipse_mask(cx, cy, rx, ry):
    yy, xx = np.mgrid[:H, :W]
    return (((xx - cx) / rx)**2 + ((yy - cy) / ry)**2 <= 1).astype(np.uint8)


def _mask_box(mask):
    """Independent reference: x1y1x2y2 of a binary mask from its pixels."""
    ys, xs = np.nonzero(mask)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def _three_object_video():
    """5 annotated frames: a moving rectangle, an ellipse that disappears
    after frame 2, and a static rectangle."""
    frames = []
    for i in range(5):
        a = rect_mask(2 + 3 * i, 5, 12 + 3 * i, 20)
        b = ellipse_mask(40, 30, 6, 4) if i <= 2 else np.zeros((H, W), np.uint8)
        c = rect_mask(50, 1, 60, 9)
        frames.append([a, b, c])
    return frames


def _dataset(root, **kw):
    kw.setdefault('data_prefix', dict(img_path='JPEGImages_24fps', ann_path='ann'))
    kw.setdefault('ann_file', '')
    return SAVDataset(data_root=str(root), pipeline=[], **kw)


def test_masklet_boxes_match_pixels_and_empty_masks_are_nan(dw):
    masks = _three_object_video()[3]
    boxes = masklet_boxes([dw.encode_rle(m) for m in masks])
    np.testing.assert_array_equal(boxes[0], _mask_box(masks[0]))
    assert np.isnan(boxes[1]).all()  # ellipse absent at frame 3
    np.testing.assert_array_equal(boxes[2], [50, 1, 60, 9])


def test_masklet_boxes_of_many_masks_at_once(dw):
    """A whole video's masks in one call (more than 255 of them)."""
    masks = [rect_mask(i % 50, i % 30, i % 50 + 1 + i % 7, i % 30 + 2) if i % 4 else
             np.zeros((H, W), np.uint8) for i in range(300)]
    boxes = masklet_boxes([dw.encode_rle(m) for m in masks])
    for m, b in zip(masks, boxes):
        if m.any():
            np.testing.assert_array_equal(b, _mask_box(m))
        else:
            assert np.isnan(b).all()


def test_reads_boxes_frames_and_ids(tmp_path, dw):
    frames = _three_object_video()
    dw.write_sav_annotation(str(tmp_path / 'ann'), 'sav_000001', frames, masklet_ids=[3, 7, 9])
    ds = _dataset(tmp_path, proposals_root='props')
    assert len(ds) == 1 and ds.metainfo['classes'] == ('object', )
    video = ds.get_data_info(0)
    assert video['video_id'] == 'sav_000001' and video['video_length'] == 5
    for i, frame in enumerate(video['images']):
        assert frame['frame_id'] == i and frame['frame_index'] == 4 * i
        assert frame['img_path'] == osp.join(str(tmp_path), 'JPEGImages_24fps', 'sav_000001',
                                             f'{4 * i:05d}.jpg')
        assert frame['proposals_path'] == osp.join(str(tmp_path), 'props', 'sav_000001',
                                                   f'{4 * i:05d}.pth')
        assert (frame['height'], frame['width']) == (H, W)
        expected = {mid: _mask_box(m) for mid, m in zip([3, 7, 9], frames[i]) if m.any()}
        got = {inst['instance_id']: inst['bbox'] for inst in frame['instances']}
        assert got.keys() == expected.keys()  # ellipse (id 7) absent from frame 3 on
        for k in expected:
            np.testing.assert_allclose(got[k], expected[k])
        assert all(inst['bbox_label'] == 0 and inst['ignore_flag'] == 0
                   for inst in frame['instances'])
    assert len({f['img_id'] for f in video['images']}) == 5


def test_manual_and_auto_ids_are_unique(tmp_path, dw):
    frames = _three_object_video()
    dw.write_sav_annotation(str(tmp_path / 'ann'), 'sav_000002', frames, 'manual')
    dw.write_sav_annotation(str(tmp_path / 'ann'), 'sav_000002', [f[:2] for f in frames], 'auto')
    ds = _dataset(tmp_path, ann_types=('manual', 'auto'))
    ids0 = [i['instance_id'] for i in ds.get_data_info(0)['images'][0]['instances']]
    assert sorted(ids0) == [0, 1, 2, 100000, 100001]
    # the auto copy of object 0 has the same box as the manual one
    insts = {i['instance_id']: i['bbox'] for i in ds.get_data_info(0)['images'][0]['instances']}
    assert insts[0] == insts[100000]


def test_missing_and_corrupt_files_are_named(tmp_path, dw):
    dw.write_sav_annotation(str(tmp_path / 'ann'), 'sav_000003', _three_object_video())
    (tmp_path / 'ann' / 'sav_000004_manual.json').write_text('{"masklet": [[{"size": ')
    with pytest.raises(ValueError, match='sav_000004_manual.json'):
        _dataset(tmp_path)
    # a listed video without its annotation file
    (tmp_path / 'ann' / 'sav_000004_manual.json').unlink()
    (tmp_path / 'list.txt').write_text('sav_000003\nsav_000005\n')
    with pytest.raises(FileNotFoundError, match='sav_000005_manual.json'):
        _dataset(tmp_path, ann_file='list.txt')
    # structurally wrong content is also named
    (tmp_path / 'ann' / 'sav_000005_manual.json').write_text('{"masklet": 3}')
    with pytest.raises(ValueError, match='sav_000005_manual.json'):
        _dataset(tmp_path, ann_file='list.txt')


def test_skip_invalid_counts(tmp_path, dw):
    dw.write_sav_annotation(str(tmp_path / 'ann'), 'sav_000003', _three_object_video())
    (tmp_path / 'ann' / 'sav_000004_manual.json').write_text('not json')
    (tmp_path / 'ann' / 'sav_000006_manual.json').write_text('{}')
    ds = _dataset(tmp_path, skip_invalid=True)
    assert len(ds) == 1 and ds.num_invalid_videos == 2


def test_videos_without_two_shared_objects_are_skipped(tmp_path, dw):
    ann = str(tmp_path / 'ann')
    blank = np.zeros((H, W), np.uint8)
    a = rect_mask(1, 1, 10, 10)
    b = rect_mask(20, 20, 30, 30)
    # two objects but never in the same consecutive pair: a in frames 0, 2; b in 1, 3
    dw.write_sav_annotation(ann, 'sav_000010', [[a, blank], [blank, b], [a, blank], [blank, b]])
    dw.write_sav_annotation(ann, 'sav_000011', [[a]] * 4)  # a single object
    # frames 1-2 share a and b
    dw.write_sav_annotation(ann, "sav_000012", [[a, blank], [a, b], [a, b]])
    ds = _dataset(tmp_path)
    assert [ds.get_data_info(i)['video_id'] for i in range(len(ds))] == ['sav_000012']
    assert ds.num_few_object_videos == 2
    assert len(_dataset(tmp_path, test_mode=True)) == 3
    assert len(_dataset(tmp_path, min_objects_per_pair=1)) == 2
    with pytest.raises(ValueError, match='no training video left'):
        _dataset(tmp_path, min_objects_per_pair=3)


def test_video_list_and_glob_shards(tmp_path, dw):
    frames = _three_object_video()
    dw.write_sav_annotation(str(tmp_path / 'sav_000'), 'sav_000001', frames)
    dw.write_sav_annotation(str(tmp_path / 'sav_001'), 'sav_001001', frames)
    dw.write_sav_annotation(str(tmp_path / 'other'), 'sav_009001', frames)
    ds = _dataset(tmp_path, data_prefix=dict(img_path='JPEGImages_24fps', ann_path='sav_00?'))
    assert [ds.get_data_info(i)['video_id'] for i in range(len(ds))] == [
        'sav_000001', 'sav_001001']
    (tmp_path / 'list.txt').write_text('sav_001001\n')
    ds = _dataset(tmp_path, ann_file='list.txt',
                  data_prefix=dict(img_path='JPEGImages_24fps', ann_path='sav_00?'))
    assert len(ds) == 1 and ds.get_data_info(0)['video_id'] == 'sav_001001'


def test_cache_is_used_and_invalidated(tmp_path, dw, monkeypatch):
    ann = str(tmp_path / 'ann')
    frames = _three_object_video()
    dw.write_sav_annotation(ann, 'sav_000001', frames)
    cache = str(tmp_path / 'cache' / 'index.pkl')
    first = _dataset(tmp_path, cache_file=cache)
    assert osp.isfile(cache)

    def boom(*a, **k):
        raise AssertionError('parsed although the cache is valid')

    monkeypatch.setattr(SAVDataset, '_parse_video', boom)
    second = _dataset(tmp_path, cache_file=cache)
    assert second.get_data_info(0)['images'] == first.get_data_info(0)['images']
    monkeypatch.undo()
    # changing an annotation file (different size) rebuilds the index
    dw.write_sav_annotation(ann, 'sav_000001', [f[:2] for f in frames])
    third = _dataset(tmp_path, cache_file=cache)
    assert len(third.get_data_info(0)['images'][0]['instances']) == 2


def test_bad_ann_types():
    with pytest.raises(ValueError, match='ann_types'):
        SAVDataset(ann_types=('manual', 'dense'), lazy_init=True)
