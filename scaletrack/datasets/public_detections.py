"""Public detections for the "same detections" protocol (App. D, marker †).

Association papers compare trackers on identical detections. This module
reads them from the three formats they are published in and returns every
frame's boxes in one form::

    dict(bboxes=np.float32[N, 4],   # x1, y1, x2, y2, original-image pixels
         scores=np.float32[N],
         labels=np.int64[N])        # index into the dataset's class list

* :func:`load_box_file` reads one MASA-layout per-frame ``.pth`` pickle
  (also used for the pseudo-negative proposals of training).
* Readers, all with ``get(img_path, video_name, frame_index, image_id)`` and
  registered in mmdet's ``TASK_UTILS``:

  - :class:`MASADetections`: one ``.pth`` per frame (MASA's files);
  - :class:`TAOResultDetections`: a TAO/TETA results JSON;
  - :class:`MOTDetDetections`: MOTChallenge ``<seq>/det/det.txt``.

Every reader takes ``missing='error' | 'empty'``: a frame the source does not
cover is a clear error, or (when asked) an empty frame. It is never skipped
silently.
"""
import configparser
import os.path as osp
import warnings
from typing import Dict, Iterable, Optional, Union

import numpy as np
import torch
from mmdet.registry import TASK_UTILS

from ..utils.file_io import load_json_file

MISSING_MODES = ('error', 'empty')


def empty_detections() -> Dict[str, np.ndarray]:
    """A frame without detections in the common form."""
    return dict(
        bboxes=np.zeros((0, 4), dtype=np.float32),
        scores=np.zeros((0, ), dtype=np.float32),
        labels=np.zeros((0, ), dtype=np.int64))


def _check_missing(missing: str) -> str:
    if missing not in MISSING_MODES:
        raise ValueError(
            f"missing must be one of {MISSING_MODES}, got '{missing}'")
    return missing


def _to_numpy(value, name: str, path: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (np.ndarray, list, tuple)):
        return np.asarray(value)
    raise ValueError(f'{path}: "{name}" must be a tensor or array, got '
                     f'{type(value).__name__}')


def _as_labels(labels: np.ndarray, n: int, where: str) -> np.ndarray:
    """Validate a label vector of length ``n`` and cast it to int64."""
    labels = np.asarray(labels)
    if labels.size == 0 and n == 0:
        return np.zeros((0, ), dtype=np.int64)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f'{where}: labels must have shape ({n},) to match '
                         f'the boxes, got {labels.shape}')
    if not np.issubdtype(labels.dtype, np.integer):
        if not (np.isfinite(labels).all()
                and (labels == np.round(labels)).all()):
            raise ValueError(f'{where}: labels must be integer class indices')
    return labels.astype(np.int64)


