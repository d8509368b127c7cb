"""Affix requirements: the affix occurrences a task's data says its gold carries.

A requirement is an affix *occurrence in the gold answer*: its text and where it sits
(which word, which characters). The data audit and cleaner check Dakota1890 affix
labels against them, and the probe builds its affix-on-the-wrong-stem hack from them.
The reward does not read them: it judges a reply by the edits from the prompt's
baseline to the gold (`dakota_grammar_env.reward.baseline`), which need no annotation.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def label_parts(label: str) -> list[tuple[str, str]]:
    """('prefix'|'suffix'|'infix'|'word', text) pieces of one Dakota1890-style affix label
    (``wa-``, ``-pi``, ``-ya-``, ``ni-pi``, ``ṡni``)."""
    text = label.strip()
    if text.startswith("-") and text.endswith("-") and len(text) > 2:
        return [("infix", text[1:-1])]
    if text.endswith("-") and len(text) > 1:
        return [("prefix", text[:-1])]
    if text.startswith("-") and len(text) > 1:
        return [("suffix", text[1:])]
    if "-" in text.strip("-"):
        head, _, tail = text.partition("-")
        return [("prefix", head), ("suffix", tail)]
    return [("word", text)]
