"""Verb forms beyond the subject pronouns: objects, reflexive, possessive and dative
verbs, causatives, the future, the imperative, and the number changes.

`derive` builds the form of an entry for one of these labels (`grammar.labels`) by the
rules of ``data/paradigms.toml`` (each cites the page of Riggs 1852 that states it),
and returns None where no cited rule builds it. It works on the person forms
`paradigms.form_for` gives, so a printed irregular person form (mda, ećamoŋ) carries
into its future (mde kta). Forms Riggs prints come first: `forms.form_for` looks in
the lexicon before it calls `derive`, and the tests check that the rules reproduce
every regular printed form.

Where a rule is only partly known it is applied only where it is: object pronouns and
the imperative with an object only on verbs the lexicon marks transitive (valency a);
the ihd- reflexive only on y-verbs in yu- and on ka- verbs; the possessive only on
y-verbs and ka- verbs (hd) and on ba-, bo-, na- verbs (ki after the prefix); the dative
only on verbs that take their pronoun at the front (and before a y-verb only kići-);
causatives and reduplications only as printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from dakota_grammar_env.grammar.labels import (
    CAUSATIVE,
    DATIVE,
    FUTURE,
    IMPERATIVE,
    NUMBER_CHANGES,
    OBJECTS,
    POSSESSIVE_VERB,
    REDUPLICATED,
    REFLEXIVE,
)  # fmt: skip
from dakota_grammar_env.grammar.lexicon import LexiconEntry
from dakota_grammar_env.grammar.paradigms import VOWELS, Inflection, form_for, morpheme

DERIVED = (*OBJECTS, *REFLEXIVE, *POSSESSIVE_VERB, *DATIVE, *CAUSATIVE, *FUTURE, *IMPERATIVE, *REDUPLICATED,
           *NUMBER_CHANGES)  # fmt: skip
"""Every label `derive` answers for."""

TRANSITIVE_CLASSES = ("active", "active-after", "y-verb")
FUTURE_PARTICLE = "kta"
FUTURE_BEFORE_NEGATION = "kte"
NEGATION = "ṡni"

_OBJECT_PRONOUNS = {
    "3sg>1sg": ("ma",), "3sg>2sg": ("ni",), "3sg>3pl": ("wića",),
    "2sg>1sg": ("ma", "ya"), "1sg>2sg": ("ći",), "1sg>3pl": ("wića", "wa"), "2sg>3pl": ("wića", "ya"),
    "3pl>1sg": ("ma",), "2pl>1sg": ("ma", "ya"), "1sg>2pl": ("ći",), "3pl>3pl": ("wića",),
}  # fmt: skip
_PLURAL_OBJECT_LABELS = ("3pl>1sg", "2pl>1sg", "1sg>2pl", "3pl>3pl")
"""A plural subject or a plural thee takes -pi on the verb: waṡtećidakapi 'I love you'."""
_REFLEXIVE_PRONOUNS = {"3sg.refl": "ići", "2sg.refl": "nići", "1sg.refl": "mići"}
_IHD_PERSONS = {"3sg.refl": "", "2sg.refl": "n", "1sg.refl": "m"}
_SUBJECT = {"3sg": "", "2sg": "ya", "1sg": "wa"}
_KI_CONTRACTED = {"3sg": "ki", "2sg": "ye", "1sg": "we"}
"""ki after wa and ya contracts: wećaġa, yećaġa (not wakićaġa)."""


def _soften(stem: str, before: str, entry: LexiconEntry) -> tuple[str, bool]:
    """A verb's k before a vowel becomes ć after a syllable in i (nićaġa, ćićute, kićaġa);
    not before a consonant (nikte) and not in adjectives."""
    if entry.pos == "verb" and before.endswith("i") and stem[:1] == "k" and stem[1:2] in VOWELS:
        return "ć" + stem[1:], True
    return stem, False


def _place(
    entry: LexiconEntry, pronouns: tuple[str, ...], at: int | None = None
) -> tuple[list[dict[str, Any]], bool] | None:
    """The lemma with `pronouns` in the pronoun slot (after `entry.insert_at` letters);
    None where the slot is before a vowel, which no cited page shows for these pronouns."""
    k = entry.insert_at if at is None else at
    left, right = entry.lemma[:k], entry.lemma[k:]
    if not right or right[0] in VOWELS:
        return None
    right, softened = _soften(right, pronouns[-1], entry)
    role = "infix" if k else "prefix"
    parts = [morpheme(left, "stem", False)] if k else []
    parts += [morpheme(p, role, True) for p in pronouns]
    parts.append(morpheme(right, "stem", False))
    return parts, softened


def _built(label: str, parts: list[dict[str, Any]], rules: list[str], extra: int = 0) -> Inflection:
    """One word from its morphemes: each required one, a pronoun inside and `extra`
    (a softened k, a changed consonant) counts as a rule application."""
    form = "".join(p["form"] for p in parts)
    complexity = sum(p["required"] for p in parts) + any(p["role"] == "infix" for p in parts) + extra
    return Inflection(label, form, tuple(parts), 0, tuple(dict.fromkeys(rules)), complexity)


def _transitive(entry: LexiconEntry) -> bool:
    return entry.pos == "verb" and entry.valency == "a" and entry.paradigm in TRANSITIVE_CLASSES


def _object(entry: LexiconEntry, label: str) -> Inflection | None:
    if not _transitive(entry):
        return None
    pronouns = _OBJECT_PRONOUNS[label]
    if entry.paradigm == "y-verb" and label not in ("3sg>1sg", "3sg>2sg", "3sg>3pl", "3pl>1sg", "3pl>3pl"):
        return None  # a y-verb's subject forms with an object pronoun are not shown on a cited page
    placed = _place(entry, pronouns)
    if placed is None:
        return None
    parts, softened = placed
    rules = ["object-pronouns"]
    if label in _PLURAL_OBJECT_LABELS:
        parts.append(morpheme("pi", "suffix", True))
        rules.append("plural-termination")
    if len(pronouns) > 1:
        rules.append("object-before-subject")
    if label == "1sg>2sg":
        rules.append("i-thee")
    if entry.insert_at:
        rules.append("pronoun-inside")
    if softened:
        rules.append("k-to-c")
    return _built(label, parts, rules, softened)


def _prefix_of(entry: LexiconEntry) -> str:
    return entry.analysis[0] if entry.analysis else ""


def _reflexive(entry: LexiconEntry, label: str) -> Inflection | None:
    if not _transitive(entry):
        return None
    if (entry.lemma.startswith("yu") and entry.paradigm == "y-verb") or _prefix_of(entry) == "ka":
        parts = [morpheme(_IHD_PERSONS[label] + "i", "prefix", True), morpheme("hd", "prefix", True)]
        parts.append(morpheme(entry.lemma[1:], "stem", False))
        return _built(label, parts, ["reflexive-ihd"], 1)
    placed = _place(entry, (_REFLEXIVE_PRONOUNS[label],))
    if placed is None:
        return None
    parts, softened = placed
    rules = ["reflexive-ici", *(["pronoun-inside"] if entry.insert_at else []), *(["k-to-c"] if softened else [])]
    return _built(label, parts, rules, softened)


def _possessive(entry: LexiconEntry, label: str) -> Inflection | None:
    if not _transitive(entry):
        return None
    subject = _SUBJECT[label.split(".")[0]]
    if (entry.lemma.startswith(("yu", "ya")) and entry.paradigm == "y-verb") or _prefix_of(entry) == "ka":
        parts = [morpheme(subject, "prefix", True)] if subject else []
        parts += [morpheme("hd", "prefix", True), morpheme(entry.lemma[1:], "stem", False)]
        return _built(label, parts, ["possessive-verb", "possessive-hd"], 1)
    if _prefix_of(entry) in ("ba", "bo", "na"):
        placed = _place(entry, (*((subject,) if subject else ()), "ki"))
        if placed is None:
            return None
        parts, _ = placed
        return _built(label, parts, ["possessive-verb", "pronoun-inside"])
    return None


def _dative(entry: LexiconEntry, label: str) -> Inflection | None:
    if not _transitive(entry) or entry.insert_at:
        return None
    person, kind = label.split(".")
    if kind == "to" and entry.paradigm == "y-verb":
        return None  # only kići- (for) is printed before a y-verb: kićiyaksa, yećiyaksa
    head = _KI_CONTRACTED[person]
    pronouns = (head,) if kind == "to" else (head, "ći")
    stem, softened = _soften(entry.lemma, "ki", entry)  # the k softens after ki even where ki contracts
    parts = [morpheme(p, "prefix", True) for p in pronouns] + [morpheme(stem, "stem", False)]
    rules = ["dative-ki" if kind == "to" else "dative-kici", *(["ki-contraction"] if person != "3sg" else [])]
    return _built(label, parts, [*rules, *(["k-to-c"] if softened else [])], softened + (person != "3sg"))


CAUSATIVE_SUFFIXES = ("kiya", "ya")


def _printed_causative(entry: LexiconEntry) -> tuple[str, str] | None:
    """The printed causative as (verb, suffix): nażiŋ + kiya, waŋyag + kiya."""
    printed = entry.attested.get("caus", "")
    suffix = next((s for s in CAUSATIVE_SUFFIXES if printed.endswith(s) and len(printed) > len(s)), None)
    return (printed[: -len(suffix)], suffix) if suffix else None


def _causative(entry: LexiconEntry) -> Inflection | None:
    """The printed causative, read as the verb and the kiya or ya after it (nażiŋ-kiya,
    mani-ya); which of the two a verb takes is known only from print, so nothing is
    built where none is printed, or where the verb is changed before it (waŋyag-kiya)."""
    found = _printed_causative(entry)
    if found is None or found[0] != entry.lemma:
        return None
    parts = [morpheme(found[0], "stem", False), morpheme(found[1], "suffix", True)]
    return _built("caus", parts, ["causative"])


def _reduplicated(entry: LexiconEntry) -> Inflection | None:
    """The printed reduplication, read as the lemma with one copied piece put beside the
    piece it copies (baksa-ksa, ipsi-psi-ća, taŋk-taŋka); which piece doubles is the
    word's own, so nothing is built where none is printed."""
    printed, lemma = entry.attested.get("red"), entry.lemma
    if printed is None or len(printed) <= len(lemma):
        return None
    size = len(printed) - len(lemma)
    for at in range(len(lemma), -1, -1):
        copy = printed[at : at + size]
        if printed[:at] + printed[at + size :] != lemma:
            continue
        if lemma[at - size : at] == copy or lemma[at : at + size] == copy:
            role = "prefix" if at == 0 else "suffix" if at == len(lemma) else "infix"
            parts = [morpheme(lemma[:at], "stem", False)] if at else []
            parts.append(morpheme(copy, role, True))
            if at < len(lemma):
                parts.append(morpheme(lemma[at:], "stem", False))
            return _built("red", parts, ["reduplication"])
    return None


