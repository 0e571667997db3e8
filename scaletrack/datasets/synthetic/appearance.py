"""Object appearance: two-colour textures in object coordinates, with slow
drift over a video and near-identical variants (distractor twins).

A texture is a blend map ``m(u, v)`` in [0, 1] over the object's own
coordinates (u, v: pixel offset from the centre, rotated with the object and
divided by its radius), so the texture moves, turns and scales with the
object.  The pixel colour is ``(1 - m) * colour_a + m * colour_b``.
"""
from dataclasses import dataclass, replace

import numpy as np

#: Texture families.
TEXTURES = ('shaded', 'stripes', 'checker', 'dots', 'noise', 'concentric')
#: Colour contrast (BGR L2) between the two colours of a texture: below ~50
#: the pattern is hard to see after JPEG; above ~150 colours saturate.
CONTRAST_RANGE = (60.0, 140.0)
#: Pattern frequency in cycles per unit radius (1.6-4.4 cycles across the
#: object): a coarse but clearly visible pattern on 20-50 px objects.
FREQ_RANGE = (0.8, 2.2)
#: Colour change over a whole video at drift_strength = 1 (BGR L2).
DRIFT_COLOR_RANGE = (30.0, 70.0)
#: Texture phase change over a whole video at drift_strength = 1 (radians).
DRIFT_PHASE = np.pi
#: Number of sinusoids summed by the 'noise' texture.
_NOISE_COMPONENTS = 3


def _unit(rng, n=3):
    v = rng.normal(size=n)
    return v / max(np.linalg.norm(v), 1e-9)


@dataclass
class Appearance:
    """Look of one object (colours are BGR floats in 0-255)."""
    kind: str
    color_a: np.ndarray
    color_b: np.ndarray
    color_a_end: np.ndarray
    color_b_end: np.ndarray
    freq: float
    tex_angle: float
    phase0: float
    phase_drift: float
    noise_k: np.ndarray  # [_NOISE_COMPONENTS, 2] frequency vectors
    noise_phase: np.ndarray  # [_NOISE_COMPONENTS]

    def colors_at(self, progress: float):
        """Colours at ``progress`` in [0, 1] of the video (linear drift)."""
        a = self.color_a + (self.color_a_end - self.color_a) * progress
        b = self.color_b + (self.color_b_end - self.color_b) * progress
        return a, b

    def blend_map(self, u: np.ndarray, v: np.ndarray,
                  progress: float) -> np.ndarray:
        """Blend map m(u, v) in [0, 1] at ``progress`` of the video."""
        phase = self.phase0 + self.phase_drift * progress
        ca, sa = np.cos(self.tex_angle), np.sin(self.tex_angle)
        ur = u * ca + v * sa
        vr = -u * sa + v * ca
        two_pi_f = 2 * np.pi * self.freq
        if self.kind == 'shaded':
            m = 0.5 + 0.5 * np.clip(ur, -1, 1) * np.cos(phase / 4)
        elif self.kind == 'stripes':
            m = (np.sin(two_pi_f * ur + phase) > 0)
        elif self.kind == 'checker':
            m = (np.sin(two_pi_f * ur + phase) * np.sin(two_pi_f * vr) > 0)
        elif self.kind == 'dots':
            du = np.mod(self.freq * ur + phase / (2 * np.pi), 1.0) - 0.5
            dv = np.mod(self.freq * vr, 1.0) - 0.5
            m = (du * du + dv * dv) < 0.09  # dot radius 0.3 cell
        elif self.kind == 'noise':
            acc = np.zeros_like(u)
            for (kx, ky), ph in zip(self.noise_k, self.noise_phase):
                acc += np.sin(2 * np.pi * (kx * u + ky * v) + ph + phase)
            m = np.clip(0.5 + acc / (2 * _NOISE_COMPONENTS) * 1.5, 0, 1)
        elif self.kind == 'concentric':
            m = (np.sin(two_pi_f * np.sqrt(u * u + v * v) + phase) > 0)
        else:
            raise ValueError(f'unknown texture kind {self.kind!r}; choose '
                             f'from {TEXTURES}')
        return m.astype(np.float32)

    def render(self, u, v, progress) -> np.ndarray:
        """``[..., 3]`` float32 BGR colours at object coordinates (u, v)."""
        m = self.blend_map(u, v, progress)[..., None]
        a, b = self.colors_at(progress)
        return ((1 - m) * a.astype(np.float32) + m * b.astype(np.float32))


def _contrasting(rng, base):
    """A colour CONTRAST_RANGE away from ``base`` and inside 0..255."""
    for _ in range(16):
        c = base + _unit(rng) * rng.uniform(*CONTRAST_RANGE)
        if np.all((c >= 0) & (c <= 255)):
            return c
    return 255.0 - base  # always far enough from a mid-range base


def random_appearance(rng: np.random.Generator,
                      drift_strength: float,
                      kinds=TEXTURES) -> Appearance:
    """A random two-colour textured look with drift of the given strength,
    its texture family drawn from ``kinds``."""
    kind = kinds[rng.integers(len(kinds))]
    a = rng.uniform(25, 230, size=3)
    b = _contrasting(rng, a)
    drift_a = _unit(rng) * rng.uniform(*DRIFT_COLOR_RANGE) * drift_strength
    drift_b = _unit(rng) * rng.uniform(*DRIFT_COLOR_RANGE) * drift_strength
    return Appearance(
        kind=kind,
        color_a=a,
        color_b=b,
        color_a_end=np.clip(a + drift_a, 0, 255),
        color_b_end=np.clip(b + drift_b, 0, 255),
        freq=float(rng.uniform(*FREQ_RANGE)),
        tex_angle=float(rng.uniform(0, np.pi)),
        phase0=float(rng.uniform(0, 2 * np.pi)),
        phase_drift=float(rng.choice([-1, 1]) * DRIFT_PHASE * drift_strength),
        noise_k=rng.uniform(-1.2, 1.2, size=(_NOISE_COMPONENTS, 2)),
        noise_phase=rng.uniform(0, 2 * np.pi, size=_NOISE_COMPONENTS))


def near_identical(app: Appearance, rng: np.random.Generator,
                   color_delta: float) -> Appearance:
    """A distractor twin: same texture family, both colours moved by
    ``color_delta`` (BGR L2) in a random direction, pattern frequency and
    orientation changed by a few percent (the 'small difference')."""
    da = _unit(rng) * color_delta
    db = _unit(rng) * color_delta
    return replace(
        app,
        color_a=np.clip(app.color_a + da, 0, 255),
        color_b=np.clip(app.color_b + db, 0, 255),
        color_a_end=np.clip(app.color_a_end + da, 0, 255),
        color_b_end=np.clip(app.color_b_end + db, 0, 255),
        freq=float(app.freq * rng.uniform(0.92, 1.08)),
        tex_angle=float(app.tex_angle + rng.uniform(-0.15, 0.15)),
        phase0=float(rng.uniform(0, 2 * np.pi)),
        noise_phase=app.noise_phase +
        rng.uniform(-0.3, 0.3, size=_NOISE_COMPONENTS))
