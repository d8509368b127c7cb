"""`ledger export` (a whole run, once) and `ledger follow` (a live run, step by step).

Both write ``<run>/wandb_analysis/reward_ledger.csv`` and
``reward_ledger_rollouts.csv`` through `LedgerSink`, in step order, so following a run
to its end and exporting it afterwards give the same bytes.

When is a step complete? prime-rl appends a row to ``metrics.jsonl`` once it has
finished a batch (train) or an evaluation (eval), after the step's rollouts are on disk;
a step is also complete once a later step of the same split exists. `follow` writes a
complete step as soon as every step before it (in step order, train before eval) that
exists on disk is written, so it never writes out of order.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dakota_grammar_env.ledger_sink import STEPS_CSV, LedgerSink
from dakota_grammar_env.run_records import RunError, RunLayout, StepFiles, StepKey, read_step

Report = Callable[[str], None]


@dataclass
class ExportSummary:
    steps: int = 0
    rollouts: int = 0
    errored: int = 0
    partial_lines: list[str] = field(default_factory=list)


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
        if sink_setup is not None:
            sink_setup(sink)
        entries = layout.steps()
        for number, entry in enumerate(entries, start=1):
            rollouts, partial = read_step(entry)
            if partial:
                summary.partial_lines.append(str(entry.path))
            sink.write_step(entry.key, rollouts, entry.fingerprint())
            summary.steps += bool(rollouts)
            summary.rollouts += len(rollouts)
            summary.errored += sum(not r.ok for r in rollouts)
            if report is not None:
                report(f"[{number}/{len(entries)}] {entry.key}: {len(rollouts)} rollouts")
        sink.flush_waiting()
        for built, final in zip(sink.paths, target.paths, strict=True):
            if built.exists():
                os.replace(built, final)
            else:
                final.unlink(missing_ok=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return summary


def _completed_in_metrics(path: Path) -> set[StepKey]:
    """Steps prime-rl has logged a metrics row for (a train or an eval row)."""
    done: set[StepKey] = set()
    if not path.is_file():
        return done
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # still being written
            try:
                row = json.loads(line)
                step = int(row["step"])
            except (ValueError, KeyError, TypeError):
                continue  # not an orchestrator row (the trainer appends its own)
            for split in ("train", "eval"):
                if any(key.startswith(f"{split}/") for key in row):
                    done.add(StepKey.of(split, step))
    return done


def complete_steps(layout: RunLayout, entries: list[StepFiles]) -> set[StepKey]:
    """Which of `entries` are complete (see the module docstring)."""
    done = _completed_in_metrics(layout.root / "metrics.jsonl")
    latest = {
        split: max((e.key.step for e in entries if e.key.split == split), default=-1) for split in ("train", "eval")
    }
    return {e.key for e in entries if e.key in done or e.key.step < latest[e.key.split]}


@dataclass
class Follower:
    """The live sidecar: call `poll` repeatedly; each call commits what became complete."""

    layout: RunLayout
    sink: LedgerSink
    report: Report | None = None

    @classmethod
    def open(cls, layout: RunLayout, steps_csv: Path | None = None, report: Report | None = None) -> Follower:
        if layout.kind != "prime-rl":
            raise RunError(f"{layout.root}: follow needs a prime-rl run directory; use `ledger export` for vf-eval")
        sink = LedgerSink.resume(Path(steps_csv) if steps_csv else default_steps_csv(layout))
        return cls(layout, sink, report)

    def poll(self) -> int:
        """Commit every step that is complete and next in order; returns how many."""
        entries = self.layout.steps()
        rolled_back = self.sink.roll_back_changed({e.key: e.fingerprint() for e in entries})
        if rolled_back is not None and self.report:
            self.report(f"{rolled_back} changed on disk (a resumed or restarted run): rewriting from there")
        complete = complete_steps(self.layout, entries)
        written = 0
        done = self.sink.committed_keys
        for entry in entries:
            if entry.key in done:
                continue
            if entry.key not in complete:
                break  # later steps wait, so the CSV stays in step order
            rollouts, _ = read_step(entry)
            self.sink.write_step(entry.key, rollouts, entry.fingerprint())
            written += 1
            if self.report:
                errored = sum(not r.ok for r in rollouts)
                self.report(f"wrote {entry.key}: {len(rollouts)} rollouts ({errored} errored)")
        return written

    def run(self, interval: float = 5.0, idle_exit: float | None = None, until_step: int | None = None) -> None:
        """Poll until killed, until `idle_exit` seconds pass with nothing new, or until
        a train step >= `until_step` is written."""
        last_progress = time.monotonic()
        while True:
            if self.poll():
                last_progress = time.monotonic()
            last = self.sink.last_key
            if until_step is not None and last is not None and last.split == "train" and last.step >= until_step:
                return
            if idle_exit is not None and time.monotonic() - last_progress >= idle_exit:
                self.sink.flush_waiting()
                return
            time.sleep(interval)
