"""`ledger export ENTITY/PROJECT/RUN_ID`: the per-step ledger CSV from a W&B history.

The seed-era history here is recorded for real: per-rollout ledgers from the real rubric
are turned into the v0 metrics the seed-era environment reports (`flat_metrics`),
averaged per step as prime-rl does (the mean over examples of each example's mean), and
logged to an offline W&B run the way seed-era prime-rl's monitor logs
(`wandb.log(metrics, step=step)`); the history is read back from the run's files and
served in place of `wandb.Api`, whose network call is the only part not exercised.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from dakota_grammar_env.cli.commands import main
from dakota_grammar_env.reward.ledger import NUMERIC_FIELDS, flat_metrics
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.runs.wandb_history import HistoryError, history_steps
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path
from tests.support.synthetic_run import _reply

wandb = pytest.importorskip("wandb")
from tests.support.wandb_offline import read_offline_run  # noqa: E402

EXAMPLES_PER_STEP, ROLLOUTS_PER_EXAMPLE, STEPS = 8, 4, 6


def _steps() -> dict[int, list[list[dict]]]:
    """step -> examples -> that example's rollout ledgers (replies improve with the step)."""
    rng = random.Random(7)
    tasks = read_tasks(shipped_data_path()).tasks
    rubric = DakotaGrammarRubric()
    steps = {}
    for step in range(1, STEPS + 1):
        examples = []
        for task in rng.sample(tasks, EXAMPLES_PER_STEP):
            replies = [_reply(rng, task.answer, skill=0.1 * step) for _ in range(ROLLOUTS_PER_EXAMPLE)]
            examples.append([rubric.score(reply, task.answer, task.info()).as_dict() for reply in replies])
        steps[step] = examples
    return steps


def _expected_means(examples: list[list[dict]]) -> dict[str, float | None]:
    """What reward_ledger.csv holds for the step: each field's mean over the rollouts it
    applies to."""
    rows = [row for example in examples for row in example]
    means: dict[str, float | None] = {}
    for name in NUMERIC_FIELDS:
        values = [float(row[name]) for row in rows if row[name] is not None]
        means[name] = math.fsum(values) / len(values) if values else None
    return means


def _seed_era_log(examples: list[list[dict]], env: str | None) -> dict[str, float]:
    """One step of seed-era prime-rl's W&B log: metrics/[<env>/]<name>, each the mean over
    examples of the example's mean, beside keys that are not the ledger."""
    prefix = f"metrics/{env}/" if env else "metrics/"
    per_example = [[flat_metrics(row) for row in example] for example in examples]
    logged = {}
    for name in per_example[0][0]:
        example_means = [math.fsum(m[name] for m in example) / len(example) for example in per_example]
        logged[f"{prefix}ledger/{name}"] = math.fsum(example_means) / len(example_means)
    logged["reward/mean"] = logged[f"{prefix}ledger/reward_scalar"]
    logged["seq_len/mean"] = 41.5
    return logged


RECORDER = """
import json, sys, wandb
logs = json.load(open(sys.argv[1]))
run = wandb.init(project="dakota-grammar", name="seed-orchestrator", mode="offline", dir=sys.argv[2])
for step, metrics in logs:
    run.log({"step": step, **metrics}, step=step)  # as seed-era prime-rl's WandbMonitor.log does
run.finish()
"""


def _record(tmp_path: Path, logs: dict[int, dict[str, float]]) -> list[dict]:
    """Log the steps to an offline W&B run in a process of its own (as the orchestrator
    is; its exit also guarantees the run file is complete) and read the history back."""
    source = tmp_path / "logs.json"
    source.write_text(json.dumps(list(logs.items())), encoding="utf-8")
    env = {**os.environ, "WANDB_SILENT": "true"}
    subprocess.run([sys.executable, "-c", RECORDER, str(source), str(tmp_path)], env=env, check=True, timeout=300)
    [offline] = (tmp_path / "wandb").glob("offline-run-*")
    history = read_offline_run(offline).history
    assert [row["step"] for row in history] == list(logs)
    return history


