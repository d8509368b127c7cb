"""Find and read the rollout records of a run: a prime-rl run directory or a vf-eval output.

prime-rl (FileMonitor, on by default) writes every episode to
``<run>/rollouts/step_N/{train,eval}/{all,effective}/traces.jsonl``; vf-eval writes one
``traces.jsonl``. Both hold one episode record per line, with each trace's ledger in
``traces[i].info.ledger``.

What a step means here: the N of ``rollouts/step_N``. For train rollouts that is the
orchestrator step whose batch was being collected when the rollout arrived, which is the
step prime-rl itself logs its train metrics (and so its W&B curves) against. Because
groups carry over between batches (off-policy), a rollout in step N may have been
dispatched at an earlier step; that step (``run.work.step``) is kept per rollout as
``dispatch_step``. Eval rollouts are filed by the policy step they evaluated. A vf-eval
output is one eval step, step 0.

The ``all`` subset (every arriving rollout, errored ones included) is read by default;
``effective`` (the rollouts shipped to the trainer) on request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPLITS = ("train", "eval")
SUBSETS = ("all", "effective")
_STEP_DIR = re.compile(r"step_(\d+)")


class RunError(ValueError):
    """A run directory or record that cannot be read; the message names the file."""


@dataclass(frozen=True, order=True)
class StepKey:
    """One (step, split) of a run; sorts by step, train before eval."""

    step: int
    split_rank: int

    @property
    def split(self) -> str:
        return SPLITS[self.split_rank]

    @classmethod
    def of(cls, split: str, step: int) -> StepKey:
        return cls(step, SPLITS.index(split))

    def __str__(self) -> str:
        return f"{self.split} step {self.step}"


@dataclass(frozen=True)
class StepFiles:
    key: StepKey
    path: Path
    effective: bool | None = None
    """True for a prime-rl `effective` file; None where the file does not say."""

    def fingerprint(self) -> list[int]:
        """Size and modification time: changes when prime-rl rewrites the step."""
        stat = self.path.stat()
        return [stat.st_size, stat.st_mtime_ns]


STREAM_INDEX = Path("monitors") / "file" / "traces" / "stream.index.jsonl"


@dataclass(frozen=True)
class RunLayout:
    """Where a run's records are. `kind` is 'prime-rl-stream' (prime-rl since
    September 2026: ``monitors/file/traces/stream``), 'prime-rl' (2026-08-21:
    ``rollouts/step_N``) or 'vf-eval' (one ``traces.jsonl``)."""

    root: Path
    kind: str
    subset: str = "all"

    @classmethod
    def detect(cls, path: str | Path, subset: str = "all") -> RunLayout:
        root = Path(path)
        if subset not in SUBSETS:
            raise RunError(f"subset must be one of {list(SUBSETS)}, got {subset!r}")
        if not root.is_dir():
            raise RunError(f"{root}: not a directory")
        if root.name == "file" and (root / "traces" / "stream.index.jsonl").is_file():
            root = root.parent.parent  # pointed at <run>/monitors/file
        stream = (root / STREAM_INDEX).is_file()
        if stream and (root / "rollouts").is_dir():
            raise RunError(
                f"{root}: holds both prime-rl layouts (rollouts/step_N/ and monitors/file/traces/); "
                "move one aside so that one run is read"
            )
        if stream:
            return cls(root, "prime-rl-stream", subset)
        if (root / "rollouts").is_dir():
            return cls(root, "prime-rl", subset)
        if (root / "traces.jsonl").is_file():
            return cls(root, "vf-eval", subset)
        found = sorted(root.glob("*/traces.jsonl"))
        if len(found) == 1:
            return cls(found[0].parent, "vf-eval", subset)
        if len(found) > 1:
            raise RunError(f"{root}: holds several vf-eval runs ({', '.join(p.parent.name for p in found)}); name one")
        raise RunError(
            f"{root}: neither a prime-rl run directory (monitors/file/traces/stream.index.jsonl, or "
            "rollouts/step_N/ before September 2026) nor a vf-eval output (traces.jsonl)"
        )

    @property
    def output_dir(self) -> Path:
        """Where the ledger CSVs go by default."""
        return self.root / "wandb_analysis"

    @property
    def is_prime_rl(self) -> bool:
        return self.kind in ("prime-rl", "prime-rl-stream")

    @property
    def metrics_path(self) -> Path:
        """Where prime-rl appends a row per finished step."""
        if self.kind == "prime-rl-stream":
            return self.root / "monitors" / "file" / "metrics.jsonl"
        return self.root / "metrics.jsonl"

    def steps(self) -> list[StepFiles]:
        """The (step, split) entries present on disk, in StepKey order (the 2026-08-21
        layout and vf-eval; a stream is read by `stream_steps.StreamSteps`)."""
        if self.kind == "vf-eval":
            return [StepFiles(StepKey.of("eval", 0), self.root / "traces.jsonl")]
        entries = []
        for step_dir in (self.root / "rollouts").iterdir():
            match = _STEP_DIR.fullmatch(step_dir.name)
            if not match:
                continue
            for split in SPLITS:
                path = step_dir / split / self.subset / "traces.jsonl"
                if path.is_file():
                    effective = True if self.subset == "effective" else None
                    entries.append(StepFiles(StepKey.of(split, int(match.group(1))), path, effective))
        return sorted(entries, key=lambda entry: entry.key)


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (a foreign ledger's {"weights": {"char": 0.7}});
    records are parsed JSON, so nested objects are dicts."""
    if not prefix and (mapping.get("ledger_version") is not None or dict not in set(map(type, mapping.values()))):
        return dict(mapping)  # the common case: our ledger (versioned) is flat
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if type(value) is dict:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


