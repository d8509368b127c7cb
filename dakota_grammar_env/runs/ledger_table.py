"""The ledger as tables: per-step means (``reward_ledger.csv``) and one row per rollout
(``reward_ledger_rollouts.csv``), with a column set fixed by the ledger's schema.

Per step: ``run_id, split, step, rollouts, errored_rollouts, scored_rollouts,
reward_with_errors`` (the mean reward counting an errored rollout as 0, as prime-rl's
own ``reward`` curve does), then the mean of every numeric ledger field over the
rollouts that have it (a component that does not apply to a task is left out of its
mean, not counted as 0). Every row has ``reward_scalar = exact_match_raw +
partial_credit``, so a step's mean reward is its exact-match rate plus its mean partial
credit: how much of the reward is right answers, and how much is partial credit.

Values are written so that a rerun gives the same bytes: floats as Python's shortest
round-trip repr, booleans as 1/0, missing values empty.
"""

from __future__ import annotations

import collections
import csv
import io
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dakota_grammar_env.reward.ledger import FIELDS, LEDGER_VERSION, NUMERIC_FIELDS
from dakota_grammar_env.runs.records import Rollout

STEP_BASE = ("run_id", "split", "step", "rollouts", "errored_rollouts", "scored_rollouts", "reward_with_errors")
ROLLOUT_BASE = (
    "run_id",
    "split",
    "step",
    "dispatch_step",
    "ship_step",
    "effective",
    "advantage",
    "episode_id",
    "ok",
    "error",
    "task_id",
    "task_type",
    "difficulty",
)
TASK_FIELDS = ("task_id", "task_type", "difficulty")


def _is_number(value: Any) -> bool:
    return type(value) in _NUMBER_TYPES


_NUMBER_TYPES = frozenset({int, float, bool})


@dataclass(frozen=True)
class LedgerSchema:
    """Which ledger fields become columns, and which of them are averaged per step."""

    name: str
    fields: tuple[str, ...]
    numeric: tuple[str, ...]

    @classmethod
    def ours(cls) -> LedgerSchema:
        """This package's ledger (version `LEDGER_VERSION`)."""
        fields = tuple(f for f in FIELDS if f not in TASK_FIELDS and f != "ledger_version")
        return cls(f"dakota-grammar/{LEDGER_VERSION}", fields, NUMERIC_FIELDS)

    @classmethod
    def infer(cls, ledgers: Iterable[Mapping[str, Any]]) -> LedgerSchema | None:
        """Ours when the ledgers carry our `ledger_version`; else the sorted union of
        their fields (numeric = never anything but a number or empty). None when there
        is no ledger at all yet."""
        ledgers = list(ledgers)
        if not ledgers:
            return None
        if all(ledger.get("ledger_version") == LEDGER_VERSION for ledger in ledgers):
            return cls.ours()
        names = sorted({name for ledger in ledgers for name in ledger} - set(TASK_FIELDS))
        numeric = tuple(
            name
            for name in names
            if any(_is_number(ledger.get(name)) for ledger in ledgers)
            and all(ledger.get(name) is None or _is_number(ledger.get(name)) for ledger in ledgers)
        )
        schema = str(next((ledger["schema"] for ledger in ledgers if "schema" in ledger), "foreign"))
        return cls(schema, tuple(names), numeric)

    @property
    def step_columns(self) -> tuple[str, ...]:
        return STEP_BASE + self.numeric

    @property
    def rollout_columns(self) -> tuple[str, ...]:
        return ROLLOUT_BASE + self.fields

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fields": list(self.fields),
            "numeric": list(self.numeric),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LedgerSchema:
        return cls(data["name"], tuple(data["fields"]), tuple(data["numeric"]))


def cell(value: Any) -> str:
    """One CSV cell, formatted the same way every time."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return repr(value)
    if value is None:
        return ""
    if kind is bool:
        return "1" if value else "0"
    return str(value)


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _task_field(rollout: Rollout, name: str) -> Any:
    """From the ledger, else the task data (an errored rollout has no ledger); a task
    without an id is named by its key."""
    if rollout.ledger is not None and rollout.ledger.get(name) is not None:
        return rollout.ledger[name]
    if name == "task_id":
        return rollout.task.get("id") or rollout.task_key
    return rollout.task.get(name)


def step_means(rollouts: Sequence[Rollout], schema: LedgerSchema) -> dict[str, float | None]:
    """The per-step aggregate of one (split, step)'s rollouts, keyed by column."""
    scored = [r.ledger for r in rollouts if r.ledger is not None]
    means: dict[str, float | None] = {
        "rollouts": len(rollouts),
        "errored_rollouts": sum(not r.ok for r in rollouts),
        "scored_rollouts": len(scored),
        "reward_with_errors": _mean(
            [float(r.ledger.get("reward_scalar") or 0.0) if r.ledger else 0.0 for r in rollouts]
        ),
    }
    if not schema.numeric:
        return means
    take = operator.itemgetter(*schema.numeric)
    try:  # every ledger has every column (ours always does): one C-level lookup per ledger
        table = [take(ledger) for ledger in scored]
    except KeyError:
        table = [take(collections.defaultdict(lambda: None, ledger)) for ledger in scored]
    if len(schema.numeric) == 1:
        table = [(value,) for value in table]
    columns = zip(*table, strict=True) if table else (() for _ in schema.numeric)
    for name, column in zip(schema.numeric, columns, strict=True):
        means[name] = _mean([float(value) for value in column if value.__class__ in _NUMBER_TYPES])
    return means


def step_table(
    rollouts: Sequence[Rollout], schema: LedgerSchema
) -> tuple[list[str], list[list[Any]], dict[str, float | None]]:
    """(the step's aggregate row, its rollout rows) as CSV values (formatted as `cell`
    formats them), and the means."""
    first = rollouts[0]
    means = step_means(rollouts, schema)
    step_row = [cell(first.run_id), first.key.split, cell(first.key.step)]
    step_row += [cell(means[name]) for name in schema.step_columns[3:]]
    rows = []
    take_all = operator.itemgetter(*schema.fields) if len(schema.fields) > 1 else None
    for rollout in rollouts:
        ledger = rollout.ledger or {}
        try:  # a ledger that has every column (ours always does): one C-level lookup
            values = take_all(ledger) if take_all is not None else [ledger.get(name) for name in schema.fields]
        except KeyError:
            values = [ledger.get(name) for name in schema.fields]
        base = [
            rollout.run_id,
            rollout.key.split,
            rollout.key.step,
            rollout.dispatch_step,
            rollout.ship_step,
            rollout.effective,
            rollout.advantage,
            rollout.episode_id,
            rollout.ok,
            rollout.error,
            *(_task_field(rollout, name) for name in TASK_FIELDS),
        ]
        # csv writes None as empty, str() of numbers (for floats, the shortest repr):
        # the same text as `cell`, which only booleans need
        rows.append([(1 if v else 0) if v.__class__ is bool else v for v in (*base, *values)])
    return step_row, rows, means


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()