def _causative_1sg(entry: LexiconEntry) -> Inflection | None:
    """The printed causative with wa- just before its kiya or ya (p. 42)."""
    found = _printed_causative(entry)
    if found is None:
        return None
    parts = [morpheme(found[0], "stem", False), morpheme("wa", "infix", True), morpheme(found[1], "suffix", True)]
    return _built("caus.1sg", parts, ["causative", "causative-pronoun"])


def _reduplicated_person(entry: LexiconEntry, label: str) -> Inflection | None:
    """The printed reduplicated verb with the subject pronoun its simple verb takes."""
    printed = entry.attested.get("red")
    if printed is None or entry.pos != "verb" or entry.paradigm not in ("active", "active-after"):
        return None
    doubled = replace(entry, lemma=printed)
    placed = _place(doubled, (_SUBJECT[label.split(".")[1]],))
    if placed is None:
        return None
    parts, _ = placed
    rules = ["reduplication", "reduplication-persons", *(["pronoun-inside"] if entry.insert_at else [])]
    return _built(label, parts, rules, 1)


def _ends_changed(word: str, entry: LexiconEntry) -> tuple[str, bool] | None:
    """The verb before kta: final a or aŋ to e where the lexicon says it changes; None
    where a word in a or aŋ is not known either way."""
    if not word.endswith(("a", "aŋ")):
        return word, False
    if entry.ablaut == "e":
        return word.removesuffix("ŋ")[:-1] + "e", True
    return (word, False) if entry.ablaut == "no" else None


