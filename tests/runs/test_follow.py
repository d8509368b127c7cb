"""`ledger follow`: the live sidecar writes each complete step once, in order, and a kill
at any moment loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dakota_grammar_env.runs.export import Follower, default_steps_csv, export_run
from dakota_grammar_env.runs.records import RunError, RunLayout
from dakota_grammar_env.runs.sink import LedgerSink
from tests.support.paths import NEWEST
from tests.support.processes import LineReader
from tests.support.synthetic_run import RunWriter, write_run

SCRIPT = Path(sys.executable).with_name("dakota-grammar")


def exported(run: Path, tmp_path: Path) -> list[bytes]:
    steps_csv = tmp_path / "exported" / "reward_ledger.csv"
    export_run(RunLayout.detect(run), steps_csv)
    return [path.read_bytes() for path in LedgerSink(steps_csv).paths[:2]]


def followed(run: Path) -> list[bytes]:
    return [path.read_bytes() for path in LedgerSink(default_steps_csv(RunLayout.detect(run))).paths[:2]]


def test_follow_writes_complete_steps_in_order_as_the_run_grows(tmp_path):
    run = tmp_path / "run"
    writer = RunWriter(run, rollouts_per_step=8, eval_every=3, eval_rollouts=4)
    follower = Follower.open(RunLayout.detect(run))
    writer.write_step(1, 9)
    assert follower.poll() == 1
    # Step 2's files exist but prime-rl has not logged it yet: it waits.
    writer.write_step(2, 9)
    metrics = run / "metrics.jsonl"
    lines = metrics.read_text().splitlines(keepends=True)
    metrics.write_text("".join(lines[:-1]))
    assert follower.poll() == 0
    metrics.write_text("".join(lines))
    assert follower.poll() == 1
    for step in range(3, 10):
        writer.write_step(step, 9)
        follower.poll()
    assert [str(e.key) for e in follower.sink.committed][:5] == [  # the order of metrics.jsonl
        "train step 1", "train step 2", "train step 3", "eval step 3", "train step 4",
    ]  # fmt: skip
    assert followed(run) == exported(run, tmp_path)


def test_steps_are_written_in_the_order_prime_rl_finished_them(tmp_path):
    run = tmp_path / "run"
    writer = RunWriter(run, rollouts_per_step=6, eval_every=1, eval_rollouts=3)
    writer.write_step(1, 2)
    rows = (run / "metrics.jsonl").read_text().splitlines(keepends=True)
    (run / "metrics.jsonl").write_text(rows[1])  # the (start-up) eval finished first
    follower = Follower.open(RunLayout.detect(run))
    assert follower.poll() == 1
    (run / "metrics.jsonl").write_text(rows[1] + rows[0])
    assert follower.poll() == 1
    assert [str(e.key) for e in follower.sink.committed] == ["eval step 1", "train step 1"]
    assert followed(run) == exported(run, tmp_path)


def test_on_idle_exit_what_is_on_disk_is_written_like_export(tmp_path):
    run = tmp_path / "run"
    write_run(run, 3, rollouts_per_step=6, eval_every=0)
    rows = (run / "metrics.jsonl").read_text().splitlines(keepends=True)
    (run / "metrics.jsonl").write_text("".join(rows[:2]))  # the run died during step 3
    follower = Follower.open(RunLayout.detect(run))
    assert follower.poll() == 2
    follower.run(interval=0.01, idle_exit=0.05)
    assert len(follower.sink.committed) == 3
    assert followed(run) == exported(run, tmp_path)


def test_a_rewritten_step_is_rolled_back_and_written_again(tmp_path):
    run = tmp_path / "run"
    write_run(run, 6, rollouts_per_step=6, eval_every=0)
    follower = Follower.open(RunLayout.detect(run))
    assert follower.poll() == 6
    # A resume from step 3 rewrites steps 4..6 (here: other rollouts, other sizes).
    again = RunWriter(tmp_path / "other", rollouts_per_step=6, eval_every=0, seed=1)
    again.run_id = RunWriter(run, rollouts_per_step=6, eval_every=0).run_id
    for step in range(1, 7):
        again.write_step(step, 6)
    for step in (4, 5, 6):
        source = tmp_path / "other" / "rollouts" / f"step_{step}" / "train" / "all" / "traces.jsonl"
        target = run / "rollouts" / f"step_{step}" / "train" / "all" / "traces.jsonl"
        target.write_bytes(source.read_bytes())
    reopened = Follower.open(RunLayout.detect(run))
    assert reopened.poll() == 3
    assert followed(run) == exported(run, tmp_path)


def test_follow_refuses_a_vf_eval_output(tmp_path):
    (tmp_path / "traces.jsonl").write_text("")
    with pytest.raises(RunError, match="follow needs a prime-rl run directory"):
        Follower.open(RunLayout.detect(tmp_path))


class Crash(Exception):
    """Stands in for the process dying at one exact point."""


class CrashAt:
    """Makes the sink die at its n-th write: after a step's rows reached disk but before
    the state was saved, or halfway through the rows."""

    def __init__(self, n: int, where: str) -> None:
        self.n, self.where, self.calls = n, where, 0
        self.save_state, self.append_text = LedgerSink._save_state, LedgerSink._append_text

    def patched_save_state(self, sink: LedgerSink) -> None:
        self.calls += 1
        if self.calls == self.n:
            raise Crash
        self.save_state(sink)

    def patched_append_text(self, path: Path, text: str, new_file: bool, durable: bool = True) -> None:
        if path.name.endswith("_rollouts.csv"):
            self.calls += 1
            if self.calls == self.n:
                self.append_text(path, text[: len(text) // 2], new_file, durable)
                raise Crash
        self.append_text(path, text, new_file, durable)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        if self.where == "after_rows_before_state":
            monkeypatch.setattr(LedgerSink, "_save_state", lambda sink: self.patched_save_state(sink))
        else:
            monkeypatch.setattr(LedgerSink, "_append_text", staticmethod(self.patched_append_text))


@pytest.mark.parametrize("where", ["after_rows_before_state", "half_a_row"])
def test_a_crash_at_every_step_inside_a_write_is_recovered(tmp_path, monkeypatch, where):
    """Die inside the write of step k, for every k; reopened, the sink cuts the torn rows
    away and the result is byte-identical to export."""
    run = tmp_path / "run"
    write_run(run, 8, rollouts_per_step=10, eval_every=4, eval_rollouts=4)
    for crash_at in range(1, 11):
        CrashAt(crash_at, where).install(monkeypatch)
        with pytest.raises(Crash):
            Follower.open(RunLayout.detect(run)).poll()
        monkeypatch.undo()
        Follower.open(RunLayout.detect(run)).poll()
        assert followed(run) == exported(run, tmp_path), crash_at
        for path in LedgerSink(default_steps_csv(RunLayout.detect(run))).paths:
            path.unlink()


def _start_follower(command: list[str]) -> tuple[subprocess.Popen, LineReader, int]:
    """A `ledger follow` process, once it says it is following: with the number of
    steps it found already written (its state at start-up)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reader = LineReader(process.stderr)
    line = reader.wait_for(r"^following ")
    assert line is not None, f"follow exited with {process.wait()}:\n{reader.text()}"
    return process, reader, int(re.search(r"\((\d+) steps already in", line).group(1))


