"""mot_to_cocovid.py on generated seqinfo.ini / gt.txt, read back by
MOTChallengeVideoDataset."""
import importlib.util
import os.path as osp

import pytest

from scaletrack.datasets import MOTChallengeVideoDataset

SCRIPT = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
    'mot_to_cocovid.py')


@pytest.fixture(scope='module')
def conv():
    spec = importlib.util.spec_from_file_location('mot_to_cocovid', SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _seq(root, name, length, rows=None, w=1280, h=720):
    d = root / name
    (d / 'img1').mkdir(parents=True)
    (d / 'seqinfo.ini').write_text(
        f'[Sequence]\nname={name}\nimDir=img1\nframeRate=25\n'
        f'seqLength={length}\n'
        f'imWidth={w}\nimHeight={h}\nimExt=.jpg\n')
    if rows is not None:
        (d / 'gt').mkdir()
        (d / 'gt' / 'gt.txt').write_text('\n'.join(','.join(map(str, r))
                                                   for r in rows) + '\n')


def _split(tmp_path):
    root = tmp_path / 'val'
    # SportsMOT-like: ids start at 0
    _seq(root, 'basket_1', 3,
         [[1, 0, 10, 20, 30, 40, 1, 1, 1], [2, 0, 12, 20, 30, 40, 1, 1, 1],
          [1, 1, 100, 20, 30, 40, 1, 1, 1], [3, 1, 102, 22, 30, 40, 1, 1, 1]])
    # several classes, a not-considered box, a distractor class and an
    # unmapped class
    _seq(root, 'street_2', 2,
         [[1, 5, 1, 1, 10, 10, 1, 1, 0.8], [1, 6, 50, 50, 20, 10, 1, 3, 1.0],
          [2, 5, 2, 1, 10, 10, 0, 1, 0.3], [2, 9, 70, 70, 5, 5, 1, 7, 1.0],
          [2, 11, 90, 90, 5, 5, 1, 4, 1.0]])
    _seq(root, 'test_3', 2)  # no gt: test set
    return str(root)


def test_converter_rules(tmp_path, conv):
    seqs = conv.find_sequences(_split(tmp_path))
    out = conv.convert(
        seqs, conv.parse_class_map('1=player,3=car'), ignore_classes=[7])
    assert out['categories'] == [
        dict(id=1, name='player'),
        dict(id=2, name='car')
    ]
    assert [v['name']
            for v in out['videos']] == ['basket_1', 'street_2', 'test_3']
    assert len(out['images']) == 3 + 2 + 2
    img = {i['id']: i for i in out['images']}
    first = out['images'][0]
    assert first['file_name'] == 'basket_1/img1/000001.jpg' and first[
        'frame_id'] == 0
    assert first['mot_frame_id'] == 1 and (first['width'],
                                           first['height']) == (1280, 720)
    anns = out['annotations']
    assert out['dropped_classes'] == {4: 1}
    by = {
        (img[a['image_id']]['file_name'], a['mot_instance_id']): a
        for a in anns
    }
    # id 0 is a real identity, frames 1-based -> images of frames 1 and 2
    a0, a0b = by[('basket_1/img1/000001.jpg',
                  0)], by[('basket_1/img1/000002.jpg', 0)]
    assert a0['instance_id'] == a0b['instance_id']
    assert a0['instance_id'] != by[('basket_1/img1/000001.jpg',
                                    1)]['instance_id']
    assert a0['bbox'] == [10.0, 20.0, 30.0, 40.0] and a0['area'] == 1200.0
    # ids unique across sequences (street_2 id 5 vs basket ids)
    assert len({a['instance_id'] for a in anns}) == 5
    car = by[('street_2/img1/000001.jpg', 6)]
    assert car['category_id'] == 2 and car['iscrowd'] == 0
    off = by[('street_2/img1/000002.jpg', 5)]
    assert off['iscrowd'] == 1 and off['mot_conf'] == 0 and off[
        'visibility'] == 0.3
    distractor = by[('street_2/img1/000002.jpg', 9)]
    assert distractor['iscrowd'] == 1 and distractor['category_id'] == 1


def test_half_val_split_and_dataset(tmp_path, conv):
    root = tmp_path / 'train'
    rows = [[f, 1, 10 * f, 10, 20, 20, 1, 1, 0.1 * f] for f in range(1, 6)]
    _seq(root, 'MOT17-02-FRCNN', 5, rows)
    _seq(root, 'MOT17-02-SDP', 5, [[1, 1, 10, 10, 20, 20, 1, 1, 1.0]])
    dst = str(tmp_path / 'half-val.json')
    conv.main([
        '-i',
        str(root), '-o', dst, '--split', 'half-val', '--seq-filter', 'FRCNN'
    ])
    ds = MOTChallengeVideoDataset(
        ann_file=dst,
        data_prefix=dict(img_path=str(root)),
        test_mode=True,
        pipeline=[])
    assert len(ds) == 1 and ds.metainfo['classes'] == ('pedestrian', )
    frames = ds.get_data_info(0)['images']
    # ByteTrack's half-val: 0-based frames 5//2+1 .. 4 = MOT frames 4 and 5
    assert [f['mot_frame_id'] for f in frames] == [4, 5]
    assert [f['frame_id'] for f in frames] == [0, 1]
    assert frames[0]['img_path'] == osp.join(
        str(root), 'MOT17-02-FRCNN/img1/000004.jpg')
    inst = frames[0]['instances'][0]
    assert inst['bbox'] == [40.0, 10.0, 60.0, 30.0]
    assert inst['visibility'] == pytest.approx(0.4) and inst['mot_conf'] == 1.0
    # training drops boxes below the visibility threshold
    train = MOTChallengeVideoDataset(
        ann_file=dst, visibility_thr=0.45, pipeline=[])
    assert [len(f['instances'])
            for f in train.get_data_info(0)['images']] == [0, 1]


def test_errors_name_the_file(tmp_path, conv):
    root = tmp_path / 'x'
    (root / 'seqA').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='seqinfo.ini'):
        conv.convert(conv.find_sequences(str(root)), {1: 'pedestrian'})
    _seq(tmp_path / 'y', 'seqB', 2, [[3, 1, 1, 1, 5, 5, 1, 1, 1]])
    with pytest.raises(ValueError, match='gt.txt'):
        conv.convert(
            conv.find_sequences(str(tmp_path / 'y')), {1: 'pedestrian'})
    with pytest.raises(ValueError, match='class-map'):
        conv.parse_class_map('pedestrian')
