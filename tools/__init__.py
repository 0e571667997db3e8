# The command-line tools, importable from the repository root (e.g.
# ``python -m tools.experiments.scaling``) so that they share code without
# editing ``sys.path``.
