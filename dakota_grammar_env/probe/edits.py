"""Small edits to a text, for the probe: the cosmetic changes a prompt-only policy makes
to the form the prompt gives (they must earn nothing), and the honest slips a near miss
makes to the gold (they must earn clearly more than any prompt-only policy). Each
returns None where it cannot apply."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from dakota_grammar_env.reward.orthography import is_marked, skeleton


def _middle_letter(text: str) -> int | None:
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    return positions[len(positions) // 2] if positions else None


def _first_vowel(text: str) -> int | None:
    return next((i for i, ch in enumerate(text) if ch in "aeiou"), None)


def _accent(text: str, mark: str) -> str | None:
    i = _first_vowel(text)
    return None if i is None else text[:i] + unicodedata.normalize("NFC", text[i] + mark) + text[i + 1 :]


def _doubled(text: str) -> str | None:
    i = _middle_letter(text)
    return None if i is None else text[: i + 1] + text[i:]


def _appended(text: str) -> str | None:
    return text + text[-1] if text and text[-1].isalpha() else None


def _deleted(text: str) -> str | None:
    i = _middle_letter(text)
    return None if i is None or len(text) < 3 else text[:i] + text[i + 1 :]


def _hyphenated(text: str) -> str | None:
    i = _middle_letter(text)
    return None if i is None or i == 0 else text[:i] + "-" + text[i:]


def _changed(text: str) -> str | None:
    positions = [i for i, ch in enumerate(text) if ch.isascii() and ch.isalpha()]
    if not positions:
        return None
    i = positions[len(positions) // 2]
    return text[:i] + ("a" if text[i].lower() != "a" else "e") + text[i + 1 :]


def _swapped(text: str) -> str | None:
    for i in range(len(text) // 2, len(text) - 1):
        if text[i].isalpha() and text[i + 1].isalpha() and text[i] != text[i + 1]:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return None


def _undotted(text: str) -> str | None:
    text = unicodedata.normalize("NFC", text)
    for i, ch in enumerate(text):
        if is_marked(ch.casefold()):
            return text[:i] + skeleton(ch) + text[i + 1 :]
    return None


COSMETIC: tuple[tuple[str, Callable[[str], str | None], str], ...] = (
    ("grave_accent", lambda t: _accent(t, "\u0300"), "a grave accent on its first vowel"),
    ("stress_accent", lambda t: _accent(t, "\u0301"), "a stress accent on its first vowel"),
    ("letter_doubled", _doubled, "its middle letter doubled"),
    ("letter_appended", _appended, "its last letter repeated"),
    ("letter_deleted", _deleted, "its middle letter deleted"),
    ("hyphen_inserted", _hyphenated, "a hyphen in the middle"),
)
SLIPS: tuple[tuple[str, Callable[[str], str | None], str], ...] = (
    ("letter_changed", _changed, "one letter changed"),
    ("letter_deleted", _deleted, "one letter deleted"),
    ("letters_swapped", _swapped, "two neighbouring letters swapped"),
    ("diacritic_missing", _undotted, "one diacritic dropped"),
)
