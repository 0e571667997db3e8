# The small-scale experiments (docs/results.md): run each one from the
# repository root as ``python -m tools.experiments.NAME``; their shared
# runner is ``experiment_kit`` (also used by tools/misc/quickstart.py).
