"""Dakota orthography: the one place where text is normalised before it is compared.

Every scorer compares normalised text, so an answer that differs from the gold only by
Unicode composition, case, apostrophe shape, spacing, edge punctuation or a variant
spelling of one of Riggs' letters compares equal.

The special letters are those of Riggs' alphabet (the 1852 *Grammar and Dictionary*, as
its later grammar and dictionary keep them): ŋ (nasal n), ṡ (sh), ć (ch), ċ (emphatic ch), ḣ (kh),
ġ (gh), ż (zh), the emphatic stops ḳ ṗ ṭ, and the stress-marked vowels á é í ó ú.
Real data writes several of them in other ways. `Folding` says how many of those
other spellings count as the Riggs letter:

- ``none``: no letter folding at all;
- ``typographic``: glyph variants of the same letter seen in OCR and hand-typed data
  (ǧ ğ ǵ for ġ; ṫ ț ţ for ṭ; ḱ ķ k̇ for ḳ; p̣ ṕ for ṗ; ṇ for ŋ; ś for ṡ; ź for ż);
- ``riggs`` (the default): typographic, plus the modern Dakota/Lakota letters for the
  same sounds (š for ṡ, ž for ż, ȟ for ḣ, č for ć).

ć and ċ are different letters in Riggs (ch and emphatic ch) and are never folded
together. Stress accents are kept: a missing accent is a real (small) spelling error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache


@dataclass(frozen=True)
class RiggsLetter:
    """One special letter of Riggs' alphabet and the other spellings folded into it."""

    letter: str
    sound: str
    typographic: tuple[str, ...] = ()
    modern: tuple[str, ...] = ()


RIGGS_LETTERS: tuple[RiggsLetter, ...] = (
    RiggsLetter("ŋ", "nasalises the vowel before it", typographic=("ṇ",)),
    RiggsLetter("ṡ", "sh as in she", typographic=("ś",), modern=("š",)),
    RiggsLetter("ć", "ch as in church", modern=("č",)),
    RiggsLetter("ċ", "emphatic (ejective) ch"),
    RiggsLetter("ḣ", "kh, a guttural like German ch", modern=("ȟ",)),
    RiggsLetter("ġ", "gh, a voiced guttural", typographic=("ǧ", "ğ", "ǵ")),
    RiggsLetter("ż", "zh as in azure", typographic=("ź",), modern=("ž",)),
    RiggsLetter("ḳ", "emphatic (ejective) k", typographic=("ḱ", "ķ", "k\u0307")),
    RiggsLetter("ṗ", "emphatic (ejective) p", typographic=("p\u0323", "ṕ")),
    RiggsLetter("ṭ", "emphatic (ejective) t", typographic=("ṫ", "ț", "ţ")),
)

STRESSED_VOWELS: tuple[str, ...] = ("á", "é", "í", "ó", "ú")

SPECIAL_LETTERS: frozenset[str] = frozenset([entry.letter for entry in RIGGS_LETTERS] + list(STRESSED_VOWELS))
"""The letters the orthography scorer tracks, in their canonical (folded) form."""

APOSTROPHES: tuple[str, ...] = ("'", "\u2019", "\u2018", "\u02bc", "\u02b9", "`", "\u00b4", "\u2032")
"""Apostrophe shapes that all mean the same mark; normalised to ASCII '."""

DASHES: tuple[str, ...] = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212")
"""Dash shapes normalised to ASCII hyphen-minus (segmentations are written with -)."""


class Folding(StrEnum):
    """How many variant spellings of Riggs' letters are folded into the canonical letter."""

    NONE = "none"
    TYPOGRAPHIC = "typographic"
    RIGGS = "riggs"


def _variant_pairs(folding: Folding) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for entry in RIGGS_LETTERS:
        if folding in (Folding.TYPOGRAPHIC, Folding.RIGGS):
            pairs.extend((variant, entry.letter) for variant in entry.typographic)
        if folding is Folding.RIGGS:
            pairs.extend((variant, entry.letter) for variant in entry.modern)
    return pairs


@cache
def _fold_tables(folding: Folding) -> tuple[dict[int, str], tuple[tuple[str, str], ...]]:
    """A str.translate table for one-code-point variants, and the multi-code-point rest."""
    single: dict[int, str] = {ord(mark): "'" for mark in APOSTROPHES}
    single.update({ord(dash): "-" for dash in DASHES})
    multi: list[tuple[str, str]] = []
    for variant, letter in _variant_pairs(folding):
        if len(variant) == 1:
            single[ord(variant)] = letter
        else:
            multi.append((variant, letter))
    return single, tuple(multi)


_FORMAT_CHAR_BLOCKS = ((0, 0x10000), (0x11000, 0x14000), (0x1BC00, 0x1BD00), (0x1D100, 0x1D200), (0xE0000, 0xE0080))


