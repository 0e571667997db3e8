"""Speed of ScaleTrack's association network: backbone alone vs. whole step.

Times, in inference mode, (a) the backbone alone and (b) one association
step (backbone + neck + head for one frame with ``--num-boxes`` boxes and
the cached temporal buffer of ``head.temporal_window - 1`` past maps) and
prints seconds per frame, FPS and the ratio (b) / (a).

Usage (from the repository root; it shares get_flops.py's model loading)::

    python -m tools.analysis_tools.benchmark scaletrack-s --threads 2
    python -m tools.analysis_tools.benchmark configs/x.py --device cuda

The model is a short name (``get_flops.MODEL_CONFIGS``) or a config file with
``model.backbone``, ``model.neck`` and ``model.track_head``.
"""
import argparse
import statistics
import time
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch

from tools.analysis_tools.get_flops import (MODEL_CONFIGS, AssociationStep,
                                            build_parts, load_model_cfg,
                                            make_inputs)


def _timed(fn: Callable[[], object], device: str) -> float:
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - start


def time_pair(fn_a: Callable[[], object], fn_b: Callable[[], object],
              device: str, warmup: int, iters: int) -> Tuple[float, float]:
    """Median seconds of ``fn_a()`` and ``fn_b()``, run alternately so that
    a change of machine load affects both the same way."""
    times_a, times_b = [], []
    for i in range(warmup + iters):
        ta, tb = _timed(fn_a, device), _timed(fn_b, device)
        if i >= warmup:
            times_a.append(ta)
            times_b.append(tb)
    return statistics.median(times_a), statistics.median(times_b)


def benchmark(model_cfg: dict,
              shape: int = 518,
              num_boxes: int = 100,
              device: str = 'cpu',
              warmup: int = 2,
              iters: int = 5) -> Dict[str, float]:
    """Seconds per frame of the backbone and of the association step."""
    backbone, neck, head = build_parts(model_cfg)
    for m in (backbone, neck, head):
        m.to(device)
        m.eval()  # some mmdet/mmpretrain train() overrides return None
    step = AssociationStep(backbone, neck, head).eval()
    img, rois = make_inputs(shape, num_boxes, device)
    window = getattr(head, 'temporal_window', 1)
    with torch.inference_mode():
        last = neck(backbone(img))[-1]
        past = last.unsqueeze(2).repeat(1, 1, window - 1, 1, 1) \
            if window > 1 else None
        t_backbone, t_step = time_pair(lambda: backbone(img),
                                       lambda: step(img, rois, past), device,
                                       warmup, iters)
    return dict(
        backbone_s=t_backbone,
        step_s=t_step,
        backbone_fps=1 / t_backbone,
        step_fps=1 / t_step,
        ratio=t_step / t_backbone)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Backbone vs. association-step speed')
    parser.add_argument(
        'model',
        nargs='?',
        default='scaletrack-s',
        help=f'one of {sorted(MODEL_CONFIGS)} or a config '
        'file')
    parser.add_argument('--shape', type=int, default=518)
    parser.add_argument('--num-boxes', type=int, default=100)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch default)')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--iters',
        type=int,
        default=5,
        help='timed runs of each; the medians are reported')
    parser.add_argument('--out', help='also write the numbers to this JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda requested but CUDA is not available')
    result = benchmark(
        load_model_cfg(args.model), args.shape, args.num_boxes, args.device,
        args.warmup, args.iters)
    print(f'{args.model}: {args.shape}x{args.shape}, {args.num_boxes} boxes, '
          f'{args.device}, {torch.get_num_threads()} threads')
    print(f'backbone alone:   {result["backbone_s"]:.3f} s/frame '
          f'({result["backbone_fps"]:.2f} FPS)')
    print(f'association step: {result["step_s"]:.3f} s/frame '
          f'({result["step_fps"]:.2f} FPS)')
    print(f'ratio step / backbone: {result["ratio"]:.3f}')
    if args.out:
        from scaletrack.utils.file_io import dump_json_atomic
        dump_json_atomic(
            dict(
                model=args.model,
                shape=args.shape,
                num_boxes=args.num_boxes,
                device=args.device,
                threads=torch.get_num_threads(),
                **result), args.out)


if __name__ == '__main__':
    main()