@dataclass(slots=True)
class Rollout:
    """One episode's identity and its ledger (None when it errored before scoring).
    Readers fill in `effective`, `ship_step` and `advantage` where their layout has them."""

    run_id: str
    run_name: str
    key: StepKey
    dispatch_step: int | None
    episode_id: str
    task_key: str
    task: Mapping[str, Any]
    ok: bool
    error: str
    ledger: dict[str, Any] | None
    advantage: float | None = None
    """The advantage prime-rl gave it (from the record, or a stream's annotations)."""
    effective: bool | None = None
    """Shipped to the trainer; None where the layout does not say (a 2026-08-21 `all` file)."""
    ship_step: int | None = None
    """The step whose batch shipped it (a stream's orchestrator annotation)."""


def _error_type(record: Mapping[str, Any]) -> str:
    errors = list(record.get("errors") or [])
    for trace in record.get("traces") or []:
        errors.extend(trace.get("errors") or [])
    return str(errors[-1].get("type", "error")) if errors else ""


def rollout_from_record(record: Mapping[str, Any], key: StepKey, where: str = "") -> Rollout:
    """A `Rollout` from one episode record (as FileMonitor and vf-eval write it)."""
    if not isinstance(record, Mapping) or "traces" not in record:
        raise RunError(f"{where}: not an episode record (no 'traces')")
    run = record.get("run") or {}
    ledger = None
    for trace in record.get("traces") or []:
        found = (trace.get("info") or {}).get("ledger")
        if isinstance(found, dict):
            ledger = flatten(found)
            break
    task = (record.get("task") or {}).get("data") or {}
    work = run.get("work") or {}
    info = next((t.get("info") for t in record.get("traces") or [] if isinstance(t.get("info"), dict)), {})
    advantage = info.get("advantage")
    return Rollout(
        run_id=str(run.get("id", "")),
        run_name=str(run.get("name", "")),
        key=key,
        dispatch_step=work.get("step"),
        episode_id=str(record.get("id", "")),
        task_key=str((record.get("task") or {}).get("key", "")),
        task=task,
        ok=bool(record.get("ok")),
        error=_error_type(record),
        ledger=ledger,
        advantage=float(advantage) if isinstance(advantage, (int, float)) else None,
    )
