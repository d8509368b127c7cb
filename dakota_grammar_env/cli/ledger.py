"""`dakota-grammar ledger ...`: export, follow, plot, snippet and report."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from dakota_grammar_env.extras import require_extra


class LedgerCommandError(Exception):
    """Printed without a traceback by the CLI."""


STOPPED = "stopped; run the same command again to continue where it left off"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _add_wandb_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Weights & Biases")
    group.add_argument("--wandb", action="store_true", help="also log each step's ledger/* means to W&B")
    group.add_argument(
        "--wandb-run-id", help="join this training run (default: $PRL_RUN_ID); else log to <name>-ledger"
    )
    group.add_argument("--wandb-project", help="default: the run's monitors.wandb.project, else prime-rl")
    group.add_argument("--wandb-name", help="default: the run's monitors.wandb.name, else the run directory's name")
    group.add_argument("--wandb-group", help="default: the run's monitors.wandb.group")
    group.add_argument("--wandb-entity", help="default: the run's monitors.wandb.entity")


def _layout(args: argparse.Namespace) -> Any:
    from dakota_grammar_env.runs.records import RunError, RunLayout

    try:
        return RunLayout.detect(args.run_dir, subset=args.subset)
    except RunError as error:
        raise LedgerCommandError(str(error)) from None


def _wandb_logger(args: argparse.Namespace, layout: Any) -> Any:
    if not args.wandb:
        return None
    require_extra("wandb", "--wandb")
    from dakota_grammar_env.runs.wandb_log import LedgerWandb, WandbTarget

    target = WandbTarget.for_run(
        layout.root,
        project=args.wandb_project,
        name=args.wandb_name,
        group=args.wandb_group,
        entity=args.wandb_entity,
        run_id=args.wandb_run_id,
    )
    _say(
        f"W&B: {'joining run ' + target.run_id if target.run_id else 'run ' + target.name + '-ledger'} "
        f"in project {target.project}"
    )
    return LedgerWandb(target)


def cmd_export(args: argparse.Namespace) -> int:
    if not Path(args.run_dir).exists() and is_wandb_run_path(args.run_dir):
        return cmd_export_history(args)
    from dakota_grammar_env.runs.export import default_steps_csv, export_run
    from dakota_grammar_env.runs.records import RunError
    from dakota_grammar_env.runs.sink import LedgerSink

    layout = _layout(args)
    logger = _wandb_logger(args, layout)
    try:
        summary = export_run(
            layout,
            Path(args.output) if args.output else None,
            sink_setup=(lambda sink: sink.listeners.append(logger)) if logger else None,
            report=_say if not args.quiet else None,
        )
    except RunError as error:
        raise LedgerCommandError(str(error)) from None
    finally:
        if logger is not None:
            logger.finish()
    sink = LedgerSink(Path(args.output) if args.output else default_steps_csv(layout))
    for path in summary.partial_lines:
        _say(f"note: the last line of {path} was still being written (or cut by a crash) and is not in the CSVs")
    for problem in summary.problems:
        _say(f"note: {problem}")
    print(f"{summary.steps} steps, {summary.rollouts} rollouts ({summary.errored} errored) from {layout.root}")
    print(f"wrote {sink.steps_path}")
    print(f"wrote {sink.rollouts_path}")
    return 0


def cmd_follow(args: argparse.Namespace) -> int:
    import signal
    import threading

    from dakota_grammar_env.runs.export import Follower
    from dakota_grammar_env.runs.records import RunError

    # SIGTERM stops it after the poll in progress: a follower started in the background
    # (`follow &`, nohup, a launch script) has SIGINT ignored, but never SIGTERM.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    layout = _layout(args)
    logger = _wandb_logger(args, layout)
    try:
        follower = Follower.open(layout, Path(args.output) if args.output else None, report=_say)
        if logger is not None:
            follower.sink.listeners.append(logger)
        done = len(follower.sink.committed)
        where = f"{done} steps already in {follower.sink.steps_path}"
        _say(f"following {layout.root} ({where}); Ctrl-C (or SIGTERM) to stop")
        follower.run(interval=args.interval, idle_exit=args.idle_exit, until_step=args.until_step, stop=stop)
        if stop.is_set():
            _say(STOPPED)
    except KeyboardInterrupt:
        _say(STOPPED)
    except RunError as error:
        raise LedgerCommandError(str(error)) from None
    finally:
        if logger is not None:
            logger.finish()
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    require_extra("plots", "ledger plot")
    from dakota_grammar_env.runs.plots import PlotError, plot_reconciliation

    out = Path(args.output) if args.output else Path(args.csv).with_name("reconciliation.png")
    try:
        print(f"wrote {plot_reconciliation(Path(args.csv), out)}")
    except PlotError as error:
        raise LedgerCommandError(str(error)) from None
    return 0


def cmd_snippet(args: argparse.Namespace) -> int:
    from dakota_grammar_env.runs.plots import PlotError, markdown_snippet

    try:
        print(markdown_snippet(Path(args.csv), first=args.first, last=args.last), end="")
    except PlotError as error:
        raise LedgerCommandError(str(error)) from None
    return 0


def is_wandb_run_path(text: str) -> bool:
    """ENTITY/PROJECT/RUN_ID, and not a path that exists here."""
    parts = text.split("/")
    return len(parts) == 3 and all(parts) and not Path(text).exists()


def _history_csv(run_path: str, out_csv: Path, env: str | None = None) -> Path:
    """The per-step CSV rebuilt from a W&B run's history (needs wandb and the network)."""
    from dakota_grammar_env.runs.wandb_history import HistoryError, fetch_history, history_to_csv

    try:
        history = list(fetch_history(run_path))
    except Exception as error:  # wandb raises its own types for auth, network and missing runs
        raise LedgerCommandError(f"cannot read W&B run {run_path!r}: {error}") from None
    try:
        return history_to_csv(history, out_csv, run_id=run_path.rsplit("/", 1)[-1], env=env)
    except HistoryError as error:
        raise LedgerCommandError(f"W&B run {run_path}: {error}") from None


