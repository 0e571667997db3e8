"""One call that lays out a complete synthetic benchmark: SA-V-style
training videos, TAO-style and MOTChallenge-style evaluation videos."""
import os
from typing import Optional

from .config import SyntheticConfig
from .mot import generate_mot
from .sav import generate_sav
from .tao import generate_tao

#: MOT sequences imitate SportsMOT: one object class whose members all look
#: alike (two 'teams' of near-identical objects), at 6 fps.
MOT_STYLE = dict(
    categories=('ellipse', ), num_appearance_groups=2, fps_mode='normal')


def benchmark_configs(num_train_videos: int = 32,
                      num_val_videos: int = 8,
                      seed: int = 0,
                      num_frames: int = 24,
                      height: int = 256,
                      width: int = 256,
                      tao_fps_mode: str = 'low',
                      num_train_frames: Optional[int] = None,
                      **overrides) -> dict:
    """The `SyntheticConfig` of each split of `generate_benchmark`.

    ``num_train_frames`` sets the annotated frames of the SA-V-style
    training videos only (``None``: ``num_frames``); the evaluation splits
    keep ``num_frames``, so they do not change with it (every video draws
    from its own seeded generator, `video_rng`).
    """
    base = SyntheticConfig(
        num_frames=num_frames,
        height=height,
        width=width,
        seed=seed,
        **overrides)
    mot_style = {k: v for k, v in MOT_STYLE.items() if k not in overrides}
    return dict(
        sav_train=base.replace(
            num_videos=num_train_videos,
            num_frames=num_frames
            if num_train_frames is None else num_train_frames),
        tao_val=base.replace(num_videos=num_val_videos, fps_mode=tao_fps_mode),
        mot_val=base.replace(num_videos=num_val_videos, **mot_style))


def generate_benchmark(root: str,
                       num_train_videos: int = 32,
                       num_val_videos: int = 8,
                       seed: int = 0,
                       num_frames: int = 24,
                       height: int = 256,
                       width: int = 256,
                       tao_fps_mode: str = 'low',
                       num_workers: int = 0,
                       progress: bool = False,
                       overwrite: bool = False,
                       splits: Optional[tuple] = None,
                       num_train_frames: Optional[int] = None,
                       **overrides) -> dict:
    """Write ``root/sav_train`` (`generate_sav`), ``root/tao_val``
    (`generate_tao`, 1 FPS by default) and ``root/mot_val``
    (`generate_mot`, SportsMOT-like).

    ``num_train_frames``: annotated frames of the training videos (see
    `benchmark_configs`). ``overrides`` are further `SyntheticConfig`
    fields for every split;
    ``splits`` picks a subset of the three.  A split already complete with
    the same configuration is skipped.  Returns ``{split: paths}``.
    """
    cfgs = benchmark_configs(num_train_videos, num_val_videos, seed,
                             num_frames, height, width, tao_fps_mode,
                             num_train_frames, **overrides)
    writers = dict(
        sav_train=generate_sav, tao_val=generate_tao, mot_val=generate_mot)
    splits = tuple(writers) if splits is None else tuple(splits)
    unknown = [s for s in splits if s not in writers]
    if unknown:
        raise ValueError(f'unknown splits {unknown}; choose from '
                         f'{list(writers)}')
    out = {}
    for name in splits:
        if progress:
            print(
                f'[synthetic] {name}: {cfgs[name].num_videos} videos',
                flush=True)
        out[name] = writers[name](
            os.path.join(root, name),
            cfgs[name],
            num_workers=num_workers,
            progress=progress,
            overwrite=overwrite)
    return out
