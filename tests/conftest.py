"""Shared fixtures. Every ledger any test produces in-process is checked by `verify_row`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dakota_grammar_env.ledger import verify_row
from dakota_grammar_env.loading import read_tasks, shipped_data_path
from dakota_grammar_env.rubric import DakotaGrammarRubric

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO.parent / "shared" / "reference" / "dakota1890"
REFERENCE_FILES = [REFERENCE_DIR / f"grammar_tasks_{level}.jsonl" for level in ("easy", "medium", "hard")]

needs_reference = pytest.mark.skipif(
    not REFERENCE_DIR.is_dir(), reason="../shared/reference/dakota1890 is not beside this checkout"
)


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


CHARTED_FIELDS = (
    "exact_match_raw",
    "novel_raw",
    "novel_norm",
    "char_overlap_raw",
    "char_overlap_baseline",
    "char_overlap_norm",
    "orthography_raw",
    "w_ortho",
    "slots_raw",
    "composite_predicted",
    "partial_credit",
    "reward_scalar",
    "parse_ok",
)
"""Ledger fields users chart; every ledger must have them (empty where a component does not apply)."""

NEVER_EMPTY_FIELDS = (
    "exact_match_raw",
    "w_ortho",
    "length_penalty_norm",
    "composite_predicted",
    "partial_credit",
    "reward_scalar",
    "parse_ok",
)
"""Numeric ledger fields every row fills, so every step mean has them."""

CONJUGATE_INFO = {
    "task_id": "t-wakaga",
    "task_type": "conjugate",
    "difficulty": "easy",
    "base_form": "kaġa",
    "morphemes": [
        {"form": "wa", "role": "prefix", "required": True},
        {"form": "kaġa", "role": "stem"},
    ],
    "target_word": 0,
}


PROJECT_ROW = {
    "id": "t1",
    "task_type": "conjugate",
    "difficulty": "easy",
    "prompt": "Conjugate kaġa for 'I'.",
    "answer": "wakaġa",
    "base_form": "kaġa",
    "morphemes": [{"form": "wa", "role": "prefix", "required": True}, {"form": "kaġa", "role": "stem"}],
    "split": "train",
}
"""A valid row of the project's schema, for tests to vary."""


def write_jsonl(tmp_path: Path, rows: list, name: str = "tasks.jsonl") -> Path:
    """A task file: dict rows as JSON lines, str rows written as they are (bad lines)."""
    path = tmp_path / name
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


STUB = Path(__file__).with_name("stub_openai_server.py")


@pytest.fixture
def stub_server(tmp_path):
    """The stub, replying with the gold to every other task and a near miss otherwise."""
    replies = {}
    for index, task in enumerate(read_tasks(shipped_data_path()).tasks):
        answer = task.answer if index % 2 else task.answer[:-1] + "x"
        replies[task.prompt] = f"<think>Which rule applies?</think>\nAnswer: {answer}"
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(replies, ensure_ascii=False), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(STUB), "--port", "0", "--replies", str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{line.split()[1]}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)
