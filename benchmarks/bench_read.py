"""Read speed of ``ledger export`` on both prime-rl layouts, against the floors measured
in the same run on the same files, and its peak memory at a quarter of the steps and at
all of them (it must stay flat).

    python benchmarks/bench_read.py [--steps 1000] [--rollouts 64] [--dir DIR]

A synthetic run (real ledgers from the rubric; by default 2,000 token ids, logprobs and
mask entries per rollout, about 31 KB a record, the size of a real one: a 1,000-step x
256-rollout prime-rl run is about 8 GB of traces) is written in the 2026-08-21 layout
(``rollouts/step_N``), then the same records, stamped as today's orchestrator stamps
them, into today's trace stream (sealed zstd chunks, the index, ``orch`` annotations
for the shipped rollouts, metrics rows tagged with the producer). For each layout:

- raw read: the bytes of every train record (decompressed, for the stream);
- stdlib json.loads: raw read plus ``json.loads`` of every line;
- ledger export: both CSVs, from the run directory.

The target is export at no more than 0.25x the time of stdlib json.loads.
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

import zstandard

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from synthetic_run import RunWriter  # noqa: E402

PEAK_MEMORY_CHILD = """
import resource, sys
from pathlib import Path
from dakota_grammar_env.runs.export import export_run
from dakota_grammar_env.runs.records import RunLayout
export_run(RunLayout.detect(sys.argv[1]), Path(sys.argv[2]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
CHUNK_BYTES = 64 << 20
TARGET = 0.25


def generate_steps_layout(root: Path, steps: int, rollouts: int, tokens: int) -> None:
    writer = RunWriter(root, rollouts_per_step=rollouts, eval_every=0, tokens=tokens, error_rate=0.01)
    for step in range(1, steps + 1):
        writer.write_step(step, steps)
        if step % 100 == 0:
            print(f"  generated {step}/{steps} steps", file=sys.stderr, flush=True)


class StreamWriter:
    """Chunks, index and annotations as today's file monitor writes them."""

    def __init__(self, directory: Path, index: Path) -> None:
        self.directory, self.index = directory, index
        directory.mkdir(parents=True, exist_ok=True)
        self.number, self.buffer, self.rows = 0, bytearray(), []

    def append(self, line: bytes, row: dict) -> None:
        if self.buffer and len(self.buffer) + len(line) > CHUNK_BYTES:
            self.seal()
        self.rows.append(json.dumps({**row, "chunk": self.number, "offset": len(self.buffer)}) + "\n")
        self.buffer += line

    def seal(self) -> None:
        if self.buffer:
            path = self.directory / f"{self.number:05d}.jsonl.zst"
            path.write_bytes(zstandard.ZstdCompressor(level=3).compress(bytes(self.buffer)))
            self.number, self.buffer = self.number + 1, bytearray()
        with self.index.open("a", encoding="utf-8") as handle:
            handle.writelines(self.rows)
        self.rows = []


def convert_to_stream(source: Path, target: Path, steps: int) -> None:
    """The first `steps` steps of a rollouts/step_N run as today's trace stream."""
    traces = target / "monitors" / "file" / "traces"
    stream = StreamWriter(traces / "stream", traces / "stream.index.jsonl")
    orch = StreamWriter(traces / "annotations" / "orch", traces / "annotations" / "orch.index.jsonl")
    metrics = []
    for step in range(1, steps + 1):
        folder = source / "rollouts" / f"step_{step}" / "train"
        shipped = {json.loads(line)["id"] for line in (folder / "effective" / "traces.jsonl").open("rb")}
        for number, line in enumerate((folder / "all" / "traces.jsonl").open("rb")):
            record = json.loads(line)
            arrival = 1_800_000_000.0 + step * 10 + number * 1e-3
            for trace in record["traces"]:
                trace["info"].update(
                    kind="train",
                    dispatch={"step": record["run"]["work"]["step"], "time": arrival - 1},
                    arrival={"step": step, "time": arrival},
                )
            row = {"id": record["id"], "kind": "train", "trace_ids": [t["id"] for t in record["traces"]]}
            stream.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n", row)
        ship = {"step": step, "time": 1_800_000_000.0 + step * 10 + 8}
        for trace_id in sorted(shipped):
            update = {"version": 1, "trace_id": trace_id, "info": {"effective": True, "ship": ship, "advantage": 0.1}}
            orch.append(json.dumps(update).encode() + b"\n", {"trace_id": trace_id, "info": update["info"]})
        metrics.append({"step": step, "time": 1_800_000_000.0 + step * 10 + 9, "train/agg/all/reward/mean": 0.5})
        metrics.append({"step": None, "time": 1_800_000_000.0 + step * 10 + 9.5, "event_loop_lag/max": 0.01})
    stream.seal()
    orch.seal()
    with (target / "monitors" / "file" / "metrics.jsonl").open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps({**row, "producer": "orch"}) + "\n" for row in metrics)


def record_files(run: Path) -> list[tuple[Path, bool]]:
    """The train record files and whether each is zstd."""
    if (run / "rollouts").is_dir():
        steps = sorted(run.glob("rollouts/step_*/train/all/traces.jsonl"), key=lambda p: int(p.parts[-4][5:]))
        return [(path, False) for path in steps]
    return [(path, True) for path in sorted((run / "monitors/file/traces/stream").glob("*.jsonl.zst"))]


def raw_bytes(path: Path, compressed: bool) -> bytes:
    with path.open("rb") as handle:
        if not compressed:
            return handle.read()
        return zstandard.ZstdDecompressor().stream_reader(handle, read_across_frames=True).read()


def raw_read(run: Path) -> tuple[float, int]:
    start = time.perf_counter()
    size = sum(len(raw_bytes(path, compressed)) for path, compressed in record_files(run))
    return time.perf_counter() - start, size


def stdlib_parse(run: Path) -> tuple[float, int]:
    start = time.perf_counter()
    count = 0
    for path, compressed in record_files(run):
        for line in raw_bytes(path, compressed).splitlines():
            json.loads(line)
            count += 1
    return time.perf_counter() - start, count


def timed_export(run: Path, out: Path) -> float:
    from dakota_grammar_env.runs.export import export_run
    from dakota_grammar_env.runs.records import RunLayout

    start = time.perf_counter()
    export_run(RunLayout.detect(run), out)
    return time.perf_counter() - start


def prefix_steps_run(root: Path, target: Path, steps: int) -> Path:
    """A rollouts/step_N run holding only the first `steps` steps (symlinks)."""
    (target / "rollouts").mkdir(parents=True)
    for step in range(1, steps + 1):
        (target / "rollouts" / f"step_{step}").symlink_to(root / "rollouts" / f"step_{step}")
    lines = (root / "metrics.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (target / "metrics.jsonl").write_text("".join(lines[:steps]), encoding="utf-8")
    return target


def peak_memory_mb(run: Path, out: Path) -> float:
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_CHILD, str(run), str(out)], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rollouts", type=int, default=64, help="per step (default 64)")
    parser.add_argument("--tokens", type=int, default=2000, help="completion tokens per rollout (default 2000)")
    parser.add_argument("--dir", type=Path, help="where to build the runs (kept); default: a temporary folder")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-read-"))
    quarter = max(1, args.steps // 4)
    try:
        steps_run, stream_run = base / "steps-layout", base / "stream-layout"
        if not (steps_run / "metrics.jsonl").exists():
            print(
                f"generating {args.steps} steps x {args.rollouts} rollouts x {args.tokens} tokens ...", file=sys.stderr
            )
            generate_steps_layout(steps_run, args.steps, args.rollouts, args.tokens)
        for scratch in ("out", "quarters", stream_run):
            shutil.rmtree(base / scratch, ignore_errors=True)
        print("writing the same records as today's trace stream ...", file=sys.stderr)
        convert_to_stream(steps_run, stream_run, args.steps)
        convert_to_stream(steps_run, base / "quarters" / "stream", quarter)
        prefix_steps_run(steps_run, base / "quarters" / "steps", quarter)
        worst = 0.0
        for label, run, quarter_run in (
            ("2026-08-21 rollouts/step_N", steps_run, base / "quarters" / "steps"),
            ("today's trace stream (zstd)", stream_run, base / "quarters" / "stream"),
        ):
            read_s, size = raw_read(run)
            parse_s, records = stdlib_parse(run)
            export_s = timed_export(run, base / "out" / label.split()[0] / "reward_ledger.csv")
            mem_quarter = peak_memory_mb(quarter_run, base / "out" / "mq" / label.split()[0] / "reward_ledger.csv")
            mem_full = peak_memory_mb(run, base / "out" / "mf" / label.split()[0] / "reward_ledger.csv")
            worst = max(worst, export_s / parse_s)
            print(f"\n{label}: {records:,} records, {size / 1e6:,.0f} MB of traces")
            print(f"{'':<28} {'seconds':>8} {'MB/s':>7} {'vs json.loads':>14}")
            for name, seconds in (("raw read", read_s), ("stdlib json.loads", parse_s), ("ledger export", export_s)):
                print(f"{name:<28} {seconds:>8.2f} {size / 1e6 / seconds:>7.0f} {seconds / parse_s:>14.2f}")
            print(
                f"peak memory of export: {mem_quarter:,.0f} MB at {quarter} steps, "
                f"{mem_full:,.0f} MB at {args.steps} steps (ratio {mem_full / mem_quarter:.2f})"
            )
        verdict = "meets" if worst <= TARGET else "misses"
        print(f"\nworst export / json.loads ratio: {worst:.2f} ({verdict} the {TARGET}x target)")
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
        os.sync()


if __name__ == "__main__":
    main()
