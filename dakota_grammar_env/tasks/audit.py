"""Audit a task file before anything trains on it.

Real task files, the Dakota1890 ones above all, carry defects that quietly distort a
reward: placeholder golds, repeated rows, one prompt with two different golds, golds
leaked into their own prompts, affix labels the gold does not carry, text that is not
NFC, and one Riggs letter spelled several ways. `audit` counts each class, with the
first lines that show it, so a user sees what a file holds before training on it;
`tasks.clean` repairs what can be repaired.

Rows are checked with the loader's own code (`loading`, `gold.build_gold`), so a row
counted as malformed here is one `read_tasks` would refuse. Text is compared after
`orthography.normalize`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dakota_grammar_env.reward.gold import GoldError, build_gold
from dakota_grammar_env.reward.orthography import RIGGS_LETTERS, normalize
from dakota_grammar_env.tasks.loading import DataError, is_placeholder, json_objects, row_schema, task_from_row

DAKOTA1890 = "dakota1890"
PROJECT = "project"

EXAMPLES = 3
"""How many line numbers each defect class keeps as examples."""

MIN_LEAK_CHARS = 2
"""A gold shorter than this (one letter) is not looked for in its prompt."""

TOP_LABELS = 10
"""How many of the most common invalid affix labels a report lists."""


@dataclass
class Defect:
    """Rows showing one defect: how many, and the line numbers of the first few."""

    rows: int = 0
    lines: list[int] = field(default_factory=list)

    def note(self, line: int) -> None:
        self.rows += 1
        if len(self.lines) < EXAMPLES:
            self.lines.append(line)


@dataclass
class RowFacts:
    """One row as the checks see it: the raw object, its normalised prompt and answer,
    and why it cannot load (`error`), if it cannot."""

    line: int
    row: dict[str, Any]
    error: str | None = None
    prompt: str = ""
    answer: str = ""
    placeholder: bool = False
    labels: tuple[str, ...] = ()
    dropped_labels: tuple[str, ...] = ()

    @property
    def malformed(self) -> bool:
        return self.error is not None


@dataclass
class AuditReport:
    """Counts of each defect class in one file, with example lines (see `audit`)."""

    path: str
    schema: str
    rows: int
    malformed: Defect = field(default_factory=Defect)
    malformed_reasons: list[str] = field(default_factory=list)
    placeholder_golds: Defect = field(default_factory=Defect)
    duplicates: Defect = field(default_factory=Defect)
    conflicting_prompts: int = 0
    conflicting_rows: Defect = field(default_factory=Defect)
    gold_in_prompt: Defect = field(default_factory=Defect)
    non_nfc: Defect = field(default_factory=Defect)
    affix_labelled_rows: int = 0
    invalid_affix_labels: Defect = field(default_factory=Defect)
    invalid_affix_label_count: int = 0
    top_invalid_affix_labels: list[tuple[str, int]] = field(default_factory=list)
    letter_variants: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The report as plain, JSON-serialisable data."""
        data = asdict(self)
        data["top_invalid_affix_labels"] = [[label, count] for label, count in self.top_invalid_affix_labels]
        return data


def read_objects(path: Path) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """The file's schema (that of most of its rows) and its (line, object) pairs.

    A line that is not one JSON object is a `DataError` naming file and line."""
    if not path.is_file():
        raise DataError(f"{path}: no such task file")
    try:
        with path.open(encoding="utf-8") as handle:
            objects = list(json_objects(handle, str(path)))
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 (byte {error.start} of a line)") from None
    if not objects:
        raise DataError(f"{path}: holds no rows")
    dakota = sum(row_schema(row) == DAKOTA1890 for _, row in objects)
    return (DAKOTA1890 if 2 * dakota >= len(objects) else PROJECT), objects


def inspect_row(row: dict[str, Any], line: int, schema: str, label: str) -> RowFacts:
    """Check one row as `read_tasks` would and read what the audit needs from it."""
    where = f"{label}:{line}"
    if row_schema(row) != schema:
        return RowFacts(line, row, f"{where}: a {row_schema(row)} row in a {schema} file")
    try:
        task = task_from_row(row, where)
    except DataError as error:
        return RowFacts(line, row, str(error))
    facts = RowFacts(
        line,
        row,
        prompt=normalize(task.prompt),
        answer=normalize(task.answer),
        placeholder=is_placeholder(task.answer),
        labels=task.required_affixes,
    )
    if not facts.placeholder:
        try:
            facts.dropped_labels = build_gold(task.answer, task.info()).dropped_affix_labels
        except GoldError as error:
            return RowFacts(line, row, f"{where}: {error}")
    return facts


def read_rows(path: str | Path) -> tuple[str, list[RowFacts]]:
    """The file's schema and every row of it, inspected."""
    path = Path(path)
    schema, objects = read_objects(path)
    return schema, [inspect_row(row, line, schema, str(path)) for line, row in objects]


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def contains_gold(prompt: str, gold: str) -> bool:
    """Whether a normalised gold (of `MIN_LEAK_CHARS` or more) occurs in a normalised
    prompt as whole words: 'son' in 'his son' counts, 'son' in 'person' does not."""
    if len(gold) < MIN_LEAK_CHARS:
        return False
    start = prompt.find(gold)
    while start >= 0:
        end = start + len(gold)
        before = start == 0 or not _is_word_char(prompt[start - 1])
        if before and (end == len(prompt) or not _is_word_char(prompt[end])):
            return True
        start = prompt.find(gold, start + 1)
    return False