def load_box_file(path: str) -> Dict[str, np.ndarray]:
    """Read one per-frame box file in the MASA layout.

    The file is a ``torch.save`` pickle of a dict with ``det_bboxes``
    (``N x 5``: x1, y1, x2, y2, score in original-image pixels; ``N x 4``
    means score 1) and optionally ``det_labels`` (``N``; absent means class
    0) and ``det_masks`` (ignored). Values may be tensors or numpy arrays;
    an empty array of any shape is an empty frame. Files are unpickled with
    ``weights_only=False`` (numpy arrays need it), so read only files you
    trust.

    Args:
        path (str): the ``.pth`` file.

    Returns:
        dict: ``bboxes`` float32 ``[N, 4]``, ``scores`` float32 ``[N]``,
        ``labels`` int64 ``[N]``.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file cannot be unpickled or has the wrong content.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'box file not found: {path}')
    try:
        data = torch.load(path, map_location='cpu', weights_only=False)
    except Exception as e:  # any unpickling failure means a corrupt file
        raise ValueError(
            f'cannot read box file {path} ({type(e).__name__}: {e}); '
            'expected a torch.save pickle of dict(det_bboxes=..., '
            'det_labels=...)') from e
    if not isinstance(data, dict) or 'det_bboxes' not in data:
        keys = list(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f'box file {path} must hold a dict with '
                         f'"det_bboxes" (N x 5 or N x 4), got {keys}')
    dets = _to_numpy(data['det_bboxes'], 'det_bboxes', path)
    if dets.size == 0:
        dets = np.zeros((0, 5), dtype=np.float32)
    elif dets.ndim != 2 or dets.shape[1] not in (4, 5):
        raise ValueError(f'box file {path}: det_bboxes must be N x 5 (x1, y1,'
                         f' x2, y2, score) or N x 4, got shape {dets.shape}')
    n = dets.shape[0]
    if not np.issubdtype(dets.dtype, np.number):
        raise ValueError(f'box file {path}: det_bboxes must be numeric, got '
                         f'dtype {dets.dtype}')
    bboxes = dets[:, :4].astype(np.float32)
    scores = (dets[:, 4] if dets.shape[1] == 5 else np.ones(
        (n, ))).astype(np.float32)
    if data.get('det_labels') is None:
        labels = np.zeros((n, ), dtype=np.int64)
    else:
        labels = _as_labels(
            _to_numpy(data['det_labels'], 'det_labels', path), n,
            f'box file {path} (det_labels)')
    return dict(bboxes=bboxes, scores=scores, labels=labels)


def _missing_frame(mode: str, message: str) -> Dict[str, np.ndarray]:
    if mode == 'empty':
        return empty_detections()
    raise FileNotFoundError(
        message + " (pass missing='empty' to treat it as a frame without "
        'detections)')


@TASK_UTILS.register_module()
class MASADetections:
    """MASA's per-frame files: ``<root>/<img_path relative to img_root>``
    with the image extension replaced by ``ext``.

    Args:
        root (str): root of the ``.pth`` files.
        img_root (str): image root the frame paths are relative to (the
            dataset's ``data_prefix['img_path']``).
        ext (str): file extension. Defaults to ``'.pth'`` (MASA).
        missing (str): ``'error'`` (a frame without file raises
            FileNotFoundError) or ``'empty'`` (it has no detections).
    """

    def __init__(self,
                 root: str,
                 img_root: str,
                 ext: str = '.pth',
                 missing: str = 'error') -> None:
        self.root = root
        self.img_root = img_root
        self.ext = ext
        self.missing = _check_missing(missing)

    def file_of(self, img_path: str) -> str:
        """The box file of one frame."""
        rel = osp.relpath(osp.abspath(img_path), osp.abspath(self.img_root))
        if rel == '..' or rel.startswith('..' + osp.sep):
            raise ValueError(f'frame {img_path} is not under img_root '
                             f'{self.img_root}; set img_root to the image '
                             'root of the detection files')
        return osp.join(self.root, osp.splitext(rel)[0] + self.ext)

    def get(self,
            img_path: str,
            video_name: Optional[str] = None,
            frame_index: Optional[int] = None,
            image_id: Optional[int] = None) -> Dict[str, np.ndarray]:
        """Detections of the frame at ``img_path`` (other args unused)."""
        path = self.file_of(img_path)
        if not osp.isfile(path):
            return _missing_frame(
                self.missing,
                f'no detection file for frame {img_path}: {path} not found')
        return load_box_file(path)


@TASK_UTILS.register_module()
class TAOResultDetections:
    """Detections from a TAO/TETA results JSON.

    The file is a list of ``{image_id, video_id, category_id, bbox [x, y, w,
    h], score, track_id?}`` (``track_id`` is ignored: only the boxes are
    public). It is indexed by ``image_id`` once, at construction.

    Labels are the position of ``category_id`` in the class list, taken from
    ``categories`` (a list of category dicts with ``id`` or a list of ids, in
    the dataset's class order) or else from ``ann_file``'s ``categories`` in
    file order (what the TAO dataset uses when ``classes=None``).

    Which frames are "missing": with ``ann_file``, its ``images`` are the
    known frames, so a known frame without any result is an empty frame and
    only unknown image ids are missing; without ``ann_file``, an image id
    with no result at all is missing (a results file cannot tell an empty
    frame from an absent one).

    Args:
        json_file (str): the results JSON.
        ann_file (str, optional): the TAO annotation JSON of the same split.
        categories (list, optional): class list (dicts with ``id`` or ids).
        missing (str): ``'error'`` or ``'empty'``.
        unknown_category (str): a result whose ``category_id`` is not in the
            class list: ``'error'`` (default) or ``'drop'`` (ignored; e.g.
            when the dataset uses a subset of the detector's classes).
    """

    def __init__(self,
                 json_file: str,
                 ann_file: Optional[str] = None,
                 categories: Optional[Iterable[Union[dict, int]]] = None,
                 missing: str = 'error',
                 unknown_category: str = 'error') -> None:
        self.missing = _check_missing(missing)
        if unknown_category not in ('error', 'drop'):
            raise ValueError("unknown_category must be 'error' or 'drop', "
                             f"got '{unknown_category}'")
        ann = load_json_file(ann_file, 'TAO annotation') \
            if ann_file is not None else None
        if categories is None:
            if ann is None:
                raise ValueError(
                    'TAOResultDetections needs the class list: pass '
                    '`categories` or `ann_file` to map category_id to labels')
            categories = ann.get('categories')
            if categories is None:
                raise ValueError(f'{ann_file} has no "categories"')
        cat_ids = [c['id'] if isinstance(c, dict) else int(c)
                   for c in categories]
        self.cat_to_label = {cid: i for i, cid in enumerate(cat_ids)}
        self.known_images = None if ann is None else {
            int(img['id'])
            for img in ann.get('images', [])
        }

        results = load_json_file(json_file, 'TAO results')
        if not isinstance(results, list):
            raise ValueError(f'TAO results file {json_file} must hold a JSON '
                             f'list, got {type(results).__name__}')
        self.json_file = json_file
        self._index = self._build_index(results, json_file, unknown_category)

    def _build_index(self, results: list, json_file: str,
                     unknown_category: str) -> Dict[int, tuple]:
        n = len(results)
        image_ids = np.empty((n, ), dtype=np.int64)
        boxes = np.empty((n, 4), dtype=np.float64)
        scores = np.empty((n, ), dtype=np.float64)
        labels = np.empty((n, ), dtype=np.int64)
        for i, r in enumerate(results):
            try:
                image_ids[i] = r['image_id']
                boxes[i] = r['bbox']
                scores[i] = r['score']
                cid = r['category_id']
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(
                    f'{json_file}: entry {i} must have image_id, category_id,'
                    f' bbox [x, y, w, h] and score; got {r!r} ({e})') from e
            label = self.cat_to_label.get(cid)
            if label is None:
                if unknown_category == 'error':
                    raise ValueError(
                        f'{json_file}: entry {i} has category_id {cid}, '
                        "which is not in the class list (pass "
                        "unknown_category='drop' to ignore such results)")
                label = -1
            labels[i] = label
        keep = labels >= 0
        image_ids, boxes, scores, labels = (image_ids[keep], boxes[keep],
                                            scores[keep], labels[keep])
        boxes[:, 2:] += boxes[:, :2]  # x, y, w, h -> x1, y1, x2, y2
        order = np.argsort(image_ids, kind='stable')
        image_ids, boxes, scores, labels = (image_ids[order], boxes[order],
                                            scores[order], labels[order])
        uniq, starts = np.unique(image_ids, return_index=True)
        ends = np.append(starts[1:], len(image_ids))
        boxes = boxes.astype(np.float32)
        scores = scores.astype(np.float32)
        return {
            int(u): (boxes[s:e], scores[s:e], labels[s:e])
            for u, s, e in zip(uniq, starts, ends)
        }

    def get(self,
            img_path: Optional[str] = None,
            video_name: Optional[str] = None,
            frame_index: Optional[int] = None,
            image_id: Optional[int] = None) -> Dict[str, np.ndarray]:
        """Detections of image ``image_id`` (other args unused)."""
        if image_id is None:
            raise ValueError(
                f'TAOResultDetections ({self.json_file}) is keyed by image '
                f'id, but frame {img_path} has none; the dataset must set '
                '"img_id" to the annotation image id')
        image_id = int(image_id)
        hit = self._index.get(image_id)
        if hit is not None:
            boxes, scores, labels = hit
            return dict(
                bboxes=boxes.copy(), scores=scores.copy(),
                labels=labels.copy())
        if self.known_images is not None and image_id in self.known_images:
            return empty_detections()
        return _missing_frame(
            self.missing, f'{self.json_file} has no detections for image id '
            f'{image_id} ({img_path})')


@TASK_UTILS.register_module()
class MOTDetDetections:
    """MOTChallenge public detections: ``<root>/<seq>/det/det.txt``.

    Rows are ``frame, id, x, y, w, h, score[, ...]`` with 1-based frames.
    The frame is read from the image name when it is MOTChallenge's
    (``img1/000004.jpg`` is frame 4), which stays right for half splits
    whose first frame is not frame 1; otherwise our 0-based ``frame_id``
    ``i`` reads the rows with ``frame == i + 1`` (whole sequences). Boxes are converted to
    ``x1 = x, y1 = y, x2 = x + w, y2 = y + h`` with no pixel shift, the same
    convention as the ground-truth converter and the results writer, so
    detections, ground truth and results stay in one frame of reference.
    ``det.txt`` has no usable class, so every box gets ``label``.

    A sequence's frames are ``1 .. seqLength`` of its ``seqinfo.ini`` when
    present (frames in that range without rows are empty), else ``1 .. the
    last frame in det.txt``. A frame outside that range, or a sequence
    without det.txt, is missing. Each sequence is parsed once, on first use.

    Args:
        root (str): folder holding one folder per sequence.
        det_file (str): path of the detection file inside a sequence folder.
        label (int): class index given to every box. Defaults to 0.
        missing (str): ``'error'`` or ``'empty'``.
    """

    def __init__(self,
                 root: str,
                 det_file: str = 'det/det.txt',
                 label: int = 0,
                 missing: str = 'error') -> None:
        self.root = root
        self.det_file = det_file
        self.label = int(label)
        self.missing = _check_missing(missing)
        self._cache: Dict[str, Optional[tuple]] = {}

    @staticmethod
    def sequence_of(img_path: str) -> str:
        """Sequence name from a MOTChallenge frame path
        ``.../<seq>/img1/000001.jpg``."""
        return osp.basename(osp.dirname(osp.dirname(osp.abspath(img_path))))

    @staticmethod
    def frame_of(img_path: Optional[str]) -> Optional[int]:
        """1-based frame of a MOTChallenge image name (``000004.jpg`` -> 4),
        or None when the name is not all digits."""
        if not img_path:
            return None
        stem = osp.splitext(osp.basename(img_path))[0]
        return int(stem) if stem.isdigit() else None

    def _seq_length(self, seq: str) -> Optional[int]:
        ini = osp.join(self.root, seq, 'seqinfo.ini')
        if not osp.isfile(ini):
            return None
        parser = configparser.ConfigParser()
        try:
            parser.read(ini, encoding='utf-8')
            return parser.getint('Sequence', 'seqLength')
        except (configparser.Error, ValueError) as e:
            raise ValueError(f'{ini}: cannot read [Sequence] seqLength '
                             f'({e})') from e

    def _load_sequence(self, seq: str) -> Optional[tuple]:
        path = osp.join(self.root, seq, self.det_file)
        if not osp.isfile(path):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # numpy warns on empty files
            try:
                rows = np.loadtxt(path, delimiter=',', ndmin=2,
                                  dtype=np.float64)
            except ValueError as e:
                raise ValueError(
                    f'{path} is not a MOTChallenge det.txt (rows of "frame, '
                    f'id, x, y, w, h, score, ..."): {e}') from e
        if rows.size == 0:
            rows = np.zeros((0, 7))
        if rows.shape[1] < 7:
            raise ValueError(f'{path}: rows need at least 7 columns (frame, '
                             f'id, x, y, w, h, score), got {rows.shape[1]}')
        frames = rows[:, 0].astype(np.int64)
        if (frames < 1).any():
            raise ValueError(f'{path}: frame numbers are 1-based, found '
                             f'{frames.min()}')
        order = np.argsort(frames, kind='stable')
        frames, rows = frames[order], rows[order]
        boxes = rows[:, 2:6].copy()
        boxes[:, 2:] += boxes[:, :2]
        length = self._seq_length(seq)
        if length is None:
            length = int(frames.max()) if len(frames) else 0
        uniq, starts = np.unique(frames, return_index=True)
        ends = np.append(starts[1:], len(frames))
        index = {int(u): (s, e) for u, s, e in zip(uniq, starts, ends)}
        return (boxes.astype(np.float32), rows[:, 6].astype(np.float32),
                index, length, path)

    def get(self,
            img_path: Optional[str] = None,
            video_name: Optional[str] = None,
            frame_index: Optional[int] = None,
            image_id: Optional[int] = None) -> Dict[str, np.ndarray]:
        """Detections of one frame of sequence ``video_name`` (derived from
        ``img_path`` when not given): the frame named by ``img_path``
        (``000004.jpg`` = frame 4) or else 0-based ``frame_index``."""
        named = self.frame_of(img_path)
        if named is None and frame_index is None:
            raise ValueError(
                f'MOTDetDetections needs the 0-based frame index of {img_path}'
                ' (the data info key "frame_id")')
        if video_name is None:
            if img_path is None:
                raise ValueError('MOTDetDetections needs video_name or '
                                 'img_path to find the sequence')
            video_name = self.sequence_of(img_path)
        if video_name not in self._cache:
            self._cache[video_name] = self._load_sequence(video_name)
        seq = self._cache[video_name]
        det_path = osp.join(self.root, video_name, self.det_file)
        if seq is None:
            return _missing_frame(
                self.missing,
                f'no detections for sequence {video_name}: {det_path} not '
                'found')
        boxes, scores, index, length, path = seq
        # MOTChallenge frames are 1-based
        mot_frame = named if named is not None else int(frame_index) + 1
        if not 1 <= mot_frame <= length:
            where = (f'image {img_path}' if named is not None else
                     f'frame index {frame_index}')
            return _missing_frame(
                self.missing, f'{path} has no frame {mot_frame} ({where}); '
                f'the sequence has frames 1..{length}')
        s, e = index.get(mot_frame, (0, 0))
        return dict(
            bboxes=boxes[s:e].copy(),
            scores=scores[s:e].copy(),
            labels=np.full((e - s, ), self.label, dtype=np.int64))
