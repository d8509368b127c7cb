"""The reward ledger: one flat row per scored rollout that explains its reward.

A row holds every component's raw value (in its natural unit), its normalised value
in [0, 1], the weight it was given, the weighted composite, the length penalty, the
partial-credit cap and the final `reward_scalar`. The arithmetic that turns those
fields into the reward lives here, in `combine`, and nowhere else; `verify_row`
recomputes a row's reward from the row alone, so any row (from a trace, a CSV, W&B)
can be checked after the fact.

The reward:

    composite_predicted = sum(w_c * c_norm for each applicable component c)
    reward_scalar       = 1.0                                      if exact match
                        = min(partial_cap, composite_predicted * length_penalty_norm)  otherwise

Weights of the applicable components are renormalised to sum to 1; a component that
does not apply to a task (no affix asked for, no special letter in the gold) has
weight 0 and no value, so it is never paid for free. An answer that only repeats the
form the task starts from (`input_copied`) gets 0 for every partial component.
`partial_cap` is below 1, so no partial answer ever earns what a correct one does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

LEDGER_VERSION = 1

COMPONENTS: tuple[tuple[str, str], ...] = (
    ("exact_match", "w_exact"),
    ("char_overlap", "w_char"),
    ("affix", "w_affix"),
    ("orthography", "w_ortho"),
)
"""Each weighted component's field prefix and its weight field, in summation order."""

LENGTH_ALLOWANCE_FACTOR = 2.0
LENGTH_ALLOWANCE_MIN_EXTRA = 8
"""A span may be up to max(2 x gold, gold + 8) characters long before it is penalised."""

FIELDS: tuple[str, ...] = (
    "ledger_version",
    "task_id",
    "task_type",
    "difficulty",
    "parse_ok",
    "parse_method",
    "parse_error",
    "span",
    "span_normalised",
    "matched_reference",
    "input_copied",
    "exact_match_raw",
    "exact_match_norm",
    "w_exact",
    "char_overlap_raw",
    "char_overlap_norm",
    "w_char",
    "affix_applicable",
    "affix_raw",
    "affix_norm",
    "w_affix",
    "affix_required",
    "affix_realised",
    "affix_labels_dropped",
    "orthography_applicable",
    "orthography_raw",
    "orthography_norm",
    "w_ortho",
    "length_penalty_raw",
    "length_penalty_norm",
    "span_chars",
    "reference_chars",
    "span_words",
    "reference_words",
    "composite_predicted",
    "partial_cap",
    "reward_scalar",
    "rubric_signature",
)
"""Every ledger row has exactly these fields, in this order."""

TEXT_FIELDS = frozenset({
    "ledger_version", "task_id", "task_type", "difficulty", "parse_method", "parse_error", "span",
    "span_normalised", "matched_reference", "affix_required", "affix_labels_dropped", "rubric_signature",
})  # fmt: skip
NUMERIC_FIELDS: tuple[str, ...] = tuple(name for name in FIELDS if name not in TEXT_FIELDS)
"""The fields that are numbers or booleans (or empty where a component does not apply):
what the taskset reports as `ledger/<field>` metrics and the CSVs average per step."""


WEIGHTED_FIELDS: tuple[tuple[str, str, str], ...] = tuple(
    (f"weighted_{weight.removeprefix('w_')}", weight, f"{prefix}_norm") for prefix, weight in COMPONENTS
)
"""(name, weight field, normalised field) of each component's contribution w * c_norm."""

APPLIES_WHEN: dict[str, str] = {
    f"{prefix}_{kind}": f"{prefix}_applicable" for prefix in ("affix", "orthography") for kind in ("raw", "norm")
}
"""The fields that are empty where a component does not apply, and the flag that says
whether it does."""


_WEIGHTED_BY_NAME = {name: (weight, norm) for name, weight, norm in WEIGHTED_FIELDS}
FLAT_METRIC_NAMES: tuple[str, ...] = (*NUMERIC_FIELDS, *_WEIGHTED_BY_NAME)
"""The names `flat_metric` answers to: every numeric field, then each weighted contribution."""


def flat_metric(row: Mapping[str, Any], name: str) -> float:
    """One value of a ledger row as a plain number (0 where a component does not apply),
    or a weighted contribution w * c_norm: what the seed-era environment reports as a v0
    metric, where every function must return a float for every rollout."""
    if name in _WEIGHTED_BY_NAME:
        weight, norm = _WEIGHTED_BY_NAME[name]
        return float(row[weight]) * float(row[norm] or 0.0)
    return float(row[name] or 0.0)


def flat_metrics(row: Mapping[str, Any]) -> dict[str, float]:
    """Every `flat_metric` of a ledger row, by name."""
    return {name: flat_metric(row, name) for name in FLAT_METRIC_NAMES}


class LedgerError(ValueError):
    """A ledger row whose reward does not follow from its own fields."""


def length_penalty(span_chars: int, reference_chars: int, span_words: int, reference_words: int) -> float:
    """1.0 for spans near the gold's length; shrinks as a span runs longer than the
    allowance in characters, or holds more words than the gold (hedged candidates)."""
    allowance = max(LENGTH_ALLOWANCE_FACTOR * reference_chars, reference_chars + LENGTH_ALLOWANCE_MIN_EXTRA)
    by_chars = min(1.0, allowance / span_chars) if span_chars else 1.0
    by_words = min(1.0, reference_words / span_words) if span_words else 1.0
    return by_chars * by_words


