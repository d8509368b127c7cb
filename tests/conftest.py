"""Shared fixtures. Every ledger any test produces in-process is checked by `verify_row`."""

from __future__ import annotations

import json

import pytest

from dakota_grammar_env.reward.ledger import verify_row
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path
from tests.support import processes


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


@pytest.fixture
def rubric() -> DakotaGrammarRubric:
    return DakotaGrammarRubric()


@pytest.fixture
def stub_server(tmp_path):
    """The stub, replying with the gold to every other task and a near miss otherwise."""
    replies = {}
    for index, task in enumerate(read_tasks(shipped_data_path()).tasks):
        answer = task.answer if index % 2 else task.answer[:-1] + "x"
        replies[task.prompt] = f"<think>Which rule applies?</think>\nAnswer: {answer}"
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(replies, ensure_ascii=False), encoding="utf-8")
    with processes.stub_server(["--replies", str(path)]) as url:
        yield url
