"""The TRL callback that finishes each step's ledger: records synced, the step's row in
``metrics.jsonl``, the CSVs committed through `LedgerFollower`'s crash-safe sink, the
means logged to W&B as ``ledger/<field>``, and one progress line.

It runs at ``on_step_end`` (TRL's ``global_step`` is the step just done, the one TRL
logs against). On ``on_train_begin`` a resumed run (``global_step`` K > 0) forgets what
steps after K left on disk, and a fresh run (K = 0) forgets everything, so the ledger
of the run that finishes holds each trained step exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from dakota_grammar_env.extras import import_from_extra
from dakota_grammar_env.runs.export import Follower
from dakota_grammar_env.runs.records import Rollout, RunLayout, StepKey
from dakota_grammar_env.training.records import RunRecorder, step_means

Report = Callable[[str], None]
TrainerCallback = import_from_extra("transformers", "train", "training").TrainerCallback


class WandbLedgerLogger:
    """A sink listener: each committed train step's means into the W&B run TRL opened."""

    def __init__(self, report: Report | None) -> None:
        self.report = report
        self.warned = False

    def __call__(self, key: StepKey, rollouts: list[Rollout], means: Mapping[str, Any]) -> None:
        import wandb

        if wandb.run is None:
            if not self.warned and self.report:
                self.report("ledger: no W&B run is open (report_to does not include wandb); ledger/* not logged")
            self.warned = True
            return
        prefix = "ledger/" if key.split == "train" else "ledger/eval/"
        data = {f"{prefix}{name}": value for name, value in means.items() if value is not None}
        wandb.run.log({**data, "train/global_step": key.step})


class LedgerCallback(TrainerCallback):  # type: ignore[misc, valid-type]
    """Finishes each step's ledger (see the module docstring)."""

    def __init__(
        self,
        recorder: RunRecorder,
        report: Report | None = print,
        wandb: bool = False,
        total_steps: int | None = None,
    ) -> None:
        self.recorder = recorder
        self.report = report
        self.wandb = wandb
        self.total_steps = total_steps
        self.follower: Follower | None = None
        self.history: list[dict[str, float]] = []
        self._started = 0.0

    def _open_follower(self) -> Follower:
        layout = RunLayout(self.recorder.run_dir, "prime-rl")
        follower = Follower.open(layout)
        if self.wandb:
            follower.sink.listeners.append(WandbLedgerLogger(self.report))
        return follower

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if getattr(args, "world_size", 1) > 1:
            raise RuntimeError(
                f"the live ledger writes {self.recorder.run_dir} from one process, but this run has "
                f"{args.world_size}; train on one device, or leave run_dir unset and export the ledger yourself"
            )
        (self.recorder.run_dir / "rollouts").mkdir(parents=True, exist_ok=True)
        removed = self.recorder.trim_after(state.global_step)
        if removed and self.report:
            self.report(f"ledger: resuming after step {state.global_step}; dropped the records of steps {removed}")
        self.follower = self._open_follower()
        self.follower.poll()  # rolls back CSV rows of removed steps, commits any finished step not yet written
        self.total_steps = self.total_steps or state.max_steps or None
        self._started = time.monotonic()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        step = state.global_step
        seconds = time.monotonic() - self._started
        self._started = time.monotonic()
        rows: list[dict[str, Any]] = []
        for open_step in self.recorder.unfinished_steps():
            if open_step <= step:
                rows += self.recorder.finish(open_step, {"train/seconds": seconds})
        if self.follower is not None:
            self.follower.poll()
        if rows:
            self._progress(step, rows, seconds)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.follower is not None:
            self.follower.poll(finish=True)

    def _progress(self, step: int, rows: list[dict[str, Any]], seconds: float) -> None:
        means = step_means(rows)
        entry = {"step": step, **{name.removeprefix("train/"): value for name, value in means.items()}}
        entry["seconds"] = seconds
        self.history.append(entry)
        if self.report:
            of = f"/{self.total_steps}" if self.total_steps else ""
            self.report(
                f"step {step}{of}  reward {entry['reward']:.3f}  parse {entry['parse_rate']:.2f}  "
                f"exact {entry['exact_match']:.2f}  partial {entry['partial_credit']:.3f}  "
                f"({len(rows)} rollouts, {seconds:.1f} s/step)"
            )
