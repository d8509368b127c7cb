"""`ledger export` on today's prime-rl trace stream: the fixtures written by newest
prime-rl monitor code (``../shared/prime-rl/newest``), and hand-made damage."""

from __future__ import annotations

import json
import math
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from dakota_grammar_env.runs.export import export_run
from dakota_grammar_env.runs.records import RunError, RunLayout
from tests.support.fake_prime_rl import indexed_records
from tests.support.paths import NEWEST
from tests.support.run_csv import read_rows

needs_newest = pytest.mark.skipif(not NEWEST.is_dir(), reason="../shared/prime-rl/newest is not beside this checkout")


def copy_run(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(NEWEST / name, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    return target


def recompute(run: Path) -> dict[tuple[str, int], dict[str, float]]:
    """Per (kind, arrival step), from the records the index points at (json and
    zstandard only): rollouts, errored, and each numeric ledger field's mean."""
    traces = run / "monitors" / "file" / "traces"
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for record in indexed_records(traces / "stream", traces / "stream.index.jsonl"):
        info = record["traces"][0]["info"]
        groups[(info["kind"], info["arrival"]["step"])].append(record)
    result = {}
    for key, records in groups.items():
        values: dict[str, list[float]] = defaultdict(list)
        for record in records:
            for name, value in (record["traces"][0]["info"].get("ledger") or {}).items():
                if isinstance(value, (int, float)):
                    values[name].append(float(value))
        means = {name: math.fsum(v) / len(v) for name, v in values.items()}
        means.update(rollouts=len(records), errored_rollouts=sum(not r["ok"] for r in records))
        result[key] = means
    return result


@needs_newest
@pytest.mark.parametrize(
    ("name", "episodes", "torn"), [("run-stream", 40, 0), ("run-stream-live", 26, 0), ("run-stream-resumed", 46, 1)]
)
def test_each_newest_fixture_exports_what_its_records_say(tmp_path, name, episodes, torn):
    run = copy_run(name, tmp_path)
    summary = export_run(RunLayout.detect(run))
    assert RunLayout.detect(run).kind == "prime-rl-stream"
    assert summary.rollouts == episodes
    assert sum("torn record skipped" in problem for problem in summary.problems) == torn
    steps = read_rows(run / "wandb_analysis" / "reward_ledger.csv")
    expected = recompute(run)
    assert {(r["split"], int(r["step"])) for r in steps} == set(expected)
    for row in steps:
        for column, value in expected[(row["split"], int(row["step"]))].items():
            if column in row:
                assert float(row[column]) == pytest.approx(value, rel=1e-12, abs=1e-12), (row["step"], column)
    rollouts = read_rows(run / "wandb_analysis" / "reward_ledger_rollouts.csv")
    ids = [r["episode_id"] for r in rollouts]
    assert len(ids) == len(set(ids)) == episodes


@needs_newest
def test_effective_ship_step_and_advantage_come_from_the_orchestrators_annotations(tmp_path):
    run = copy_run("run-stream-resumed", tmp_path)
    export_run(RunLayout.detect(run))
    rollouts = read_rows(run / "wandb_analysis" / "reward_ledger_rollouts.csv")
    traces = run / "monitors" / "file" / "traces"
    shipped = {}
    for line in (traces / "annotations" / "orch.index.jsonl").read_text().splitlines():
        row = json.loads(line)
        shipped[row["trace_id"]] = row["info"]
    by_id = {r["id"]: r["traces"][0]["id"] for r in indexed_records(traces / "stream", traces / "stream.index.jsonl")}
    for row in rollouts:
        info = shipped.get(by_id[row["episode_id"]])
        assert row["effective"] == ("1" if info else "0")
        assert row["ship_step"] == (str(info["ship"]["step"]) if info else "")
        if info and "advantage" in info:
            assert float(row["advantage"]) == info["advantage"]
    # the crashed attempt's step-3 arrivals stay, unshipped; the relaunch's are shipped
    step3 = [r for r in rollouts if r["split"] == "train" and r["step"] == "3"]
    assert sorted(r["effective"] for r in step3) == ["0"] * 6 + ["1"] * 8
    # the CSV's step is the arrival window; some of step 2's arrivals were dispatched at step 1
    assert {r["dispatch_step"] for r in rollouts if r["split"] == "train" and r["step"] == "2"} == {"1", "2"}


@needs_newest
def test_the_prime_rl_metrics_of_a_step_match_the_csv(tmp_path):
    """prime-rl's own train/agg/{all,effective}/reward/mean, from metrics.jsonl."""
    run = copy_run("run-stream", tmp_path)
    export_run(RunLayout.detect(run))
    rollouts = read_rows(run / "wandb_analysis" / "reward_ledger_rollouts.csv")
    for line in (run / "monitors" / "file" / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("producer") != "orch" or "train/agg/all/reward/mean" not in row:
            continue
        mine = [r for r in rollouts if r["split"] == "train" and r["step"] == str(row["step"])]
        rewards = [float(r["reward_scalar"] or 0) for r in mine]
        assert sum(rewards) / len(rewards) == pytest.approx(row["train/agg/all/reward/mean"], abs=1e-6)
        effective = [float(r["reward_scalar"]) for r in mine if r["effective"] == "1"]
        assert sum(effective) / len(effective) == pytest.approx(row["train/agg/effective/reward/mean"], abs=1e-6)


@needs_newest
def test_a_chunk_being_sealed_is_read_from_its_plain_file(tmp_path):
    """Mid-seal: the plain chunk, a partial .zst.tmp and no .zst; the plain one is read."""
    run = copy_run("run-stream", tmp_path)
    stream = run / "monitors" / "file" / "traces" / "stream"
    before = export_run(RunLayout.detect(run), tmp_path / "a" / "r.csv")
    sealed = stream / "00003.jsonl.zst"
    with sealed.open("rb") as handle:
        import zstandard

        plain = zstandard.ZstdDecompressor().stream_reader(handle, read_across_frames=True).read()
    (stream / "00003.jsonl").write_bytes(plain)
    (stream / "00003.jsonl.zst.tmp").write_bytes(sealed.read_bytes()[:100])
    sealed.unlink()
    after = export_run(RunLayout.detect(run), tmp_path / "b" / "r.csv")
    assert (after.rollouts, after.problems) == (before.rollouts, [])
    assert (tmp_path / "a" / "r_rollouts.csv").read_bytes() == (tmp_path / "b" / "r_rollouts.csv").read_bytes()


@needs_newest
def test_a_chunk_that_is_neither_jsonl_nor_zstd_is_an_error_naming_it(tmp_path):
    run = copy_run("run-stream", tmp_path)
    bad = run / "monitors" / "file" / "traces" / "stream" / "00002.jsonl.zst"
    bad.write_bytes(b"this is not zstd at all" * 10)
    with pytest.raises(RunError, match=r"00002\.jsonl\.zst: neither a plain JSONL chunk nor readable zstd"):
        export_run(RunLayout.detect(run))


@needs_newest
def test_a_missing_chunk_and_both_layouts_in_one_directory_are_clear_errors(tmp_path):
    run = copy_run("run-stream", tmp_path)
    (run / "monitors" / "file" / "traces" / "stream" / "00004.jsonl.zst").unlink()
    with pytest.raises(RunError, match="chunk 00004 is in the index but not on disk"):
        export_run(RunLayout.detect(run))
    (run / "rollouts").mkdir()
    with pytest.raises(RunError, match="holds both prime-rl layouts"):
        RunLayout.detect(run)


@needs_newest
def test_pointing_at_the_file_monitor_directory_reads_the_run(tmp_path):
    run = copy_run("run-stream", tmp_path)
    assert RunLayout.detect(run / "monitors" / "file").root == run
