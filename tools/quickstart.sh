#!/usr/bin/env bash
# The main job on one machine (README's first command):
#   bash tools/quickstart.sh [WORK_DIR]          (default work_dirs/quickstart)
# 1. sets the environment up when missing (tools/setup_env.sh);
# 2. generates the synthetic benchmark (SYNTHETIC data, seeded);
# 3. trains the CPU-sized ScaleTrack on its SA-V-style sparse videos;
# 4. evaluates it (TETA, HOTA, IDF1) on held-out TAO-style videos against
#    the same public detections as mmdet's ByteTrack and OC-SORT;
# 5. writes a tracked demo video and WORK_DIR/results.md.
# Every step's output goes to WORK_DIR; a step already done is skipped on a
# re-run, and an interrupted training resumes from its last checkpoint.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$ROOT/work_dirs/quickstart}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
bash "$ROOT/tools/setup_env.sh"
PY="${SCALETRACK_VENV:-$ROOT/.venv}/bin/python"
cd "$ROOT"
exec "$PY" -m tools.misc.quickstart --work-dir "$WORK" "${@:2}"
