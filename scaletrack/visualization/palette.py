"""Stable colours per track id, without touching numpy's global RNG."""
import colorsys
from typing import Tuple

# The golden-ratio hue step spreads consecutive ids far apart on the colour
# wheel, so neighbouring ids never look alike and an id keeps its colour
# across frames and runs.
_GOLDEN = 0.618033988749895


def id_color(track_id: int) -> Tuple[int, int, int]:
    """RGB colour (0-255) of a track id; the same id always gets the same."""
    hue = (int(track_id) * _GOLDEN) % 1.0
    sat = 0.65 + 0.35 * ((int(track_id) // 7) % 2)
    r, g, b = colorsys.hsv_to_rgb(hue, sat, 0.95)
    return int(255 * r), int(255 * g), int(255 * b)
