"""`--wandb` on export and follow, in offline mode, read back from the run's log file."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.rows import NEVER_EMPTY_FIELDS
from tests.support.synthetic_run import write_run
from tests.support.wandb_offline import read_offline_run

pytest.importorskip("wandb")
SCRIPT = Path(sys.executable).with_name("dakota-grammar")


def run_cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """The CLI with W&B offline in a scratch folder; PRL_RUN_ID only when given."""
    environment = {key: value for key, value in os.environ.items() if key != "PRL_RUN_ID"}
    environment.update(WANDB_MODE="offline", WANDB_DIR=str(tmp_path / "wandb-home"), WANDB_SILENT="true", **env)
    (tmp_path / "wandb-home").mkdir(exist_ok=True)
    result = subprocess.run([str(SCRIPT), *args], env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def make_run(tmp_path: Path) -> Path:
    run = tmp_path / "dakota-smoke"
    write_run(run, 6, rollouts_per_step=12, eval_every=3, eval_rollouts=16)
    (run / "configs").mkdir()
    config = {"monitors": {"wandb": {"project": "dakota-grammar", "name": "dakota-smoke", "group": "qwen3-0.6b"}}}
    (run / "configs" / "orchestrator.json").write_text(json.dumps(config))
    return run


def offline_run(tmp_path: Path):
    [run_dir] = (tmp_path / "wandb-home" / "wandb").glob("offline-run-*")
    return read_offline_run(run_dir)


def csv_rows(run: Path) -> list[dict[str, str]]:
    with (run / "wandb_analysis" / "reward_ledger.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_export_logs_every_step_mean_to_a_ledger_run(tmp_path):
    run = make_run(tmp_path)
    run_cli(["ledger", "export", str(run), "--wandb", "-q"], tmp_path)
    logged = offline_run(tmp_path)
    assert (logged.name, logged.project, logged.group) == ("dakota-smoke-ledger", "dakota-grammar", "qwen3-0.6b")
    history = [row for row in logged.history if "step" in row]
    rows = csv_rows(run)
    assert len(history) == len(rows)
    required = NEVER_EMPTY_FIELDS
    for row, logged_row in zip(rows, history, strict=True):
        assert logged_row["step"] == int(row["step"])
        prefix = "ledger/" if row["split"] == "train" else "ledger/eval/"
        for name in required:
            assert f"{prefix}{name}" in logged_row
        for name, value in row.items():
            if name in ("run_id", "split", "step") or value == "":
                continue
            assert logged_row[f"{prefix}{name}"] == float(value), name
    tables = [row for row in history if "ledger/eval/extremes/_type" in row or "ledger/eval/extremes" in row]
    assert len(tables) == 2  # eval steps 3 and 6
    table_files = sorted(
        (logged.directory / "files" / "media" / "table" / "ledger" / "eval").glob("extremes_*.table.json")
    )
    assert len(table_files) == 2
    table = json.loads(table_files[0].read_text())
    assert table["columns"][:2] == ["end", "task_id"]
    ends = [row[0] for row in table["data"]]
    assert ends.count("lowest") == 5 and ends.count("highest") == 5
    rewards = [row[4] for row in table["data"]]
    assert max(rewards[:5]) <= min(rewards[5:])


def test_extremes_never_repeat_a_rollout():
    from dakota_grammar_env.runs.records import Rollout, StepKey
    from dakota_grammar_env.runs.wandb_log import extremes_rows

    rollouts = [
        Rollout(
            "r",
            "n",
            StepKey.of("eval", 1),
            1,
            f"e{i}",
            "k",
            {},
            True,
            "",
            {"reward_scalar": i / 10, "task_id": f"t{i}"},
        )
        for i in range(7)
    ]
    rows = extremes_rows(rollouts)
    assert [(row[0], row[1]) for row in rows] == [
        ("lowest", "t0"),
        ("lowest", "t1"),
        ("lowest", "t2"),
        ("lowest", "t3"),
        ("lowest", "t4"),
        ("highest", "t6"),
        ("highest", "t5"),
    ]


def test_follow_joins_the_training_run_when_given_its_id(tmp_path):
    run = make_run(tmp_path)
    run_cli(
        ["ledger", "follow", str(run), "--wandb", "--interval", "0.05", "--idle-exit", "0.3"],
        tmp_path,
        PRL_RUN_ID="trainrun123",
    )
    logged = offline_run(tmp_path)
    assert (logged.run_id, logged.name) == ("trainrun123", "dakota-smoke")
    assert [row["step"] for row in logged.history if "ledger/reward_scalar" in row] == [1, 2, 3, 4, 5, 6]
