"""Repair a task file: a cleaned copy, in the same schema, that `read_tasks` loads as is.

`tasks.audit` finds the defects; this module repairs those that can be repaired without
inventing data, and drops the rows that cannot be, counting every row it touches or
drops per step so nothing is changed silently. The steps, in order:

1. ``nfc``: every string of the row (prompt, answer, info, recursively) into NFC;
2. ``malformed``: drop rows `read_tasks` would refuse (no prompt, bad info, ...);
3. ``placeholders``: drop rows whose gold is a placeholder;
4. ``conflicts``: drop every row of a prompt that has two or more different golds;
5. ``duplicates``: keep the first of rows with the same (prompt, answer), Dakota1890
   rows taking the union of their ``info.source_pages``;
6. ``leaks``: remove the prompt lines that give the gold away, where the template
   allows it: a line starting with a short label (``Gloss:``, ``Note:``, ``Context:``,
   one or two words and a colon) that holds the gold. Rows whose prompt still holds the
   gold are kept and counted as `CleanReport.leaks_unresolved`;
7. ``conflicts_after_leaks`` and ``duplicates_after_leaks``: steps 4 and 5 again, since
   a prompt without its leaked line may now ask the same as another row;
8. ``duplicate_ids``: drop later rows that reuse an explicit id (``id``, ``task_id``);
9. ``affix_labels``: drop from ``info.required_affixes`` the labels `gold.build_gold`
   drops (the gold does not carry them, or the starting form already does).

Prompts and answers are compared after `orthography.normalize`. The output is written
atomically, one object per line with the input's key order, and is deterministic:
cleaning a cleaned file changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.tasks.audit import (
    DAKOTA1890,
    EXAMPLES,
    PROJECT,
    RowFacts,
    conflicting,
    contains_gold,
    inspect_row,
    read_objects,
)
from dakota_grammar_env.tasks.loading import DataError

LEAK_LABEL = re.compile(r"[ \t]*[^\W\d_][\w'-]{0,24}(?: [^\W\d_][\w'-]{0,24})?[ \t]*:", re.UNICODE)
"""A prompt line that starts with a short label: one or two words and a colon
('Gloss:', 'Note:', 'Context:', 'Example:', 'Hint:'), never an instruction sentence
such as 'Transform or analyze:'."""


@dataclass
class StepCount:
    """What one cleaning step did: rows changed, rows dropped, first input lines of either."""

    name: str
    touched: int = 0
    dropped: int = 0
    lines: list[int] = field(default_factory=list)

    def note(self, line: int, dropped: bool = False) -> None:
        if dropped:
            self.dropped += 1
        else:
            self.touched += 1
        if len(self.lines) < EXAMPLES:
            self.lines.append(line)


@dataclass
class CleanReport:
    """Rows in and out, and each step's counts (see the module docstring)."""

    path: str
    out_path: str
    schema: str
    rows_in: int = 0
    rows_out: int = 0
    steps: list[StepCount] = field(default_factory=list)
    affix_labels_removed: int = 0
    leaks_unresolved: int = 0
    leaks_unresolved_lines: list[int] = field(default_factory=list)

    def step(self, name: str) -> StepCount:
        """The counts of the step called `name`."""
        return next(step for step in self.steps if step.name == name)

    def as_json(self) -> dict[str, Any]:
        """The report as plain, JSON-serialisable data."""
        return asdict(self)


