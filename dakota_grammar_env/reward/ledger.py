"""The reward ledger: one flat row per scored rollout that explains its reward.

A row holds every component's raw value, what the prompt alone would have scored on it
(its baseline), its normalised value in [0, 1], the weight, the composite, the length
penalty, the partial-credit cap and the final `reward_scalar`. The arithmetic that
turns those fields into the reward lives here and nowhere else; `verify_row` recomputes
a row's reward from the row alone, so any row (from a trace, a CSV, W&B) can be checked
after the fact.

The reward (ledger version 2):

    reward_scalar  = 1.0                                        if exact match
                   = partial_credit                             otherwise
    partial_credit = partial_cap * composite_predicted * length_penalty_norm
    composite      = novel_norm * char_overlap_norm * spelling            (form and gloss answers)
                   = slots_norm                                          (person/number answers)
                   = 0 for a reply that is unparsed, a hedge, or a copy of the baseline

with each factor 1 where it does not apply, and

- ``novel_norm``: the share of the edits from the prompt's baseline to the gold that the
  reply makes, each edit all or nothing (`dakota_grammar_env.reward.baseline`);
- ``char_overlap_norm = gain(raw, baseline)``, with ``gain(raw, baseline) = (raw -
  baseline) / (1 - baseline)`` clipped to [0, 1]: the letter similarity beyond the chance
  floor, and, where the novel units do not apply, beyond the baseline's own similarity;
- ``spelling = 1 - w_ortho * (1 - orthography_norm)``, with ``orthography_norm`` the F1
  of the marked letters: they carry ``w_ortho`` of the credit;
- ``slots_norm = gain(slots_raw, slots_baseline)``: the share of person/number slots right
  beyond what a rule of thumb gets (`dakota_grammar_env.reward.slots`).

So a reply earns partial credit only for progress beyond what the prompt hands over,
and ``reward_scalar == exact_match_raw + partial_credit`` on every row, which makes a
step's mean reward the sum of its exact-match rate and its mean partial credit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

LEDGER_VERSION = 2

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
    "hedge",
    "input_copied",
    "baseline_text",
    "baseline_source",
    "exact_match_raw",
    "exact_match_norm",
    "novel_applicable",
    "novel_units",
    "novel_realised",
    "novel_missing",
    "novel_raw",
    "novel_norm",
    "char_overlap_applicable",
    "char_overlap_raw",
    "char_overlap_baseline",
    "char_overlap_norm",
    "orthography_applicable",
    "orthography_raw",
    "orthography_norm",
    "w_ortho",
    "slots_applicable",
    "slots_raw",
    "slots_baseline",
    "slots_norm",
    "length_penalty_raw",
    "length_penalty_norm",
    "span_chars",
    "reference_chars",
    "span_words",
    "reference_words",
    "composite_predicted",
    "partial_cap",
    "partial_credit",
    "reward_scalar",
    "rubric_signature",
)
"""Every ledger row has exactly these fields, in this order."""

TEXT_FIELDS = frozenset({
    "ledger_version", "task_id", "task_type", "difficulty", "parse_method", "parse_error", "span",
    "span_normalised", "matched_reference", "hedge", "baseline_text", "baseline_source", "novel_missing",
    "rubric_signature",
})  # fmt: skip
NUMERIC_FIELDS: tuple[str, ...] = tuple(name for name in FIELDS if name not in TEXT_FIELDS)
"""The fields that are numbers or booleans (or empty where a component does not apply):
what the taskset reports as `ledger/<field>` metrics and the CSVs average per step."""

FACTORS: tuple[str, ...] = ("novel", "char_overlap", "orthography", "slots")
"""The components that may multiply into the composite, each with an `_applicable` flag."""
_FACTOR_FIELDS = tuple((f"{prefix}_applicable", f"{prefix}_norm") for prefix in FACTORS)

APPLIES_WHEN: dict[str, str] = {
    f"{prefix}_{kind}": f"{prefix}_applicable"
    for prefix, kinds in (
        ("novel", ("units", "realised", "raw", "norm")),
        ("char_overlap", ("raw", "baseline", "norm")),
        ("orthography", ("raw", "norm")),
        ("slots", ("raw", "baseline", "norm")),
    )
    for kind in kinds
}
"""The numeric fields that are empty where a component does not apply, and the flag that
says whether it does."""


def flat_metric(row: Mapping[str, Any], name: str) -> float:
    """One value of a ledger row as a plain number (0 where a component does not apply):
    what the seed-era environment reports as a v0 metric, where every function must
    return a float for every rollout."""
    return float(row[name] or 0.0)


def flat_metrics(row: Mapping[str, Any]) -> dict[str, float]:
    """Every `flat_metric` of a ledger row, by numeric field."""
    return {name: flat_metric(row, name) for name in NUMERIC_FIELDS}


class LedgerError(ValueError):
    """A ledger row whose reward does not follow from its own fields."""


def length_penalty(span_chars: int, reference_chars: int, span_words: int, reference_words: int) -> float:
    """1.0 for spans near the gold's length; shrinks as a span runs longer than the
    allowance in characters, or holds more words than the gold."""
    allowance = max(LENGTH_ALLOWANCE_FACTOR * reference_chars, reference_chars + LENGTH_ALLOWANCE_MIN_EXTRA)
    by_chars = min(1.0, allowance / span_chars) if span_chars else 1.0
    by_words = min(1.0, reference_words / span_words) if span_words else 1.0
    return by_chars * by_words


def gain(raw: float, baseline: float) -> float:
    """How much of the way from `baseline` to 1 `raw` has gone, in [0, 1] (0 when the
    baseline already scores 1: there is nothing left to gain)."""
    if baseline >= 1.0:
        return 0.0
    return min(1.0, max(0.0, (raw - baseline) / (1.0 - baseline)))


def spelling(orthography_norm: float, w_ortho: float) -> float:
    """The orthography factor of the composite: the marked letters carry `w_ortho` of the
    credit (a reply with none of them right keeps 1 - w_ortho of it)."""
    return 1.0 - w_ortho * (1.0 - orthography_norm)


def composite(row: Mapping[str, Any]) -> float:
    """The product of the applicable factors, or 0 for a reply that earns no partial
    credit at all (unparsed, a hedge, a copy of the baseline)."""
    if not row["parse_ok"] or row["hedge"] is not None or row["input_copied"]:
        return 0.0
    value = 1.0
    for applicable, norm in _FACTOR_FIELDS:
        if row[applicable]:
            value *= spelling(row[norm], row["w_ortho"]) if norm == "orthography_norm" else row[norm]
    return value


def combine(exact: bool, composite_value: float, length_penalty_norm: float, partial_cap: float) -> tuple[float, float]:
    """(partial_credit, reward_scalar) from the exact-match flag, the composite, the
    penalty and the cap."""
    partial = 0.0 if exact else partial_cap * composite_value * length_penalty_norm
    return partial, 1.0 if exact else partial


def _expected_norm(prefix: str, row: Mapping[str, Any]) -> float:
    """Each component's normalised value, from its raw value and baseline alone."""
    raw = row[f"{prefix}_raw"]
    if prefix == "char_overlap":
        return gain(raw, row["char_overlap_baseline"])
    if prefix == "slots":
        return gain(raw, row["slots_baseline"])
    return raw


