"""Inflect a lexicon entry: the forms Riggs prints first, the paradigm rules after.

`form_for` returns the form the lexicon says Riggs prints for that word and person
(irregular verbs, possessed nouns that change their final vowel, ...), and only where
none is printed the form `inflect` builds by the rules of ``data/paradigms.toml``. Each
rule there cites the page of Riggs (1852) that states it; the code here is the rule's
mechanics, and every form records the ids of the rules it used (a test checks those ids
exist in the table). A form that would need a rule no page supports is not built:
`inflect` returns None and no task is made from it (for example a pronoun inside a word
before a vowel, the possessed form of a noun in -a whose final vowel may change, or the
negation of a word whose final-vowel behaviour is unknown).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from dakota_grammar_env.grammar.lexicon import LexiconEntry
from dakota_grammar_env.grammar.sources import MAIN, cite

VERBAL = ("active", "active-after", "y-verb", "stative", "stative-after")
NOMINAL = ("possess-mi", "possess-mita")
VOWELS = frozenset("aeiou")
NEGATION = "ṡni"


@dataclass(frozen=True)
class Inflection:
    """A built form: the answer text, its segmentation, and the rules behind it."""

    label: str
    form: str
    morphemes: tuple[dict[str, Any], ...]
    target_word: int
    rules: tuple[str, ...]
    complexity: int
    """How many rule applications it takes (1 = one affix at the word's edge)."""

    @property
    def segmentation(self) -> str:
        """The target word with its morphemes joined by hyphens (wa-kaġa, ma-wa-ni)."""
        return "-".join(m["form"] for m in self.morphemes if m["role"] != "particle")


@cache
def paradigm_table(path: str | None = None) -> dict[str, Any]:
    """The rules and person labels of ``data/paradigms.toml`` (or another file)."""
    source = Path(path) if path else Path(str(resources.files("dakota_grammar_env").joinpath("data", "paradigms.toml")))
    with source.open("rb") as handle:
        table = tomllib.load(handle)
    table["rules_by_id"] = {rule["id"]: rule for rule in table["rule"]}
    return table


def rule_citation(rule: dict[str, Any]) -> str:
    """Where a rule of ``paradigms.toml`` is stated: 'Riggs 1852, Grammar p. 9 (§ 15)'."""
    return cite(MAIN, rule.get("part", "grammar"), rule["page"], rule["section"])


def morpheme(form: str, role: str, required: bool) -> dict[str, Any]:
    return {"form": form, "role": role, "required": required}


def _pronoun(entry: LexiconEntry, pronoun: str, suffix: str = "") -> tuple[str, tuple[dict[str, Any], ...]] | None:
    """`pronoun` at the front, or inside after `entry.insert_at` letters; then `suffix`.
    uŋ before a word that begins with a vowel (and takes wa- at the front or after that
    vowel) is uŋk- at the front, as Riggs prints uŋkasni, uŋkopapi; None for any other
    meeting of uŋ and a vowel, which no cited page shows."""
    stem, k = entry.lemma, entry.insert_at
    if pronoun == "uŋ" and stem[0] in VOWELS:
        if k > 1:
            return None
        pronoun, k = "uŋk", 0
    elif pronoun == "uŋ" and stem[k] in VOWELS:
        return None
    parts: list[dict[str, Any]] = []
    if k:
        parts.append(morpheme(stem[:k], "stem", False))
    parts.append(morpheme(pronoun, "infix" if k else "prefix", True))
    parts.append(morpheme(stem[k:], "stem", False))
    if suffix:
        parts.append(morpheme(suffix, "suffix", True))
    return "".join(p["form"] for p in parts), tuple(parts)


def _y_verb(entry: LexiconEntry, replacement: str, suffix: str = "") -> tuple[str, tuple[dict[str, Any], ...]]:
    parts = [morpheme(replacement, "prefix", True), morpheme(entry.lemma[1:], "stem", False)]
    if suffix:
        parts.append(morpheme(suffix, "suffix", True))
    return "".join(p["form"] for p in parts), tuple(parts)


_ACTIVE = {"1sg": ("wa", ""), "2sg": ("ya", ""), "1du": ("uŋ", ""), "1pl": ("uŋ", "pi"), "2pl": ("ya", "pi")}
_STATIVE = {"1sg": ("ma", ""), "2sg": ("ni", ""), "1du": ("uŋ", ""), "1pl": ("uŋ", "pi"), "2pl": ("ni", "pi")}
_Y_VERB = {"1sg": ("md", ""), "2sg": ("d", ""), "2pl": ("d", "pi")}
_POSSESSIVE = {"possess-mi": {"my": "mi", "thy": "ni"}, "possess-mita": {"my": "mita", "thy": "nita", "his": "ta"}}


def _rules_for(entry: LexiconEntry, label: str) -> tuple[str, ...]:
    rules: list[str] = []
    front_uŋk = label in ("1du", "1pl") and entry.lemma[0] in VOWELS and entry.insert_at <= 1
    if entry.paradigm == "y-verb":
        rules.append("y-verbs")
    elif label in ("1sg", "2sg", "2pl"):
        rules.append("stative-pronouns" if entry.paradigm.startswith("stative") else "active-pronouns")
    if label in ("1du", "1pl"):
        rules.append("dual-before-vowel" if front_uŋk else "dual-and-plural")
    if label in ("1pl", "2pl", "3pl"):
        rules.append("plural-termination")
    if entry.insert_at and label != "3pl" and not front_uŋk:
        rules.append("pronoun-inside")
    return tuple(dict.fromkeys(rules))


def inflect(entry: LexiconEntry, label: str) -> Inflection | None:
    """The form of `entry` for a person label (1sg 2sg 1du 1pl 2pl 3pl), a possessor
    (my thy his) or a negation (3sg.neg 1sg.neg); None when no cited rule builds it."""
    if label.endswith(".neg"):
        return _negate(entry, label.removesuffix(".neg"))
    if entry.paradigm in NOMINAL:
        return _possess(entry, label)
    if entry.paradigm not in VERBAL:
        return None
    built: tuple[str, tuple[dict[str, Any], ...]] | None
    if label == "3pl":
        built = entry.lemma + "pi", (morpheme(entry.lemma, "stem", False), morpheme("pi", "suffix", True))
    elif entry.paradigm == "y-verb":
        if label not in _Y_VERB:
            return None
        built = _y_verb(entry, *_Y_VERB[label])
    else:
        table = _STATIVE if entry.paradigm.startswith("stative") else _ACTIVE
        if label not in table:
            return None
        built = _pronoun(entry, *table[label])
    if built is None:
        return None
    form, morphemes = built
    required = sum(m["required"] for m in morphemes)
    inside = any(m["role"] == "infix" for m in morphemes)
    complexity = required + inside + (entry.paradigm == "y-verb")
    return Inflection(label, form, morphemes, 0, _rules_for(entry, label), complexity)


def _possess(entry: LexiconEntry, label: str) -> Inflection | None:
    prefix = _POSSESSIVE[entry.paradigm].get(label)
    if prefix is None:
        return None
    rules = ["possessive-mi" if entry.paradigm == "possess-mi" else "possessive-mita"]
    if label != "my" and (parallel := _parallel_to_printed_my(entry, label)) is not None:
        return parallel
    stem, complexity = entry.lemma, 1
    if entry.paradigm == "possess-mita":
        if stem.endswith("a"):
            return None  # some nouns in -a change it to -e when possessed (mitaṡuŋke); which is not known
        if stem.startswith("wo"):
            prefix, stem = prefix[:-1], stem[1:]  # mita + wowaṡte > mitowaṡte
            complexity += 1
        elif stem[0] in ("o", "i"):
            prefix = prefix[:-1]  # mita- > mit- before o and i
            complexity += 1
    morphemes = (morpheme(prefix, "prefix", True), morpheme(stem, "stem", False))
    return Inflection(label, prefix + stem, morphemes, 0, tuple(rules), complexity)


_MY_PREFIXES = {"possess-mi": ("mi",), "possess-mita": ("mita", "mit")}


def _parallel_to_printed_my(entry: LexiconEntry, label: str) -> Inflection | None:
    """thy / his built on the stem of a printed my-form the rules do not build (mitaoŋṡpe
    keeps its a: nitaoŋṡpe, taoŋṡpe; mitaṡuŋke changes a to e: nitaṡuŋke, taṡuŋke)."""
    printed = entry.attested.get("my")
    built = _possess(entry, "my") if printed else None
    if printed is None or (built is not None and built.form == printed):
        return None
    mine = next((p for p in _MY_PREFIXES[entry.paradigm] if printed.startswith(p)), None)
    if mine is None:
        return None
    prefix = "n" + mine[1:] if label == "thy" else mine[2:]
    stem = printed[len(mine) :]
    rules = ("possessive-mi" if entry.paradigm == "possess-mi" else "possessive-mita", "possessive-parallel")
    morphemes = (morpheme(prefix, "prefix", True), morpheme(stem, "stem", False))
    return Inflection(label, prefix + stem, morphemes, 0, rules, 1 + (stem != entry.lemma))


IRREGULAR_COMPLEXITY = 3
"""A printed form the rules do not build has to be known by heart: a hard task."""


def form_for(entry: LexiconEntry, label: str) -> Inflection | None:
    """The printed form when the lexicon has one for `label`, else the rules' form.
    A printed form the rules also build keeps its segmentation; an irregular one has
    none (no affix requirement is made up for it)."""
    printed = entry.attested.get(label)
    built = inflect(entry, label)
    if printed is None:
        return built
    if built is not None and built.form == printed:
        return built
    target = 1 if label.endswith(".neg") else 0
    morphemes = (morpheme(NEGATION, "particle", True),) if target else ()
    return Inflection(label, printed, morphemes, target, ("printed",), IRREGULAR_COMPLEXITY)


def _negate(entry: LexiconEntry, person: str) -> Inflection | None:
    if entry.paradigm not in VERBAL:
        return None
    base = form_for(entry, person) if person != "3sg" else None
    if person != "3sg" and base is None:
        return None
    word = base.form if base else entry.lemma
    rules = [*(base.rules if base else ()), "negation"]
    complexity = (base.complexity if base else 0) + 1
    if word.endswith("a"):
        if entry.ablaut == "":
            return None  # whether the final a changes is not known for this word
        if entry.ablaut == "e":
            word = word[:-1] + "e"
            rules.append("final-a-to-e")
            complexity += 1
    morphemes = (morpheme(NEGATION, "particle", True),)
    return Inflection(f"{person}.neg", f"{word} {NEGATION}", morphemes, 1, tuple(rules), complexity)
