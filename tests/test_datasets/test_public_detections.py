"""Public-detection readers and LoadPublicDetections on files written here in
the real formats (MASA .pth pickles, TAO results JSON, MOTChallenge det.txt).
"""
import collections
import json
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from scaletrack.datasets.public_detections import (MASADetections,
                                                   MOTDetDetections,
                                                   TAOResultDetections,
                                                   load_box_file)
from scaletrack.datasets.restricted_unpickler import UnsafePickleError
from scaletrack.datasets.transforms.load_public_detections import \
    LoadPublicDetections


def save_pth(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(obj, path)


# ---------------------------------------------------------------- box files
def test_load_box_file_nx5_tensors(tmp_path):
    path = str(tmp_path / 'f.pth')
    det = torch.tensor([[1.0, 2.0, 11.0, 22.0, 0.75], [5, 6, 7, 8, 0.5]])
    save_pth(
        path,
        dict(
            det_bboxes=det,
            det_labels=torch.tensor([4, 0]),
            det_masks=[None, None]))
    out = load_box_file(path)
    assert out['bboxes'].dtype == np.float32 and out['bboxes'].shape == (2, 4)
    np.testing.assert_array_equal(out['bboxes'],
                                  [[1, 2, 11, 22], [5, 6, 7, 8]])
    np.testing.assert_allclose(out['scores'], [0.75, 0.5])
    assert out['scores'].dtype == np.float32
    assert out['labels'].dtype == np.int64
    assert out['labels'].tolist() == [4, 0]


def test_load_box_file_nx4_numpy_without_labels(tmp_path):
    path = str(tmp_path / 'f.pth')
    save_pth(path, dict(det_bboxes=np.array([[0, 0, 3, 4]], np.float64)))
    out = load_box_file(path)
    assert out['scores'].tolist() == [1.0]  # N x 4 means score 1
    assert out['labels'].tolist() == [0]
    np.testing.assert_array_equal(out['bboxes'], [[0, 0, 3, 4]])


def test_load_box_file_empty(tmp_path):
    path = str(tmp_path / 'f.pth')
    save_pth(
        path,
        dict(
            det_bboxes=torch.zeros(0, 5),
            det_labels=torch.zeros(0, dtype=torch.long)))
    out = load_box_file(path)
    assert out['bboxes'].shape == (0, 4) and out['scores'].shape == (0, )
    assert out['labels'].shape == (0, )


def test_load_box_file_errors(tmp_path):
    missing = str(tmp_path / 'nope' / 'f.pth')
    with pytest.raises(FileNotFoundError, match='nope'):
        load_box_file(missing)
    corrupt = tmp_path / 'corrupt.pth'
    corrupt.write_bytes(b'\x00not a pickle at all')
    with pytest.raises(ValueError, match='corrupt.pth'):
        load_box_file(str(corrupt))
    bad_shape = str(tmp_path / 'shape.pth')
    save_pth(bad_shape, dict(det_bboxes=torch.zeros(3, 3)))
    with pytest.raises(ValueError, match=r'shape.pth.*N x 5'):
        load_box_file(bad_shape)
    bad_labels = str(tmp_path / 'labels.pth')
    save_pth(bad_labels,
             dict(det_bboxes=torch.ones(3, 5), det_labels=torch.zeros(2)))
    with pytest.raises(ValueError, match='labels.pth'):
        load_box_file(bad_labels)
    no_key = str(tmp_path / 'nokey.pth')
    save_pth(no_key, dict(boxes=torch.ones(3, 5)))
    with pytest.raises(ValueError, match='det_bboxes'):
        load_box_file(no_key)


def save_pickle(path, obj, protocol=pickle.DEFAULT_PROTOCOL):
    """Write a box file as MASA does (``pickle.dump``, not torch.save)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=protocol)


BOXES5 = [[1.0, 2.0, 11.0, 22.0, 0.75], [5.0, 6.0, 7.0, 8.0, 0.5]]


@pytest.mark.parametrize('protocol', [2, 4, 5])
@pytest.mark.parametrize('kind', ['numpy', 'tensor', 'list'])
def test_load_box_file_masa_plain_pickle(tmp_path, kind, protocol):
    """MASA's files: pickle.dump of a dict; N x 5 with labels, N x 4
    without (score 1, label 0)."""
    conv = dict(
        numpy=np.array, tensor=torch.tensor,
        list=lambda v, dtype=None: v)[kind]
    path = str(tmp_path / 'v' / '00000.pth')
    save_pickle(
        path,
        dict(
            det_bboxes=conv(
                BOXES5, dtype=np.float32 if kind == 'numpy' else None),
            det_labels=conv([4, 0])), protocol)
    with open(path, 'rb') as f:  # really a plain pickle, no zip archive
        assert f.read(2) == b'\x80' + bytes([protocol])
    out = load_box_file(path)
    np.testing.assert_array_equal(out['bboxes'],
                                  [[1, 2, 11, 22], [5, 6, 7, 8]])
    np.testing.assert_allclose(out['scores'], [0.75, 0.5])
    assert out['labels'].tolist() == [4, 0]
    assert out['bboxes'].dtype == np.float32
    assert out['labels'].dtype == np.int64
    nx4 = str(tmp_path / 'v' / '00001.pth')
    save_pickle(nx4, dict(det_bboxes=conv([b[:4] for b in BOXES5])), protocol)
    out = load_box_file(nx4)
    assert out['scores'].tolist() == [1.0, 1.0]
    assert out['labels'].tolist() == [0, 0]
    np.testing.assert_array_equal(out['bboxes'][1], [5, 6, 7, 8])


def test_load_box_file_numpy1_pickles(tmp_path):
    """Files written under numpy 1.x name ``numpy.core.multiarray`` (numpy
    2 writes ``numpy._core``); both are admitted."""
    data = pickle.dumps(
        dict(
            det_bboxes=np.array(BOXES5, np.float32),
            det_labels=np.array([4, 0])),
        protocol=2)
    assert b'numpy._core.multiarray' in data
    path = tmp_path / 'np1.pth'
    path.write_bytes(data.replace(b'numpy._core.', b'numpy.core.'))
    out = load_box_file(str(path))
    np.testing.assert_allclose(out['scores'], [0.75, 0.5])
    assert out['labels'].tolist() == [4, 0]


def test_load_box_file_torch_save_formats_by_content(tmp_path):
    """torch.save zip and legacy files, numpy values inside, any name."""
    obj = dict(
        det_bboxes=np.array(BOXES5, np.float32), det_labels=np.array([4, 0]))
    zip_path = str(tmp_path / 'zip.pkl')  # extension says nothing
    torch.save(obj, zip_path)
    legacy = str(tmp_path / 'legacy.bin')
    torch.save(
        dict(det_bboxes=torch.tensor(BOXES5)),
        legacy,
        _use_new_zipfile_serialization=False)
    assert load_box_file(zip_path)['labels'].tolist() == [4, 0]
    np.testing.assert_allclose(load_box_file(legacy)['scores'], [0.75, 0.5])


class _RunsCode:
    """Pickles as a call of os.system (what a malicious file does)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.mark.parametrize('writer', ['pickle', 'torch_zip', 'torch_legacy'])
def test_load_box_file_refuses_code(tmp_path, writer):
    marker = tmp_path / 'ran'
    path = str(tmp_path / 'evil.pth')
    obj = dict(det_bboxes=np.ones((1, 5)), det_labels=_RunsCode(marker))
    if writer == 'pickle':
        save_pickle(path, obj)
    else:
        torch.save(
            obj, path, _use_new_zipfile_serialization=writer == 'torch_zip')
    with pytest.raises(UnsafePickleError, match='evil.pth') as info:
        load_box_file(path)
    assert info.value.global_name in ('posix.system', 'nt.system')
    assert info.value.global_name in str(info.value)
    assert not marker.exists()  # refused before running anything


def test_load_box_file_refuses_other_globals(tmp_path):
    path = str(tmp_path / 'odd.pth')
    save_pickle(
        path, dict(det_bboxes=np.ones((1, 5)), extra=collections.Counter(a=1)))
    with pytest.raises(UnsafePickleError, match='collections.Counter'):
        load_box_file(path)


def test_load_box_file_scores_and_labels_checked(tmp_path):
    nan = str(tmp_path / 'nan.pth')
    save_pickle(
        nan,
        dict(det_bboxes=np.array([[0, 0, 1, 1, 0.5], [0, 0, 1, 1, np.nan]])))
    with pytest.raises(ValueError, match=r'nan.pth.*score nan of box 1'):
        load_box_file(nan)
    inf = str(tmp_path / 'inf.pth')
    save_pickle(inf, dict(det_bboxes=np.array([[0, 0, 1, 1, np.inf]])))
    with pytest.raises(ValueError, match=r'inf.pth.*not finite'):
        load_box_file(inf)
    lab = str(tmp_path / 'lab.pth')
    save_pickle(
        lab, dict(det_bboxes=np.ones((3, 5)), det_labels=np.array([0, 2, 7])))
    assert load_box_file(lab)['labels'].tolist() == [0, 2, 7]
    with pytest.raises(
            ValueError, match=r'lab.pth: label 7 of box 2 is outside'):
        load_box_file(lab, num_classes=3)
    neg = str(tmp_path / 'neg.pth')
    save_pickle(neg,
                dict(det_bboxes=np.ones((1, 5)), det_labels=np.array([-1])))
    with pytest.raises(ValueError, match=r'neg.pth: label -1'):
        load_box_file(neg)
    # boxes are not clipped nor dropped by the loader
    far = str(tmp_path / 'far.pth')
    save_pickle(far, dict(det_bboxes=np.array([[-5, -5, 1e6, np.inf]])))
    assert load_box_file(far)['bboxes'][0, 2] == 1e6
    ragged = str(tmp_path / 'ragged.pth')
    save_pickle(ragged, dict(det_bboxes=[[0, 0, 1, 1], [0, 0]]))
    with pytest.raises(ValueError, match='ragged.pth'):
        load_box_file(ragged)
    for name, data in (('empty.pth', b''),
                       ('cut.pth',
                        pickle.dumps(dict(det_bboxes=np.ones((4, 5))))[:40])):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=name):
            load_box_file(str(tmp_path / name))


