"""The generator's file encodings (compact JSON, JPEG, pickles, torch
files), written atomically through :mod:`scaletrack.utils.file_io`."""
import io
import json
import pickle

import cv2
import numpy as np

from ...utils.file_io import write_bytes_atomic as atomic_write_bytes


def json_bytes(obj) -> bytes:
    """Compact, deterministic JSON (insertion order, no spaces)."""
    return json.dumps(
        obj, separators=(',', ':'), allow_nan=False).encode('utf-8')


def atomic_write_json(path: str, obj) -> None:
    atomic_write_bytes(path, json_bytes(obj))


def atomic_write_text(path: str, text: str) -> None:
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_jpeg(path: str, image: np.ndarray, quality: int) -> None:
    """Encode a BGR uint8 image as JPEG and write it atomically."""
    ok, buf = cv2.imencode('.jpg', image,
                           [int(cv2.IMWRITE_JPEG_QUALITY),
                            int(quality)])
    if not ok:
        raise RuntimeError(f'OpenCV could not encode the JPEG for {path}')
    atomic_write_bytes(path, buf.tobytes())


def atomic_torch_save(path: str, obj) -> None:
    """``torch.save`` to memory, then write atomically."""
    import torch
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def atomic_pickle_dump(path: str, obj) -> None:
    """``pickle.dump`` (default protocol, as MASA writes its public
    detections) to memory, then write atomically."""
    atomic_write_bytes(path, pickle.dumps(obj))
