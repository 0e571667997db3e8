"""BDD100K MOT evaluation on the BDD100K team's own test case (scalabel
``tests/eval/testcases/box_track``, copied to tests/data/real/): every
figure that scalabel's ``tests/eval/mot_test.py`` asserts is reproduced
(tests/data/real/SOURCES.md), directly and through convert -> evaluate."""
import importlib.util
import json
import math
import os.path as osp
import subprocess
import sys

import pytest

from scaletrack.evaluation.functional.bdd100k_mot import (
    BDD100K_CATEGORY_TREE, evaluate_bdd100k_mot, load_category_tree)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SAMPLE = osp.join(ROOT, 'tests', 'data', 'real', 'bdd100k_box_track')
GT = osp.join(SAMPLE, 'track_sample_anns.json')
PRED = osp.join(SAMPLE, 'track_predictions.json')
CONFIG = osp.join(SAMPLE, 'box_track_configs.toml')

# scalabel tests/eval/mot_test.py at commit 071d0735 (SOURCES.md)
OFFICIAL = dict(
    IDF1=71.01073676416142,
    MOTA=64.20070762302991,
    MOTP=87.16143945073146,
    FP=126,
    FN=942,
    IDSw=45,
    MT=62,
    PT=47,
    ML=33,
    FM=66,
    mIDF1=32.24781943655838,
    mMOTA=24.324204637536685,
    mMOTP=50.01285067174096)
ROWS = ('pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
        'bicycle', 'human', 'vehicle', 'bike', 'AVERAGE', 'OVERALL')
OFFICIAL_MOTA = (36.12565445, 43.69747899, 71.27987664, 47.69230769, 0.0, -1,
                 -4.20168067, -1, 39.03225806, 70.14925373, -4.20168067,
                 24.32420464, 64.20070762)  # NaN shown as -1
TOL = 0.01  # the tolerance


def test_sample_figures_to_the_last_digit():
    """With scalabel's float32 boxes the figures agree to 1e-9."""
    out = evaluate_bdd100k_mot(GT, PRED, with_hota=False, with_teta=False)
    for k, v in OFFICIAL.items():
        assert out[k] == pytest.approx(v, rel=1e-12, abs=1e-9), k


def assert_official(out):
    for k, v in OFFICIAL.items():
        assert out[k] == pytest.approx(v, abs=TOL), k
    assert list(out['rows']) == list(ROWS)
    for name, v in zip(ROWS, OFFICIAL_MOTA):
        mota = out['rows'][name]['MOTA']
        assert (-1 if math.isnan(mota) else mota) == pytest.approx(
            v, abs=TOL), name


def test_config_tree_is_bdd100k_tree():
    assert load_category_tree(CONFIG) == BDD100K_CATEGORY_TREE


def test_sample_reproduces_official_figures():
    out = evaluate_bdd100k_mot(GT, PRED, load_category_tree(CONFIG))
    assert_official(out)
    assert out['skipped'] == {}
    # the other figures exist and are percentages
    assert 0 < out['HOTA'] < 100 and 0 < out['mHOTA'] < 100
    assert 0 < out['TETA']['TETA'] < 100


def test_folder_of_per_video_files_gives_the_same(tmp_path):
    """A folder with one JSON per video (bdd100k's layout) equals one file
    of frames; here the sample's one video, frames shuffled."""
    gt = json.load(open(GT))
    pred = json.load(open(PRED))
    (tmp_path / 'gt').mkdir()
    (tmp_path / 'pred').mkdir()
    (tmp_path / 'gt' / 'v.json').write_text(json.dumps(gt[::-1]))
    (tmp_path / 'pred' / 'v.json').write_text(json.dumps(dict(frames=pred)))
    out = evaluate_bdd100k_mot(
        str(tmp_path / 'gt'),
        str(tmp_path / 'pred'),
        with_hota=False,
        with_teta=False)
    assert_official(out)


