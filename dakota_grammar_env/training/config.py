"""`dakota-grammar train`'s configuration: one dataclass that validates itself, read
from a TOML file (`--config`) and then overridden by flags.

The TOML file holds the same names at the top level, plus an optional ``[vllm]`` table
passed through to TRL's ``GRPOConfig`` as ``vllm_<key>`` (for GPU users):

    model = "Qwen/Qwen3-0.6B"      # a local directory or a name transformers can load
    task_types = ["conjugate"]
    steps = 200
    device = "cuda"
    [vllm]
    mode = "colocate"
    gpu_memory_utilization = 0.3

Unset, the model is the embedded SmolLM2-135M-Instruct and the tasks, prompt and
sampling are the embedded default (`EMBEDDED_DEFAULT`), chosen by measurement to show
learning on 2 CPU cores in about 10 minutes.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dakota_grammar_env.jobs.toml_text import toml_value
from dakota_grammar_env.tasks.task import SYSTEM_PROMPT
from dakota_grammar_env.training.selection import TaskSelection

ANALYZE_PROMPT = (
    "Your reply is one line that starts with 'Answer:' followed by the person and number, e.g.\n"
    "Answer: third person singular"
)
"""The embedded default's system prompt: the one line the extractor reads, shown once.
Its example label is the gold of no task in the default selection (easy analyze tasks
are first and second person singular, first person dual and third person plural), so
copying it earns nothing."""

EMBEDDED_DEFAULT: dict[str, Any] = {
    "task_types": ("analyze",),
    "difficulties": ("easy",),
    "system_prompt": ANALYZE_PROMPT,
}
"""What an unset model trains on: reading the person and number a verb form marks
(wa-/ma- first singular, ya-/ni- second singular, uŋ- first dual, -pi third plural)."""


class ConfigError(ValueError):
    """A bad configuration value; the message names the file or flag and the field."""


@dataclass
class TrainConfig:
    """Everything a training run needs; `validate` checks it, naming the field."""

    # which tasks (the taskset's selection fields)
    data_path: Path | None = None
    split: str = "train"
    task_types: tuple[str, ...] | None = None
    difficulties: tuple[str, ...] | None = None
    seed: int = 0
    num_tasks: int | None = None
    system_prompt: str | None = None
    # the policy and GRPO
    model: str | None = None
    """A local model directory or a transformers model name; unset: the embedded model."""
    group_size: int = 4
    prompts_per_step: int = 8
    max_completion_tokens: int = 24
    learning_rate: float = 5e-5
    temperature: float = 0.7
    beta: float = 0.0
    steps: int = 10
    save_steps: int = 5
    device: str = "cpu"
    vllm: dict[str, Any] = field(default_factory=dict)
    """Passed to GRPOConfig as vllm_<key>; ``use = true`` turns vLLM on."""
    # where and what else
    output_dir: Path | None = None
    wandb: bool = False
    eval_tasks: int | None = None
    """Held-out tasks evaluated before and after (default: the whole test selection)."""
    eval: bool = True

    @property
    def embedded(self) -> bool:
        return self.model is None

    def selection(self) -> TaskSelection:
        """The training tasks (the embedded default fills what is unset)."""
        defaults = EMBEDDED_DEFAULT if self.embedded else {}
        return TaskSelection(
            data_path=self.data_path,
            split=self.split,
            task_types=self.task_types if self.task_types is not None else defaults.get("task_types", ()),
            difficulties=self.difficulties if self.difficulties is not None else defaults.get("difficulties", ()),
            seed=self.seed,
            num_tasks=self.num_tasks,
            system_prompt=self.system_prompt or defaults.get("system_prompt", SYSTEM_PROMPT),
        )

    def eval_selection(self) -> TaskSelection:
        """The held-out tasks of the same selection: its test split, `eval_tasks` of them."""
        return dataclasses.replace(self.selection(), split="test", num_tasks=self.eval_tasks)

    def validate(self, where: str = "config") -> TrainConfig:
        positive = ("group_size", "prompts_per_step", "max_completion_tokens", "steps", "save_steps")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{where}: {name} must be a positive integer, got {value!r}")
        if self.group_size < 2:
            raise ConfigError(f"{where}: group_size must be at least 2 (GRPO compares completions within a group)")
        for name in ("num_tasks", "eval_tasks"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"{where}: {name} must be a positive integer, got {value!r}")
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ConfigError(f"{where}: learning_rate must be a positive number, got {self.learning_rate!r}")
        if not (isinstance(self.temperature, (int, float)) and self.temperature > 0):
            raise ConfigError(f"{where}: temperature must be a positive number, got {self.temperature!r}")
        if self.device not in ("cpu", "cuda"):
            raise ConfigError(f"{where}: device must be 'cpu' or 'cuda', got {self.device!r}")
        if self.split not in ("train", "test", "all"):
            raise ConfigError(f"{where}: split must be 'train', 'test' or 'all', got {self.split!r}")
        if not isinstance(self.vllm, dict):
            raise ConfigError(f"{where}: [vllm] must be a table, got {self.vllm!r}")
        return self

    def as_toml(self) -> str:
        """The resolved configuration, as a file `--config` reads back."""
        lines, vllm = [], ""
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value is None or item.name == "vllm":
                continue
            lines.append(f"{item.name} = {toml_value(value)}")
        if self.vllm:
            vllm = "\n[vllm]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in self.vllm.items())
        return "\n".join(lines) + "\n" + vllm


_FIELDS = {item.name: item for item in dataclasses.fields(TrainConfig)}
_TUPLES = {"task_types", "difficulties"}
_PATHS = {"data_path", "output_dir"}


def apply(config: TrainConfig, values: dict[str, Any], where: str) -> TrainConfig:
    """`config` with `values` set; an unknown name or a wrong type is a `ConfigError`."""
    for name, value in values.items():
        if name not in _FIELDS:
            raise ConfigError(f"{where}: unknown field {name!r}; the fields are {sorted(_FIELDS)}")
        if name in _TUPLES:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: {name} must be a list of strings, got {value!r}")
            value = tuple(value)
        elif name in _PATHS and value is not None:
            value = Path(value)
        elif name == "learning_rate" or name == "temperature" or name == "beta":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where}: {name} must be a number, got {value!r}")
            value = float(value)
        setattr(config, name, value)
    return config


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"--config {path}: cannot read it ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--config {path}: not valid TOML ({error})") from None


def load_config(path: Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """Defaults, then the TOML file, then the flags that were given."""
    config = TrainConfig()
    if path is not None:
        apply(config, read_toml(path), f"--config {path}")
    apply(config, {k: v for k, v in overrides.items() if v is not None}, "flags")
    return config.validate(f"--config {path}" if path else "flags")
