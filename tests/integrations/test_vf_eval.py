"""End to end: the real `vf-eval` against a local streaming OpenAI-compatible stub.

`vf-eval dakota-grammar -n 5 -r 2` with the taskset's own defaults (no harness or
runtime flags): every trace must be ok, carry `info.ledger` and the `ledger/*`
metrics, and its reward must be the ledger's `reward_scalar`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dakota_grammar_env.reward.ledger import verify_row
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from tests.support.run_csv import assert_matches, recompute

pytest.importorskip("verifiers.v1")
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def test_vf_eval_runs_the_taskset_and_every_trace_carries_its_ledger(stub_server, tmp_path):
    if shutil.which("uv", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}") is None:
        pytest.fail("vf-eval's null harness needs `uv` on PATH (pip install uv)")
    env = {**os.environ, "STUB_API_KEY": "dummy", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        str(BIN / "vf-eval"),
        "dakota-grammar",
        "-m",
        "stub-model",
        "--client.base-url",
        stub_server,
        "--client.api-key-var",
        "STUB_API_KEY",
        "-n",
        "5",
        "-r",
        "2",
        "--no-push",
        "--no-rich",
        "-o",
        str(tmp_path / "out"),
    ]
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [traces_file] = (tmp_path / "out").glob("*/traces.jsonl")
    episodes = [json.loads(line) for line in traces_file.read_text(encoding="utf-8").splitlines()]
    assert len(episodes) == 10

    rubric = DakotaGrammarRubric()
    rewards = []
    for episode in episodes:
        assert episode["ok"], episode["errors"]
        [trace] = episode["traces"]
        assert trace["ok"] and not trace["errors"]
        ledger = trace["info"]["ledger"]
        verify_row(ledger)
        reward = sum(r["score"] * r["weight"] for r in trace["rewards"].values())
        assert list(trace["rewards"]) == ["reward_scalar"]
        assert reward == ledger["reward_scalar"]
        for name, value in ledger.items():
            if isinstance(value, (int, float)) and name != "ledger_version":
                assert trace["metrics"][f"ledger/{name}"] == float(value)
        data = episode["task"]["data"]
        reply = trace["nodes"][-1]["message"]["content"]
        assert rubric.score(reply, data["answer"], data["info"]).as_dict() == ledger
        rewards.append(reward)
    assert 1.0 in rewards and min(rewards) < 1.0  # the stub's gold and near-miss replies

    # The same run, exported: per-step means that match a recomputation from its traces.
    export = subprocess.run(
        [str(BIN / "dakota-grammar"), "ledger", "export", str(tmp_path / "out"), "-q"], capture_output=True, text=True
    )
    assert export.returncode == 0, export.stderr
    steps_csv = traces_file.parent / "wandb_analysis" / "reward_ledger.csv"
    assert_matches(steps_csv, recompute(traces_file.parent, "vf-eval"))
