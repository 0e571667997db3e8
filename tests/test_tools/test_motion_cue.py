"""tools/experiments/motion_cue.py: the gate calibration on hand-made
MOTChallenge files, and the commands it runs."""
import json

import pytest

from tools.experiments import motion_cue


def write_sequence(root, speed, frames=6):
    """One sequence, one object (20 x 40 box moving ``speed`` px/frame
    right), detected exactly; plus its COCO-VID annotations."""
    seq = root / 'mot_val' / 'SYNTH-01'
    (seq / 'det').mkdir(parents=True)
    (seq / 'seqinfo.ini').write_text(
        '[Sequence]\nname=SYNTH-01\nimDir=img1\nframeRate=6\n'
        f'seqLength={frames}\nimWidth=640\nimHeight=480\nimExt=.jpg\n')
    boxes = [[100 + speed * f, 50, 20, 40] for f in range(frames)]
    (seq / 'det' / 'det.txt').write_text(''.join(
        f'{f + 1},-1,{x},{y},{w},{h},0.9,-1,-1,-1\n'
        for f, (x, y, w, h) in enumerate(boxes)))
    ann = dict(
        categories=[dict(id=1, name='ellipse')],
        videos=[dict(id=1, name='SYNTH-01')],
        images=[
            dict(id=f + 1, video_id=1, frame_id=f, file_name='x')
            for f in range(frames)
        ],
        annotations=[
            dict(
                id=f + 1,
                image_id=f + 1,
                video_id=1,
                category_id=1,
                instance_id=1,
                bbox=b,
                iscrowd=0) for f, b in enumerate(boxes)
        ])
    path = root / 'ann.json'
    path.write_text(json.dumps(ann))
    return str(path)


def test_gate_calibration_counts_true_pairs_outside_the_gate(tmp_path):
    """1 px/frame for a 40 px tall box is far inside every gate (the
    predicted centre std is >= 2 px): no true pair outside."""
    calib = motion_cue.gate_calibration(
        write_sequence(tmp_path, 1), str(tmp_path))
    assert calib['pairs'] == 5  # 6 frames, the first initiates
    for label, _, _ in motion_cue.CALIB_GATES:
        assert calib[label]['outside'] == 0.0


def test_gate_calibration_distance_by_hand(tmp_path):
    """40 px in one frame, h = 40: the fresh track's predicted and
    projected x variance is (2h/20)^2 + (10h/160)^2 + (h/20)^2 + (h/20)^2
    = 16 + 6.25 + 4 + 4 = 30.25 (diagonal; only x differs), so the squared
    distance is 1600 / 30.25 = 52.89 for the whole box and the centre."""
    calib = motion_cue.gate_calibration(
        write_sequence(tmp_path, 40, frames=2), str(tmp_path))
    assert calib['pairs'] == 1
    for label, _, _ in motion_cue.CALIB_GATES:
        assert calib[label]['median'] == pytest.approx(1600 / 30.25)
        assert calib[label]['outside'] == 1.0


def test_dry_run_lists_every_tracker_on_both_sets(tmp_path, capsys):
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    motion_cue.main([
        '--checkpoint',
        str(ckpt), '--data-root',
        str(tmp_path), '--dry-run', '--work-dir',
        str(tmp_path / 'work')
    ])
    cmds = [
        ln for ln in capsys.readouterr().out.splitlines()
        if 'tools/test.py' in ln
    ]
    per_set = len(motion_cue.SETTINGS) + len(motion_cue.BASELINES)
    assert len(cmds) == 2 * per_set
    assert sum('synthetic_mot-val.py' in c for c in cmds) == per_set
    assert sum('model.tracker.motion.mode=gate' in c for c in cmds) == 2 * 3
    assert all(str(ckpt) in c for c in cmds if 'scaletrack_tiny' in c)
    assert not any('model.tracker.motion' in c
                   for c in cmds if 'bytetrack' in c or 'ocsort' in c)
