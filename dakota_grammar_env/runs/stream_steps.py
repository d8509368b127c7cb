"""A trace stream's episodes, grouped into the ledger's (split, step)s.

What a step is in today's layout. Each record carries three steps: ``dispatch``
(``info.dispatch.step``, the step whose policy it was sampled for), ``arrival``
(``info.arrival.step``, the batch window collecting when it arrived; for eval, the
step that triggered the epoch) and, once the orchestrator ships it, ``ship`` (from
its ``orch`` annotation). prime-rl logs its own train and eval metrics against the
arrival step, so that is the CSV's ``step`` (as the ``step_N`` directory was in the
2026-08-21 layout); ``dispatch_step`` and ``ship_step`` are columns, with
``effective`` (shipped to the trainer) and ``advantage`` from the annotations.

A step is complete once the orchestrator's metrics row for it is in
``metrics.jsonl`` (train rows carry an int step, eval rows a float; trainer rows and
time-keyed ``"step": null`` rows close nothing). Annotations count when shipped at
or before that row. After a crash and resume, the stream keeps the crashed attempt's
episodes: a step that was cut short holds the rollouts of both attempts (only the
second's are effective).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dakota_grammar_env.runs.record_decode import Decoded
from dakota_grammar_env.runs.records import Rollout, StepKey
from dakota_grammar_env.runs.trace_stream import FILE_MONITOR_DIR, StreamReader


@dataclass
class StreamSteps:
    """Incremental: `read` takes in what the run has written since the last call."""

    file_monitor_dir: Path
    subset: str = "all"
    skip: set[StepKey] = field(default_factory=set)
    """Steps already written: their episodes are counted (fingerprints), not kept."""
    order: list[StepKey] = field(default_factory=list)
    times: dict[StepKey, float] = field(default_factory=dict)
    rows: dict[StepKey, int] = field(default_factory=dict)
    buckets: dict[StepKey, list[Decoded]] = field(default_factory=dict)
    counts: dict[StepKey, tuple[int, int]] = field(default_factory=dict)
    """Per step: how many episodes, and a CRC-32 of their ids in stream order."""

    def __post_init__(self) -> None:
        self.reader = StreamReader(self.file_monitor_dir)

    @classmethod
    def of_run(cls, run_root: Path, subset: str = "all", skip: set[StepKey] | None = None) -> StreamSteps:
        return cls(Path(run_root) / FILE_MONITOR_DIR, subset, set(skip or ()))

    def read_completions(self) -> None:
        for completion in self.reader.completions():
            if completion.key not in self.rows:
                self.order.append(completion.key)
            self.rows[completion.key] = self.rows.get(completion.key, 0) + 1
            self.times[completion.key] = completion.time

    def episodes(self) -> Iterator[Decoded]:
        """New episodes, each also counted and (unless its step is skipped) kept."""
        for decoded in self.reader.episodes():
            key = decoded.rollout.key
            count, checksum = self.counts.get(key, (0, 0))
            self.counts[key] = (count + 1, zlib.crc32(decoded.rollout.episode_id.encode(), checksum))
            if key not in self.skip:
                self.buckets.setdefault(key, []).append(decoded)
            yield decoded

    def read(self) -> None:
        """Metrics first, then episodes: every episode of a step whose row is seen is
        on disk by then (prime-rl writes them before the row)."""
        self.read_completions()
        for _ in self.episodes():
            pass

    def fingerprint(self, key: StepKey) -> list[int]:
        """A step's identity in a stream: its episodes (count, checksum of their ids)
        and how many orchestrator rows closed it; a resumed run that re-runs the step
        changes it."""
        count, checksum = self.counts.get(key, (0, 0))
        return [count, checksum, self.rows.get(key, 0)]

    def complete(self) -> list[StepKey]:
        """Steps closed by a metrics row, in the order of their first row."""
        return list(self.order)

    def incomplete(self) -> list[StepKey]:
        """Steps with episodes but no row yet (a run still going, or cut short)."""
        return sorted(key for key in self.buckets if key not in self.rows)

    def take(self, key: StepKey) -> list[Rollout]:
        """The step's rollouts, with their annotations, in arrival order; forgotten
        here once taken."""
        annotations = self.reader.annotations
        annotations.apply_until(self.times.get(key))
        rollouts = []
        for decoded in self.buckets.pop(key, []):
            info = annotations.take(decoded.trace_ids) or {}
            ship = info.get("ship") if isinstance(info.get("ship"), dict) else {}
            rollout = decoded.rollout
            advantage = info.get("advantage", rollout.advantage)
            rollout.effective = bool(info.get("effective"))
            rollout.ship_step = int(ship["step"]) if isinstance(ship.get("step"), (int, float)) else None
            rollout.advantage = float(advantage) if isinstance(advantage, (int, float)) else None
            if self.subset == "all" or rollout.effective:
                rollouts.append(rollout)
        return rollouts

    def problems(self) -> list[str]:
        return [str(problem) for problem in self.reader.problems]

    def close(self) -> None:
        self.reader.close()