@pytest.mark.parametrize("when", ["at start-up", "mid-run"])
def test_sigterm_stops_it_between_polls_and_a_restart_finishes_like_export(tmp_path, when):
    """SIGTERM (a launch script's stop) lets the poll in progress finish: exit 0 with
    the stop line, and what it wrote is a clean prefix a restart completes."""
    run = tmp_path / "run"
    write_run(run, 12, rollouts_per_step=64, eval_every=4, eval_rollouts=16)
    command = [str(SCRIPT), "ledger", "follow", str(run), "--interval", "0.01"]
    process, reader, found = _start_follower(command)
    assert found == 0
    if when == "mid-run":
        assert reader.wait_for(r"^wrote ") is not None, reader.text()
    process.send_signal(signal.SIGTERM)
    assert process.wait() == 0, reader.text()
    assert reader.wait_for(r"^stopped; run the same command again") is not None, reader.text()
    final = subprocess.run([*command, "--idle-exit", "0.5"], capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert followed(run) == exported(run, tmp_path)


def test_killed_at_random_points_and_restarted_it_matches_export(tmp_path):
    """The sidecar, as a real process, is SIGKILLed 25 times while the run grows beside
    it (two steps a round): each time after a seeded number of its ``wrote`` lines (0: as
    soon as it says it is following), while it works on the next step. Every step it
    reported written survives the kill; restarted at the end, it is byte-identical to
    export. The waits are on its output, not on the clock."""
    run = tmp_path / "run"
    steps, eval_every = 45, 5
    writer = RunWriter(run, rollouts_per_step=96, eval_every=eval_every, eval_rollouts=32, seed=3)
    writer.write_step(1, steps)
    newest = 1
    rng = random.Random(11)
    command = [str(SCRIPT), "ledger", "follow", str(run), "--interval", "0.01"]
    state = run / "wandb_analysis" / ".reward_ledger_state.json"
    for _ in range(25):
        batch = list(range(newest + 1, min(steps, newest + 2) + 1))
        process, reader, found = _start_follower(command)
        grow = threading.Thread(target=lambda b=batch: [writer.write_step(step, steps) for step in b])
        grow.start()
        newest = batch[-1] if batch else newest
        complete = (newest - 1) + (newest - 1) // eval_every  # train steps below the newest, and their evals
        target = rng.randint(0, max(0, complete - found))
        for _ in range(target):
            assert reader.wait_for(r"^wrote ") is not None, reader.text()
        process.send_signal(signal.SIGKILL)
        process.wait()
        grow.join()
        assert len(json.loads(state.read_text())["committed"]) >= found + target  # nothing reported is lost
    final = subprocess.run([*command, "--idle-exit", "1.5"], capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert len(json.loads(state.read_text())["committed"]) == steps + steps // eval_every
    assert followed(run) == exported(run, tmp_path)
    assert os.path.getsize(run / "wandb_analysis" / "reward_ledger_rollouts.csv") > 100_000


@pytest.mark.skipif(not NEWEST.is_dir(), reason="../shared/prime-rl/newest is not beside this checkout")
def test_following_todays_stream_through_kills_seals_and_a_torn_relaunch_matches_export(tmp_path):
    """run-stream replayed in 20 slices by today's file monitor (stand-in): the live
    chunk grows, rolls and is sealed; in the middle a crash tears a record and a
    relaunch appends after it; `live/` appears and is deleted. A `follow` process runs
    beside each slice and is SIGKILLed after it (at once, or once it says it is
    following: a seeded choice, not a timer); restarted at the end, its CSVs equal
    export's, and the torn record is the only thing lost."""
    from tests.support.fake_prime_rl import installed, replay_stream, stream_events

    run = tmp_path / "run"
    run.mkdir()
    events = stream_events(NEWEST / "run-stream")
    slices = [events[i * len(events) // 20 : (i + 1) * len(events) // 20] for i in range(20)]
    live = run / "monitors" / "file" / "traces" / "live"
    rng = random.Random(5)
    command = [str(SCRIPT), "ledger", "follow", str(run), "--interval", "0.01"]
    for number, part in enumerate(slices):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        reader = LineReader(process.stderr)
        with installed(run, flavour="stream", with_wandb=False) as monitors:  # each slice: a (re)launched writer
            replay_stream(monitors, part, run, finalize=number == len(slices) - 1)
        if number == 10:  # a crash mid-append: half a record, no newline, no index row
            [plain] = (run / "monitors" / "file" / "traces" / "stream").glob("*.jsonl")
            with plain.open("ab") as handle:
                handle.write(b'{"id":"torn-by-a-crash","traces":[{"info":{"ledger":')
        if number == 4:
            (live / "pending").mkdir(parents=True)
            (live / "a1.jsonl").write_text('{"trace": "a1"}\n')
            (live / "pending" / "d1.json").write_text("{}")
        if number == 8:
            shutil.rmtree(live)
        if rng.random() < 0.5:  # else killed at once, wherever its start-up or first poll is
            assert reader.wait_for(r"^following ") is not None, reader.text()
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not list(run.rglob("*.jsonl.zst.tmp")) and not list((run / "monitors/file/traces/stream").glob("*.jsonl"))
    final = subprocess.run([*command, "--idle-exit", "1"], capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert "torn record skipped" in final.stderr + final.stdout
    assert followed(run) == exported(run, tmp_path)
    rollouts = (run / "wandb_analysis" / "reward_ledger_rollouts.csv").read_text().splitlines()
    assert len(rollouts) - 1 == len([e for e in events if e.kind == "episode"]) == 40
    ids = [line.split(",")[7] for line in rollouts[1:]]
    assert len(set(ids)) == len(ids)
