"""The probe's tables: one row per policy group, one column per task family.

Each cell holds the value its rule checks: the mean reward for gold-like policies,
hedges and hacks; the mean *where the policy is not exactly right* for prompt-only
policies; for near misses, the mean on the rows where the prompt does not already give
the answer. A group's cell is its worst member (lowest for gold-like replies and near
misses, highest for the rest), marked ``!`` where a rule fails.
"""

from __future__ import annotations

from collections.abc import Sequence

from dakota_grammar_env.probe.runner import (
    ALL,
    GOLD_MIN_MEAN,
    HACK_MAX_MEAN,
    NEAR_MISS_MIN,
    NEAR_MISS_MIN_ROWS,
    PROMPT_ONLY_MAX,
    Cell,
)

LOW_IS_BAD = frozenset({"gold", "near-miss"})
COLUMN = 9


def _families(cells: Sequence[Cell]) -> list[str]:
    return [ALL, *sorted({cell.family for cell in cells} - {ALL})]


def _groups(cells: Sequence[Cell]) -> dict[tuple[str, str], dict[str, list[Cell]]]:
    groups: dict[tuple[str, str], dict[str, list[Cell]]] = {}
    for cell in cells:
        groups.setdefault((cell.kind, cell.group), {}).setdefault(cell.family, []).append(cell)
    return groups


def _worst(kind: str, members: Sequence[Cell]) -> Cell:
    pick = min if kind in LOW_IS_BAD else max
    return pick(members, key=lambda cell: cell.checked)


def _short(family: str) -> str:
    return family if len(family) <= COLUMN else family[: COLUMN - 1] + "…"


def format_table(cells: Sequence[Cell]) -> str:
    """The policy-group x family table, with rows counts and the learnable share."""
    families = _families(cells)
    width = 30
    header = f"{'policy group':<{width}} {'kind':<12}" + "".join(f"{_short(f):>{COLUMN + 1}}" for f in families)
    lines = [header, "-" * len(header)]
    tasks = {c.family: c.rows for c in cells if c.policy == "gold"}
    learnable = {c.family: c.learnable_rows for c in cells if c.policy == "gold"}
    lines.append(f"{'tasks':<{width}} {'':<12}" + "".join(f"{tasks.get(f, 0):>{COLUMN + 1}}" for f in families))
    lines.append(
        f"{'  the prompt does not answer':<{width}} {'':<12}"
        + "".join(f"{learnable.get(f, 0):>{COLUMN + 1}}" for f in families)
    )
    for (kind, group), by_family in _groups(cells).items():
        row = f"{group:<{width}} {kind:<12}"
        for family in families:
            members = by_family.get(family)
            if not members:
                row += " " * (COLUMN + 1)
                continue
            worst = _worst(kind, members)
            mark = "" if all(cell.passed for cell in members) else "!"
            mark = mark or ("*" if not worst.judged else " ")
            row += f"{worst.checked:>{COLUMN}.3f}{mark}"
        lines.append(row)
    return "\n".join(lines)


def format_rules_of_thumb(cells: Sequence[Cell], per_family: int = 3) -> str:
    """The prompt-only policies most often exactly right, per family: how far a rule of
    thumb gets on the data (it earns 1 where right, and must earn ~0 where wrong)."""
    right = [c for c in cells if c.kind == "prompt-only" and c.right and c.family != ALL]
    if not right:
        return "no prompt-only policy is ever exactly right"
    lines = [f"rules of thumb: the prompt-only policies most often exactly right (top {per_family} per family):"]
    by_family: dict[str, list[Cell]] = {}
    for cell in right:
        by_family.setdefault(cell.family, []).append(cell)
    for family, members in sorted(by_family.items()):
        for cell in sorted(members, key=lambda c: (-c.right_share, c.policy))[:per_family]:
            lines.append(
                f"  {family:<18} {cell.policy:<28} right on {cell.right:>4} of {cell.rows:<4} "
                f"({cell.right_share:6.1%}); where wrong it earns {cell.mean_wrong:.3f}"
            )
    return "\n".join(lines)


def format_worst(cells: Sequence[Cell]) -> str:
    """The worst member of each group over all families, by name."""
    lines = ["worst member of each group (all families):"]
    for (kind, group), by_family in _groups(cells).items():
        members = by_family.get(ALL, [])
        if len(members) > 1:
            worst = _worst(kind, members)
            lines.append(f"  {group:<30} {worst.policy:<30} {worst.checked:.3f}")
    return "\n".join(lines)


def format_cells(cells: Sequence[Cell], policies: Sequence[str] = ()) -> str:
    """Every policy on every family (``--verbose``), then the `policies` that applied to
    no task."""
    header = (
        f"{'policy':<30} {'kind':<12} {'family':<20} {'rows':>6} {'right':>6} {'mean':>7} {'wrong':>7} "
        f"{'learn':>7} {'max':>7}  verdict"
    )
    lines = [header, "-" * len(header)]
    for c in cells:
        verdict = "ok" if c.passed else "FAIL"
        lines.append(
            f"{c.policy:<30} {c.kind:<12} {c.family:<20} {c.rows:>6} {c.right:>6} {c.mean:>7.3f} "
            f"{c.mean_wrong:>7.3f} {c.mean_learnable:>7.3f} {c.maximum:>7.3f}  {verdict}"
        )
    unused = [name for name in policies if name not in {c.policy for c in cells}]
    if unused:
        lines.append(f"policies that apply to no task here: {', '.join(unused)}")
    return "\n".join(lines)


def rules_text() -> str:
    return (
        f"rules: gold-like mean >= {GOLD_MIN_MEAN}; prompt-only mean where not exactly right <= {PROMPT_ONLY_MAX}; "
        f"hedges, hacks and wrong choices mean <= {HACK_MAX_MEAN};\n"
        f"       honest near misses mean >= {NEAR_MISS_MIN} where the prompt does not give the answer and the slip "
        "leaves the novel units whole, and above "
        "every never-right prompt-only policy of the family\n"
        f"       (* = reported, not judged: fewer than {NEAR_MISS_MIN_ROWS} such rows); ! = a rule fails"
    )