# -------------------------------------------------------------------- MASA
def make_masa(tmp_path):
    img_root = tmp_path / 'frames'
    det_root = tmp_path / 'detections'
    save_pth(
        str(det_root / 'vid_a' / '00000.pth'),
        dict(
            det_bboxes=torch.tensor([[1.0, 1, 9, 9, 0.9]]),
            det_labels=torch.tensor([2])))
    save_pth(
        str(det_root / 'vid_a' / '00001.pth'),
        dict(det_bboxes=np.array([[2.0, 2, 8, 8]], np.float32)))
    return str(img_root), str(det_root)


def test_masa_reader(tmp_path):
    img_root, det_root = make_masa(tmp_path)
    reader = MASADetections(root=det_root, img_root=img_root)
    out = reader.get(osp.join(img_root, 'vid_a', '00000.jpg'), 'vid_a', 0, 7)
    np.testing.assert_array_equal(out['bboxes'], [[1, 1, 9, 9]])
    assert out['labels'].tolist() == [2]
    out = reader.get(osp.join(img_root, 'vid_a', '00001.jpg'))
    assert out['scores'].tolist() == [1.0]
    with pytest.raises(FileNotFoundError, match=r'00002\.pth'):
        reader.get(osp.join(img_root, 'vid_a', '00002.jpg'))
    lenient = MASADetections(det_root, img_root, missing='empty')
    out = lenient.get(osp.join(img_root, 'vid_a', '00002.jpg'))
    assert out['bboxes'].shape == (0, 4)
    with pytest.raises(ValueError, match='not under img_root'):
        reader.get(str(tmp_path / 'elsewhere' / 'x.jpg'))
    with pytest.raises(ValueError, match='missing'):
        MASADetections(det_root, img_root, missing='skip')


