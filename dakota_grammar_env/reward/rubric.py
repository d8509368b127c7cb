"""`DakotaGrammarRubric`: score a reply against a gold answer and explain the score.

Pure Python (no verifiers, wandb or prime-rl), so the same rubric runs inside the v1
taskset, the seed-era adapter, the CLI and the tests.

An exact answer earns 1. Anything else earns partial credit only for progress beyond
what the prompt already hands over (its baseline: the given form, the construction the
instruction names, see `dakota_grammar_env.reward.baseline`), at most ``partial_cap``:

- ``novel``: the share of the edits from the baseline to the gold that the reply makes,
  each all or nothing, in place (``ya-`` for ``wa-``, ``-pi`` after the stem);
- ``char_overlap``: the reply's letter similarity to the gold (edit distance on the
  letter skeleton, a swap of two letters one slip), above a chance floor, so that a
  constant or a random word earns nothing; where the novel units do not apply, above
  the baseline's own similarity too;
- ``orthography``: F1 of the gold's marked letters (ŋ ṡ ġ á ...) kept at aligned
  positions; they carry ``weights.ortho`` of the credit;
- ``slots``: for person-and-number answers, instead of the three above: the share of
  slots right beyond what a rule of thumb on the form gets (`dakota_grammar_env.reward.slots`),
  so a closed answer is, in effect, right or wrong.

The factors multiply, so a reply must make the changes the prompt did not give *and*
keep the rest to earn much. A reply that names several candidates (`hedges`) or copies
the baseline (up to diacritics) earns 0; a span much longer than the gold is shrunk by
the length penalty. The arithmetic is in `dakota_grammar_env.reward.ledger`. Difficulty is
recorded, never used as a multiplier.
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

from dakota_grammar_env.reward.baseline import letter_similarity, units_realised
from dakota_grammar_env.reward.extraction import extract_answer
from dakota_grammar_env.reward.gold import GoldSpec, build_gold
from dakota_grammar_env.reward.hedges import several_candidates
from dakota_grammar_env.reward.ledger import (
    FIELDS,
    LEDGER_VERSION,
    RewardLedger,
    combine,
    composite,
    gain,
    length_penalty,
)
from dakota_grammar_env.reward.orthography import Folding, marked_positions, normalize, skeleton
from dakota_grammar_env.reward.slots import SLOT_BASELINE, read_slots, slot_share

DEFAULT_PARTIAL_CAP = 0.5
"""The most any answer that is not an exact match can earn."""

DEFAULT_CHAR_FLOOR = 0.5
"""The letter similarity that earns nothing even where the prompt gives nothing: a random
word of about the gold's length reaches 0.2-0.4, a one-letter slip 0.75 and more."""

GOLD_CACHE_SIZE = 65536
"""Distinct (answer, info) pairs whose gold is kept; the cache restarts when full."""

REMOVED_WEIGHTS = frozenset({"exact", "char", "affix"})


