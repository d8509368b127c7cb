"""The lexicon the task generator draws on: ``data/lexicon.tsv``, one Dakota lemma per
line with its glosses, part of speech, paradigm class, and the part and printed page of
Riggs' 1852 *Grammar and Dictionary* it comes from (`dakota_grammar_env.grammar.sources`).

It is a hand-curated, human-readable table (see ``data/LEXICON_SOURCES.md``). Reading
it checks every field; a bad line is an error naming the file, line and column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dakota_grammar_env.grammar.labels import ATTESTED
from dakota_grammar_env.grammar.sources import EDITIONS, MAIN, check_page, check_section, cite
from dakota_grammar_env.tasks.loading import DataError, tsv_rows

COLUMNS = (
    "lemma", "glosses", "pos", "class", "valency", "ablaut", "part", "section", "page", "source", "attested",
    "spelling", "analysis", "note",
)  # fmt: skip
POS = ("verb", "adjective", "noun", "pronoun", "adverb", "numeral", "particle")
CLASSES = ("active", "active-after", "y-verb", "stative", "stative-after", "possess-mi", "possess-mita", "none")
ABLAUT = ("e", "no", "")
SOURCES = ("riggs-page", "dakota1890")
"""riggs-page: checked against the text of the printed page; dakota1890: read only through
the machine extraction of the page (its note names the extraction's rule id)."""
VALENCY = ("a", "n", "")
"""a: the verb takes an object (Riggs' v. a.); n: it does not (v. n.); empty: not recorded."""
_LETTERS = re.compile(r"[a-zŋṡćċḣġżḳṗṭ' -]+")


@dataclass(frozen=True)
class LexiconEntry:
    """One lemma. `insert_at` is where pronouns go for the *-after:k classes (else 0).
    `spelling` is empty where the printed spelling is certain, else why it is not (such
    lemmas never go to the test split); `analysis` is Riggs' morpheme analysis of the
    lemma where he gives one (``wa+manoŋ``), used to accept finer segmentations."""

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
    part: str = "grammar"
    valency: str = ""
    spelling: str = ""
    analysis: tuple[str, ...] = ()
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Other printed forms for a label (ćeya ye beside ćeya wo), accepted as answers."""
    form_pages: dict[str, int] = field(default_factory=dict)
    """The page a printed form is on where it is not the entry's page."""

    def form_citation(self, label: str) -> str:
        """Where the printed form for `label` is: its grammar page (``@page``), else the
        entry's own page."""
        page = self.form_pages.get(label)
        return self.citation if page is None else cite(MAIN, "grammar", page)

    @property
    def gloss(self) -> str:
        return self.glosses[0]

    @property
    def citation(self) -> str:
        """'Riggs 1852, Grammar p. 39 (§ 89)'."""
        return cite(MAIN, self.part, self.page, self.section)


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
    parts = [part.key for part in EDITIONS[MAIN].parts]
    if row["part"] not in parts:
        raise fail("part", f"{row['part']!r} is not one of {parts}")
    try:
        check_page(MAIN, row["part"], int(row["page"]))
    except ValueError as error:
        raise fail("page", str(error)) from None
    if row["section"].strip() and row["part"] != "grammar":
        raise fail("section", "only grammar pages have sections")
    try:
        check_section(row["section"].strip(), int(row["page"]))
    except ValueError as error:
        raise fail("section", str(error)) from None
    if row["valency"] not in VALENCY:
        raise fail("valency", f"{row['valency']!r} is not one of {list(VALENCY)}")
    analysis = tuple(piece.strip() for piece in row["analysis"].split("+") if piece.strip())
    if analysis and "".join(analysis) != lemma:
        raise fail("analysis", f"{row['analysis']!r} does not join (without the +) to the lemma {lemma!r}")
    if row["source"] not in SOURCES:
        raise fail("source", f"{row['source']!r} is not one of {list(SOURCES)}")
    attested, variants, form_pages = _attested(row["attested"], fail)
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
        part=row["part"],
        valency=row["valency"],
        spelling=row["spelling"].strip(),
        analysis=analysis if len(analysis) > 1 else (),
        variants=variants,
        form_pages=form_pages,
    )


def _attested(
    text: str, fail: Callable[[str, str], DataError]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, int]]:
    """``label=form[ / other form][@page]; ...``: the printed forms, their variants, and
    the grammar page of any form printed away from the entry's own page."""
    attested: dict[str, str] = {}
    variants: dict[str, tuple[str, ...]] = {}
    pages: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        label, sep, value = (piece.strip() for piece in item.partition("="))
        forms_text, at, page = value.partition("@")
        forms = [unicodedata.normalize("NFC", f.strip()) for f in forms_text.split(" / ") if f.strip()]
        if not sep or label not in ATTESTED or not forms:
            raise fail("attested", f"{item!r} is not label=form with a label from {list(ATTESTED)}")
        if label in attested:
            raise fail("attested", f"{label!r} is given twice")
        if at:
            if not page.strip().isdigit():
                raise fail("attested", f"{item!r}: the page after @ is not a number")
            try:
                check_page(MAIN, "grammar", int(page))
            except ValueError as error:
                raise fail("attested", f"{item!r}: {error}") from None
            pages[label] = int(page)
        attested[label], variants[label] = forms[0], tuple(forms[1:])
    return attested, {k: v for k, v in variants.items() if v}, pages


def read_lexicon(path: str | Path) -> list[LexiconEntry]:
    """Every entry of a lexicon TSV, checked. A lemma may appear more than once with
    another part of speech or first gloss (Riggs' homographs: ṡiyaka 'the teal' and
    ṡiyaka 'a boil'); a repeat of all three is an error."""
    path = Path(path)
    entries: list[LexiconEntry] = []
    seen: dict[str, int] = {}
    for line, row in tsv_rows(path, COLUMNS, "lexicon"):
        entry = _parse(path, line, row)
        key = f"{entry.lemma} ({entry.pos}, {entry.gloss!r})"
        if key in seen:
            raise _field_error(path, line, "lemma", f"{key!r} already on line {seen[key]}")
        seen[key] = line
        entries.append(entry)
    if not entries:
        raise DataError(f"{path}: the lexicon is empty")
    return entries
