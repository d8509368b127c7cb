"""dakota-grammar-env: Dakota grammar tasks, a reward that explains itself, and a verifiers taskset.

The core (orthography, answer extraction, `DakotaGrammarRubric` and its ledger, data
loading) imports neither verifiers nor wandb. The verifiers v1 classes below are
imported on first use, so `dakota-grammar score` starts fast and the core works on a
machine without verifiers.
"""

from __future__ import annotations

import importlib
from typing import Any

from dakota_grammar_env.ledger import LEDGER_VERSION, LedgerError, RewardLedger, verify_row
from dakota_grammar_env.rubric import DEFAULT_PARTIAL_CAP, DakotaGrammarRubric, RewardWeights

__version__ = "0.1.0"

_V1_NAMES = ("DakotaGrammarTaskset", "DakotaGrammarEnv")

__all__ = [
    "DEFAULT_PARTIAL_CAP",
    "LEDGER_VERSION",
    "DakotaGrammarEnv",
    "DakotaGrammarRubric",
    "DakotaGrammarTaskset",
    "LedgerError",
    "RewardLedger",
    "RewardWeights",
    "verify_row",
]


def _import_v1() -> Any:
    try:
        return importlib.import_module("dakota_grammar_env.taskset")
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


def __getattr__(name: str) -> Any:
    if name in _V1_NAMES:
        value = getattr(_import_v1(), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dakota_grammar_env' has no attribute {name!r}")
