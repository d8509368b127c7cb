"""`ledger export` (a whole run, once) and `ledger follow` (a live run, step by step).

Both write ``<run>/wandb_analysis/reward_ledger.csv`` and
``reward_ledger_rollouts.csv`` through `LedgerSink`, so following a run to its end and
exporting it afterwards give the same bytes. Both read either prime-rl layout: today's
trace stream (see `stream_steps` for what a step is there) and the 2026-08-21
``rollouts/step_N`` files, which this docstring describes.

When is a step complete, and in which order are steps written? prime-rl appends a row
to ``metrics.jsonl`` once it has finished a batch (train) or an evaluation (eval),
after that step's rollouts are on disk. Steps are written in the order of those rows,
which is the order prime-rl finished them (a start-up eval at step 1 can finish before
train step 1), and a step is complete once its row is there. Steps on disk without a
row (a run that stopped mid-step) come last, by step, train before eval; `follow`
writes those only when it exits on `idle_exit`. Without a ``metrics.jsonl`` a step is
complete once a later step of the same split exists.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dakota_grammar_env.runs.record_decode import read_step
from dakota_grammar_env.runs.records import Rollout, RunError, RunLayout, StepFiles, StepKey
from dakota_grammar_env.runs.sink import STEPS_CSV, LedgerSink
from dakota_grammar_env.runs.stream_steps import StreamSteps

Report = Callable[[str], None]


@dataclass
class ExportSummary:
    steps: int = 0
    rollouts: int = 0
    errored: int = 0
    partial_lines: list[str] = field(default_factory=list)
    """Files whose last line was still being written (left out)."""
    problems: list[str] = field(default_factory=list)
    """Torn or recovered records of a trace stream."""

    def add(self, rollouts: list[Rollout]) -> None:
        self.steps += bool(rollouts)
        self.rollouts += len(rollouts)
        self.errored += sum(not r.ok for r in rollouts)


class _Late(Exception):
    """A stream episode arrived for a step already written (its metrics row came
    before it): export again holding every step until the end."""


def default_steps_csv(layout: RunLayout) -> Path:
    return layout.output_dir / STEPS_CSV


def export_run(
    layout: RunLayout,
    steps_csv: Path | None = None,
    sink_setup: Callable[[LedgerSink], None] | None = None,
    report: Report | None = None,
) -> ExportSummary:
    """Write the ledger CSVs of every step on disk, replacing earlier ones atomically.
    Rerunning it on the same files gives byte-identical CSVs."""
    target = LedgerSink(Path(steps_csv) if steps_csv else default_steps_csv(layout))
    target.directory.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=target.directory))
    try:
        sink = LedgerSink.fresh(scratch / target.steps_path.name)
        sink.durable = False  # nothing is visible until the files are moved into place
        if sink_setup is not None:
            sink_setup(sink)
        if layout.kind == "prime-rl-stream":
            try:
                _export_stream(layout, sink, summary, report, hold=False)
            except _Late:
                if report is not None:
                    report("an episode arrived after its step's metrics row: reading the stream again, holding steps")
                sink = LedgerSink.fresh(scratch / target.steps_path.name)
                sink.durable = False
                if sink_setup is not None:
                    sink_setup(sink)
                summary = ExportSummary()
                _export_stream(layout, sink, summary, report, hold=True)
        else:
            entries, _ = ordered_steps(layout)
            for number, entry in enumerate(entries, start=1):
                rollouts, partial = read_step(entry)
                if partial:
                    summary.partial_lines.append(str(entry.path))
                sink.write_step(entry.key, rollouts, entry.fingerprint())
                summary.add(rollouts)
                if report is not None:
                    report(f"[{number}/{len(entries)}] {entry.key}: {len(rollouts)} rollouts")
        sink.flush_waiting()
        sink.sync()
        for built, final in zip(sink.paths, target.paths, strict=True):
            if built.exists():
                os.replace(built, final)
            else:
                final.unlink(missing_ok=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return summary


def _export_stream(
    layout: RunLayout, sink: LedgerSink, summary: ExportSummary, report: Report | None, hold: bool
) -> None:
    """One forward pass. A step is written as soon as the stream has moved past the
    time of its metrics row (no later episode can belong to it), so memory holds only
    the steps in flight; `hold` keeps every step to the end (a step closed twice, by a
    run resumed before it)."""
    steps = StreamSteps.of_run(layout.root, layout.subset)
    try:
        steps.read_completions()
        hold = hold or any(count > 1 for count in steps.rows.values())
        order, pointer, written = steps.complete(), 0, set()

        def write(key: StepKey) -> None:
            rollouts = steps.take(key)
            sink.write_step(key, rollouts, steps.fingerprint(key))
            written.add(key)
            summary.add(rollouts)
            if report is not None:
                report(f"{key}: {len(rollouts)} rollouts")

        for decoded in steps.episodes():
            if decoded.rollout.key in written:
                raise _Late
            arrived = decoded.arrival_time
            while not hold and arrived is not None and pointer < len(order) and steps.times[order[pointer]] < arrived:
                write(order[pointer])
                pointer += 1
        for key in [*order[pointer:], *steps.incomplete()]:
            write(key)
        summary.problems.extend(steps.problems())
        tail = steps.reader.unfinished_tail()
        if tail is not None:
            summary.partial_lines.append(tail)
    finally:
        steps.close()


def completion_order(run_root: Path, metrics_path: Path | None = None) -> list[StepKey]:
    """The steps prime-rl has finished, in the order it logged their metrics rows."""
    order: dict[StepKey, None] = {}
    path = metrics_path or run_root / "metrics.jsonl"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # still being written
            try:
                row = json.loads(line)
                step = int(row["step"])
            except (ValueError, KeyError, TypeError):
                continue  # not an orchestrator row
            for split in ("train", "eval"):
                if any(key.startswith(f"{split}/") for key in row):
                    order.setdefault(StepKey.of(split, step), None)
    return list(order)


def ordered_steps(layout: RunLayout) -> tuple[list[StepFiles], int]:
    """The step files in writing order, and how many of them are complete (the first n)."""
    entries = {entry.key: entry for entry in layout.steps()}
    finished = [key for key in completion_order(layout.root, layout.metrics_path) if key in entries]
    if not layout.metrics_path.is_file():
        latest = {split: max((k.step for k in entries if k.split == split), default=-1) for split in ("train", "eval")}
        finished = sorted(key for key in entries if key.step < latest[key.split])
    rest = sorted(set(entries) - set(finished))
    return [entries[key] for key in [*finished, *rest]], len(finished)


@dataclass
class Follower:
    """The live sidecar: call `poll` repeatedly; each call commits what became complete."""

    layout: RunLayout
    sink: LedgerSink
    report: Report | None = None
    _stream: StreamSteps | None = None
    _reported: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, layout: RunLayout, steps_csv: Path | None = None, report: Report | None = None) -> Follower:
        if not layout.is_prime_rl:
            raise RunError(f"{layout.root}: follow needs a prime-rl run directory; use `ledger export` for vf-eval")
        sink = LedgerSink.resume(Path(steps_csv) if steps_csv else default_steps_csv(layout))
        return cls(layout, sink, report)

    def poll(self, finish: bool = False) -> int:
        """Commit every step that is complete, in order; returns how many. `finish`
        writes the incomplete ones too (what is on disk), as export would."""
        if self.layout.kind == "prime-rl-stream":
            return self._poll_stream(finish)
        entries, complete = ordered_steps(self.layout)
        rolled_back = self.sink.roll_back_changed({e.key: e.fingerprint() for e in entries})
        if rolled_back is not None and self.report:
            self.report(f"{rolled_back} changed on disk (a resumed or restarted run): rewriting from there")
        written = 0
        done = self.sink.committed_keys
        for entry in entries[: len(entries) if finish else complete]:
            if entry.key in done:
                continue
            rollouts, _ = read_step(entry)
            self.sink.write_step(entry.key, rollouts, entry.fingerprint())
            written += 1
            if self.report:
                errored = sum(not r.ok for r in rollouts)
                self.report(f"wrote {entry.key}: {len(rollouts)} rollouts ({errored} errored)")
        if finish:
            self.sink.flush_waiting()
        return written

    def _poll_stream(self, finish: bool) -> int:
        if self._stream is None:
            self._stream = StreamSteps.of_run(self.layout.root, self.layout.subset, self.sink.committed_keys)
        steps = self._stream
        steps.read()
        rolled_back = self.sink.roll_back_changed({key: steps.fingerprint(key) for key in self.sink.committed_keys})
        if rolled_back is not None:
            if self.report:
                self.report(f"{rolled_back} changed in the stream (a resumed run re-ran it): rewriting from there")
            self.close()
            return self._poll_stream(finish)
        written = 0
        for key in [*steps.complete(), *(steps.incomplete() if finish else [])]:
            if key in self.sink.committed_keys:
                continue
            rollouts = steps.take(key)
            self.sink.write_step(key, rollouts, steps.fingerprint(key))
            written += bool(rollouts)
            if self.report and rollouts:
                errored = sum(not r.ok for r in rollouts)
                self.report(f"wrote {key}: {len(rollouts)} rollouts ({errored} errored)")
        for problem in steps.problems()[len(self._reported) :]:
            self._reported.append(problem)
            if self.report:
                self.report(problem)
        if finish:
            self.sink.flush_waiting()
        return written

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._reported = []

    def run(
        self,
        interval: float = 5.0,
        idle_exit: float | None = None,
        until_step: int | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Poll until killed, until `idle_exit` seconds pass with nothing new (then what
        is on disk is written, complete or not), until a train step >= `until_step` is
        written, or until `stop` is set: between two polls, so a stop never lands inside
        a step's write or its W&B log (a signal handler sets it)."""
        stop = stop or threading.Event()
        last_progress = time.monotonic()
        while not stop.is_set():
            if self.poll():
                last_progress = time.monotonic()
            written = self.sink.committed_keys
            if until_step is not None and any(k.split == "train" and k.step >= until_step for k in written):
                return
            if idle_exit is not None and time.monotonic() - last_progress >= idle_exit:
                self.poll(finish=True)
                return
            stop.wait(interval)
