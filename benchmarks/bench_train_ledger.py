"""The reward ledger's cost in a training step (goal: at most 5% of step time),
measured in one run: the same `GRPOTrainer` setup (model, tasks, seed, batch) trained
with our reward and live ledger, and with a trivial constant reward and no ledger,
alternating, so drift in machine speed falls on both alike. The learning rate is 0 in
both, so the policy never moves and both runs sample the very same completions (same
seed): every step does the same generation, forward, backward and optimizer work, and
the only difference left is the reward and the ledger.

    python benchmarks/bench_train_ledger.py [--model DIR] [--steps 3] [--rounds 2]

Without --model it uses the embedded SmolLM2-135M-Instruct (fetched once). Prints the
mean seconds per step of each (the first step of each run, which warms up, left out),
their ratio, and, from inside the ledger runs, the seconds spent scoring, writing
records and committing the CSVs as a share of step time (the direct accounting).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import tempfile
import time
from pathlib import Path
from typing import Any


def constant_reward(prompts: list[Any], completions: list[Any], **_: Any) -> list[float]:
    return [0.0] * len(completions)


def fingerprinted(function: Any, prints: list[str]) -> Any:
    """The reward function, noting a hash of each batch of completions it scores."""

    def wrapper(prompts: list[Any], completions: list[Any], **kwargs: Any) -> Any:
        prints.append(hashlib.sha256(repr(completions).encode()).hexdigest()[:12])
        return function(prompts, completions, **kwargs)

    wrapper.__name__ = "reward_scalar"
    return wrapper


class StepTimer:
    """A TRL callback recording each step's wall time."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._start = 0.0

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.times.append(time.perf_counter() - self._start)


def timed(function: Any, bucket: list[float]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - start)

    return wrapper


def one_run(model: str, steps: int, ledger: bool, work: Path) -> tuple[list[float], float, list[str]]:
    """Every step's time (the first included) and the seconds spent in the ledger's own
    code: the reward function (scoring and writing records) and the step-end commit."""
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from dakota_grammar_env.training import TaskSelection, dakota_trl
    from dakota_grammar_env.training.config import EMBEDDED_DEFAULT

    selection = TaskSelection(**EMBEDDED_DEFAULT)
    run_dir = Path(tempfile.mkdtemp(dir=work))
    dakota = dakota_trl(selection, run_dir=run_dir if ledger else None, report=None, total_steps=steps)
    spent: list[float] = []
    prints: list[str] = []
    callbacks: list[Any] = []
    if ledger:
        reward = timed(dakota.reward, spent)
        reward.__name__ = "reward_scalar"
        callback = dakota.callbacks[0]
        callback.on_step_end = timed(callback.on_step_end, spent)
        callbacks.append(callback)
        reward_funcs = [fingerprinted(reward, prints)]
    else:
        reward_funcs = [fingerprinted(constant_reward, prints)]
    timer = type("Timer", (StepTimer, TrainerCallback), {})()
    args = GRPOConfig(
        output_dir=str(run_dir / "checkpoints"),
        per_device_train_batch_size=16,
        num_generations=4,
        max_completion_length=24,
        learning_rate=0.0,  # same completions in both runs: see the module docstring
        temperature=0.7,
        max_steps=steps,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(
        model=model, reward_funcs=reward_funcs, train_dataset=dakota.dataset(), args=args, callbacks=[*callbacks, timer]
    )
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    trainer.train()
    return timer.times, math.fsum(spent), prints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a local model directory (default: the embedded model)")
    parser.add_argument("--steps", type=int, default=3, help="steps per run, the first left out (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of runs (default 2)")
    args = parser.parse_args()
    import torch

    from dakota_grammar_env.jobs.embedded_model import ensure_model, quiet_transformers

    torch.set_num_threads(2)
    quiet_transformers()
    model = args.model or str(ensure_model(report=lambda line: None))
    times: dict[bool, list[float]] = {True: [], False: []}
    ledger_seconds, ledger_run_seconds = 0.0, 0.0
    batches: set[tuple[str, ...]] = set()
    with tempfile.TemporaryDirectory() as work:
        for round_number in range(args.rounds):
            for ledger in (False, True) if round_number % 2 == 0 else (True, False):
                steps, spent, prints = one_run(model, args.steps, ledger, Path(work))
                batches.add(tuple(prints))
                times[ledger] += steps[1:]  # the first step of a run warms up
                if ledger:
                    ledger_seconds += spent
                    ledger_run_seconds += math.fsum(steps)
                label = "reward + ledger" if ledger else "constant reward"
                line = " ".join(f"{s:.2f}" for s in steps)
                print(f"round {round_number + 1} {label:16s} s/step: {line}", flush=True)
    ours, base = (math.fsum(times[k]) / len(times[k]) for k in (True, False))
    print(f"\nconstant reward : {base:.2f} s/step over {len(times[False])} steps")
    print(f"reward + ledger : {ours:.2f} s/step over {len(times[True])} steps")
    print(f"ratio           : {ours / base:.3f} (goal <= 1.05)")
    same = "the same in every run" if len(batches) == 1 else f"NOT the same: {len(batches)} variants"
    print(f"sampled completions: {same}")
    share = ledger_seconds / ledger_run_seconds
    print(f"ledger's own code (scoring, records, CSVs) in the ledger runs: {ledger_seconds:.3f} s of")
    print(f"  {ledger_run_seconds:.1f} s of steps = {100 * share:.2f}% of step time (goal <= 5%)")


if __name__ == "__main__":
    main()
