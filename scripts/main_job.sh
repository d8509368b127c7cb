#!/usr/bin/env bash
# The main job on a fresh clone: a virtual environment (.venv) with this package, its
# train extra (TRL, transformers, a CPU build of torch) and uv, then `dakota-grammar train`
# on its embedded default: GRPO (TRL's GRPOTrainer) on SmolLM2-135M-Instruct with easy
# analyze tasks, the reward ledger live in the run directory, the held-out test tasks
# evaluated before and after through the real vf-eval (the model served on 127.0.0.1),
# the charts and summary.md, in a new folder under ./outputs/.
# Extra arguments go to `dakota-grammar train` (e.g. `scripts/main_job.sh --steps 30`).
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
  "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -e ".[train]"
  touch "$VENV/.dakota-grammar-installed"
fi
export PATH="$PWD/$VENV/bin:$PATH"
exec dakota-grammar train "$@"
