"""Fixtures of the integration tests: an OpenAI-compatible stub that vf-eval talks to."""

from __future__ import annotations

import json

import pytest

from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path
from tests.support import processes


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
