"""Shape categories of the synthetic videos and their rasterisation.

Every category is a list of polygons in unit coordinates (radius ~1) with a
fill value (1 = add, 0 = cut out), so rings and crescents have holes where
the background shows through.  Categories carry an LVIS-like ``frequency``
('f' frequent, 'c' common, 'r' rare): 'r' categories are the *novel* split of
the open-vocabulary protocol and are sampled less often.
"""
from typing import List, Sequence, Tuple

import cv2
import numpy as np

#: Sub-pixel precision of cv2.fillPoly (coordinates in 1/16 px).
_SHIFT_BITS = 4
#: Vertices used to approximate circles; 40 keeps the edge error < 0.3% of
#: the radius (1 - cos(pi / 40)).
_CIRCLE_VERTICES = 40


def _circle(radius=1.0, cx=0.0, cy=0.0, n=_CIRCLE_VERTICES):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + radius * np.cos(a), cy + radius * np.sin(a)], 1)


def _regular(n, radius=1.0, start=-np.pi / 2):
    a = start + np.arange(n) * 2 * np.pi / n
    return np.stack([radius * np.cos(a), radius * np.sin(a)], 1)


def _star(points=5, inner=0.45):
    a = -np.pi / 2 + np.arange(2 * points) * np.pi / points
    r = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return np.stack([r * np.cos(a), r * np.sin(a)], 1)


def _cross(arm=0.34):
    a = arm
    return np.array([[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a],
                     [a, 1], [-a, 1], [-a, a], [-1, a], [-1, -a], [-a, -a]],
                    dtype=np.float64)


def _heart(n=48):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x = 16 * np.sin(t)**3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) -
          np.cos(4 * t))
    pts = np.stack([x, y], 1)
    pts -= (pts.max(0) + pts.min(0)) / 2
    return pts / np.abs(pts).max()


def _arrow():
    return np.array([[-1, -0.3], [0.2, -0.3], [0.2, -0.75], [1, 0],
                     [0.2, 0.75], [0.2, 0.3], [-1, 0.3]],
                    dtype=np.float64)


# name -> (LVIS-like frequency, polygons [(unit points, fill value)],
#          fixed aspect (x, y) or None for a random aspect per object)
_SHAPES = {
    'disc': ('f', [(_circle(), 1)], (1.0, 1.0)),
    'square': ('f', [(_regular(4, 1.0, np.pi / 4), 1)], None),
    'triangle': ('f', [(_regular(3), 1)], None),
    'ellipse': ('f', [(_circle(), 1)], (1.0, 0.55)),
    'star': ('c', [(_star(), 1)], None),
    'ring': ('c', [(_circle(), 1), (_circle(0.55), 0)], (1.0, 1.0)),
    'cross': ('c', [(_cross(), 1)], None),
    'diamond': ('c', [(_regular(4, 1.0, -np.pi / 2) * [0.65, 1.0], 1)], None),
    'hexagon': ('r', [(_regular(6, 1.0, 0.0), 1)], None),
    'crescent': ('r', [(_circle(), 1), (_circle(0.85, 0.45,
                                                -0.1), 0)], (1.0, 1.0)),
    'arrow': ('r', [(_arrow(), 1)], None),
    'heart': ('r', [(_heart(), 1)], None),
}

#: Category names in id order (category id = index + 1 in the JSON files).
CATEGORY_NAMES: Tuple[str, ...] = tuple(_SHAPES)
#: ``[{'id', 'name', 'frequency'}]`` in id order.
CATEGORIES: Tuple[dict, ...] = tuple(
    dict(id=i + 1, name=n, frequency=_SHAPES[n][0])
    for i, n in enumerate(CATEGORY_NAMES))
#: Relative sampling weight per frequency: frequent objects are 4x as common
#: as rare ones, a mild long tail (LVIS's is far steeper).
FREQUENCY_WEIGHTS = {'f': 4.0, 'c': 2.0, 'r': 1.0}


def category_index(name: str) -> int:
    """0-based index of a category name (the ``det_labels`` value)."""
    return CATEGORY_NAMES.index(name)


def fixed_aspect(category: int):
    """The category's fixed (x, y) aspect, or None when it is random."""
    return _SHAPES[CATEGORY_NAMES[category]][2]


def shape_polygons(category: int, center: Sequence[float], radius: float,
                   aspect: Sequence[float],
                   angle: float) -> List[Tuple[np.ndarray, int]]:
    """Polygons of one object in pixel coordinates.

    Args:
        category: index into ``CATEGORY_NAMES``.
        center: (x, y) of the object's centre.
        radius: half the object's diameter in pixels.
        aspect: (x, y) stretch of the unit shape before rotation.
        angle: rotation in radians.

    Returns:
        ``[(points [K, 2] float, fill value)]``; the first one is the outer
        boundary (it bounds the shape).
    """
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    out = []
    for pts, value in _SHAPES[CATEGORY_NAMES[category]][1]:
        p = (pts * np.asarray(aspect, dtype=np.float64)) * radius
        out.append((p @ rot.T + np.asarray(center, dtype=np.float64), value))
    return out


def polygons_extent(polys) -> np.ndarray:
    """``[x1, y1, x2, y2]`` float extent of the outer polygon."""
    pts = polys[0][0]
    return np.concatenate([pts.min(0), pts.max(0)])


def rasterize(polys, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """Rasterise polygons into a ``[h, w]`` bool patch whose top-left pixel
    is ``(x0, y0)``; pixel (i, j) has its centre at ``(x0 + j, y0 + i)``
    (OpenCV's convention)."""
    patch = np.zeros((h, w), dtype=np.uint8)
    scale = 1 << _SHIFT_BITS
    for pts, value in polys:
        q = np.round((pts - [x0, y0]) * scale).astype(np.int32)
        cv2.fillPoly(
            patch, [q], int(value), lineType=cv2.LINE_8, shift=_SHIFT_BITS)
    return patch.astype(bool)
