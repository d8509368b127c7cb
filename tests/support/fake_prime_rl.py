"""A stand-in for `prime_rl.monitors` that behaves like the real fan-out, and replays of
run directories through it in the order prime-rl's orchestrator logs.

Two interfaces, as documented beside the fixtures (no prime-rl code, the behaviour
only): ``"head"`` (2026-08-21, ``../shared/prime-rl/README.md``: synchronous setup, the
file monitor writing ``rollouts/step_N/...`` and a root ``metrics.jsonl``) and
``"stream"`` (``../shared/prime-rl/newest/README.md`` §5: async ``setup(...,
producer=)``, optional ``log_annotations``/``log_live``/``log_eval_plan``, rows with
``step=None``, the file monitor writing the chunked trace stream and its index). In
both, ``finalize`` runs the monitors in list order and turns each error into a
warning, and the W&B monitor is real offline W&B: after its ``finalize`` has called
``wandb.finish``, logging to it fails, as it does in prime-rl.
"""

from __future__ import annotations

import asyncio
import json
import sys
import types
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard


class Monitor(ABC):
    def __init__(self, config: Any = None) -> None:
        self.config = config

    async def init(self, **kwargs: Any) -> None:
        return None

    async def log(self, data: Any, step: float | None, kind: str = "train", subset: str = "effective") -> None:
        if isinstance(data, dict):
            await self.log_metrics(data, step)
        else:
            assert step is not None, "episodes are always logged with a step"
            await self.log_episodes(data if isinstance(data, list) else [data], int(step), kind, subset)

    @abstractmethod
    async def log_metrics(self, metrics: dict, step: float | None) -> None: ...

    @abstractmethod
    async def log_episodes(self, episodes: list, step: int, kind: str, subset: str) -> None: ...

    async def log_annotations(self, updates: list[dict]) -> None:
        return None

    async def log_live(self, events: list[dict]) -> None:
        return None

    async def log_eval_plan(self, env_name: str, step: int, expected: int) -> None:
        return None

    async def finalize(self) -> None:
        return None


