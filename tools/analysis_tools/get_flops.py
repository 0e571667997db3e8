"""Parameters and GFLOPs of ScaleTrack's association network (Table 15).

Counts, with ``mmengine.analysis.get_model_complexity_info`` (one
multiply-add = one FLOP, the convention of Table 15 and of fvcore), for one
image of ``--shape`` pixels and ``--num-boxes`` boxes:

* the backbone alone,
* the neck (adapter) on the backbone's maps,
* the head on the neck's maps (boxes + the cached temporal buffer),
* the whole association step (backbone + neck + head).

Sampling ops (``grid_sample``, RoIAlign) have no FLOP handle in mmengine and
are not counted; they are a few million multiply-adds here.

Usage::

    python tools/analysis_tools/get_flops.py                  # ScaleTrack-S
    python tools/analysis_tools/get_flops.py scaletrack-r50
    python tools/analysis_tools/get_flops.py configs/x.py --num-boxes 100

The model is a preset name or a config file with ``model.backbone``,
``model.neck`` and ``model.track_head``.
"""
import argparse
import copy
import os
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

# Presets of the two Table 15 models. R50 uses C3-C5 + one extra stride-64
# level (Deformable DETR's 4-level ResNet input); see docs/model.md.
PRESETS = {
    'scaletrack-s': dict(
        backbone=dict(type='DINOv2Backbone', arch='dinov2-small',
                      out_indices=(2, 5, 8, 11)),
        neck=dict(type='DeformableEncoderAdapter', in_channels=[384] * 4),
        track_head=dict(type='ScaleTrackEmbedHead',
                        featmap_strides=(14, 14, 14, 14))),
    'scaletrack-s-last-level': dict(
        backbone=dict(type='DINOv2Backbone', arch='dinov2-small',
                      multi_level=False),
        neck=dict(type='DeformableEncoderAdapter', in_channels=[384]),
        track_head=dict(type='ScaleTrackEmbedHead', featmap_strides=(14, ))),
    'scaletrack-r50': dict(
        backbone=dict(type='ResNet', depth=50, num_stages=4,
                      out_indices=(1, 2, 3), frozen_stages=-1,
                      norm_cfg=dict(type='BN', requires_grad=False),
                      norm_eval=True, style='pytorch'),
        neck=dict(type='DeformableEncoderAdapter',
                  in_channels=[512, 1024, 2048], num_extra_levels=1),
        track_head=dict(type='ScaleTrackEmbedHead',
                        featmap_strides=(8, 16, 32, 64))),
    'scaletrack-r50-c2c5': dict(
        backbone=dict(type='ResNet', depth=50, num_stages=4,
                      out_indices=(0, 1, 2, 3), frozen_stages=-1,
                      norm_cfg=dict(type='BN', requires_grad=False),
                      norm_eval=True, style='pytorch'),
        neck=dict(type='DeformableEncoderAdapter',
                  in_channels=[256, 512, 1024, 2048]),
        track_head=dict(type='ScaleTrackEmbedHead',
                        featmap_strides=(4, 8, 16, 32))),
}


def load_model_cfg(model: str) -> dict:
    """Preset name or config file -> ``dict(backbone, neck, track_head)``."""
    if model in PRESETS:
        return copy.deepcopy(PRESETS[model])
    if not os.path.isfile(model):
        raise SystemExit(f'{model!r} is neither a preset ({sorted(PRESETS)}) '
                         'nor an existing config file')
    from mmengine.config import Config
    cfg = Config.fromfile(model)
    parts = cfg.get('model', {})
    missing = [k for k in ('backbone', 'neck', 'track_head') if k not in parts]
    if missing:
        raise SystemExit(f'{model}: model.{missing} not found; the config '
                         'needs model.backbone, model.neck and '
                         'model.track_head')
    return {k: parts[k].to_dict() if hasattr(parts[k], 'to_dict') else
            dict(parts[k]) for k in ('backbone', 'neck', 'track_head')}


def build_parts(model_cfg: dict) -> Tuple[nn.Module, nn.Module, nn.Module]:
    """Build backbone, neck and head from mmdet's MODELS registry."""
    import mmdet.models  # noqa: F401  (registers ResNet, ...)
    import scaletrack  # noqa: F401  (registers ScaleTrack's modules)
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('scaletrack_analysis', scope_name='mmdet')
    return tuple(MODELS.build(model_cfg[k])
                 for k in ('backbone', 'neck', 'track_head'))


