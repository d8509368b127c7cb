"""`ledger export`: prime-rl run directories and vf-eval outputs to the ledger CSVs."""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import REPO
from synthetic_run import write_run

from dakota_grammar_env.ledger_export import default_steps_csv, export_run
from dakota_grammar_env.ledger_sink import LedgerSink
from dakota_grammar_env.rubric import DakotaGrammarRubric
from dakota_grammar_env.run_records import Rollout, RunError, RunLayout, StepKey, flatten

FIXTURES = REPO.parent / "shared" / "prime-rl" / "fixtures"
needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason="../shared/prime-rl/fixtures is not beside this checkout"
)


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    for path in [target, *target.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    return target


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def recompute(run_dir: Path, kind: str) -> dict[tuple[str, int], dict[str, float]]:
    """Per (split, step): rollouts, errored, and the mean of each numeric ledger field,
    straight from the trace files (no project code but `flatten`)."""
    files = (
        [(("eval", 0), run_dir / "traces.jsonl")]
        if kind == "vf-eval"
        else [
            ((p.parts[-3], int(p.parts[-4].split("_")[1])), p)
            for p in run_dir.glob("rollouts/step_*/*/all/traces.jsonl")
        ]
    )
    result = {}
    for key, path in files:
        values: dict[str, list[float]] = defaultdict(list)
        episodes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for episode in episodes:
            ledger = next((t["info"]["ledger"] for t in episode["traces"] if "ledger" in t.get("info", {})), None)
            for name, value in flatten(ledger or {}).items():
                if isinstance(value, (int, float)):
                    values[name].append(float(value))
        means = {name: math.fsum(v) / len(v) for name, v in values.items()}
        means["rollouts"] = len(episodes)
        means["errored_rollouts"] = sum(not e["ok"] for e in episodes)
        result[key] = means
    return result


def assert_matches(steps_csv: Path, expected: dict[tuple[str, int], dict[str, float]]) -> None:
    rows = read_rows(steps_csv)
    assert {(r["split"], int(r["step"])) for r in rows} == set(expected)
    for row in rows:
        want = expected[(row["split"], int(row["step"]))]
        for name, value in want.items():
            if name in row:
                assert float(row[name]) == pytest.approx(value, rel=1e-12, abs=1e-12), (row["split"], row["step"], name)


@needs_fixtures
def test_the_prime_rl_fixture_exports_means_that_match_its_traces(tmp_path):
    run = copy_fixture("run-HEAD", tmp_path)
    summary = export_run(RunLayout.detect(run))
    assert (summary.steps, summary.rollouts, summary.errored) == (4, 32, 1)
    steps_csv = run / "wandb_analysis" / "reward_ledger.csv"
    assert_matches(steps_csv, recompute(run, "prime-rl"))
    rows = read_rows(steps_csv)
    # The order prime-rl finished them (metrics.jsonl): the start-up eval came first.
    assert [(r["split"], r["step"]) for r in rows] == [("eval", "1"), ("train", "1"), ("train", "2"), ("train", "3")]
    assert {r["run_id"] for r in rows} == {"eff1252d63704a02862697c9628a0d44"}
    rollouts = read_rows(run / "wandb_analysis" / "reward_ledger_rollouts.csv")
    assert len(rollouts) == 32
    errored = [r for r in rollouts if r["ok"] == "0"]
    assert len(errored) == 1 and errored[0]["error"] == "ProviderError" and errored[0]["reward_scalar"] == ""
    assert {r["dispatch_step"] for r in rollouts if r["step"] == "3"} == {"2", "3"}  # off-policy carry-over


@needs_fixtures
def test_the_vf_eval_fixture_exports_as_one_eval_step(tmp_path):
    run = copy_fixture("vf-eval-0.4.0", tmp_path)
    export_run(RunLayout.detect(run))
    assert_matches(run / "wandb_analysis" / "reward_ledger.csv", recompute(run, "vf-eval"))


def test_our_ledger_exports_with_fixed_columns_and_the_reward_in_two_parts(tmp_path):
    run = tmp_path / "run"
    write_run(run, 6, rollouts_per_step=12, eval_every=3, eval_rollouts=6)
    export_run(RunLayout.detect(run))
    steps_csv = run / "wandb_analysis" / "reward_ledger.csv"
    assert_matches(steps_csv, recompute(run, "prime-rl"))
    for row in read_rows(steps_csv):
        parts = float(row["exact_match_raw"]) + float(row["partial_credit"])
        assert parts == pytest.approx(float(row["reward_scalar"]), abs=1e-12)
        if row["errored_rollouts"] != "0":
            assert float(row["reward_with_errors"]) < float(row["reward_scalar"])


def test_export_is_idempotent_and_can_write_elsewhere(tmp_path):
    run = tmp_path / "run"
    write_run(run, 4, rollouts_per_step=8, eval_every=2, eval_rollouts=4)
    layout = RunLayout.detect(run)
    export_run(layout)
    first = [p.read_bytes() for p in LedgerSink(default_steps_csv(layout)).paths[:2]]
    export_run(layout)
    assert [p.read_bytes() for p in LedgerSink(default_steps_csv(layout)).paths[:2]] == first
    other = tmp_path / "elsewhere" / "mine.csv"
    export_run(layout, other)
    assert other.read_bytes() == first[0]
    assert (tmp_path / "elsewhere" / "mine_rollouts.csv").read_bytes() == first[1]


def test_a_line_still_being_written_is_left_out_and_reported(tmp_path):
    run = tmp_path / "run"
    write_run(run, 2, rollouts_per_step=4, eval_every=0)
    path = run / "rollouts" / "step_2" / "train" / "all" / "traces.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + '{"id": "half', encoding="utf-8")
    summary = export_run(RunLayout.detect(run))
    assert summary.partial_lines == [str(path)]
    assert summary.rollouts == 8


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(RunError, match="not a directory"):
        RunLayout.detect(tmp_path / "absent")
    with pytest.raises(RunError, match="neither a prime-rl run directory"):
        RunLayout.detect(tmp_path)
    run = tmp_path / "run"
    write_run(run, 1, rollouts_per_step=3, eval_every=0)
    path = run / "rollouts" / "step_1" / "train" / "all" / "traces.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "{broken}\n" + "".join(lines[1:]), encoding="utf-8")
    with pytest.raises(RunError, match=r"traces\.jsonl:2: not valid JSON"):
        export_run(RunLayout.detect(run))


def _rollout(run_id: str, step: int) -> Rollout:
    ledger = DakotaGrammarRubric().score("Answer: mani", "mani").as_dict()
    return Rollout(run_id, "r", StepKey.of("train", step), step, f"e{step}", "k", {}, True, "", ledger)


def test_a_relaunch_with_a_new_run_id_continues_the_same_csv(tmp_path):
    """prime-rl's `rl` mints a new PRL_RUN_ID at every launch: a resumed run is still
    one run (its directory), and each row keeps the id it was written under."""
    sink = LedgerSink.fresh(tmp_path / "reward_ledger.csv")
    sink.write_step(StepKey.of("train", 1), [_rollout("launch-a", 1)])
    sink.write_step(StepKey.of("train", 2), [_rollout("launch-b", 2)])
    rows = read_rows(tmp_path / "reward_ledger.csv")
    assert [(r["run_id"], r["step"]) for r in rows] == [("launch-a", "1"), ("launch-b", "2")]
    with pytest.raises(RunError, match="already in"):
        sink.write_step(StepKey.of("train", 1), [_rollout("launch-a", 1)])