def cmd_export_history(args: argparse.Namespace) -> int:
    """`ledger export ENTITY/PROJECT/RUN_ID`: for runs with no rollout records on disk."""
    if args.wandb:
        raise LedgerCommandError("--wandb logs a run directory's ledger to W&B; this run is already there")
    require_extra("wandb", "reading a W&B run")
    out_csv = Path(args.output) if args.output else Path("wandb_analysis") / "reward_ledger.csv"
    _say(f"reading the history of W&B run {args.run_dir} ...")
    path = _history_csv(args.run_dir, out_csv, env=args.env)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    train = sum(row["split"] == "train" for row in rows)
    print(f"{train} train and {len(rows) - train} eval steps from W&B run {args.run_dir} (step means only)")
    print(f"wrote {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    require_extra("plots", "ledger report")
    from dakota_grammar_env.runs.export import default_steps_csv, export_run
    from dakota_grammar_env.runs.plots import PlotError, write_report
    from dakota_grammar_env.runs.records import RunError, RunLayout
    from dakota_grammar_env.runs.sink import LedgerSink

    source = Path(args.run)
    try:
        if source.is_dir():
            layout = RunLayout.detect(source)
            steps_csv = default_steps_csv(layout)
            export_run(layout, steps_csv)
            out_dir = Path(args.output) if args.output else layout.output_dir / "report"
            rollouts_csv: Path | None = LedgerSink(steps_csv).rollouts_path
        elif is_wandb_run_path(args.run):
            require_extra("wandb", "reading a W&B run")
            out_dir = Path(args.output) if args.output else Path("ledger-report-" + args.run.replace("/", "-"))
            steps_csv = _history_csv(args.run, out_dir / "reward_ledger_from_wandb.csv")
            rollouts_csv = None
            _say("from W&B history: per-step means only (no breakdown by task type or difficulty)")
        else:
            raise LedgerCommandError(f"{args.run}: neither a run directory nor a W&B run path ENTITY/PROJECT/RUN_ID")
        for path in write_report(steps_csv, out_dir, rollouts_csv):
            print(f"wrote {path}")
    except (RunError, PlotError) as error:
        raise LedgerCommandError(str(error)) from None
    return 0


def add_ledger_commands(commands: Any) -> None:
    ledger = commands.add_parser(
        "ledger",
        help="the reward ledger of a run: export, follow live, plot, tabulate",
        description="Read the per-rollout reward ledgers a prime-rl run directory or a vf-eval output holds.",
    )
    sub = ledger.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", required=True)

    export = sub.add_parser(
        "export",
        help="write RUN_DIR/wandb_analysis/reward_ledger.csv (per step) and reward_ledger_rollouts.csv",
        description=(
            "Write the ledger CSVs of a prime-rl run directory (today's trace stream, monitors/file/traces/, or "
            "the rollouts/step_N/ files of prime-rl before September 2026) or a vf-eval output directory "
            "(traces.jsonl). A step is the orchestrator step a rollout arrived in (info.arrival.step, or the N of "
            "rollouts/step_N), the x-axis of prime-rl's own curves; dispatch_step, ship_step, effective and "
            "advantage are columns. Torn records are skipped and reported. Rerunning gives byte-identical files. "
            "Given ENTITY/PROJECT/RUN_ID instead, it rebuilds "
            "the per-step CSV from that W&B run's history (online): the only way for seed-era prime-rl, which "
            "writes no rollout records; pass its <name>-orchestrator run."
        ),
    )
    export.add_argument(
        "run_dir", help="prime-rl run directory, vf-eval output directory, or a W&B run ENTITY/PROJECT/RUN_ID"
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="the per-step CSV (default RUN_DIR/wandb_analysis/reward_ledger.csv); the rollouts CSV goes beside it",
    )
    export.add_argument("--subset", choices=["all", "effective"], default="all", help="which rollouts (default: all)")
    export.add_argument("-q", "--quiet", action="store_true", help="no per-step progress")
    export.add_argument(
        "--env", help="W&B run only: the environment whose metrics/<env>/ledger/* to read, where it logged several"
    )
    _add_wandb_options(export)
    export.set_defaults(func=cmd_export)

    follow = sub.add_parser(
        "follow",
        help="live sidecar: write each step's ledger rows as soon as the step is complete",
        description=(
            "Watch a prime-rl run directory (either layout) and append each step to the ledger CSVs once prime-rl "
            "has finished it (its metrics row is logged). Ctrl-C stops it; SIGTERM stops it after the poll in "
            "progress. Safe to kill at any moment: started again, it continues with no lost and no duplicated rows."
        ),
    )
    follow.add_argument("run_dir", help="prime-rl run directory (OUTPUT_DIR/<run.name>)")
    follow.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="the per-step CSV (default RUN_DIR/wandb_analysis/reward_ledger.csv); the rollouts CSV goes beside it",
    )
    follow.add_argument("--subset", choices=["all", "effective"], default="all", help="which rollouts (default: all)")
    follow.add_argument("--interval", type=float, default=5.0, help="seconds between polls (default 5)")
    follow.add_argument(
        "--idle-exit", type=float, default=None, metavar="SECONDS", help="exit after this long with nothing new"
    )
    follow.add_argument("--until-step", type=int, default=None, help="exit once this train step is written")
    _add_wandb_options(follow)
    follow.set_defaults(func=cmd_follow)

    plot = sub.add_parser(
        "plot",
        help="the reconciliation chart: exact matches and partial credit stacked up to reward_scalar per step",
        description="Chart a per-step ledger CSV: the exact-match rate and the mean partial credit stacked up to "
        "reward_scalar, with prime-rl's reward (errors as 0), for train and eval.",
    )
    plot.add_argument("csv", help="a per-step ledger CSV (reward_ledger.csv)")
    plot.add_argument("-o", "--output", metavar="PNG", help="default: reconciliation.png beside the CSV")
    plot.set_defaults(func=cmd_plot)

    snippet = sub.add_parser("snippet", help="a markdown table of the first and last steps of a ledger CSV")
    snippet.add_argument("csv", help="a per-step ledger CSV (reward_ledger.csv)")
    snippet.add_argument("--first", type=int, default=3, help="first steps per split (default 3)")
    snippet.add_argument("--last", type=int, default=3, help="last steps per split (default 3)")
    snippet.set_defaults(func=cmd_snippet)

    report = sub.add_parser(
        "report",
        help="dashboard PNGs of a run (from its files, or from W&B history)",
        description="Export the run's ledger and draw reward, components, reward by task type and by difficulty, "
        "answer length and the share of unparsed rollouts. RUN is a run directory, or ENTITY/PROJECT/RUN_ID of a "
        "W&B run (online; per-step means only).",
    )
    report.add_argument("run", help="run directory, or ENTITY/PROJECT/RUN_ID")
    report.add_argument("-o", "--output", metavar="DIR", help="default: RUN_DIR/wandb_analysis/report")
    report.set_defaults(func=cmd_report)