def conflicting(facts: Iterable[RowFacts]) -> set[str]:
    """The normalised prompts that appear with two or more different normalised answers."""
    answers: dict[str, set[str]] = {}
    for fact in facts:
        answers.setdefault(fact.prompt, set()).add(fact.answer)
    return {prompt for prompt, golds in answers.items() if len(golds) > 1}


def strings(value: Any) -> Iterator[str]:
    """Every string value inside a JSON value (dict keys excluded), depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def is_nfc(value: Any) -> bool:
    """Whether every string inside a JSON value is in NFC."""
    text = "\n".join(strings(value))  # a newline composes with nothing: one check covers every piece
    return text.isascii() or unicodedata.is_normalized("NFC", text)


def letter_variants(texts: Iterable[str]) -> dict[str, dict[str, int]]:
    """For each Riggs letter written at least once in a variant spelling: occurrences
    of the letter and of each variant (texts in NFC, case-folded)."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", "\n".join(texts)).casefold())
    table: dict[str, dict[str, int]] = {}
    for entry in RIGGS_LETTERS:
        variants = (*entry.typographic, *entry.modern)
        counts = {spelling: text.count(spelling) for spelling in (entry.letter, *variants)}
        if any(counts[variant] for variant in variants):
            table[entry.letter] = counts
    return table


def audit(path: str | Path) -> AuditReport:
    """Count the defects of one JSONL task file (either schema); see the module docstring.

    Malformed rows (not loadable by `read_tasks`) are counted and left out of the other
    checks, except the NFC check and the letter count. Placeholder rows take part in
    the duplicate and conflict counts, not in the gold-in-prompt and affix checks."""
    schema, facts = read_rows(path)
    report = AuditReport(path=str(path), schema=schema, rows=len(facts))
    seen: set[tuple[str, str]] = set()
    labels: Counter[str] = Counter()
    for fact in facts:
        if not is_nfc(fact.row):
            report.non_nfc.note(fact.line)
        if fact.malformed:
            report.malformed.note(fact.line)
            if len(report.malformed_reasons) < EXAMPLES:
                report.malformed_reasons.append(str(fact.error))
            continue
        if (fact.prompt, fact.answer) in seen:
            report.duplicates.note(fact.line)
        seen.add((fact.prompt, fact.answer))
        if fact.placeholder:
            report.placeholder_golds.note(fact.line)
            continue
        if contains_gold(fact.prompt, fact.answer):
            report.gold_in_prompt.note(fact.line)
        report.affix_labelled_rows += bool(fact.labels)
        if fact.dropped_labels:
            report.invalid_affix_labels.note(fact.line)
            report.invalid_affix_label_count += len(fact.dropped_labels)
            labels.update(fact.dropped_labels)
    loadable = [fact for fact in facts if not fact.malformed]
    conflicts = conflicting(loadable)
    report.conflicting_prompts = len(conflicts)
    for fact in loadable:
        if fact.prompt in conflicts:
            report.conflicting_rows.note(fact.line)
    report.top_invalid_affix_labels = labels.most_common(TOP_LABELS)
    report.letter_variants = letter_variants(
        text for fact in facts for text in (fact.row.get("prompt"), fact.row.get("answer")) if isinstance(text, str)
    )
    return report


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def format_audit(report: AuditReport) -> str:
    """A plain-text report: the defect table, example lines, then the letter variants."""
    classes = [
        ("malformed rows", report.malformed, ""),
        ("placeholder golds", report.placeholder_golds, ""),
        ("duplicate rows", report.duplicates, "repeat an earlier (prompt, answer)"),
        ("conflicting prompts", report.conflicting_rows, f"rows of {report.conflicting_prompts:,} prompts"),
        ("gold in prompt", report.gold_in_prompt, ""),
        ("not NFC", report.non_nfc, ""),
        (
            "invalid affix labels",
            report.invalid_affix_labels,
            f"{report.invalid_affix_label_count:,} labels; {report.affix_labelled_rows:,} rows have labels",
        ),
    ]
    lines = [f"audit of {report.path}: {report.rows:,} rows, {report.schema} schema", ""]
    lines.append(f"{'defect':<22} {'rows':>7} {'% rows':>7}  note")
    for name, defect, note in classes:
        lines.append(f"{name:<22} {defect.rows:>7,} {_share(defect.rows, report.rows):>7}  {note}".rstrip())
    lines += ["", "first lines"]
    for name, defect, _ in classes:
        if defect.lines:
            lines.append(f"  {name:<22} {', '.join(map(str, defect.lines))}")
    for reason in report.malformed_reasons:
        lines.append(f"  malformed: {reason}")
    if report.top_invalid_affix_labels:
        common = ", ".join(f"{label!r} {count:,}" for label, count in report.top_invalid_affix_labels)
        lines.append(f"  most common invalid affix labels: {common}")
    lines.append("")
    if not report.letter_variants:
        lines.append("letter variants: none (every special letter is written in Riggs' spelling)")
        return "\n".join(lines)
    lines.append("letter variants (occurrences in prompts and answers, NFC, case-folded)")
    lines.append(f"{'letter':<7} {'itself':>8}  variants")
    for letter, counts in report.letter_variants.items():
        variants = "  ".join(f"{spelling} {count:,}" for spelling, count in counts.items() if spelling != letter)
        lines.append(f"{letter:<7} {counts[letter]:>8,}  {variants}")
    return "\n".join(lines)