@dataclass(frozen=True)
class RewardWeights:
    """The weights of the reward. Version 2 has one: ``ortho``, the share of the partial
    credit that the marked letters carry (a reply with none of them right keeps
    ``1 - ortho`` of it). Exact match always earns 1, and the other factors multiply."""

    ortho: float = 0.25

    def __post_init__(self) -> None:
        value = self.ortho
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
            raise ValueError(f"weight 'ortho' must be a number in [0, 1], got {value!r}")

    @classmethod
    def coerce(cls, value: RewardWeights | Mapping[str, float] | None) -> RewardWeights:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        removed = REMOVED_WEIGHTS & set(value)
        if removed:
            raise ValueError(
                f"weights {sorted(removed)} were removed in reward v2 (ledger 2): exact match always earns 1, and "
                "partial credit is novel x char_overlap x orthography, so the only weight left is 'ortho'"
            )
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown weight names {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        return cls(**value)


def orthography_f1(span: str, reference: str, reference_marked: int | None = None) -> float:
    """F1 of marked letters: a letter counts as kept only where the alignment of span
    and reference pairs it with the same letter (an anagram or a sprinkle keeps few)."""
    positions = marked_positions(span)
    ref_total = len(marked_positions(reference)) if reference_marked is None else reference_marked
    if not positions or not ref_total:
        return 0.0 if positions or ref_total else 1.0
    kept = 0
    for tag, start, stop, _, _ in Levenshtein.opcodes(span, reference):
        if tag == "equal":
            kept += bisect_left(positions, stop) - bisect_left(positions, start)
    return 2 * kept / (len(positions) + ref_total)


class DakotaGrammarRubric:
    """Scores replies to Dakota grammar tasks; every score comes with its ledger row."""

    def __init__(
        self,
        weights: RewardWeights | Mapping[str, float] | None = None,
        partial_cap: float = DEFAULT_PARTIAL_CAP,
        folding: Folding | str = Folding.RIGGS,
        char_floor: float = DEFAULT_CHAR_FLOOR,
    ) -> None:
        if not isinstance(partial_cap, (int, float)) or not 0.0 <= partial_cap < 1.0:
            raise ValueError(f"partial_cap must be in [0, 1), got {partial_cap!r}")
        if not isinstance(char_floor, (int, float)) or not 0.0 <= char_floor < 1.0:
            raise ValueError(f"char_floor must be in [0, 1), got {char_floor!r}")
        self.weights = RewardWeights.coerce(weights)
        self.partial_cap = float(partial_cap)
        self.char_floor = float(char_floor)
        self.folding = Folding(folding)
        self._template = _template(self)
        self._latest: ContextVar[RewardLedger | None] = ContextVar(f"dakota_ledger_{id(self)}", default=None)
        self._gold_cache: dict[tuple[str, str], tuple[Any, GoldSpec]] = {}

    @property
    def signature(self) -> str:
        """The rubric's parameters in one line, recorded in every ledger row."""
        return (
            f"dakota-grammar-rubric|ledger:{LEDGER_VERSION}|fold:{self.folding.value}|sim:osa-skeleton"
            f"|floor:{self.char_floor:g}|w:ortho={self.weights.ortho:g}|slots:{SLOT_BASELINE:g}"
            f"|cap:{self.partial_cap:g}"
        )

    def gold(self, answer: str, info: Mapping[str, Any] | None = None) -> GoldSpec:
        """The task's gold, read from its answer and info (cached by their content: by
        task id, checked against a copy of the info, or by the info's text)."""
        task_id = info.get("task_id") if isinstance(info, Mapping) else None
        key = (answer, task_id) if isinstance(task_id, str) else (answer, repr(info))
        cached = self._gold_cache.get(key)
        if cached is not None and (cached[0] is None or cached[0] == info):
            return cached[1]
        if len(self._gold_cache) >= GOLD_CACHE_SIZE:
            self._gold_cache.clear()
        spec = build_gold(answer, info, self.folding)
        self._gold_cache[key] = (copy.deepcopy(info) if isinstance(task_id, str) else None, spec)
        return spec

    def score(
        self,
        completion: str | Sequence[Mapping[str, Any]] | None,
        answer: str,
        info: Mapping[str, Any] | None = None,
    ) -> RewardLedger:
        """Score one reply; returns its ledger (also kept for `get_reward_ledger`)."""
        return self.score_gold(completion, self.gold(answer, info))

    def get_reward_ledger(self) -> RewardLedger | None:
        """The ledger of the latest `score` in this thread or asyncio task (None before
        any); concurrent rollouts never see each other's ledgers."""
        return self._latest.get()

    def score_gold(self, completion: str | Sequence[Mapping[str, Any]] | None, gold: GoldSpec) -> RewardLedger:
        """Score one reply against an already-built `GoldSpec`."""
        extraction = extract_answer(completion)
        span, parse_error = extraction.span, extraction.error
        span_norm = ""
        if span is not None and len(span) > gold.span_limit:
            span, parse_error = None, "span_too_long"
        if span is not None:
            span_norm = normalize(span, self.folding, sanitized=True)  # extraction sanitised the reply
            if not span_norm:
                span, parse_error = None, "empty_answer"
        parse_ok = span is not None
        row = self._blank_row(gold, extraction.method if parse_ok else None, parse_error, span, span_norm)
        if gold.slots is not None:
            exact = self._score_slots(row, gold, span_norm)
        else:
            exact = self._score_form(row, gold, span_norm)
        row["exact_match_raw"] = row["exact_match_norm"] = 1.0 if exact else 0.0
        matched = row["matched_reference"]
        span_chars, matched_chars = len(span_norm), len(matched)
        span_words = span_norm.count(" ") + 1 if span_norm else 0
        matched_words = matched.count(" ") + 1
        penalty = length_penalty(span_chars, matched_chars, span_words, matched_words)
        row["length_penalty_raw"] = span_chars / matched_chars
        row["length_penalty_norm"] = penalty
        row["span_chars"] = span_chars
        row["reference_chars"] = matched_chars
        row["span_words"] = span_words
        row["reference_words"] = matched_words
        row["composite_predicted"] = composite(row)
        partial, reward = combine(exact, row["composite_predicted"], penalty, self.partial_cap)
        row["partial_credit"], row["reward_scalar"] = partial, reward
        ledger = RewardLedger.trusted(row)
        self._latest.set(ledger)
        return ledger

    def _score_form(self, row: dict[str, Any], gold: GoldSpec, span_norm: str) -> bool:
        """Forms and glosses: novel edits, letter similarity, marked letters."""
        references = gold.references
        exact = bool(span_norm) and span_norm in references
        span_skeleton = skeleton(span_norm)
        if exact:
            best, char_raw = references.index(span_norm), 1.0
        elif len(references) == 1:
            best, char_raw = 0, letter_similarity(span_skeleton, gold.reference_skeletons[0])
        else:
            scores = [letter_similarity(span_skeleton, reference) for reference in gold.reference_skeletons]
            best = max(range(len(scores)), key=scores.__getitem__)
            char_raw = scores[best]
        reference = references[best]
        baseline = gold.baselines[best]
        # Where the novel units apply they carry "beyond the prompt", and the letters only
        # measure slips; elsewhere the letters must beat the baseline's own similarity too.
        char_baseline = self.char_floor if baseline.novel_applies else max(self.char_floor, baseline.similarity)
        row["matched_reference"] = reference
        row["baseline_text"] = baseline.text
        row["char_overlap_applicable"] = True
        row["char_overlap_raw"] = char_raw
        row["char_overlap_baseline"] = char_baseline
        row["char_overlap_norm"] = gain(char_raw, char_baseline)
        if span_norm and not exact:
            row["hedge"] = several_candidates(span_norm, references, reference, gold.separator_allowance)
            row["input_copied"] = span_skeleton in gold.baseline_by_skeleton
        if baseline.novel_applies:
            realised = units_realised(baseline.units, span_skeleton, gold.reference_skeletons[best])
            count = sum(realised)
            row["novel_applicable"] = True
            row["novel_units"] = len(realised)
            row["novel_realised"] = count
            row["novel_missing"] = "; ".join(
                unit.text for unit, done in zip(baseline.units, realised, strict=True) if not done
            )
            row["novel_raw"] = row["novel_norm"] = count / len(realised)
        marked = gold.marked[best]
        if marked or not span_norm.isascii():
            ortho_raw = 1.0 if exact else orthography_f1(span_norm, reference, marked)
            if marked or ortho_raw < 1.0:
                row["orthography_applicable"] = True
                row["orthography_raw"] = ortho_raw
                row["orthography_norm"] = ortho_raw
        return exact

    def _score_slots(self, row: dict[str, Any], gold: GoldSpec, span_norm: str) -> bool:
        """Person-and-number answers: each slot right or wrong, beyond `SLOT_BASELINE`."""
        reading = read_slots(span_norm)
        share = slot_share(reading, gold.slots) if span_norm else 0.0
        exact = bool(span_norm) and (span_norm in gold.references or share == 1.0)
        row.update(
            matched_reference=gold.references[0],
            slots_applicable=True,
            slots_raw=share,
            slots_baseline=SLOT_BASELINE,
            slots_norm=gain(share, SLOT_BASELINE),
        )
        if span_norm and not exact:
            row["hedge"] = reading.hedge()
        return exact

    def _blank_row(
        self, gold: GoldSpec, method: str | None, parse_error: str | None, span: str | None, span_norm: str
    ) -> dict[str, Any]:
        """A row in `FIELDS` order with every component not applying yet."""
        row = self._template.copy()
        row["task_id"] = gold.task_id
        row["task_type"] = gold.task_type
        row["difficulty"] = gold.difficulty
        row["parse_ok"] = span is not None
        row["parse_method"] = method
        row["parse_error"] = parse_error
        row["span"] = span
        row["span_normalised"] = span_norm
        row["matched_reference"] = gold.references[0]
        row["baseline_source"] = gold.baseline_source
        return row


def _template(rubric: DakotaGrammarRubric) -> dict[str, Any]:
    """The fields every row of `rubric` starts from, in `FIELDS` order."""
    row = dict.fromkeys(FIELDS)
    row.update(
        ledger_version=LEDGER_VERSION,
        hedge=None,
        input_copied=False,
        baseline_text="",
        exact_match_raw=0.0,
        exact_match_norm=0.0,
        novel_applicable=False,
        char_overlap_applicable=False,
        orthography_applicable=False,
        w_ortho=rubric.weights.ortho,
        slots_applicable=False,
        length_penalty_raw=0.0,
        length_penalty_norm=1.0,
        span_chars=0,
        reference_chars=0,
        span_words=0,
        reference_words=0,
        composite_predicted=0.0,
        partial_cap=rubric.partial_cap,
        partial_credit=0.0,
        reward_scalar=0.0,
        rubric_signature=rubric.signature,
    )
    return row
