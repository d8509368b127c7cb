"""What a project task file rests on: per family, the tasks whose gold Riggs prints and
those the cited rules build, each split by how the lexicon entry was checked (against
the text of the printed page, or only through the machine extraction of it), and the
tasks whose spelling is uncertain. `dakota-grammar data audit` prints it for a file in
the project schema, beside the rules of thumb (`probe.rules_of_thumb`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from dakota_grammar_env.tasks.task import GrammarTask

GOLD_KINDS = ("printed", "rules")
CHECKS = ("page", "extraction")


@dataclass
class FamilyProvenance:
    tasks: int = 0
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    uncertain: int = 0
    test: int = 0


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


def format_provenance(found: dict[str, FamilyProvenance]) -> str:
    """The provenance table, as plain text."""
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
    return "\n".join(lines)
