"""ClipFrameSample: uniform / random clip indices, order, length, short
videos, flags."""
import random

import numpy as np
import pytest

from scaletrack.datasets import (ClipFrameSample, random_clip_indices,
                                 uniform_clip_indices)


def _video(length):
    return dict(
        video_id=7,
        video_length=length,
        images=[
            dict(
                img_id=100 + i, img_path=f'f{i}.jpg', frame_id=i, instances=[])
            for i in range(length)
        ])


@pytest.mark.parametrize('length,n', [(100, 10), (25, 10), (10, 10), (31, 4)])
def test_uniform_is_evenly_spaced_over_the_whole_video(length, n):
    rng = random.Random(0)
    stride = length // n
    starts = set()
    for _ in range(200):
        inds = uniform_clip_indices(length, n, rng)
        assert len(inds) == n
        assert np.all(np.diff(inds) == stride)  # constant frame rate
        assert 0 <= inds[0] and inds[-1] <= length - 1
        starts.add(inds[0])
    # the random start takes every admissible value 0 .. length-1-(n-1)*stride
    assert starts == set(range(length - 1 - (n - 1) * stride + 1))


def test_random_is_sorted_distinct_and_covers_positions():
    rng = random.Random(1)
    seen = set()
    for _ in range(300):
        inds = random_clip_indices(30, 10, rng)
        assert len(inds) == 10 and inds == sorted(set(inds))
        assert 0 <= inds[0] and inds[-1] < 30
        seen.update(inds)
    assert seen == set(range(30))
    # not evenly spaced in general (unlike 'uniform')
    assert any(
        len(set(np.diff(random_clip_indices(30, 10, rng)))) > 1
        for _ in range(10))


@pytest.mark.parametrize('sampler',
                         [uniform_clip_indices, random_clip_indices])
def test_short_videos_give_all_frames(sampler):
    assert sampler(4, 10) == [0, 1, 2, 3]
    assert sampler(1, 10) == [0]


def test_transform_outputs_clip_lists_in_time_order():
    random.seed(3)
    out = ClipFrameSample(num_frames=5, sampling='uniform')(_video(23))
    assert out['frame_id'] == sorted(out['frame_id']) and len(
        out['frame_id']) == 5
    assert np.all(np.diff(out['frame_id']) == 23 // 5)
    assert out['img_id'] == [100 + i for i in out['frame_id']]
    assert out['video_id'] == [7] * 5
    assert out['video_length'] == [5] * 5 and out['ori_video_length'] == [23
                                                                          ] * 5
    assert out['key_frame_flags'] == [True] * 5
    # every key holds one entry per frame (what TransformBroadcaster needs)
    assert {len(v) for v in out.values()} == {5}


def test_key_frame_first_and_seed_reproducibility():
    t = ClipFrameSample(num_frames=4, sampling='random', key_frames='first')
    random.seed(11)
    a = t(_video(40))
    random.seed(11)
    b = t(_video(40))
    assert a['frame_id'] == b['frame_id']
    assert a['key_frame_flags'] == [True, False, False, False]
    short = t(_video(2))
    assert short['frame_id'] == [0, 1] and short['key_frame_flags'] == [
        True, False
    ]


def test_bad_arguments():
    with pytest.raises(ValueError, match='sampling'):
        ClipFrameSample(sampling='dense')
    with pytest.raises(ValueError, match='num_frames'):
        ClipFrameSample(num_frames=0)
    with pytest.raises(ValueError, match='key_frames'):
        ClipFrameSample(key_frames='middle')


def test_stride_sampling_keeps_the_gap():
    import random
    t = ClipFrameSample(num_frames=4, sampling='stride', frame_stride=6)
    random.seed(3)
    starts = set()
    for _ in range(2000):
        inds = t.sample_indices(84)
        assert len(inds) == 4
        assert [b - a for a, b in zip(inds, inds[1:])] == [6, 6, 6]
        assert 0 <= inds[0] and inds[-1] <= 83
        starts.add(inds[0])
    # every start 0..65 can be drawn (84 - 1 - 3 * 6 = 65)
    assert starts == set(range(66))
    # a video too short for 4 frames at stride 6: the longest clip that fits
    inds = t.sample_indices(10)
    assert len(inds) == 2 and inds[1] - inds[0] == 6
    assert t.sample_indices(1) == [0]


def test_stride_sampling_arguments_are_checked():
    with pytest.raises(ValueError, match="frame_stride goes with"):
        ClipFrameSample(num_frames=4, sampling='stride')
    with pytest.raises(ValueError, match="frame_stride goes with"):
        ClipFrameSample(num_frames=4, frame_stride=2)
    with pytest.raises(ValueError, match='positive int'):
        ClipFrameSample(num_frames=4, sampling='stride', frame_stride=0)
