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

Usage (from the repository root)::

    python tools/analysis_tools/get_flops.py                  # ScaleTrack-S
    python tools/analysis_tools/get_flops.py scaletrack-r50
    python tools/analysis_tools/get_flops.py configs/x.py --num-boxes 100 \
        --cfg-options model.neck.num_layers=1

The model is a short name of `MODEL_CONFIGS` (a model config of
``configs/_base_/models/``, optionally with a variant's overrides) or a
config file with ``model.backbone``, ``model.neck`` and ``model.track_head``.
"""
import argparse
import os
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.config import DictAction
from torch import Tensor, nn

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_MODELS = 'configs/_base_/models'
#: Short name -> (model config, ``--cfg-options`` of a variant that has no
#: config of its own). The Table 15 models are ScaleTrack-S and -R50; the
#: variants state only what they change (docs/model.md): all four DINOv2-S
#: levels -> the last one, and the R50's C3-C5 + extra level -> C2-C5.
MODEL_CONFIGS = {
    'scaletrack-s': (f'{_MODELS}/scaletrack_dinov2-s.py', {}),
    'scaletrack-l': (f'{_MODELS}/scaletrack_dinov2-l.py', {}),
    'scaletrack-r50': (f'{_MODELS}/scaletrack_r50.py', {}),
    'scaletrack-tiny-r18': (f'{_MODELS}/scaletrack_tiny-r18.py', {}),
    'scaletrack-s-last-level': (f'{_MODELS}/scaletrack_dinov2-s.py', {
        'model.backbone.multi_level': False,
        'model.neck.in_channels': [384],
        'model.track_head.featmap_strides': (14, )
    }),
    'scaletrack-r50-c2c5': (f'{_MODELS}/scaletrack_r50.py', {
        'model.backbone.out_indices': (0, 1, 2, 3),
        'model.neck.in_channels': [256, 512, 1024, 2048],
        'model.neck.num_extra_levels': 0,
        'model.track_head.featmap_strides': (4, 8, 16, 32)
    }),
}


def load_model_cfg(model: str, cfg_options: Optional[dict] = None) -> dict:
    """Short name or config file (+ ``cfg_options``) ->
    ``dict(backbone, neck, track_head)``."""
    from mmengine.config import Config
    options = {}
    if model in MODEL_CONFIGS:
        model, options = MODEL_CONFIGS[model]
        model = os.path.join(ROOT, model)
    elif not os.path.isfile(model):
        raise SystemExit(f'{model!r} is neither a short name '
                         f'({sorted(MODEL_CONFIGS)}) nor an existing config '
                         'file')
    cfg = Config.fromfile(model)
    cfg.merge_from_dict(dict(options, **(cfg_options or {})))
    parts = cfg.get('model', {})
    missing = [k for k in ('backbone', 'neck', 'track_head') if k not in parts]
    if missing:
        raise SystemExit(f'{model}: model.{missing} not found; the config '
                         'needs model.backbone, model.neck and '
                         'model.track_head')
    return {k: parts[k].to_dict() for k in ('backbone', 'neck', 'track_head')}


def build_parts(model_cfg: dict) -> Tuple[nn.Module, nn.Module, nn.Module]:
    """Build backbone, neck and head from mmdet's MODELS registry."""
    import mmdet.models  # noqa: F401  (registers ResNet, ...)
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    import scaletrack  # noqa: F401  (registers ScaleTrack's modules)
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('scaletrack_analysis', scope_name='mmdet')
    return tuple(
        MODELS.build(model_cfg[k]) for k in ('backbone', 'neck', 'track_head'))


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

    def forward(self,
                img: Tensor,
                rois: Tensor,
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

    def forward(self, rois: Tensor, temporal: Optional[Tensor], *feats:
                Tensor) -> Tensor:
        return self.head(feats, rois, temporal)[-1]


def make_inputs(shape: int,
                num_boxes: int,
                device: str = 'cpu',
                seed: int = 0) -> Tuple[Tensor, Tensor]:
    """A random image ``[1, 3, s, s]`` and ``num_boxes`` valid random rois."""
    gen = torch.Generator().manual_seed(seed)
    img = torch.randn(1, 3, shape, shape, generator=gen)
    xy = torch.rand(num_boxes, 2, generator=gen) * shape * 0.8
    wh = (torch.rand(num_boxes, 2, generator=gen) * 0.3 + 0.02) * shape
    boxes = torch.cat([xy, (xy + wh).clamp(max=shape - 1)], 1)
    rois = torch.cat([torch.zeros(num_boxes, 1), boxes], 1)
    return img.to(device), rois.to(device)


def count(model: nn.Module,
          inputs: tuple,
          verbose: bool = False) -> Dict[str, float]:
    """``{'params': ..., 'flops': ...}`` of ``model(*inputs)``."""
    from mmengine.analysis import get_model_complexity_info
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    if not verbose:  # the counter warns about every op without a handle
        logger.setLevel('ERROR')
    try:
        info = get_model_complexity_info(
            model, inputs=inputs, show_table=False, show_arch=False)
    finally:
        logger.setLevel(level)
    return dict(params=float(info['params']), flops=float(info['flops']))


def complexity(model_cfg: dict,
               shape: int = 518,
               num_boxes: int = 100,
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
            total=count(
                AssociationStep(backbone, neck, head), (img, rois, past)))
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Params/GFLOPs of the association network')
    parser.add_argument(
        'model',
        nargs='?',
        default='scaletrack-s',
        help=f'one of {sorted(MODEL_CONFIGS)} or a config '
        'file')
    parser.add_argument(
        '--shape',
        type=int,
        default=518,
        help='square input size (Table 15: 518)')
    parser.add_argument(
        '--num-boxes',
        type=int,
        default=100,
        help='boxes per frame (Appendix A keeps up to 100)')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--out', help='also write the numbers to this JSON')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the model config, '
        'e.g. model.neck.num_layers=1')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    result = complexity(
        load_model_cfg(args.model, args.cfg_options), args.shape,
        args.num_boxes, args.device)
    print(f'{args.model}: {args.shape}x{args.shape} input, '
          f'{args.num_boxes} boxes')
    print(f'{"part":<10}{"params (M)":>12}{"GFLOPs":>10}')
    for part, val in result.items():
        print(f'{part:<10}{val["params"] / 1e6:>12.2f}'
              f'{val["flops"] / 1e9:>10.2f}')
    if args.out:
        from scaletrack.utils.file_io import dump_json_atomic
        dump_json_atomic(
            dict(
                model=args.model,
                shape=args.shape,
                num_boxes=args.num_boxes,
                **result), args.out)


if __name__ == '__main__':
    main()
