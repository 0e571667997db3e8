"""tools/model_converters/dinov2_to_mmpretrain.py on official-layout weights.

The test writes a random state dict in the official facebookresearch/dinov2
key layout (a tiny ViT), converts it with the tool's command line, loads
the result through ``init_cfg=dict(type='Pretrained')`` and checks every
tensor and the backbone's output against a ViT forward written here from
the official tensors.
"""
import importlib.util
import re
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from scaletrack.models.backbones import DINOv2Backbone

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'model_converters' / \
    'dinov2_to_mmpretrain.py'
DIM, DEPTH, HEADS, FFN, PATCH, IMG = 48, 3, 2, 96, 14, 28


def load_tool():
    spec = importlib.util.spec_from_file_location('dinov2_converter', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_state_dict(gen, swiglu=False, hidden=64):
    """Random tensors in the released DINOv2 checkpoint layout."""

    def rand(*shape, scale=0.2):
        return torch.randn(*shape, generator=gen) * scale

    tokens = (IMG // PATCH)**2 + 1
    sd = OrderedDict(
        cls_token=rand(1, 1, DIM),
        pos_embed=rand(1, tokens, DIM),
        mask_token=rand(1, DIM))
    sd['patch_embed.proj.weight'] = rand(DIM, 3, PATCH, PATCH, scale=0.05)
    sd['patch_embed.proj.bias'] = rand(DIM)
    for i in range(DEPTH):
        p = f'blocks.{i}.'
        sd[p + 'norm1.weight'] = 1 + rand(DIM)
        sd[p + 'norm1.bias'] = rand(DIM)
        sd[p + 'attn.qkv.weight'] = rand(3 * DIM, DIM)
        sd[p + 'attn.qkv.bias'] = rand(3 * DIM)
        sd[p + 'attn.proj.weight'] = rand(DIM, DIM)
        sd[p + 'attn.proj.bias'] = rand(DIM)
        sd[p + 'ls1.gamma'] = rand(DIM, scale=1.0)
        sd[p + 'norm2.weight'] = 1 + rand(DIM)
        sd[p + 'norm2.bias'] = rand(DIM)
        if swiglu:
            sd[p + 'mlp.w12.weight'] = rand(2 * hidden, DIM)
            sd[p + 'mlp.w12.bias'] = rand(2 * hidden)
            sd[p + 'mlp.w3.weight'] = rand(DIM, hidden)
            sd[p + 'mlp.w3.bias'] = rand(DIM)
        else:
            sd[p + 'mlp.fc1.weight'] = rand(FFN, DIM)
            sd[p + 'mlp.fc1.bias'] = rand(FFN)
            sd[p + 'mlp.fc2.weight'] = rand(DIM, FFN)
            sd[p + 'mlp.fc2.bias'] = rand(DIM)
        sd[p + 'ls2.gamma'] = rand(DIM, scale=1.0)
    sd['norm.weight'] = 1 + rand(DIM)
    sd['norm.bias'] = rand(DIM)
    return sd


def reference_forward(sd, img, out_blocks, swiglu=False):
    """DINOv2's ViT written out from the official tensors (pre-norm blocks
    with layer scale, final norm applied to every returned block)."""
    x = F.conv2d(
        img,
        sd['patch_embed.proj.weight'],
        sd['patch_embed.proj.bias'],
        stride=PATCH)
    b, _, h, w = x.shape
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([sd['cls_token'].expand(b, -1, -1), x], 1) + sd['pos_embed']
    n = x.shape[1]
    outs = []
    for i in range(DEPTH):
        p = f'blocks.{i}.'
        y = F.layer_norm(
            x, (DIM, ), sd[p + 'norm1.weight'], sd[p + 'norm1.bias'], eps=1e-6)
        qkv = F.linear(y, sd[p + 'attn.qkv.weight'], sd[p + 'attn.qkv.bias'])
        q, k, v = qkv.view(b, n, 3, HEADS, DIM // HEADS).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) * (DIM // HEADS)**-0.5).softmax(-1)
        y = (attn @ v).transpose(1, 2).reshape(b, n, DIM)
        y = F.linear(y, sd[p + 'attn.proj.weight'], sd[p + 'attn.proj.bias'])
        x = x + sd[p + 'ls1.gamma'] * y
        y = F.layer_norm(
            x, (DIM, ), sd[p + 'norm2.weight'], sd[p + 'norm2.bias'], eps=1e-6)
        if swiglu:
            a, g = F.linear(y, sd[p + 'mlp.w12.weight'],
                            sd[p + 'mlp.w12.bias']).chunk(2, -1)
            y = F.linear(
                F.silu(a) * g, sd[p + 'mlp.w3.weight'], sd[p + 'mlp.w3.bias'])
        else:
            y = F.linear(
                F.gelu(
                    F.linear(y, sd[p + 'mlp.fc1.weight'],
                             sd[p + 'mlp.fc1.bias'])),
                sd[p + 'mlp.fc2.weight'], sd[p + 'mlp.fc2.bias'])
        x = x + sd[p + 'ls2.gamma'] * y
        if i in out_blocks:
            z = F.layer_norm(
                x, (DIM, ), sd['norm.weight'], sd['norm.bias'], eps=1e-6)
            outs.append(z[:, 1:].transpose(1, 2).reshape(b, DIM, h, w))
    return outs


def tiny_arch(swiglu=False):
    arch = dict(
        embed_dims=DIM,
        num_layers=DEPTH,
        num_heads=HEADS,
        feedforward_channels=FFN)
    if swiglu:
        arch['ffn_type'] = 'swiglu_fused'  # mmpretrain: hidden 96*2/3 = 64
    return arch


@pytest.mark.parametrize('swiglu', [False, True])
def test_convert_load_and_forward_match_official_layout(tmp_path, swiglu):
    gen = torch.Generator().manual_seed(0)
    sd = official_state_dict(gen, swiglu)
    src, dst = tmp_path / 'dinov2_official.pth', tmp_path / 'out' / 'c.pth'
    torch.save(sd, src)
    load_tool().main([str(src), str(dst)])
    assert dst.is_file() and not list(dst.parent.glob('*.tmp'))

    converted = torch.load(dst, weights_only=True)['state_dict']
    backbone = DINOv2Backbone(
        arch=tiny_arch(swiglu),
        img_size=IMG,
        out_indices=(0, 2),
        init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    backbone.init_weights()
    # every tensor of the backbone comes from the checkpoint, nothing is left
    own = backbone.state_dict()
    assert set(own) == set(converted)
    fresh = DINOv2Backbone(
        arch=tiny_arch(swiglu), img_size=IMG, out_indices=(0, 2))
    result = fresh.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for key, value in converted.items():
        assert torch.equal(own[key], value), key
    # spot checks of where the official tensors land
    assert torch.equal(own['layers.1.attn.gamma1.weight'],
                       sd['blocks.1.ls1.gamma'])
    assert torch.equal(own['ln1.bias'], sd['norm.bias'])
    assert torch.equal(own['patch_embed.projection.weight'],
                       sd['patch_embed.proj.weight'])
    assert len(converted) == len(sd) - 1  # only mask_token is dropped

    img = torch.randn(2, 3, IMG, IMG, generator=gen)
    outs = backbone(img)
    expected = reference_forward(sd, img, (0, 2), swiglu)
    assert len(outs) == 2
    for out, exp in zip(outs, expected):
        assert torch.allclose(out, exp, atol=1e-4)


def test_chunked_blocks_and_prefix(tmp_path):
    tool = load_tool()
    gen = torch.Generator().manual_seed(1)
    sd = official_state_dict(gen)
    # the block-chunk layout stores block N of chunk C as blocks.C.N
    chunked = OrderedDict(
        (re.sub(r'^blocks\.(\d+)\.',
                lambda m: f'blocks.{int(m.group(1)) // 2}.{m.group(1)}.', k),
         v) for k, v in sd.items())
    assert 'blocks.1.2.norm1.weight' in chunked
    flat = tool.convert_dinov2(sd)
    assert tool.convert_dinov2(chunked).keys() == flat.keys()
    prefixed = tool.convert_dinov2(sd, prefix='backbone.')
    assert all(k.startswith('backbone.') for k in prefixed)
    # a DINOv2 training checkpoint: teacher weights under 'backbone.'
    teacher = {'teacher': {'backbone.' + k: v for k, v in sd.items()}}
    assert tool.convert_dinov2(tool.unwrap_checkpoint(teacher)).keys() == \
        flat.keys()


def test_refuses_registers_and_unknown_keys(tmp_path):
    tool = load_tool()
    gen = torch.Generator().manual_seed(2)
    sd = official_state_dict(gen)
    with pytest.raises(ValueError, match='register tokens'):
        tool.convert_dinov2({**sd, 'register_tokens': torch.zeros(1, 4, DIM)})
    with pytest.raises(ValueError, match='head.weight'):
        tool.convert_dinov2({**sd, 'head.weight': torch.zeros(3, DIM)})
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'missing.pth'), str(tmp_path / 'o.pth')])
