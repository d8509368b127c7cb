"""How long building the dataset and loading it into the taskset take (goal: under a
second each on this 2-core machine), measured in one run, best of several repeats.

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
import time
import verifiers.v1  # imported before the clock starts: the taskset's cost, not verifiers'
start = time.perf_counter()
from dakota_grammar_env.taskset import DakotaGrammarTaskset, DakotaGrammarTasksetConfig
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
    from dakota_grammar_env.dataset import build_dataset
    from dakota_grammar_env.paradigms import paradigm_table
    from dakota_grammar_env.taskset import DakotaGrammarTaskset, DakotaGrammarTasksetConfig

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "tasks.jsonl"

        def build() -> None:
            paradigm_table.cache_clear()
            build_dataset(out)

        build_s = best(build, args.repeats)
    config = DakotaGrammarTasksetConfig(id="dakota-grammar", split="all")
    load_s = best(lambda: DakotaGrammarTaskset(config).load(), args.repeats)
    fresh = []
    for _ in range(args.repeats):
        result = subprocess.run([sys.executable, "-c", LOAD_CHILD], capture_output=True, text=True, check=True)
        count, seconds = result.stdout.split()
        fresh.append(float(seconds))
    print(f"build the dataset ({count} tasks) from lexicon and rules: {build_s:.3f} s")
    print(f"load it into the taskset, in-process:                    {load_s:.3f} s")
    print(f"load it into the taskset, fresh process (imports too):   {min(fresh):.3f} s")
    print(f"goal: under 1 s each -> {'met' if max(build_s, load_s, min(fresh)) < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
