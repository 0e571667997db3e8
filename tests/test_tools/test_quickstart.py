"""The main job (README's first command) end to end on a tiny setting."""
import os.path as osp
import re
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROWS = ('ScaleTrack (ours, trained on synthetic SA-V-style)',
        'ScaleTrack, class-aware matching', 'ByteTrack (mmdet, motion only)',
        'OC-SORT (mmdet, motion only)')


def _quickstart(work):
    return subprocess.run([
        sys.executable, '-m', 'tools.misc.quickstart', '--work-dir',
        str(work), '--num-train-videos', '2', '--num-val-videos', '1',
        '--epochs', '1'
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=800)


@pytest.mark.slow
def test_quickstart_writes_table_checkpoint_and_demo(tmp_path):
    work = tmp_path / 'qs'
    proc = _quickstart(work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = (work / 'results.md').read_text()
    assert 'SYNTHETIC' in table
    for row in ROWS:
        line = next(ln for ln in table.splitlines()
                    if ln.startswith(f'| {row} |'))
        values = line.strip('|').split('|')[1:]
        assert len(values) == 7
        # every metric is a number in [0, 100]
        assert all(0.0 <= float(v) <= 100.0 for v in values), line
    assert (work / 'train' / 'epoch_1.pth').is_file()
    assert (work / 'train' / 'TRAINING_DONE').is_file()
    video = work / 'demo' / 'tracked.mp4'
    assert video.is_file() and video.stat().st_size > 1000
    assert (work / 'demo' / 'tracked.json').is_file()
    assert (work / 'demo' / 'tracked.txt').is_file()

    # a second run reuses every step: nothing is trained or evaluated again
    again = _quickstart(work)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'tools/train.py' not in again.stdout
    assert 'tools/test.py' not in again.stdout
    assert re.sub(r'Wall time.*', '', (work / 'results.md').read_text()) == \
        re.sub(r'Wall time.*', '', table)
