"""Atomic file writes: write to a temporary file in the target directory,
then ``os.replace`` it, so a reader never sees a half-written file and an
interrupted run leaves no truncated output."""
import io
import json
import os
import tempfile

import cv2
import numpy as np


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (parent folders are created)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder,
                               prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def json_bytes(obj) -> bytes:
    """Compact, deterministic JSON (insertion order, no spaces)."""
    return json.dumps(obj, separators=(',', ':'),
                      allow_nan=False).encode('utf-8')


def atomic_write_json(path: str, obj) -> None:
    atomic_write_bytes(path, json_bytes(obj))


def atomic_write_text(path: str, text: str) -> None:
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_jpeg(path: str, image: np.ndarray, quality: int) -> None:
    """Encode a BGR uint8 image as JPEG and write it atomically."""
    ok, buf = cv2.imencode('.jpg', image,
                           [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise RuntimeError(f'OpenCV could not encode the JPEG for {path}')
    atomic_write_bytes(path, buf.tobytes())


def atomic_torch_save(path: str, obj) -> None:
    """``torch.save`` to memory, then write atomically."""
    import torch
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())
