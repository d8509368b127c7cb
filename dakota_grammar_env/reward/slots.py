"""Closed answers scored as slots: person and number, each right or wrong.

An answer such as ``second person singular`` is a choice from a set the prompt lists,
not a string to spell, so it is read as slots, never compared letter by letter: any
wording that names the same person and number is right (``2nd person, singular``,
``2sg``; a one-letter slip in a label word still reads as that word), and a reply that
names two values for one slot (``first person singular/plural``) is a hedge.

A closed answer earns partial credit only for slots beyond `SLOT_BASELINE`, the share
of slots a reply gets right without the grammar: on every analyze task a rule of thumb
on the form's ending (``-pi``: plural; none: singular or first person) gets one of the
two slots right, so one slot right earns nothing and a closed answer is, in effect,
right (all slots) or wrong. A missing slot counts as wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

SLOT_NAMES = ("person", "number")
SLOT_BASELINE = 0.5
"""The share of slots right that earns nothing: what a rule of thumb on the form's
ending gets (measured by the probe's ``surface_rule`` policy: one slot on every task)."""

_WORDS = {
    "person": {"first": "1", "1st": "1", "second": "2", "2nd": "2", "third": "3", "3rd": "3"},
    "number": {
        "singular": "sg", "sing": "sg", "sg": "sg", "dual": "du", "du": "du", "plural": "pl", "plur": "pl", "pl": "pl",
    },
}  # fmt: skip
_FILLER = frozenset({"person", "number", "the", "and", "in", "of", "is", "it", "form"})
_COMPACT = re.compile(r"^([123])(?:st|nd|rd)?(sg|du|pl)?$")
_TOKEN = re.compile(r"[a-z0-9]+")
_FUZZY_MIN_LENGTH = 4
_FUZZY_TARGETS = tuple(word for words in _WORDS.values() for word in words if len(word) >= _FUZZY_MIN_LENGTH)
_FUZZY_TARGETS += ("person",)


@dataclass(frozen=True)
class SlotReading:
    """The slot values a text names (several where it hedges), and its other words."""

    values: dict[str, frozenset[str]]
    other_words: int

    def single(self) -> dict[str, str] | None:
        """slot -> value when every slot has exactly one value."""
        if all(len(self.values[name]) == 1 for name in SLOT_NAMES):
            return {name: next(iter(self.values[name])) for name in SLOT_NAMES}
        return None

    def hedge(self) -> str | None:
        """Why the text counts as several candidates, if it does."""
        for name in SLOT_NAMES:
            if len(self.values[name]) > 1:
                return f"several values for {name}: {'|'.join(sorted(self.values[name]))}"
        return None


@lru_cache(maxsize=4096)
def _word(token: str) -> tuple[str, str] | str | None:
    """(slot, value), 'filler', or None for a word that names no slot."""
    for slot, words in _WORDS.items():
        if token in words:
            return slot, words[token]
    if token in _FILLER:
        return "filler"
    if len(token) >= _FUZZY_MIN_LENGTH:
        near = [target for target in _FUZZY_TARGETS if OSA.distance(token, target, score_cutoff=1) <= 1]
        if len(near) == 1:
            return _word(near[0])
    return None


def read_slots(text: str) -> SlotReading:
    """The person and number values named in `text` (normalised, case-folded)."""
    values: dict[str, set[str]] = {name: set() for name in SLOT_NAMES}
    other = 0
    for token in _TOKEN.findall(text.casefold()):
        if match := _COMPACT.match(token):
            values["person"].add(match.group(1))
            if match.group(2):
                values["number"].add(match.group(2))
            continue
        found = _word(token)
        if isinstance(found, tuple):
            values[found[0]].add(found[1])
        elif found is None:
            other += 1
    return SlotReading({name: frozenset(v) for name, v in values.items()}, other)


def gold_slots(reference: str) -> dict[str, str] | None:
    """The slots of a reference that is nothing but a person-and-number label, else None."""
    reading = read_slots(reference)
    return reading.single() if reading.other_words == 0 else None


def slot_share(reading: SlotReading, gold: dict[str, str]) -> float:
    """The share of slots the reading gets right (a missing or hedged slot is wrong)."""
    right = sum(reading.values[name] == {gold[name]} for name in SLOT_NAMES)
    return right / len(SLOT_NAMES)