def nfc(value: Any) -> Any:
    """A JSON value with every string value in NFC (dict keys and their order kept)."""
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {key: nfc(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nfc(item) for item in value]
    return value


def strip_leaks(prompt: str, gold: str) -> str:
    """The prompt without the labelled lines that hold the normalised gold, runs of blank
    lines then closed up; unchanged if nothing is removed or the removal would empty it."""
    lines = prompt.split("\n")
    kept = [line for line in lines if not (LEAK_LABEL.match(line) and contains_gold(normalize(line), gold))]
    if len(kept) == len(lines):
        return prompt
    tidy: list[str] = []
    for line in kept:
        if not line.strip() and (not tidy or not tidy[-1].strip()):
            continue
        tidy.append(line)
    while tidy and not tidy[-1].strip():
        tidy.pop()
    text = "\n".join(tidy)
    return text if normalize(text) else prompt


def _union(first: Any, other: Any) -> Any:
    """Two `source_pages` values merged: sorted when all are integers, else in order seen."""
    pages = [*(first if isinstance(first, list) else [first]), *(other if isinstance(other, list) else [other])]
    pages = [page for page in pages if page is not None]
    if all(isinstance(page, int) and not isinstance(page, bool) for page in pages):
        return sorted(set(pages))
    unique: list[Any] = []
    for page in pages:
        if page not in unique:
            unique.append(page)
    return unique


def _keep(facts: list[RowFacts], step: StepCount, keep: Callable[[RowFacts], bool]) -> list[RowFacts]:
    kept = []
    for fact in facts:
        if keep(fact):
            kept.append(fact)
        else:
            step.note(fact.line, dropped=True)
    return kept


def _drop_conflicts(facts: list[RowFacts], step: StepCount) -> list[RowFacts]:
    conflicts = conflicting(facts)
    for fact in facts:
        if fact.prompt in conflicts:
            step.note(fact.line, dropped=True)
    return [fact for fact in facts if fact.prompt not in conflicts]


def _merge_duplicates(facts: list[RowFacts], step: StepCount, schema: str) -> list[RowFacts]:
    first: dict[tuple[str, str], RowFacts] = {}
    changed: set[int] = set()
    for fact in facts:
        kept = first.setdefault((fact.prompt, fact.answer), fact)
        if kept is fact:
            continue
        step.note(fact.line, dropped=True)
        if schema == DAKOTA1890 and "source_pages" in fact.row["info"]:
            info = kept.row["info"]
            merged = _union(info.get("source_pages"), fact.row["info"]["source_pages"])
            if merged != info.get("source_pages"):
                info["source_pages"] = merged
                changed.add(id(kept))
    survivors = list(first.values())
    for fact in survivors:
        if id(fact) in changed:
            step.note(fact.line)
    return survivors


def _explicit_id(row: dict[str, Any], schema: str) -> str | None:
    value = row.get("id") if schema == PROJECT else row.get("task_id")
    return str(value) if value else None


def _write_atomically(rows: list[dict[str, Any]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temp.open("x", encoding="utf-8", newline="\n") as stream:  # "x": a new file, the umask's mode
            for row in rows:
                line = json.dumps(row, ensure_ascii=False)
                if not line.isascii():
                    try:
                        line.encode("utf-8")
                    except UnicodeEncodeError:  # a lone surrogate: keep it, as a JSON escape
                        line = json.dumps(row)
                stream.write(line + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _refuse_to_overwrite(path: Path, out: Path) -> None:
    if out.resolve() == path.resolve() or (out.exists() and path.exists() and os.path.samefile(out, path)):
        raise DataError(f"{out}: is the input file; write the cleaned copy to another path")


def clean(path: str | Path, out_path: str | Path) -> CleanReport:
    """Write a repaired copy of the task file `path` to `out_path` (never over `path`)."""
    path, out = Path(path), Path(out_path)
    _refuse_to_overwrite(path, out)
    schema, objects = read_objects(path)
    report = CleanReport(path=str(path), out_path=str(out), schema=schema, rows_in=len(objects))

    def step(name: str) -> StepCount:
        report.steps.append(StepCount(name))
        return report.steps[-1]

    counts = step("nfc")
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, row in objects:
        fixed = nfc(row)
        if fixed != row:
            counts.note(line)
        rows.append((line, fixed))

    counts = step("malformed")
    facts: list[RowFacts] = []
    for line, row in rows:
        fact = inspect_row(row, line, schema, str(path))
        if fact.malformed:
            counts.note(line, dropped=True)
        else:
            facts.append(fact)

    facts = _keep(facts, step("placeholders"), lambda fact: not fact.placeholder)
    facts = _drop_conflicts(facts, step("conflicts"))
    facts = _merge_duplicates(facts, step("duplicates"), schema)

    counts = step("leaks")
    for index, fact in enumerate(facts):
        if not contains_gold(fact.prompt, fact.answer):
            continue
        prompt = strip_leaks(fact.row["prompt"], fact.answer)
        if prompt != fact.row["prompt"]:
            fact.row["prompt"] = prompt
            facts[index] = inspect_row(fact.row, fact.line, schema, str(path))
            counts.note(fact.line)

    facts = _drop_conflicts(facts, step("conflicts_after_leaks"))
    facts = _merge_duplicates(facts, step("duplicates_after_leaks"), schema)

    seen_ids: set[str] = set()

    def first_use(fact: RowFacts) -> bool:
        task_id = _explicit_id(fact.row, schema)
        if task_id is None:
            return True
        fresh = task_id not in seen_ids
        seen_ids.add(task_id)
        return fresh

    facts = _keep(facts, step("duplicate_ids"), first_use)

    counts = step("affix_labels")
    for fact in facts:
        if fact.dropped_labels:
            invalid = set(fact.dropped_labels)
            info = fact.row["info"]
            kept = [label for label in info["required_affixes"] if label not in invalid]
            report.affix_labels_removed += len(info["required_affixes"]) - len(kept)
            info["required_affixes"] = kept
            counts.note(fact.line)

    for fact in facts:
        if contains_gold(fact.prompt, fact.answer):
            report.leaks_unresolved += 1
            if len(report.leaks_unresolved_lines) < EXAMPLES:
                report.leaks_unresolved_lines.append(fact.line)
    report.rows_out = len(facts)
    _write_atomically([fact.row for fact in facts], out)
    return report


def format_clean(report: CleanReport) -> str:
    """A plain-text report: one line per step (name, rows touched, rows dropped)."""
    lines = [
        f"clean {report.path} -> {report.out_path} ({report.schema} schema): "
        f"{report.rows_in:,} rows in, {report.rows_out:,} out",
        "",
        f"{'step':<24} {'touched':>8} {'dropped':>8}  first lines",
    ]
    for step in report.steps:
        first = ", ".join(map(str, step.lines))
        lines.append(f"{step.name:<24} {step.touched:>8,} {step.dropped:>8,}  {first}".rstrip())
    lines.append("")
    if report.affix_labels_removed:
        lines.append(f"affix labels removed: {report.affix_labels_removed:,}")
    if report.leaks_unresolved:
        first = ", ".join(map(str, report.leaks_unresolved_lines))
        lines.append(
            f"leaks unresolved: {report.leaks_unresolved:,} rows kept whose prompt still holds the gold "
            f"(first input lines {first})"
        )
    else:
        lines.append("leaks unresolved: 0")
    return "\n".join(lines)
