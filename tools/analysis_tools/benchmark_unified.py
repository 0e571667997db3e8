"""Cost of the unified variant vs. the two-backbone model, side by side.

One run builds, with random weights (timing and counting do not depend on
them):

* the detector alone (default: mmdet's Faster R-CNN R50-FPN),
* detector + ScaleTrack-S: the detector on the frame and DINOv2-S + adapter
  + decoder on the frame resized to 518 x 518 (``track_img_size``, App. D),
* detector + unified head: the adapter + decoder on the detector's own
  levels of the same frame (``configs/scaletrack/unified/``), with the
  detector's features extracted once;

and reports per-frame seconds (inference mode, the pipelines timed round
robin so that a change of machine load hits all alike; medians) and
parameters / GFLOPs (``mmengine``'s counter as ``get_flops.py``: one
multiply-add = one FLOP; sampling ops uncounted). A frame is what
``ScaleTrack.track_frame`` computes before the tracker: detection, the
association net's features, the temporal buffer window and the embeddings
of ``--num-boxes`` fixed boxes (the tracker's Hungarian matching is not
timed: random-weight detections would make its input arbitrary).

The default frame is Faster R-CNN's test scale, 1333 x 800 with the aspect
ratio kept: an 800 x 1333 image, padded to 800 x 1344 as the data
preprocessor pads (32). Usage (from the repository root)::

    python -m tools.analysis_tools.benchmark_unified --threads 2
    python -m tools.analysis_tools.benchmark_unified --quick   # smoke run
"""
import argparse
import statistics
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmdet.structures import DetDataSample
from mmengine.config import DictAction
from torch import Tensor, nn

from tools.analysis_tools.benchmark import _timed
from tools.analysis_tools.get_flops import ROOT, count, make_inputs

TWO_BACKBONE_CFG = ('configs/scaletrack/'
                    'scaletrack_dinov2-s_faster-rcnn_r50_fpn_tao.py')
UNIFIED_CFG = ('configs/scaletrack/unified/'
               'scaletrack_unified_faster-rcnn_r50_fpn_tao.py')
#: ScaleTrack-S's own input (App. D: DINOv2 at 518 x 518).
TRACK_SIZE = 518
#: Faster R-CNN's test frame: 1333 x 800, keep_ratio -> 800 x 1333 for a
#: 3:5 video frame; padded to a multiple of 32 (the data preprocessor).
FRAME_HW = (800, 1333)
PAD = 32
#: --quick: a frame small enough for a test, same code path.
QUICK = dict(frame_hw=(128, 192), track_size=112, num_boxes=5, iters=1)


def build_models(unified_cfg: str = UNIFIED_CFG,
                 two_backbone_cfg: str = TWO_BACKBONE_CFG,
                 track_size: int = TRACK_SIZE,
                 cfg_options: Optional[dict] = None) -> Dict[str, nn.Module]:
    """The two ScaleTrack models, random weights, eval mode
    (``cfg_options``: overrides of the unified config)."""
    import os.path as osp

    from mmdet.registry import MODELS
    from mmengine.config import Config

    from scaletrack.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    models = {}
    for key, path, extra in (('two_backbone', two_backbone_cfg,
                              dict(track_img_size=(track_size, track_size))),
                             ('unified', unified_cfg, {})):
        cfg = Config.fromfile(osp.join(ROOT, path))
        if key == 'unified' and cfg_options:
            cfg.merge_from_dict(cfg_options)
        cfg.model.update(extra)
        cfg.model.detector.backbone.init_cfg = None  # random: no download
        if cfg.model.get('backbone') is not None:
            cfg.model.backbone.init_cfg = None
        torch.manual_seed(0)
        models[key] = MODELS.build(cfg.model).eval()
    return models


def frame_sample(frame_hw, padded_hw) -> DetDataSample:
    return DetDataSample(
        metainfo=dict(
            frame_id=0,
            img_shape=tuple(frame_hw),
            ori_shape=tuple(frame_hw),
            pad_shape=tuple(padded_hw),
            batch_input_shape=tuple(padded_hw),
            scale_factor=(1.0, 1.0)))


