"""Public detections for the "same detections" protocol (App. D, marker †).

Association papers compare trackers on identical detections. This module
reads them from the three formats they are published in and returns every
frame's boxes in one form::

    dict(bboxes=np.float32[N, 4],   # x1, y1, x2, y2, original-image pixels
         scores=np.float32[N],
         labels=np.int64[N])        # index into the dataset's class list

* :func:`load_box_file` reads one MASA-layout per-frame ``.pth`` file, a
  plain pickle or a ``torch.save`` file, through restricted loaders (also
  used for the pseudo-negative proposals of training).
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
from .restricted_unpickler import UnsafePickleError, load_pickled_box_file

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
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as e:  # ragged or non-numeric
            raise ValueError(f'{path}: "{name}" is a list that is not a '
                             f'numeric table ({e})') from e
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
        if not (np.isfinite(labels).all() and
                (labels == np.round(labels)).all()):
            raise ValueError(f'{where}: labels must be integer class indices')
    return labels.astype(np.int64)


def _check_scores(scores: np.ndarray, where: str) -> None:
    """Scores must be finite numbers (issue 12): NaN / inf is an error."""
    bad = np.flatnonzero(~np.isfinite(scores))
    if bad.size:
        raise ValueError(f'{where}: score {scores[bad[0]]} of box '
                         f'{int(bad[0])} is not finite ({bad.size} such '
                         'boxes); detection scores must be finite numbers')


def _check_label_range(labels: np.ndarray, num_classes: Optional[int],
                       where: str) -> None:
    """Labels index the class list: ``0 <= label < num_classes``."""
    if num_classes is None:
        bad = np.flatnonzero(labels < 0)
    else:
        bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        span = ('>= 0' if num_classes is None else
                f'in [0, {num_classes}) (the class list has {num_classes} '
                'classes)')
        raise ValueError(f'{where}: label {int(labels[bad[0]])} of box '
                         f'{int(bad[0])} is outside the class list; labels '
                         f'must be {span}. Pair the detections with the '
                         'class list they were produced in.')


def load_box_file(path: str,
                  num_classes: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Read one per-frame box file in the MASA layout.

    The file holds a dict with ``det_bboxes`` (``N x 5``: x1, y1, x2, y2,
    score in original-image pixels; ``N x 4`` means score 1) and optionally
    ``det_labels`` (``N``; absent means class 0) and ``det_masks``
    (ignored). MASA writes it with ``pickle.dump``; ``torch.save`` files
    (zip or legacy) are read as well, told apart by content, not by
    extension. Values may be numpy arrays, tensors or lists; an empty array
    of any shape is an empty frame. Files are read through restricted
    loaders (:mod:`.restricted_unpickler`), so a downloaded file cannot run
    code. Boxes are returned as stored (not clipped, not filtered).

    Args:
        path (str): the box file.
        num_classes (int, optional): size of the class list; a label outside
            ``[0, num_classes)`` is an error. Labels must be >= 0 always.

    Returns:
        dict: ``bboxes`` float32 ``[N, 4]``, ``scores`` float32 ``[N]``,
        ``labels`` int64 ``[N]``.

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafePickleError: the file references a global that box files do
            not contain (a ValueError naming the file and the global).
        ValueError: the file cannot be read, has the wrong content, a
            non-finite score or a label outside the class list.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'box file not found: {path}')
    try:
        data = load_pickled_box_file(path)
    except UnsafePickleError:
        raise
    except Exception as e:  # any unpickling failure means a corrupt file
        raise ValueError(
            f'cannot read box file {path} ({type(e).__name__}: {e}); '
            'expected a pickle (MASA: pickle.dump) or torch.save file of '
            'dict(det_bboxes=..., det_labels=...)') from e
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
    _check_scores(scores, f'box file {path}')
    if data.get('det_labels') is None:
        labels = np.zeros((n, ), dtype=np.int64)
    else:
        labels = _as_labels(
            _to_numpy(data['det_labels'], 'det_labels', path), n,
            f'box file {path} (det_labels)')
    _check_label_range(labels, num_classes, f'box file {path}')
    return dict(bboxes=bboxes, scores=scores, labels=labels)


#: How to make detections a benchmark does not ship (SportsMOT, OVT-B, ...).
DUMP_HINT = ('To make them, run `python tools/misc/dump_detections.py '
             'DET_CONFIG DET_CKPT ...` (it writes MASA per-frame pickles, a '
             'TAO-style results JSON and MOTChallenge det.txt files; see '
             'docs/evaluation.md, "Protocols").')


def _check_num_classes(num_classes: Optional[int]) -> Optional[int]:
    if num_classes is not None and (isinstance(num_classes, bool)
                                    or int(num_classes) != num_classes
                                    or num_classes < 1):
        raise ValueError(
            f'num_classes must be a positive integer, got {num_classes!r}')
    return None if num_classes is None else int(num_classes)


def _missing_frame(mode: str,
                   message: str,
                   hint: Optional[str] = None) -> Dict[str, np.ndarray]:
    if mode == 'empty':
        return empty_detections()
    raise FileNotFoundError(
        message + " (pass missing='empty' to treat it as a frame without "
        'detections). ' + (DUMP_HINT if hint is None else hint))


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
        num_classes (int, optional): size of the dataset's class list; a
            label outside it is an error naming the file.
        hint (str, optional): where the detections come from, added to the
            error for a missing file (default: how to make them with
            ``tools/misc/dump_detections.py``).
    """

    def __init__(self,
                 root: str,
                 img_root: str,
                 ext: str = '.pth',
                 missing: str = 'error',
                 num_classes: Optional[int] = None,
                 hint: Optional[str] = None) -> None:
        self.root = root
        self.img_root = img_root
        self.ext = ext
        self.missing = _check_missing(missing)
        self.num_classes = _check_num_classes(num_classes)
        self.hint = hint

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
                f'no detection file for frame {img_path}: {path} not found',
                self.hint)
        return load_box_file(path, self.num_classes)


