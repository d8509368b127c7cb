"""What a task's gold answer requires, read once from the task's `info` in either schema.

Two schemas reach the rubric:

- the project's own (``morphemes``: the gold's segmentation with roles, and which
  affixes the task asks for), where affix requirements are exact;
- the Dakota1890 schema (``required_affixes`` labels such as ``"wa-"``, ``"-pi"``),
  whose labels are noisy. A label counts only when the gold answer itself carries that
  affix in that place and the form the task starts from (``base_form``) does not;
  every other label is dropped and listed in the ledger. A task left with no
  requirement has no affix component at all, rather than a free one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dakota_grammar_env.affix import AffixRequirement
from dakota_grammar_env.orthography import SPECIAL_LETTERS, Folding, normalize, normalize_form, skeleton

SPAN_LIMIT_MIN_CHARS = 400
SPAN_LIMIT_GOLD_FACTOR = 3
"""A span longer than max(400, 3 x the longest reference) characters counts as no answer:
no reply to these tasks needs that much, and scoring it would only reward padding."""

AFFIX_ROLES = frozenset({"prefix", "suffix", "infix", "particle", "clitic"})


class GoldError(ValueError):
    """A task's info cannot describe its gold answer (names the field at fault)."""


@dataclass(frozen=True)
class GoldSpec:
    """A task's gold, normalised: accepted references, the starting form(s), and the
    affix requirements. Built once per task and reused for every rollout."""

    task_id: str
    task_type: str
    difficulty: str
    answer: str
    references: tuple[str, ...]
    base_forms: tuple[str, ...]
    affixes: tuple[AffixRequirement, ...]
    dropped_affix_labels: tuple[str, ...]
    folding: Folding

    @cached_property
    def gold_words(self) -> tuple[str, ...]:
        return tuple(self.references[0].split(" "))

    @cached_property
    def reference_skeletons(self) -> tuple[str, ...]:
        return tuple(skeleton(ref) for ref in self.references)

    @cached_property
    def span_limit(self) -> int:
        return max(SPAN_LIMIT_MIN_CHARS, SPAN_LIMIT_GOLD_FACTOR * max(map(len, self.references)))

    @cached_property
    def affix_labels(self) -> str:
        return ";".join(req.label for req in self.affixes)

    @cached_property
    def has_special_letters(self) -> bool:
        return any(ch in SPECIAL_LETTERS for ch in self.references[0])