# --------------------------------------------------------------------- TAO
def make_tao(tmp_path):
    ann = dict(
        images=[
            dict(id=i, video_id=1, file_name=f'v/{i}.jpg', frame_index=i)
            for i in (10, 11, 12)
        ],
        categories=[dict(id=5, name='cat'),
                    dict(id=9, name='dog')])
    results = [
        dict(
            image_id=11,
            video_id=1,
            category_id=9,
            bbox=[10, 20, 30, 40],
            score=0.8,
            track_id=3),
        dict(
            image_id=10,
            video_id=1,
            category_id=5,
            bbox=[1, 2, 3, 4],
            score=0.6,
            track_id=1),
        dict(
            image_id=11,
            video_id=1,
            category_id=5,
            bbox=[0, 0, 5, 5],
            score=0.4,
            track_id=4),
    ]
    ann_file, res_file = tmp_path / 'ann.json', tmp_path / 'res.json'
    ann_file.write_text(json.dumps(ann))
    res_file.write_text(json.dumps(results))
    return str(ann_file), str(res_file), results


def test_tao_results_reader(tmp_path):
    ann_file, res_file, _ = make_tao(tmp_path)
    reader = TAOResultDetections(res_file, ann_file=ann_file)
    out = reader.get('v/11.jpg', 'v', 1, 11)
    # x, y, w, h -> x1, y1, x2, y2; file order within an image is kept
    np.testing.assert_array_equal(out['bboxes'],
                                  [[10, 20, 40, 60], [0, 0, 5, 5]])
    np.testing.assert_allclose(out['scores'], [0.8, 0.4])
    assert out['labels'].tolist() == [1, 0]  # id 9 -> 1, id 5 -> 0
    assert out['labels'].dtype == np.int64
    out = reader.get(image_id=10)
    np.testing.assert_array_equal(out['bboxes'], [[1, 2, 4, 6]])
    # image 12 is in the annotation file but has no result: empty frame
    assert reader.get(image_id=12)['bboxes'].shape == (0, 4)
    with pytest.raises(FileNotFoundError, match='image id 99'):
        reader.get(image_id=99)
    lenient = TAOResultDetections(res_file, ann_file=ann_file, missing='empty')
    assert lenient.get(image_id=99)['scores'].shape == (0, )
    with pytest.raises(ValueError, match='img_id'):
        reader.get('v/11.jpg', 'v', 1, None)


