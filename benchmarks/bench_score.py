"""Throughput of `DakotaGrammarRubric.score` on the probe's replies, against baselines
measured in the same run:

- sacrebleu's sentence chrF alone (one component of ours, computed by the reference
  implementation);
- the earlier attempt's rubric, re-implemented from its documented formulas
  (`legacy_rubric.py`), which does much less: no Unicode normalisation, no answer
  extraction, an order-blind character F1, an affix check anywhere in the reply.

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

from sacrebleu.metrics import CHRF

from dakota_grammar_env.loading import read_tasks, shipped_data_path
from dakota_grammar_env.probe import POLICIES, ProbeContext, _unrelated
from dakota_grammar_env.rubric import DakotaGrammarRubric

sys.path.insert(0, str(Path(__file__).parent))
from legacy_rubric import legacy_score

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dakota1890" / "grammar_tasks_easy.jsonl"


def probe_inputs(path: Path, skip: bool) -> list[tuple[str, str, dict]]:
    tasks = read_tasks(path, skip_placeholders=skip, skip_duplicates=skip).tasks
    rubric = DakotaGrammarRubric()
    inputs = []
    for spec in POLICIES:
        rng = random.Random(spec.name)
        for index, task in enumerate(tasks):
            ctx = ProbeContext(task, rubric.gold(task.answer, task.info()), _unrelated(tasks, index), rng)
            reply = spec.make(ctx)
            if reply is not None:
                inputs.append((reply, task.answer, task.info()))
    return inputs


def rate(fn: Callable[[], object], rows: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return rows / best


def bench(label: str, inputs: list[tuple[str, str, dict]], repeats: int) -> None:
    rubric = DakotaGrammarRubric()
    chrf = CHRF()
    golds = [(reply, rubric.gold(answer, info)) for reply, answer, info in inputs]
    rates = {
        "DakotaGrammarRubric.score": rate(lambda: [rubric.score(*row) for row in inputs], len(inputs), repeats),
        "  ... with the task's gold prebuilt (the taskset path)": rate(
            lambda: [rubric.score_gold(*row) for row in golds], len(inputs), repeats
        ),
        "sacrebleu sentence chrF alone": rate(
            lambda: [chrf.sentence_score(reply, [answer]) for reply, answer, _ in inputs], len(inputs), repeats
        ),
        "earlier attempt's rubric (legacy_rubric.py)": rate(
            lambda: [legacy_score(*row) for row in inputs], len(inputs), repeats
        ),
    }
    ours = rates["DakotaGrammarRubric.score"]
    print(f"\n{label}: {len(inputs)} probe replies, best of {repeats}")
    print(f"{'scorer':<58} {'rows/s':>10} {'ours / this':>12}")
    for name, value in rates.items():
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
