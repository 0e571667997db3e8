"""Builders of small TAO-format ground truth / results for the evaluation
tests (real TAO JSON layout, generated in memory)."""
import pytest


def build_tao_gt(videos, categories):
    """TAO ground truth from a compact spec.

    Args:
        videos: {video_id: [frame, ...]}; a frame is a list of
            ``(track_id, category_id, [x, y, w, h])``; an empty list makes an
            image without annotations.
        categories: list of ``(id, name, frequency or None)``.
    """
    gt = dict(videos=[], images=[], annotations=[], tracks=[], categories=[])
    for cid, name, freq in categories:
        cat = dict(id=cid, name=name, synset=name)
        if freq is not None:
            cat['frequency'] = freq
        gt['categories'].append(cat)
    img_id, ann_id, tracks = 0, 0, {}
    for vid, frames in videos.items():
        gt['videos'].append(
            dict(
                id=vid,
                name=f'video_{vid}',
                width=640,
                height=480,
                neg_category_ids=[],
                not_exhaustive_category_ids=[]))
        for t, frame in enumerate(frames):
            img_id += 1
            gt['images'].append(
                dict(
                    id=img_id,
                    video_id=vid,
                    frame_index=t,
                    file_name=f'video_{vid}/{t:06d}.jpg',
                    width=640,
                    height=480))
            for tid, cid, box in frame:
                ann_id += 1
                gt['annotations'].append(
                    dict(
                        id=ann_id,
                        image_id=img_id,
                        video_id=vid,
                        track_id=tid,
                        category_id=cid,
                        bbox=list(box),
                        area=box[2] * box[3],
                        iscrowd=0))
                tracks.setdefault(tid,
                                  dict(id=tid, category_id=cid, video_id=vid))
    gt['tracks'] = list(tracks.values())
    return gt


def image_id_of(gt, video_id, frame_index):
    for im in gt['images']:
        if im['video_id'] == video_id and im['frame_index'] == frame_index:
            return im['id']
    raise KeyError((video_id, frame_index))


def results_from_gt(gt, **overrides):
    """Perfect TAO results: one prediction per annotation."""
    return [
        dict(
            image_id=a['image_id'],
            video_id=a['video_id'],
            category_id=a['category_id'],
            bbox=list(a['bbox']),
            score=0.9,
            track_id=a['track_id'],
            **overrides) for a in gt['annotations']
    ]


@pytest.fixture
def tao():
    """The builders as a namespace fixture."""

    class _Builders:
        gt = staticmethod(build_tao_gt)
        perfect_results = staticmethod(results_from_gt)
        image_id = staticmethod(image_id_of)

    return _Builders
