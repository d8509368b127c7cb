"""Fixtures for the whole suite. Every ledger any test produces in-process is checked by
`verify_row`; each folder's own fixtures are in its `conftest.py`."""

from __future__ import annotations

import pytest

from dakota_grammar_env.reward.ledger import verify_row
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path


@pytest.fixture(autouse=True)
def _verify_every_ledger(monkeypatch: pytest.MonkeyPatch) -> list:
    """Wrap the rubric so that each ledger row it returns is recomputed and checked."""
    produced: list = []
    original = DakotaGrammarRubric.score_gold

    def checked(self, completion, gold):
        ledger = original(self, completion, gold)
        verify_row(ledger)
        produced.append(ledger)
        return ledger

    monkeypatch.setattr(DakotaGrammarRubric, "score_gold", checked)
    return produced


@pytest.fixture(scope="session")
def shipped_tasks():
    return read_tasks(shipped_data_path()).tasks
