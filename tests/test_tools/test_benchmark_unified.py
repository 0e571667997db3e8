"""tools/analysis_tools/benchmark_unified.py in --quick mode: the table's
parameter counts against torch's own count of the built modules."""
import json

import pytest
import torch

from tools.analysis_tools import benchmark_unified as bu

# ChannelMapper 1x1 projections without bias (GroupNorm follows): the
# two-backbone adapter maps 4 DINOv2-S levels of 384 channels, the unified
# one 4 FPN levels of 256 channels, both to 256 -> 4 * (384 - 256) * 256
# more weights in the two-backbone adapter; the decoders are the same size.
ADAPTER_PARAM_DIFF = 4 * (384 - 256) * 256


def numel(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


@pytest.fixture(scope='module')
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp('bench') / 'unified.json'
    rows = bu.main(['--quick', '--out', str(out)])
    return rows, json.loads(out.read_text())


@pytest.mark.slow
def test_quick_rows_and_json(quick):
    rows, saved = quick
    assert list(rows) == ['detector', 'two_backbone', 'unified']
    assert saved['rows'] == rows
    assert saved['frame_hw'] == list(bu.QUICK['frame_hw'])
    assert saved['threads'] == 2  # the default: the project's 2 cores
    assert all(r['seconds'] > 0 for r in rows.values())
    table = bu.format_table(rows).splitlines()
    assert len(table) == 2 + 3


@pytest.mark.slow
def test_quick_param_counts_match_torch(quick):
    rows, _ = quick
    models = bu.build_models(track_size=bu.QUICK['track_size'])
    two, uni = models['two_backbone'], models['unified']
    assert rows['detector']['params'] == numel(uni.detector)
    assert rows['two_backbone']['assoc_params'] == numel(
        two.backbone, two.neck, two.track_head)
    assert rows['unified']['assoc_params'] == numel(uni.neck, uni.track_head)
    # DINOv2-S: 22.06 M parameters (docs measured with mmpretrain, the
    # environment notes' reference figure)
    assert abs(numel(two.backbone) / 1e6 - 22.06) < 0.005
    # the unified head saves exactly DINOv2-S and the wider projections
    saved = rows['two_backbone']['params'] - rows['unified']['params']
    assert saved == numel(two.backbone) + ADAPTER_PARAM_DIFF
    # same detector in both pipelines, counted once in each
    for key in ('two_backbone', 'unified'):
        r = rows[key]
        assert r['flops'] == rows['detector']['flops'] + r['assoc_flops']
    assert torch.get_num_threads() == 2
