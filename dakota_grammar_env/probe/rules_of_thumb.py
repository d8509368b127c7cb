"""How far a rule of thumb gets on a task file: every prompt-only reply policy of the
probe (`probe.policies`) is played on every task, and per family the one most often
exactly right is kept: the share of a family a reader answers from the prompt alone.
(The probe's fitted constant is left out: it needs the rubric fitted on the train
split; the probe reports it.) `dakota-grammar data audit` prints it for a file in the
project schema, beside the provenance table (`tasks.provenance`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from dakota_grammar_env.probe.context import ProbeContext
from dakota_grammar_env.probe.policies import POLICIES
from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.task import GrammarTask

SKIPPED_POLICIES = ("fitted_constant",)


@dataclass(frozen=True)
class RuleOfThumb:
    family: str
    policy: str
    right: int
    tasks: int

    @property
    def share(self) -> float:
        return self.right / self.tasks if self.tasks else 0.0


def _answer_text(reply: str) -> str:
    return reply.removeprefix("Answer: ") if reply.startswith("Answer: ") else ""


def rules_of_thumb(tasks: Sequence[GrammarTask], seed: int = 0) -> dict[str, RuleOfThumb]:
    """Per family, the prompt-only policy most often exactly right, and how often."""
    rubric = DakotaGrammarRubric()
    golds = [rubric.gold(task.answer, task.info()) for task in tasks]
    policies = [p for p in POLICIES if p.kind == "prompt-only" and p.name not in SKIPPED_POLICIES]
    sizes = Counter(task.task_type for task in tasks)
    right: Counter[tuple[str, str]] = Counter()
    for spec in policies:
        rng = random.Random(f"{seed}:{spec.name}")
        for index, (task, gold) in enumerate(zip(tasks, golds, strict=True)):
            ctx = ProbeContext(task=task, gold=gold, other=tasks[(index + 1) % len(tasks)], rng=rng)
            reply = spec.make(ctx)
            if reply is not None and normalize(_answer_text(reply)) in gold.references:
                right[(task.task_type, spec.name)] += 1
    best: dict[str, RuleOfThumb] = {}
    for family, size in sorted(sizes.items()):
        counts = [(count, name) for (fam, name), count in right.items() if fam == family]
        count, name = max(counts, key=lambda item: (item[0], item[1]), default=(0, "-"))
        best[family] = RuleOfThumb(family, name, count, size)
    return best


def format_best_rules(thumbs: dict[str, RuleOfThumb]) -> str:
    """The rule-of-thumb table, as plain text."""
    lines = ["rules of thumb: the prompt-only policy most often exactly right, per family (share of its tasks)"]
    for family, thumb in thumbs.items():
        lines.append(f"{family:<18} {thumb.policy:<28} {thumb.right:>5,} of {thumb.tasks:<5,} ({thumb.share:6.1%})")
    return "\n".join(lines)
