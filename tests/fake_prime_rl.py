"""A stand-in for `prime_rl.monitors` that follows its documented HEAD interface
(``../shared/prime-rl/README.md``, part b), and a replay of a run directory through it
in the order prime-rl's orchestrator logs (part b, "When the orchestrator calls them").
No prime-rl code: the interface only."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class Monitor(ABC):
    def __init__(self, config: Any) -> None:
        self.config = config

    async def init(self, **kwargs: Any) -> None:
        return None

    async def log(self, data: Any, step: float, kind: str = "train", subset: str = "effective") -> None:
        if isinstance(data, dict):
            await self.log_metrics(data, step)
        else:
            await self.log_episodes(data if isinstance(data, list) else [data], step, kind, subset)

    @abstractmethod
    async def log_metrics(self, metrics: dict, step: float) -> None: ...

    @abstractmethod
    async def log_episodes(self, episodes: list, step: int, kind: str, subset: str) -> None: ...

    async def finalize(self) -> None:
        return None


class FileMonitor(Monitor):
    def __init__(self, output_dir: Path) -> None:
        super().__init__(None)
        self.output_dir = output_dir
        self.metrics: list[tuple[float, dict]] = []

    async def log_metrics(self, metrics: dict, step: float) -> None:
        self.metrics.append((step, metrics))

    async def log_episodes(self, episodes: list, step: int, kind: str, subset: str) -> None:
        return None


class WandbMonitor(Monitor):
    def __init__(self) -> None:
        super().__init__(None)
        self.logged: list[tuple[float, dict]] = []

    async def log_metrics(self, metrics: dict, step: float) -> None:
        self.logged.append((step, dict(metrics)))

    async def log_episodes(self, episodes: list, step: int, kind: str, subset: str) -> None:
        return None


def build_module() -> tuple[types.ModuleType, types.ModuleType]:
    monitors = types.ModuleType("prime_rl.monitors")
    base = types.ModuleType("prime_rl.monitors.base")
    base.Monitor = Monitor
    monitors.MONITORS = []
    warnings: list[str] = []

    def get(cls: type) -> Any:
        return next((m for m in monitors.MONITORS if isinstance(m, cls)), None)

    async def log(data: Any, step: float, kind: str = "train", subset: str = "effective") -> None:
        for monitor in monitors.MONITORS:
            try:
                await monitor.log(data, step, kind, subset)
            except Exception as error:  # prime-rl swallows monitor errors with a warning
                warnings.append(repr(error))

    async def finalize() -> None:
        for monitor in monitors.MONITORS:
            try:
                await monitor.finalize()
            except Exception as error:
                warnings.append(repr(error))

    monitors.get, monitors.log, monitors.finalize, monitors.warnings = get, log, finalize, warnings
    return monitors, base


@contextmanager
def installed(output_dir: Path, with_wandb: bool = True) -> Iterator[types.ModuleType]:
    """`prime_rl.monitors` importable, with a file (and W&B) monitor set up."""
    package = types.ModuleType("prime_rl")
    monitors, base = build_module()
    package.monitors = monitors
    monitors.MONITORS.extend([WandbMonitor()] if with_wandb else [])
    monitors.MONITORS.append(FileMonitor(output_dir))
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
    """An episode as the orchestrator holds it; `to_record` is what FileMonitor writes."""

    def __init__(self, record: dict) -> None:
        self._record = record

    def to_record(self) -> dict:
        return self._record


def replay(monitors: types.ModuleType, run_dir: Path) -> None:
    """Feed a run directory's episodes to the registry as the orchestrator would: each
    arriving episode ("all"), then at the end of each batch or eval the shipped ones
    ("effective") and the metrics dict, in the order of metrics.jsonl."""

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
        await monitors.finalize()

    asyncio.run(run())
