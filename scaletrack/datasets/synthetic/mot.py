"""MOTChallenge-format evaluation sequences.

Layout under ``root`` (one folder per sequence, recognisable by its
``seqinfo.ini``)::

    {seq}/seqinfo.ini
    {seq}/img1/{frame:06d}.jpg           # frames 1-based and consecutive
    {seq}/gt/gt.txt          # frame,id,x,y,w,h,conf,class,visibility
    {seq}/det/det.txt                    # frame,-1,x,y,w,h,score,-1,-1,-1
    manifest.json

Ground truth follows MOT17: the *amodal* box of every object inside the
image (clipped to it), occluded ones included with their visibility; rows of
fully occluded objects have ``conf = 0`` (not considered, nothing can see
them).  Ids are 1-based, ``class`` is 1 (a single class, like pedestrians
in MOT17 or players in SportsMOT).  Coordinates are 0-based pixels.
"""
import configparser
import io
import os
from functools import partial

from .atomic_io import atomic_write_jpeg, atomic_write_text
from .config import VIDEO_FPS, SyntheticConfig, aux_rng, video_rng
from .manifest import begin_split, finish_split
from .noisy_boxes import make_detections
from .renderer import render_frame
from .scene import plan_video
from .video_loop import map_videos

#: The single MOTChallenge class written in gt.txt (1 = pedestrian/target).
MOT_CLASS = 1


def mot_sequence_name(index: int) -> str:
    return f'SYNTH-{index + 1:02d}'


def _num(v: float) -> str:
    """Shortest exact text of a coordinate (integers without '.0')."""
    return f'{v:.2f}'.rstrip('0').rstrip('.')


def _write_mot_sequence(index: int, root: str, cfg: SyntheticConfig) -> dict:
    seq = mot_sequence_name(index)
    rng = video_rng(cfg.seed, 'mot', index)
    aux = aux_rng(cfg.seed, 'mot', index)
    plan = plan_video(cfg, rng, cfg.eval_frame_step, train=False)
    noise_seed = int(rng.integers(2**62))  # same draw as render_video
    gt_rows, det_rows = [], []
    for k in range(len(plan.frame_times)):
        fid = k + 1
        frame, objs = render_frame(plan, k, noise_seed)
        atomic_write_jpeg(
            os.path.join(root, seq, 'img1', f'{fid:06d}.jpg'), frame,
            cfg.jpeg_quality)
        for o in objs:
            x1, y1, x2, y2 = o.full_bbox
            conf = 1 if o.visibility > 0 else 0
            gt_rows.append(
                f'{fid},{o.id + 1},{_num(x1)},{_num(y1)},{_num(x2 - x1)},'
                f'{_num(y2 - y1)},{conf},{MOT_CLASS},{o.visibility:.4f}\n')
        boxes, _ = make_detections(
            objs, aux, cfg, box_of=lambda o: o.full_bbox)
        for x1, y1, x2, y2, s in boxes.tolist():
            det_rows.append(f'{fid},-1,{_num(x1)},{_num(y1)},'
                            f'{_num(x2 - x1)},{_num(y2 - y1)},{s:.4f},'
                            '-1,-1,-1\n')
    atomic_write_text(
        os.path.join(root, seq, 'gt', 'gt.txt'), ''.join(gt_rows))
    atomic_write_text(
        os.path.join(root, seq, 'det', 'det.txt'), ''.join(det_rows))
    ini = configparser.ConfigParser()
    ini.optionxform = str  # keep MOTChallenge's camelCase keys
    ini['Sequence'] = dict(
        name=seq,
        imDir='img1',
        frameRate=_num(VIDEO_FPS / cfg.eval_frame_step),
        seqLength=str(len(plan.frame_times)),
        imWidth=str(cfg.width),
        imHeight=str(cfg.height),
        imExt='.jpg')
    buf = io.StringIO()
    ini.write(buf, space_around_delimiters=False)
    atomic_write_text(os.path.join(root, seq, 'seqinfo.ini'), buf.getvalue())
    return dict(name=seq, num_gt_rows=len(gt_rows), num_det_rows=len(det_rows))


def generate_mot(root: str,
                 cfg: SyntheticConfig,
                 num_workers: int = 0,
                 progress: bool = False,
                 overwrite: bool = False) -> dict:
    """Write ``cfg.num_videos`` MOTChallenge sequences under ``root``.

    Sequence ``i`` is ``render_video(cfg, video_rng(cfg.seed, 'mot', i))``
    (object id ``j`` is MOT id ``j + 1``).  Returns ``root`` and ``seqs``
    (the sequence names).
    """
    root = os.path.abspath(root)
    seqs = [mot_sequence_name(i) for i in range(cfg.num_videos)]
    paths = dict(root=root, seqs=seqs)
    # a different config may have written other sequence names: own them all
    old = [
        d for d in (os.listdir(root) if os.path.isdir(root) else [])
        if os.path.isfile(os.path.join(root, d, 'seqinfo.ini'))
    ]
    if begin_split(root, 'mot', cfg, sorted(set(seqs) | set(old)), overwrite):
        return paths
    stats = map_videos(
        partial(_write_mot_sequence, root=root, cfg=cfg),
        list(range(cfg.num_videos)), num_workers, progress)
    finish_split(root, 'mot', cfg, extra=dict(sequences=stats))
    return paths
