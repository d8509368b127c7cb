"""What a reply policy of the probe sees (`ProbeContext`) and what it is (`PolicySpec`),
with the helpers policies share: the answer line, and closed-answer labels moved round
their cycle."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dakota_grammar_env.reward.gold import GoldSpec
from dakota_grammar_env.tasks.task import GrammarTask

PERSON_LABELS = ("first", "second", "third")
NUMBER_LABELS = ("singular", "dual", "plural")
NUMBER_CODES = ("sg", "du", "pl")
"""The slot values `slots.read_slots` gives for NUMBER_LABELS (persons are "1" to "3")."""


def label_words(slots: Mapping[str, str], person_shift: int = 0, number_shift: int = 0) -> tuple[str, str]:
    """(person word, number word) of closed-answer `slots`, each moved on by its shift
    (1: the next value round the cycle, a wrong one)."""
    person = (int(slots["person"]) - 1 + person_shift) % len(PERSON_LABELS)
    number = (NUMBER_CODES.index(slots["number"]) + number_shift) % len(NUMBER_LABELS)
    return PERSON_LABELS[person], NUMBER_LABELS[number]


@dataclass(frozen=True)
class ProbeContext:
    """What a policy may look at: the task and its gold, another task of the same family
    whose answer looks nothing like this one's, the constant fitted on the train split
    for this family, and a seeded random generator."""

    task: GrammarTask
    gold: GoldSpec
    other: GrammarTask
    rng: random.Random
    constants: Mapping[str, str] = field(default_factory=dict)

    @property
    def given(self) -> str | None:
        """The form the prompt starts from: the base form, or the first listed baseline."""
        return self.task.base_form or next(iter(self.task.baseline), None)


Policy = Callable[[ProbeContext], str | None]


@dataclass(frozen=True)
class PolicySpec:
    name: str
    kind: str
    make: Policy
    description: str
    group: str = ""

    @property
    def report_group(self) -> str:
        return self.group or self.name


def as_answer(text: str | None) -> str | None:
    return None if text is None else f"Answer: {text}"