def test_tao_results_reader_categories_and_errors(tmp_path):
    ann_file, res_file, results = make_tao(tmp_path)
    # explicit class order; without ann_file, image 12 is unknown -> missing
    reader = TAOResultDetections(res_file, categories=[9, 5])
    assert reader.get(image_id=11)['labels'].tolist() == [0, 1]
    with pytest.raises(FileNotFoundError, match='image id 12'):
        reader.get(image_id=12)
    with pytest.raises(ValueError, match='category_id 9'):
        TAOResultDetections(res_file, categories=[dict(id=5)])
    dropped = TAOResultDetections(
        res_file, categories=[dict(id=5)], unknown_category='drop')
    np.testing.assert_array_equal(
        dropped.get(image_id=11)['bboxes'], [[0, 0, 5, 5]])
    with pytest.raises(ValueError, match='categories'):
        TAOResultDetections(res_file)
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps([dict(image_id=1, bbox=[0, 0, 1, 1])]))
    with pytest.raises(ValueError, match='bad.json'):
        TAOResultDetections(str(bad), categories=[5])
    broken = tmp_path / 'broken.json'
    broken.write_text('[{"image_id": 1,')
    with pytest.raises(ValueError, match='broken.json'):
        TAOResultDetections(str(broken), categories=[5])
    with pytest.raises(FileNotFoundError, match='absent.json'):
        TAOResultDetections(str(tmp_path / 'absent.json'), categories=[5])