def test_convert_then_evaluate_reproduces_official_figures(tmp_path):
    """Ground truth -> bdd100k_to_cocovid.py (COCO-VID) -> predictions as
    TAO results on it -> the Scalabel files TETAMetric writes -> the
    evaluator: the official figures; TETA equals eval_teta --bdd's on the
    converted files."""
    from scaletrack.evaluation.functional.scalabel_format import (
        tao_results_to_scalabel, write_scalabel_results)
    from scaletrack.evaluation.functional.teta import evaluate_teta
    spec = importlib.util.spec_from_file_location(
        '_bdd_conv',
        osp.join(ROOT, 'tools', 'dataset_converters', 'bdd100k_to_cocovid.py'))
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)
    coco = conv.convert([GT])
    coco.pop('dropped')
    img_of = {(i['file_name']): i['id'] for i in coco['images']}
    cat_of = {c['name']: c['id'] for c in coco['categories']}
    tao_res = []
    for fr in json.load(open(PRED)):
        for lab in fr['labels']:
            b = lab['box2d']
            tao_res.append(
                dict(
                    image_id=img_of[f'{fr["videoName"]}/{fr["name"]}'],
                    video_id=1,
                    category_id=cat_of[lab['category']],
                    bbox=[
                        b['x1'], b['y1'], b['x2'] - b['x1'] + 1,
                        b['y2'] - b['y1'] + 1
                    ],
                    score=lab['score'],
                    track_id=int(lab['id'])))
    write_scalabel_results(
        tao_results_to_scalabel(coco, tao_res), str(tmp_path / 'pred'))
    out = evaluate_bdd100k_mot(GT, str(tmp_path / 'pred'))
    assert_official(out)
    teta = evaluate_teta(
        coco,
        tao_res,
        exhaustive=True,
        use_tcc=False,
        ignore_iscrowd=True,
        all_frames=True)
    for k in ('TETA', 'LocA', 'AssocA', 'ClsA'):
        assert out['TETA'][k] == pytest.approx(teta[k], abs=1e-9), k


def test_published_coco_conversion_is_ground_truth(tmp_path):
    """The COCO conversion that scalabel / bdd100k publish has
    ``instance_id`` and ``scalabel_id`` but no ``track_id``: TETA reads it
    and gives the figures of the converter's file."""
    from scaletrack.evaluation.functional.teta import evaluate_teta
    spec = importlib.util.spec_from_file_location(
        '_bdd_conv2',
        osp.join(ROOT, 'tools', 'dataset_converters', 'bdd100k_to_cocovid.py'))
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)
    coco = conv.convert([GT])
    coco.pop('dropped')
    published = json.loads(json.dumps(coco))
    for a in published['annotations']:
        a['scalabel_id'] = str(a.pop('track_id'))
    res = [
        dict(
            image_id=a['image_id'],
            video_id=1,
            category_id=a['category_id'],
            bbox=a['bbox'],
            score=1.0,
            # every track split in two halves: AssocA < 100
            track_id=2 * a['instance_id'] + (a['image_id'] > 100))
        for a in coco['annotations'] if not a['iscrowd']
    ]
    kw = dict(
        exhaustive=True, use_tcc=False, ignore_iscrowd=True, all_frames=True)
    ref = evaluate_teta(coco, res, **kw)
    out = evaluate_teta(published, res, **kw)
    assert ref['AssocA'] < 100
    for k in ('TETA', 'LocA', 'AssocA', 'ClsA'):
        assert out[k] == pytest.approx(ref[k]), k


def test_eval_bdd100k_cli(tmp_path):
    out_path = tmp_path / 'bdd.json'
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'analysis_tools', 'eval_bdd100k.py'), GT, PRED,
        '--config', CONFIG, '--out',
        str(out_path)
    ],
                          capture_output=True,
                          text=True,
                          cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert 'OVERALL' in proc.stdout and 'mMOTA 24.32' in proc.stdout
    out = json.loads(out_path.read_text())
    for k in ('MOTA', 'IDF1', 'mMOTA', 'FN'):
        assert out[k] == pytest.approx(OFFICIAL[k], abs=TOL)


