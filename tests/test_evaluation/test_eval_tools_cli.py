"""tools/analysis_tools/eval_teta.py and eval_mot.py on generated files:
one subprocess round trip each, error handling in-process."""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest

from scaletrack.evaluation.functional.teta import TETA_KEYS, evaluate_teta

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'analysis_tools')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'_tool_{name}', osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(name, *args):
    return subprocess.run(
        [sys.executable,
         osp.join(TOOLS, f'{name}.py'), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300)


@pytest.fixture
def teta_files(tmp_path, tao):
    gt = tao.gt(
        {
            1: [[(10, 1, [0, 0, 10, 10]), (11, 2, [50, 50, 20, 20])]
                for _ in range(3)]
        }, [(1, 'apple', 'f'), (2, 'bison', 'r')])
    res = tao.perfect_results(gt)
    for r in res:
        if r['category_id'] == 2:
            r['bbox'] = [50, 50, 12, 20]  # IoU 0.6
    for im in gt['images']:  # an apple track far from everything
        res.append(
            dict(
                image_id=im['id'],
                video_id=1,
                category_id=1,
                bbox=[300, 300, 5, 5],
                score=0.2,
                track_id=99))
    gt_path, res_path = tmp_path / 'gt.json', tmp_path / 'res.json'
    gt_path.write_text(json.dumps(gt))
    res_path.write_text(json.dumps(res))
    return gt, res, gt_path, res_path


def test_eval_teta_cli_round_trip(teta_files, tmp_path):
    gt, res, gt_path, res_path = teta_files
    out_path = tmp_path / 'out.json'
    proc = run_tool('eval_teta', gt_path, res_path, '--out', out_path,
                    '--exhaustive', '--max-dets', 5)
    assert proc.returncode == 0, proc.stderr
    assert 'TETA' in proc.stdout and 'novel' in proc.stdout
    out = json.loads(out_path.read_text())
    assert set(out) == set(TETA_KEYS) | {'base', 'novel'}
    assert set(out['base']) == set(TETA_KEYS)
    ref = evaluate_teta(gt, res, exhaustive=True, max_dets=5, use_tcc=False)
    for k in TETA_KEYS:
        assert out[k] == pytest.approx(ref[k])
        assert out['novel'][k] == pytest.approx(ref['novel'][k])
    # by hand: novel bison at IoU 0.6 (LocA 65); exhaustive apple FPs: the
    # far apple track, 3 boxes -> ClsA_apple = 3 / (3 + 3) = 50 %
    assert out['novel']['LocA'] == pytest.approx(65.0)
    assert out['base']['ClsA'] == pytest.approx(50.0)


def test_eval_teta_scores_as_given_unless_tcc(teta_files, tmp_path):
    """The reference scores a results file as given: a track whose boxes
    say apple, apple, bison keeps the bison box (a ClsA error); only
    ``--tcc`` votes it to apple (MASA)."""
    gt, res, gt_path, res_path = teta_files
    bison = next(r for r in res
                 if r['category_id'] == 1 and r['track_id'] == 10)
    bison['category_id'] = 2
    res_path.write_text(json.dumps(res))
    tool = load_tool('eval_teta')
    given, voted = tmp_path / 'given.json', tmp_path / 'voted.json'
    assert tool.main([str(gt_path), str(res_path), '--out', str(given)]) == 0
    assert tool.main(
        [str(gt_path),
         str(res_path), '--tcc', '--out',
         str(voted)]) == 0
    given = json.loads(given.read_text())
    voted = json.loads(voted.read_text())
    # as given: apple TPc 2 of 3 boxes, the bison box is an FNc for apple
    # and an FPc for bison at every threshold; the far apple track is no FP
    # (TAO is not exhaustive). Bison's boxes sit at IoU 0.6, so they are
    # TPc at 3 of the 10 ClsA thresholds (0.5, 0.55, 0.6): apple 2 / 3,
    # bison (3 * 3 / (3 + 1)) / 10; voted: apple 1, bison 3 / 10
    assert given['ClsA'] == pytest.approx(100 * (2 / 3 + 0.9 / 4) / 2)
    assert voted['ClsA'] == pytest.approx(100 * (1 + 0.3) / 2)
    assert given['LocA'] == pytest.approx(voted['LocA'])


def test_eval_teta_cli_errors(teta_files, tmp_path, capsys):
    gt, res, gt_path, res_path = teta_files
    tool = load_tool('eval_teta')
    assert tool.main([str(tmp_path / 'nope.json'), str(res_path)]) == 1
    assert 'nope.json' in capsys.readouterr().err
    broken = tmp_path / 'broken.json'
    broken.write_text('[{"image_id": 1,')
    assert tool.main([str(gt_path), str(broken)]) == 1
    assert 'not valid JSON' in capsys.readouterr().err
    res[0]['image_id'] = 4242
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(res))
    assert tool.main([str(gt_path), str(bad)]) == 1
    assert '4242' in capsys.readouterr().err


