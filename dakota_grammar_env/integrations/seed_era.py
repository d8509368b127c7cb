"""The seed-era environment: `load_environment()` for verifiers 0.1 to 0.3.

Trainers on the late-2025 stack (prime-rl up to v0.8.0, `[[orchestrator.env]] id =
"dakota-grammar"`, and verifiers 0.3.1's `vf-eval`) load environments through a
module-level `load_environment(**kwargs)` and score them with a v0 `Rubric`. This module
serves them the same reward and the same ledger as the v1 taskset:

- one reward function, `reward_scalar` (weight 1.0), so the v0 weighted sum *is* the
  ledger's `reward_scalar`;
- every numeric ledger field as a zero-weight metric `ledger/<field>`, which old
  prime-rl logs to W&B as `metrics/ledger/<field>` step means. A component that does
  not apply to a task reports 0 there, so the `novel_*`, `char_overlap_*`,
  `orthography_*` and `slots_*` means are over all rollouts; their
  `ledger/<component>_applicable` means turn them back into means over the rollouts
  they apply to (`runs.wandb_history` does this);
- the whole ledger row in the rollout's `info["ledger"]`, so saved outputs carry it.

The ledger is computed once per rollout, by `reward_scalar`, and kept in that rollout's
own state: concurrent rollouts never share a slot. Only `load_environment` (in the
package root) imports this module, and only when called; the v1 taskset never does.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from dakota_grammar_env.reward.ledger import NUMERIC_FIELDS, RewardLedger, flat_metric
from dakota_grammar_env.reward.orthography import Folding
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks, select_tasks, shipped_data_path
from dakota_grammar_env.tasks.task import GrammarTask


def _installed_verifiers() -> str:
    try:
        return f"verifiers {version('verifiers')} is installed"
    except PackageNotFoundError:
        return "verifiers is not installed"


try:
    import verifiers as vf

    _V0_BASES = (vf.SingleTurnEnv, vf.Rubric, vf.Parser)
    from datasets import Dataset
except (ImportError, AttributeError) as _error:
    raise ImportError(
        f"load_environment() is the seed-era (v0) entry point and needs verifiers' v0 API "
        f"(verifiers 0.1 to 0.3), but {_installed_verifiers()} ({_error}). With verifiers 0.4 use the "
        'v1 taskset instead (`vf-eval dakota-grammar`, or `env.taskset.id = "dakota-grammar"` in '
        "prime-rl); for the seed-era stack: pip install 'verifiers==0.3.1'"
    ) from _error

LEDGER_INFO_KEY = "ledger"
"""Where each rollout's ledger row is kept: ``state["info"]["ledger"]`` (as in v1 traces)."""

GOLD_INFO_KEY = "rubric_info"
"""The task's rubric info, as JSON text: an Arrow dataset column cannot hold the
differently shaped info mappings of different task types without padding them."""

METRIC_PREFIX = "ledger/"
SPLIT_CHOICES = ("train", "test", "all")


def _plain(value: Any) -> Any:
    """Chat messages as plain dicts and lists (v0 hands some over as pydantic models)."""
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _plain(dump())
    if isinstance(value, Sequence):
        return [_plain(item) for item in value]
    return value


def _gold_info(info: Mapping[str, Any] | None) -> dict[str, Any]:
    if not info:
        return {}
    text = info.get(GOLD_INFO_KEY)
    if isinstance(text, str):
        return json.loads(text)
    return {key: value for key, value in info.items() if key != LEDGER_INFO_KEY}


