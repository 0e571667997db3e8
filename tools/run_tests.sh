#!/usr/bin/env bash
# Run the whole test suite; sets the environment up first when it is missing.
#   bash tools/run_tests.sh [pytest args...]   (e.g. -m "not slow" locally)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${SCALETRACK_VENV:-$ROOT/.venv}"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