def _check_component(prefix: str, row: Mapping[str, Any], problems: list[str]) -> None:
    fields = [name for name, flag in APPLIES_WHEN.items() if flag == f"{prefix}_applicable"]
    if not row[f"{prefix}_applicable"]:
        filled = {name: row[name] for name in fields if row[name] is not None}
        if filled:
            problems.append(f"{prefix} does not apply but has {filled}")
        return
    if any(not isinstance(row[name], (int, float)) or not math.isfinite(row[name]) for name in fields):
        problems.append(f"{prefix} applies but has non-numbers {[row[name] for name in fields]}")
        return
    if prefix == "novel":
        units, realised = row["novel_units"], row["novel_realised"]
        if not 0 <= realised <= units or units < 1 or row["novel_raw"] != realised / units:
            problems.append(f"novel_raw={row['novel_raw']!r} does not follow from {realised!r} of {units!r} units")
            return
    if not 0.0 <= row[f"{prefix}_raw"] <= 1.0:
        problems.append(f"{prefix}_raw={row[f'{prefix}_raw']!r} is outside [0, 1]")
        return
    expected = _expected_norm(prefix, row)
    if expected != row[f"{prefix}_norm"]:
        problems.append(f"{prefix}_norm={row[f'{prefix}_norm']!r} but its raw value and baseline give {expected!r}")


def verify_row(row: Mapping[str, Any]) -> None:
    """Raise `LedgerError` unless `row`'s reward recomputes exactly from its own fields."""
    missing = [name for name in FIELDS if name not in row]
    if missing:
        raise LedgerError(f"ledger row lacks fields {missing}")
    problems: list[str] = []
    if row["ledger_version"] != LEDGER_VERSION:
        problems.append(f"ledger_version {row['ledger_version']!r} != {LEDGER_VERSION}")
    w_ortho = row["w_ortho"]
    if not isinstance(w_ortho, (int, float)) or not 0.0 <= w_ortho <= 1.0:
        problems.append(f"w_ortho={w_ortho!r} is not a weight in [0, 1]")
    else:
        for prefix in FACTORS:
            _check_component(prefix, row, problems)
    if row["slots_applicable"] and (row["char_overlap_applicable"] or row["novel_applicable"]):
        problems.append("a slot answer is scored as slots only")
    penalty = length_penalty(row["span_chars"], row["reference_chars"], row["span_words"], row["reference_words"])
    if penalty != row["length_penalty_norm"]:
        problems.append(f"length_penalty_norm={row['length_penalty_norm']!r}, recomputed {penalty!r}")
    if not 0.0 <= row["partial_cap"] < 1.0:
        problems.append(f"partial_cap={row['partial_cap']!r} is not in [0, 1)")
    if not problems:
        value = composite(row)
        if value != row["composite_predicted"]:
            problems.append(f"composite_predicted={row['composite_predicted']!r}, recomputed {value!r}")
        partial, reward = combine(row["exact_match_raw"] == 1, value, penalty, row["partial_cap"])
        if partial != row["partial_credit"]:
            problems.append(f"partial_credit={row['partial_credit']!r}, recomputed {partial!r}")
        if reward != row["reward_scalar"]:
            problems.append(f"reward_scalar={row['reward_scalar']!r}, recomputed {reward!r}")
    if not row["parse_ok"] and row["reward_scalar"] != 0.0:
        problems.append("an unparsed reply has a non-zero reward")
    if problems:
        raise LedgerError(f"ledger row for task {row.get('task_id')!r}: " + "; ".join(problems))


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
