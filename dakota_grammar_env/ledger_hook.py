"""The thin prime-rl orchestrator hook behind ``ledger_hook = true``.

prime-rl has no plugin API, but since mid-August 2026 its orchestrator keeps its
monitors in a module list, ``prime_rl.monitors.MONITORS``, fills it before it loads any
taskset, and fans every ``log`` call out to each monitor, swallowing their errors.
`register` (called from `DakotaGrammarTaskset.load`, which runs in the orchestrator)
appends one more monitor there. It

- collects each arriving rollout (``log(episodes, step, kind, "all")``);
- on the metrics dict that prime-rl logs after finishing a batch or an eval, appends
  that step to ``<run>/wandb_analysis/reward_ledger.csv`` and
  ``reward_ledger_rollouts.csv`` through `LedgerSink` (same rows as ``ledger export``)
  and logs the step's ``ledger/*`` means into the orchestrator's own W&B run.

It never breaks a run: when prime-rl is absent, has another monitor interface, or
anything in the hook fails, it logs one warning and turns itself off. Then run
``dakota-grammar ledger follow RUN_DIR`` beside the trainer instead.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dakota_grammar_env.ledger_sink import STEPS_CSV, LedgerSink
from dakota_grammar_env.run_records import Rollout, StepKey, rollout_from_record

logger = logging.getLogger("dakota_grammar_env.ledger_hook")

FALLBACK = "run `dakota-grammar ledger follow RUN_DIR` beside the run instead"
_REQUIRED = ("log", "log_metrics", "log_episodes")


class HookUnavailable(RuntimeError):
    """prime-rl is not there, or not the version this hook knows."""


def _monitor_api() -> tuple[list[Any], type]:
    try:
        monitors = importlib.import_module("prime_rl.monitors")
        base = importlib.import_module("prime_rl.monitors.base").Monitor
    except (ImportError, AttributeError) as error:
        raise HookUnavailable(f"no prime-rl monitor registry ({error})") from None
    registry = getattr(monitors, "MONITORS", None)
    if not isinstance(registry, list) or not inspect.isclass(base):
        raise HookUnavailable("prime_rl.monitors has no MONITORS list or Monitor class")
    for name in _REQUIRED:
        if not inspect.iscoroutinefunction(getattr(base, name, None)):
            raise HookUnavailable(f"prime_rl.monitors.base.Monitor.{name} is not the async method this hook knows")
    return registry, base


def _episode_record(episode: Any) -> Mapping[str, Any]:
    return episode.to_record() if hasattr(episode, "to_record") else episode


class LedgerRecorder:
    """The hook's logic, independent of prime-rl's classes (easy to test and to reuse)."""

    def __init__(self, output_dir: Path, wandb_monitor: Any | None) -> None:
        self.sink = LedgerSink.resume(Path(output_dir) / "wandb_analysis" / STEPS_CSV)
        self.sink.listeners.append(lambda key, _rollouts, means: self._to_log.append((key, means)))
        self._to_log: list[tuple[StepKey, Mapping[str, Any]]] = []
        self.wandb_monitor = wandb_monitor
        self.pending: dict[StepKey, list[Rollout]] = {}
        self.last_kind = "train"
        self.enabled = True

    def episodes(self, episodes: Any, step: int, kind: str, subset: str) -> None:
        if kind not in ("train", "eval"):
            return
        if subset == "effective":
            self.last_kind = kind  # the metrics dict that follows closes this kind's step
            return
        key = StepKey.of(kind, int(step))
        batch = episodes if isinstance(episodes, list) else [episodes]
        self.pending.setdefault(key, []).extend(rollout_from_record(_episode_record(ep), key) for ep in batch)

    async def metrics(self, step: float) -> None:
        """prime-rl has finished a step: write it (the order of these calls is the
        order of metrics.jsonl's rows, which `ledger export` follows too)."""
        await self._write(StepKey.of(self.last_kind, int(step)))

    async def _write(self, key: StepKey) -> None:
        rollouts = self.pending.pop(key, [])
        if rollouts and key not in self.sink.committed_keys:  # else written before an orchestrator restart
            self.sink.write_step(key, rollouts)
        await self._log_to_wandb()

    async def _log_to_wandb(self) -> None:
        to_log, self._to_log = self._to_log, []
        if self.wandb_monitor is None:
            return
        for key, means in to_log:
            prefix = "ledger/" if key.split == "train" else "ledger/eval/"
            data = {f"{prefix}{name}": value for name, value in means.items() if value is not None}
            await self.wandb_monitor.log(data, step=key.step)

    async def finish(self) -> None:
        for key in sorted(self.pending):
            await self._write(key)
        self.sink.flush_waiting()
        await self._log_to_wandb()


def _make_monitor_class(base: type) -> type:
    class DakotaLedgerMonitor(base):  # type: ignore[misc, valid-type]
        """A prime-rl monitor that writes the reward ledger (see module docstring)."""

        def __init__(self, recorder: LedgerRecorder) -> None:
            self.config = None
            self.logger = logger
            self.recorder = recorder

        async def _guard(self, action: Any) -> None:
            if not self.recorder.enabled:
                return
            try:
                result = action()
                if inspect.isawaitable(result):
                    await result
            except Exception as error:  # never break the run
                self.recorder.enabled = False
                logger.warning("dakota-grammar ledger hook disabled after an error (%r); %s", error, FALLBACK)

        async def init(self, **kwargs: Any) -> None:
            return None

        async def log_episodes(self, episodes: Any, step: int, kind: str = "train", subset: str = "effective") -> None:
            await self._guard(lambda: self.recorder.episodes(episodes, step, kind, subset))

        async def log_metrics(self, metrics: dict[str, Any], step: float) -> None:
            await self._guard(lambda: self.recorder.metrics(step))

        async def finalize(self) -> None:
            await self._guard(self.recorder.finish)

    return DakotaLedgerMonitor


def register() -> bool:
    """Add the ledger monitor to prime-rl's registry (once); False, with one warning,
    when it cannot."""
    try:
        registry, base = _monitor_api()
        if any(type(monitor).__name__ == "DakotaLedgerMonitor" for monitor in registry):
            return True
        output_dir = next((m.output_dir for m in registry if getattr(m, "output_dir", None) is not None), None)
        if output_dir is None:
            raise HookUnavailable("no monitor knows the run directory (is prime-rl's file monitor off?)")
        wandb_monitor = next((m for m in registry if type(m).__name__ == "WandbMonitor"), None)
        registry.append(_make_monitor_class(base)(LedgerRecorder(Path(output_dir), wandb_monitor)))
        logger.info("dakota-grammar ledger hook: writing %s/wandb_analysis/%s", output_dir, STEPS_CSV)
        return True
    except Exception as error:
        logger.warning("dakota-grammar ledger hook not active (%s); %s", error, FALLBACK)
        return False