def _line(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


class HeadFileMonitor(Monitor):
    """The 2026-08-21 file monitor: one file per (step, kind, subset), and metrics.jsonl."""

    async def init(self, output_dir: Path, **kwargs: Any) -> None:
        self.output_dir = Path(output_dir)

    async def log_metrics(self, metrics: dict, step: float | None) -> None:
        with (self.output_dir / "metrics.jsonl").open("ab") as handle:
            handle.write(_line({"step": step, **{k: v for k, v in metrics.items() if k != "step"}}))

    async def log_episodes(self, episodes: list, step: int, kind: str, subset: str) -> None:
        path = self.output_dir / "rollouts" / f"step_{step}" / kind / subset / "traces.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            handle.write(b"".join(_line(episode.to_record()) for episode in episodes))


class StreamFileMonitor(Monitor):
    """Today's file monitor: every episode once, in arrival order, into numbered chunks
    with an index row each (record flushed first); annotations per producer; rows
    tagged with the producer; a relaunch appends; finalize seals the live chunks."""

    chunk_bytes = 24 * 1024

    async def init(self, output_dir: Path, producer: str | None = None) -> None:
        self.output_dir = Path(output_dir)
        self.producer = producer
        self.root = self.output_dir / "monitors" / "file"
        self.root.mkdir(parents=True, exist_ok=True)

    def _append(self, directory: Path, index: Path, line: bytes, index_row: dict) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        chunks = sorted(directory.glob("*.jsonl*"))
        number = int(chunks[-1].name[:5]) if chunks else 0
        plain = directory / f"{number:05d}.jsonl"
        if chunks and not plain.exists():
            number += 1  # the last chunk is sealed: start a new one
            plain = directory / f"{number:05d}.jsonl"
        size = plain.stat().st_size if plain.exists() else 0
        if size and size + len(line) > self.chunk_bytes:
            self._seal(plain)
            number, size = number + 1, 0
            plain = directory / f"{number:05d}.jsonl"
        with plain.open("ab") as handle:
            handle.write(line)
        with index.open("ab") as handle:
            handle.write(_line({**index_row, "chunk": number, "offset": size}))

    @staticmethod
    def _seal(plain: Path) -> None:
        sealed = plain.with_name(plain.name + ".zst")
        temporary = sealed.with_name(sealed.name + ".tmp")
        temporary.write_bytes(zstandard.ZstdCompressor(level=3).compress(plain.read_bytes()))
        temporary.replace(sealed)
        plain.unlink()

    async def log_metrics(self, metrics: dict, step: float | None) -> None:
        row = {"step": step, "time": metrics.get("time", 0.0), **{k: v for k, v in metrics.items() if k != "time"}}
        if self.producer is not None:
            row["producer"] = self.producer
        with (self.root / "metrics.jsonl").open("ab") as handle:
            handle.write(_line(row))

    async def log_episodes(self, episodes: list, step: int, kind: str, subset: str) -> None:
        if subset == "effective":
            return  # no second copy: the shipped cohort arrives as annotations
        traces = self.root / "traces"
        for episode in episodes:
            record = episode.to_record()
            row = {"id": record["id"], "kind": kind, "trace_ids": [t["id"] for t in record["traces"]]}
            self._append(traces / "stream", traces / "stream.index.jsonl", _line(record), row)

    async def log_annotations(self, updates: list[dict]) -> None:
        producer = self.producer or "unknown"
        annotations = self.root / "traces" / "annotations"
        for update in updates:
            row = {"trace_id": update["trace_id"], "info": update["info"]}
            self._append(annotations / producer, annotations / f"{producer}.index.jsonl", _line(update), row)

    async def finalize(self) -> None:
        for plain in sorted((self.root / "traces").rglob("*.jsonl")):
            if plain.parent.name in ("stream", "orch", "trainer", "unknown") and plain.stat().st_size:
                self._seal(plain)


class WandbMonitor(Monitor):
    """Real offline W&B, logging as today's prime-rl W&B monitor does: every metric
    against a ``step`` metric, time-keyed rows (``step=None``) without one; `logged`
    keeps what reached it."""

    async def init(self, output_dir: Path, **kwargs: Any) -> None:
        import wandb

        self.run = wandb.init(
            project="fake-prime-rl", mode="offline", dir=str(output_dir), settings=wandb.Settings(silent=True)
        )
        self.run.define_metric("*", step_metric="step")
        self.logged: list[tuple[float | None, dict]] = []

    async def log_metrics(self, metrics: dict, step: float | None) -> None:
        data = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        self.run.log(data if step is None else {**data, "step": step})  # raises once the run is finished
        self.logged.append((step, dict(metrics)))

    async def log_episodes(self, episodes: list, step: int, kind: str, subset: str) -> None:
        return None

    async def finalize(self) -> None:
        self.run.finish()


def build_module(flavour: str) -> tuple[types.ModuleType, types.ModuleType]:
    monitors = types.ModuleType("prime_rl.monitors")
    base = types.ModuleType("prime_rl.monitors.base")
    base.Monitor = Monitor
    monitors.MONITORS = []
    warnings: list[str] = []
    state = {"set_up": False}

    def get(cls: type) -> Any:
        return next((m for m in monitors.MONITORS if isinstance(m, cls)), None)

    async def fan_out(method: str, *args: Any) -> None:
        for monitor in list(monitors.MONITORS):
            try:
                await getattr(monitor, method)(*args)
            except Exception as error:  # prime-rl swallows monitor errors with a warning
                warnings.append(f"{type(monitor).__name__}.{method}: {error!r}")

    async def log(data: Any, step: float | None, kind: str = "train", subset: str = "effective") -> None:
        await fan_out("log", data, step, kind, subset)

    async def log_annotations(updates: list[dict]) -> None:
        await fan_out("log_annotations", updates)

    async def finalize() -> None:
        await fan_out("finalize")

    async def setup(wandb: Any = None, file: Any = None, *, output_dir: Path, producer: str | None = None) -> None:
        assert not state["set_up"], "setup runs once per process"
        state["set_up"] = True
        file_class = StreamFileMonitor if flavour == "stream" else HeadFileMonitor
        built = ([WandbMonitor()] if wandb else []) + ([file_class()] if file else [])
        for monitor in built:
            if flavour == "stream" and isinstance(monitor, StreamFileMonitor):
                await monitor.init(output_dir=output_dir, producer=producer)
            else:
                await monitor.init(output_dir=output_dir)
            monitors.MONITORS.append(monitor)

    monitors.get, monitors.log, monitors.finalize, monitors.warnings = get, log, finalize, warnings
    monitors.setup = setup
    if flavour == "stream":
        monitors.log_annotations = log_annotations
    return monitors, base


@contextmanager
def installed(
    output_dir: Path, with_wandb: bool = True, flavour: str = "head", producer: str | None = "orch"
) -> Iterator[types.ModuleType]:
    """`prime_rl.monitors` importable, set up as the orchestrator sets it up (W&B, then
    the file monitor)."""
    package = types.ModuleType("prime_rl")
    monitors, base = build_module(flavour)
    package.monitors = monitors
    asyncio.run(monitors.setup(wandb=with_wandb or None, file=True, output_dir=output_dir, producer=producer))
    saved = {name: sys.modules.get(name) for name in ("prime_rl", "prime_rl.monitors", "prime_rl.monitors.base")}
    sys.modules.update({"prime_rl": package, "prime_rl.monitors": monitors, "prime_rl.monitors.base": base})
    try:
        yield monitors
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class RecordedEpisode:
    """An episode as the orchestrator holds it; `to_record` is what the file monitor writes."""

    def __init__(self, record: dict) -> None:
        self._record = record

    def to_record(self) -> dict:
        return self._record


def replay(monitors: types.ModuleType, run_dir: Path, finalize: bool = True) -> None:
    """Feed a 2026-08-21 run directory's episodes to the registry as the orchestrator
    would: each arriving episode ("all"), then at the end of each batch or eval the
    shipped ones ("effective") and the metrics dict, in the order of metrics.jsonl."""

    def episodes(step: int, kind: str, subset: str) -> list[RecordedEpisode]:
        path = run_dir / "rollouts" / f"step_{step}" / kind / subset / "traces.jsonl"
        return [RecordedEpisode(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]

    async def run() -> None:
        for line in (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            kind = "eval" if any(key.startswith("eval/") for key in row) else "train"
            step = int(row["step"])
            for episode in episodes(step, kind, "all"):
                await monitors.log([episode], step, kind, "all")
            await monitors.log(episodes(step, kind, "effective"), step, kind, "effective")
            await monitors.log(row, step=row["step"])
        if finalize:
            await monitors.finalize()

    asyncio.run(run())


# --- today's layout: the events of a stream fixture, in time order ----------------------


def _chunk_bytes(directory: Path, number: int) -> bytes:
    plain = directory / f"{number:05d}.jsonl"
    if plain.exists():
        return plain.read_bytes()
    with (directory / f"{number:05d}.jsonl.zst").open("rb") as handle:
        return zstandard.ZstdDecompressor().stream_reader(handle, read_across_frames=True).read()


def indexed_records(directory: Path, index: Path) -> list[dict]:
    """Every record an index points at (json and zstandard only)."""
    cache: dict[int, bytes] = {}
    records = []
    for line in index.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        data = cache.setdefault(row["chunk"], _chunk_bytes(directory, row["chunk"]))
        records.append(json.loads(data[row["offset"] : data.index(b"\n", row["offset"])]))
    return records


@dataclass(frozen=True)
class Event:
    time: float
    order: int
    kind: str  # "episode", "annotations", "metrics"
    payload: Any


def stream_events(run_dir: Path) -> list[Event]:
    """A stream fixture as the calls that wrote it: each episode at its arrival time,
    each ship's annotations at its ship time, each metrics row at its time (orch rows
    as the orchestrator logs them; trainer rows as the trainer's own monitor writes them)."""
    root = run_dir / "monitors" / "file"
    traces = root / "traces"
    events: list[Event] = []
    for record in indexed_records(traces / "stream", traces / "stream.index.jsonl"):
        info = record["traces"][0]["info"] if record["traces"] else {}
        events.append(Event(info["arrival"]["time"], len(events), "episode", record))
    ships: dict[float, list[dict]] = {}
    if (traces / "annotations" / "orch.index.jsonl").exists():
        for update in indexed_records(traces / "annotations" / "orch", traces / "annotations" / "orch.index.jsonl"):
            ships.setdefault(update["info"]["ship"]["time"], []).append(update)
    for time, updates in ships.items():
        events.append(Event(time, len(events), "annotations", updates))
    for line in (root / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        events.append(Event(row["time"], len(events), "metrics", row))
    return sorted(events, key=lambda event: (event.time, event.order))


def replay_stream(monitors: types.ModuleType, events: list[Event], output_dir: Path, finalize: bool = True) -> None:
    """The orchestrator's calls for `events`: ``log([episode], arrival step, kind, "all")``
    per arrival; ``log_annotations`` per ship; ``log(row, step)`` per orch row (``None``
    for time-keyed rows). Trainer rows go to a trainer-producer file monitor."""

    async def run() -> None:
        trainer = StreamFileMonitor()
        await trainer.init(output_dir=output_dir, producer="trainer")
        for event in events:
            if event.kind == "episode":
                info = event.payload["traces"][0]["info"]
                await monitors.log([RecordedEpisode(event.payload)], info["arrival"]["step"], info["kind"], "all")
            elif event.kind == "annotations":
                await monitors.log_annotations(event.payload)
            else:
                row = dict(event.payload)
                producer, step = row.pop("producer", None), row.pop("step")
                if producer == "trainer":
                    await trainer.log_metrics(row, step)
                else:
                    await monitors.log(row, step=step)
        if finalize:
            await monitors.finalize()

    asyncio.run(run())
