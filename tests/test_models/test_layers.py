"""The sampling layers' device policy: mmcv's kernels vs the gather path.

There is no GPU here, so the mmcv branch of every consumer is forced by
monkeypatching the policy; on CPU mmcv then runs its own implementations
(``multi_scale_deformable_attn_pytorch``, the compiled CPU ``roi_align``),
an independent reference for the gather path. Both branches must give the
same numbers and gradients.
"""
import types

import mmcv.ops
import pytest
import torch
from mmcv.ops import (MultiScaleDeformableAttention, multi_scale_deform_attn,
                      roi_align)

from scaletrack.models.layers import (BoxDeformableCrossAttention,
                                      FlatFeatureMap,
                                      GatherMultiScaleDeformableAttention)
from scaletrack.models.layers import box_cross_attention as box_module
from scaletrack.models.layers import deformable_attention as msda_module
from scaletrack.models.layers import device_policy, roi_align_cells
from scaletrack.models.layers import roi_cells as roi_module
from scaletrack.models.necks import DeformableEncoderAdapter
from scaletrack.models.track_heads import ScaleTrackEmbedHead

D = 32  # tiny width for speed (default 256)
STRIDE = 14.0
CONSUMERS = (msda_module, box_module, roi_module)


def force_mmcv(monkeypatch, calls=None):
    """Every consumer takes the mmcv branch; count mmcv's CPU calls."""
    for module in CONSUMERS:
        monkeypatch.setattr(module, 'use_mmcv_kernel', lambda t: True)
    if calls is not None:
        msda = multi_scale_deform_attn.multi_scale_deformable_attn_pytorch

        def counted_msda(*args):
            calls.append('msda')
            return msda(*args)

        def counted_roi_align(*args):
            calls.append('roi_align')
            return roi_align(*args)

        monkeypatch.setattr(multi_scale_deform_attn,
                            'multi_scale_deformable_attn_pytorch',
                            counted_msda)
        monkeypatch.setattr(roi_module, 'roi_align', counted_roi_align)


def make_rois(gen, num, size_hw, batch):
    h, w = size_hw
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([w, h]) * 0.7
    wh = (torch.rand(num, 2, generator=gen) * 0.25 + 0.05) * torch.tensor(
        [w, h])
    inds = torch.randint(0, batch, (num, 1), generator=gen).float()
    return torch.cat([inds, xy, xy + wh], 1)


def test_policy_needs_cuda_tensor_and_cuda_build(monkeypatch):
    assert not device_policy.use_mmcv_kernel(torch.zeros(1))
    cuda_like = types.SimpleNamespace(is_cuda=True)
    device_policy._mmcv_cuda_ops.cache_clear()
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version',
                        lambda: 'not available')
    # mmcv built without CUDA (as here): even a CUDA tensor is gathered
    assert not device_policy.use_mmcv_kernel(cuda_like)
    device_policy._mmcv_cuda_ops.cache_clear()
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: '12.1')
    assert device_policy.use_mmcv_kernel(cuda_like)
    assert not device_policy.use_mmcv_kernel(torch.zeros(1))
    device_policy._mmcv_cuda_ops.cache_clear()


def test_level_map_gives_back_each_level():
    gen = torch.Generator().manual_seed(0)
    maps = (torch.randn(2, 3, 4, 5,
                        generator=gen), torch.randn(2, 3, 2, 3, generator=gen))
    flat = FlatFeatureMap(maps)
    assert torch.equal(flat.level_map(0), maps[0])
    assert torch.equal(flat.level_map(-1), maps[1])
    video = torch.randn(2, 3, 4, 2, 5, generator=gen)
    assert torch.equal(FlatFeatureMap(video).level_map(), video)


