"""`dakota-grammar data ...`: build the shipped dataset; audit and clean users' files."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


class DataCommandError(Exception):
    """Printed without a traceback by the CLI."""


def cmd_build(args: argparse.Namespace) -> int:
    from dakota_grammar_env.grammar.dataset import DATASET_FILE, build_dataset
    from dakota_grammar_env.tasks.loading import DataError

    start = time.perf_counter()
    try:
        out = Path(args.output) if args.output else None
        path, tasks = build_dataset(out, seed=args.seed, lexicon_path=args.lexicon)
    except (DataError, ValueError) as error:
        raise DataCommandError(str(error)) from None
    splits = {split: sum(t.split == split for t in tasks) for split in ("train", "test")}
    sentences = {t.lemma for t in tasks if t.task_type.startswith("sentence_")}
    words = {t.lemma for t in tasks} - sentences
    print(
        f"{len(tasks)} tasks ({splits['train']} train, {splits['test']} test) from {len(words)} lemmas and "
        f"{len(sentences)} sentences in {time.perf_counter() - start:.2f} s"
    )
    print(f"wrote {path}" + ("" if out else f" (the shipped {DATASET_FILE})"))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from dakota_grammar_env.tasks.audit import PROJECT, audit, format_audit
    from dakota_grammar_env.tasks.loading import DataError, read_tasks, shipped_data_path

    path = Path(args.path) if args.path else shipped_data_path()
    try:
        report = audit(path)
        tasks = read_tasks(path).tasks if report.schema == PROJECT and not report.malformed.rows else []
    except DataError as error:
        raise DataCommandError(str(error)) from None
    found = thumbs = None
    if tasks and all(task.source for task in tasks):
        from dakota_grammar_env.probe.rules_of_thumb import rules_of_thumb
        from dakota_grammar_env.tasks.provenance import provenance

        print(f"playing the probe's prompt-only policies on {len(tasks):,} tasks ...", file=sys.stderr)
        found, thumbs = provenance(tasks), rules_of_thumb(tasks)
    if args.json:
        payload = report.as_json()
        if found is not None and thumbs is not None:
            payload["provenance"] = {
                family: {"tasks": cell.tasks, "uncertain": cell.uncertain, "test": cell.test,
                         "kinds": {f"{kind}/{check}": count for (kind, check), count in sorted(cell.kinds.items())}}
                for family, cell in found.items()
            }  # fmt: skip
            payload["rules_of_thumb"] = {
                family: {"policy": t.policy, "right": t.right, "tasks": t.tasks} for family, t in thumbs.items()
            }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(format_audit(report))
    if found is not None and thumbs is not None:
        from dakota_grammar_env.probe.rules_of_thumb import format_best_rules
        from dakota_grammar_env.tasks.provenance import format_provenance

        print("\n" + format_provenance(found) + "\n\n" + format_best_rules(thumbs))
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from dakota_grammar_env.tasks.clean import clean, format_clean
    from dakota_grammar_env.tasks.loading import DataError

    try:
        report = clean(Path(args.path), Path(args.output))
    except (DataError, ValueError) as error:
        raise DataCommandError(str(error)) from None
    print(format_clean(report))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def add_data_commands(commands: Any) -> None:
    data = commands.add_parser(
        "data",
        help="build the shipped dataset; audit and clean task files",
        description="Build the Riggs-cited dataset from data/lexicon.tsv and data/paradigms.toml, or check and "
        "repair a task file in the project's or the Dakota1890 schema.",
    )
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    build = sub.add_parser("build", help="generate the dataset from the lexicon and the paradigm rules")
    build.add_argument("-o", "--output", help="where to write the JSONL (default: the package's shipped file)")
    build.add_argument("--seed", type=int, default=0, help="the order of the tasks (default 0)")
    build.add_argument("--lexicon", help="another lexicon TSV (default: the shipped data/lexicon.tsv)")
    build.set_defaults(func=cmd_build)

    audit = sub.add_parser(
        "audit",
        help="report a task file's defects (duplicates, conflicts, placeholder golds, leaks, non-NFC text, ...) "
        "and, for a project file, its provenance and rule-of-thumb rates",
    )
    audit.add_argument(
        "path", nargs="?", help="JSONL task file (project or Dakota1890 schema; default: the shipped dataset)"
    )
    audit.add_argument("--json", action="store_true", help="machine-readable output")
    audit.set_defaults(func=cmd_audit)

    clean = sub.add_parser("clean", help="write a repaired copy of a task file and say what each step changed")
    clean.add_argument("path", help="JSONL task file (project or Dakota1890 schema)")
    clean.add_argument("-o", "--output", required=True, help="where to write the repaired copy")
    clean.set_defaults(func=cmd_clean)