class _Frame(nn.Module):
    """One frame of ``ScaleTrack.track_frame`` up to the embeddings (fixed
    boxes instead of the tracker): ``forward(img) -> [N, E]``."""

    def __init__(self, model: nn.Module, sample: DetDataSample, rois: Tensor,
                 past: Optional[Tensor]) -> None:
        super().__init__()
        self.model, self.sample, self.rois, self.past = \
            model, sample, rois, past

    def forward(self, img: Tensor) -> Tensor:
        m = self.model
        track_img, sx, sy = m._track_input(img)
        levels, det_feats = m._source_levels(track_img)
        m._frame_detections(img, self.sample.clone(), det_feats)
        feats = m.neck(levels)
        rois = self.rois * self.rois.new_tensor([1, sx, sy, sx, sy])
        temporal = None
        if self.past is not None:
            temporal = torch.cat([self.past, feats[-1].unsqueeze(2)], dim=2)
        return m.track_head(feats, rois, temporal)[-1]


class _Association(nn.Module):
    """ScaleTrack's association net on one frame, positional inputs for the
    FLOP counter: ``forward(rois, past, img)`` with its own backbone, or
    ``forward(rois, past, *levels)`` on the detector's levels."""

    def __init__(self, backbone: Optional[nn.Module], neck: nn.Module,
                 head: nn.Module) -> None:
        super().__init__()
        self.backbone, self.neck, self.head = backbone, neck, head

    def forward(self, rois: Tensor, past: Optional[Tensor], *inputs: Tensor):
        levels = self.backbone(inputs[0]) if self.backbone is not None \
            else inputs
        feats = self.neck(levels)
        temporal = None
        if past is not None:
            temporal = torch.cat([past, feats[-1].unsqueeze(2)], dim=2)
        return self.head(feats, rois, temporal)[-1]


class _DetectorTensor(nn.Module):
    """The detector without post-processing, mmdet's ``tensor`` mode (as
    mmdet's get_flops): backbone, neck, RPN and RoI head."""

    def __init__(self, detector: nn.Module, sample: DetDataSample) -> None:
        super().__init__()
        self.detector, self.sample = detector, sample

    def forward(self, img: Tensor):
        return self.detector._forward(img, [self.sample.clone()])


def _past_maps(model: nn.Module, img: Tensor) -> Optional[Tensor]:
    """The T-1 cached final-level maps of the temporal buffer."""
    window = getattr(model.track_head, 'temporal_window', 1)
    if window <= 1:
        return None
    track_img, _, _ = model._track_input(img)
    last = model.extract_track_feats(track_img)[-1]
    return last.unsqueeze(2).repeat(1, 1, window - 1, 1, 1)


def time_round_robin(fns: Dict[str, Callable[[], object]], warmup: int,
                     iters: int) -> Dict[str, float]:
    """Median seconds of each function, run in turn every iteration."""
    times: Dict[str, List[float]] = {k: [] for k in fns}
    for i in range(warmup + iters):
        for key, fn in fns.items():
            t = _timed(fn, 'cpu')
            if i >= warmup:
                times[key].append(t)
    return {k: statistics.median(v) for k, v in times.items()}


