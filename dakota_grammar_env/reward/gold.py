"""What a task's gold answer requires, read once from the task's `info` in either schema.

The gold is the normalised references (the answer and its accepted variants), what the
prompt hands over (``info.baseline``: the candidates of `dakota_grammar_env.reward.baseline`,
with the base form always among them), and, for person-and-number answers, the slots.

The affix requirements are read too, for the probe and the data audit (the reward
itself works from the baseline). Two schemas describe them:

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

from dakota_grammar_env.reward.affix import AffixRequirement, label_parts
from dakota_grammar_env.reward.baseline import Baseline, closest_baseline, split_units
from dakota_grammar_env.reward.hedges import separator_allowance
from dakota_grammar_env.reward.orthography import Folding, marked_positions, normalize, normalize_form, skeleton
from dakota_grammar_env.reward.slots import gold_slots

SPAN_LIMIT_MIN_CHARS = 400
SPAN_LIMIT_GOLD_FACTOR = 3
"""A span longer than max(400, 3 x the longest reference) characters counts as no answer:
no reply to these tasks needs that much, and scoring it would only reward padding."""

AFFIX_ROLES = frozenset({"prefix", "suffix", "infix", "particle", "clitic"})


class GoldError(ValueError):
    """A task's info cannot describe its gold answer (names the field at fault)."""


@dataclass(frozen=True)
class GoldSpec:
    """A task's gold, normalised: accepted references, what the prompt hands over, and
    the affix requirements. Built once per task and reused for every rollout."""

    task_id: str
    task_type: str
    difficulty: str
    answer: str
    references: tuple[str, ...]
    baseline_candidates: tuple[str, ...]
    baseline_source: str
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
    def baseline_by_skeleton(self) -> dict[str, str]:
        """Each candidate's skeleton -> the first candidate with that skeleton, sorted so
        that the closest candidate does not depend on the order the data lists them in."""
        found: dict[str, str] = {}
        for text in self.baseline_candidates:
            found.setdefault(skeleton(text), text)
        return dict(sorted(found.items()))

    @cached_property
    def morpheme_cuts(self) -> frozenset[int]:
        """Offsets in the gold answer where one of its required morphemes starts or ends."""
        starts = [0]
        for word in self.gold_words:
            starts.append(starts[-1] + len(word) + 1)
        return frozenset(starts[req.word_index] + offset for req in self.affixes for offset in (req.start, req.end))

    @cached_property
    def baselines(self) -> tuple[Baseline, ...]:
        """For each reference, the closest baseline candidate and the edits left to make.
        The gold's edits are cut where its morphemes meet: ma- and ya- in mayakaġa are
        two pieces of progress, each realised or not on its own."""
        found = [
            closest_baseline(reference, self.baseline_by_skeleton, display)
            for reference, display in zip(self.reference_skeletons, self.references, strict=True)
        ]
        found[0] = split_units(found[0], self.morpheme_cuts, self.references[0])
        return tuple(found)

    @cached_property
    def marked(self) -> tuple[int, ...]:
        """For each reference, how many letters with diacritics (or ŋ) it has."""
        return tuple(len(marked_positions(reference)) for reference in self.references)

    @cached_property
    def separator_allowance(self) -> dict[str, int]:
        """How often the references may use each hedge separator (`hedges`)."""
        return separator_allowance(self.references)

    @cached_property
    def slots(self) -> dict[str, str] | None:
        """The person and number of a closed answer (every reference such a label)."""
        readings = [gold_slots(reference) for reference in self.references]
        if readings[0] is None or any(reading != readings[0] for reading in readings):
            return None
        return readings[0]


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
        parts = [(kind, normalize_form(text, folding)) for kind, text in label_parts(label)]
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
    given = [normalize(text, folding) for text in _strings(info.get("baseline"), "baseline")]
    candidates = tuple(dict.fromkeys(text for text in (*base_forms, *given) if text))
    source = info.get("baseline_source")
    if source is not None and not isinstance(source, str):
        raise GoldError(f"info.baseline_source must be a string, got {source!r}")
    if source is None:
        source = "info" if "baseline" in info else "base_form" if base_forms else "none"
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
        baseline_candidates=candidates,
        baseline_source=source,
        affixes=affixes,
        dropped_affix_labels=dropped,
        folding=folding,
    )
