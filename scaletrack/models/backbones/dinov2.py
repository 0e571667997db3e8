"""Frozen DINOv2 backbone giving multi-level stride-14 feature maps.

Sec. 3.4 / Appendix A: ScaleTrack uses a frozen DINOv2 ViT and feeds
features of *several* transformer blocks to the adapter (multi-scale
features, Table 14). The network itself is mmpretrain's
``VisionTransformer``; this class only fixes the DINOv2 settings, applies
the final LayerNorm to every returned block (as DINOv2's own
``get_intermediate_layers(norm=True)`` does for its dense heads; mmpretrain
normalises the last block only) and keeps the weights frozen.
"""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import torch
from mmdet.registry import MODELS
from mmpretrain.models.backbones import VisionTransformer
from torch import Tensor

__all__ = ['DINOv2Backbone', 'DINOV2_ARCHS', 'MMPRETRAIN_DINOV2_URLS']

# mmpretrain's releases of the official DINOv2 weights (mmpretrain
# configs/dinov2/metafile.yml, "Weights"). They hold an ImageClassifier's
# state dict, so they load into this backbone with prefix='backbone.'.
_MMPRETRAIN_DINOV2 = 'https://download.openmmlab.com/mmpretrain/v1.0/dinov2/'
MMPRETRAIN_DINOV2_URLS = {
    'dinov2-small':
    _MMPRETRAIN_DINOV2 +
    'vit-small-p14_dinov2-pre_3rdparty_20230426-5641ca5a.pth',
    'dinov2-base':
    _MMPRETRAIN_DINOV2 +
    'vit-base-p14_dinov2-pre_3rdparty_20230426-ba246503.pth',
    'dinov2-large':
    _MMPRETRAIN_DINOV2 +
    'vit-large-p14_dinov2-pre_3rdparty_20230426-f3302d9e.pth',
    'dinov2-giant':
    _MMPRETRAIN_DINOV2 +
    'vit-giant-p14_dinov2-pre_3rdparty_20230426-2934a630.pth',
}

# Sizes of the released DINOv2 models (Oquab et al. 2024, Table 17/18).
# ``default_out_indices``: four evenly spaced blocks ending with the last
# one, the blocks DINOv2's own dense (depth/segmentation) heads read.
DINOV2_ARCHS = {
    'dinov2-small':
    dict(
        embed_dims=384,
        num_layers=12,
        num_heads=6,
        feedforward_channels=384 * 4,
        default_out_indices=(2, 5, 8, 11)),
    'dinov2-base':
    dict(
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        feedforward_channels=768 * 4,
        default_out_indices=(2, 5, 8, 11)),
    'dinov2-large':
    dict(
        embed_dims=1024,
        num_layers=24,
        num_heads=16,
        feedforward_channels=1024 * 4,
        default_out_indices=(4, 11, 17, 23)),
    # the giant uses a SwiGLU FFN; mmpretrain's SwiGLUFFNFused turns 6144
    # into the hidden width 4096 of the released checkpoint.
    'dinov2-giant':
    dict(
        embed_dims=1536,
        num_layers=40,
        num_heads=24,
        feedforward_channels=6144,
        default_out_indices=(9, 19, 29, 39),
        ffn_type='swiglu_fused'),
}
_ALIASES = {
    's': 'dinov2-small',
    'small': 'dinov2-small',
    'b': 'dinov2-base',
    'base': 'dinov2-base',
    'l': 'dinov2-large',
    'large': 'dinov2-large',
    'g': 'dinov2-giant',
    'giant': 'dinov2-giant'
}


def url_cache_path(url: str) -> str:
    """Where mmengine's ``load_checkpoint`` keeps (and first looks for) a
    checkpoint fetched from ``url``."""
    # mmengine's load_from_http -> torch.hub.load_state_dict_from_url
    return osp.join(torch.hub.get_dir(), 'checkpoints',
                    osp.basename(urlparse(url).path))


