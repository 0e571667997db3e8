"""TAODataset / OVTBDataset on a generated TAO-format JSON."""
import json

import pytest
from mmdet.datasets.samplers import TrackImgSampler

from scaletrack.datasets import OVTBDataset, TAODataset

# LVIS-style categories, deliberately not sorted by id
CATS = [
    dict(id=5, name='zebra', frequency='f'),
    dict(id=2, name='aardvark', frequency='r'),
    dict(id=9, name='mug', frequency='c'),
    dict(id=7, name='unused', frequency='r')
]


def _tao_json(path):
    """Two videos; images listed out of time order; video 20 reuses track id
    1."""
    videos = [
        dict(
            id=10,
            name='val/A/v1',
            width=100,
            height=80,
            neg_category_ids=[],
            not_exhaustive_category_ids=[]),
        dict(
            id=20,
            name='val/B/v2',
            width=100,
            height=80,
            neg_category_ids=[],
            not_exhaustive_category_ids=[])
    ]
    images = [
        dict(
            id=102,
            video_id=10,
            file_name='val/A/v1/f60.jpg',
            frame_index=60,
            width=100,
            height=80),
        dict(
            id=101,
            video_id=10,
            file_name='val/A/v1/f30.jpg',
            frame_index=30,
            width=100,
            height=80),
        dict(
            id=103,
            video_id=10,
            file_name='val/A/v1/f90.jpg',
            frame_index=90,
            width=100,
            height=80),
        dict(
            id=201,
            video_id=20,
            file_name='val/B/v2/f0.jpg',
            frame_index=0,
            width=100,
            height=80)
    ]
    anns = [
        dict(
            id=1,
            image_id=101,
            video_id=10,
            track_id=1,
            category_id=5,
            bbox=[10, 10, 20, 30],
            area=600,
            iscrowd=0),
        dict(
            id=2,
            image_id=102,
            video_id=10,
            track_id=1,
            category_id=5,
            bbox=[12, 10, 20, 30],
            area=600,
            iscrowd=0),
        dict(
            id=3,
            image_id=102,
            video_id=10,
            track_id=2,
            category_id=2,
            bbox=[50, 40, 10, 10],
            area=100,
            iscrowd=0),
        dict(
            id=4,
            image_id=201,
            video_id=20,
            track_id=1,
            category_id=9,
            bbox=[0, 0, 30, 30],
            area=900,
            iscrowd=1),
        dict(
            id=5,
            image_id=201,
            video_id=20,
            track_id=0,
            category_id=9,
            bbox=[40, 0, 30, 30],
            area=900,
            iscrowd=0),
    ]
    tracks = [
        dict(id=1, category_id=5, video_id=10),
        dict(id=2, category_id=2, video_id=10)
    ]
    with open(path, 'w') as f:
        json.dump(
            dict(
                videos=videos,
                images=images,
                annotations=anns,
                tracks=tracks,
                categories=CATS), f)
    return str(path)


def test_classes_labels_frequencies_and_split(tmp_path):
    ds = TAODataset(
        ann_file=_tao_json(tmp_path / 'tao.json'), test_mode=True, pipeline=[])
    m = ds.metainfo
    assert m['classes'] == ('zebra', 'aardvark', 'mug', 'unused')  # file order
    assert m['frequencies'] == ('f', 'r', 'c', 'r')
    assert m['novel_classes'] == ('aardvark', 'unused')
    assert m['base_classes'] == ('zebra', 'mug')
    v1 = ds.get_data_info(0)
    labels = {
        i['bbox']: i['bbox_label']
        for f in v1['images']
        for i in [dict(x, bbox=tuple(x['bbox'])) for x in f['instances']]
    }
    assert labels[(50, 40, 60, 50)] == 1 and labels[(10, 10, 30, 40)] == 0


def test_frames_sorted_and_track_ids_unique_across_videos(tmp_path):
    ds = TAODataset(
        ann_file=_tao_json(tmp_path / 'tao.json'),
        test_mode=True,
        pipeline=[],
        data_prefix=dict(img_path='frames'))
    assert len(ds) == 2
    v1, v2 = ds.get_data_info(0), ds.get_data_info(1)
    assert [f['img_id'] for f in v1['images']] == [101, 102, 103]
    assert [f['frame_id'] for f in v1['images']] == [0, 1, 2]
    assert [f['frame_index'] for f in v1['images']] == [30, 60, 90]
    assert v1['images'][0]['img_path'] == 'frames/val/A/v1/f30.jpg'
    assert v1['video_length'] == 3 and v1['images'][2]['instances'] == []
    ids = [[i['instance_id'] for i in f['instances']] for f in v1['images']]
    assert ids[0][0] == ids[1][0]  # track 1 in both frames
    assert ids[1][0] != ids[1][1]
    v2_ids = [i['instance_id'] for i in v2['images'][0]['instances']]
    assert len(set(v2_ids)) == 2 and not set(v2_ids) & {ids[0][0], ids[1][1]}
    # the crowd box is kept as an ignored instance; track id 0 is a real id
    flags = sorted(i['ignore_flag'] for i in v2['images'][0]['instances'])
    assert flags == [0, 1]


