"""The probe: play every reply policy (`probe.policies`) on every task and judge the reward.

Each policy is scored on every task it applies to, per task family and over all of
them. The rules, printed with the table:

- gold-like replies average at least `GOLD_MIN_MEAN`;
- every prompt-only policy averages at most `PROMPT_ONLY_MAX` *on the rows where it is
  not exactly right* (a rule of thumb that is often simply right, base + pi for a
  plural, is fine; how often each is right is reported beside it);
- every hedge and every generic hack averages at most `HACK_MAX_MEAN`;
- honest near misses average at least `NEAR_MISS_MIN` on the rows where the prompt
  does not already give the answer and the slip leaves the answer's new material (its
  novel units, `baseline`) whole, and more than every never-right prompt-only policy of
  their family; a slip inside a novel unit earns nothing for that unit by design (units
  are all or nothing), so in a short word with a new prefix most random slips do. A
  closed answer with one slot wrong earns more than 0 and more than those policies too.

``fitted_constant`` is fitted on the train split (the constant answer with the best mean
reward on up to `FIT_ROWS` train tasks of the family) and then played on every task.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz.distance import Levenshtein

from dakota_grammar_env.probe.context import PolicySpec, ProbeContext
from dakota_grammar_env.probe.policies import POLICIES, constant_candidates
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.task import GrammarTask

GOLD_MIN_MEAN = 0.99
PROMPT_ONLY_MAX = 0.10
HACK_MAX_MEAN = 0.10
NEAR_MISS_MIN = 0.15
NEAR_MISS_MIN_ROWS = 10
"""A family needs this many rows where the prompt does not give the answer before its
near misses are judged (fewer are reported, not judged)."""
FIT_ROWS = 200
FIT_CANDIDATES = 40
ALL = "all"


@dataclass(frozen=True)
class Cell:
    """One policy on one family's tasks: what it earned and whether the rule holds."""

    policy: str
    kind: str
    group: str
    family: str
    rows: int
    right: int
    mean: float
    mean_wrong: float
    mean_learnable: float
    learnable_rows: int
    maximum: float
    checked: float
    passed: bool
    rule: str

    @property
    def judged(self) -> bool:
        """Whether the rule was applied (near misses on too few rows are only reported)."""
        return self.kind != "near-miss" or self.learnable_rows >= NEAR_MISS_MIN_ROWS

    @property
    def right_share(self) -> float:
        return self.right / self.rows if self.rows else 0.0


@dataclass
class _Tally:
    rewards: list[float]
    right: list[bool]
    learnable: list[bool]


def _unrelated(tasks: Sequence[GrammarTask], index: int) -> GrammarTask:
    """The next task of the same family whose answer and given form look nothing like
    this task's, so that 'another word' really is another word."""
    task = tasks[index]
    mine = {text.casefold() for text in (task.answer, task.base_form) if text}
    fallback = None
    for step in range(1, min(len(tasks), 400)):
        other = tasks[(index + step) % len(tasks)]
        theirs = {text.casefold() for text in (other.answer, other.base_form) if text}
        if all(Levenshtein.normalized_similarity(a, b) < 0.5 for a in mine for b in theirs):
            if other.task_type == task.task_type:
                return other
            fallback = fallback or other
    return fallback or tasks[(index + 1) % len(tasks)]


