"""The form labels the lexicon, the rules and the tasks share.

A label names one form of a word: a person and number (``1sg``), a possessor (``my``),
a subject-object pair (``2sg>1sg``: thou ... me), or a person with a verb form
(``1sg.refl``, ``2sg.fut``, ``2pl.imp``). The lexicon's ``attested`` column records
printed forms under these labels, and the generator asks for them.
"""

from __future__ import annotations

PERSONS = ("1sg", "2sg", "3sg", "1du", "1pl", "2pl", "3pl")
POSSESSORS = ("my", "thy", "his")
NEGATED = ("1sg.neg", "2sg.neg", "3sg.neg", "1du.neg", "1pl.neg", "2pl.neg", "3pl.neg")

OBJECTS = (
    "3sg>1sg", "3sg>2sg", "3sg>3pl", "2sg>1sg", "1sg>2sg", "1sg>3pl", "2sg>3pl",
    "3pl>1sg", "2pl>1sg", "1sg>2pl", "3pl>3pl",
)  # fmt: skip
"""subject>object: 2sg>1sg is 'thou ... me' (mayakaġa)."""
REFLEXIVE = ("3sg.refl", "2sg.refl", "1sg.refl")
POSSESSIVE_VERB = ("3sg.pos", "2sg.pos", "1sg.pos")
DATIVE = ("3sg.to", "2sg.to", "1sg.to", "3sg.for", "2sg.for", "1sg.for")
CAUSATIVE = ("caus", "caus.1sg")
FUTURE = ("3sg.fut", "1sg.fut", "2sg.fut", "1pl.fut", "3pl.fut", "3sg.fut.neg", "1sg.fut.neg")
IMPERATIVE = ("2sg.imp", "2pl.imp", "2pl.imp.neg", "2sg.imp>1sg", "2pl.imp>1pl", "2sg.imp>3pl")
REDUPLICATED = ("red", "red.1sg", "red.2sg")
NUMBER_CHANGES = ("1sg>1du", "1sg>1pl", "2sg>2pl")
"""pluralize: from the singular form to the dual or plural of the same person."""

ATTESTED = (*PERSONS, *NEGATED, *POSSESSORS, "pl", *OBJECTS, *REFLEXIVE, *POSSESSIVE_VERB, *DATIVE, *CAUSATIVE,
            *FUTURE, *IMPERATIVE, *REDUPLICATED)  # fmt: skip
"""Every label a printed form may be recorded under."""


def person_of(label: str) -> str:
    """The subject person of a label: 1sg for 1sg.fut and caus.1sg, 2sg for 2sg>1sg,
    3sg where none is named (caus, red)."""
    return next((part for part in label.split(">")[0].split(".") if part in PERSONS), "3sg")