@pytest.fixture
def serve_history(monkeypatch):
    """Serve a recorded history where wandb.Api().run(path).scan_history() would fetch it."""

    def serve(history: list[dict], expected_path: str) -> None:
        class RecordedRun:
            def scan_history(self):
                return iter(history)

        class RecordedApi:
            def run(self, path):
                assert path == expected_path
                return RecordedRun()

        monkeypatch.setattr(wandb, "Api", RecordedApi)

    return serve


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_seed_era_history_rebuilds_the_per_step_ledger_csv(tmp_path, serve_history, capsys, monkeypatch):
    steps = _steps()
    history = _record(tmp_path, {step: _seed_era_log(examples, env=None) for step, examples in steps.items()})
    serve_history(history, "me/dakota-grammar/seed1")
    monkeypatch.chdir(tmp_path)

    assert main(["ledger", "export", "me/dakota-grammar/seed1"]) == 0, capsys.readouterr().err
    out = tmp_path / "wandb_analysis" / "reward_ledger.csv"  # the default, as for a run directory
    assert f"{STEPS} train and 0 eval steps" in capsys.readouterr().out
    rows = _read(out)
    assert [int(row["step"]) for row in rows] == list(steps)
    header = list(rows[0])
    assert header[:7] == [
        "run_id",
        "split",
        "step",
        "rollouts",
        "errored_rollouts",
        "scored_rollouts",
        "reward_with_errors",
    ]
    for row in rows:
        assert row["run_id"] == "seed1" and row["split"] == "train"
        assert row["rollouts"] == ""  # W&B has only means: counts are left empty, not guessed
        expected = _expected_means(steps[int(row["step"])])
        for name, want in expected.items():
            if want is None:
                assert row[name] == "", name
            else:
                assert float(row[name]) == pytest.approx(want, abs=1e-12), name
    # the applicable-only components differ from the raw zero-filled W&B means somewhere
    first = history[0]
    assert any(
        float(rows[0][name]) != pytest.approx(first[f"metrics/ledger/{name}"])
        for name in ("novel_norm", "char_overlap_norm", "orthography_norm", "slots_norm")
        if rows[0][name]
    )


def test_per_environment_keys_need_a_choice_when_there_are_several(tmp_path, serve_history, monkeypatch):
    steps = _steps()
    logs = {}
    for step, examples in steps.items():
        logs[step] = {**_seed_era_log(examples, env="dakota-grammar"), **_seed_era_log(examples[:2], env="other")}
    history = _record(tmp_path, logs)
    with pytest.raises(HistoryError, match="several environments"):
        history_steps(history)
    serve_history(history, "me/p/r2")
    out = tmp_path / "steps.csv"
    assert main(["ledger", "export", "me/p/r2", "--env", "dakota-grammar", "-o", str(out)]) == 0
    row = _read(out)[0]
    assert float(row["reward_scalar"]) == pytest.approx(_expected_means(steps[1])["reward_scalar"], abs=1e-12)


def test_a_run_without_ledger_keys_is_a_clear_error(tmp_path, serve_history, capsys):
    history = _record(tmp_path, {1: {"loss/mean": 0.4}, 2: {"loss/mean": 0.3}})
    serve_history(history, "me/p/seed-trainer")
    assert main(["ledger", "export", "me/p/seed-trainer", "-o", str(tmp_path / "x.csv")]) == 2
    error = capsys.readouterr().err
    assert "no ledger values" in error and "<name>-orchestrator" in error
    assert not (tmp_path / "x.csv").exists()


def test_wandb_logging_of_a_wandb_source_is_refused(capsys):
    assert main(["ledger", "export", "me/p/r", "--wandb"]) == 2
    assert "already there" in capsys.readouterr().err
