"""Cross-check the generated forms against the forms the Dakota1890 data attests.

That data was machine-extracted from Riggs' grammar: noisy, but the largest set of
attested Dakota forms with glosses there is. A generated form (a lemma, or an inflected
answer) is *attested* when the same form (normalised) is a Dakota text of a row that
gives it an English gloss. It *agrees* when that gloss shares a content word with what
the generated task says the form means, and names no other person (a form we build as
'I ...' glossed there as 'thou ...' disagrees). Disagreements are not hidden: the
datasheet lists each one with the reason it was judged the way it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dakota_grammar_env.grammar.labels import NUMBER_CHANGES, person_of
from dakota_grammar_env.grammar.prompts import FORM_FAMILIES
from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.tasks.task import GrammarTask

INFLECTED = tuple(FORM_FAMILIES)
"""Families whose answer is a form of the lemma: every one is checked."""
PERSON_WORDS = {
    "1sg": {"i", "me", "my", "mine"},
    "2sg": {"thou", "thee", "thy", "thine", "you", "your"},
    "1du": {"we", "us", "our"},
    "1pl": {"we", "us", "our"},
    "2pl": {"you", "ye", "your"},
    "3pl": {"they", "them", "their"},
    "3sg": {"he", "she", "it", "him", "her", "his"},
    "my": {"my", "mine", "i"},
    "thy": {"thy", "thine", "thou", "your"},
    "his": {"his", "her", "he", "she"},
}
ALL_PERSON_WORDS = frozenset().union(*PERSON_WORDS.values())
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "is",
        "be",
        "are",
        "am",
        "was",
        "were",
        "it",
        "one",
        "that",
        "this",
        "with",
        "for",
        "in",
        "on",
        "at",
        "by",
        "and",
        "or",
        "not",
        "no",
        "do",
        "does",
        "did",
    ]
)
_WORD = re.compile(r"[a-z]+")


IRREGULAR_ENGLISH = {
    "done": "do", "did": "do", "dead": "die", "died": "die", "made": "make", "went": "go", "gone": "go",
    "said": "say", "saw": "see", "seen": "see", "came": "come", "took": "take", "taken": "take", "ate": "eat",
    "eaten": "eat", "gave": "give", "given": "give", "thought": "think", "brought": "bring", "knew": "know",
    "known": "know", "told": "tell", "stood": "stand", "sat": "sit", "ran": "run", "shot": "shoot",
}  # fmt: skip
"""English past forms that a gloss of a Dakota form may use for the verb we gloss."""


def _stem(word: str) -> str:
    word = IRREGULAR_ENGLISH.get(word, word)
    for ending in ("est", "eth", "ing", "ed", "es", "s", "e"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    if len(word) > 3 and word[-1] == word[-2]:
        word = word[:-1]  # runnest > runn > run
    return word.removesuffix("e")


def content_words(text: str) -> set[str]:
    """Lower-case English content words, crudely stemmed (makest, makes, made -> mak);
    when a gloss is nothing but function words and pronouns ('this', 'my, mine'), those."""
    words = _WORD.findall(text.casefold())
    content = {_stem(word) for word in words if word not in STOPWORDS and word not in ALL_PERSON_WORDS}
    return content or set(words)


@dataclass(frozen=True)
class Attestation:
    gloss: str
    where: str


def attested_forms(paths: Iterable[Path]) -> dict[str, list[Attestation]]:
    """Normalised Dakota form -> the glosses Dakota1890 rows give it (row `dakota_text`
    with the English answer of word and sentence translations; alternatives written
    'a / b' count separately; rows defining grammatical terms are not glosses)."""
    found: dict[str, list[Attestation]] = {}
    for path in paths:
        with Path(path).open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                row = json.loads(line)
                info = row.get("info") or {}
                text, gloss = info.get("dakota_text"), row.get("answer")
                if info.get("task_type") not in ("word_translation", "sentence_translation"):
                    continue
                if str(info.get("rule_id", "")).startswith("term_"):
                    continue  # a definition of a grammatical term, not a translation
                if not isinstance(text, str) or not isinstance(gloss, str) or not gloss.strip():
                    continue
                for form in text.split(" / "):
                    key = normalize(form)
                    if key:
                        found.setdefault(key, []).append(Attestation(gloss.strip(), f"{Path(path).name}:{number}"))
    return found


@dataclass(frozen=True)
class Claim:
    """What the generated data says a form means."""

    form: str
    person: str | None
    glosses: tuple[str, ...]
    task_ids: tuple[str, ...]


@dataclass
class CrossCheck:
    checked: int = 0
    attested: int = 0
    agreed: int = 0
    disagreements: list[tuple[Claim, list[Attestation]]] = field(default_factory=list)

    @property
    def disagreed(self) -> int:
        return len(self.disagreements)

    def summary(self) -> str:
        return (
            f"{self.checked} generated forms checked, {self.attested} attested in Dakota1890, "
            f"{self.agreed} agree, {self.disagreed} disagree"
        )


def claims(tasks: Sequence[GrammarTask]) -> list[Claim]:
    """One claim per distinct (form, person): lemmas from gloss tasks, answers of the
    inflection tasks."""
    merged: dict[tuple[str, str | None], Claim] = {}
    for task in tasks:
        if task.task_type == "dakota_to_english":
            form, person, glosses = task.lemma or "", None, (task.answer, *task.accepted)
        elif task.task_type in INFLECTED:
            form, person, glosses = task.answer, _subject(str(task.source.get("form"))), (task.gloss or "",)
        else:
            continue
        key = (normalize(form), person)
        old = merged.get(key)
        task_ids = (*old.task_ids, task.task_id) if old else (task.task_id,)
        merged[key] = Claim(form, person, tuple(dict.fromkeys((*(old.glosses if old else ()), *glosses))), task_ids)
    return sorted(merged.values(), key=lambda claim: (normalize(claim.form), claim.person or ""))


def _subject(label: str) -> str:
    """The person a form's gloss should name: the subject's (2sg for 2sg>1sg, 1sg for
    1sg.fut), or, for a number change (1sg>1pl), the person the form is in; possessors
    stand for themselves."""
    if label in ("my", "thy", "his"):
        return label
    if label == "pl":
        return "3pl"
    if label in NUMBER_CHANGES:
        return label.split(">")[1]
    return person_of(label)


def _agrees(claim: Claim, attestation: Attestation) -> bool:
    theirs = attestation.gloss.casefold()
    ours = set().union(*(content_words(g) for g in claim.glosses))
    if not ours & content_words(theirs):
        return False
    if claim.person is None:
        return True
    person = claim.person.removesuffix(".neg")
    mentioned = set(_WORD.findall(theirs)) & ALL_PERSON_WORDS
    return not mentioned or bool(mentioned & PERSON_WORDS[person])


def crosscheck(tasks: Sequence[GrammarTask], attested: dict[str, list[Attestation]]) -> CrossCheck:
    result = CrossCheck()
    for claim in claims(tasks):
        result.checked += 1
        found = attested.get(normalize(claim.form))
        if not found:
            continue
        result.attested += 1
        if any(_agrees(claim, attestation) for attestation in found):
            result.agreed += 1
        else:
            result.disagreements.append((claim, found))
    return result
