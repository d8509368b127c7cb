"""The books the data cites, their parts and page ranges, and how a citation is written.

Every lexicon entry, rule and task names the edition and part it was read in, and a
printed page of that part. The lexicon and the rules were read in the 1852 *Grammar and
Dictionary of the Dakota Language* (the Google Books volume ``dmISAAAAYAAJ`` and the
archive.org scans ``grammardictionar00riggrich`` are both that edition). The 1893
*Dakota Grammar, Texts, and Ethnography* and the 1890 *Dakota-English Dictionary* are
not listed: no page of them was read for this data, and a book joins the table (with
its real page ranges) only when one is. `check_page` refuses a page
outside its part, so a citation cannot name a page the book does not have.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Part:
    """A separately paginated part of a book: its printed pages run first..last."""

    key: str
    title: str
    first: int
    last: int


@dataclass(frozen=True)
class Edition:
    key: str
    short: str
    """How a citation names it: 'Riggs 1852'."""
    title: str
    series: str
    parts: tuple[Part, ...]

    def part(self, key: str) -> Part:
        for part in self.parts:
            if part.key == key:
                return part
        raise ValueError(f"{self.short} has no part {key!r} (parts: {[p.key for p in self.parts]})")


EDITIONS: dict[str, Edition] = {
    edition.key: edition
    for edition in (
        Edition(
            "riggs-1852",
            "Riggs 1852",
            "Grammar and Dictionary of the Dakota Language",
            "Smithsonian Contributions to Knowledge IV (Washington, 1852)",
            (
                Part("grammar", "Grammar", 1, 64),
                Part("dictionary", "Dakota-English Dictionary", 1, 338),
            ),
        ),
    )
}
MAIN = "riggs-1852"
"""The edition the lexicon and the rules were read in."""


def check_page(edition: str, part: str, page: int) -> None:
    """Raise ValueError unless `page` is a printed page of that part of that edition."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r} (known: {sorted(EDITIONS)})")
    found = EDITIONS[edition].part(part)
    if not found.first <= page <= found.last:
        raise ValueError(f"{EDITIONS[edition].short} {found.title} has pages {found.first}-{found.last}, not {page}")


def cite(edition: str, part: str, page: int, section: str = "") -> str:
    """'Riggs 1852, Grammar p. 9 (§ 15)'; checked against the page ranges."""
    check_page(edition, part, page)
    where = f"{EDITIONS[edition].short}, {EDITIONS[edition].part(part).title} p. {page}"
    return f"{where} ({section})" if section else where


_CITATION = re.compile(
    r"(?P<short>Riggs \d{4}), (?P<title>[A-Za-z -]+?) p\. (?P<page>\d+)(?: \((?P<section>§[^)]*)\))?"
)


def parse_citation(text: str) -> tuple[str, str, int, str]:
    """(edition, part, page, section) of a citation `cite` wrote; ValueError otherwise."""
    match = _CITATION.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a citation of the form 'Riggs 1852, Grammar p. 9 (§ 15)'")
    for edition in EDITIONS.values():
        if edition.short == match["short"]:
            for part in edition.parts:
                if part.title == match["title"]:
                    page = int(match["page"])
                    check_page(edition.key, part.key, page)
                    return edition.key, part.key, page, match["section"] or ""
            raise ValueError(f"{text!r}: {edition.short} has no part titled {match['title']!r}")
    raise ValueError(f"{text!r}: unknown edition {match['short']!r}")


@dataclass(frozen=True)
class Section:
    """A § of the 1852 grammar: the pages it is printed on, what it is about, the words
    a rule citing it must use, and whether its text was read ('page') or only its number
    seen in another section's cross-reference ('cross-reference')."""

    section: str
    first_page: int
    last_page: int
    topic: str
    keywords: tuple[str, ...]
    read: str


SECTIONS_FILE = "sections.tsv"


@cache
def sections(path: str | None = None) -> dict[str, Section]:
    """The table of sections (``data/sections.tsv``), by '§ n'."""
    source = Path(path) if path else Path(str(resources.files("dakota_grammar_env").joinpath("data", SECTIONS_FILE)))
    found: dict[str, Section] = {}
    with source.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
            try:
                entry = Section(
                    row["section"], int(row["first_page"]), int(row["last_page"]), row["topic"],
                    tuple(k.strip() for k in row["keywords"].split("|") if k.strip()), row["read"],
                )  # fmt: skip
                check_page(MAIN, "grammar", entry.first_page)
                check_page(MAIN, "grammar", entry.last_page)
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{source}:{line}: {error}") from None
            found[entry.section] = entry
    return found


def check_section(section: str, page: int) -> None:
    """Raise ValueError unless `section` is in the table and printed on `page`."""
    if not section:
        return
    table = sections()
    if section not in table:
        raise ValueError(f"{section} is not in {SECTIONS_FILE} (known: {', '.join(table)})")
    found = table[section]
    if not found.first_page <= page <= found.last_page:
        raise ValueError(f"{section} is printed on pp. {found.first_page}-{found.last_page}, not p. {page}")
