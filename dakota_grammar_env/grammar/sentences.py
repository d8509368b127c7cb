"""Short sentences and phrases the grammar prints with their translation:
``data/sentences.tsv``, one a line, with the page (and §) they are printed on.

Each row gives the Dakota as printed (in Riggs' letters, NFC), the translation Riggs
prints, any other translation he gives for it (his word-for-word gloss, a second
rendering), and whether it was read in the page text or only through the machine
extraction. They are facts quoted for translation tasks in both directions; reading the
file checks every field, and a bad line is an error naming the file, line and column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from dakota_grammar_env.grammar.sources import MAIN, check_page, check_section, cite
from dakota_grammar_env.tasks.loading import DataError, tsv_rows

COLUMNS = ("dakota", "english", "also", "page", "section", "source", "note")
SOURCES = ("riggs-page", "dakota1890")
_DAKOTA = re.compile(r"[a-zŋṡćċḣġżḳṗṭ' ,-]+")


@dataclass(frozen=True)
class Sentence:
    dakota: str
    english: str
    also: tuple[str, ...]
    page: int
    section: str
    source: str
    note: str
    line: int

    @property
    def citation(self) -> str:
        return cite(MAIN, "grammar", self.page, self.section)


def _parse(path: Path, line: int, row: dict[str, str]) -> Sentence:
    def fail(column: str, message: str) -> DataError:
        return DataError(f"{path}:{line}: column {column!r}: {message}")

    dakota, english = row["dakota"].strip(), row["english"].strip()
    if not dakota or not unicodedata.is_normalized("NFC", dakota) or not _DAKOTA.fullmatch(dakota.casefold()):
        raise fail("dakota", f"{dakota!r} must be non-empty NFC text in Riggs' letters")
    if not english:
        raise fail("english", "the printed translation is needed")
    if not row["page"].strip().isdigit():
        raise fail("page", f"{row['page']!r} is not a page number")
    page, section = int(row["page"]), row["section"].strip()
    try:
        check_page(MAIN, "grammar", page)
    except ValueError as error:
        raise fail("page", str(error)) from None
    try:
        check_section(section, page)
    except ValueError as error:
        raise fail("section", str(error)) from None
    if row["source"] not in SOURCES:
        raise fail("source", f"{row['source']!r} is not one of {list(SOURCES)}")
    also = tuple(text.strip() for text in row["also"].split("|") if text.strip())
    return Sentence(dakota, english, also, page, section, row["source"], row["note"].strip(), line)


def read_sentences(path: str | Path) -> list[Sentence]:
    """Every sentence of a sentences TSV, checked; a repeated Dakota text is an error."""
    path = Path(path)
    found: list[Sentence] = []
    seen: dict[str, int] = {}
    for line, row in tsv_rows(path, COLUMNS, "sentences"):
        sentence = _parse(path, line, row)
        if sentence.dakota in seen:
            where = f"{path}:{line}: column 'dakota'"
            raise DataError(f"{where}: {sentence.dakota!r} already on line {seen[sentence.dakota]}")
        seen[sentence.dakota] = line
        found.append(sentence)
    return found
