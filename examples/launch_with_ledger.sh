#!/usr/bin/env bash
# Usage, from a prime-rl checkout (HEAD) where dakota-grammar-env is installed:
#   OUTPUT_DIR=outputs RUN_NAME=dakota-qwen3-0.6b examples/launch_with_ledger.sh [extra rl flags...]
#
# Runs `uv run rl @ examples/prime-rl/rl.toml --output-dir "$OUTPUT_DIR" --run.name "$RUN_NAME"`
# with `dakota-grammar ledger follow "$OUTPUT_DIR/$RUN_NAME" --wandb` beside it, which writes the
# reward ledger CSVs step by step and logs ledger/* into the training run's W&B run. When rl ends, the
# follower is stopped and run once more with `--idle-exit 60` to write the last steps, then the script
# prints where the CSVs are and exits with rl's status.
#
# Environment (all optional):
#   OUTPUT_DIR        default outputs
#   RUN_NAME          default dakota-qwen3-0.6b-<date>-<time> (a fresh run directory each time)
#   RL_CONFIG         default examples/prime-rl/rl.toml
#   PRL_RUN_ID        the W&B run id; default a new uuid4 hex. Exported before rl starts: rl keeps an id it
#                     finds in the environment, so trainer, orchestrator and follower all log to one W&B run.
#   DAKOTA_GRAMMAR    how to call the CLI; default `dakota-grammar`, e.g. "uv run dakota-grammar" when the
#                     package is installed only in prime-rl's uv environment
#   LEDGER_IDLE_EXIT  seconds the final follower pass waits for anything new; default 60
#   WANDB_MODE=offline logs W&B locally (rl and follower alike)
#
# The follower writes to <run dir>/wandb_analysis/follow/, not to wandb_analysis/ itself, because
# rl.toml's `ledger_hook = true` makes the orchestrator write wandb_analysis/reward_ledger.csv, and two
# writers must not share one CSV and its state file. With the hook active both also log the same
# ledger/* means to W&B; the follower is the fallback that works when the hook turns itself off.
set -euo pipefail

OUTPUT_DIR=${OUTPUT_DIR:-outputs}
RUN_NAME=${RUN_NAME:-dakota-qwen3-0.6b-$(date +%Y%m%d-%H%M%S)}
RL_CONFIG=${RL_CONFIG:-examples/prime-rl/rl.toml}
LEDGER_IDLE_EXIT=${LEDGER_IDLE_EXIT:-60}
read -r -a DAKOTA_GRAMMAR <<<"${DAKOTA_GRAMMAR:-dakota-grammar}"
RUN_DIR="$OUTPUT_DIR/$RUN_NAME"
LEDGER_CSV="$RUN_DIR/wandb_analysis/follow/reward_ledger.csv"

PRL_RUN_ID=${PRL_RUN_ID:-$(python3 -c 'import uuid; print(uuid.uuid4().hex)')}
export PRL_RUN_ID

follow_pid=""

stop_follower() {
  # SIGTERM is the follower's clean stop (it finishes its W&B run; SIGINT would be ignored when this
  # script runs in the background); its state on disk is safe either way. It goes to the follower
  # alone, not its process group: W&B's service process, the follower's child, must stay up meanwhile.
  [[ -n "$follow_pid" ]] || return 0
  if kill -0 "$follow_pid" 2>/dev/null; then
    kill -TERM "$follow_pid" 2>/dev/null || true
    for _ in $(seq 60); do
      kill -0 "$follow_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$follow_pid" 2>/dev/null || true
  fi
  wait "$follow_pid" 2>/dev/null || true
  follow_pid=""
}
trap stop_follower EXIT

if [[ -e "$RUN_DIR" ]]; then
  echo "note: $RUN_DIR exists; rl cleans its stale rollouts and the follower rewrites any step that changed" >&2
fi
echo "run dir: $RUN_DIR   W&B run id: $PRL_RUN_ID" >&2

# The follower, in the background. `set -m` gives it its own process group, so Ctrl-C meant for rl does
# not reach it; it is stopped with SIGTERM (see stop_follower). It starts once rl has created the
# rollouts directory (the first step on disk).
set -m
(
  until [[ -d "$RUN_DIR/rollouts" ]]; do sleep 2; done
  exec "${DAKOTA_GRAMMAR[@]}" ledger follow "$RUN_DIR" -o "$LEDGER_CSV" --wandb
) &
follow_pid=$!
set +m

# rl in the foreground, so Ctrl-C reaches it as usual; the script waits for it.
rl_status=0
uv run rl @ "$RL_CONFIG" --output-dir "$OUTPUT_DIR" --run.name "$RUN_NAME" "$@" || rl_status=$?
echo "rl exited with status $rl_status" >&2

# Stop the live follower and let one last pass write what is left, including steps prime-rl never
# closed; it exits after LEDGER_IDLE_EXIT seconds with nothing new.
stop_follower
if [[ -d "$RUN_DIR/rollouts" ]]; then
  "${DAKOTA_GRAMMAR[@]}" ledger follow "$RUN_DIR" -o "$LEDGER_CSV" --wandb --idle-exit "$LEDGER_IDLE_EXIT" ||
    echo "the final ledger pass failed; rerun it: ${DAKOTA_GRAMMAR[*]} ledger follow $RUN_DIR -o $LEDGER_CSV" >&2
  for csv in "$LEDGER_CSV" "$RUN_DIR/wandb_analysis/reward_ledger.csv"; do
    if [[ -f "$csv" ]]; then
      echo "reward ledger CSVs ($([[ "$csv" == "$LEDGER_CSV" ]] && echo follower || echo ledger_hook)):"
      echo "  $csv"
      echo "  ${csv%.csv}_rollouts.csv"
    fi
  done
  echo "charts: ${DAKOTA_GRAMMAR[*]} ledger report $RUN_DIR"
else
  echo "no rollouts in $RUN_DIR: nothing for the ledger" >&2
fi
exit "$rl_status"