@pytest.mark.parametrize('ref_dims', [2, 4])
def test_deformable_attention_branches_agree(monkeypatch, ref_dims):
    gen = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    attn = GatherMultiScaleDeformableAttention(
        embed_dims=D,
        num_heads=4,
        num_levels=2,
        num_points=3,
        dropout=0.0,
        batch_first=True)
    with torch.no_grad():  # random offsets: points also leave the maps
        attn.sampling_offsets.weight.normal_(0, 0.5, generator=gen)
        attn.attention_weights.weight.normal_(0, 0.5, generator=gen)
        attn.value_proj.bias.normal_(0, 1.0, generator=gen)
    inputs = dict(
        query=torch.randn(2, 7, D, generator=gen),
        value=torch.randn(2, 26, D, generator=gen),
        reference_points=torch.rand(2, 7, 2, ref_dims, generator=gen),
        spatial_shapes=torch.tensor([[4, 5], [2, 3]]),
        level_start_index=torch.tensor([0, 20]))
    outs = []
    for mmcv_branch in (False, True):
        if mmcv_branch:
            calls = []
            force_mmcv(monkeypatch, calls)
        attn.zero_grad()
        q = inputs['query'].clone().requires_grad_()
        out = attn(**dict(inputs, query=q))
        (out * torch.arange(D)).sum().backward()
        outs.append((out, q.grad, attn.sampling_offsets.weight.grad.clone()))
    assert calls == ['msda']  # mmcv's own implementation ran
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_box_cross_attention_branches_agree(monkeypatch):
    gen = torch.Generator().manual_seed(2)
    attn = BoxDeformableCrossAttention(
        D, num_heads=4, num_levels=2, num_points=3)
    with torch.no_grad():
        attn.sampling_offsets.weight.normal_(0, 0.3, generator=gen)
        attn.attention_weights.weight.normal_(0, 0.3, generator=gen)
        attn.value_proj.bias.normal_(0, 1.0, generator=gen)
    feats = (torch.randn(3, D, 6, 7, generator=gen),
             torch.randn(3, D, 3, 4, generator=gen))
    # image 1 has no box: mmcv is called for images 0 and 2 only
    rois = make_rois(
        gen, 9, (84, 98), batch=2) * torch.tensor([2., 1., 1., 1., 1.])
    query = torch.randn(9, D, generator=gen)
    outs = []
    for mmcv_branch in (False, True):
        if mmcv_branch:
            calls = []
            force_mmcv(monkeypatch, calls)
        attn.zero_grad()
        q = query.clone().requires_grad_()
        maps = [f.clone().requires_grad_() for f in feats]
        out = attn(q, rois, rois[:, 0].long(), FlatFeatureMap(maps), (14, 28))
        (out * torch.arange(D)).sum().backward()
        outs.append((out, q.grad, maps[0].grad, maps[1].grad,
                     attn.value_proj.weight.grad.clone(),
                     attn.sampling_offsets.weight.grad.clone()))
    assert calls == ['msda', 'msda']
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('level', [0, -1])
def test_roi_cells_branches_agree_with_mmcv_roi_align(monkeypatch, level):
    gen = torch.Generator().manual_seed(3)
    maps = (torch.randn(2, 6, 5, 7,
                        generator=gen), torch.randn(2, 6, 3, 4, generator=gen))
    rois = make_rois(gen, 10, (5 * 14, 7 * 14), batch=2)
    # boxes over the borders: mmcv's clamping rule
    rois = torch.cat([
        rois,
        torch.tensor([[0., -20., -10., 30., 40.], [1., 61., 40., 123., 95.]])
    ])
    expected = roi_align(maps[level], rois, (3, 3), 1 / STRIDE, 2, 'avg',
                         True).flatten(2).transpose(1, 2)
    args = (rois, rois[:, 0].long(), STRIDE, 3, 2, level)
    gathered = roi_align_cells(FlatFeatureMap(maps), *args)
    calls = []
    force_mmcv(monkeypatch, calls)
    kernel = roi_align_cells(FlatFeatureMap(maps), *args)
    assert calls == ['roi_align']
    torch.testing.assert_close(gathered, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(kernel, expected, atol=1e-6, rtol=1e-6)


def test_neck_and_head_branches_agree(monkeypatch):
    """The whole sampling stack (encoder, RoI cells, decoder) both ways."""
    gen = torch.Generator().manual_seed(4)
    torch.manual_seed(4)
    neck = DeformableEncoderAdapter(
        in_channels=(8, 8),
        embed_dims=D,
        num_layers=1,
        num_heads=4,
        num_points=2,
        feedforward_channels=64,
        num_groups=8).eval()
    neck.init_weights()
    head = ScaleTrackEmbedHead(
        featmap_strides=(14, 28),
        embed_dims=D,
        out_channels=16,
        num_heads=4,
        num_points=2,
        feedforward_channels=64,
        dropout=0.0).eval()
    backbone = (torch.randn(2, 8, 6, 7, generator=gen),
                torch.randn(2, 8, 3, 4, generator=gen))
    rois = make_rois(gen, 6, (84, 98), batch=2)
    with torch.no_grad():
        gathered = head(neck(backbone), rois)
        calls = []
        force_mmcv(monkeypatch, calls)
        kernel = head(neck(backbone), rois)
    assert 'msda' in calls and 'roi_align' in calls
    for a, b in zip(gathered, kernel):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_box_cross_attention_state_dict_is_mmcv_attention():
    """Same parameter names, shapes and initialisation as mmcv's module
    (checkpoints of the version that subclassed it load unchanged)."""
    torch.manual_seed(5)
    ours = BoxDeformableCrossAttention(D, 4, 2, 3)
    torch.manual_seed(5)
    mmcv_attn = MultiScaleDeformableAttention(D, 4, 2, 3)
    ours_sd, mmcv_sd = ours.state_dict(), mmcv_attn.state_dict()
    assert list(ours_sd) == list(mmcv_sd)
    assert all(torch.equal(ours_sd[k], mmcv_sd[k]) for k in mmcv_sd)
    assert len(list(ours.parameters())) == len(mmcv_sd)  # none hidden