def test_training_frame_filter(tmp_path):
    ann = _tao_json(tmp_path / 'tao.json')
    # filter_cfg=None keeps every frame (clip sampling needs the frame rate)
    ds = TAODataset(ann_file=ann, pipeline=[])
    assert [v['video_length']
            for v in map(ds.get_data_info, range(len(ds)))] == [3, 1]
    ds = TAODataset(
        ann_file=ann, pipeline=[], filter_cfg=dict(filter_empty_gt=True))
    assert [f['img_id'] for f in ds.get_data_info(0)['images']] == [101, 102]
    with pytest.raises(
            ValueError, match='no frame of'):  # all frames are 100 x 80
        TAODataset(
            ann_file=ann,
            pipeline=[],
            filter_cfg=dict(filter_empty_gt=False, min_size=81))


def test_class_subset_relabels_and_unknown_class_errors(tmp_path):
    ann = _tao_json(tmp_path / 'tao.json')
    ds = TAODataset(
        ann_file=ann,
        metainfo=dict(classes=('mug', 'zebra')),
        test_mode=True,
        pipeline=[])
    assert ds.metainfo['classes'] == ('mug', 'zebra')
    assert ds.metainfo['frequencies'] == (
        'c', 'f') and ds.metainfo['novel_classes'] == ()
    v1 = ds.get_data_info(0)
    assert [len(f['instances'])
            for f in v1['images']] == [1, 1, 0]  # aardvark dropped
    assert v1['images'][0]['instances'][0]['bbox_label'] == 1
    with pytest.raises(ValueError, match='giraffe'):
        TAODataset(
            ann_file=ann, metainfo=dict(classes=('giraffe', )), pipeline=[])
    with pytest.raises(FileNotFoundError, match='missing.json'):
        TAODataset(ann_file=str(tmp_path / 'missing.json'), pipeline=[])


def test_test_mode_frame_by_frame_with_track_img_sampler(tmp_path):
    pipeline = [
        dict(
            type='TransformBroadcaster',
            transforms=[dict(type='LoadTrackAnnotations')]),
        dict(type='PackClipInputs')
    ]
    ds = OVTBDataset(
        ann_file=_tao_json(tmp_path / 'ovtb_ann.json'),
        test_mode=True,
        pipeline=pipeline)
    sampler = TrackImgSampler(ds, seed=0)
    order = list(iter(sampler))
    assert order == [(0, 0), (0, 1), (0, 2), (1, 0)]
    frame_ids = []
    for idx in order:
        out = ds[idx]
        samples = out['data_samples'].video_data_samples
        assert len(samples) == 1
        frame_ids.append(
            (samples[0].video_id, samples[0].frame_id, samples[0].img_id,
             len(samples[0].gt_instances), len(samples[0].ignored_instances)))
    assert frame_ids == [(10, 0, 101, 1, 0), (10, 1, 102, 2, 0),
                         (10, 2, 103, 0, 0), (20, 0, 201, 1, 1)]


def test_class_list_labels_by_name_like_masa(tmp_path, monkeypatch):
    """Label i is class_list[i] (the detector's class order); on a file that
    lists the same categories in another order the label still names the
    class, and a warning says MASA (file order) would map it elsewhere."""
    import scaletrack.datasets.tao_dataset as tao_module
    logged = []
    monkeypatch.setattr(tao_module, 'print_log',
                        lambda msg, *a, **k: logged.append(msg))
    ann = _tao_json(tmp_path / 'tao.json')
    ds = TAODataset(
        ann_file=ann,
        test_mode=True,
        pipeline=[],
        class_list=('aardvark', 'mug', 'zebra'))
    assert ds.metainfo['classes'] == ('aardvark', 'mug', 'zebra')
    assert ds.metainfo['frequencies'] == ('r', 'c', 'f')
    v1 = ds.get_data_info(0)
    labels = {
        tuple(i['bbox']): i['bbox_label']
        for f in v1['images']
        for i in f['instances']
    }
    # category 2 'aardvark' -> 0, category 5 'zebra' -> 2
    assert labels[(50, 40, 60, 50)] == 0 and labels[(10, 10, 30, 40)] == 2
    # MASA: get_cat_ids(cat_names=...) keeps file order zebra, aardvark, mug
    assert len(logged) == 1
    assert 'label 0 is "aardvark" here' in logged[0]
    assert '"zebra" in MASA' in logged[0]
    # same order as the file: labels equal MASA's, nothing logged
    logged.clear()
    same = TAODataset(
        ann_file=ann,
        test_mode=True,
        pipeline=[],
        class_list=('zebra', 'aardvark', 'mug'))
    assert same.metainfo['classes'] == ('zebra', 'aardvark', 'mug')
    assert logged == []
    with pytest.raises(ValueError, match='not both'):
        TAODataset(
            ann_file=ann,
            test_mode=True,
            pipeline=[],
            class_list=('mug', ),
            metainfo=dict(classes=('mug', )))
    with pytest.raises(ValueError, match=r"\['okapi'\].*not categories"):
        TAODataset(
            ann_file=ann,
            test_mode=True,
            pipeline=[],
            class_list=('mug', 'okapi'))
    with pytest.raises(ValueError, match='lvis_v2.*unknown'):
        TAODataset(
            ann_file=ann, test_mode=True, pipeline=[], class_list='lvis_v2')