def _frames(labels_per_frame, video='v'):
    return [
        dict(
            name=f'{video}-{i}.jpg',
            videoName=video,
            frameIndex=i,
            labels=labs) for i, labs in enumerate(labels_per_frame)
    ]


def _lab(id_, cat, x1, y1, x2, y2, **attrs):
    return dict(
        id=id_,
        category=cat,
        attributes=attrs,
        box2d=dict(x1=x1, y1=y1, x2=x2, y2=y2))


def _eval(tmp_path, gt, pred, **kw):
    g, p = tmp_path / 'g.json', tmp_path / 'p.json'
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps(pred))
    return evaluate_bdd100k_mot(
        str(g), str(p), with_hota=False, with_teta=False, **kw)


def test_name_mapping_and_ignore_rules_by_hand(tmp_path):
    """person -> pedestrian, van -> car (name_mapping); a prediction inside
    an "other vehicle" box (ignored) is dropped, not an FP; the van is
    missed and a car elsewhere is an FP: car MOTA = 1 - (1 + 1) / 1 = -100
    %, pedestrian 100 %."""
    gt = _frames([[
        _lab('a', 'person', 0, 0, 9, 19),
        _lab('b', 'van', 100, 100, 149, 129),
        _lab('c', 'other vehicle', 300, 300, 399, 349)
    ]])
    pred = _frames([[
        _lab('1', 'pedestrian', 0, 0, 9, 19),
        _lab('2', 'car', 310, 310, 350, 340),
        _lab('3', 'car', 600, 600, 640, 640)
    ]])
    out = _eval(tmp_path, gt, pred)
    rows = out['rows']
    assert rows['pedestrian']['MOTA'] == pytest.approx(100.0)
    # car: the van is missed (pred 3 is far), pred 2 is ignored, pred 3 FP
    assert (rows['car']['FN'], rows['car']['FP']) == (1, 1)
    assert rows['car']['MOTA'] == pytest.approx(100 * (1 - 2 / 1))


@pytest.mark.parametrize('box,msg', [
    (dict(x1=10, y1=10, x2=5, y2=20), 'negative size'),
    (dict(x1=10, y1=10, x2=float('nan'), y2=20), 'not finite'),
    (dict(x1=10, y1=10, x2=None, y2=20), 'needs numbers'),
])
def test_bad_boxes_are_errors_naming_the_file(tmp_path, box, msg):
    gt = _frames([[_lab('a', 'car', 0, 0, 9, 19)]])
    pred = _frames([[dict(id='1', category='car', box2d=box)]])
    with pytest.raises(ValueError, match=msg) as err:
        _eval(tmp_path, gt, pred)
    assert 'p.json' in str(err.value) and "'1'" in str(err.value)


def test_mismatches_are_errors_or_counted(tmp_path):
    gt = _frames([[_lab('a', 'car', 0, 0, 9, 19)]])
    # an unknown category: an error, or skipped and counted on request
    pred = _frames([[_lab('1', 'traffic sign', 0, 0, 9, 19)]])
    with pytest.raises(ValueError, match="unknown category 'traffic sign'"):
        _eval(tmp_path, gt, pred)
    out = _eval(tmp_path, gt, pred, ignore_unknown=True)
    assert sum(out['skipped'].values()) == 1
    # predictions of a video the ground truth lacks
    with pytest.raises(ValueError, match="video 'w'"):
        _eval(tmp_path, gt, _frames([[]], video='w'))
    # a ground-truth video without predictions is scored empty, counted
    g2 = gt + _frames([[_lab('b', 'car', 0, 0, 9, 9)]], video='w')
    out = _eval(tmp_path, g2, _frames([[_lab('1', 'car', 0, 0, 9, 19)]]))
    assert out['FN'] == 1 and sum(out['skipped'].values()) == 1
    # truncated JSON
    g, p = tmp_path / 'g.json', tmp_path / 'p.json'
    p.write_text('[{"name": "v-0.jpg", "videoName": "v", "frameInd')
    with pytest.raises(ValueError, match='p.json'):
        evaluate_bdd100k_mot(str(g), str(p), with_hota=False, with_teta=False)
