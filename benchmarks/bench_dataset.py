"""How long building the dataset and loading it into the taskset take (goals on this
2-core machine: a build under 1 s; a load under 0.5 s in a fresh process, as vf-eval and
prime-rl's orchestrator do it), measured in one run, best of several repeats. The
baseline is the same fresh load with the garbage collector left running
(`loading.collector_paused` turned off), which was the code before it; the msgspec
decoder and the skipped gold check of the shipped file are on in both.

    python benchmarks/bench_dataset.py [--repeats 5]

Build: read data/lexicon.tsv and data/paradigms.toml, generate every task, write the
JSONL. Load: `DakotaGrammarTaskset.load()` on the shipped file (what vf-eval and
prime-rl's orchestrator call), in a fresh process so nothing is cached, and in-process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOAD_CHILD = """
import contextlib, sys, time
import verifiers.v1  # imported before the clock starts: the taskset's cost, not verifiers'
start = time.perf_counter()
if sys.argv[1:] == ["baseline"]:
    import dakota_grammar_env.tasks.loading as loading, dakota_grammar_env.integrations.taskset as taskset
    loading.collector_paused = taskset.collector_paused = contextlib.nullcontext
from dakota_grammar_env.integrations.taskset import DakotaGrammarTaskset, DakotaGrammarTasksetConfig
tasks = DakotaGrammarTaskset(DakotaGrammarTasksetConfig(id="dakota-grammar", split="all")).load()
print(len(tasks), time.perf_counter() - start)
"""


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from dakota_grammar_env.grammar.dataset import build_dataset
    from dakota_grammar_env.grammar.paradigms import paradigm_table
    from dakota_grammar_env.integrations.taskset import DakotaGrammarTaskset, DakotaGrammarTasksetConfig

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "tasks.jsonl"

        def build() -> None:
            paradigm_table.cache_clear()
            build_dataset(out)

        build_s = best(build, args.repeats)
    config = DakotaGrammarTasksetConfig(id="dakota-grammar", split="all")
    load_s = best(lambda: DakotaGrammarTaskset(config).load(), args.repeats)
    fresh: dict[str, list[float]] = {"paused": [], "baseline": []}
    for _ in range(args.repeats):
        for mode in fresh:
            command = [sys.executable, "-c", LOAD_CHILD, mode]
            count, seconds = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
            fresh[mode].append(float(seconds))
    paused, baseline = min(fresh["paused"]), min(fresh["baseline"])
    print(f"build the dataset ({count} tasks) from lexicon and rules: {build_s:.3f} s")
    print(f"load it into the taskset, in-process:                    {load_s:.3f} s")
    print(f"load it into the taskset, fresh process (imports too):   {paused:.3f} s")
    print(f"  baseline, the collector left running:                  {baseline:.3f} s ({paused / baseline:.2f}x)")
    met = build_s < 1 and paused < 0.5
    print(f"goals: build under 1 s, fresh load under 0.5 s -> {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
