"""The thin prime-rl orchestrator hook behind ``ledger_hook = true``.

prime-rl has no plugin API, but since mid-August 2026 its orchestrator keeps its
monitors in a module list, ``prime_rl.monitors.MONITORS``, fills it (``setup``, async
since September) before it loads any taskset, and fans every call out to each monitor
in list order, turning their errors into warnings. `register` (called from
`DakotaGrammarTaskset.load`, which runs in the orchestrator) adds two entries:

- at the end, after the file monitor: on each metrics row the orchestrator logs for a
  finished batch or eval (rows with ``step=None`` are time-keyed gauges and are
  ignored), the hook reads what the file monitor has just written and appends every
  step that is now complete to ``<run>/wandb_analysis/reward_ledger.csv`` and
  ``reward_ledger_rollouts.csv``, through the same `Follower` as ``ledger follow``, so
  the CSVs equal ``ledger export`` of the run in either prime-rl layout; then it logs
  each new step's ``ledger/*`` means into the orchestrator's own W&B run;
- at the front, a flush that runs first in ``monitors.finalize()``: the W&B monitor
  finishes its run there, so the last steps (drained arrivals, an eval in flight) must
  be written and logged before it.

A relaunch of the run directory is the same run (prime-rl mints a new run id at every
launch): the CSVs are kept, and steps the resumed run re-runs replace their rows.

It never breaks a run: when prime-rl is absent, has another monitor interface, or
anything in the hook fails, it logs one warning and turns itself off (a W&B failure
only stops the W&B logging). Then run ``dakota-grammar ledger follow RUN_DIR`` beside
the trainer instead.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dakota_grammar_env.runs.export import Follower
from dakota_grammar_env.runs.records import RunError, RunLayout, StepKey
from dakota_grammar_env.runs.sink import STEPS_CSV, LedgerSink

logger = logging.getLogger("dakota_grammar_env.runs.prime_rl_hook")

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


class LedgerRecorder:
    """The hook's logic, independent of prime-rl's classes (easy to test and to reuse)."""

    def __init__(self, output_dir: Path, wandb_monitor: Any | None) -> None:
        self.output_dir = Path(output_dir)
        self.sink = LedgerSink.resume(self.output_dir / "wandb_analysis" / STEPS_CSV)
        self.sink.listeners.append(lambda key, _rollouts, means: self._to_log.append((key, means)))
        self._to_log: list[tuple[StepKey, Mapping[str, Any]]] = []
        self.wandb_monitor = wandb_monitor
        self.follower: Follower | None = None
        self.enabled = True
        self.finished = False

    def _follower(self) -> Follower | None:
        """The run directory's reader, once the file monitor has written something."""
        if self.follower is None:
            try:
                layout = RunLayout.detect(self.output_dir)
            except RunError:
                return None  # nothing on disk yet
            if not layout.is_prime_rl:
                return None
            self.follower = Follower(layout, self.sink)
        return self.follower

    async def metrics(self, step: float | None) -> None:
        """prime-rl has logged a metrics row: write every step now complete."""
        if step is None or self.finished:
            return  # a time-keyed row (inference metrics, periodic gauges) closes no step
        follower = self._follower()
        if follower is not None:
            follower.poll()
        await self._log_to_wandb()

    async def _log_to_wandb(self) -> None:
        to_log, self._to_log = self._to_log, []
        if self.wandb_monitor is None:
            return
        for key, means in to_log:
            prefix = "ledger/" if key.split == "train" else "ledger/eval/"
            data = {f"{prefix}{name}": value for name, value in means.items() if value is not None}
            try:
                await self.wandb_monitor.log(data, step=key.step)
            except Exception as error:  # the CSVs go on without W&B
                self.wandb_monitor = None
                logger.warning("dakota-grammar ledger hook: W&B logging stopped (%r); the CSVs go on", error)
                return

    async def finish(self) -> None:
        """Write what is on disk, complete or not (the run is ending), once."""
        if self.finished:
            return
        self.finished = True
        follower = self._follower()
        if follower is not None:
            follower.poll(finish=True)
            follower.close()
        self.sink.flush_waiting()
        await self._log_to_wandb()


class _Guarded:
    """Run recorder calls so that no error reaches prime-rl: the first one turns the
    hook off with one warning."""

    recorder: LedgerRecorder

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


def _make_monitor_classes(base: type) -> tuple[type, type]:
    class _LedgerMonitorBase(_Guarded, base):  # type: ignore[misc, valid-type]
        def __init__(self, recorder: LedgerRecorder) -> None:
            self.config = None
            self.logger = logger
            self.recorder = recorder

        async def init(self, **kwargs: Any) -> None:
            return None

        async def log_episodes(self, episodes: Any, step: int, kind: str = "train", subset: str = "effective") -> None:
            return None  # read back from the file monitor's files, as `ledger export` reads them

        async def log_metrics(self, metrics: dict[str, Any], step: float | None = None) -> None:
            return None

        async def finalize(self) -> None:
            await self._guard(self.recorder.finish)

    class DakotaLedgerMonitor(_LedgerMonitorBase):
        """Last in the list: writes the reward ledger as prime-rl finishes steps (see
        the module docstring)."""

        async def log_metrics(self, metrics: dict[str, Any], step: float | None = None) -> None:
            await self._guard(lambda: self.recorder.metrics(step))

    class DakotaLedgerFlush(_LedgerMonitorBase):
        """First in the list: in finalize, writes the last steps while W&B is still open."""

    return DakotaLedgerMonitor, DakotaLedgerFlush


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
        recorder = LedgerRecorder(Path(output_dir), wandb_monitor)
        monitor_class, flush_class = _make_monitor_classes(base)
        registry.append(monitor_class(recorder))
        registry.insert(0, flush_class(recorder))
        logger.info("dakota-grammar ledger hook: writing %s/wandb_analysis/%s", output_dir, STEPS_CSV)
        return True
    except Exception as error:
        logger.warning("dakota-grammar ledger hook not active (%s); %s", error, FALLBACK)
        return False
