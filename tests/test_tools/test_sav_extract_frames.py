"""tools/dataset_converters/sav_extract_frames.py: SAM 2's names, the
annotated frames by default, resumable, undecodable videos named."""
import importlib.util
import os
import os.path as osp
import sys

import cv2
import pytest
from sav_helpers import ROOT, read_frame_number, write_mp4, write_sav_json

W, H = 256, 192


def _tool():
    spec = importlib.util.spec_from_file_location(
        'sav_extract_frames',
        osp.join(ROOT, 'tools', 'dataset_converters', 'sav_extract_frames.py'))
    mod = importlib.util.module_from_spec(spec)
    sys.modules['sav_extract_frames'] = mod  # worker processes pickle by name
    spec.loader.exec_module(mod)
    return mod


def _check_frames(folder, names, num_frames):
    assert sorted(os.listdir(folder)) == names
    for name in names:
        img = cv2.imread(osp.join(folder, name))
        assert img.shape == (H, W, 3)
        # the JPEG named 000NN.jpg shows frame NN of the video
        assert int(name[:5]) in read_frame_number(img, num_frames, W)


def test_annotated_frames_by_default_and_all_with_every_1(tmp_path):
    tool = _tool()
    write_mp4(str(tmp_path / 'sav_000' / 'sav_000001.mp4'), 30, W, H)
    out = tmp_path / 'JPEGImages_24fps'
    assert tool.main([str(tmp_path), str(out), '--workers', '1']) == 0
    _check_frames(out / 'sav_000001', [f'{4 * i:05d}.jpg' for i in range(8)],
                  30)
    out1 = tmp_path / 'all'
    assert tool.main([
        str(tmp_path / 'sav_000'),
        str(out1), '--every', '1', '--workers', '1'
    ]) == 0
    _check_frames(out1 / 'sav_000001', [f'{i:05d}.jpg' for i in range(30)], 30)


def test_resumes_and_repairs(tmp_path):
    tool = _tool()
    src = tmp_path / 'src'
    write_mp4(str(src / 'a.mp4'), 13, W, H)
    write_mp4(str(src / 'b.mp4'), 9, W, H)
    out = tmp_path / 'out'
    assert tool.main([str(src), str(out), '--workers', '2']) == 0
    mtime = os.stat(out / 'a' / '00004.jpg').st_mtime_ns
    os.remove(out / 'b' / '00004.jpg')  # a frame lost after extraction
    os.makedirs(out / '.a.tmp')  # left by a killed run
    res = {
        r.video: r
        for r in (tool.extract_video(str(src / v), str(out), 4)
                  for v in ('a.mp4', 'b.mp4'))
    }
    assert res[str(src / 'a.mp4')].status == 'skipped'
    assert res[str(
        src / 'b.mp4')].status == 'done'  # redone: it was incomplete
    assert os.stat(out / 'a' / '00004.jpg').st_mtime_ns == mtime
    assert sorted(os.listdir(out /
                             'b')) == ['00000.jpg', '00004.jpg', '00008.jpg']
    assert tool.extract_video(str(src / 'a.mp4'), str(out),
                              4).status == 'skipped'
    assert not osp.exists(out / '.a.tmp')


@pytest.mark.parametrize('damage', ['garbage', 'cut', 'annotation'])
def test_undecodable_video_is_named_and_the_rest_goes_on(
        tmp_path, damage, capsys):
    tool = _tool()
    src = tmp_path / 'sav_000'
    write_mp4(str(src / 'sav_000001.mp4'), 12, W, H)
    bad = src / 'sav_000002.mp4'
    if damage == 'garbage':
        bad.write_bytes(os.urandom(5000))
    elif damage == 'cut':
        write_mp4(str(bad), 40, W, H)
        data = bad.read_bytes()
        bad.write_bytes(data[:len(data) // 2])
    else:  # the video is shorter than its masklets say
        write_mp4(str(bad), 8, W, H)
        write_sav_json(str(src / 'sav_000002_manual.json'), 20, W, H)
    out = tmp_path / 'out'
    assert tool.main([str(src), str(out), '--workers', '2']) == 1
    err = capsys.readouterr().err
    assert 'FAILED' in err and 'sav_000002.mp4' in err
    assert sorted(os.listdir(out)) == ['sav_000001']  # nothing half-written
    # repaired, a re-run continues with the failed video only
    write_mp4(str(bad), 20, W, H)
    assert tool.main([str(src), str(out), '--workers', '1']) == 0
    assert sorted(os.listdir(out)) == ['sav_000001', 'sav_000002']
    assert len(os.listdir(out / 'sav_000002')) == 5