def composite(row: Mapping[str, Any]) -> float:
    """The weighted sum of the applicable components' normalised values."""
    terms = [row[weight] * row[f"{prefix}_norm"] for prefix, weight in COMPONENTS if row[f"{prefix}_norm"] is not None]
    return math.fsum(terms)


def combine(exact: bool, composite_value: float, length_penalty_norm: float, partial_cap: float) -> float:
    """The final reward from the exact-match flag, the composite, the penalty and the cap."""
    if exact:
        return 1.0
    return min(partial_cap, composite_value * length_penalty_norm)


def verify_row(row: Mapping[str, Any]) -> None:
    """Raise `LedgerError` unless `row`'s reward recomputes exactly from its own fields."""
    problems: list[str] = []
    missing = [name for name in FIELDS if name not in row]
    if missing:
        raise LedgerError(f"ledger row lacks fields {missing}")
    if row["ledger_version"] != LEDGER_VERSION:
        problems.append(f"ledger_version {row['ledger_version']!r} != {LEDGER_VERSION}")
    weight_sum = 0.0
    for prefix, weight_field in COMPONENTS:
        raw, norm, weight = row[f"{prefix}_raw"], row[f"{prefix}_norm"], row[weight_field]
        applicable = row.get(f"{prefix}_applicable", True)
        if not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
            problems.append(f"{weight_field}={weight!r} is not a finite weight >= 0")
            continue
        if not applicable:
            if raw is not None or norm is not None or weight != 0:
                problems.append(f"{prefix} does not apply but has raw={raw!r} norm={norm!r} {weight_field}={weight!r}")
            continue
        if not isinstance(norm, (int, float)) or not 0.0 <= norm <= 1.0:
            problems.append(f"{prefix}_norm={norm!r} is outside [0, 1]")
            continue
        weight_sum += weight
        expected = _expected_norm(prefix, raw, row)
        if expected != norm:
            problems.append(f"{prefix}_norm={norm!r} but its raw value {raw!r} gives {expected!r}")
    if weight_sum and abs(weight_sum - 1.0) > 1e-9:
        problems.append(f"applicable weights sum to {weight_sum!r}, not 1")
    penalty = length_penalty(row["span_chars"], row["reference_chars"], row["span_words"], row["reference_words"])
    if penalty != row["length_penalty_norm"]:
        problems.append(f"length_penalty_norm={row['length_penalty_norm']!r}, recomputed {penalty!r}")
    if not 0.0 <= row["partial_cap"] < 1.0:
        problems.append(f"partial_cap={row['partial_cap']!r} is not in [0, 1)")
    if not problems:
        value = composite(row)
        if value != row["composite_predicted"]:
            problems.append(f"composite_predicted={row['composite_predicted']!r}, recomputed {value!r}")
        reward = combine(row["exact_match_raw"] == 1, value, penalty, row["partial_cap"])
        if reward != row["reward_scalar"]:
            problems.append(f"reward_scalar={row['reward_scalar']!r}, recomputed {reward!r}")
    if not row["parse_ok"] and row["reward_scalar"] != 0.0:
        problems.append("an unparsed reply has a non-zero reward")
    if problems:
        raise LedgerError(f"ledger row for task {row.get('task_id')!r}: " + "; ".join(problems))


def _expected_norm(prefix: str, raw: Any, row: Mapping[str, Any]) -> float:
    """How each component's raw value maps to [0, 1]: chrF is on a 0-100 scale, the
    others already are; a copy of the task's starting form earns no partial credit."""
    if prefix != "exact_match" and row["input_copied"]:
        return 0.0
    return raw / 100.0 if prefix == "char_overlap" else raw


class RewardLedger(Mapping[str, Any]):
    """One rollout's ledger row: a read-only flat mapping in `FIELDS` order."""

    __slots__ = ("_row",)

    def __init__(self, row: Mapping[str, Any]) -> None:
        unknown = set(row) - set(FIELDS)
        if unknown:
            raise LedgerError(f"unknown ledger fields {sorted(unknown)}")
        self._row = {name: row[name] for name in FIELDS}

    @classmethod
    def trusted(cls, row: dict[str, Any]) -> RewardLedger:
        """Wrap a row the rubric built itself, already in `FIELDS` order (no copy)."""
        ledger = cls.__new__(cls)
        ledger._row = row
        return ledger

    def __getitem__(self, key: str) -> Any:
        return self._row[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)

    def __repr__(self) -> str:
        return f"RewardLedger(task_id={self._row['task_id']!r}, reward_scalar={self._row['reward_scalar']!r})"

    @property
    def reward_scalar(self) -> float:
        return self._row["reward_scalar"]

    def as_dict(self) -> dict[str, Any]:
        return dict(self._row)

    def numeric(self) -> dict[str, float]:
        """The numeric fields (booleans as 0/1), leaving out components that do not apply."""
        row = self._row
        return {name: float(row[name]) for name in NUMERIC_FIELDS if row[name] is not None}

    def to_json(self) -> str:
        return json.dumps(self._row, ensure_ascii=False)