@cache
def _invisible_chars() -> re.Pattern[str]:
    """A pattern matching control (Cc) and format (Cf) characters except newline and tab.

    Built on first use by scanning the Unicode blocks that hold them (about 20 ms)."""
    codes = [
        code
        for start, stop in _FORMAT_CHAR_BLOCKS
        for code in range(start, stop)
        if unicodedata.category(chr(code)) in ("Cc", "Cf") and chr(code) not in "\n\t"
    ]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


def sanitize(text: str) -> str:
    """Make arbitrary model output safe to process: lone surrogates become U+FFFD,
    line endings become \\n, control and invisible format characters are dropped."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text  # the common case: nothing to drop (isprintable is false for Cc, Cf, Cs)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _invisible_chars().sub("", text)


def fold_letters(text: str, folding: Folding = Folding.RIGGS) -> str:
    """Map variant spellings to Riggs' letters (expects NFC, case-folded text)."""
    single, multi = _fold_tables(folding)
    for variant, letter in multi:
        if variant in text:
            text = text.replace(variant, letter)
    return text.translate(single)


def _is_edge_junk(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PS"


_ASCII_EDGE_JUNK = "".join(chr(code) for code in range(128) if _is_edge_junk(chr(code)))
"""The ASCII characters `_is_edge_junk` is true for, stripped in one C-level call."""


def strip_edge_punctuation(text: str) -> str:
    """Trim whitespace, punctuation and symbols (quotes, *, `, ., -) from both ends."""
    text = text.strip(_ASCII_EDGE_JUNK)
    if not text or (text[0].isascii() and text[-1].isascii()):
        return text
    start, end = 0, len(text)
    while start < end and _is_edge_junk(text[start]):
        start += 1
    while end > start and _is_edge_junk(text[end - 1]):
        end -= 1
    return text[start:end]


def normalize_form(text: str, folding: Folding = Folding.RIGGS, *, sanitized: bool = False) -> str:
    """NFC, case folding, letter folding, one apostrophe and one dash shape
    (`sanitized`: the text has been through `sanitize` already).

    No trimming: used for morpheme pieces, whose hyphens and edges matter.
    """
    if not sanitized:
        text = sanitize(text)
    if text.isascii():  # NFC is the identity and casefold is lower; no letter variant is ASCII
        return text.lower().translate(_fold_tables(folding)[0])
    text = unicodedata.normalize("NFC", text).casefold()
    text = unicodedata.normalize("NFC", text)
    return fold_letters(text, folding)


def normalize(text: str, folding: Folding = Folding.RIGGS, *, sanitized: bool = False) -> str:
    """The comparison form of an answer: `normalize_form`, whitespace collapsed to
    single spaces, and edge punctuation trimmed."""
    return strip_edge_punctuation(" ".join(normalize_form(text, folding, sanitized=sanitized).split()))


_SKELETON_EXTRA = {ord("ŋ"): "n"}


def skeleton(text: str) -> str:
    """Letters without their diacritics (ġ→g, ŋ→n, á→a), for the scorers that judge
    word shape while the orthography scorer alone judges the special letters."""
    if text.isascii():
        return text
    if len(text) <= 64:
        return _short_skeleton(text)
    return _skeleton(text)


def _skeleton(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.translate(_SKELETON_EXTRA))


_short_skeleton = lru_cache(maxsize=65536)(_skeleton)
"""Words and short answers repeat across rollouts; their skeletons are cached."""


_MARKED: dict[str, bool] = {}


def is_marked(ch: str) -> bool:
    """Whether a character carries a diacritic (or is ŋ): a Riggs letter, a stressed
    vowel, or any other marked letter a reply may write (à, ö)."""
    found = _MARKED.get(ch)
    if found is None:
        found = _MARKED[ch] = not ch.isascii() and _skeleton(ch) != ch
    return found


def marked_positions(text: str) -> list[int]:
    """The indexes of the marked characters in `text`."""
    if text.isascii():
        return []
    return [i for i, ch in enumerate(text) if not ch.isascii() and is_marked(ch)]


def special_letters(text: str) -> list[str]:
    """The special letters in normalised text, in order (repeats kept)."""
    return [ch for ch in text if ch in SPECIAL_LETTERS]


def describe_alphabet(letters: Iterable[RiggsLetter] = RIGGS_LETTERS) -> str:
    """A human-readable table of the letters and what folds into each."""
    lines = []
    for entry in letters:
        variants = ", ".join(
            [f"{v} (typographic)" for v in entry.typographic] + [f"{v} (modern)" for v in entry.modern]
        )
        lines.append(f"{entry.letter}  {entry.sound}" + (f"  <- {variants}" if variants else ""))
    return "\n".join(lines)
