"""A training run's rollouts on disk, in the layout the ledger tools already read.

TRL keeps no rollouts; this writes them the way prime-rl's FileMonitor does, so
``dakota-grammar ledger export``, ``follow``, ``report`` and ``plot`` work on a TRL run
unchanged:

- ``rollouts/step_N/train/all/traces.jsonl``: one episode record per scored completion,
  appended as it is scored, its ledger row in ``traces[0].info.ledger``;
- ``metrics.jsonl``: one row per finished step (``{"step": N, "train/...": ...}``),
  written once the step's records are flushed to disk, which is what marks a step
  complete for `runs.export.ordered_steps`.

Step N is TRL's ``global_step`` once the optimizer step that used the rollouts is done
(the step TRL logs its own metrics against). Resuming from checkpoint K removes what
steps after K left behind, so the resumed run writes each step exactly once.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dakota_grammar_env.runs.records import RunError

METRICS_FILE = "metrics.jsonl"


def step_records_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "rollouts" / f"step_{step}" / "train" / "all" / "traces.jsonl"


def step_means(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The progress numbers of one step: mean reward, parse rate, exact-match rate."""
    if not rows:
        return {}
    mean = lambda name: math.fsum(float(r.get(name) or 0.0) for r in rows) / len(rows)  # noqa: E731
    return {
        "train/reward": mean("reward_scalar"),
        "train/parse_rate": mean("parse_ok"),
        "train/exact_match": mean("exact_match_raw"),
        "train/partial_credit": mean("partial_credit"),
    }


@dataclass
class RunRecorder:
    """Writes a run's episode records and step rows (one process: the trainer's)."""

    run_dir: Path
    run_id: str
    run_name: str = ""
    _open_steps: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    _finished: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        self.run_name = self.run_name or self.run_dir.name
        self._finished = {int(row["step"]) for row in self._metrics_rows()}

    @property
    def metrics_path(self) -> Path:
        return self.run_dir / METRICS_FILE

    def _metrics_rows(self) -> list[dict[str, Any]]:
        if not self.metrics_path.is_file():
            return []
        rows = []
        for number, line in enumerate(self.metrics_path.read_text(encoding="utf-8").splitlines(keepends=True), 1):
            if not line.endswith("\n"):
                break  # the tail of a killed write
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise RunError(f"{self.metrics_path}:{number}: not valid JSON ({error.msg})") from None
        return rows

    # --- resuming ------------------------------------------------------------------

    def trim_after(self, step: int) -> list[int]:
        """Forget every step after `step` (a resume from checkpoint `step`): their record
        folders go, and so do their rows (and a half-written line) in metrics.jsonl.
        Returns the steps removed."""
        removed = set()
        rollouts = self.run_dir / "rollouts"
        if rollouts.is_dir():
            for folder in rollouts.glob("step_*"):
                number = folder.name.removeprefix("step_")
                if number.isdigit() and int(number) > step:
                    shutil.rmtree(folder)
                    removed.add(int(number))
        if self.metrics_path.is_file():
            kept = [row for row in self._metrics_rows() if int(row["step"]) <= step]
            removed |= {s for s in self._finished if s > step}
            temporary = self.metrics_path.with_suffix(".tmp")
            temporary.write_text("".join(json.dumps(row) + "\n" for row in kept), encoding="utf-8")
            os.replace(temporary, self.metrics_path)
        self._finished = {s for s in self._finished if s <= step}
        self._open_steps = {}
        return sorted(removed)

    # --- writing -------------------------------------------------------------------

    def record(self, step: int, scored: Sequence[Mapping[str, Any]]) -> None:
        """Append the episode records of freshly scored completions to step `step`.
        Each item has ``task`` (the task's data), ``completion`` (text) and ``ledger``."""
        if step in self._finished:
            raise RunError(f"step {step} of {self.run_dir} is already finished; a resumed run must trim first")
        records = self._open_steps.setdefault(step, [])
        path = step_records_path(self.run_dir, step)
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        for item in scored:
            number = len(records)
            record = {
                "id": f"{self.run_id}-s{step}-{number}",
                "ok": True,
                "run": {"id": self.run_id, "name": self.run_name, "work": {"step": step}},
                "task": {"key": item["task"]["id"], "data": dict(item["task"])},
                "traces": [{"completion": item["completion"], "info": {"ledger": dict(item["ledger"])}}],
                "errors": [],
            }
            records.append(record)
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(lines))

    def finish(self, step: int, extra: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
        """Mark step `step` complete: its records are synced to disk, then its row is
        appended to metrics.jsonl. Returns the step's ledger rows ([] when the step
        scored nothing, e.g. a step that reused buffered rollouts)."""
        records = self._open_steps.pop(step, [])
        if not records or step in self._finished:
            return []
        path = step_records_path(self.run_dir, step)
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
        rows = [record["traces"][0]["info"]["ledger"] for record in records]
        row = {"step": step, **step_means(rows), **(extra or {})}
        with self.metrics_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._finished.add(step)
        return rows

    def unfinished_steps(self) -> list[int]:
        return sorted(self._open_steps)
