"""dakota-grammar-env: Dakota grammar tasks, a reward that explains itself, and a verifiers taskset.

The core (orthography, answer extraction, `DakotaGrammarRubric` and its ledger, data
loading) imports neither verifiers nor wandb. The verifiers v1 classes below are
imported on first use, so `dakota-grammar score` starts fast and the core works on a
machine without verifiers.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from dakota_grammar_env.reward.ledger import LEDGER_VERSION, LedgerError, RewardLedger, verify_row
from dakota_grammar_env.reward.rubric import DEFAULT_CHAR_FLOOR, DEFAULT_PARTIAL_CAP, DakotaGrammarRubric, RewardWeights
from dakota_grammar_env.tasks.task import SYSTEM_PROMPT

__version__ = "0.1.0"

_V1_NAMES = ("DakotaGrammarTaskset", "DakotaGrammarEnv")

__all__ = [
    "DEFAULT_CHAR_FLOOR",
    "DEFAULT_PARTIAL_CAP",
    "LEDGER_VERSION",
    "DakotaGrammarEnv",
    "DakotaGrammarRubric",
    "DakotaGrammarTaskset",
    "LedgerError",
    "RewardLedger",
    "RewardWeights",
    "load_environment",
    "verify_row",
]


def _import_v1() -> Any:
    try:
        return importlib.import_module("dakota_grammar_env.integrations.taskset")
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.startswith("verifiers"):
            from importlib.metadata import PackageNotFoundError, version

            try:
                found = f"verifiers {version('verifiers')} is installed"
            except PackageNotFoundError:
                found = "verifiers is not installed"
            raise ImportError(
                f"The Dakota grammar taskset needs the verifiers v1 API (verifiers>=0.3.1), but {found}. "
                "Install it with: pip install 'dakota-grammar-env[v1]'"
            ) from error
        raise


def load_environment(
    *,
    data_path: str | None = None,
    split: str = "train",
    eval_split: str | None = "test",
    task_types: Sequence[str] = (),
    difficulties: Sequence[str] = (),
    seed: int | None = 0,
    num_tasks: int | None = None,
    num_eval_tasks: int | None = None,
    system_prompt: str = SYSTEM_PROMPT,
    weights: Mapping[str, float] | None = None,
    partial_cap: float = DEFAULT_PARTIAL_CAP,
    folding: str = "riggs",
    char_floor: float = DEFAULT_CHAR_FLOOR,
) -> Any:
    """The seed-era (v0) environment, for verifiers 0.1 to 0.3 and the prime-rl versions
    that load `[[orchestrator.env]] id = "dakota-grammar"` by calling this.

    data_path: a task file (project or Dakota1890 JSONL); None = the shipped dataset.
    split / eval_split: the tasks of the training and the evaluation dataset ('train',
        'test' or 'all'; eval_split None = no evaluation dataset). vf-eval uses eval_split.
    task_types, difficulties: keep only these (empty = all).
    seed: shuffle with this seed (None keeps file order); num_tasks / num_eval_tasks:
        then keep the first N.
    weights, partial_cap, folding, char_floor: the rubric's knobs, as on `DakotaGrammarRubric`.

    Imports `dakota_grammar_env.integrations.seed_era` (and verifiers' v0 API) only now; a clear
    ImportError says what to do where the installed verifiers has no v0 API."""
    arguments = dict(locals())
    from dakota_grammar_env.integrations.seed_era import build_environment

    return build_environment(**arguments)


def __getattr__(name: str) -> Any:
    if name in _V1_NAMES:
        value = getattr(_import_v1(), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dakota_grammar_env' has no attribute {name!r}")
