"""examples/launch_with_ledger.sh: checked as a strict bash script, then run for real beside a
fake `uv run rl` that writes a synthetic run, with the live follower and the final pass."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import LAUNCH, REPO, SUPPORT


def test_launch_script_is_an_executable_strict_bash_script():
    text = LAUNCH.read_text(encoding="utf-8")
    assert os.access(LAUNCH, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash\n# Usage")
    assert "\nset -euo pipefail\n" in text and "\ntrap stop_follower EXIT\n" in text
    assert text.index("\nexport PRL_RUN_ID\n") < text.index("\nuv run rl @")
    assert 'ledger follow "$RUN_DIR"' in text and "--wandb" in text and "LEDGER_IDLE_EXIT:-60" in text
    assert "RL_CONFIG:-examples/prime-rl/rl.toml" in text and (REPO / "examples/prime-rl/rl.toml").is_file()
    subprocess.run(["bash", "-n", str(LAUNCH)], check=True)


FAKE_UV = r"""#!/usr/bin/env bash
# A stand-in for `uv run rl @ CONFIG --output-dir D --run.name N ...`: records its arguments and
# PRL_RUN_ID, then writes a synthetic prime-rl run, one step every STEP_SECONDS. After the first step
# it waits for the live follower's output folder, the sign that the follower is up and past its
# SIGTERM set-up, so that stopping it is tested however slow the machine is (after 5 minutes without
# it, rl fails).
[[ "$1" == run && "$2" == rl ]] || { echo "fake uv: unexpected $*" >&2; exit 97; }
shift 2
printf '%s\n' "$PRL_RUN_ID" "$@" > "$FAKE_RL_ARGS"
while [[ $# -gt 0 ]]; do
  case "$1" in --output-dir) out=$2; shift 2 ;; --run.name) name=$2; shift 2 ;; *) shift ;; esac
done
[[ "${FAKE_RL_FAIL:-0}" == 0 ]] || exit "$FAKE_RL_FAIL"
exec "$PYTHON" -c '
import sys, time
sys.path.insert(0, sys.argv[2])
from synthetic_run import RunWriter
from pathlib import Path
writer = RunWriter(sys.argv[1], rollouts_per_step=8, eval_every=3, eval_rollouts=4)
follower_up = Path(sys.argv[1]) / "wandb_analysis" / "follow"
for step in range(1, 8):
    time.sleep(float(sys.argv[3]))
    writer.write_step(step, 7)
    deadline = time.monotonic() + 300
    while step == 1 and not follower_up.is_dir():
        if time.monotonic() > deadline:
            sys.exit("fake rl: the live follower did not start within 300 s")
        time.sleep(0.1)
' "$out/$name" "$TESTS" "$STEP_SECONDS"
"""


def run_launch_script(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "uv").write_text(FAKE_UV, encoding="utf-8")
    (fake_bin / "uv").chmod(0o755)
    (tmp_path / "wandb-home").mkdir()
    environment = {
        **os.environ,
        "PATH": os.pathsep.join([str(fake_bin), str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHON": sys.executable,
        "TESTS": str(SUPPORT),
        "FAKE_RL_ARGS": str(tmp_path / "rl-args.txt"),
        "STEP_SECONDS": "0.7",
        "OUTPUT_DIR": str(tmp_path / "outputs"),
        "RUN_NAME": "dakota-smoke",
        "LEDGER_IDLE_EXIT": "1",
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path / "wandb-home"),
        "WANDB_SILENT": "true",
        **env,
    }
    environment.pop("PRL_RUN_ID", None)
    return subprocess.run(
        [str(LAUNCH), "--max-steps", "7"], cwd=REPO, env=environment, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_launch_script_follows_a_run_and_leaves_the_same_csvs_as_export(tmp_path):
    pytest.importorskip("wandb")
    result = run_launch_script(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    run_id, *rl_args = (tmp_path / "rl-args.txt").read_text(encoding="utf-8").splitlines()
    run_dir = tmp_path / "outputs" / "dakota-smoke"
    assert rl_args == [
        "@",
        "examples/prime-rl/rl.toml",
        "--output-dir",
        str(tmp_path / "outputs"),
        "--run.name",
        "dakota-smoke",
        "--max-steps",
        "7",
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", run_id)
    assert result.stderr.count(f"W&B: joining run {run_id} ") == 2  # the live follower, then the final pass
    assert "stopped; run the same command again" in result.stderr  # the live one stopped cleanly (SIGTERM)
    follow_csv = run_dir / "wandb_analysis" / "follow" / "reward_ledger.csv"
    assert f"  {follow_csv}\n" in result.stdout

    exported = tmp_path / "export" / "reward_ledger.csv"
    subprocess.run(
        [sys.executable, "-m", "dakota_grammar_env.cli", "ledger", "export", str(run_dir), "-o", str(exported), "-q"],
        check=True,
    )
    assert follow_csv.read_bytes() == exported.read_bytes()
    assert (
        follow_csv.with_name("reward_ledger_rollouts.csv").read_bytes()
        == exported.with_name("reward_ledger_rollouts.csv").read_bytes()
    )


@pytest.mark.slow
def test_launch_script_passes_on_rl_failure_and_leaves_no_follower(tmp_path):
    if not Path("/proc/self/cmdline").is_file():
        pytest.skip("needs /proc to list processes")
    result = run_launch_script(tmp_path, FAKE_RL_FAIL="3")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "rl exited with status 3" in result.stderr and "no rollouts" in result.stderr
    assert not [cmd for cmd in command_lines() if "ledger" in cmd and str(tmp_path) in cmd]


def command_lines() -> list[str]:
    """The command line of every process we can see (Linux /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to read
            found.append(entry.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return found
