"""The earlier public attempt's reward, re-implemented from its documented formulas.

Source of the formulas: ``../shared/reference/dakota1890/README.md`` ("The earlier
reward, as published"). Used only as a baseline (speed, and what it pays for); the
affix check follows the documented regex semantics (a word-character run before or
after the affix) without compiling data text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

WEIGHTS = {"exact": 0.4, "char": 0.2, "pattern": 0.15, "affix": 0.1, "length": 0.15}
_WORD_RUNS = re.compile(r"\w+")


def _normalise(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _char_f1(reply: str, gold: str) -> float:
    a, b = Counter(reply.replace(" ", "")), Counter(gold.replace(" ", ""))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def _affix(reply: str, labels: list[str]) -> float:
    if not labels:
        return 1.0
    words = _WORD_RUNS.findall(reply)
    hits = 0
    for label in labels:
        if label.startswith("-"):
            core = label[1:]
            hits += any(len(w) > len(core) and w.endswith(core) for w in words)
        elif label.endswith("-"):
            core = label[:-1]
            hits += any(len(w) > len(core) and w.startswith(core) for w in words)
        else:
            hits += label in reply
    return hits / len(labels)


def legacy_score(reply: str, answer: str, info: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The old components and their weighted sum (the reward prime-rl trained on)."""
    info = info or {}
    r, g = _normalise(reply), _normalise(answer)
    ratio = len(r.split()) / max(1, len(g.split()))
    parts = {
        "exact": 1.0 if r == g else 0.0,
        "char": _char_f1(r, g),
        "pattern": 0.0,  # `verification_pattern` is in no data row
        "affix": _affix(reply, list(info.get("required_affixes") or [])),
        "length": 1.0 if ratio <= 3 else max(0.1, 3 / ratio),
    }
    parts["total"] = sum(WEIGHTS[name] * parts[name] for name in WEIGHTS)
    return parts
