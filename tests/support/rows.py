"""Task rows and ledger fields tests vary and check."""

from __future__ import annotations

import json
from pathlib import Path

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
