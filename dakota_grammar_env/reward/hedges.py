"""Replies that name several candidates instead of one answer earn nothing.

With partial credit, a hedge such as ``wakaġa/yakaġa`` would collect the credit of
whichever candidate is closer; with three candidates, hedging would beat guessing. A
span counts as several candidates when

- it holds a separator (``/ | \\ ; , ( [ { & + ~ =``, `` or ``, `` and ``, `` vs ``,
  ``...``) more often than every reference does, so ``to cut off (knife)`` may keep
  its parentheses while ``yadaka (wayadaka)`` may not; or
- it has more words than the reference and two of them resemble the same word of the
  reference (skeleton similarity at least `RESEMBLANCE`): ``yadaka wayadaka``.

Closed answers (person and number) have their own test, in `dakota_grammar_env.reward.slots`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from dakota_grammar_env.reward.baseline import similarity
from dakota_grammar_env.reward.orthography import skeleton

SEPARATORS = ("/", "|", "\\", ";", ",", "(", "[", "{", "&", "+", "~", "=", " or ", " and ", " vs ", "...", "…")
RESEMBLANCE = 0.5
MIN_WORD_LENGTH = 3
"""Words shorter than this (``to``, ``a``) are never counted as candidates."""


SEPARATOR_CHARACTERS = frozenset("".join(SEPARATORS).replace(" ", ""))
_SEPARATOR_PATTERN = re.compile(
    "|".join(re.escape(separator) for separator in sorted(SEPARATORS, key=len, reverse=True))
)


def separator_allowance(references: Sequence[str]) -> dict[str, int]:
    """How many times each separator may occur: as often as some reference has it."""
    return {separator: max(reference.count(separator) for reference in references) for separator in SEPARATORS}


def several_candidates(span: str, references: Sequence[str], matched: str, allowance: Mapping[str, int]) -> str | None:
    """Why the normalised `span` names several candidates, or None when it names one.
    `matched` is the reference the span is scored against; `allowance` comes from
    `separator_allowance` of the references."""
    if " " not in span and SEPARATOR_CHARACTERS.isdisjoint(span):
        return None
    found = _SEPARATOR_PATTERN.findall(span)
    for separator in dict.fromkeys(found):
        if found.count(separator) > allowance[separator]:
            return f"separator {separator.strip() or separator!r}"
    words = span.split(" ")
    gold_words = matched.split(" ")
    if len(words) <= len(gold_words):
        return None
    for word_skeleton in (skeleton(word) for word in gold_words):
        resembling = [
            word
            for word in words
            if len(word) >= MIN_WORD_LENGTH and similarity(skeleton(word), word_skeleton) >= RESEMBLANCE
        ]
        if len(resembling) >= 2:
            return f"several candidates for {word_skeleton!r}: {' | '.join(resembling)}"
    return None
