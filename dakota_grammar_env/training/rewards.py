"""The library entry point for TRL users: the dataset rows, the reward function and
the ledger callback for your own ``GRPOTrainer`` script.

    from trl import GRPOConfig, GRPOTrainer
    from dakota_grammar_env.training import TaskSelection, dakota_trl

    dakota = dakota_trl(TaskSelection(task_types=("pluralize",)), run_dir="runs/plural")
    trainer = GRPOTrainer(
        model="path/to/model",
        reward_funcs=dakota.reward_funcs,
        train_dataset=dakota.dataset(),
        callbacks=dakota.callbacks,
        args=GRPOConfig(output_dir="runs/plural/checkpoints", logging_steps=1),
    )
    trainer.train()

The reward is `DakotaGrammarRubric` with the taskset's scoring knobs (`Scoring`), one
reward function whose value is the ledger's ``reward_scalar``: the same number
``vf-eval`` and prime-rl train on. Each row carries only ``prompt`` and ``task_id``; the
reward function looks the task up, so nothing about the gold travels through the
dataset. With a `run_dir`, every ledger row is written as it is scored (`records`) and
the ledger CSVs are kept up to date step by step (`callback`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dakota_grammar_env.extras import import_from_extra
from dakota_grammar_env.reward.gold import GoldSpec
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.task import GrammarTask
from dakota_grammar_env.training.records import RunRecorder
from dakota_grammar_env.training.selection import Scoring, TaskSelection

Report = Callable[[str], None]
RUN_FILE = "run.json"


def trl_rows(tasks: Sequence[GrammarTask], system_prompt: str) -> list[dict[str, Any]]:
    """One row per task in TRL's conversational format: ``prompt`` (system and user
    messages) and ``task_id``, plus the type and difficulty for your own filtering."""
    return [
        {
            "prompt": [{"role": "system", "content": system_prompt}, {"role": "user", "content": task.prompt}],
            "task_id": task.task_id,
            "task_type": task.task_type,
            "difficulty": task.difficulty,
        }
        for task in tasks
    ]


def completion_text(completion: Any) -> str:
    """The reply text of a TRL completion: a string, or a list of chat messages."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence):
        parts = [m.get("content") for m in completion if isinstance(m, Mapping) and m.get("role") == "assistant"]
        return str(parts[-1]) if parts and parts[-1] is not None else ""
    raise TypeError(f"a completion is a string or a list of chat messages, got {type(completion).__name__}")


@dataclass
class DakotaReward:
    """A TRL reward function: ``reward_scalar`` of each completion's ledger row."""

    tasks: Mapping[str, GrammarTask]
    rubric: DakotaGrammarRubric
    recorder: RunRecorder | None = None
    latest_rows: list[dict[str, Any]] = field(default_factory=list)
    """The ledger rows of the latest call, in completion order."""
    _golds: dict[str, GoldSpec] = field(default_factory=dict)
    _calls: int = 0

    def __post_init__(self) -> None:
        self.__name__ = "reward_scalar"  # TRL names the reward's metrics after it

    def gold(self, task_id: str) -> GoldSpec:
        if task_id not in self._golds:
            try:
                task = self.tasks[task_id]
            except KeyError:
                raise KeyError(f"task_id {task_id!r} is not in this selection; score with the rows it made") from None
            self._golds[task_id] = self.rubric.gold(task.answer, task.info())
        return self._golds[task_id]

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        task_id: Sequence[str] | None = None,
        trainer_state: Any = None,
        **_: Any,
    ) -> list[float]:
        if task_id is None:
            raise ValueError("the dataset rows need a 'task_id' column (use trl_rows / DakotaTRL.dataset)")
        self._calls += 1
        rows, scored = [], []
        for completion, key in zip(completions, task_id, strict=True):
            text = completion_text(completion)
            row = self.rubric.score_gold(text, self.gold(key)).as_dict()
            rows.append(row)
            task = self.tasks[key]
            scored.append({"task": _task_data(task), "completion": text, "ledger": row})
        self.latest_rows = rows
        if self.recorder is not None:
            # The rollouts serve the optimizer step after the ones already done.
            step = (trainer_state.global_step if trainer_state is not None else self._calls - 1) + 1
            self.recorder.record(step, scored)
        return [float(row["reward_scalar"]) for row in rows]


def _task_data(task: GrammarTask) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "task_type": task.task_type,
        "difficulty": task.difficulty,
        "prompt": task.prompt,
        "answer": task.answer,
    }


def run_identity(run_dir: Path, name: str | None = None) -> tuple[str, str]:
    """The run's id and name, kept in ``run.json`` so a resumed run stays one run."""
    path = Path(run_dir) / RUN_FILE
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["run_id"]), str(data["name"])
    run_id, run_name = uuid.uuid4().hex[:12], name or Path(run_dir).name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run_id": run_id, "name": run_name}) + "\n", encoding="utf-8")
    return run_id, run_name


@dataclass
class DakotaTRL:
    """What a `GRPOTrainer` needs: rows, reward functions, callbacks."""

    selection: TaskSelection
    scoring: Scoring
    tasks: list[GrammarTask]
    reward: DakotaReward
    callbacks: list[Any] = field(default_factory=list)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return trl_rows(self.tasks, self.selection.system_prompt)

    @property
    def reward_funcs(self) -> list[DakotaReward]:
        return [self.reward]

    def dataset(self) -> Any:
        """The rows as a `datasets.Dataset` (what `GRPOTrainer` takes)."""
        datasets = import_from_extra("datasets", "train", "training")
        return datasets.Dataset.from_list(self.rows)


def dakota_trl(
    selection: TaskSelection | None = None,
    scoring: Scoring | None = None,
    run_dir: str | Path | None = None,
    wandb: bool = False,
    report: Report | None = print,
    total_steps: int | None = None,
) -> DakotaTRL:
    """The Dakota tasks, reward and ledger for a TRL script.

    selection: which tasks (the taskset's fields; default: every train task).
    scoring: the rubric's knobs (default: the taskset's defaults).
    run_dir: where the ledger goes: ``rollouts/step_N/...`` and ``metrics.jsonl`` as
        each step finishes, and ``wandb_analysis/reward_ledger.csv`` and
        ``reward_ledger_rollouts.csv`` through the crash-safe sink. None: no files
        (the rows of the latest call are in ``reward.latest_rows``).
    wandb: also log each step's means as ``ledger/<field>`` into the W&B run TRL opened
        (``report_to="wandb"``), against TRL's ``train/global_step``.
    report: where the progress line of each step goes (None: nowhere).
    """
    selection = selection or TaskSelection()
    scoring = scoring or Scoring()
    tasks = selection.tasks()
    recorder, callbacks = None, []
    if run_dir is not None:
        from dakota_grammar_env.training.callback import LedgerCallback

        run_id, run_name = run_identity(Path(run_dir))
        recorder = RunRecorder(Path(run_dir), run_id, run_name)
        callbacks.append(LedgerCallback(recorder, report=report, wandb=wandb, total_steps=total_steps))
    reward = DakotaReward({task.task_id: task for task in tasks}, scoring.rubric(), recorder)
    return DakotaTRL(selection, scoring, tasks, reward, callbacks)
