"""Write the ledger CSVs one complete step at a time, so that a kill at any moment
loses nothing and duplicates nothing.

Each step's rows are appended to both CSVs and flushed to disk; only then is the state
file (``.reward_ledger_state.json``, replaced atomically) updated to say the step is
committed, with the byte size of each CSV after it. On reopening, both CSVs are cut back
to the sizes of the last committed step, so rows of a step that was being written when
the process died are dropped and written again. A committed step whose source file has
since changed or vanished (prime-rl rewrote it on resume, or a fresh run replaced the
old one) is rolled back with everything after it.

`export`, `follow` and the prime-rl hook all write through this class, in the order in
which prime-rl finished the steps, so the same run always gives the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dakota_grammar_env.runs.ledger_table import LedgerSchema, csv_text, step_table
from dakota_grammar_env.runs.records import Rollout, RunError, StepKey

STEPS_CSV = "reward_ledger.csv"
STATE_VERSION = 1


def companion_paths(steps_path: Path) -> tuple[Path, Path]:
    """The rollouts CSV and the state file that go with a per-step CSV."""
    return (
        steps_path.with_name(f"{steps_path.stem}_rollouts.csv"),
        steps_path.with_name(f".{steps_path.stem}_state.json"),
    )


@dataclass
class Committed:
    key: StepKey
    fingerprint: list[int] | None
    steps_bytes: int
    rollouts_bytes: int


@dataclass
class LedgerSink:
    """The two CSVs of one run, plus the state that makes appends safe. `steps_path` is
    the per-step CSV; the others sit beside it (`companion_paths`)."""

    steps_path: Path
    run_id: str | None = None
    schema: LedgerSchema | None = None
    committed: list[Committed] = field(default_factory=list)
    durable: bool = True
    """fsync each step as it commits (export, which replaces files at the end, needs not)."""
    listeners: list[Callable[[StepKey, list[Rollout], dict[str, Any]], None]] = field(default_factory=list)
    """Called after each commit with the step, its rollouts and its means (W&B, progress)."""
    _waiting: list[tuple[StepKey, list[Rollout], list[int] | None]] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return self.steps_path.parent

    @property
    def rollouts_path(self) -> Path:
        return companion_paths(self.steps_path)[0]

    @property
    def state_path(self) -> Path:
        return companion_paths(self.steps_path)[1]

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        return self.steps_path, self.rollouts_path, self.state_path

    @property
    def committed_keys(self) -> set[StepKey]:
        return {entry.key for entry in self.committed} | {key for key, _, _ in self._waiting}

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def fresh(cls, steps_path: Path) -> LedgerSink:
        """An empty sink: any earlier CSVs and state at these paths are replaced."""
        sink = cls(Path(steps_path))
        sink.directory.mkdir(parents=True, exist_ok=True)
        for path in sink.paths:
            path.unlink(missing_ok=True)
        return sink

    @classmethod
    def resume(cls, steps_path: Path) -> LedgerSink:
        """The sink as last committed; half-written rows are cut away. Starts fresh when
        there is no usable state."""
        steps_path = Path(steps_path)
        try:
            state = json.loads(companion_paths(steps_path)[1].read_text(encoding="utf-8"))
            if state.get("version") != STATE_VERSION:
                raise ValueError("state version")
            sink = cls(
                steps_path,
                run_id=state["run_id"],
                schema=LedgerSchema.from_json(state["schema"]) if state["schema"] else None,
                committed=[
                    Committed(StepKey.of(split, step), fingerprint, steps_bytes, rollouts_bytes)
                    for split, step, fingerprint, steps_bytes, rollouts_bytes in state["committed"]
                ],
            )
            sink._truncate_to(len(sink.committed))
            return sink
        except (OSError, ValueError, KeyError, TypeError):
            return cls.fresh(steps_path)

    # --- rolling back ----------------------------------------------------------------

    def _sizes_after(self, count: int) -> tuple[int, int]:
        if count == 0:
            return 0, 0
        last = self.committed[count - 1]
        return last.steps_bytes, last.rollouts_bytes

    def _truncate_to(self, count: int) -> None:
        steps_bytes, rollouts_bytes = self._sizes_after(count)
        for path, size in ((self.steps_path, steps_bytes), (self.rollouts_path, rollouts_bytes)):
            if not path.exists():
                if size:
                    raise ValueError(f"{path} is missing")
                continue
            if path.stat().st_size < size:
                raise ValueError(f"{path} is shorter than its committed size")
            with path.open("r+b") as handle:
                handle.truncate(size)
        self.committed = self.committed[:count]
        if not self.committed:
            self.run_id = None
            self.schema = None
            for path in (self.steps_path, self.rollouts_path):
                path.unlink(missing_ok=True)
        self._save_state()

    def roll_back_changed(self, fingerprints: dict[StepKey, list[int]]) -> StepKey | None:
        """Undo every committed step from the first one whose source changed or vanished
        (steps committed without a fingerprint are trusted). Returns that step or None."""
        for index, entry in enumerate(self.committed):
            if entry.fingerprint is not None and fingerprints.get(entry.key) != entry.fingerprint:
                self._truncate_to(index)
                return entry.key
        return None

    # --- writing ---------------------------------------------------------------------

    def write_step(self, key: StepKey, rollouts: Sequence[Rollout], fingerprint: list[int] | None = None) -> None:
        """Commit one complete step (rows follow the order of these calls). A step seen
        before any ledger exists (every rollout errored) waits until the ledger's
        columns are known, then is written first."""
        if key in self.committed_keys:
            raise RunError(f"{key} is already in {self.steps_path}")
        if not rollouts:
            return
        if self.run_id is None:
            self.run_id = rollouts[0].run_id
        self._waiting.append((key, list(rollouts), fingerprint))
        if self.schema is None:
            self.schema = LedgerSchema.infer(r.ledger for _, batch, _ in self._waiting for r in batch if r.ledger)
            if self.schema is None:
                return
        for waiting in self._waiting:
            self._append(*waiting)
        self._waiting = []

    def flush_waiting(self) -> None:
        """Write steps still waiting for a schema (a run with no ledger at all)."""
        if self._waiting and self.schema is None:
            self.schema = LedgerSchema("none", (), ())
        for waiting in self._waiting:
            self._append(*waiting)
        self._waiting = []

    def _append(self, key: StepKey, rollouts: list[Rollout], fingerprint: list[int] | None) -> None:
        assert self.schema is not None
        known = set(self.schema.fields) | {"task_id", "task_type", "difficulty", "ledger_version"}
        for rollout in rollouts:
            extra = set(rollout.ledger or ()) - known
            if extra:
                raise RunError(
                    f"{key}: ledger fields {sorted(extra)} are not among the CSV's columns, which were fixed by "
                    f"the first step with a ledger; export the run again to rebuild the columns"
                )
        step_row, rollout_rows, means = step_table(rollouts, self.schema)
        new_file = not self.committed
        if new_file:
            self.directory.mkdir(parents=True, exist_ok=True)
        header = [self.schema.step_columns] if new_file else []
        self._append_text(self.steps_path, csv_text([*header, step_row]), new_file, self.durable)
        header = [self.schema.rollout_columns] if new_file else []
        self._append_text(self.rollouts_path, csv_text([*header, *rollout_rows]), new_file, self.durable)
        self.committed.append(
            Committed(key, fingerprint, self.steps_path.stat().st_size, self.rollouts_path.stat().st_size)
        )
        self._save_state()
        for listener in self.listeners:
            listener(key, rollouts, means)

    @staticmethod
    def _append_text(path: Path, text: str, new_file: bool, durable: bool = True) -> None:
        with path.open("w" if new_file else "a", encoding="utf-8", newline="") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())

    def _save_state(self, force: bool = False) -> None:
        if not (self.durable or force):
            return  # a sink that is not durable (export) saves its state once, in `sync`
        state: dict[str, Any] = {
            "version": STATE_VERSION,
            "run_id": self.run_id,
            "schema": self.schema.as_json() if self.schema else None,
            "committed": [
                [e.key.split, e.key.step, e.fingerprint, e.steps_bytes, e.rollouts_bytes] for e in self.committed
            ],
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(state, handle)
            if self.durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, self.state_path)

    def sync(self) -> None:
        """Save the state and flush every file to disk (for a sink that was not `durable`)."""
        self._save_state(force=True)
        for path in self.paths:
            if path.exists():
                with path.open("rb") as handle:
                    os.fsync(handle.fileno())
