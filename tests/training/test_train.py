"""`dakota-grammar train` through the real `GRPOTrainer` on CPU, with a tiny model built
on the spot (`tiny_model`): the run directory, both CSVs and the W&B offline history
agree with a recomputation from the records; a kill -9 mid-run and `--resume` lose and
duplicate no ledger row; bad configuration and a missing extra are one-line errors."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dakota_grammar_env.reward.ledger import verify_row
from dakota_grammar_env.training import Scoring, TaskSelection

pytest.importorskip("trl")
from tests.support.processes import LineReader
from tests.support.tiny_model import build_tiny_model
from tests.support.wandb_offline import read_offline_run

BIN = Path(sys.executable).parent
TASKS = ["--task-types", "pluralize,negate", "--num-tasks", "6", "--seed", "1"]
SMALL = ["--prompts-per-step", "2", "--group-size", "2", "--max-completion-tokens", "6", "--save-steps", "2"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    tasks = TaskSelection(split="all").tasks()
    from dakota_grammar_env.tasks.task import SYSTEM_PROMPT

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", [SYSTEM_PROMPT, *(t.prompt for t in tasks)])


def train_command(*args: str) -> list[str]:
    return [str(BIN / "dakota-grammar"), "train", *args]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("WANDB_MODE", "WANDB_PROJECT"):
        env.pop(name, None)
    env.update(WANDB_DIR=str(tmp_path / "wandb-home"), WANDB_SILENT="true", **extra)
    return env


def run_train(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        train_command(*args), cwd=tmp_path, env=environment(tmp_path, **extra), capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def records(run: Path) -> dict[int, list[dict]]:
    """Every episode record on disk, by step."""
    found = {}
    for path in (run / "rollouts").glob("step_*/train/all/traces.jsonl"):
        step = int(path.parts[-4].removeprefix("step_"))
        found[step] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return dict(sorted(found.items()))


def check_against_records(run: Path, steps: int, per_step: int) -> list[dict[str, str]]:
    """The ledger on disk recomputes from the completions, and both CSVs from the
    records: every step once, every rollout once."""
    by_step = records(run)
    assert list(by_step) == list(range(1, steps + 1))
    tasks = {t.task_id: t for t in TaskSelection(split="all").tasks()}
    rubric = Scoring().rubric()
    for step, episodes in by_step.items():
        assert len(episodes) == per_step, step
        for episode in episodes:
            ledger = episode["traces"][0]["info"]["ledger"]
            verify_row(ledger)
            task = tasks[episode["task"]["key"]]
            assert rubric.score(episode["traces"][0]["completion"], task.answer, task.info()).as_dict() == ledger
    step_rows = read_csv(run / "wandb_analysis" / "reward_ledger.csv")
    assert [int(r["step"]) for r in step_rows] == list(range(1, steps + 1))
    for row in step_rows:
        episodes = by_step[int(row["step"])]
        rewards = [e["traces"][0]["info"]["ledger"]["reward_scalar"] for e in episodes]
        assert int(row["rollouts"]) == len(episodes)
        assert float(row["reward_scalar"]) == pytest.approx(math.fsum(rewards) / len(rewards), abs=1e-12)
    rollout_rows = read_csv(run / "wandb_analysis" / "reward_ledger_rollouts.csv")
    expected = [(str(s), e["id"]) for s, episodes in by_step.items() for e in episodes]
    assert [(r["step"], r["episode_id"]) for r in rollout_rows] == expected
    return step_rows


def export_equals_live(run: Path, tmp_path: Path) -> None:
    live = run / "wandb_analysis"
    out = tmp_path / "exported" / "reward_ledger.csv"
    done = subprocess.run(
        [str(BIN / "dakota-grammar"), "ledger", "export", str(run), "-o", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (live / "reward_ledger.csv").read_bytes()
    assert (
        out.with_name("reward_ledger_rollouts.csv").read_bytes() == (live / "reward_ledger_rollouts.csv").read_bytes()
    )


@pytest.mark.slow
def test_tiny_run_with_eval_and_wandb(tiny, tmp_path):
    run = tmp_path / "run"
    done = run_train(
        tmp_path, "--model", str(tiny), "-o", str(run), "--steps", "3", *TASKS, *SMALL, "--eval-tasks", "2",
        "--wandb", WANDB_MODE="offline", WANDB_PROJECT="dakota-test",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    progress = [line for line in done.stderr.splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in progress] == ["1/3", "2/3", "3/3"]
    assert all("reward" in line and "parse" in line and "exact" in line and "s/step" in line for line in progress)
    step_rows = check_against_records(run, steps=3, per_step=4)
    export_equals_live(run, tmp_path)
    # W&B: TRL's metrics and ledger/* in one offline run, against TRL's step
    [wandb_dir] = (tmp_path / "wandb-home" / "wandb").glob("offline-run-*")
    offline = read_offline_run(wandb_dir)
    assert offline.run_id == json.loads((run / "run.json").read_text())["run_id"]  # resumes continue this W&B run
    history = offline.history
    ledger = {int(h["train/global_step"]): h for h in history if "ledger/reward_scalar" in h}
    assert sorted(ledger) == [1, 2, 3]
    for row in step_rows:
        logged = ledger[int(row["step"])]
        assert logged["ledger/reward_scalar"] == pytest.approx(float(row["reward_scalar"]), abs=1e-12)
        assert logged["ledger/exact_match_raw"] == pytest.approx(float(row["exact_match_raw"]), abs=1e-12)
    trl_rows = [h for h in history if "train/reward" in h]
    assert sorted(int(h["train/global_step"]) for h in trl_rows) == [1, 2, 3]
    for h in trl_rows:  # TRL's own reward curve is the ledger's reward_scalar
        assert h["train/reward"] == pytest.approx(ledger[int(h["train/global_step"])]["ledger/reward_scalar"], 1e-6)
    # before and after, charts, snippet, summary
    summary = (run / "summary.md").read_text(encoding="utf-8")
    assert "## Before and after training" in summary and "| all | 2 |" in summary
    for name in ("reconciliation.png", "reward.png", "by_task_type.png"):
        assert (run / "wandb_analysis" / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (run / "ledger_snippet.md").read_text(encoding="utf-8").startswith("| ")
    for phase in ("eval-before", "eval-after"):
        [traces] = (run / phase).glob("*/traces.jsonl")
        assert len(traces.read_text(encoding="utf-8").splitlines()) == 2
    assert (run / "final-model" / "config.json").is_file()


@pytest.mark.slow
def test_kill_9_and_resume_lose_and_duplicate_nothing(tiny, tmp_path):
    run = tmp_path / "run"
    args = ["--model", str(tiny), "-o", str(run), "--steps", "7", *TASKS, *SMALL, "--no-eval"]
    process = subprocess.Popen(
        train_command(*args), cwd=tmp_path, env=environment(tmp_path), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # kill once step 3 is reported (checkpoint 2 is on disk by then), whatever it is doing
    reported = LineReader(process.stderr).wait_for(r"^step 3/7")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert reported is not None, "the run ended before it reported step 3"
    assert process.returncode == -signal.SIGKILL
    assert (run / "checkpoints" / "checkpoint-2").is_dir()
    done = run_train(tmp_path, "--resume", "-o", str(run))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "resuming from" in done.stderr
    check_against_records(run, steps=7, per_step=4)
    export_equals_live(run, tmp_path)


def test_existing_run_dir_needs_resume(tiny, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "something").write_text("x")
    done = run_train(tmp_path, "--model", str(tiny), "-o", str(run), "--no-eval")
    assert done.returncode == 2
    assert "exists and is not empty; pass --resume" in done.stderr
    assert (run / "something").read_text() == "x"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("stepz = 3\n", "unknown field 'stepz'"),
        ("steps = 0\n", "steps must be a positive integer"),
        ("task_types = 'negate'\n", "task_types must be a list of strings"),
        ("group_size = 1\n", "group_size must be at least 2"),
        ("steps = [\n", "not valid TOML"),
    ],
)
def test_bad_config_is_a_one_line_error_naming_the_file(tmp_path, toml, message):
    config = tmp_path / "train.toml"
    config.write_text(toml, encoding="utf-8")
    done = run_train(tmp_path, "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr and str(config) in done.stderr
    assert not (tmp_path / "outputs").exists()


def test_unknown_task_type_is_an_error_before_anything_loads(tmp_path):
    done = run_train(tmp_path, "--task-types", "declension", "-o", str(tmp_path / "run"))
    assert done.returncode == 2 and "unknown task type(s) ['declension']" in done.stderr
