"""The per-step ledger CSV rebuilt from a W&B run's history.

For runs whose per-rollout records are gone, or never existed: seed-era prime-rl (v0.4.0
and the late-2025 versions) keeps rollouts in memory and writes none to disk, so there
the ledger reaches W&B only as step means. Two families of keys carry it:

- ``ledger/<field>`` and ``ledger/eval/<field>``: logged by the ledger hook or
  ``ledger export --wandb`` (`runs.wandb_log`), already the means of `reward_ledger.csv`;
- ``metrics/ledger/<field>`` or ``metrics/<env>/ledger/<field>``: the zero-weight v0
  metrics of the seed-era environment (`integrations.seed_era`), which prime-rl averages over all of
  a step's rollouts with 0 where a component does not apply. The fields of a component
  that does not apply everywhere (``novel_*``, ``char_overlap_*``, ``orthography_*``,
  ``slots_*``) are divided by the share of rollouts it applies to
  (``<component>_applicable``), which gives the mean over those rollouts, as
  `reward_ledger.csv` has it (exact when every example has the same number of
  rollouts, as prime-rl's groups do).

Only means exist in W&B: the rollout-count columns stay empty, no rollouts CSV is made,
and nothing is said about steps W&B did not record.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dakota_grammar_env.extras import import_from_extra
from dakota_grammar_env.reward.ledger import APPLIES_WHEN
from dakota_grammar_env.runs.ledger_table import LedgerSchema, cell

HOOK_KEY = re.compile(r"^ledger/(?:(?P<eval>eval)/)?(?P<field>[a-z_]+)$")
SEED_ERA_KEY = re.compile(r"^metrics/(?:(?P<env>[^/]+)/)?ledger/(?P<field>[a-z_]+)$")


class HistoryError(ValueError):
    """A W&B history that holds no ledger values."""


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:  # NaN
        return None
    return value


def history_steps(
    history: Iterable[Mapping[str, Any]], env: str | None = None
) -> dict[tuple[str, int], dict[str, float | int]]:
    """{(split, step): {column: mean}} from history rows (the hook's keys where there are
    any, else the seed-era ones). `env` picks one environment's
    ``metrics/<env>/ledger/*`` where a seed-era run logged several."""
    hook: dict[tuple[str, int], dict[str, float | int]] = {}
    seed_era: dict[tuple[str, int], dict[str, float | int]] = {}
    envs: set[str] = set()
    for row in history:
        step = row.get("step", row.get("_step"))
        if _number(step) is None:
            continue
        for name, raw in row.items():
            value = _number(raw)
            if value is None:
                continue
            if match := HOOK_KEY.match(name):
                split = "eval" if match["eval"] else "train"
                hook.setdefault((split, int(step)), {})[match["field"]] = value
            elif match := SEED_ERA_KEY.match(name):
                envs.add(match["env"] or "")
                if env is None or match["env"] == env:
                    seed_era.setdefault(("train", int(step)), {})[match["field"]] = value
    if hook:
        return hook
    if len(envs) > 1 and env is None:
        raise HistoryError(f"the history holds the ledger of several environments {sorted(envs)}; pick one with env")
    if not seed_era:
        raise HistoryError(
            "the W&B history holds no ledger values (ledger/* or metrics/ledger/*); for a seed-era prime-rl run, "
            "read its <name>-orchestrator run"
        )
    for means in seed_era.values():
        for field, flag in APPLIES_WHEN.items():
            if field in means:
                share = means.get(flag)
                if share:
                    means[field] = float(means[field]) / share
                else:
                    del means[field]  # no rollout of the step had the component
    return seed_era


def history_to_csv(
    history: Iterable[Mapping[str, Any]], out_csv: Path, run_id: str = "", env: str | None = None
) -> Path:
    """Write the per-step ledger CSV (the columns of `reward_ledger.csv`) rebuilt from
    W&B history rows."""
    steps = history_steps(history, env)
    columns = LedgerSchema.ours().step_columns
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for (split, step), means in sorted(steps.items(), key=lambda item: (item[0][1], item[0][0] == "eval")):
            values = {"run_id": run_id, "split": split, "step": step, **means}
            writer.writerow([cell(values.get(name)) for name in columns])
    return out_csv


def fetch_history(run_path: str) -> Iterable[Mapping[str, Any]]:
    """A W&B run's full history through the public API (online; needs wandb)."""
    wandb = import_from_extra("wandb", "wandb", "reading a W&B run")

    return wandb.Api().run(run_path).scan_history()
