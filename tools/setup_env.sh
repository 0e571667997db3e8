#!/usr/bin/env bash
# Create (or reuse) the ScaleTrack environment: a virtual environment at
# $SCALETRACK_VENV (default: <repo>/.venv) with torch, the OpenMMLab stack
# (mmcv 2.1.0 with compiled ops, mmengine, mmdet 3.3.0, mmpretrain), the
# evaluation, test and lint tools, and scaletrack itself in editable mode.
#
# Idempotent: a complete environment is detected and reused in seconds.
# mmcv has no wheel on PyPI for torch 2.x, so it is built once from the PyPI
# source archive against the installed torch and the wheel is cached in
# $SCALETRACK_CACHE (default: ~/.cache/scaletrack); later fresh clones install
# the cached wheel in seconds.
#
# Environment variables:
#   SCALETRACK_VENV    where the virtual environment lives (default <repo>/.venv)
#   SCALETRACK_CACHE   where built mmcv wheels are cached (default ~/.cache/scaletrack)
#   SCALETRACK_PYTHON  interpreter used to create the venv (default python3)
#   MAX_JOBS           parallel compile jobs for mmcv (default: number of cores)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SCALETRACK_VENV:-$ROOT/.venv}"
CACHE="${SCALETRACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scaletrack}"
PY_BOOT="${SCALETRACK_PYTHON:-python3}"
TORCH_SPEC="torch==2.14.1 torchvision==0.29.1"
MMCV_VERSION="2.1.0"
STAMP="$VENV/.scaletrack-env"
# The stamp records the requirement files it was built from; editing them
# makes the next run reinstall.
REQ_HASH="$(cat "$ROOT"/requirements/*.txt "$ROOT/tools/setup_env.sh" | sha1sum | cut -c1-12)"

STEP="start"
step() { STEP="$1"; echo "[setup_env] step: $1"; }
on_error() {
  echo "[setup_env] FAILED at step: $STEP" >&2
  case "$STEP" in
    venv*) echo "  Fix: install Python 3.8-3.11 with the venv module (Debian: apt-get install python3-venv), or set SCALETRACK_PYTHON." >&2 ;;
    torch*) echo "  Fix: install torch and torchvision into $VENV yourself (for CUDA: the command from pytorch.org), then run this script again; it keeps an existing torch." >&2 ;;
    mmcv*) echo "  Fix: the mmcv build needs gcc/g++ >= 10 and the Python headers (Debian: apt-get install build-essential python3-dev). Its log is above. Delete $CACHE/mmcv-build to restart the build from scratch." >&2 ;;
    *) echo "  Fix: check the network access to PyPI and the message above; the script is safe to run again." >&2 ;;
  esac
}
trap on_error ERR

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQ_HASH" ] \
   && "$VENV/bin/python" -c "import torch, torchvision, mmcv.ops, mmdet, mmpretrain, mmengine, trackeval, pycocotools, scipy" 2>/dev/null \
   && [ -x "$VENV/bin/flake8" ] && [ -x "$VENV/bin/isort" ] && [ -x "$VENV/bin/yapf" ] \
   && [ "$("$VENV/bin/python" -c "import importlib.util as u, os; s=u.find_spec('scaletrack'); print(os.path.realpath(os.path.dirname(os.path.dirname(s.origin))) if s else '')" 2>/dev/null)" = "$(realpath "$ROOT")" ]; then
  echo "[setup_env] environment at $VENV is complete; nothing to do"
  exit 0
fi

step "venv: create or reuse $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY_BOOT" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check)
"${PIP[@]}" -q --upgrade "pip>=23"

step "setuptools: pin >=77,<81 (pkg_resources is needed by mmengine and the mmcv build)"
"${PIP[@]}" -q "setuptools>=77,<81" wheel

step "torch: keep an installed torch, otherwise install $TORCH_SPEC"
if "$PY" -c "import torch, torchvision" 2>/dev/null; then
  echo "[setup_env] keeping torch $("$PY" -c 'import torch; print(torch.__version__)')"
else
  # shellcheck disable=SC2086
  "${PIP[@]}" $TORCH_SPEC
fi
TORCH_VER="$("$PY" -c 'import torch; print(torch.__version__)')"
PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info.major}{sys.version_info.minor}")')"
CUDA_TAG="$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')"

step "mmcv: install mmcv==$MMCV_VERSION with compiled ops"
if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  echo "[setup_env] mmcv $MMCV_VERSION with ops already installed"
else
  # One cached wheel per (torch build, python, cpu/cuda ops): the compiled ops
  # are tied to the torch ABI they were built against.
  WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VER-$PY_TAG-$CUDA_TAG"
  mkdir -p "$WHEEL_DIR"
  WHEEL="$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$WHEEL" ]; then
    step "mmcv-build: building mmcv $MMCV_VERSION from source (about 6 min on 2 cores; cached afterwards)"
    BUILD="$CACHE/mmcv-build"
    rm -rf "$BUILD" && mkdir -p "$BUILD"
    "$PY" -m pip download --disable-pip-version-check -q --no-deps --no-binary :all: --no-build-isolation \
      "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    # torch >= 2.10 headers require C++20; mmcv 2.1.0 hard-codes -std=c++17.
    if "$PY" -c "import torch,sys; v=tuple(int(x) for x in torch.__version__.split('+')[0].split('.')[:2]); sys.exit(0 if v>=(2,10) else 1)"; then
      sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    fi
    (cd "$SRC" && MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "$PY" -m pip wheel --disable-pip-version-check --no-build-isolation --no-deps . -w "$BUILD/dist")
    # Move into the cache only once complete, so an interrupted build is never reused.
    mv "$BUILD"/dist/mmcv-*.whl "$WHEEL_DIR/"
    rm -rf "$BUILD"
    WHEEL="$(ls "$WHEEL_DIR"/mmcv-*.whl | head -n1)"
  else
    echo "[setup_env] using cached wheel $WHEEL"
  fi
  step "mmcv-install: $WHEEL"
  "${PIP[@]}" --no-deps "$WHEEL"
  "${PIP[@]}" -q addict yapf packaging Pillow pyyaml opencv-python-headless
fi

step "packages: OpenMMLab stack, evaluation, test and lint tools"
"${PIP[@]}" -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" \
  -r "$ROOT/requirements/lint.txt" mmengine==0.10.7 mmdet==3.3.0 mmpretrain==1.2.0

step "scaletrack: editable install"
"${PIP[@]}" -q --no-deps --no-build-isolation -e "$ROOT"

step "check: import the stack"
# scaletrack itself is checked by the test suite, not here.
"$PY" - <<'EOF'
import mmcv, mmcv.ops, mmdet, mmdet.models, mmengine, mmpretrain, mmpretrain.models, torch, trackeval  # noqa
from mmcv.ops import RoIAlign, MultiScaleDeformableAttention  # noqa
print(f'[setup_env] torch {torch.__version__} (cuda={torch.cuda.is_available()}), '
      f'mmcv {mmcv.__version__}, mmdet {mmdet.__version__}, mmengine {mmengine.__version__}, '
      f'mmpretrain {mmpretrain.__version__}')
EOF
echo "$REQ_HASH" > "$STAMP"
echo "[setup_env] done: $VENV"
