"""`DakotaGrammarRubric`: score a reply against a gold answer and explain the score.

Pure Python (no verifiers, wandb or prime-rl), so the same rubric runs inside the v1
taskset, the seed-era adapter, the CLI and the tests. Components:

- ``exact_match``: the normalised span equals the gold or an accepted variant;
- ``char_overlap``: chrF (sacrebleu's definition) of the span against the references,
  on the letter skeleton, so a missing diacritic costs only in ``orthography``;
- ``affix``: the share of required affixes realised in place on the word that
  corresponds to the target form (see `dakota_grammar_env.affix`); absent for tasks
  that require none;
- ``orthography``: F1 of the gold's special letters kept, at aligned positions, in the
  span; absent when the gold has none;
- a length penalty that multiplies the composite of a span much longer than the gold.

How they combine, and the partial-credit cap, are documented in
`dakota_grammar_env.ledger`. Difficulty is recorded, never used as a multiplier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

from dakota_grammar_env import affix as affix_module
from dakota_grammar_env.chrf import CharF
from dakota_grammar_env.extraction import extract_answer
from dakota_grammar_env.gold import GoldSpec, build_gold
from dakota_grammar_env.ledger import LEDGER_VERSION, RewardLedger, combine, composite, length_penalty
from dakota_grammar_env.orthography import SPECIAL_LETTERS, Folding, normalize, skeleton

DEFAULT_PARTIAL_CAP = 0.5
"""The most any answer that is not an exact match can earn."""

GOLD_CACHE_SIZE = 65536
"""Distinct (answer, info) pairs whose gold is kept; the cache restarts when full."""


@dataclass(frozen=True)
class RewardWeights:
    """Relative weights of the components; renormalised over those that apply."""

    exact: float = 0.4
    char: float = 0.3
    affix: float = 0.2
    ortho: float = 0.1

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"weight {name!r} must be a finite number >= 0, got {value!r}")
        if sum(asdict(self).values()) <= 0:
            raise ValueError("at least one weight must be positive")

    @classmethod
    def coerce(cls, value: RewardWeights | Mapping[str, float] | None) -> RewardWeights:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown weight names {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        return cls(**value)


def orthography_f1(span: str, reference: str) -> float:
    """F1 of special letters: a letter counts as kept only where the alignment of span
    and reference pairs it with the same letter (an anagram or a sprinkle keeps few)."""
    span_total = sum(ch in SPECIAL_LETTERS for ch in span)
    ref_total = sum(ch in SPECIAL_LETTERS for ch in reference)
    if span_total + ref_total == 0:
        return 0.0
    kept = 0
    for tag, start, stop, _, _ in Levenshtein.opcodes(span, reference):
        if tag == "equal":
            kept += sum(ch in SPECIAL_LETTERS for ch in span[start:stop])
    return 2 * kept / (span_total + ref_total)


class DakotaGrammarRubric:
    """Scores replies to Dakota grammar tasks; every score comes with its ledger row."""

    def __init__(
        self,
        weights: RewardWeights | Mapping[str, float] | None = None,
        partial_cap: float = DEFAULT_PARTIAL_CAP,
        folding: Folding | str = Folding.RIGGS,
        chrf: CharF | None = None,
    ) -> None:
        if not isinstance(partial_cap, (int, float)) or not 0.0 <= partial_cap < 1.0:
            raise ValueError(f"partial_cap must be in [0, 1), got {partial_cap!r}")
        self.weights = RewardWeights.coerce(weights)
        self.partial_cap = float(partial_cap)
        self.folding = Folding(folding)
        self.chrf = chrf or CharF()
        self._signature = self.signature
        self._weights_by_case = {
            (affix, ortho): self._effective_weights(affix, ortho) for affix in (False, True) for ortho in (False, True)
        }
        self._latest: ContextVar[RewardLedger | None] = ContextVar(f"dakota_ledger_{id(self)}", default=None)
        self._gold_cache: dict[tuple[str, str], GoldSpec] = {}

    @property
    def signature(self) -> str:
        """The rubric's parameters in one line, recorded in every ledger row."""
        w = self.weights
        return (
            f"dakota-grammar-rubric|ledger:{LEDGER_VERSION}|fold:{self.folding.value}|{self.chrf.signature}"
            f"|w:exact={w.exact:g},char={w.char:g},affix={w.affix:g},ortho={w.ortho:g}"
            f"|cap:{self.partial_cap:g}|residue:{affix_module.RESIDUE_SIMILARITY:g}"
        )

    def gold(self, answer: str, info: Mapping[str, Any] | None = None) -> GoldSpec:
        """The task's gold, read from its answer and info (cached by their content)."""
        key = (answer, repr(info))
        spec = self._gold_cache.get(key)
        if spec is None:
            if len(self._gold_cache) >= GOLD_CACHE_SIZE:
                self._gold_cache.clear()
            spec = self._gold_cache[key] = build_gold(answer, info, self.folding)
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
            span_norm = normalize(span, self.folding)
            if not span_norm:
                span, parse_error = None, "empty_answer"
        parse_ok = span is not None

        exact = parse_ok and span_norm in gold.references
        input_copied = parse_ok and not exact and span_norm in gold.base_forms
        keep = 0.0 if input_copied else 1.0  # a copy of the starting form earns no partial credit

        span_skeleton = skeleton(span_norm)
        if span_skeleton and span_skeleton in gold.reference_skeletons:
            best, char_raw = gold.reference_skeletons.index(span_skeleton), 100.0  # what chrF gives identical text
        else:
            scores = self.chrf.scores(span_skeleton, gold.reference_skeletons)
            best = max(range(len(scores)), key=scores.__getitem__)
            char_raw = scores[best]
        matched = gold.references[best]

        span_words = span_norm.split(" ") if span_norm else []
        affix_raw: float | None = None
        realised = 0
        if gold.affixes:
            affix_raw, realised = affix_module.affix_score(gold.affixes, span_words, gold.gold_words)
        ortho_raw = orthography_f1(span_norm, gold.references[0]) if gold.has_special_letters else None

        weights = self._weights_by_case[bool(gold.affixes), gold.has_special_letters]
        matched_words = matched.count(" ") + 1
        penalty = length_penalty(len(span_norm), len(matched), len(span_words), matched_words)
        row: dict[str, Any] = {
            "ledger_version": LEDGER_VERSION,
            "task_id": gold.task_id,
            "task_type": gold.task_type,
            "difficulty": gold.difficulty,
            "parse_ok": parse_ok,
            "parse_method": extraction.method if parse_ok else None,
            "parse_error": parse_error,
            "span": span,
            "span_normalised": span_norm,
            "matched_reference": matched,
            "input_copied": input_copied,
            "exact_match_raw": 1.0 if exact else 0.0,
            "exact_match_norm": 1.0 if exact else 0.0,
            "w_exact": weights["exact"],
            "char_overlap_raw": char_raw,
            "char_overlap_norm": keep * (char_raw / 100.0),
            "w_char": weights["char"],
            "affix_applicable": affix_raw is not None,
            "affix_raw": affix_raw,
            "affix_norm": None if affix_raw is None else keep * affix_raw,
            "w_affix": weights["affix"],
            "affix_required": gold.affix_labels,
            "affix_realised": realised,
            "affix_labels_dropped": ";".join(gold.dropped_affix_labels),
            "orthography_applicable": ortho_raw is not None,
            "orthography_raw": ortho_raw,
            "orthography_norm": None if ortho_raw is None else keep * ortho_raw,
            "w_ortho": weights["ortho"],
            "length_penalty_raw": len(span_norm) / len(matched),
            "length_penalty_norm": penalty,
            "span_chars": len(span_norm),
            "reference_chars": len(matched),
            "span_words": len(span_words),
            "reference_words": matched_words,
            "composite_predicted": 0.0,
            "partial_cap": self.partial_cap,
            "reward_scalar": 0.0,
            "rubric_signature": self._signature,
        }
        row["composite_predicted"] = composite(row)
        row["reward_scalar"] = combine(exact, row["composite_predicted"], penalty, self.partial_cap)
        ledger = RewardLedger.trusted(row)
        self._latest.set(ledger)
        return ledger

    def _effective_weights(self, affix_applicable: bool, ortho_applicable: bool) -> dict[str, float]:
        configured = asdict(self.weights)
        applies = {"exact": True, "char": True, "affix": affix_applicable, "ortho": ortho_applicable}
        total = math.fsum(value for name, value in configured.items() if applies[name])
        return {name: (value / total if applies[name] and total > 0 else 0.0) for name, value in configured.items()}
