"""The verifiers v1 taskset: `vf-eval dakota-grammar` and prime-rl's `taskset.id`.

One chat turn per task. Scoring is one `@vf.metric` that writes the full ledger row to
``trace.info["ledger"]`` and returns its numeric fields as ``ledger/<field>`` (prime-rl
logs those to W&B and ``metrics.jsonl`` by itself), and one `@vf.reward` with weight
1.0, ``reward_scalar``, that returns the ledger's final value: the components never
enter the training reward separately, so ``trace.reward == ledger["reward_scalar"]``.

Scoring knobs (weights, cap, floor, folding) live on the task config, because env-server
processes rebuild each task from its data and ``taskset.task`` alone; ``weights`` on
the taskset config is a shortcut that sets ``task.weights``.

Works with the v1 API of verifiers 0.3.1 (prime-rl's pin) and 0.4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import verifiers.v1 as vf
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dakota_grammar_env.reward.orthography import Folding
from dakota_grammar_env.reward.rubric import DEFAULT_CHAR_FLOOR, DEFAULT_PARTIAL_CAP, DakotaGrammarRubric, RewardWeights
from dakota_grammar_env.tasks.loading import choose_tasks, collector_paused
from dakota_grammar_env.tasks.task import SYSTEM_PROMPT, GrammarTask

__all__ = [
    "DakotaGrammarData",
    "DakotaGrammarEnv",
    "DakotaGrammarEnvConfig",
    "DakotaGrammarTask",
    "DakotaGrammarTaskConfig",
    "DakotaGrammarTaskset",
    "DakotaGrammarTasksetConfig",
]


class WeightsConfig(BaseModel):
    """The reward's weights. Reward v2 has one, ``ortho``: the share of partial credit the
    marked letters carry (exact match always earns 1; the other factors multiply)."""

    model_config = ConfigDict(extra="allow")

    ortho: float = Field(RewardWeights.ortho, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _known_names(self) -> WeightsConfig:
        RewardWeights.coerce({"ortho": self.ortho, **(self.model_extra or {})})
        return self


class DakotaGrammarTaskConfig(vf.TaskConfig):
    """How each rollout is scored (read in the process that scores it)."""

    weights: WeightsConfig = WeightsConfig()
    partial_cap: float = Field(DEFAULT_PARTIAL_CAP, ge=0.0, lt=1.0)
    """The most a reply that is not an exact match can earn."""
    char_floor: float = Field(DEFAULT_CHAR_FLOOR, ge=0.0, lt=1.0)
    """The letter similarity that earns nothing, even where the prompt gives nothing."""
    folding: Literal["none", "typographic", "riggs"] = Folding.RIGGS.value
    """Which variant spellings of Riggs' letters count as the letter."""


class DakotaGrammarData(vf.TaskData):
    """One task on the wire: the prompt, the gold, and the rubric's `info`."""

    id: str | None = None
    answer: str
    task_type: str
    difficulty: str
    info: dict[str, Any] = Field(default_factory=dict)


_RUBRICS: dict[str, DakotaGrammarRubric] = {}


def rubric_for(config: DakotaGrammarTaskConfig) -> DakotaGrammarRubric:
    """One rubric per distinct scoring config per process (its gold cache is shared)."""
    key = config.model_dump_json(include={"weights", "partial_cap", "char_floor", "folding"})
    if key not in _RUBRICS:
        _RUBRICS[key] = DakotaGrammarRubric(
            weights=config.weights.model_dump(),
            partial_cap=config.partial_cap,
            folding=config.folding,
            char_floor=config.char_floor,
        )
    return _RUBRICS[key]