def _resolve_arch(arch: Union[str, dict]) -> dict:
    if isinstance(arch, dict):
        need = {
            'embed_dims', 'num_layers', 'num_heads', 'feedforward_channels'
        }
        if not need <= set(arch):
            raise ValueError(f'DINOv2Backbone: a custom arch dict needs the '
                             f'keys {sorted(need)}, got {sorted(arch)}')
        return dict(arch)
    name = _resolve_arch_name(arch)
    if name not in DINOV2_ARCHS:
        raise ValueError(f'DINOv2Backbone: unknown arch {arch!r}; choose one '
                         f'of {sorted(DINOV2_ARCHS)} or pass a dict')
    return dict(DINOV2_ARCHS[name])


def _resolve_arch_name(arch: Optional[str]) -> Optional[str]:
    """The ``DINOV2_ARCHS`` name of an arch string (None for a dict)."""
    if arch is None:
        return None
    name = arch.lower()
    for short in ('dinov2-', 'dinov2_', 'vit'):
        if name.startswith(short) and name[len(short):] in _ALIASES:
            name = name[len(short):]
    return _ALIASES.get(name, name)


@MODELS.register_module()
class DINOv2Backbone(VisionTransformer):
    """DINOv2 ViT (mmpretrain ``VisionTransformer``) as a multi-level backbone.

    ``forward(imgs [B, 3, H, W]) -> tuple`` of ``[B, C, ceil(H/14),
    ceil(W/14)]`` maps, one per entry of ``out_indices`` (stride 14).
    Inputs of any size work: the 518x518 position embedding (37x37 patches)
    is resized on the fly (``interpolate_mode``, bicubic as in DINOv2) and
    sizes that are not a multiple of 14 are zero-padded at the bottom/right
    by mmcv's ``PatchEmbed``.

    Args:
        arch: ``'dinov2-small'|'dinov2-base'|'dinov2-large'|'dinov2-giant'``
            (or ``s/b/l/g``) or a dict with ``embed_dims, num_layers,
            num_heads, feedforward_channels`` (tests use tiny archs).
        out_indices: blocks whose outputs are returned. ``None`` takes the
            arch's four default blocks if ``multi_level`` else the last one.
        multi_level: Table 14 switch; ``False`` returns the last block only.
        frozen: Table 6 switch. ``True``: no parameter requires grad, the
            module stays in eval mode after ``.train()`` and runs under
            ``torch.no_grad``.
        norm_intermediate: apply the final LayerNorm to every returned block.
        img_size, patch_size, layer_scale_init_value: DINOv2's values (518,
            14, 1e-5) so that the released checkpoints load unchanged.
        init_cfg: ``dict(type='Pretrained', checkpoint=MMPRETRAIN_DINOV2_URLS[
            arch], prefix='backbone.')`` (the configs' choice), or a local
            file, e.g. one written by
            tools/model_converters/dinov2_to_mmpretrain.py (no prefix). A
            checkpoint that cannot be read or fetched is an error saying
            what to download and where to put it.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'dinov2-small',
                 out_indices: Optional[Sequence[int]] = None,
                 multi_level: bool = True,
                 frozen: bool = True,
                 norm_intermediate: bool = True,
                 img_size: int = 518,
                 patch_size: int = 14,
                 layer_scale_init_value: float = 1e-5,
                 interpolate_mode: str = 'bicubic',
                 drop_path_rate: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        settings = _resolve_arch(arch)
        num_layers = settings['num_layers']
        default = settings.pop('default_out_indices', (num_layers - 1, ))
        ffn_type = settings.pop('ffn_type', 'origin')
        if out_indices is None:
            out_indices = default if multi_level else (num_layers - 1, )
        out_indices = [
            int(i) % num_layers if i < 0 else int(i) for i in out_indices
        ]
        if not out_indices or any(i >= num_layers for i in out_indices):
            raise ValueError(f'DINOv2Backbone: out_indices {out_indices} must '
                             f'be non-empty block indices < {num_layers}')
        if sorted(out_indices) != list(out_indices) or len(
                set(out_indices)) != len(out_indices):
            raise ValueError('DINOv2Backbone: out_indices must be strictly '
                             f'increasing, got {out_indices}')
        super().__init__(
            arch=settings,
            img_size=img_size,
            patch_size=patch_size,
            out_indices=list(out_indices),
            drop_path_rate=drop_path_rate,
            out_type='featmap',
            final_norm=True,
            interpolate_mode=interpolate_mode,
            layer_scale_init_value=layer_scale_init_value,
            layer_cfgs=dict(ffn_type=ffn_type),
            init_cfg=init_cfg)
        self.patch_size = patch_size
        self.arch_name = arch if isinstance(arch, str) else None
        self.frozen = frozen
        self.norm_intermediate = norm_intermediate
        if frozen:
            for param in self.parameters():
                param.requires_grad = False
            self.train(False)

    def init_weights(self) -> None:
        """Load ``init_cfg``'s checkpoint; when it is missing (offline, or a
        local file not made yet) say what to download and where to put it."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            return super().init_weights()
        ckpt = str(cfg.get('checkpoint'))
        is_url = ckpt.startswith(('http://', 'https://'))
        name = _resolve_arch_name(self.arch_name)
        release = MMPRETRAIN_DINOV2_URLS.get(name) if name else None
        if not is_url and not osp.isfile(ckpt):
            hint = (f'download {release} and set init_cfg.checkpoint to it '
                    "(with prefix='backbone.'), or ") if release else ''
            raise FileNotFoundError(
                f'DINOv2 checkpoint {ckpt!r} not found: {hint}convert the '
                f'official '
                'dinov2_vit*14_pretrain.pth with tools/model_converters/'
                f'dinov2_to_mmpretrain.py and write it to {ckpt!r}.')
        try:
            return super().init_weights()
        except Exception as e:
            if not is_url or osp.isfile(url_cache_path(ckpt)):
                raise
            raise RuntimeError(
                f'DINOv2 weights could not be fetched from {ckpt} '
                f'({type(e).__name__}: '
                f'{e}). Download that file on a machine with internet and put '
                f'it at '
                f'{url_cache_path(ckpt)} (mmengine\'s checkpoint cache, under '
                f''
                '$TORCH_HOME), or set model.backbone.init_cfg.checkpoint to a '
                'local '
                'copy.') from e

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of each returned map (the neck's ``in_channels``)."""
        return (self.embed_dims, ) * len(self.out_indices)

    @property
    def strides(self) -> Tuple[int, ...]:
        """Stride of each returned map w.r.t. the input image."""
        return (self.patch_size, ) * len(self.out_indices)

    def train(self, mode: bool = True) -> 'DINOv2Backbone':
        """Frozen backbones stay in eval mode (no dropout / drop-path)."""
        super().train(mode and not self.frozen)
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Return one ``[B, C, h, w]`` map per ``out_indices`` entry."""
        channels = self.patch_embed.projection.in_channels
        if x.dim() != 4 or x.shape[1] != channels:
            raise ValueError('DINOv2Backbone expects images [B, 3, H, W], got '
                             f'{tuple(x.shape)}')
        if self.frozen:
            with torch.no_grad():
                return self._forward_levels(x)
        return self._forward_levels(x)

    def _forward_levels(self, x: Tensor) -> Tuple[Tensor, ...]:
        # Same steps as VisionTransformer.forward, but every returned block
        # goes through the final norm when ``norm_intermediate`` is set.
        batch = x.shape[0]
        x, hw = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(batch, -1, -1), x), dim=1)
        x = x + self.resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            hw,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        x = self.pre_norm(self.drop_after_pos(x))
        last = len(self.layers) - 1
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                y = self.ln1(x) if (self.norm_intermediate or i == last) else x
                outs.append(self._format_output(y, hw))
        return tuple(outs)
