"""Which tasks a training run sees, and how they are scored: the taskset's own fields,
without verifiers, so a TRL script selects and scores exactly as `vf-eval` and prime-rl do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dakota_grammar_env.reward.rubric import DEFAULT_CHAR_FLOOR, DEFAULT_PARTIAL_CAP, DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import choose_tasks
from dakota_grammar_env.tasks.task import SYSTEM_PROMPT, GrammarTask

COMPACT_SYSTEM_PROMPT = (
    "You answer questions about the Dakota language (Riggs' Dakota Grammar). "
    "Reply with exactly one line and nothing else:\nAnswer: <answer>"
)
"""A short system prompt for small models on a CPU: it shows the one line the extractor
reads, and no Dakota word (a word shown here would be a free answer to any task whose
gold it is)."""


@dataclass(frozen=True)
class TaskSelection:
    """The taskset's selection fields (`--env.taskset.*` under vf-eval and prime-rl)."""

    data_path: Path | None = None
    split: str = "train"
    task_types: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    seed: int | None = 0
    num_tasks: int | None = None
    system_prompt: str = SYSTEM_PROMPT

    def __post_init__(self) -> None:
        if self.split not in ("train", "test", "all"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {self.split!r}")
        if self.num_tasks is not None and self.num_tasks < 1:
            raise ValueError(f"num_tasks must be at least 1, got {self.num_tasks}")
        object.__setattr__(self, "task_types", tuple(self.task_types))
        object.__setattr__(self, "difficulties", tuple(self.difficulties))

    def tasks(self) -> list[GrammarTask]:
        """The selected tasks, in the taskset's order (raises `DataError` on bad data)."""
        return choose_tasks(
            self.data_path,
            split=self.split,
            task_types=self.task_types,
            difficulties=self.difficulties,
            seed=self.seed,
            num_tasks=self.num_tasks,
        )

    def taskset_args(self) -> dict[str, Any]:
        """The same selection as `--env.taskset.*` values (for vf-eval)."""
        args: dict[str, Any] = {"split": self.split, "system_prompt_text": self.system_prompt}
        if self.data_path is not None:
            args["data_path"] = str(self.data_path)
        if self.task_types:
            args["task_types"] = list(self.task_types)
        if self.difficulties:
            args["difficulties"] = list(self.difficulties)
        args["seed"] = self.seed
        if self.num_tasks is not None:
            args["num_tasks"] = self.num_tasks
        return args


@dataclass(frozen=True)
class Scoring:
    """The taskset's `task` scoring knobs; `rubric()` is the same rubric they build."""

    weights: Mapping[str, float] = field(default_factory=lambda: {"ortho": 0.25})
    partial_cap: float = DEFAULT_PARTIAL_CAP
    char_floor: float = DEFAULT_CHAR_FLOOR
    folding: str = "riggs"

    def rubric(self) -> DakotaGrammarRubric:
        return DakotaGrammarRubric(
            weights=dict(self.weights),
            partial_cap=self.partial_cap,
            char_floor=self.char_floor,
            folding=self.folding,
        )