class DakotaGrammarTask(vf.Task[DakotaGrammarData, vf.State, DakotaGrammarTaskConfig]):
    """A single-turn Dakota grammar question scored by `DakotaGrammarRubric`."""

    @property
    def key(self) -> str:
        """The dataset's task id: stable across runs, whatever `idx` a run assigns."""
        return self.data.id or self.hash

    @property
    def rubric(self) -> DakotaGrammarRubric:
        return rubric_for(self.config)

    def score_reply(self, reply: str) -> dict[str, Any]:
        """The ledger row of `reply` for this task."""
        gold = self.rubric.gold(self.data.answer, self.data.info)
        return self.rubric.score_gold(reply, gold).as_dict()

    @vf.stop
    async def single_turn(self, response: vf.Response) -> bool:
        """One question, one answer."""
        return True

    @vf.metric
    async def ledger(self, trace: vf.Trace) -> dict[str, float]:
        """The reward ledger: stored whole in trace.info, numeric fields as metrics."""
        ledger = self.rubric.score_gold(trace.last_reply, self.rubric.gold(self.data.answer, self.data.info))
        trace.info["ledger"] = ledger.as_dict()
        return {f"ledger/{name}": value for name, value in ledger.numeric().items()}

    @vf.reward(weight=1.0)
    async def reward_scalar(self, trace: vf.Trace) -> float:
        """The ledger's final value (metrics run first, so the ledger is in trace.info;
        it is recomputed if the ledger metric was switched off)."""
        row = trace.info.get("ledger") or self.score_reply(trace.last_reply)
        return float(row["reward_scalar"])

    async def validate(self, runtime: Any = None) -> bool:
        """The gold answer, given as the system prompt asks, must score 1.0."""
        return self.score_reply(f"Answer: {self.data.answer}")["reward_scalar"] == 1.0


class DakotaGrammarTasksetConfig(vf.TasksetConfig):
    """Which tasks load (`--env.taskset.*`)."""

    task: DakotaGrammarTaskConfig = DakotaGrammarTaskConfig()
    data_path: Path | None = None
    """A task file (project or Dakota1890 JSONL); unset = the shipped dataset."""
    split: Literal["train", "test", "all"] = "train"
    task_types: list[str] = Field(default_factory=list)
    """Keep only these task types (empty = all)."""
    difficulties: list[str] = Field(default_factory=list)
    """Keep only these difficulties (empty = all)."""
    seed: int | None = 0
    """Shuffle the tasks with this seed; null keeps file order."""
    num_tasks: int | None = Field(None, ge=1)
    """Keep the first N tasks after filtering and shuffling (null = all)."""
    system_prompt_text: str = SYSTEM_PROMPT
    """The system prompt each task carries (the file-based `system_prompt` overrides it)."""
    weights: WeightsConfig | None = None
    """Shortcut for `task.weights`."""
    ledger_hook: bool = False
    """Under prime-rl, also write wandb_analysis/reward_ledger.csv and log ledger/* from
    the orchestrator (see dakota_grammar_env.runs.prime_rl_hook)."""

    @model_validator(mode="after")
    def _weights_to_task(self) -> DakotaGrammarTasksetConfig:
        if self.weights is not None:
            if "weights" in self.task.model_fields_set and self.task.weights != self.weights:
                raise ValueError("weights and task.weights are both set and differ; set one")
            self.task = self.task.model_copy(update={"weights": self.weights})
        return self


def _task_data(task: GrammarTask, idx: int, system_prompt: str) -> DakotaGrammarData:
    return DakotaGrammarData(
        idx=idx,
        id=task.task_id,
        prompt=task.prompt,
        system_prompt=system_prompt,
        answer=task.answer,
        task_type=task.task_type,
        difficulty=task.difficulty,
        info=task.info(),
    )


class DakotaGrammarTaskset(vf.Taskset[DakotaGrammarTask, DakotaGrammarTasksetConfig]):
    """Dakota grammar tasks from the shipped dataset or a task file."""

    def load(self) -> list[DakotaGrammarTask]:
        if self.config.ledger_hook:
            from dakota_grammar_env.runs.prime_rl_hook import register

            register()  # load() runs in prime-rl's orchestrator, after its monitors exist
        tasks = choose_tasks(
            self.config.data_path,
            split=self.config.split,
            task_types=self.config.task_types,
            difficulties=self.config.difficulties,
            seed=self.config.seed,
            num_tasks=self.config.num_tasks,
        )
        with collector_paused():
            return [
                DakotaGrammarTask(_task_data(task, idx, self.config.system_prompt_text), self.config.task)
                for idx, task in enumerate(tasks)
            ]


class DakotaGrammarEnvConfig(vf.SingleAgentEnvConfig):
    """Chat defaults: the `null` harness (one plain chat call) in a local subprocess."""

    agent: vf.AgentConfig = vf.AgentConfig(harness={"id": "null"}, runtime=vf.SubprocessConfig())


class DakotaGrammarEnv(vf.Env[DakotaGrammarEnvConfig]):
    """The single-agent env with chat defaults, so `vf-eval dakota-grammar` needs no
    harness or runtime flags."""

    async def run(self, task: vf.Task, agents: vf.Agents) -> None:
        await agents.agent.run(task)
