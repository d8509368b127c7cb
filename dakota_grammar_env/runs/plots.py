"""Charts and tables from the ledger CSVs (or a W&B run's ``ledger/*`` history).

- `plot_reconciliation`: per step, the reward split into its two parts, the exact-match
  rate and the mean partial credit, stacked up to ``reward_scalar`` (every ledger row
  has ``reward_scalar = exact_match_raw + partial_credit``), with prime-rl's reward
  counting errors as 0: how much of the reward trained on is right answers (the earlier
  attempt's was all partial credit).
- `markdown_snippet`: the first and last steps as a markdown table.
- `write_report`: dashboard PNGs: reward, each component, reward by task type and by
  difficulty, answer length, and the share of unparsed and errored rollouts.

Every number drawn comes from the CSV columns; nothing is smoothed or filled in.
matplotlib is imported only here (Agg backend, no display needed).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dakota_grammar_env.extras import import_from_extra

REWARD_PARTS = (
    ("exact_match_raw", "exact matches (earn 1)", "#2b6cb0"),
    ("partial_credit", "partial credit (cap × composite × penalty)", "#38a169"),
)
COMPONENTS = (
    ("exact_match_norm", "exact"),
    ("novel_norm", "novel"),
    ("char_overlap_norm", "char"),
    ("orthography_norm", "ortho"),
    ("slots_norm", "slots"),
    ("length_penalty_norm", "length"),
)
"""The normalised components charted, each a mean over the rollouts it applies to."""
SPLIT_STYLES = {"train": "-", "eval": "--"}


class PlotError(ValueError):
    """A CSV that cannot be charted; the message names the file."""


def _number(text: str) -> float | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a ledger CSV with numbers parsed (empty cells become None)."""
    path = Path(path)
    if not path.is_file():
        raise PlotError(f"{path}: no such file")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "step" not in reader.fieldnames:
            raise PlotError(f"{path}: not a ledger CSV (no 'step' column)")
        rows = []
        for row in reader:
            rows.append(
                {key: (_number(value) if key not in ("run_id", "split") else value) for key, value in row.items()}
            )
    if not rows:
        raise PlotError(f"{path}: holds no steps")
    return rows


def _series(rows: Sequence[Mapping[str, Any]], split: str, column: str) -> tuple[list[float], list[float]]:
    points = [(row["step"], row.get(column)) for row in rows if row.get("split") == split]
    points = [(step, value) for step, value in points if value is not None and not math.isnan(value)]
    return [p[0] for p in points], [p[1] for p in points]


