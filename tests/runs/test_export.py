"""`ledger export`: prime-rl run directories and vf-eval outputs to the ledger CSVs."""

from __future__ import annotations

import pytest

from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.runs.export import default_steps_csv, export_run
from dakota_grammar_env.runs.records import Rollout, RunError, RunLayout, StepKey
from dakota_grammar_env.runs.sink import LedgerSink
from tests.support.run_csv import assert_matches, copy_fixture, needs_fixtures, read_rows, recompute
from tests.support.synthetic_run import write_run


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
