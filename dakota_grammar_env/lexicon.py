"""The lexicon the task generator draws on: ``data/lexicon.tsv``, one Dakota lemma per
line with its glosses, part of speech, paradigm class, and the Riggs page it comes from.

It is a hand-curated, human-readable table (see ``data/LEXICON_SOURCES.md``). Reading
it checks every field; a bad line is an error naming the file, line and column.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from dakota_grammar_env.loading import DataError

COLUMNS = ("lemma", "glosses", "pos", "class", "ablaut", "section", "page", "source", "attested", "note")
POS = ("verb", "adjective", "noun", "pronoun", "adverb", "numeral", "particle")
CLASSES = ("active", "active-after", "y-verb", "stative", "stative-after", "possess-mi", "possess-mita", "none")
ABLAUT = ("e", "no", "")
SOURCES = ("riggs-page", "dakota1890")
ATTESTED_LABELS = (
    "1sg", "2sg", "3sg", "1du", "1pl", "2pl", "3pl", "1sg.neg", "2sg.neg", "3sg.neg", "my", "thy", "his", "pl",
)  # fmt: skip
_LETTERS = re.compile(r"[a-zŋṡćċḣġżḳṗṭ' -]+")


@dataclass(frozen=True)
class LexiconEntry:
    """One lemma. `insert_at` is where pronouns go for the *-after:k classes (else 0)."""

    lemma: str
    glosses: tuple[str, ...]
    pos: str
    paradigm: str
    insert_at: int
    ablaut: str
    section: str
    page: int
    source: str
    attested: dict[str, str]
    note: str
    line: int

    @property
    def gloss(self) -> str:
        return self.glosses[0]

    @property
    def citation(self) -> str:
        where = f"{self.section}, p. {self.page}" if self.section else f"p. {self.page}"
        return f"Riggs 1893 {where}"


def _field_error(path: Path, line: int, column: str, message: str) -> DataError:
    return DataError(f"{path}:{line}: column {column!r}: {message}")


def _parse(path: Path, line: int, row: dict[str, str]) -> LexiconEntry:
    def fail(column: str, message: str) -> DataError:
        return _field_error(path, line, column, message)

    lemma = row["lemma"].strip()
    if not lemma or not unicodedata.is_normalized("NFC", lemma):
        raise fail("lemma", f"{lemma!r} must be a non-empty NFC string")
    if not _LETTERS.fullmatch(lemma.casefold()):
        raise fail("lemma", f"{lemma!r} has characters outside Riggs' alphabet")
    glosses = tuple(g.strip() for g in row["glosses"].split("|") if g.strip())
    if not glosses:
        raise fail("glosses", "at least one gloss is needed")
    if row["pos"] not in POS:
        raise fail("pos", f"{row['pos']!r} is not one of {list(POS)}")
    paradigm, _, after = row["class"].partition(":")
    if paradigm not in CLASSES:
        raise fail("class", f"{row['class']!r} is not one of {list(CLASSES)} (with :k for *-after)")
    insert_at = 0
    if paradigm.endswith("-after"):
        if not after.isdigit() or not 0 < int(after) < len(lemma):
            raise fail("class", f"{row['class']!r} needs :k with 0 < k < {len(lemma)}")
        insert_at = int(after)
    elif after:
        raise fail("class", f"{row['class']!r}: only the *-after classes take :k")
    if paradigm == "y-verb" and not lemma.startswith(("ya", "yu", "yo")):
        raise fail("class", f"a y-verb begins with ya, yu or yo, not {lemma!r}")
    if row["ablaut"] not in ABLAUT:
        raise fail("ablaut", f"{row['ablaut']!r} is not one of {list(ABLAUT)}")
    if not row["page"].strip().isdigit():
        raise fail("page", f"{row['page']!r} is not a page number")
    if row["source"] not in SOURCES:
        raise fail("source", f"{row['source']!r} is not one of {list(SOURCES)}")
    attested: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in row["attested"].split(";"))):
        label, sep, form = item.partition("=")
        if not sep or label.strip() not in ATTESTED_LABELS or not form.strip():
            raise fail("attested", f"{item!r} is not label=form with a label from {list(ATTESTED_LABELS)}")
        attested[label.strip()] = unicodedata.normalize("NFC", form.strip())
    return LexiconEntry(
        lemma=lemma,
        glosses=glosses,
        pos=row["pos"],
        paradigm=paradigm,
        insert_at=insert_at,
        ablaut=row["ablaut"],
        section=row["section"].strip(),
        page=int(row["page"]),
        source=row["source"],
        attested=attested,
        note=row["note"].strip(),
        line=line,
    )


def read_lexicon(path: str | Path) -> list[LexiconEntry]:
    """Every entry of a lexicon TSV, checked; duplicate lemmas are an error."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such lexicon file")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise DataError(f"{path}:1: header must be {' '.join(COLUMNS)} (tab-separated)")
        entries: list[LexiconEntry] = []
        seen: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            if None in row or any(value is None for value in row.values()):
                raise DataError(f"{path}:{line}: expected {len(COLUMNS)} tab-separated columns")
            entry = _parse(path, line, row)
            if entry.lemma in seen:
                raise _field_error(path, line, "lemma", f"{entry.lemma!r} already on line {seen[entry.lemma]}")
            seen[entry.lemma] = line
            entries.append(entry)
    if not entries:
        raise DataError(f"{path}: the lexicon is empty")
    return entries
