"""Extract the frames of SA-V's mp4 videos as JPEGs, resumable and parallel.

Layout and names are SAM 2's (``training/scripts/
sav_frame_extraction_submitit.py`` writes frame ``k * rate`` of a video as
``<out>/<video_id>/{k * rate:05d}.jpg`` with ``cv2.imwrite``)::

    <out>/<video_id>/00000.jpg, 00004.jpg, 00008.jpg, ...   # --every 4
    <out>/<video_id>/00000.jpg, 00001.jpg, 00002.jpg, ...   # --every 1

SA-V annotates its 24 fps videos at 6 fps (``masklet[i]`` is frame
``4 * i``), so the default ``--every 4`` writes the annotated frames only,
a quarter of the storage of all frames, and exactly what ``SAVDataset``
reads.

* A video is written to ``<out>/.<video_id>.tmp`` and renamed to
  ``<out>/<video_id>`` when all its frames are written, so a finished
  folder is always complete; a re-run skips finished videos (after checking
  that their folder has every expected frame) and redoes the rest.
* A video that cannot be opened, has fewer frames than its
  ``_manual.json`` annotates or, without one, stops decoding before the
  frame count in its header, is reported with its path; the others go on,
  the failures are listed at the end and the exit status is 1.

Usage::

    python tools/dataset_converters/sav_extract_frames.py \\
        data/sav/sav_train data/sav/sav_train/JPEGImages_24fps --workers 8
"""
import argparse
import glob
import json
import multiprocessing
import os
import os.path as osp
import shutil
import sys
import time
from typing import List, NamedTuple, Optional

import cv2

# SA-V: 24 fps videos annotated at 6 fps (sav_dataset/README.md).
SAV_ANNOTATION_STRIDE = 4
# cv2.imwrite's default JPEG quality, which SAM 2's extraction script uses.
DEFAULT_JPEG_QUALITY = 95
# Parallel videos by default: one per core, at most 8 (decoding one 848 x
# 480 video keeps a core busy; more processes than cores only add memory).
DEFAULT_WORKERS = max(1, min(8, os.cpu_count() or 1))
TMP_SUFFIX = '.tmp'


class VideoResult(NamedTuple):
    video: str  # the mp4 path
    status: str  # 'done', 'skipped' or 'failed'
    frames: int  # JPEGs written (done) or found (skipped)
    seconds: float
    message: str = ''


def find_videos(src: str) -> List[str]:
    """``src`` if it is an mp4, else every ``*.mp4`` below it, sorted."""
    if osp.isfile(src):
        return [src]
    if not osp.isdir(src):
        raise FileNotFoundError(f'{src!r} is neither an mp4 file nor a folder')
    return sorted(glob.glob(osp.join(src, '**', '*.mp4'), recursive=True))


def frame_name(frame: int) -> str:
    return f'{frame:05d}.jpg'


def header_frame_count(cap: 'cv2.VideoCapture') -> int:
    """Frames announced by the container (0 when it does not say)."""
    n = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(n) if n and n > 0 else 0


def annotated_frames(video: str) -> Optional[int]:
    """Number of annotated frames of the ``_manual.json`` next to the video
    (SA-V's layout), or None when there is none or it cannot be read (the
    dataset reader reports a broken annotation file)."""
    stem = osp.splitext(video)[0]
    path = stem + '_manual.json'
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            masklet = json.load(f).get('masklet')
        return len(masklet) if isinstance(masklet, list) else None
    except (ValueError, OSError, AttributeError):
        return None


def _complete(folder: str, total: int, every: int) -> bool:
    """A finished folder holds every expected frame of a ``total``-frame
    video (frames ``0, every, ...``)."""
    if total <= 0:
        return True  # the header does not say: trust the finished rename
    have = set(os.listdir(folder))
    return all(frame_name(i) in have for i in range(0, total, every))