# --------------------------------------------------------------------- MOT
def make_mot(tmp_path, seqinfo=True):
    seq = tmp_path / 'mot' / 'SEQ-01'
    (seq / 'det').mkdir(parents=True)
    (seq / 'img1').mkdir()
    # frame, id, x, y, w, h, score, x, y, z  (MOT17 layout, 1-based frames)
    (seq / 'det' / 'det.txt').write_text('3,-1,100.5,50,20,40,0.9,-1,-1,-1\n'
                                         '1,-1,10,20,30,40,0.7,-1,-1,-1\n'
                                         '1,-1,0,0,5,5,0.2,-1,-1,-1\n')
    if seqinfo:
        (seq / 'seqinfo.ini').write_text(
            '[Sequence]\nname=SEQ-01\nimDir=img1\nframeRate=25\n'
            'seqLength=4\nimWidth=640\nimHeight=480\nimExt=.jpg\n')
    return str(tmp_path / 'mot'), str(seq / 'img1')


def test_mot_det_reader(tmp_path):
    root, img_dir = make_mot(tmp_path)
    reader = MOTDetDetections(root)
    # frame index 0 (our 0-based frame_id) is MOT frame 1
    out = reader.get(osp.join(img_dir, '000001.jpg'), 'SEQ-01', 0, None)
    np.testing.assert_array_equal(out['bboxes'],
                                  [[10, 20, 40, 60], [0, 0, 5, 5]])
    np.testing.assert_allclose(out['scores'], [0.7, 0.2])
    assert out['labels'].tolist() == [0, 0]
    # sequence name taken from the MOTChallenge path when not given
    out = reader.get(osp.join(img_dir, '000003.jpg'), None, 2, None)
    np.testing.assert_allclose(out['bboxes'], [[100.5, 50, 120.5, 90]])
    # frames 2 and 4 exist (seqLength=4) without detections: empty
    assert reader.get(None, 'SEQ-01', 1)['bboxes'].shape == (0, 4)
    assert reader.get(None, 'SEQ-01', 3)['bboxes'].shape == (0, 4)
    with pytest.raises(FileNotFoundError, match='no frame 5'):
        reader.get(None, 'SEQ-01', 4)
    with pytest.raises(FileNotFoundError, match='SEQ-02'):
        reader.get(None, 'SEQ-02', 0)
    lenient = MOTDetDetections(root, missing='empty', label=3)
    assert lenient.get(None, 'SEQ-01', 4)['bboxes'].shape == (0, 4)
    assert lenient.get(None, 'SEQ-02', 0)['bboxes'].shape == (0, 4)
    assert lenient.get(None, 'SEQ-01', 0)['labels'].tolist() == [3, 3]
    with pytest.raises(ValueError, match='frame index'):
        reader.get(None, 'SEQ-01', None)


def test_mot_det_reader_takes_the_frame_from_the_image_name(tmp_path):
    """A half-val split renumbers frame_id from 0 at MOT frame n//2 + 1: the
    image name, not frame_id + 1, says which det.txt rows belong to it."""
    root, img_dir = make_mot(tmp_path)
    reader = MOTDetDetections(root)
    # first frame of a split that starts at MOT frame 3 has frame_id 0
    out = reader.get(osp.join(img_dir, '000003.jpg'), 'SEQ-01', 0)
    np.testing.assert_allclose(out['bboxes'], [[100.5, 50, 120.5, 90]])
    # no frame_id at all: the name is enough
    assert reader.get(osp.join(img_dir, '000001.jpg'), None,
                      None)['scores'].tolist() == pytest.approx([0.7, 0.2])
    with pytest.raises(FileNotFoundError, match='000009.jpg'):
        reader.get(osp.join(img_dir, '000009.jpg'), None, 0)
    # a name that is not a MOTChallenge frame number falls back to frame_id
    assert reader.get(osp.join(img_dir, 'frame_a.jpg'), 'SEQ-01',
                      2)['bboxes'].shape == (1, 4)


def test_mot_det_reader_without_seqinfo_and_bad_file(tmp_path):
    root, _ = make_mot(tmp_path, seqinfo=False)
    reader = MOTDetDetections(root)
    assert reader.get(None, 'SEQ-01', 2)['bboxes'].shape == (1, 4)
    with pytest.raises(FileNotFoundError, match='frames 1..3'):
        reader.get(None, 'SEQ-01', 3)
    bad = tmp_path / 'mot' / 'SEQ-01' / 'det' / 'det.txt'
    bad.write_text('1,-1,10,20\n')
    with pytest.raises(ValueError, match='det.txt'):
        MOTDetDetections(root).get(None, 'SEQ-01', 0)