def benchmark(
        frame_hw=FRAME_HW,
        track_size: int = TRACK_SIZE,
        num_boxes: int = 100,
        warmup: int = 1,
        iters: int = 3,
        unified_cfg: str = UNIFIED_CFG,
        cfg_options: Optional[dict] = None) -> Dict[str, Dict[str, float]]:
    """Rows ``detector``, ``two_backbone``, ``unified``: seconds per frame,
    parameters and FLOPs (the detector's own row included in the others)."""
    models = build_models(
        unified_cfg, track_size=track_size, cfg_options=cfg_options)
    h, w = frame_hw
    padded = (-(-h // PAD) * PAD, -(-w // PAD) * PAD)
    img = torch.randn(
        1, 3, *padded, generator=torch.Generator().manual_seed(0))
    sample = frame_sample(frame_hw, padded)
    # boxes inside the frame, in frame pixels
    _, rois = make_inputs(min(h, w), num_boxes)
    detector = models['unified'].detector
    with torch.inference_mode():
        steps = {
            key: _Frame(m, sample, rois, _past_maps(m, img))
            for key, m in models.items()
        }
        det = _DetectorTensor(detector, sample)
        fns = dict(
            detector=lambda: detector.predict(
                img, [sample.clone()], rescale=False),
            two_backbone=lambda: steps['two_backbone'](img),
            unified=lambda: steps['unified'](img))
        seconds = time_round_robin(fns, warmup, iters)
    with torch.no_grad():
        det_cost = count(det, (img, ))
        rows = dict(detector=det_cost)
        for key, m in models.items():
            # the association part alone, counted on its own inputs (the
            # tracer keeps only ops that reach the output, so a frame's
            # detections would not be counted inside the frame)
            track_img, sx, sy = m._track_input(img)
            levels, _ = m._source_levels(track_img)
            scaled = rois * rois.new_tensor([1, sx, sy, sx, sy])
            past = steps[key].past
            if key == 'unified':  # its levels come with the detector's pass
                assoc = count(
                    _Association(None, m.neck, m.track_head),
                    (scaled, past) + tuple(levels))
            else:
                assoc = count(
                    _Association(m.backbone, m.neck, m.track_head),
                    (scaled, past, track_img))
            rows[key] = dict(
                params=det_cost['params'] + assoc['params'],
                flops=det_cost['flops'] + assoc['flops'],
                assoc_params=assoc['params'],
                assoc_flops=assoc['flops'])
    for key, s in seconds.items():
        rows[key]['seconds'] = s
    return rows


ROW_NAMES = dict(
    detector='detector alone',
    two_backbone='detector + ScaleTrack-S (2 backbones)',
    unified='detector + unified head')


def format_table(rows: Dict[str, Dict[str, float]]) -> str:
    """A Markdown table of the rows (docs/model.md)."""
    lines = [
        '| pipeline | s / frame | params (M) | GFLOPs | association params '
        '(M) | association GFLOPs |', '| --- | ---: | ---: | ---: | ---: '
        '| ---: |'
    ]
    for key, r in rows.items():
        assoc = (f'{r["assoc_params"] / 1e6:.2f} | '
                 f'{r["assoc_flops"] / 1e9:.1f}') if 'assoc_params' in r \
            else '- | -'
        lines.append(f'| {ROW_NAMES[key]} | {r["seconds"]:.2f} | '
                     f'{r["params"] / 1e6:.2f} | {r["flops"] / 1e9:.1f} | '
                     f'{assoc} |')
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Detector + ScaleTrack-S vs. detector + unified head: '
        'per-frame time, params, GFLOPs')
    parser.add_argument(
        '--unified-config',
        default=UNIFIED_CFG,
        help='unified config (its detector is the one of both pipelines '
        'when it is the Faster R-CNN one)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides of the unified config, e.g. other FPN levels: '
        'model.feature_levels="(2,3,4)" '
        'model.neck.in_channels="[256,256,256]" '
        'model.track_head.featmap_strides="(16,32,64)"')
    parser.add_argument('--num-boxes', type=int, default=100)
    parser.add_argument(
        '--threads',
        type=int,
        default=2,
        help='torch CPU threads (the project machine has 2 cores)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--iters',
        type=int,
        default=3,
        help='timed frames of each pipeline; the medians are reported')
    parser.add_argument(
        '--quick',
        action='store_true',
        help=f'smoke run: {QUICK["frame_hw"]} frame, ScaleTrack-S at '
        f'{QUICK["track_size"]}, {QUICK["num_boxes"]} boxes, 1 iteration')
    parser.add_argument('--out', help='also write the numbers to this JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    frame_hw, track_size = FRAME_HW, TRACK_SIZE
    num_boxes, warmup, iters = args.num_boxes, args.warmup, args.iters
    if args.quick:
        frame_hw, track_size = QUICK['frame_hw'], QUICK['track_size']
        num_boxes, warmup, iters = QUICK['num_boxes'], 0, QUICK['iters']
    rows = benchmark(frame_hw, track_size, num_boxes, warmup, iters,
                     args.unified_config, args.cfg_options)
    print(f'frame {frame_hw[0]}x{frame_hw[1]}, ScaleTrack-S at '
          f'{track_size}x{track_size}, {num_boxes} boxes, cpu, '
          f'{torch.get_num_threads()} threads, median of {iters}')
    print(format_table(rows))
    if args.out:
        from scaletrack.utils.file_io import dump_json_atomic
        dump_json_atomic(
            dict(
                frame_hw=list(frame_hw),
                track_size=track_size,
                num_boxes=num_boxes,
                threads=torch.get_num_threads(),
                iters=iters,
                unified_config=args.unified_config,
                cfg_options=args.cfg_options,
                rows=rows), args.out)
    return rows


if __name__ == '__main__':
    main()