def write_seq(root, res_dir, name, gt_rows, res_rows, length):
    (root / name / 'gt').mkdir(parents=True)
    (root / name / 'gt' / 'gt.txt').write_text(''.join(
        ','.join(map(str, r)) + '\n' for r in gt_rows))
    (root / name / 'seqinfo.ini').write_text(
        f'[Sequence]\nname={name}\nimDir=img1\nframeRate=25\n'
        f'seqLength={length}\nimWidth=640\nimHeight=480\nimExt=.jpg\n')
    (res_dir / f'{name}.txt').write_text(''.join(
        ','.join(map(str, r)) + ',-1,-1,-1\n' for r in res_rows))


def test_eval_mot_cli_round_trip(tmp_path):
    gt_root, res_dir = tmp_path / 'gt', tmp_path / 'res'
    res_dir.mkdir()
    box = [10, 10, 50, 50]
    # MOT-A: pedestrian 1 (frames 1-4) tracked as 7 in frames 1-3, a far
    # FP in frame 4; a static person (class 7, a distractor) with a matched
    # prediction that must be dropped; a pedestrian with consider = 0 that
    # must not count as missed.
    gt_a = [[f, 1, *box, 1, 1, 1.0] for f in range(1, 5)]
    gt_a += [[f, 2, 200, 200, 40, 80, 0, 7, 1.0] for f in range(1, 5)]
    gt_a += [[f, 3, 400, 100, 30, 60, 0, 1, 0.1] for f in range(1, 5)]
    res_a = [[f, 7, *box, 0.9] for f in range(1, 4)]
    res_a += [[4, 7, 500, 400, 50, 50, 0.9]]
    res_a += [[f, 8, 201, 201, 40, 80, 0.8] for f in range(1, 5)]
    write_seq(gt_root, res_dir, 'MOT-A', gt_a, res_a, 4)
    # MOT-B: one pedestrian tracked perfectly in 4 frames
    write_seq(gt_root, res_dir, 'MOT-B',
              [[f, 1, *box, 1, 1, 1.0] for f in range(1, 5)],
              [[f, 3, *box, 0.9] for f in range(1, 5)], 4)
    out_path = tmp_path / 'mot.json'
    proc = run_tool('eval_mot', gt_root, res_dir, '--out', out_path)
    assert proc.returncode == 0, proc.stderr
    assert 'MOTA' in proc.stdout and 'IDF1' in proc.stdout
    out = json.loads(out_path.read_text())
    c = out['combined']
    # TP 7, FN 1, FP 1, IDSW 0 over 8 evaluated boxes: MOTA = 6 / 8
    assert (c['CLR_TP'], c['CLR_FN'], c['CLR_FP'], c['IDSW']) == (7, 1, 1, 0)
    assert c['MOTA'] == pytest.approx(0.75)
    # IDTP 7, IDFP 1, IDFN 1 -> IDF1 = 14 / 16
    assert c['IDF1'] == pytest.approx(14 / 16)
    assert out['per_class']['pedestrian']['HOTA'] == pytest.approx(c['HOTA'])
    assert out['sequences'] == ['MOT-A', 'MOT-B']


def test_eval_mot_cli_errors(tmp_path, capsys):
    tool = load_tool('eval_mot')
    gt_root, res_dir = tmp_path / 'gt', tmp_path / 'res'
    res_dir.mkdir()
    write_seq(gt_root, res_dir, 'MOT-A', [[1, 1, 0, 0, 5, 5, 1, 1, 1.0]],
              [[1, 1, 0, 0, 5, 5, 1.0]], 1)
    (res_dir / 'MOT-A.txt').unlink()
    assert tool.main([str(gt_root), str(res_dir)]) == 1
    assert 'MOT-A' in capsys.readouterr().err
    assert tool.main([str(tmp_path / 'missing'), str(res_dir)]) == 1
    assert 'missing' in capsys.readouterr().err


def test_eval_teta_cli_bdd_protocol(teta_files, tmp_path):
    """--bdd = exhaustive + ignore regions + every frame a timestep: the
    far apple track sits inside an iscrowd box, so BDD100K's rule removes it
    and the exhaustive apple FPs of the round-trip test disappear."""
    gt, res, gt_path, res_path = teta_files
    img = gt['images'][0]
    gt['annotations'].append(
        dict(
            id=10**6,
            image_id=img['id'],
            video_id=1,
            category_id=1,
            bbox=[290, 290, 30, 30],
            area=900,
            iscrowd=1,
            ignore=1,
            track_id=10**6))
    gt_path.write_text(json.dumps(gt))
    tool = load_tool('eval_teta')
    out_path = tmp_path / 'bdd.json'
    assert tool.main(
        [str(gt_path),
         str(res_path), '--bdd', '--out',
         str(out_path)]) == 0
    out = json.loads(out_path.read_text())
    ref = evaluate_teta(
        gt, res, exhaustive=True, ignore_iscrowd=True, all_frames=True)
    for k in TETA_KEYS:
        assert out[k] == pytest.approx(ref[k])
    # only the first frame has the ignore region: the far apple box there is
    # removed, the other two stay exhaustive FPs -> ClsA_apple = 3 / (3 + 2)
    assert out['base']['ClsA'] == pytest.approx(60.0)


