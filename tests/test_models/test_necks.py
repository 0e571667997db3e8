"""DeformableEncoderAdapter (Eq. 3) and its gather-based attention."""
import pytest
import torch
from mmcv.ops import MultiScaleDeformableAttention
from mmdet.registry import MODELS

from scaletrack.models.layers import GatherMultiScaleDeformableAttention
from scaletrack.models.necks import DeformableEncoderAdapter

D = 32  # tiny width for speed (default 256)


def tiny_neck(in_channels=(24, 24), **kwargs):
    cfg = dict(
        type='DeformableEncoderAdapter',
        in_channels=list(in_channels),
        embed_dims=D,
        num_heads=4,
        num_points=2,
        feedforward_channels=64,
        num_groups=8)
    cfg.update(kwargs)
    neck = MODELS.build(cfg)
    neck.init_weights()
    return neck


def test_levels_are_projected_and_encoded_independently():
    gen = torch.Generator().manual_seed(0)
    neck = tiny_neck().eval()
    feats = (torch.randn(2, 24, 5, 6, generator=gen),
             torch.randn(2, 24, 3, 4, generator=gen))
    out = neck(feats)
    assert [o.shape for o in out] == [(2, D, 5, 6), (2, D, 3, 4)]
    # Eq. 3: M_l depends on F_l only
    changed = (feats[0] + torch.randn(feats[0].shape, generator=gen), feats[1])
    out2 = neck(changed)
    assert torch.allclose(out2[1], out[1])
    assert not torch.allclose(out2[0], out[0])
    # and every image of the batch on its own
    other = (feats[0].clone(), feats[1].clone())
    other[0][1] += 1.0
    out3 = neck(other)
    assert torch.allclose(out3[0][0], out[0][0], atol=1e-6)
    assert not torch.allclose(out3[0][1], out[0][1])


def test_flatten_is_the_spatial_concatenation_of_eq3():
    gen = torch.Generator().manual_seed(1)
    maps = (torch.randn(2, D, 2, 3,
                        generator=gen), torch.randn(2, D, 1, 2, generator=gen))
    flat = DeformableEncoderAdapter.flatten(maps)
    assert flat.shape == (2, 6 + 2, D)
    # token (level 0, y=1, x=2) is row 5; token (level 1, y=0, x=1) is row 7
    assert torch.equal(flat[:, 5], maps[0][:, :, 1, 2])
    assert torch.equal(flat[:, 7], maps[1][:, :, 0, 1])
    assert DeformableEncoderAdapter.spatial_shapes(maps) == [(2, 3), (1, 2)]


def test_extra_levels_for_resnet_inputs():
    gen = torch.Generator().manual_seed(2)
    neck = tiny_neck(in_channels=(16, 24, 40), num_extra_levels=1).eval()
    feats = (torch.randn(1, 16, 8, 8, generator=gen),
             torch.randn(1, 24, 4, 4, generator=gen),
             torch.randn(1, 40, 2, 2, generator=gen))
    out = neck(feats)
    # the extra level is a stride-2 conv of the last input: 2x2 -> 1x1
    assert [tuple(o.shape[-2:]) for o in out] == [(8, 8), (4, 4), (2, 2),
                                                  (1, 1)]
    assert len(neck.encoders) == 4


def test_gradients_reach_every_neck_parameter():
    gen = torch.Generator().manual_seed(3)
    neck = tiny_neck().train()
    feats = (torch.randn(2, 24, 5, 6, generator=gen),
             torch.randn(2, 24, 3, 4, generator=gen))
    out = neck(feats)
    sum((o * torch.randn(o.shape, generator=gen)).sum() for o in out) \
        .backward()
    missing = [n for n, p in neck.named_parameters() if p.grad is None]
    assert not missing


def test_bad_inputs_are_rejected():
    neck = tiny_neck()
    with pytest.raises(ValueError, match='levels'):
        neck((torch.zeros(1, 24, 3, 3), ))
    with pytest.raises(ValueError, match=r'\[B, 24, h, w\]'):
        neck((torch.zeros(1, 24, 3, 3), torch.zeros(1, 7, 3, 3)))
    with pytest.raises(ValueError, match='divisible'):
        DeformableEncoderAdapter([24], embed_dims=30, num_groups=8)


@pytest.mark.parametrize('ref_dims', [2, 4])
def test_gather_attention_matches_mmcv(ref_dims):
    """Same parameters -> same output and gradients as mmcv's CPU path."""
    gen = torch.Generator().manual_seed(4)
    torch.manual_seed(4)
    ours = GatherMultiScaleDeformableAttention(
        embed_dims=D,
        num_heads=4,
        num_levels=2,
        num_points=3,
        dropout=0.0,
        batch_first=True)
    mmcv = MultiScaleDeformableAttention(
        embed_dims=D,
        num_heads=4,
        num_levels=2,
        num_points=3,
        dropout=0.0,
        batch_first=True)
    with torch.no_grad():  # random offsets: points also leave the maps
        ours.sampling_offsets.weight.normal_(0, 0.5, generator=gen)
        ours.attention_weights.weight.normal_(0, 0.5, generator=gen)
        ours.value_proj.bias.normal_(0, 1.0, generator=gen)
    mmcv.load_state_dict(ours.state_dict())
    shapes = torch.tensor([[4, 5], [2, 3]])
    starts = torch.tensor([0, 20])
    value = torch.randn(2, 26, D, generator=gen)
    query = torch.randn(2, 7, D, generator=gen)
    ref = torch.rand(2, 7, 2, ref_dims, generator=gen)
    mask = torch.zeros(2, 26, dtype=torch.bool)
    mask[1, -3:] = True
    outs = []
    for module in (ours, mmcv):
        q = query.clone().requires_grad_()
        v = value.clone().requires_grad_()
        out = module(
            q,
            value=v,
            reference_points=ref,
            spatial_shapes=shapes,
            level_start_index=starts,
            key_padding_mask=mask)
        (out * torch.arange(D)).sum().backward()
        outs.append((out, q.grad, v.grad))
    for a, b in zip(*outs):
        assert torch.allclose(a, b, atol=1e-5)
