"""The thin prime-rl hook, against a stand-in that behaves like prime-rl's monitor fan-out
(both the 2026-08-21 and today's interface, real offline W&B), replaying real (fixture)
and synthetic run directories."""

from __future__ import annotations

import csv
import logging
import sys
import types
from pathlib import Path

import pytest

from tests.support.fake_prime_rl import installed, replay, replay_stream, stream_events
from tests.support.run_csv import FIXTURES, copy_fixture, needs_fixtures
from tests.support.synthetic_run import write_run
from tests.support.wandb_offline import read_offline_run

pytest.importorskip("verifiers.v1")
from verifiers.v1.utils.loaders import load_taskset

from dakota_grammar_env.integrations.taskset import DakotaGrammarTasksetConfig
from dakota_grammar_env.runs.export import export_run
from dakota_grammar_env.runs.prime_rl_hook import register
from dakota_grammar_env.runs.records import RunLayout
from dakota_grammar_env.runs.sink import LedgerSink

NEWEST = FIXTURES.parent / "newest"
needs_newest = pytest.mark.skipif(not NEWEST.is_dir(), reason="../shared/prime-rl/newest is not beside this checkout")


def _wandb(monitors):
    return next(m for m in monitors.MONITORS if type(m).__name__ == "WandbMonitor")


def _same_csvs(out, exported_csv) -> None:
    hooked = LedgerSink(out / "wandb_analysis" / "reward_ledger.csv")
    for mine, theirs in zip(hooked.paths[:2], LedgerSink(exported_csv).paths[:2], strict=True):
        assert mine.read_bytes() == theirs.read_bytes(), mine.name


def _ledger_history(monitors) -> dict[int, dict]:
    """What the offline W&B run holds under ledger/*, by step, read back from its file."""
    run = read_offline_run(Path(_wandb(monitors).run.dir).parent)
    found: dict[int, dict] = {}
    for row in run.history:
        ledger = {k: v for k, v in row.items() if k.startswith("ledger/")}
        if ledger:
            found.setdefault(int(row["step"]), {}).update(ledger)
    return found


def load_with_hook() -> None:
    load_taskset(DakotaGrammarTasksetConfig(id="dakota-grammar", ledger_hook=True, num_tasks=2)).load()


def hook_matches_export(source, tmp_path) -> list:
    """Replay `source` through the registry into a fresh output dir; compare with export."""
    out = tmp_path / "orchestrator-out"
    out.mkdir()
    with installed(out) as monitors:
        load_with_hook()
        load_with_hook()  # train and eval sources both load the taskset: still one hook
        assert sum(type(m).__name__ == "DakotaLedgerMonitor" for m in monitors.MONITORS) == 1
        replay(monitors, source)
        assert monitors.warnings == []
        wandb_logged = [
            (step, data) for step, data in _wandb(monitors).logged if any(k.startswith("ledger/") for k in data)
        ]
    exported = tmp_path / "exported" / "reward_ledger.csv"
    export_run(RunLayout.detect(source), exported)
    hooked = LedgerSink(out / "wandb_analysis" / "reward_ledger.csv")
    for mine, theirs in zip(hooked.paths[:2], LedgerSink(exported).paths[:2], strict=True):
        assert mine.read_bytes() == theirs.read_bytes()
    return wandb_logged


@needs_fixtures
def test_replaying_the_prime_rl_fixture_writes_what_export_writes(tmp_path):
    logged = hook_matches_export(copy_fixture("run-HEAD", tmp_path), tmp_path)
    assert [step for step, _ in logged] == [1, 1, 2, 3]  # eval 1 (start-up), train 1, 2, 3
    assert "ledger/eval/reward_scalar" in logged[0][1]