def test_named_lvis_class_lists():
    """'lvis_v1' / 'lvis_v05' are the LVIS categories by id: v1 starts
    aerosol_can, air_conditioner (1203 classes), v0.5 acorn, aerosol_can
    (1230), the orders the issue quotes."""
    from scaletrack.datasets.tao_dataset import named_class_list
    v1, v05 = named_class_list('lvis_v1'), named_class_list('lvis_v05')
    assert len(v1) == 1203 and v1[:2] == ('aerosol_can', 'air_conditioner')
    assert len(v05) == 1230 and v05[:2] == ('acorn', 'aerosol_can')


def test_coco_classes_map_to_tao_categories_by_synset(tmp_path):
    """A COCO detector's labels on TAO: label i (mmdet's COCO class i) is the
    TAO category with the synset that TAO's coco_to_lvis_synset.json gives
    class i, not the category that happens to share a name or position."""
    from mmdet.datasets import CocoDataset
    coco = CocoDataset.METAINFO['classes']
    # TAO categories carry LVIS synsets; names differ from COCO's
    cats = [
        dict(id=40, name='car_(automobile)', synset='car.n.01', frequency='f'),
        dict(id=3, name='person', synset='person.n.01', frequency='f'),
        dict(id=77, name='aerosol_can', synset='aerosol.n.02', frequency='c')
    ]
    ann = json.load(open(_tao_json(tmp_path / 'tao.json')))
    ann['categories'] = cats
    for a in ann['annotations']:
        a['category_id'] = 40 if a['category_id'] == 5 else 3
    ann['tracks'] = []
    ann_file = tmp_path / 'tao_synset.json'
    ann_file.write_text(json.dumps(ann))
    # TAO's mapping file format: {coco name: {coco_cat_id, meaning, synset}}
    synsets = {
        name:
        dict(
            coco_cat_id=i + 1,
            meaning='-',
            synset=f'{name}.n.01'.replace(' ', '_'))
        for i, name in enumerate(coco)
    }
    synsets['car']['synset'] = 'car.n.01'
    mapping = tmp_path / 'coco_to_lvis_synset.json'
    mapping.write_text(
        json.dumps({
            k: v
            for k, v in synsets.items() if k in ('person', 'car')
        }))
    ds = TAODataset(
        ann_file=str(ann_file),
        class_list=['person', 'car'],
        class_synsets=str(mapping),
        test_mode=True,
        pipeline=[])
    assert ds.metainfo['classes'] == ('person', 'car_(automobile)')
    assert ds.cat_ids == [3, 40]
    labels = {
        tuple(i['bbox']): i['bbox_label']
        for f in ds.get_data_info(0)['images']
        for i in f['instances']
    }
    assert labels[(10, 10, 30, 40)] == 1  # category 40 = COCO 'car' = label 1
    assert labels[(50, 40, 60, 50)] == 0  # category 3 = COCO 'person'
    # the whole COCO list: 'bicycle' has no entry in this mapping file
    with pytest.raises(ValueError, match=r'no synset for class "bicycle"'):
        TAODataset(
            ann_file=str(ann_file),
            class_list='coco',
            class_synsets=str(mapping),
            test_mode=True,
            pipeline=[])
    # a synset the annotation file lacks names both files
    mapping.write_text(
        json.dumps(
            dict(
                person=dict(synset='person.n.01'),
                car=dict(synset='auto.n.99'))))
    with pytest.raises(
            ValueError, match=r'no category has the synset "auto.n.99"'):
        TAODataset(
            ann_file=str(ann_file),
            class_list=['person', 'car'],
            class_synsets=str(mapping),
            test_mode=True,
            pipeline=[])
    from scaletrack.datasets.tao_dataset import named_class_list
    assert named_class_list('coco') == tuple(coco) and len(coco) == 80