def content_id(answer: str, info: Mapping[str, Any] | None) -> str:
    """A stable id for a task that brings none: a hash of its answer and info."""
    blob = json.dumps([answer, dict(info or {})], sort_keys=True, ensure_ascii=False, default=str)
    return "sha-" + hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _strings(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return list(value)
    raise GoldError(f"info.{field} must be a string or a list of strings, got {value!r}")


def _morpheme_requirements(
    morphemes: Any, target_word: Any, gold_words: list[str], folding: Folding
) -> tuple[AffixRequirement, ...]:
    if not isinstance(morphemes, Sequence) or isinstance(morphemes, str):
        raise GoldError(f"info.morphemes must be a list of objects, got {morphemes!r}")
    if not morphemes:
        return ()
    if not isinstance(target_word, int) or not 0 <= target_word < len(gold_words):
        raise GoldError(
            f"info.target_word must index a word of the answer (0..{len(gold_words) - 1}), got {target_word!r}"
        )
    pieces, offset, found = [], 0, []
    for number, morpheme in enumerate(morphemes):
        if not isinstance(morpheme, Mapping) or not isinstance(morpheme.get("form"), str):
            raise GoldError(f"info.morphemes[{number}] needs a string 'form', got {morpheme!r}")
        form = normalize_form(morpheme["form"], folding)
        role = morpheme.get("role", "stem")
        required = morpheme.get("required", role in AFFIX_ROLES)
        if required and form:
            label = (
                morpheme["form"]
                if role in ("stem", "particle", "clitic")
                else {
                    "prefix": f"{morpheme['form']}-",
                    "suffix": f"-{morpheme['form']}",
                    "infix": f"-{morpheme['form']}-",
                }[role]
            )
            found.append(AffixRequirement(form, target_word, offset, offset + len(form), label))
        pieces.append(form)
        offset += len(form)
    word = "".join(pieces)
    if word != gold_words[target_word]:
        raise GoldError(f"info.morphemes spell {word!r}, not answer word {target_word} {gold_words[target_word]!r}")
    return tuple(found)


def _label_parts(label: str) -> list[tuple[str, str]]:
    """('prefix'|'suffix'|'infix'|'word', text) pieces of one Dakota1890 affix label."""
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


def _locate(kind: str, form: str, words: list[str]) -> tuple[int, int] | None:
    """(word index, start offset) of the first place the gold carries `form` as `kind`."""
    for index, word in enumerate(words):
        if kind == "word" and word == form:
            return index, 0
        if len(word) <= len(form):
            continue
        if kind == "prefix" and word.startswith(form):
            return index, 0
        if kind == "suffix" and word.endswith(form):
            return index, len(word) - len(form)
        if kind == "infix":
            pos = word.find(form, 1)
            if pos > 0 and pos + len(form) < len(word):
                return index, pos
    return None


def _label_requirements(
    labels: list[str], gold_words: list[str], base_words: list[str], folding: Folding
) -> tuple[tuple[AffixRequirement, ...], tuple[str, ...]]:
    kept: list[AffixRequirement] = []
    dropped: list[str] = []
    for label in labels:
        parts = [(kind, normalize_form(text, folding)) for kind, text in _label_parts(label)]
        placed = [(_locate(kind, form, gold_words), form) for kind, form in parts]
        in_base = any(_locate(kind, form, base_words) for kind, form in parts if form)
        if not parts or in_base or any(not form or where is None for where, form in placed):
            dropped.append(label)
            continue
        for (index, start), form in placed:  # type: ignore[misc]
            kept.append(AffixRequirement(form, index, start, start + len(form), label))
    return tuple(dict.fromkeys(kept)), tuple(dropped)


def build_gold(answer: str, info: Mapping[str, Any] | None, folding: Folding = Folding.RIGGS) -> GoldSpec:
    """Read the gold of one task from its answer and info (either schema)."""
    if not isinstance(answer, str):
        raise GoldError(f"answer must be a string, got {type(answer).__name__}")
    info = info or {}
    if not isinstance(info, Mapping):
        raise GoldError(f"info must be an object, got {type(info).__name__}")
    gold = normalize(answer, folding)
    accepted = [normalize(text, folding) for text in _strings(info.get("accepted"), "accepted")]
    references = tuple(dict.fromkeys(ref for ref in [gold, *accepted] if ref))
    if not references:
        raise GoldError("the gold answer is empty after normalisation")
    gold_words = references[0].split(" ")
    base_forms = tuple(dict.fromkeys(normalize(text, folding) for text in _strings(info.get("base_form"), "base_form")))
    base_words = [word for form in base_forms for word in form.split(" ")]
    dropped: tuple[str, ...] = ()
    if "morphemes" in info:
        affixes = _morpheme_requirements(info["morphemes"], info.get("target_word", 0), gold_words, folding)
    else:
        labels = _strings(info.get("required_affixes"), "required_affixes")
        affixes, dropped = _label_requirements(labels, gold_words, base_words, folding)
    task_id = info.get("task_id") or info.get("id") or content_id(answer, info)
    return GoldSpec(
        task_id=str(task_id),
        task_type=str(info.get("task_type", "unknown")),
        difficulty=str(info.get("difficulty", "unknown")),
        answer=answer,
        references=references,
        base_forms=tuple(form for form in base_forms if form),
        affixes=affixes,
        dropped_affix_labels=dropped,
        folding=folding,
    )
