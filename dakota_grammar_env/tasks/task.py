"""A Dakota grammar task, whatever file it came from, and the instructions a model sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SYSTEM_PROMPT = (
    "You answer questions about the Dakota language as Stephen Return Riggs describes it "
    "in his Grammar and Dictionary of the Dakota Language (1852). "
    "Write Dakota in Riggs' letters (ŋ ṡ ć ċ ḣ ġ ż ḳ ṗ ṭ). "
    "You may reason first, but finish with one last line of the form\n"
    "Answer: <answer>\n"
    "with only the form or gloss asked for on that line."
)
"""The default system prompt: it asks for the `Answer:` line the extractor reads."""

SPLITS = ("train", "test")


@dataclass(frozen=True)
class GrammarTask:
    """One task: the prompt, the gold answer, and what the rubric needs to judge it.

    `morphemes` (project schema) or `required_affixes` (Dakota1890 labels) describe the
    affixes the answer carries; `base_form` is the form the task starts from; `baseline`
    lists what a reply could say from the prompt alone (`dakota_grammar_env.reward.baseline`),
    and `baseline_source` where that list came from (``data``: the row's own field;
    ``prompt``: derived from the prompt when the row has none). `origin` says where the
    row came from (file:line), for error messages."""

    task_id: str
    task_type: str
    difficulty: str
    prompt: str
    answer: str
    accepted: tuple[str, ...] = ()
    base_form: str | None = None
    lemma: str | None = None
    gloss: str | None = None
    morphemes: tuple[dict[str, Any], ...] | None = None
    target_word: int = 0
    required_affixes: tuple[str, ...] = ()
    baseline: tuple[str, ...] = ()
    baseline_source: str = "none"
    split: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    def info(self) -> dict[str, Any]:
        """The `info` mapping the rubric reads (JSON-serialisable)."""
        info: dict[str, Any] = {
            "task_id": self.task_id,
            "task_type": self.task_type,
            "difficulty": self.difficulty,
        }
        if self.accepted:
            info["accepted"] = list(self.accepted)
        if self.base_form:
            info["base_form"] = self.base_form
        info["baseline"] = list(self.baseline)
        info["baseline_source"] = self.baseline_source
        if self.morphemes is not None:
            info["morphemes"] = [dict(m) for m in self.morphemes]
            info["target_word"] = self.target_word
        elif self.required_affixes:
            info["required_affixes"] = list(self.required_affixes)
        return info