def fit_constants(tasks: Sequence[GrammarTask], rubric: DakotaGrammarRubric) -> dict[str, str]:
    """For each family, the constant answer with the best mean reward on its train tasks
    (all its tasks where the file has no split)."""
    by_family: dict[str, list[GrammarTask]] = defaultdict(list)
    for task in tasks:
        by_family[task.task_type].append(task)
    constants = {}
    for family, members in sorted(by_family.items()):
        train = [task for task in members if task.split == "train"] or members
        fit = train[:: max(1, len(train) // FIT_ROWS)][:FIT_ROWS]
        golds = [rubric.gold(task.answer, task.info()) for task in fit]
        best, best_mean = "", -1.0
        for candidate in constant_candidates([task.answer for task in train], FIT_CANDIDATES):
            reply = f"Answer: {candidate}"
            mean = math.fsum(rubric.score_gold(reply, gold).reward_scalar for gold in golds) / len(golds)
            if mean > best_mean:
                best, best_mean = candidate, mean
        constants[family] = best
    return constants


def _rule(kind: str) -> tuple[str, Callable[[float], bool]]:
    if kind == "gold":
        return f"mean >= {GOLD_MIN_MEAN}", lambda value: value >= GOLD_MIN_MEAN
    if kind == "prompt-only":
        return f"mean where wrong <= {PROMPT_ONLY_MAX}", lambda value: value <= PROMPT_ONLY_MAX
    if kind in ("hedge", "hack", "wrong-choice"):
        return f"mean <= {HACK_MAX_MEAN}", lambda value: value <= HACK_MAX_MEAN
    if kind == "near-miss":
        return f"mean >= {NEAR_MISS_MIN}, > never-right prompt-only", lambda value: value >= NEAR_MISS_MIN
    raise ValueError(f"unknown policy kind {kind!r}")


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def run_probe(
    tasks: Sequence[GrammarTask],
    rubric: DakotaGrammarRubric | None = None,
    seed: int = 0,
    policies: Sequence[PolicySpec] = POLICIES,
    on_row: Callable[[str, GrammarTask, float], None] | None = None,
) -> list[Cell]:
    """Score every policy on every task it applies to: one `Cell` per policy and family
    it applies to, and one per policy over all families (family ``all``)."""
    if len(tasks) < 2:
        raise ValueError("the probe needs at least two tasks")
    rubric = rubric or DakotaGrammarRubric()
    golds = [rubric.gold(task.answer, task.info()) for task in tasks]
    others = [_unrelated(tasks, index) for index in range(len(tasks))]
    learnable = [gold.slots is not None or gold.baselines[0].similarity < 1.0 for gold in golds]
    constants = fit_constants(tasks, rubric)
    tallies: dict[tuple[str, str], _Tally] = {}
    for spec in policies:
        rng = random.Random(f"{seed}:{spec.name}")
        for index, (task, gold) in enumerate(zip(tasks, golds, strict=True)):
            ctx = ProbeContext(task=task, gold=gold, other=others[index], rng=rng, constants=constants)
            reply = spec.make(ctx)
            if reply is None:
                continue
            ledger = rubric.score_gold(reply, gold)
            if on_row is not None:
                on_row(spec.name, task, ledger.reward_scalar)
            for family in (task.task_type, ALL):
                tally = tallies.setdefault((spec.name, family), _Tally([], [], []))
                tally.rewards.append(ledger.reward_scalar)
                tally.right.append(ledger["exact_match_raw"] == 1.0)
                intact = ledger["novel_realised"] == ledger["novel_units"]
                tally.learnable.append(learnable[index] and (spec.kind != "near-miss" or intact))
    return _judge(policies, tallies)


def _judge(policies: Sequence[PolicySpec], tallies: dict[tuple[str, str], _Tally]) -> list[Cell]:
    cells: list[Cell] = []
    for spec in policies:
        rule, check = _rule(spec.kind)
        for (name, family), tally in tallies.items():
            if name != spec.name:
                continue
            wrong = [r for r, right in zip(tally.rewards, tally.right, strict=True) if not right]
            learn = [r for r, keep in zip(tally.rewards, tally.learnable, strict=True) if keep]
            mean = _mean(tally.rewards)
            checked = {"prompt-only": _mean(wrong), "near-miss": _mean(learn)}.get(spec.kind, mean)
            cells.append(
                Cell(
                    policy=spec.name,
                    kind=spec.kind,
                    group=spec.report_group,
                    family=family,
                    rows=len(tally.rewards),
                    right=sum(tally.right),
                    mean=mean,
                    mean_wrong=_mean(wrong),
                    mean_learnable=_mean(learn),
                    learnable_rows=len(learn),
                    maximum=max(tally.rewards),
                    checked=checked,
                    passed=check(checked) if (spec.kind != "near-miss" or len(learn) >= NEAR_MISS_MIN_ROWS) else True,
                    rule=rule,
                )
            )
    return _compare_with_prompt_only(cells)


def _compare_with_prompt_only(cells: list[Cell]) -> list[Cell]:
    """Near misses and one-slot answers must also beat every never-right prompt-only
    policy of their family."""
    ceiling: dict[str, float] = defaultdict(float)
    for cell in cells:
        if cell.kind == "prompt-only" and cell.right == 0:
            ceiling[cell.family] = max(ceiling[cell.family], cell.mean)
    judged = []
    for cell in cells:
        if cell.kind == "near-miss" and cell.judged and cell.checked <= ceiling[cell.family]:
            cell = replace(cell, passed=False)
        judged.append(cell)
    return judged


def never_right_ceiling(cells: Sequence[Cell], family: str) -> float:
    """The most any never-right prompt-only policy averages on `family`."""
    return max((c.mean for c in cells if c.family == family and c.kind == "prompt-only" and c.right == 0), default=0.0)


def failures(cells: Sequence[Cell]) -> list[Cell]:
    return [cell for cell in cells if not cell.passed]
