"""`ledger plot`, `snippet` and `report`: charts and tables from the ledger CSVs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dakota_grammar_env.runs.plots import markdown_snippet
from dakota_grammar_env.runs.wandb_history import HistoryError, history_to_csv
from tests.support.synthetic_run import write_run

SCRIPT = Path(sys.executable).with_name("dakota-grammar")
PNG = b"\x89PNG\r\n\x1a\n"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("plots") / "run"
    write_run(run, 12, rollouts_per_step=24, eval_every=4, eval_rollouts=12)
    assert cli("ledger", "export", str(run), "-q").returncode == 0
    return run


def is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG and path.stat().st_size > 10_000


def test_plot_writes_the_reconciliation_chart_beside_the_csv(run):
    result = cli("ledger", "plot", str(run / "wandb_analysis" / "reward_ledger.csv"))
    assert result.returncode == 0, result.stderr
    assert is_png(run / "wandb_analysis" / "reconciliation.png")


def test_snippet_shows_the_first_and_last_steps_of_each_split(run):
    steps_csv = run / "wandb_analysis" / "reward_ledger.csv"
    text = markdown_snippet(steps_csv, first=2, last=1)
    lines = text.splitlines()
    assert lines[0].startswith("| split | step | rollouts | errored |")
    with steps_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    train = [r for r in rows if r["split"] == "train"]
    shown = [line for line in lines[2:] if line.startswith("| train")]
    assert [line.split(" | ")[1] for line in shown] == [train[0]["step"], train[1]["step"], train[-1]["step"]]
    assert f"{float(train[-1]['reward_scalar']):.3f}" in shown[-1]
    assert any(line.startswith("| …") for line in lines)
    assert cli("ledger", "snippet", str(steps_csv)).stdout == markdown_snippet(steps_csv)


def test_report_draws_every_dashboard_chart_from_the_run_files(run):
    result = cli("ledger", "report", str(run))
    assert result.returncode == 0, result.stderr
    report = run / "wandb_analysis" / "report"
    names = ["reward", "components", "answer_length", "unparsed", "by_task_type", "by_difficulty", "reconciliation"]
    for name in names:
        assert is_png(report / f"{name}.png"), name


def test_report_from_a_recorded_wandb_history(run, tmp_path, monkeypatch):
    """`report ENTITY/PROJECT/RUN` reads W&B's history; here a recorded one, read back
    from an offline run that `export --wandb` wrote."""
    pytest.importorskip("wandb")
    from tests.support.wandb_offline import read_offline_run

    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path), "WANDB_SILENT": "true"}
    env.pop("PRL_RUN_ID", None)
    subprocess.run([str(SCRIPT), "ledger", "export", str(run), "-q", "--wandb"], env=env, check=True, timeout=300)
    [offline] = (tmp_path / "wandb").glob("offline-run-*")
    history = read_offline_run(offline).history

    import wandb

    class RecordedRun:
        def scan_history(self):
            return iter(history)

    class RecordedApi:
        def run(self, path):
            assert path == "me/dakota-grammar/abc123"
            return RecordedRun()

    monkeypatch.setattr(wandb, "Api", RecordedApi)
    from dakota_grammar_env.cli.commands import main

    out = tmp_path / "report"
    assert main(["ledger", "report", "me/dakota-grammar/abc123", "-o", str(out)]) == 0
    for name in ("reward", "components", "answer_length", "unparsed", "reconciliation"):
        assert is_png(out / f"{name}.png"), name
    assert not (out / "by_task_type.png").exists()  # per-rollout data is not in W&B history
    with (out / "reward_ledger_from_wandb.csv").open() as handle:
        rebuilt = {(r["split"], r["step"]): r for r in csv.DictReader(handle)}
    with (run / "wandb_analysis" / "reward_ledger.csv").open() as handle:
        original = list(csv.DictReader(handle))
    assert len(rebuilt) == len(original)
    for row in original:
        assert float(rebuilt[(row["split"], row["step"])]["reward_scalar"]) == float(row["reward_scalar"])


def test_history_without_ledger_values_is_an_error(tmp_path):
    with pytest.raises(HistoryError, match="no ledger"):
        history_to_csv([{"step": 1, "loss": 0.3}], tmp_path / "x.csv")


def test_bad_inputs_are_clear_errors(tmp_path):
    missing = cli("ledger", "plot", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "nope.csv: no such file" in missing.stderr
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    wrong = cli("ledger", "snippet", str(tmp_path / "other.csv"))
    assert wrong.returncode == 2 and "not a ledger CSV" in wrong.stderr
    neither = cli("ledger", "report", "not-a-run")
    assert neither.returncode == 2 and "neither a run directory nor a W&B run path" in neither.stderr
    empty = cli("ledger", "export", str(tmp_path))
    assert empty.returncode == 2 and "neither a prime-rl run directory" in empty.stderr