def test_replaying_a_synthetic_run_logs_the_csv_means_to_the_orchestrators_wandb(tmp_path):
    run = tmp_path / "run"
    write_run(run, 5, rollouts_per_step=10, eval_every=2, eval_rollouts=4)
    logged = hook_matches_export(run, tmp_path)
    with (tmp_path / "orchestrator-out" / "wandb_analysis" / "reward_ledger.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(logged) == len(rows)
    for (step, data), row in zip(logged, rows, strict=True):
        prefix = "ledger/" if row["split"] == "train" else "ledger/eval/"
        assert step == int(row["step"])
        assert data[f"{prefix}reward_scalar"] == float(row["reward_scalar"])
        assert data[f"{prefix}partial_credit"] == float(row["partial_credit"])


def test_without_prime_rl_the_hook_warns_once_and_stays_off(caplog, monkeypatch):
    monkeypatch.setitem(sys.modules, "prime_rl", None)
    with caplog.at_level(logging.WARNING, logger="dakota_grammar_env.runs.prime_rl_hook"):
        load_with_hook()
    warnings = [r for r in caplog.records if "ledger hook not active" in r.getMessage()]
    assert len(warnings) == 1 and "ledger follow" in warnings[0].getMessage()


def test_an_unknown_monitor_interface_is_refused(tmp_path, caplog):
    with (
        installed(tmp_path) as monitors,
        caplog.at_level(logging.WARNING, logger="dakota_grammar_env.runs.prime_rl_hook"),
    ):
        base = types.ModuleType("prime_rl.monitors.base")

        class OldMonitor:  # the v0.4-era synchronous interface
            def log(self, data, step): ...

        base.Monitor = OldMonitor
        sys.modules["prime_rl.monitors.base"] = base
        assert register() is False
        assert not any(type(m).__name__ == "DakotaLedgerMonitor" for m in monitors.MONITORS)
    assert "not the async method" in caplog.text


def test_no_run_directory_known_means_no_hook(tmp_path, caplog):
    with (
        installed(tmp_path) as monitors,
        caplog.at_level(logging.WARNING, logger="dakota_grammar_env.runs.prime_rl_hook"),
    ):
        monitors.MONITORS[:] = [m for m in monitors.MONITORS if not type(m).__name__.endswith("FileMonitor")]
        assert register() is False
    assert "file monitor off" in caplog.text


def test_a_failure_inside_the_hook_disables_it_without_breaking_the_run(tmp_path, caplog):
    out = tmp_path / "out"
    out.mkdir()
    run = tmp_path / "run"
    write_run(run, 3, rollouts_per_step=6, eval_every=0)
    with installed(out) as monitors, caplog.at_level(logging.WARNING, logger="dakota_grammar_env.runs.prime_rl_hook"):
        assert register() is True
        if (out / "wandb_analysis").is_dir():
            (out / "wandb_analysis").rmdir()
        (out / "wandb_analysis").write_text("a file where the CSVs' directory was")  # every CSV write fails
        replay(monitors, run)
        assert monitors.warnings == []  # nothing reached prime-rl's error handling
        hook = next(m for m in monitors.MONITORS if type(m).__name__ == "DakotaLedgerMonitor")
        assert hook.recorder.enabled is False
    assert caplog.text.count("ledger hook disabled after an error") == 1


@needs_newest
def test_a_replay_of_todays_stream_writes_every_step_before_wandb_finishes(tmp_path):
    """Today's fan-out: async setup with producer=, step=None rows, annotations, and a
    finalize in list order in which W&B finishes its run before the file monitor and
    the hook's own monitor. Every step reaches the CSVs (byte-identical to export of
    the same directory) and W&B, including the last eval, whose metrics row never came
    (the run was torn down with it in flight), so only finalize can write it."""
    out = tmp_path / "orchestrator-out"
    out.mkdir()
    events = stream_events(NEWEST / "run-stream")
    last_eval_row = max(
        i
        for i, e in enumerate(events)
        if e.kind == "metrics" and e.payload["step"] == 4.0 and isinstance(e.payload["step"], float)
    )
    with installed(out, flavour="stream") as monitors:
        load_with_hook()
        replay_stream(monitors, events[:last_eval_row] + events[last_eval_row + 1 :], out)
        assert monitors.warnings == []
        history = _ledger_history(monitors)
    export_run(RunLayout.detect(out), tmp_path / "exported" / "reward_ledger.csv")
    _same_csvs(out, tmp_path / "exported" / "reward_ledger.csv")
    with (out / "wandb_analysis" / "reward_ledger.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["split"], r["step"]) for r in rows] == [
        ("eval", "0"),
        ("train", "1"),
        ("train", "2"),
        ("train", "3"),
        ("train", "4"),
        ("eval", "4"),
    ]
    for row in rows:
        prefix = "ledger/" if row["split"] == "train" else "ledger/eval/"
        assert history[int(row["step"])][f"{prefix}reward_scalar"] == float(row["reward_scalar"])


@needs_newest
def test_a_crash_and_relaunch_of_the_same_run_directory_keeps_one_csv(tmp_path):
    """The first attempt dies without finalize after run-stream-live's last write; a
    fresh process (new registry, new hook) resumes in the same directory. The CSVs
    equal export's, re-run step included, and nothing was refused as another run."""
    out = tmp_path / "orchestrator-out"
    out.mkdir()
    events = stream_events(NEWEST / "run-stream-resumed")
    crash = max(event.time for event in stream_events(NEWEST / "run-stream-live"))
    with installed(out, flavour="stream", with_wandb=False) as monitors:
        load_with_hook()
        replay_stream(monitors, [e for e in events if e.time <= crash], out, finalize=False)
        assert monitors.warnings == []
    with installed(out, flavour="stream", with_wandb=False) as monitors:
        load_with_hook()
        replay_stream(monitors, [e for e in events if e.time > crash], out)
        assert monitors.warnings == []
        hook = next(m for m in monitors.MONITORS if type(m).__name__ == "DakotaLedgerMonitor")
        assert hook.recorder.enabled
    export_run(RunLayout.detect(out), tmp_path / "exported" / "reward_ledger.csv")
    _same_csvs(out, tmp_path / "exported" / "reward_ledger.csv")
    export_run(RunLayout.detect(NEWEST / "run-stream-resumed"), tmp_path / "fixture" / "reward_ledger.csv")
    _same_csvs(out, tmp_path / "fixture" / "reward_ledger.csv")


def test_fixtures_path_is_where_the_docs_say():
    assert FIXTURES.name == "fixtures"