class AssociationStep(nn.Module):
    """One frame of the association network: image + boxes -> embeddings.

    ``forward(img [1, 3, H, W], rois [N, 5], past_maps [1, D, T-1, h, w] or
    None) -> [N, E]``. ``past_maps`` are the cached final-level maps of the
    previous frames (the temporal buffer is state: never recomputed).
    """

    def __init__(self, backbone: nn.Module, neck: nn.Module,
                 head: nn.Module) -> None:
        super().__init__()
        self.backbone, self.neck, self.head = backbone, neck, head

    def forward(self, img: Tensor, rois: Tensor,
                past_maps: Optional[Tensor] = None) -> Tensor:
        feats = self.neck(self.backbone(img))
        temporal = None
        if past_maps is not None:
            temporal = torch.cat([past_maps, feats[-1].unsqueeze(2)], dim=2)
        return self.head(feats, rois, temporal)[-1]


class _HeadOnly(nn.Module):
    """Head with positional inputs, for the FLOP counter's tracer."""

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head

    def forward(self, rois: Tensor, temporal: Optional[Tensor],
                *feats: Tensor) -> Tensor:
        return self.head(feats, rois, temporal)[-1]


def make_inputs(shape: int, num_boxes: int, device: str = 'cpu',
                seed: int = 0) -> Tuple[Tensor, Tensor]:
    """A random image ``[1, 3, s, s]`` and ``num_boxes`` valid random rois."""
    gen = torch.Generator().manual_seed(seed)
    img = torch.randn(1, 3, shape, shape, generator=gen)
    xy = torch.rand(num_boxes, 2, generator=gen) * shape * 0.8
    wh = (torch.rand(num_boxes, 2, generator=gen) * 0.3 + 0.02) * shape
    boxes = torch.cat([xy, (xy + wh).clamp(max=shape - 1)], 1)
    rois = torch.cat([torch.zeros(num_boxes, 1), boxes], 1)
    return img.to(device), rois.to(device)


def count(model: nn.Module, inputs: tuple,
          verbose: bool = False) -> Dict[str, float]:
    """``{'params': ..., 'flops': ...}`` of ``model(*inputs)``."""
    from mmengine.analysis import get_model_complexity_info
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    if not verbose:  # the counter warns about every op without a handle
        logger.setLevel('ERROR')
    try:
        info = get_model_complexity_info(model, inputs=inputs,
                                         show_table=False, show_arch=False)
    finally:
        logger.setLevel(level)
    return dict(params=float(info['params']), flops=float(info['flops']))


def complexity(model_cfg: dict, shape: int = 518, num_boxes: int = 100,
               device: str = 'cpu') -> Dict[str, Dict[str, float]]:
    """Params and FLOPs of every part and of the whole step (eval mode)."""
    backbone, neck, head = build_parts(model_cfg)
    for m in (backbone, neck, head):
        m.to(device)
        m.eval()  # some mmdet/mmpretrain train() overrides return None
    img, rois = make_inputs(shape, num_boxes, device)
    window = getattr(head, 'temporal_window', 1)
    with torch.no_grad():
        levels = backbone(img)
        feats = neck(levels)
        past = feats[-1].unsqueeze(2).repeat(1, 1, window - 1, 1, 1) \
            if window > 1 else None
        temporal = torch.cat([past, feats[-1].unsqueeze(2)], 2) \
            if past is not None else None
        out = dict(
            backbone=count(backbone, (img, )),
            neck=count(neck, (tuple(levels), )),
            head=count(_HeadOnly(head), (rois, temporal) + tuple(feats)),
            total=count(AssociationStep(backbone, neck, head),
                        (img, rois, past)))
    return out



def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Params/GFLOPs of the association network')
    parser.add_argument('model', nargs='?', default='scaletrack-s',
                        help=f'preset {sorted(PRESETS)} or a config file')
    parser.add_argument('--shape', type=int, default=518,
                        help='square input size (Table 15: 518)')
    parser.add_argument('--num-boxes', type=int, default=100,
                        help='boxes per frame (Appendix A keeps up to 100)')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--out', help='also write the numbers to this JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    result = complexity(load_model_cfg(args.model), args.shape,
                        args.num_boxes, args.device)
    print(f'{args.model}: {args.shape}x{args.shape} input, '
          f'{args.num_boxes} boxes')
    print(f'{"part":<10}{"params (M)":>12}{"GFLOPs":>10}')
    for part, val in result.items():
        print(f'{part:<10}{val["params"] / 1e6:>12.2f}'
              f'{val["flops"] / 1e9:>10.2f}')
    if args.out:
        from scaletrack.utils.file_io import dump_json_atomic
        dump_json_atomic(dict(model=args.model, shape=args.shape,
                               num_boxes=args.num_boxes, **result), args.out)


if __name__ == '__main__':
    main()
