"""Convert an official DINOv2 checkpoint to the key layout of DINOv2Backbone.

The released facebookresearch/dinov2 files (``dinov2_vit{s,b,l,g}14_
pretrain.pth``) hold a flat state dict::

    cls_token, pos_embed, mask_token, patch_embed.proj.{weight,bias},
    blocks.N.{norm1, attn.qkv, attn.proj, ls1.gamma, norm2,
              mlp.fc1, mlp.fc2 | mlp.w12, mlp.w3 (giant, SwiGLU), ls2.gamma},
    norm.{weight,bias}

``DINOv2Backbone`` is mmpretrain's ``VisionTransformer``::

    cls_token, pos_embed, patch_embed.projection.{weight,bias},
    layers.N.{ln1, attn.qkv, attn.proj, attn.gamma1.weight, ln2,
              ffn.layers.0.0, ffn.layers.1 | ffn.w12, ffn.w3,
              ffn.gamma2.weight},
    ln1.{weight,bias}

``mask_token`` (used only by DINOv2's masked-image training) is dropped.
Checkpoints with register tokens (``*_reg*``) are refused: mmpretrain's ViT
has no register tokens. Chunked blocks (``blocks.C.N.``) are flattened.

Usage::

    python tools/model_converters/dinov2_to_mmpretrain.py \
        dinov2_vits14_pretrain.pth checkpoints/dinov2_vits14_mmpretrain.pth

and in the config ``backbone=dict(type='DINOv2Backbone', arch='dinov2-small',
init_cfg=dict(type='Pretrained', checkpoint='checkpoints/dinov2_vits14_
mmpretrain.pth'))``.
"""
import argparse
import os
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch

# block-level renames: official suffix -> mmpretrain suffix
BLOCK_KEYS = {
    'norm1.weight': 'ln1.weight',
    'norm1.bias': 'ln1.bias',
    'attn.qkv.weight': 'attn.qkv.weight',
    'attn.qkv.bias': 'attn.qkv.bias',
    'attn.proj.weight': 'attn.proj.weight',
    'attn.proj.bias': 'attn.proj.bias',
    'ls1.gamma': 'attn.gamma1.weight',
    'norm2.weight': 'ln2.weight',
    'norm2.bias': 'ln2.bias',
    'mlp.fc1.weight': 'ffn.layers.0.0.weight',
    'mlp.fc1.bias': 'ffn.layers.0.0.bias',
    'mlp.fc2.weight': 'ffn.layers.1.weight',
    'mlp.fc2.bias': 'ffn.layers.1.bias',
    'mlp.w12.weight': 'ffn.w12.weight',
    'mlp.w12.bias': 'ffn.w12.bias',
    'mlp.w3.weight': 'ffn.w3.weight',
    'mlp.w3.bias': 'ffn.w3.bias',
    'ls2.gamma': 'ffn.gamma2.weight',
}
TOP_KEYS = {
    'cls_token': 'cls_token',
    'pos_embed': 'pos_embed',
    'patch_embed.proj.weight': 'patch_embed.projection.weight',
    'patch_embed.proj.bias': 'patch_embed.projection.bias',
    'norm.weight': 'ln1.weight',
    'norm.bias': 'ln1.bias',
}
DROPPED_KEYS = {'mask_token'}
_CHUNKED = re.compile(r'^blocks\.\d+\.(\d+)\.(.+)$')
_FLAT = re.compile(r'^blocks\.(\d+)\.(.+)$')


def unwrap_checkpoint(ckpt: dict) -> Dict[str, torch.Tensor]:
    """The state dict inside a file: flat, or under model/state_dict/teacher.

    A DINOv2 training checkpoint's ``teacher`` entry has ``backbone.``
    prefixed keys; that prefix (and ``module.``) is removed.
    """
    if not isinstance(ckpt, dict):
        raise TypeError(f'expected a dict checkpoint, got {type(ckpt)}')
    for key in ('teacher', 'state_dict', 'model'):
        if key in ckpt and isinstance(ckpt[key], dict):
            ckpt = ckpt[key]
            break
    out = OrderedDict()
    for k, v in ckpt.items():
        for prefix in ('module.', 'backbone.'):
            if k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def convert_dinov2(state_dict: Dict[str, torch.Tensor],
                   prefix: str = '') -> 'OrderedDict[str, torch.Tensor]':
    """Map official DINOv2 keys to ``DINOv2Backbone`` keys (values shared).

    Raises:
        ValueError: register tokens, SwiGLU/MLP mix-ups or unknown keys.
    """
    if any(k.startswith('register_tokens') for k in state_dict):
        raise ValueError(
            'this DINOv2 checkpoint has register tokens (a *_reg* model); '
            'mmpretrain\'s VisionTransformer has none, so DINOv2Backbone '
            'cannot use it. Use the checkpoint without registers.')
    out = OrderedDict()
    unknown = []
    for key, value in state_dict.items():
        if key in DROPPED_KEYS:
            continue
        if key in TOP_KEYS:
            out[prefix + TOP_KEYS[key]] = value
            continue
        match = _CHUNKED.match(key) or _FLAT.match(key)
        if match and match.group(2) in BLOCK_KEYS:
            new = f'layers.{int(match.group(1))}.{BLOCK_KEYS[match.group(2)]}'
            out[prefix + new] = value
            continue
        unknown.append(key)
    if unknown:
        raise ValueError(
            f'{len(unknown)} keys are not part of the DINOv2 ViT layout this '
            f'converter knows (first ones: {unknown[:5]}); is this an '
            'official facebookresearch/dinov2 backbone checkpoint?')
    if not out:
        raise ValueError('no DINOv2 keys found in the checkpoint')
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official DINOv2 checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint for DINOv2Backbone')
    parser.add_argument(
        '--prefix',
        default='',
        help="prefix for every key, e.g. 'backbone.' to load the file into "
        'a whole model with load_from (default: none, for init_cfg)')
    args = parser.parse_args(argv)
    if not os.path.isfile(args.src):
        parser.error(f'checkpoint not found: {args.src}')
    ckpt = torch.load(args.src, map_location='cpu', weights_only=True)
    state_dict = convert_dinov2(unwrap_checkpoint(ckpt), args.prefix)
    from scaletrack.utils.file_io import torch_save_atomic
    torch_save_atomic({'state_dict': state_dict}, args.dst)
    print(f'wrote {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