def _stored_row(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ledger row a rollout's state carries in its info, if any."""
    info = state.get("info")
    row = info.get(LEDGER_INFO_KEY) if isinstance(info, Mapping) else None
    return row if isinstance(row, Mapping) else None


class DakotaGrammarParser(vf.Parser):
    """Reads the final answer span the way the rubric does (`Answer:` line, boxed, bare)."""

    def parse_answer(self, completion: Any) -> str | None:
        from dakota_grammar_env.reward.extraction import extract_answer

        return extract_answer(_plain(completion)).span


class DakotaGrammarSeedEraRubric(vf.Rubric):
    """A v0 `Rubric` whose one weighted function is `DakotaGrammarRubric`'s reward."""

    def __init__(self, rubric: DakotaGrammarRubric | None = None, parser: Any = None) -> None:
        super().__init__(parser=parser or DakotaGrammarParser())
        self.dakota = rubric or DakotaGrammarRubric()
        self.add_reward_func(self._reward_function(), weight=1.0)
        for name in NUMERIC_FIELDS:
            self.add_metric(self._metric_function(name), weight=0.0)

    def score_state(self, completion: Any, answer: str, info: Mapping[str, Any] | None, state: Any) -> dict[str, Any]:
        """Score one rollout and keep its ledger in that rollout's state (a fresh info
        dict: rollouts of the same example must not share one)."""
        gold = self.dakota.gold(answer, _gold_info(info))
        row = self.dakota.score_gold(_plain(completion), gold).as_dict()
        if state is not None:
            state["info"] = {**dict(info or {}), LEDGER_INFO_KEY: row}
        return row

    def _row(self, completion: Any, answer: str, info: Mapping[str, Any] | None, state: Any) -> Mapping[str, Any]:
        """The ledger row stored for this rollout (scored now if a metric runs before the
        reward or the state carries none)."""
        row = _stored_row(state if state is not None else {"info": info})
        return row if row is not None else self.score_state(completion, answer, info, state)

    def _reward_function(self) -> Any:
        def reward_scalar(completion: Any, answer: str, info: Any, state: Any) -> float:
            return float(self.score_state(completion, answer, info, state)["reward_scalar"])

        return reward_scalar

    def _metric_function(self, name: str) -> Any:
        def metric(completion: Any, answer: str, info: Any, state: Any) -> float:
            return flat_metric(self._row(completion, answer, info, state), name)

        metric.__name__ = metric.__qualname__ = METRIC_PREFIX + name
        return metric

    def get_reward_ledger(self, state: Mapping[str, Any] | None = None) -> RewardLedger | None:
        """With a rollout's state: that rollout's ledger (checked). Without: the latest
        ledger scored in this thread or asyncio task, never another rollout's."""
        if state is None:
            return self.dakota.get_reward_ledger()
        row = _stored_row(state)
        return RewardLedger(row) if row is not None else None


class DakotaGrammarSeedEraEnv(vf.SingleTurnEnv):
    """The seed-era single-turn environment; `get_reward_ledger` as on its rubric
    (`self.rubric` is a group: v0 adds its own turn-counting rubric beside ours)."""

    def __init__(self, *, rubric: DakotaGrammarSeedEraRubric, **kwargs: Any) -> None:
        self.dakota_rubric = rubric
        super().__init__(rubric=rubric, **kwargs)

    def get_reward_ledger(self, state: Mapping[str, Any] | None = None) -> RewardLedger | None:
        return self.dakota_rubric.get_reward_ledger(state)


def _rows(tasks: Sequence[GrammarTask]) -> list[dict[str, Any]]:
    return [
        {
            "question": task.prompt,
            "answer": task.answer,
            "info": {
                "task_id": task.task_id,
                "task_type": task.task_type,
                "difficulty": task.difficulty,
                GOLD_INFO_KEY: json.dumps(task.info(), ensure_ascii=False),
            },
        }
        for task in tasks
    ]


def _pick(
    tasks: list[GrammarTask],
    split: str,
    task_types: Sequence[str],
    difficulties: Sequence[str],
    seed: int | None,
    limit: int | None,
) -> list[GrammarTask]:
    chosen = select_tasks(tasks, split=split, task_types=task_types, difficulties=difficulties)
    if not chosen:
        raise ValueError(
            f"no task has split={split!r}, task_types={list(task_types)}, difficulties={list(difficulties)}"
        )
    if seed is not None:
        random.Random(seed).shuffle(chosen)
    return chosen[:limit] if limit is not None else chosen


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")


def build_environment(
    *,
    data_path: str | Path | None,
    split: str,
    eval_split: str | None,
    task_types: Sequence[str],
    difficulties: Sequence[str],
    seed: int | None,
    num_tasks: int | None,
    num_eval_tasks: int | None,
    system_prompt: str,
    weights: Mapping[str, float] | None,
    partial_cap: float,
    folding: str,
    char_floor: float,
) -> DakotaGrammarSeedEraEnv:
    """The environment `dakota_grammar_env.load_environment` returns (its defaults and
    argument docs live there, in the package root)."""
    for name, value in (("split", split), ("eval_split", eval_split)):
        if value not in SPLIT_CHOICES and not (name == "eval_split" and value is None):
            raise ValueError(f"{name} must be one of {list(SPLIT_CHOICES)}, got {value!r}")
    _check_count("num_tasks", num_tasks)
    _check_count("num_eval_tasks", num_eval_tasks)
    if isinstance(task_types, str) or isinstance(difficulties, str):
        raise ValueError("task_types and difficulties are lists of names, not one string")
    try:
        folding_value = Folding(folding)
    except ValueError:
        raise ValueError(f"folding must be one of {[f.value for f in Folding]}, got {folding!r}") from None
    rubric = DakotaGrammarRubric(weights=weights, partial_cap=partial_cap, folding=folding_value, char_floor=char_floor)
    tasks = read_tasks(data_path or shipped_data_path()).tasks
    train = _pick(tasks, split, task_types, difficulties, seed, num_tasks)
    held_out = _pick(tasks, eval_split, task_types, difficulties, seed, num_eval_tasks) if eval_split else None
    parser = DakotaGrammarParser()
    return DakotaGrammarSeedEraEnv(
        dataset=Dataset.from_list(_rows(train)),
        eval_dataset=Dataset.from_list(_rows(held_out)) if held_out else None,
        system_prompt=system_prompt,
        parser=parser,
        rubric=DakotaGrammarSeedEraRubric(rubric, parser),
    )