def extract_video(video: str,
                  out_root: str,
                  every: int,
                  quality: int = DEFAULT_JPEG_QUALITY) -> VideoResult:
    """Write the frames ``0, every, 2 * every, ...`` of one video; see the
    module docstring for the failure cases (never raises)."""
    start = time.perf_counter()
    video_id = osp.splitext(osp.basename(video))[0]
    final = osp.join(out_root, video_id)
    tmp = osp.join(out_root, f'.{video_id}{TMP_SUFFIX}')
    cap = None
    try:
        cap = cv2.VideoCapture(video)
        if not cap.isOpened():
            raise RuntimeError(
                'cannot open it (not a video, or truncated or corrupt)')
        total = header_frame_count(cap)
        if osp.isdir(tmp):
            shutil.rmtree(tmp)  # left by an interrupted run
        if osp.isdir(final):
            if _complete(final, total, every):
                return VideoResult(video, 'skipped', len(os.listdir(final)),
                                   time.perf_counter() - start)
            shutil.rmtree(final)  # incomplete (files removed later): redo
        os.makedirs(tmp)
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
        frame, written = 0, 0
        while True:
            if frame % every == 0:
                ok, img = cap.read()
                if ok:
                    name = osp.join(tmp, frame_name(frame))
                    if not cv2.imwrite(name, img, params):
                        raise RuntimeError(f'cannot write {name}')
                    written += 1
            else:
                ok = cap.grab()  # decode without converting the frame
            if not ok:
                break
            frame += 1
        if frame == 0:
            raise RuntimeError('no frame could be decoded (corrupt video)')
        num_ann = annotated_frames(video)
        if num_ann is not None:
            # SA-V: the annotation is the authority (the last annotated frame
            # must be there); a container's count may be off by a frame
            last = SAV_ANNOTATION_STRIDE * (num_ann - 1)
            if last >= frame:
                raise RuntimeError(
                    f'it has {frame} frames but its _manual.json annotates '
                    f'{num_ann} frames (up to frame {last}): truncated video')
        elif total and frame < total:
            raise RuntimeError(
                f'decoding stopped at frame {frame} of the {total} in its '
                'header (truncated or corrupt video)')
        os.replace(tmp, final)
        return VideoResult(video, 'done', written, time.perf_counter() - start)
    except Exception as e:  # reported with the video's name, the rest go on
        shutil.rmtree(tmp, ignore_errors=True)
        return VideoResult(video, 'failed', 0,
                           time.perf_counter() - start,
                           f'{type(e).__name__}: {e}')
    finally:
        if cap is not None:
            cap.release()


def _extract_star(args) -> VideoResult:
    return extract_video(*args)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Extract SA-V frames as <out>/<video_id>/{frame:05d}.jpg '
        "(SAM 2's names), resumable and parallel over videos.")
    parser.add_argument(
        'src',
        help='an SA-V folder (sav_train/, searched for *.mp4 '
        'recursively) or one mp4')
    parser.add_argument(
        'out', help='output folder, e.g. data/sav/sav_train/JPEGImages_24fps')
    parser.add_argument(
        '--every',
        type=int,
        default=SAV_ANNOTATION_STRIDE,
        help='keep frames 0, N, 2N, ... (default 4: the 6 fps annotated '
        'frames of the 24 fps videos; 1: all frames)')
    parser.add_argument(
        '--workers',
        type=int,
        default=DEFAULT_WORKERS,
        help='videos decoded in parallel (default: %(default)s)')
    parser.add_argument(
        '--quality',
        type=int,
        default=DEFAULT_JPEG_QUALITY,
        help='JPEG quality (default %(default)s, as SAM 2)')
    args = parser.parse_args(argv)
    if args.every < 1 or args.workers < 1 or not 1 <= args.quality <= 100:
        parser.error('--every and --workers must be >= 1, --quality in 1..100')
    return args


def main(argv=None) -> int:
    from mmengine.utils import ProgressBar
    args = parse_args(argv)
    videos = find_videos(args.src)
    if not videos:
        print(f'no *.mp4 found under {args.src!r}', file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    jobs = [(v, args.out, args.every, args.quality) for v in videos]
    start = time.perf_counter()
    results: List[VideoResult] = []
    bar = ProgressBar(len(jobs))
    if args.workers == 1:
        for job in jobs:
            results.append(_extract_star(job))
            bar.update()
    else:
        with multiprocessing.Pool(args.workers) as pool:
            for res in pool.imap_unordered(_extract_star, jobs):
                results.append(res)
                bar.update()
    seconds = time.perf_counter() - start
    done = [r for r in results if r.status == 'done']
    failed = sorted((r for r in results if r.status == 'failed'),
                    key=lambda r: r.video)
    written = sum(r.frames for r in done)
    print(f'\n{len(done)} videos extracted ({written} frames, '
          f'{written / max(seconds, 1e-9):.1f} frames/s written), '
          f'{len(results) - len(done) - len(failed)} already finished, '
          f'{len(failed)} failed, in {seconds:.1f} s -> {args.out}')
    for r in failed:
        print(f'FAILED {r.video}: {r.message}', file=sys.stderr)
    if failed:
        print(
            f'{len(failed)} videos failed (listed above); fix or remove them '
            f'and '
            're-run: finished videos are skipped.',
            file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
