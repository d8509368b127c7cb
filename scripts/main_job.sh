#!/usr/bin/env bash
# The main job on a fresh clone: a virtual environment (.venv) with this package, the
# embedded model's extras (a CPU build of torch) and uv, then `dakota-grammar eval` on its
# embedded default: SmolLM2-135M-Instruct served on 127.0.0.1, the real vf-eval on 8 test
# tasks, the ledger CSVs, the charts and summary.md in a new folder under ./outputs/.
# Extra arguments go to `dakota-grammar eval` (e.g. `scripts/main_job.sh -n 20`).
# TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu picks a CPU torch where PyPI's
# default is a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -f "$VENV/.dakota-grammar-installed" ] || [ pyproject.toml -nt "$VENV/.dakota-grammar-installed" ]; then
  echo "== setting up $VENV (first run: a few minutes)" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check uv
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check "torch==2.13.0" \
    ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
  "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -e ".[embedded]"
  touch "$VENV/.dakota-grammar-installed"
fi
export PATH="$PWD/$VENV/bin:$PATH"
exec dakota-grammar eval "$@"