def _future(entry: LexiconEntry, label: str) -> Inflection | None:
    if entry.pos not in ("verb", "adjective"):
        return None
    person = label.split(".")[0]
    base = form_for(entry, person) if person != "3sg" else None
    if person != "3sg" and base is None:
        return None
    word = base.form if base else entry.lemma
    changed = _ends_changed(word, entry)
    if changed is None:
        return None
    word, vowel = changed
    negated = label.endswith(".neg")
    rules = [*(base.rules if base else ()), "future-kta", *(["final-a-to-e"] if vowel else [])]
    particles = [FUTURE_BEFORE_NEGATION, NEGATION] if negated else [FUTURE_PARTICLE]
    if negated:
        rules += ["kta-before-sni", "negation"]
    complexity = (base.complexity if base else 0) + vowel + len(particles)
    form = " ".join([word, *particles])
    morphemes = tuple(morpheme(p, "particle", True) for p in particles[:1])
    return Inflection(label, form, morphemes, 1, tuple(dict.fromkeys(rules)), complexity)


_IMPERATIVE_SIGN = {
    "2sg.imp": "wo", "2pl.imp": "po", "2pl.imp.neg": "po", "2sg.imp>1sg": "wo", "2pl.imp>1pl": "po",
    "2sg.imp>3pl": "wo",
}  # fmt: skip
_IMPERATIVE_OBJECT = {"2sg.imp>1sg": "ma", "2pl.imp>1pl": "uŋ", "2sg.imp>3pl": "wića"}


