"""Training on the Dakota grammar tasks with Hugging Face TRL's `GRPOTrainer`.

Two ways in:

- ``dakota-grammar train`` (`job`): GRPO on one machine, with the reward ledger live in
  a run directory the ledger tools read, before-and-after evaluation through
  ``dakota-grammar eval``, charts and ``summary.md``.
- The library entry point (`rewards.dakota_trl`): the dataset rows in TRL's
  conversational format, the reward function and the ledger callback for your own
  ``GRPOTrainer`` script.

Nothing here imports TRL, transformers or torch until it is used, so the package works
without the ``train`` extra; a missing extra is a one-line error that names it.

A layer above `jobs` (it runs `dakota-grammar eval` before and after training); it may
import every layer but `cli`.
"""

from dakota_grammar_env.training.rewards import DakotaReward, DakotaTRL, dakota_trl, trl_rows
from dakota_grammar_env.training.selection import Scoring, TaskSelection

__all__ = ["DakotaReward", "DakotaTRL", "Scoring", "TaskSelection", "dakota_trl", "trl_rows"]
