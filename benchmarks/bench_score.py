"""Throughput of `DakotaGrammarRubric.score` on the probe's replies, against a baseline
measured in the same run: the earlier attempt's rubric, re-implemented from its
documented formulas (`legacy_rubric.py`), which does much less: no Unicode
normalisation, no answer extraction, no prompt baseline, an order-blind character F1,
an affix check anywhere in the reply.

Inputs: every probe policy's reply on every task it applies to, on the shipped data
and, when ``../shared/reference/dakota1890`` is beside the checkout, on its easy file.
Prints rows per second and ratios; takes the best of several repeats.

    python benchmarks/bench_score.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dakota_grammar_env.probe.context import ProbeContext
from dakota_grammar_env.probe.policies import POLICIES
from dakota_grammar_env.probe.runner import _unrelated, fit_constants
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path

sys.path.insert(0, str(Path(__file__).parent))
from legacy_rubric import legacy_score

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dakota1890" / "grammar_tasks_easy.jsonl"


def probe_inputs(path: Path, skip: bool) -> list[tuple[str, str, dict]]:
    tasks = read_tasks(path, skip_placeholders=skip, skip_duplicates=skip).tasks
    rubric = DakotaGrammarRubric()
    constants = fit_constants(tasks, rubric)
    others = [_unrelated(tasks, index) for index in range(len(tasks))]
    inputs = []
    for spec in POLICIES:
        rng = random.Random(spec.name)
        for index, task in enumerate(tasks):
            ctx = ProbeContext(task, rubric.gold(task.answer, task.info()), others[index], rng, constants)
            reply = spec.make(ctx)
            if reply is not None:
                inputs.append((reply, task.answer, task.info()))
    return inputs


def rates(scorers: dict[str, Callable[[], object]], rows: int, repeats: int) -> dict[str, float]:
    """Rows per second of each scorer, best of `repeats`; the scorers take turns within
    each repeat, so a burst of load on this shared machine hits them alike."""
    best = dict.fromkeys(scorers, float("inf"))
    for _ in range(repeats):
        for name, fn in scorers.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: rows / seconds for name, seconds in best.items()}


def bench(label: str, inputs: list[tuple[str, str, dict]], repeats: int) -> None:
    rubric = DakotaGrammarRubric()
    golds = [(reply, rubric.gold(answer, info)) for reply, answer, info in inputs]
    measured = rates(
        {
            "DakotaGrammarRubric.score": lambda: [rubric.score(*row) for row in inputs],
            "  ... with the task's gold prebuilt (the taskset path)": lambda: [rubric.score_gold(*r) for r in golds],
            "earlier attempt's rubric (legacy_rubric.py)": lambda: [legacy_score(*row) for row in inputs],
        },
        len(inputs),
        repeats,
    )
    ours = measured["DakotaGrammarRubric.score"]
    print(f"\n{label}: {len(inputs)} probe replies, best of {repeats}")
    print(f"{'scorer':<58} {'rows/s':>10} {'ours / this':>12}")
    for name, value in measured.items():
        print(f"{name:<58} {value:>10,.0f} {ours / value:>12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    bench("shipped dataset", probe_inputs(shipped_data_path(), skip=False), args.repeats)
    if REFERENCE.is_file():
        bench("Dakota1890 reference data (easy)", probe_inputs(REFERENCE, skip=True), args.repeats)
    else:
        print(f"\n(skipped the reference data: {REFERENCE} is absent)")


if __name__ == "__main__":
    main()