def _imperative(entry: LexiconEntry, label: str) -> Inflection | None:
    if entry.pos != "verb":
        return None
    sign = _IMPERATIVE_SIGN[label]
    rules = ["imperative"]
    if ">" in label:
        if not _transitive(entry) or entry.paradigm == "y-verb":
            return None
        placed = _place(entry, (_IMPERATIVE_OBJECT[label],))
        if placed is None:
            return None
        parts, _ = placed
        rules += ["object-pronouns", *(["pronoun-inside"] if entry.insert_at else [])]
    else:
        if label not in entry.attested:
            return None  # the blind lemma + wo would answer every plain command: only printed ones are asked
        parts = [morpheme(entry.lemma, "stem", False)]
        if label == "2pl.imp.neg":
            parts += [morpheme("pi", "suffix", True), morpheme(NEGATION, "particle", True)]
            rules += ["imperative-negative", "negation"]
    parts.append(morpheme(sign, "particle", True))
    word = "".join(p["form"] for p in parts if p["role"] != "particle")
    particles = [p["form"] for p in parts if p["role"] == "particle"]
    complexity = sum(p["required"] for p in parts)
    form = " ".join([word, *particles])
    return Inflection(label, form, (morpheme(sign, "particle", True),), len(particles), tuple(rules), complexity)


def _number_change(entry: LexiconEntry, label: str) -> Inflection | None:
    """The dual or plural form, where the singular it starts from exists too; it keeps
    its own label (1pl), so where it is printed it is cited and counted as printed."""
    source, target = label.split(">")
    return form_for(entry, target) if form_for(entry, source) is not None else None


_BUILDERS: dict[str, Callable[[LexiconEntry, str], Inflection | None]] = {
    **dict.fromkeys(OBJECTS, _object),
    **dict.fromkeys(REFLEXIVE, _reflexive),
    **dict.fromkeys(POSSESSIVE_VERB, _possessive),
    **dict.fromkeys(DATIVE, _dative),
    **dict.fromkeys(FUTURE, _future),
    **dict.fromkeys(IMPERATIVE, _imperative),
    **dict.fromkeys(NUMBER_CHANGES, _number_change),
    "caus": lambda entry, _: _causative(entry),
    "caus.1sg": lambda entry, _: _causative_1sg(entry),
    "red": lambda entry, _: _reduplicated(entry),
    "red.1sg": _reduplicated_person,
    "red.2sg": _reduplicated_person,
}
assert set(_BUILDERS) == set(DERIVED)


def derive(entry: LexiconEntry, label: str) -> Inflection | None:
    """The form of `entry` for a derived label; None where no cited rule builds it."""
    if label not in _BUILDERS:
        raise ValueError(f"{label!r} is not a derived label (known: {list(DERIVED)})")
    return _BUILDERS[label](entry, label)
