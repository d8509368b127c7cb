"""The end of a training run: the ledger's charts, the markdown snippet of its first and
last steps, and ``summary.md`` with the held-out evaluation before and after training
side by side per task family."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from dakota_grammar_env.runs.plots import PlotError, markdown_snippet, write_report
from dakota_grammar_env.runs.sink import STEPS_CSV, companion_paths
from dakota_grammar_env.training.config import TrainConfig

Report = Callable[[str], None]
SNIPPET = "ledger_snippet.md"
Family = dict[str, float]


def family_means(rollouts_csv: Path) -> dict[str, Family]:
    """Per task type, and for ``all``: tasks, mean reward, exact-match rate, parse rate."""
    with Path(rollouts_csv).open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("reward_scalar") not in (None, "")]
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[row["task_type"]].append(row)
        groups["all"].append(row)
    mean = lambda members, name: math.fsum(float(r[name] or 0) for r in members) / len(members)  # noqa: E731
    return {
        name: {
            "rollouts": float(len(members)),
            "reward": mean(members, "reward_scalar"),
            "exact": mean(members, "exact_match_raw"),
            "parse": mean(members, "parse_ok"),
        }
        for name, members in groups.items()
    }


def common_answers(rollouts_csv: Path, top: int = 4) -> str:
    """The most frequent answer spans, e.g. ``'first person singular' 20/32``: a policy
    that collapsed onto one answer shows here, whatever its exact-match rate."""
    with Path(rollouts_csv).open(encoding="utf-8", newline="") as handle:
        spans = [row.get("span") or "(no answer)" for row in csv.DictReader(handle)]
    counts: dict[str, int] = defaultdict(int)
    for span in spans:
        counts[span] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return "; ".join(f"`{span[:60]}` {count}/{len(spans)}" for span, count in ranked)


def before_after_table(before: dict[str, Family], after: dict[str, Family]) -> str:
    """The markdown table: one row per family (``all`` last), before -> after."""
    lines = [
        "| task type | rollouts | reward before | reward after | exact before | exact after "
        "| parse before | parse after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = sorted(set(before) | set(after), key=lambda n: (n == "all", n))
    cell = lambda table, name, key: f"{table[name][key]:.3f}" if name in table else "–"  # noqa: E731
    for name in names:
        count = int((after.get(name) or before.get(name) or {}).get("rollouts", 0))
        row = [name, str(count)]
        for key in ("reward", "exact", "parse"):
            row += [cell(before, name, key), cell(after, name, key)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def write_train_summary(
    run_dir: Path,
    config: TrainConfig,
    model_name: str,
    before_csv: Path | None,
    after_csv: Path | None,
    seconds: float,
    report: Report,
) -> list[Path]:
    """Charts, snippet and summary.md; returns the files written (summary first)."""
    steps_csv = run_dir / "wandb_analysis" / STEPS_CSV
    rollouts_csv = companion_paths(steps_csv)[0]
    files: list[Path] = []
    snippet = ""
    try:
        files += write_report(steps_csv, run_dir / "wandb_analysis" / "report", rollouts_csv)
        snippet = markdown_snippet(steps_csv)
        (run_dir / SNIPPET).write_text(snippet, encoding="utf-8")
        files.append(run_dir / SNIPPET)
    except PlotError as error:
        report(f"no charts: {error}")
    selection = config.selection()
    lines = [
        "# Dakota grammar training run (GRPO, TRL)",
        "",
        f"- model: {model_name}",
        f"- tasks: {', '.join(selection.task_types) or 'all types'}; "
        f"{', '.join(selection.difficulties) or 'all difficulties'}; split {selection.split}",
        f"- GRPO: {config.steps} steps x {config.prompts_per_step} prompts x {config.group_size} completions, "
        f"max {config.max_completion_tokens} tokens, temperature {config.temperature:g}, "
        f"lr {config.learning_rate:g}, beta {config.beta:g}, device {config.device}",
        f"- wall time: {seconds / 60:.1f} min",
        "",
    ]
    if before_csv is not None and after_csv is not None:
        lines += [
            "## Before and after training",
            "",
            "Held-out test tasks of the same selection (their lemmas occur in no train task), greedy decoding, "
            "scored by the same rubric through vf-eval:",
            "",
            before_after_table(family_means(before_csv), family_means(after_csv)),
            f"Most frequent answers before: {common_answers(before_csv)}",
            "",
            f"Most frequent answers after: {common_answers(after_csv)}",
            "",
        ]
    if snippet:
        lines += [
            "## The reward ledger during training",
            "",
            "`reward_scalar` = `exact_match_raw` + `partial_credit` on every row:",
            "",
            snippet,
            "![reconciliation](wandb_analysis/report/reconciliation.png)",
            "",
        ]
    lines += ["## Files", ""]
    listed = [steps_csv, rollouts_csv, *files]
    lines += [f"- `{path.relative_to(run_dir) if path.is_relative_to(run_dir) else path}`" for path in listed]
    summary = run_dir / "summary.md"
    summary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [summary, steps_csv, rollouts_csv, *files]
