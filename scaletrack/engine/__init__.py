from .runner_setup import enable_amp, prepare_runner_cfg

__all__ = ["enable_amp", "prepare_runner_cfg"]