@TASK_UTILS.register_module()
class TAOResultDetections:
    """Detections from a TAO/TETA results JSON.

    The file is a list of ``{image_id, video_id, category_id, bbox [x, y, w,
    h], score, track_id?}`` (``track_id`` is ignored: only the boxes are
    public). It is indexed by ``image_id`` once, at construction, and every
    entry is checked then: a missing field, a score that is not finite, a
    ``category_id`` outside the class list or (with ``ann_file``) an
    ``image_id`` the annotation file does not have is an error naming the
    file and the first such entry. Boxes are kept as given.

    Labels are positions in the dataset's class list, given as

    * ``class_list``: class names (or ``'lvis_v1'`` / ``'lvis_v05'``, see
      :class:`~scaletrack.datasets.TAODataset`); ``category_id`` is mapped
      to its name through ``ann_file``'s categories, then to the name's
      position (the same label order as the dataset's ``class_list``);
    * ``categories``: category dicts with ``id`` or ids, in class order;
    * neither: ``ann_file``'s categories in file order (what the TAO
      dataset uses when ``class_list=None``).

    Which frames are "missing": with ``ann_file``, its ``images`` are the
    known frames, so a known frame without any result is an empty frame;
    without ``ann_file``, an image id with no result at all is missing (a
    results file cannot tell an empty frame from an absent one).

    Args:
        json_file (str): the results JSON.
        ann_file (str, optional): the TAO annotation JSON of the same split.
        categories (list, optional): class list (dicts with ``id`` or ids).
        class_list (str | list[str], optional): class names, see above.
        missing (str): ``'error'`` or ``'empty'``.
        unknown_category (str): a result whose ``category_id`` is not in the
            class list: ``'error'`` (default) or ``'drop'`` (ignored; e.g.
            when the dataset uses a subset of the detector's classes).
        num_classes (int, optional): size of the dataset's class list; a
            class list longer than that is an error.
        hint (str, optional): where the file comes from, added to the error
            when it does not exist.
    """

    def __init__(self,
                 json_file: str,
                 ann_file: Optional[str] = None,
                 categories: Optional[Iterable[Union[dict, int]]] = None,
                 class_list: Optional[Union[str, Iterable[str]]] = None,
                 missing: str = 'error',
                 unknown_category: str = 'error',
                 num_classes: Optional[int] = None,
                 hint: Optional[str] = None) -> None:
        self.missing = _check_missing(missing)
        self.num_classes = _check_num_classes(num_classes)
        self.hint = hint
        if unknown_category not in ('error', 'drop'):
            raise ValueError("unknown_category must be 'error' or 'drop', "
                             f"got '{unknown_category}'")
        if categories is not None and class_list is not None:
            raise ValueError('TAOResultDetections: pass either categories or '
                             'class_list, not both')
        ann = load_json_file(ann_file, 'TAO annotation') \
            if ann_file is not None else None
        self.cat_to_label = self._class_index(ann, ann_file, categories,
                                              class_list)
        if (self.num_classes is not None
                and len(set(self.cat_to_label.values())) > self.num_classes):
            raise ValueError(
                f'TAOResultDetections ({json_file}): the class list has '
                f'{len(set(self.cat_to_label.values()))} classes but the '
                f'dataset {self.num_classes}; use the same class list')
        self.known_images = None if ann is None else {
            int(img['id'])
            for img in ann.get('images', [])
        }
        try:
            results = load_json_file(json_file, 'TAO results')
        except FileNotFoundError as e:
            raise FileNotFoundError(f'{e} {hint or DUMP_HINT}') from e
        if not isinstance(results, list):
            raise ValueError(f'TAO results file {json_file} must hold a JSON '
                             f'list, got {type(results).__name__}')
        self.json_file = json_file
        self._index = self._build_index(results, json_file, unknown_category)

    @staticmethod
    def _class_index(ann: Optional[dict], ann_file: Optional[str], categories,
                     class_list) -> Dict[int, int]:
        """``category_id -> label``."""
        if class_list is not None:
            if ann is None:
                raise ValueError('TAOResultDetections: class_list needs '
                                 'ann_file to map category ids to names')
            if isinstance(class_list, str):
                from .tao_dataset import named_class_list
                class_list = named_class_list(class_list)
            position = {name: i for i, name in enumerate(class_list)}
            return {
                c['id']: position[c['name']]
                for c in ann.get('categories', []) if c['name'] in position
            }
        if categories is None:
            if ann is None:
                raise ValueError(
                    'TAOResultDetections needs the class list: pass '
                    '`class_list`, `categories` or `ann_file` to map '
                    'category_id to labels')
            categories = ann.get('categories')
            if categories is None:
                raise ValueError(f'{ann_file} has no "categories"')
        cat_ids = [
            c['id'] if isinstance(c, dict) else int(c) for c in categories
        ]
        return {cid: i for i, cid in enumerate(cat_ids)}

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
            if not np.isfinite(scores[i]):
                raise ValueError(
                    f'{json_file}: entry {i} (image_id {image_ids[i]}) has '
                    f'score {r["score"]}, which is not finite; detection '
                    'scores must be finite numbers')
            if (self.known_images is not None
                    and int(image_ids[i]) not in self.known_images):
                raise ValueError(
                    f'{json_file}: entry {i} has image_id {image_ids[i]}, '
                    'which is not an image of the annotation file; the '
                    'results belong to another split or annotation file')
            label = self.cat_to_label.get(cid)
            if label is None:
                if unknown_category == 'error':
                    raise ValueError(
                        f'{json_file}: entry {i} (image_id {image_ids[i]}) '
                        f'has category_id {cid}, which is not in the class '
                        "list (pass unknown_category='drop' to ignore such "
                        'results)')
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
                bboxes=boxes.copy(),
                scores=scores.copy(),
                labels=labels.copy())
        if self.known_images is not None and image_id in self.known_images:
            return empty_detections()
        return _missing_frame(
            self.missing, f'{self.json_file} has no detections for image id '
            f'{image_id} ({img_path})', self.hint)


