"""Affix requirements and whether an answer realises them, in place, on the right word.

A requirement is an affix *occurrence in the gold answer*: its text and where it sits
(which word, which characters). An answer realises it only when

1. the affix occurs in the answer in the same kind of place: word-initial, word-final,
   inside the word after the same left part (skeleton-equal), or as a whole word; and
2. the rest of the answer, with that occurrence cut out, still matches the rest of the
   gold, with that occurrence cut out, at `RESIDUE_SIMILARITY` or better.

Condition 2 ties the affix to the word that corresponds to the target form: the right
affix on the wrong stem, on one of several hedged candidates, or alone, earns nothing.
Both checks run on the letter skeleton (no diacritics), because diacritics are the
orthography scorer's business; one slip should not cost twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from dakota_grammar_env.orthography import skeleton

RESIDUE_SIMILARITY = 0.6
"""Normalised Levenshtein similarity the answer's remainder must reach (1 = identical)."""


@dataclass(frozen=True)
class AffixRequirement:
    """One affix occurrence in the gold answer (normalised text, character offsets
    within the gold word `word_index`)."""

    form: str
    word_index: int
    start: int
    end: int
    label: str

    def position(self, word: str) -> str:
        if self.start == 0 and self.end == len(word):
            return "word"
        if self.start == 0:
            return "initial"
        if self.end == len(word):
            return "final"
        return "internal"


def _cut(words: Sequence[str], index: int, start: int, end: int) -> str:
    """`words` joined by spaces, with characters start:end of word `index` removed."""
    word = words[index]
    parts = [*words[:index], word[:start] + word[end:], *words[index + 1 :]]
    return " ".join(part for part in parts if part)


def _occurrences(word: str, form: str) -> list[int]:
    found, pos = [], word.find(form)
    while pos >= 0:
        found.append(pos)
        pos = word.find(form, pos + 1)
    return found


def is_realised(requirement: AffixRequirement, answer_words: Sequence[str], gold_words: Sequence[str]) -> bool:
    """Whether normalised `answer_words` realise `requirement` on normalised `gold_words`."""
    gold_sk = [skeleton(word) for word in gold_words]
    answer_sk = [skeleton(word) for word in answer_words]
    target = gold_sk[requirement.word_index]
    # Offsets are in the normalised gold word; skeleton keeps one char per char
    # except where a combining sequence collapses, so recompute them on the skeleton.
    form = skeleton(requirement.form)
    start = len(skeleton(gold_words[requirement.word_index][: requirement.start]))
    end = start + len(form)
    if target[start:end] != form:
        raise ValueError(f"affix requirement {requirement} does not match its gold word {target!r}")
    place = requirement.position(gold_words[requirement.word_index])
    gold_rest = _cut(gold_sk, requirement.word_index, start, end)
    left = target[:start]
    for index, word in enumerate(answer_sk):
        for pos in _occurrences(word, form):
            stop = pos + len(form)
            if place == "word" and (pos != 0 or stop != len(word)):
                continue
            if place == "initial" and (pos != 0 or stop == len(word)):
                continue
            if place == "final" and (pos == 0 or stop != len(word)):
                continue
            if place == "internal" and (word[:pos] != left or stop == len(word)):
                continue
            answer_rest = _cut(answer_sk, index, pos, stop)
            if Levenshtein.normalized_similarity(answer_rest, gold_rest) >= RESIDUE_SIMILARITY:
                return True
    return False


def affix_score(
    requirements: tuple[AffixRequirement, ...], answer_words: Sequence[str], gold_words: Sequence[str]
) -> tuple[float, int]:
    """The share of requirements realised, and how many were."""
    realised = sum(is_realised(req, answer_words, gold_words) for req in requirements)
    return realised / len(requirements), realised
