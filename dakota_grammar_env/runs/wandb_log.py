"""Log the ledger to Weights & Biases: each step's means as ``ledger/<field>`` (eval
steps as ``ledger/eval/<field>``) against the training step, and for each eval step a
table of its lowest- and highest-reward rollouts.

Which run: given the training run's id (prime-rl's ``PRL_RUN_ID``) it joins that run
(W&B shared mode when online); otherwise it starts ``<name>-ledger`` in the training
run's project and group. Defaults come from the run's ``configs/orchestrator.json``
(``monitors.wandb``). ``WANDB_MODE=offline`` works as usual.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dakota_grammar_env.extras import import_from_extra
from dakota_grammar_env.runs.records import Rollout, StepKey

TABLE_ROWS = 5
"""Rollouts per end (lowest and highest reward) in each eval step's table."""
TABLE_COLUMNS = (
    "end",
    "task_id",
    "task_type",
    "difficulty",
    "reward_scalar",
    "span",
    "matched_reference",
    "parse_error",
)


@dataclass(frozen=True)
class WandbTarget:
    project: str
    name: str
    group: str | None = None
    entity: str | None = None
    run_id: str | None = None
    offline: bool = False

    @classmethod
    def for_run(cls, run_dir: Path, **overrides: Any) -> WandbTarget:
        """Defaults from the run's orchestrator config and environment, then overrides."""
        config: Mapping[str, Any] = {}
        path = Path(run_dir) / "configs" / "orchestrator.json"
        if path.is_file():
            config = (json.loads(path.read_text(encoding="utf-8")).get("monitors") or {}).get("wandb") or {}
        values = {
            "project": config.get("project") or "prime-rl",
            "name": config.get("name") or os.environ.get("PRL_RUN_NAME") or Path(run_dir).name,
            "group": config.get("group"),
            "entity": config.get("entity"),
            "run_id": os.environ.get("PRL_RUN_ID"),
            "offline": bool(config.get("offline")),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def extremes_rows(rollouts: Sequence[Rollout], per_end: int = TABLE_ROWS) -> list[list[Any]]:
    """The lowest- and highest-reward scored rollouts, for the eval table (fewer than
    2 x `per_end` rollouts: the lowest `per_end`, then the rest as the highest)."""
    scored = sorted(
        (r for r in rollouts if r.ledger is not None and isinstance(r.ledger.get("reward_scalar"), (int, float))),
        key=lambda r: (r.ledger["reward_scalar"], r.episode_id),  # type: ignore[index]
    )
    lowest = scored[:per_end]
    highest = scored[max(per_end, len(scored) - per_end) :][::-1]  # never the same rollout twice
    chosen = [("lowest", r) for r in lowest] + [("highest", r) for r in highest]
    return [
        [end, *(r.ledger.get(name, r.task.get("id") if name == "task_id" else None) for name in TABLE_COLUMNS[1:])]  # type: ignore[union-attr]
        for end, r in chosen
    ]


class LedgerWandb:
    """A `LedgerSink` listener that logs every committed step to one W&B run."""

    def __init__(self, target: WandbTarget) -> None:
        wandb = import_from_extra("wandb", "wandb", "logging the ledger to W&B")

        self.target = target
        joining = target.run_id is not None
        settings: dict[str, Any] = {"silent": True}
        offline = target.offline or os.environ.get("WANDB_MODE") == "offline"
        if joining and not offline:
            settings.update(mode="shared", x_label="dakota-ledger", x_primary=False)
        self.run = wandb.init(
            project=target.project,
            entity=target.entity,
            group=target.group,
            name=target.name if joining else f"{target.name}-ledger",
            id=target.run_id,
            resume="allow" if joining else None,
            mode="offline" if offline else None,
            settings=wandb.Settings(**settings),
        )
        self.run.define_metric("step")
        self.run.define_metric("ledger/*", step_metric="step")
        self._wandb = wandb

    def __call__(self, key: StepKey, rollouts: list[Rollout], means: Mapping[str, Any]) -> None:
        prefix = "ledger/" if key.split == "train" else "ledger/eval/"
        data: dict[str, Any] = {"step": key.step}
        data.update({f"{prefix}{name}": value for name, value in means.items() if value is not None})
        if key.split == "eval":
            rows = extremes_rows(rollouts)
            if rows:
                data[f"{prefix}extremes"] = self._wandb.Table(columns=list(TABLE_COLUMNS), data=rows)
        self.run.log(data)

    def finish(self) -> None:
        self.run.finish()