@TASK_UTILS.register_module()
class MOTDetDetections:
    """MOTChallenge public detections: ``<root>/<seq>/det/det.txt``.

    Rows are ``frame, id, x, y, w, h, score[, ...]`` with 1-based frames.
    The frame is read from the image name when it is MOTChallenge's
    (``img1/000004.jpg`` is frame 4), which stays right for half splits
    whose first frame is not frame 1; otherwise our 0-based ``frame_id``
    ``i`` reads the rows with ``frame == i + 1`` (whole sequences). Boxes
    are converted to ``x1 = x, y1 = y, x2 = x + w, y2 = y + h`` with no
    pixel shift, the same convention as the ground-truth converter and the
    results writer, so detections, ground truth and results stay in one
    frame of reference.
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
        num_classes (int, optional): size of the dataset's class list;
            ``label`` must be inside it.
        hint (str, optional): where the files come from, added to the error
            for a sequence without one (SportsMOT, for one, ships no
            det.txt; default: how to make them with
            ``tools/misc/dump_detections.py``).
    """

    def __init__(self,
                 root: str,
                 det_file: str = 'det/det.txt',
                 label: int = 0,
                 missing: str = 'error',
                 num_classes: Optional[int] = None,
                 hint: Optional[str] = None) -> None:
        self.root = root
        self.det_file = det_file
        self.label = int(label)
        self.missing = _check_missing(missing)
        self.num_classes = _check_num_classes(num_classes)
        self.hint = hint
        _check_label_range(
            np.array([self.label]), self.num_classes,
            f'MOTDetDetections ({osp.join(root, "<seq>", det_file)})')
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
                rows = np.loadtxt(
                    path, delimiter=',', ndmin=2, dtype=np.float64)
            except ValueError as e:
                raise ValueError(
                    f'{path} is not a MOTChallenge det.txt (rows of "frame, '
                    f'id, x, y, w, h, score, ..."): {e}') from e
        if rows.size == 0:
            rows = np.zeros((0, 7))
        if rows.shape[1] < 7:
            raise ValueError(f'{path}: rows need at least 7 columns (frame, '
                             f'id, x, y, w, h, score), got {rows.shape[1]}')
        bad = np.flatnonzero(~np.isfinite(rows[:, 6]))
        if bad.size:
            raise ValueError(
                f'{path}: row {int(bad[0]) + 1} has score '
                f'{rows[bad[0], 6]}, which is not finite; detection scores '
                'must be finite numbers')
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
        return (boxes.astype(np.float32), rows[:, 6].astype(np.float32), index,
                length, path)

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
                'found', self.hint)
        boxes, scores, index, length, path = seq
        # MOTChallenge frames are 1-based
        mot_frame = named if named is not None else int(frame_index) + 1
        if not 1 <= mot_frame <= length:
            where = (f'image {img_path}'
                     if named is not None else f'frame index {frame_index}')
            return _missing_frame(
                self.missing, f'{path} has no frame {mot_frame} ({where}); '
                f'the sequence has frames 1..{length}',
                hint='')
        s, e = index.get(mot_frame, (0, 0))
        return dict(
            bboxes=boxes[s:e].copy(),
            scores=scores[s:e].copy(),
            labels=np.full((e - s, ), self.label, dtype=np.int64))