@pytest.mark.parametrize(
    'where,line,msg',
    [
        ('res', '4,7,500,400,50,5', 'columns'),  # results cut mid-line
        ('gt', '4,1,10,10,50', 'at least'),  # gt.txt cut mid-line
        ('res', '4,7,500,400,-50,50,0.9,-1,-1,-1', 'negative'),
        ('res', '4,7,500,400,nan,50,0.9,-1,-1,-1', 'not finite'),
        ('gt', '4,1,10,10,50,inf,1,1,1.0', 'not finite'),
    ])
def test_eval_mot_refuses_broken_lines(tmp_path, capsys, where, line, msg):
    """Before: a results file cut mid-line scored HOTA 0.925, NaN gave
    "matrix contains invalid numeric entries" without a file name."""
    tool = load_tool('eval_mot')
    gt_root, res_dir = tmp_path / 'gt', tmp_path / 'res'
    res_dir.mkdir()
    box = [10, 10, 50, 50]
    write_seq(gt_root, res_dir, 'MOT-A',
              [[f, 1, *box, 1, 1, 1.0] for f in range(1, 4)],
              [[f, 7, *box, 0.9] for f in range(1, 4)], 4)
    path = (
        res_dir / 'MOT-A.txt' if where == 'res' else gt_root / 'MOT-A' / 'gt' /
        'gt.txt')
    path.write_text(path.read_text() + line)  # no final newline, as cut
    assert tool.main([str(gt_root), str(res_dir)]) == 1
    err = capsys.readouterr().err
    assert msg in err and f'{path.name}:4' in err


def test_eval_mot_refuses_mismatched_sequences_and_classes(tmp_path, capsys):
    tool = load_tool('eval_mot')
    gt_root, res_dir = tmp_path / 'gt', tmp_path / 'res'
    res_dir.mkdir()
    box = [10, 10, 50, 50]
    write_seq(gt_root, res_dir, 'MOT-A', [[1, 1, *box, 1, 1, 1.0]],
              [[1, 7, *box, 0.9]], 1)
    (res_dir / 'MOT-Z.txt').write_text('1,7,10,10,50,50,0.9,-1,-1,-1\n')
    assert tool.main([str(gt_root), str(res_dir)]) == 1
    assert 'MOT-Z' in capsys.readouterr().err
    (res_dir / 'MOT-Z.txt').unlink()
    # every result row of class 3 (car) while pedestrians are evaluated
    (res_dir / 'MOT-A.txt').write_text('1,7,10,10,50,50,0.9,3,-1,-1\n')
    assert tool.main([str(gt_root), str(res_dir)]) == 1
    assert 'no row is of an evaluated class' in capsys.readouterr().err


def test_eval_teta_refuses_bad_results(teta_files, tmp_path, capsys):
    """Before: all-negative widths gave TETA 0 and results in categories
    without ground truth TETA 66.67, both silently."""
    gt, res, gt_path, res_path = teta_files
    tool = load_tool('eval_teta')
    bad = tmp_path / 'bad.json'
    neg = [
        dict(
            r, bbox=[r['bbox'][0], r['bbox'][1], -r['bbox'][2], r['bbox'][3]])
        for r in res
    ]
    bad.write_text(json.dumps(neg))
    assert tool.main([str(gt_path), str(bad)]) == 1
    err = capsys.readouterr().err
    assert 'negative width' in err and 'bad.json' in err and '#0' in err
    # a category of the file without ground truth, for every result
    gt['categories'].append(dict(id=3, name='cat', frequency='f'))
    gt_path.write_text(json.dumps(gt))
    bad.write_text(json.dumps([dict(r, category_id=3) for r in res]))
    assert tool.main([str(gt_path), str(bad)]) == 1
    assert 'no tracking result has a category with ground truth' in \
        capsys.readouterr().err
    # a category id that the ground truth does not list
    bad.write_text(json.dumps([dict(res[0], category_id=77)] + res[1:]))
    assert tool.main([str(gt_path), str(bad)]) == 1
    assert 'category_id 77' in capsys.readouterr().err
    # NaN box
    bad.write_text(
        json.dumps([dict(res[0], bbox=[1, 2, float('nan'), 4])] + res[1:]))
    assert tool.main([str(gt_path), str(bad)]) == 1
    assert 'non-finite' in capsys.readouterr().err
