"""Run fixtures copied out of `../shared`, the ledger CSVs read back, and step means
recomputed from the trace files with no project code but `flatten`, to compare with them."""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from dakota_grammar_env.runs.records import flatten
from tests.support.paths import PRIME_RL_FIXTURES as FIXTURES
from tests.support.paths import needs_fixtures

__all__ = ["FIXTURES", "assert_matches", "copy_fixture", "needs_fixtures", "read_rows", "recompute"]


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    for path in [target, *target.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    return target


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def recompute(run_dir: Path, kind: str) -> dict[tuple[str, int], dict[str, float]]:
    """Per (split, step): rollouts, errored, and the mean of each numeric ledger field,
    straight from the trace files (no project code but `flatten`)."""
    files = (
        [(("eval", 0), run_dir / "traces.jsonl")]
        if kind == "vf-eval"
        else [
            ((p.parts[-3], int(p.parts[-4].split("_")[1])), p)
            for p in run_dir.glob("rollouts/step_*/*/all/traces.jsonl")
        ]
    )
    result = {}
    for key, path in files:
        values: dict[str, list[float]] = defaultdict(list)
        episodes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for episode in episodes:
            ledger = next((t["info"]["ledger"] for t in episode["traces"] if "ledger" in t.get("info", {})), None)
            for name, value in flatten(ledger or {}).items():
                if isinstance(value, (int, float)):
                    values[name].append(float(value))
        means = {name: math.fsum(v) / len(v) for name, v in values.items()}
        means["rollouts"] = len(episodes)
        means["errored_rollouts"] = sum(not e["ok"] for e in episodes)
        result[key] = means
    return result


def assert_matches(steps_csv: Path, expected: dict[tuple[str, int], dict[str, float]]) -> None:
    rows = read_rows(steps_csv)
    assert {(r["split"], int(r["step"])) for r in rows} == set(expected)
    for row in rows:
        want = expected[(row["split"], int(row["step"]))]
        for name, value in want.items():
            if name in row:
                assert float(row[name]) == pytest.approx(value, rel=1e-12, abs=1e-12), (row["split"], row["step"], name)
