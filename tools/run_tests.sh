#!/usr/bin/env bash
# Run the linters and then the whole test suite; sets the environment up
# first when it is missing.
#   bash tools/run_tests.sh [pytest args...]   (e.g. -m "not slow" locally)
#
# The lint step checks the project's style (mmdet's; settings in setup.cfg,
# exclusions in setup.cfg and .yapfignore) on LINT_PATHS with flake8,
# `isort --check-only --diff` and `yapf --diff -r`, prints every violation
# and fails (exit 1, before pytest) if there is any. To fix a tree:
#   isort scaletrack tools demo tests configs setup.py
#   yapf -i -r scaletrack tools demo tests configs setup.py
# then fix what flake8 still reports by hand.
#
# Environment variables:
#   SCALETRACK_LINT=0  skip the lint step (quick local runs; CI keeps it on)
#   SCALETRACK_VENV    the virtual environment (default <repo>/.venv)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${SCALETRACK_VENV:-$ROOT/.venv}"
LINT_PATHS=(scaletrack tools demo tests configs setup.py)
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"

if [ "${SCALETRACK_LINT:-1}" != "0" ]; then
  echo "[run_tests] lint: flake8, isort, yapf on ${LINT_PATHS[*]}"
  failed=()
  "$VENV/bin/flake8" "${LINT_PATHS[@]}" || failed+=(flake8)
  "$VENV/bin/isort" --check-only --diff "${LINT_PATHS[@]}" || failed+=(isort)
  # yapf --diff exits 0 on some versions even with a diff: check the output.
  YAPF_DIFF="$("$VENV/bin/yapf" --diff -r "${LINT_PATHS[@]}")" || failed+=(yapf)
  if [ -n "$YAPF_DIFF" ]; then
    printf '%s\n' "$YAPF_DIFF"
    [[ " ${failed[*]-} " == *" yapf "* ]] || failed+=(yapf)
  fi
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "[run_tests] lint FAILED (${failed[*]}); violations above." \
      "Fix them (see the header of tools/run_tests.sh), or set" \
      "SCALETRACK_LINT=0 to skip the lint step locally." >&2
    exit 1
  fi
  echo "[run_tests] lint: clean"
fi
exec "$VENV/bin/python" -m pytest "$@"
