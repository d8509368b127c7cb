"""What a project task file rests on, and how far a rule of thumb gets on it.

`provenance` counts, per family, the tasks whose gold Riggs prints and those the cited
rules build, each split by how the lexicon entry was checked (against the text of the
printed page, or only through the machine extraction of it), and the tasks whose
spelling is uncertain. `rules_of_thumb` plays every prompt-only reply policy of the
probe (`probe_policies`) on every task and keeps, per family, the one most often exactly
right: the share of a family a reader answers from the prompt alone. (The probe's
fitted constant is left out: it needs the rubric fitted on the train split; the probe
reports it.) `dakota-grammar data audit` prints both for a file in the project schema.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from dakota_grammar_env.orthography import normalize
from dakota_grammar_env.probe_policies import POLICIES, ProbeContext
from dakota_grammar_env.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks import GrammarTask

GOLD_KINDS = ("printed", "rules")
CHECKS = ("page", "extraction")
SKIPPED_POLICIES = ("fitted_constant",)


@dataclass
class FamilyProvenance:
    tasks: int = 0
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    uncertain: int = 0
    test: int = 0


@dataclass(frozen=True)
class RuleOfThumb:
    family: str
    policy: str
    right: int
    tasks: int

    @property
    def share(self) -> float:
        return self.right / self.tasks if self.tasks else 0.0


def provenance(tasks: Sequence[GrammarTask]) -> dict[str, FamilyProvenance]:
    """Per family (and ``all``): tasks by (gold kind, check), uncertain spellings, test tasks."""
    found: dict[str, FamilyProvenance] = defaultdict(FamilyProvenance)
    for task in tasks:
        kind = (str(task.source.get("gold", "?")), str(task.source.get("checked", "?")))
        for family in (task.task_type, "all"):
            cell = found[family]
            cell.tasks += 1
            cell.kinds[kind] += 1
            cell.uncertain += "spelling" in task.source
            cell.test += task.split == "test"
    return dict(sorted(found.items(), key=lambda item: (item[0] == "all", item[0])))


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


def format_provenance(found: dict[str, FamilyProvenance], thumbs: dict[str, RuleOfThumb]) -> str:
    """The provenance table and the rule-of-thumb table, as plain text."""
    columns = [(kind, check) for kind in GOLD_KINDS for check in CHECKS]
    header = f"{'family':<18} {'tasks':>6} " + " ".join(f"{k + '/' + c:>18}" for k, c in columns)
    lines = [
        "provenance: gold printed by Riggs or built by the cited rules / lexicon entry checked against the page "
        "text or only the extraction",
        header + f" {'uncertain':>9} {'test':>6}",
    ]
    for family, cell in found.items():
        counts = " ".join(f"{cell.kinds[column]:>18,}" for column in columns)
        lines.append(f"{family:<18} {cell.tasks:>6,} {counts} {cell.uncertain:>9,} {cell.test:>6,}")
    lines += ["", "rules of thumb: the prompt-only policy most often exactly right, per family (share of its tasks)"]
    for family, thumb in thumbs.items():
        lines.append(f"{family:<18} {thumb.policy:<28} {thumb.right:>5,} of {thumb.tasks:<5,} ({thumb.share:6.1%})")
    return "\n".join(lines)