# --------------------------------------------------------------- transform
def test_transform_single_frame_and_broadcast(tmp_path):
    from mmcv.transforms import TransformBroadcaster
    from mmdet.registry import TRANSFORMS
    img_root, det_root = make_masa(tmp_path)
    cfg = dict(
        type='LoadPublicDetections',
        source=dict(type='MASADetections', root=det_root, img_root=img_root))
    t = TRANSFORMS.build(cfg)
    assert isinstance(t, LoadPublicDetections)
    frame = dict(
        img_path=osp.join(img_root, 'vid_a', '00000.jpg'),
        frame_id=0,
        img_id=3)
    out = t(frame)
    np.testing.assert_array_equal(out['public_bboxes'], [[1, 1, 9, 9]])
    assert out['public_bboxes'].dtype == np.float32
    assert out['public_scores'].dtype == np.float32
    assert out['public_labels'].dtype == np.int64
    assert out['public_labels'].tolist() == [2]

    clip = dict(
        img_path=[
            osp.join(img_root, 'vid_a', f'{i:05d}.jpg') for i in range(3)
        ],
        frame_id=[0, 1, 2],
        img_id=[3, 4, 5])
    with pytest.raises(TypeError, match='TransformBroadcaster'):
        t(dict(clip))
    lenient = LoadPublicDetections(cfg['source'], missing='empty')
    out = TransformBroadcaster(transforms=[lenient])(clip)
    assert [b.tolist() for b in out['public_bboxes']] == [[[1, 1, 9, 9]],
                                                          [[2, 2, 8, 8]], []]
    assert [s.tolist() for s in out['public_scores']] == [[pytest.approx(0.9)],
                                                          [1.0], []]
    with pytest.raises(FileNotFoundError, match='00002'):
        TransformBroadcaster(transforms=[t])(
            dict(
                img_path=list(clip['img_path']),
                frame_id=[0, 1, 2],
                img_id=[3, 4, 5]))


def test_transform_with_mot_and_tao_sources(tmp_path):
    root, img_dir = make_mot(tmp_path)
    t = LoadPublicDetections(dict(type='MOTDetDetections', root=root))
    out = t(
        dict(
            img_path=osp.join(img_dir, '000001.jpg'), frame_id=0, img_id=None))
    assert out['public_bboxes'].shape == (2, 4)
    ann_file, res_file, _ = make_tao(tmp_path)
    t = LoadPublicDetections(
        dict(
            type='TAOResultDetections', json_file=res_file, ann_file=ann_file))
    # the reader is built (and the JSON indexed) once, at construction
    os.remove(res_file)
    out = t(dict(img_path='v/11.jpg', frame_id=1, img_id=11))
    assert out['public_labels'].tolist() == [1, 0]
    out = t(dict(img_path='v/10.jpg', frame_id=0, img_id=10))
    np.testing.assert_array_equal(out['public_bboxes'], [[1, 2, 4, 6]])
    with pytest.raises(ValueError, match='conflicts'):
        LoadPublicDetections(
            dict(type='MOTDetDetections', root=root, missing='empty'),
            missing='error')
    with pytest.raises(TypeError, match='reader config'):
        LoadPublicDetections('MASADetections')


