"""bdd100k_to_cocovid.py on generated Scalabel files, read back by
BDD100KMOTDataset."""
import importlib.util
import json
import os
import os.path as osp

import pytest

from scaletrack.datasets import BDD100K_MOT_CLASSES, BDD100KMOTDataset

SCRIPT = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
    'bdd100k_to_cocovid.py')


@pytest.fixture(scope='module')
def conv():
    spec = importlib.util.spec_from_file_location('bdd100k_to_cocovid', SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _label(id_, cat, x1, y1, x2, y2, **attrs):
    return dict(
        id=id_,
        category=cat,
        attributes=dict(
            dict(occluded=False, truncated=False, crowd=False), **attrs),
        box2d=dict(x1=x1, y1=y1, x2=x2, y2=y2))


def _write(tmp_path):
    d = tmp_path / 'labels'
    d.mkdir()
    v1 = [  # frames listed out of order
        dict(
            name='v1-0000002.jpg',
            videoName='v1',
            frameIndex=1,
            labels=[
                _label('1', 'pedestrian', 10, 20, 19, 59),
                _label('2', 'car', 100, 100, 199, 149),
                _label('3', 'other person', 300, 300, 309, 339),
                _label('4', 'trailer', 400, 100, 499, 199),
                _label('5', 'car', 500, 500, 599, 549, crowd=True),
                _label('6', 'traffic light', 600, 10, 609, 29)
            ]),
        dict(
            name='v1-0000001.jpg',
            videoName='v1',
            frameIndex=0,
            labels=[_label('1', 'pedestrian', 12, 20, 21, 59)]),
    ]
    v2 = [
        dict(
            name='v2-0000001.jpg',
            videoName='v2',
            frameIndex=0,
            labels=[_label('1', 'bicycle', 50, 60, 69, 99)])
    ]
    (d / 'v1.json').write_text(json.dumps(v1))
    (d / 'v2.json').write_text(json.dumps(v2))
    return str(d)


def test_converter_rules(tmp_path, conv):
    out = conv.convert(conv.find_label_files(_write(tmp_path)))
    assert [c['name'] for c in out['categories']] == list(BDD100K_MOT_CLASSES)
    assert [c['id'] for c in out['categories']] == list(range(1, 9))
    cat = {c['id']: c['name'] for c in out['categories']}
    img = {i['id']: i for i in out['images']}
    anns = {
        (img[a['image_id']]['file_name'], a['bbox'][0]): a
        for a in out['annotations']
    }
    assert len(out['annotations']) == 7  # the traffic light is dropped
    assert out['dropped'] == {'traffic light': 1}
    ped = anns[('v1/v1-0000002.jpg', 10.0)]
    # Scalabel's inclusive pixels: x2 - x1 + 1
    assert ped['bbox'] == [10.0, 20.0, 10.0, 40.0] and ped['area'] == 400.0
    assert cat[ped['category_id']] == 'pedestrian' and ped['iscrowd'] == 0
    other = anns[('v1/v1-0000002.jpg', 300.0)]
    trailer = anns[('v1/v1-0000002.jpg', 400.0)]
    crowd = anns[('v1/v1-0000002.jpg', 500.0)]
    assert (cat[other['category_id']], other['iscrowd'],
            other['ignore']) == ('pedestrian', 1, 1)
    assert (cat[trailer['category_id']], trailer['iscrowd']) == ('truck', 1)
    assert (cat[crowd['category_id']], crowd['iscrowd']) == ('car', 1)
    # string ids -> int ids: same in both frames of v1, different from v2's "1"
    ped0 = anns[('v1/v1-0000001.jpg', 12.0)]
    bike = anns[('v2/v2-0000001.jpg', 50.0)]
    assert ped0['instance_id'] == ped['instance_id'] == ped['track_id']
    assert bike['instance_id'] != ped['instance_id']
    assert len({a['instance_id'] for a in out['annotations']}) == 6
    # frameIndex -> frame_id
    assert img[ped['image_id']]['frame_id'] == 1 and img[
        ped0['image_id']]['frame_id'] == 0
    assert all((i['width'], i['height']) == (1280, 720) for i in out['images'])


def test_cli_output_read_by_dataset(tmp_path, conv):
    dst = str(tmp_path / 'ann' / 'bdd.json')
    conv.main(['-i', _write(tmp_path), '-o', dst])
    assert os.listdir(osp.dirname(dst)) == ['bdd.json']  # no temp file left
    ds = BDD100KMOTDataset(
        ann_file=dst,
        data_prefix=dict(img_path='imgs'),
        test_mode=True,
        pipeline=[
            dict(
                type='TransformBroadcaster',
                transforms=[dict(type='LoadTrackAnnotations')]),
            dict(type='PackClipInputs')
        ])
    assert ds.metainfo['classes'] == BDD100K_MOT_CLASSES and len(ds) == 2
    v1 = ds.get_data_info(0)
    assert [f['img_path'] for f in v1['images']
            ] == ['imgs/v1/v1-0000001.jpg', 'imgs/v1/v1-0000002.jpg']
    sample = ds[(0, 1)]['data_samples'].video_data_samples[0]
    assert sorted(sample.gt_instances.labels.tolist()) == [0, 2
                                                           ]  # pedestrian, car
    assert len(sample.ignored_instances) == 3
    assert sorted(sample.ignored_instances.labels.tolist()) == [0, 2, 3]


def test_missing_input_is_named(tmp_path, conv):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        conv.find_label_files(str(tmp_path / 'nowhere'))
    bad = tmp_path / 'bad.json'
    bad.write_text('[{')
    with pytest.raises(ValueError, match='bad.json'):
        conv.convert([str(bad)])


def test_name_mapping_of_bdd100k(tmp_path, conv):
    """bdd100k's configs/box_track.toml name_mapping: person, van, caravan,
    bike, motor are the classes pedestrian, car, car, bicycle, motorcycle."""
    labels = [
        _label(str(i), c, 10 * i, 0, 10 * i + 5, 9)
        for i, c in enumerate(['person', 'van', 'caravan', 'bike', 'motor'])
    ]
    f = tmp_path / 'v.json'
    f.write_text(
        json.dumps(
            [dict(name='v-1.jpg', videoName='v', frameIndex=0,
                  labels=labels)]))
    out = conv.convert([str(f)])
    cat = {c['id']: c['name'] for c in out['categories']}
    got = [
        cat[a['category_id']]
        for a in sorted(out['annotations'], key=lambda a: a['bbox'][0])
    ]
    assert got == ['pedestrian', 'car', 'car', 'bicycle', 'motorcycle']
    assert out['dropped'] == {}


@pytest.mark.parametrize('box,msg', [
    (dict(x1=10, y1=10, x2=5, y2=20), 'negative size'),
    (dict(x1=10, y1=10, x2=20, y2=float('nan')), 'not finite'),
])
def test_invalid_box_is_an_error_and_nothing_is_written(
        tmp_path, conv, box, msg):
    """Before: bbox [10, 10, -4, null] was written. Now an error naming the
    file, video, frame and label, and no output file."""
    lab = dict(id='7', category='car', attributes={}, box2d=box)
    f = tmp_path / 'v.json'
    f.write_text(
        json.dumps(
            [dict(name='v-1.jpg', videoName='v', frameIndex=3, labels=[lab])],
            allow_nan=True))
    dst = tmp_path / 'out.json'
    with pytest.raises(ValueError, match=msg) as err:
        conv.convert([str(f)])
    assert 'v.json' in str(err.value) and "'7'" in str(err.value)
    assert conv.main(['-i', str(f), '-o', str(dst)]) == 1
    assert not dst.exists()


def test_published_coco_conversion_read_by_dataset(tmp_path):
    """The COCO conversion that scalabel / bdd100k (``to_coco``) and MASA
    publish: ``instance_id`` and ``scalabel_id``, no ``track_id``; images
    with ``frame_id``. Identities come from ``instance_id``."""
    ann = dict(
        videos=[dict(id=1, name='v1')],
        images=[
            dict(
                id=i + 1,
                video_id=1,
                frame_id=i,
                width=1280,
                height=720,
                file_name=f'v1/v1-{i + 1:07d}.jpg') for i in range(2)
        ],
        categories=[
            dict(id=i + 1, name=n) for i, n in enumerate(BDD100K_MOT_CLASSES)
        ],
        annotations=[
            dict(
                id=k + 1,
                image_id=img,
                category_id=3,
                instance_id=iid,
                scalabel_id=sid,
                iscrowd=0,
                ignore=0,
                bbox=[10.0 * iid, 10.0, 20.0, 20.0],
                area=400.0)
            for k, (img, iid,
                    sid) in enumerate([(1, 5,
                                        'a1'), (1, 9,
                                                'b2'), (2, 9,
                                                        'b2'), (2, 5, 'a1')])
        ])
    path = tmp_path / 'published.json'
    path.write_text(json.dumps(ann))
    ds = BDD100KMOTDataset(
        ann_file=str(path),
        data_prefix=dict(img_path=''),
        test_mode=True,
        pipeline=[])
    frames = ds.get_data_info(0)['images']
    by_x = [{
        i['bbox'][0]: i['instance_id']
        for i in f['instances']
    } for f in frames]
    assert by_x[0] == by_x[1] and len(set(by_x[0].values())) == 2
