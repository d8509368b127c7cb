"""Find the answer span in a model reply, so that only the final answer is scored.

Reasoning is never scored: everything up to the last ``</think>`` is dropped, and a
reply whose reasoning never closes has no answer at all (gold buried in unfinished
reasoning earns nothing). What is left is searched, in this order, for

1. the last line ``Answer: ...`` (also ``Final answer:``, markdown-bold, or the answer
   on the line right after a bare ``Answer:``), which the system prompt asks for;
2. the last ``\\boxed{...}``;
3. a short bare reply: one line of at most `BARE_REPLY_MAX_WORDS` words.

Anything else is unparsed. (The rubric also treats a span far longer than the gold
as unparsed; see `DakotaGrammarRubric`.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from dakota_grammar_env.reward.orthography import sanitize

BARE_REPLY_MAX_WORDS = 10

_THINK_OPEN = re.compile(r"<(think|thinking)>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</(think|thinking)>", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"[\s*_#>]*(?:final\s+)?answer[\s*_]*[:：][\s*_]*(.*)", re.IGNORECASE)
_BOXED = "\\boxed{"


class Extraction(NamedTuple):
    """Where the answer came from: `span` is None when the reply has no answer (a named
    tuple: one is made for every rollout scored)."""

    span: str | None
    method: str | None
    error: str | None = None

    @property
    def parse_ok(self) -> bool:
        return self.span is not None


def _failure(error: str) -> Extraction:
    return Extraction(span=None, method=None, error=error)


def completion_text(completion: str | Sequence[Mapping[str, Any]] | None) -> str:
    """The text of the final assistant turn, from a string or a chat message list."""
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    for message in reversed(list(completion)):
        if message.get("role", "assistant") == "assistant":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, Sequence):
                return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
            return ""
    return ""


def strip_reasoning(text: str) -> str | None:
    """The reply after its reasoning, or None when the reasoning never closes."""
    if "<" not in text:
        return text
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    if _THINK_OPEN.search(text):
        return None
    return text


def _boxed_content(text: str) -> str | None:
    start = text.rfind(_BOXED)
    if start < 0:
        return None
    depth, begin = 1, start + len(_BOXED)
    for pos in range(begin, len(text)):
        char = text[pos]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[begin:pos]
    return None


def _answer_line(lines: list[str]) -> str | None:
    for index in range(len(lines) - 1, -1, -1):
        match = _ANSWER_LINE.match(lines[index])
        if match is None:
            continue
        rest = match.group(1).strip()
        if not rest:
            following = [line.strip() for line in lines[index + 1 :] if line.strip()]
            rest = following[0] if following else ""
        boxed = _boxed_content(rest)
        return boxed if boxed is not None else rest
    return None


def extract_answer(completion: str | Sequence[Mapping[str, Any]] | None) -> Extraction:
    """Find the final answer span of a reply (see the module docstring for the rules)."""
    text = sanitize(completion_text(completion))
    reply = strip_reasoning(text)
    if reply is None:
        return _failure("unterminated_reasoning")
    reply = reply.strip()
    if not reply:
        return _failure("empty")
    lines = reply.split("\n")
    span = _answer_line(lines)
    method = "answer_line"
    if span is None:
        span, method = _boxed_content(reply), "boxed"
    if span is None:
        non_empty = [line for line in lines if line.strip()]
        if len(non_empty) == 1 and len(non_empty[0].split()) <= BARE_REPLY_MAX_WORDS:
            span, method = non_empty[0], "bare"
    if span is None:
        return _failure("no_answer_found")
    span = span.strip()
    if not span:
        return _failure("empty_answer")
    return Extraction(span=span, method=method)