# ------------------------------------------------------------ bad input
def test_tao_results_bad_entries_name_file_and_entry(tmp_path):
    ann_file, res_file, results = make_tao(tmp_path)
    unknown = tmp_path / 'unknown.json'
    unknown.write_text(
        json.dumps(
            results +
            [dict(image_id=77, category_id=5, bbox=[0, 0, 1, 1], score=0.5)]))
    with pytest.raises(
            ValueError, match=r'unknown.json: entry 3 has image_id 77'):
        TAOResultDetections(str(unknown), ann_file=ann_file)
    # without the annotation file the id cannot be checked: it is missing
    assert TAOResultDetections(
        str(unknown),
        categories=[5, 9]).get(image_id=77)['bboxes'].shape == (1, 4)
    for bad_score in ('NaN', 'Infinity', '-Infinity'):
        text = json.dumps(results).replace('0.4', bad_score)
        path = tmp_path / 'nan.json'
        path.write_text(text)  # Python's json reads NaN / Infinity
        with pytest.raises(
                ValueError,
                match=r'nan.json: entry 2 \(image_id '
                r'11\) has score .*not finite'):
            TAOResultDetections(str(path), ann_file=ann_file)


def test_tao_results_class_list_maps_through_names(tmp_path):
    """class_list: category id -> name (annotation file) -> position in the
    class list, the TAODataset(class_list=...) label order."""
    ann_file, res_file, _ = make_tao(tmp_path)
    reader = TAOResultDetections(
        res_file, ann_file=ann_file, class_list=['dog', 'bird', 'cat'])
    assert reader.get(image_id=11)['labels'].tolist() == [0, 2]
    with pytest.raises(ValueError, match='category_id 9'):
        TAOResultDetections(res_file, ann_file=ann_file, class_list=['cat'])
    with pytest.raises(ValueError, match='needs ann_file'):
        TAOResultDetections(res_file, class_list=['cat'])
    with pytest.raises(ValueError, match='not both'):
        TAOResultDetections(res_file, categories=[5], class_list=['cat'])
    with pytest.raises(ValueError, match='2 classes but the dataset 1'):
        TAOResultDetections(res_file, ann_file=ann_file, num_classes=1)


def test_mot_det_non_finite_score(tmp_path):
    root, _ = make_mot(tmp_path)
    det = tmp_path / 'mot' / 'SEQ-01' / 'det' / 'det.txt'
    det.write_text('1,-1,10,20,30,40,0.7,-1,-1,-1\n'
                   '2,-1,10,20,30,40,nan,-1,-1,-1\n')
    with pytest.raises(ValueError, match=r'det.txt: row 2 has score nan'):
        MOTDetDetections(root).get(None, 'SEQ-01', 0)
    with pytest.raises(ValueError, match=r'label 3 .*outside'):
        MOTDetDetections(root, label=3, num_classes=2)


def test_transform_checks_labels_against_the_class_list(tmp_path):
    img_root, det_root = make_masa(tmp_path)  # frame 0 has label 2
    source = dict(type='MASADetections', root=det_root, img_root=img_root)
    frame = dict(
        img_path=osp.join(img_root, 'vid_a', '00000.jpg'),
        frame_id=0,
        img_id=3)
    ok = LoadPublicDetections(source, num_classes=3)(dict(frame))
    assert ok['public_labels'].tolist() == [2]
    with pytest.raises(
            ValueError,
            match=r'vid_a/00000.pth: label 2 of box 0'
            r' is outside the class list.*\[0, 2\)'):
        LoadPublicDetections(source, num_classes=2)(dict(frame))
    with pytest.raises(ValueError, match='conflicts'):
        LoadPublicDetections(dict(source, num_classes=3), num_classes=2)
    with pytest.raises(ValueError, match='positive integer'):
        LoadPublicDetections(source, num_classes=0)


def test_missing_detections_say_how_to_make_them(tmp_path):
    img_root, det_root = make_masa(tmp_path)
    reader = MASADetections(det_root, img_root)
    with pytest.raises(
            FileNotFoundError,
            match=r'00009\.pth not found.*tools/misc/dump_det'):
        reader.get(osp.join(img_root, 'vid_a', '00009.jpg'))
    custom = MASADetections(det_root, img_root, hint='Download them.')
    with pytest.raises(FileNotFoundError, match=r'Download them\.$'):
        custom.get(osp.join(img_root, 'vid_a', '00009.jpg'))
    root, _ = make_mot(tmp_path)
    with pytest.raises(FileNotFoundError, match=r'SEQ-09.*dump_detections'):
        MOTDetDetections(root).get(None, 'SEQ-09', 0)