def _pyplot() -> Any:
    matplotlib = import_from_extra("matplotlib", "plots", "charts")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _splits(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [split for split in ("train", "eval") if any(row.get("split") == split for row in rows)]


def _finish(fig: Any, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def plot_reconciliation(steps_csv: Path, out_png: Path) -> Path:
    """The reconciliation chart (see module docstring); one panel per split."""
    rows = read_csv(steps_csv)
    plt = _pyplot()
    splits = _splits(rows)
    fig, axes = plt.subplots(
        1, len(splits), figsize=(6.5 * len(splits), 5.0), squeeze=False, sharey=True, layout="constrained"
    )
    parts = [(column, label, color) for column, label, color in REWARD_PARTS if column in rows[0]]
    for ax, split in zip(axes[0], splits, strict=True):
        steps, _ = _series(rows, split, "step")
        stacks = [_series(rows, split, column)[1] for column, _, _ in parts]
        usable = [i for i, values in enumerate(stacks) if len(values) == len(steps)]
        if usable:
            ax.stackplot(
                steps,
                *[stacks[i] for i in usable],
                labels=[parts[i][1] for i in usable],
                colors=[parts[i][2] for i in usable],
                alpha=0.55,
            )
        for column, style, label in (
            ("reward_scalar", dict(color="#e53e3e", lw=2.0, marker="o", ms=3), "reward_scalar"),
            ("reward_with_errors", dict(color="#e53e3e", lw=1.2, ls=":"), "reward, errored = 0 (prime-rl)"),
        ):
            xs, ys = _series(rows, split, column)
            if ys:
                ax.plot(xs, ys, label=label, **style)
        ax.set_title(f"{split} rollouts")
        ax.set_xlabel("step (rollouts/step_N)")
        ax.grid(alpha=0.3)
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("mean per step")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False)
    fig.suptitle(f"Reward reconciliation — run {rows[0].get('run_id') or '?'}", fontsize=12)
    return _finish(fig, out_png)


SNIPPET_COLUMNS = (
    ("split", "split"),
    ("step", "step"),
    ("rollouts", "rollouts"),
    ("errored_rollouts", "errored"),
    ("parse_ok", "parsed"),
    ("exact_match_raw", "exact"),
    ("novel_raw", "novel"),
    ("char_overlap_raw", "char"),
    ("orthography_raw", "ortho"),
    ("slots_raw", "slots"),
    ("partial_credit", "partial"),
    ("reward_scalar", "reward_scalar"),
)


def markdown_snippet(steps_csv: Path, first: int = 3, last: int = 3) -> str:
    """The first and last steps of each split as a markdown table."""
    rows = read_csv(steps_csv)
    columns = [(key, label) for key, label in SNIPPET_COLUMNS if key in rows[0]]
    if not any(key == "reward_scalar" for key, _ in columns):
        columns += [(key, key) for key in rows[0] if key not in dict(columns) and key not in ("run_id",)][:8]
    lines = ["| " + " | ".join(label for _, label in columns) + " |", "|" + "---|" * len(columns)]
    for split in _splits(rows):
        mine = [row for row in rows if row["split"] == split]
        chosen = mine if len(mine) <= first + last else [*mine[:first], None, *mine[-last:]]
        for row in chosen:
            if row is None:
                lines.append("| " + " | ".join("…" for _ in columns) + " |")
                continue
            cells = []
            for key, _ in columns:
                value = row.get(key)
                if isinstance(value, float) and key not in ("step", "rollouts", "errored_rollouts"):
                    cells.append(f"{value:.3f}")
                elif isinstance(value, float):
                    cells.append(str(int(value)))
                else:
                    cells.append("" if value is None else str(value))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _grouped_means(rollouts: Iterable[Mapping[str, Any]], by: str) -> dict[tuple[str, str], list[tuple[float, float]]]:
    sums: dict[tuple[str, str, float], list[float]] = defaultdict(list)
    for row in rollouts:
        reward = row.get("reward_scalar")
        if reward is None or row.get(by) in (None, ""):
            continue
        sums[(row["split"], str(row[by]), row["step"])].append(reward)
    series: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for (split, group, step), values in sorted(sums.items(), key=lambda item: (item[0][0], item[0][1], item[0][2])):
        series[(split, group)].append((step, math.fsum(values) / len(values)))
    return series


def _read_rollouts(path: Path) -> list[dict[str, Any]]:
    keep = {"split", "step", "task_type", "difficulty", "reward_scalar", "span_chars"}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [
            {
                key: (value if key in ("split", "task_type", "difficulty") else _number(value))
                for key, value in row.items()
                if key in keep
            }
            for row in csv.DictReader(handle)
        ]


def _line_chart(
    rows: Sequence[Mapping[str, Any]],
    path: Path,
    title: str,
    ylabel: str,
    columns: Sequence[tuple[str, str]],
    ylim: tuple[float, float] | None = None,
) -> Path | None:
    """One line per column (its own colour), solid for train and dashed for eval."""
    present = [(column, label) for column, label in columns if any(row.get(column) is not None for row in rows)]
    if not present:
        return None
    plt = _pyplot()
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for index, (column, label) in enumerate(present):
        for split in _splits(rows):
            xs, ys = _series(rows, split, column)
            if ys:
                ax.plot(
                    xs,
                    ys,
                    SPLIT_STYLES[split],
                    color=colors[index % len(colors)],
                    marker="o",
                    ms=2.5,
                    label=f"{label} ({split})",
                )
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return _finish(fig, path)


def _with_shares(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the share of unparsed replies and of errored rollouts added."""
    shares = []
    for row in rows:
        parsed, total = row.get("parse_ok"), row.get("rollouts")
        shares.append(
            {
                **row,
                "unparsed_share": None if parsed is None else 1.0 - parsed,
                "errored_share": row["errored_rollouts"] / total if total else None,
            }
        )
    return shares


DIFFICULTY_ORDER = ("easy", "medium", "hard", "advanced")


def _group_rank(key: tuple[str, str]) -> tuple[str, int, str]:
    """Difficulties in their natural order, other groups alphabetically."""
    split, group = key
    return split, DIFFICULTY_ORDER.index(group) if group in DIFFICULTY_ORDER else len(DIFFICULTY_ORDER), group


def _breakdown_chart(rollouts: Sequence[Mapping[str, Any]], by: str, splits: Sequence[str], path: Path) -> Path | None:
    series = _grouped_means(rollouts, by)
    if not series:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(
        1, len(splits), figsize=(6.5 * len(splits), 4.2), squeeze=False, sharey=True, layout="constrained"
    )
    for ax, split in zip(axes[0], splits, strict=True):
        for (row_split, group), points in sorted(series.items(), key=lambda item: _group_rank(item[0])):
            if row_split == split:
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", ms=2.5, label=group)
        ax.set_title(f"reward_scalar by {by.replace('_', ' ')} ({split})")
        ax.set_xlabel("step")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    return _finish(fig, path)


def write_report(steps_csv: Path, out_dir: Path, rollouts_csv: Path | None = None) -> list[Path]:
    """The dashboard PNGs in `out_dir`; the breakdowns need the rollouts CSV."""
    rows = read_csv(steps_csv)
    out_dir = Path(out_dir)
    components = [(column, column) for column, _ in COMPONENTS if column in rows[0]]
    charts = [
        _line_chart(
            rows,
            out_dir / "reward.png",
            "Reward per step",
            "mean reward",
            [("reward_scalar", "reward_scalar"), ("reward_with_errors", "errored = 0")],
            (0, 1.02),
        ),
        _line_chart(
            rows,
            out_dir / "components.png",
            "Components (normalised; mean over the rollouts they apply to)",
            "mean",
            components,
            (0, 1.02),
        ),
        _line_chart(
            rows,
            out_dir / "answer_length.png",
            "Answer length (normalised span)",
            "characters",
            [("span_chars", "answer (0 when unparsed)"), ("reference_chars", "gold")],
        ),
        _line_chart(
            _with_shares(rows),
            out_dir / "unparsed.png",
            "Rollouts without a score",
            "share of rollouts",
            [("unparsed_share", "no parsable answer"), ("errored_share", "errored")],
            (0, 1.02),
        ),
    ]
    if rollouts_csv is not None and Path(rollouts_csv).is_file():
        rollouts = _read_rollouts(rollouts_csv)
        for by in ("task_type", "difficulty"):
            charts.append(_breakdown_chart(rollouts, by, _splits(rows), out_dir / f"by_{by}.png"))
    charts.append(plot_reconciliation(steps_csv, out_dir / "reconciliation.png"))
    return [path for path in charts if path is not None]


def plot_eval_summary(rollouts_csv: Path, out_png: Path, title: str = "Evaluation") -> Path:
    """One evaluation at a glance: each component's mean (over the rollouts it applies
    to), and the mean reward by task type and by difficulty, with rollout counts."""
    with Path(rollouts_csv).open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("reward_scalar")]
    if not rows:
        raise PlotError(f"{rollouts_csv}: no scored rollouts to chart")
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")

    def bars(ax: Any, groups: dict[str, list[float]], title: str, color: str) -> None:
        names = list(groups)
        means = [math.fsum(v) / len(v) for v in groups.values()]
        ax.bar(range(len(names)), means, color=color)
        for index, (mean, values) in enumerate(zip(means, groups.values(), strict=True)):
            ax.text(index, mean + 0.02, f"{mean:.2f}\nn={len(values)}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=9)
        ax.set_ylim(0, 1.15)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)

    components: dict[str, list[float]] = {}
    for name, label in (
        *COMPONENTS,
        ("parse_ok", "parse_ok"),
        ("partial_credit", "partial"),
        ("reward_scalar", "reward"),
    ):
        values = [value for row in rows if (value := _number(row.get(name, ""))) is not None]
        if values:
            components[label] = values
    bars(axes[0], components, "Components (mean, normalised)", "#2b6cb0")
    for ax, column, color in ((axes[1], "task_type", "#38a169"), (axes[2], "difficulty", "#d69e2e")):
        groups: dict[str, list[float]] = defaultdict(list)
        for row in rows:
            groups[row.get(column) or "?"].append(float(row["reward_scalar"]))
        order = sorted(groups, key=lambda g: _group_rank(("", g)))
        bars(ax, {g: groups[g] for g in order}, f"reward_scalar by {column.replace('_', ' ')}", color)
    fig.suptitle(f"{title}: {len(rows)} scored rollouts", fontsize=12)
    return _finish(fig, out_png)
