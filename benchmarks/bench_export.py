"""`ledger export` on a synthetic prime-rl run of STEPS x ROLLOUTS rollouts, against plain
JSON parsing of the same files measured in the same run, and its peak memory on the
first quarter of the steps and on all of them (it must not grow with the steps).

    python benchmarks/bench_export.py [--steps 1000] [--rollouts 256] [--dir DIR]

The run is generated once into DIR (default: a temporary folder, removed afterwards),
laid out as prime-rl's FileMonitor writes it, each rollout carrying a real ledger from
the rubric and 200 synthetic token ids, logprobs and mask entries.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from synthetic_run import RunWriter  # noqa: E402

PEAK_MEMORY_CHILD = """
import resource, sys
from pathlib import Path
from dakota_grammar_env.ledger_export import export_run
from dakota_grammar_env.run_records import RunLayout
export_run(RunLayout.detect(sys.argv[1]), Path(sys.argv[2]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def generate(root: Path, steps: int, rollouts: int) -> float:
    start = time.perf_counter()
    writer = RunWriter(root, rollouts_per_step=rollouts, eval_every=0, tokens=200, error_rate=0.01)
    for step in range(1, steps + 1):
        writer.write_step(step, steps)
        if step % 100 == 0:
            print(f"  generated {step}/{steps} steps", file=sys.stderr, flush=True)
    return time.perf_counter() - start


def plain_parse(root: Path) -> tuple[float, int]:
    """Only json.loads of every line of every train/all file: the floor for any reader."""
    start = time.perf_counter()
    count = 0
    for path in sorted(root.glob("rollouts/step_*/train/all/traces.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                json.loads(line)
                count += 1
    return time.perf_counter() - start, count


def timed_export(root: Path, out: Path) -> float:
    from dakota_grammar_env.ledger_export import export_run
    from dakota_grammar_env.run_records import RunLayout

    start = time.perf_counter()
    export_run(RunLayout.detect(root), out)
    return time.perf_counter() - start


def prefix_run(root: Path, target: Path, steps: int) -> Path:
    """A run holding only the first `steps` steps (symlinks, no copies)."""
    (target / "rollouts").mkdir(parents=True)
    for step in range(1, steps + 1):
        (target / "rollouts" / f"step_{step}").symlink_to(root / "rollouts" / f"step_{step}")
    lines = (root / "metrics.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (target / "metrics.jsonl").write_text("".join(lines[:steps]), encoding="utf-8")
    return target


def peak_memory_mb(root: Path, out: Path) -> float:
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_CHILD, str(root), str(out)], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rollouts", type=int, default=256)
    parser.add_argument("--dir", type=Path, help="where to build the run (kept); default: a temporary folder")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        run = base / "run"
        if not (run / "metrics.jsonl").exists():
            print(f"generating {args.steps} steps x {args.rollouts} rollouts in {run} ...", file=sys.stderr)
            print(f"  took {generate(run, args.steps, args.rollouts):.0f} s", file=sys.stderr)
        for scratch in ("out", "quarter", "out-quarter", "out-full"):
            shutil.rmtree(base / scratch, ignore_errors=True)
        size = sum(p.stat().st_size for p in run.glob("rollouts/step_*/train/all/traces.jsonl"))
        parse_s, records = plain_parse(run)
        export_s = timed_export(run, base / "out" / "reward_ledger.csv")
        quarter = prefix_run(run, base / "quarter", args.steps // 4)
        mem_quarter = peak_memory_mb(quarter, base / "out-quarter" / "reward_ledger.csv")
        mem_full = peak_memory_mb(run, base / "out-full" / "reward_ledger.csv")
        print(f"\n{args.steps} steps x {args.rollouts} rollouts = {records:,} records, {size / 1e6:,.0f} MB of traces")
        print(f"{'':<34} {'seconds':>8} {'records/s':>11} {'vs plain parse':>15}")
        for label, seconds in (("plain json.loads of every line", parse_s), ("ledger export (both CSVs)", export_s)):
            print(f"{label:<34} {seconds:>8.1f} {records / seconds:>11,.0f} {seconds / parse_s:>15.2f}")
        print(
            f"\npeak memory of export: {mem_quarter:,.0f} MB for {args.steps // 4} steps, "
            f"{mem_full:,.0f} MB for {args.steps} steps (ratio {mem_full / mem_quarter:.2f})"
        )
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
        os.sync()


if __name__ == "__main__":
    main()
