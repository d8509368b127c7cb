"""A command whose optional extra is not installed says which extra to install, in one
line, exits 2, and writes nothing. The extras are really absent (`without_extras`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.synthetic_run import write_run
from tests.support.without_extras import python_without

pytest.importorskip("verifiers.v1")


@pytest.fixture(scope="module")
def pythons(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("without")
    return {
        "wandb": python_without(root / "no-wandb", "wandb"),
        "plots": python_without(root / "no-plots", "plots"),
        "embedded": python_without(root / "no-embedded", "embedded", "train"),
        "train": python_without(root / "no-train", "train"),
    }


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("run") / "run"
    write_run(run, 3, rollouts_per_step=4, eval_every=0)
    return run


def command(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": str(cwd)}
    environment.pop("WANDB_PROJECT", None)
    return subprocess.run(
        [str(python), "-m", "dakota_grammar_env.cli", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_names_the_extra(result: subprocess.CompletedProcess[str], extra: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dakota-grammar ") and ": error: " in lines[0]
    assert f"needs the '{extra}' extra" in lines[0] and f"pip install 'dakota-grammar-env[{extra}]'" in lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("ledger", "export", "{run}", "--wandb"),
        ("ledger", "follow", "{run}", "--wandb", "--idle-exit", "0"),
        ("ledger", "export", "entity/project/abc123"),
    ],
    ids=["export --wandb", "follow --wandb", "export a W&B run"],
)
def test_wandb_commands_without_wandb(pythons, run_dir, tmp_path, args):
    result = command(pythons["wandb"], *(a.format(run=run_dir) for a in args), cwd=tmp_path)
    assert_names_the_extra(result, "wandb")
    assert not (run_dir / "wandb_analysis").exists() and not list(tmp_path.iterdir())


def test_plot_and_report_without_matplotlib(pythons, run_dir, tmp_path):
    steps_csv = tmp_path / "ledger.csv"
    steps_csv.write_text("split,step\ntrain,1\n", encoding="utf-8")
    assert_names_the_extra(command(pythons["plots"], "ledger", "plot", str(steps_csv), cwd=tmp_path), "plots")
    assert_names_the_extra(command(pythons["plots"], "ledger", "report", str(run_dir), cwd=tmp_path), "plots")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ledger.csv"]
    assert not (run_dir / "wandb_analysis").exists()


@pytest.mark.parametrize(
    "extra,args",
    [
        ("plots", ("--base-url", "http://127.0.0.1:9/v1", "--model", "m")),
        ("embedded", ()),
    ],
    ids=["eval without matplotlib", "eval's embedded model without torch"],
)
def test_eval_without_its_extras(pythons, tmp_path, extra, args):
    result = command(pythons[extra], "eval", "-n", "1", "-o", "out", *args, cwd=tmp_path)
    assert_names_the_extra(result, extra)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra", ["train", "embedded", "wandb"])
def test_train_without_its_extras(pythons, tmp_path, extra):
    flags = ("--wandb",) if extra == "wandb" else ()
    result = command(pythons[extra], "train", "--no-eval", "--steps", "1", "-o", "run", *flags, cwd=tmp_path)
    assert_names_the_extra(result, "train" if extra == "embedded" else extra)
    assert not (tmp_path / "run").exists()
