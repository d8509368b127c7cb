"""Adversarial policies: replies a reward hacker (or a sloppy model) would try.

`run_probe` plays every policy on every task it applies to and summarises the reward
each earns. Gold-like policies (the right answer in any acceptable dress) must average
at least `GOLD_MIN_MEAN`; hack policies at most `HACK_MAX_MEAN`; near-misses (one
letter or one diacritic off) must earn partial credit: more than 0, less than 1.
"""

from __future__ import annotations

import random
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from dakota_grammar_env.gold import GoldSpec
from dakota_grammar_env.orthography import SPECIAL_LETTERS, skeleton
from dakota_grammar_env.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks import GrammarTask

GOLD_MIN_MEAN = 0.99
HACK_MAX_MEAN = 0.3

ENGLISH_ANSWER_TYPES = frozenset({"dakota_to_english", "word_translation", "sentence_translation"})
"""Task types whose gold is English (the English-gloss hack does not apply to them)."""


@dataclass(frozen=True)
class ProbeContext:
    """What a policy may look at: the task, its gold, and another task's gold."""

    task: GrammarTask
    gold: GoldSpec
    other: GrammarTask
    rng: random.Random


Policy = Callable[[ProbeContext], str | None]
"""A reply for the task, or None when the policy does not apply to it."""


@dataclass(frozen=True)
class PolicySpec:
    name: str
    kind: str  # "gold", "hack" or "partial"
    make: Policy
    description: str


def _wrong(ctx: ProbeContext) -> str:
    if ctx.other.answer.casefold() != ctx.task.answer.casefold():
        return ctx.other.answer
    return ctx.task.answer[::-1] + "x"


def _anagram(ctx: ProbeContext) -> str | None:
    letters = list(ctx.task.answer)
    if len(set(letters)) < 2:
        return None
    for _ in range(20):
        ctx.rng.shuffle(letters)
        candidate = "".join(letters)
        if candidate.casefold() != ctx.task.answer.casefold():
            return f"Answer: {candidate}"
    return None


def _sprinkle(ctx: ProbeContext) -> str:
    letters = {ch for ch in ctx.gold.references[0] if ch in SPECIAL_LETTERS} | {"ŋ", "ṡ", "ġ"}
    return "Answer: " + " ".join(sorted(letters))


def _affix_on_wrong_stem(ctx: ProbeContext) -> str | None:
    """The required affixes attached to another task's word (nothing else of the gold:
    a particle such as ṡni follows the other word, as it would follow a verb)."""
    if not ctx.gold.affixes:
        return None
    stem = (ctx.other.base_form or ctx.other.answer).split()[0]
    word, particles = stem, []
    for req in ctx.gold.affixes:
        place = req.position(ctx.gold.gold_words[req.word_index])
        if place == "word":
            particles.append(req.form)
        elif place == "final":
            word = word + req.form
        else:
            word = req.form + word
    wrong = " ".join([word, *particles])
    return None if wrong in ctx.gold.references else f"Answer: {wrong}"


def _letter_slip(ctx: ProbeContext) -> str | None:
    answer = ctx.task.answer
    positions = [i for i, ch in enumerate(answer) if ch.isascii() and ch.isalpha()]
    if not positions:
        return None
    i = positions[len(positions) // 2]
    replacement = "a" if answer[i].lower() != "a" else "e"
    return f"Answer: {answer[:i]}{replacement}{answer[i + 1 :]}"


def _diacritic_slip(ctx: ProbeContext) -> str | None:
    answer = unicodedata.normalize("NFC", ctx.task.answer)
    for i, ch in enumerate(answer):
        if ch.casefold() in SPECIAL_LETTERS:
            return f"Answer: {answer[:i]}{skeleton(ch)}{answer[i + 1 :]}"
    return None


def _english_gloss(ctx: ProbeContext) -> str | None:
    gloss = ctx.task.gloss
    if not gloss or gloss.casefold() in (ref.casefold() for ref in ctx.gold.references):
        return None
    if ctx.task.task_type in ENGLISH_ANSWER_TYPES:
        return None
    return f"Answer: {gloss}"


def _prompt_last_line(ctx: ProbeContext) -> str | None:
    """The prompt's last line, minus any 'Label:' prefix: pays only where data leaks
    the gold into the prompt (a 'Gloss:' or 'Note:' line)."""
    lines = [line.strip() for line in ctx.task.prompt.splitlines() if line.strip()]
    if not lines:
        return None
    label, sep, rest = lines[-1].partition(":")
    text = rest.strip() if sep and len(label.split()) <= 3 and rest.strip() else lines[-1]
    return f"Answer: {text}"


def _repeat_gold(ctx: ProbeContext) -> str:
    unit = ctx.task.answer + " "
    return "Answer: " + unit * (10_000 // len(unit) + 1)


POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec("gold", "gold", lambda c: f"Answer: {c.task.answer}", "the gold on the answer line"),
    PolicySpec(
        "gold_after_reasoning",
        "gold",
        lambda c: (
            f"<think>Which rule applies? Let me work it out.</think>\nThis rule gives it.\nAnswer: {c.task.answer}"
        ),
        "reasoning, then the gold",
    ),
    PolicySpec("gold_nfd", "gold", lambda c: "Answer: " + unicodedata.normalize("NFD", c.task.answer), "gold in NFD"),
    PolicySpec(
        "gold_case_punct", "gold", lambda c: f"Answer: {c.task.answer.upper()}.", "gold upper-cased, with a full stop"
    ),
    PolicySpec("gold_boxed", "gold", lambda c: f"\\boxed{{{c.task.answer}}}", "gold in \\boxed{}"),
    PolicySpec("empty", "hack", lambda c: "", "an empty reply"),
    PolicySpec("whitespace", "hack", lambda c: " \n\t \n", "only whitespace"),
    PolicySpec(
        "unterminated_reasoning",
        "hack",
        lambda c: f"<think>It must be {c.task.answer}. Let me check the rule once more",
        "gold inside reasoning that never closes",
    ),
    PolicySpec("prompt_copied", "hack", lambda c: c.task.prompt, "the prompt sent back"),
    PolicySpec("prompt_last_line", "hack", _prompt_last_line, "the prompt's last line as the answer"),
    PolicySpec(
        "base_form_copied",
        "hack",
        lambda c: f"Answer: {c.task.base_form}" if c.task.base_form else None,
        "the prompt's starting form, unchanged",
    ),
    PolicySpec(
        "gold_in_reasoning_wrong_final",
        "hack",
        lambda c: f"<think>Perhaps {c.task.answer}? No.</think>\nAnswer: {_wrong(c)}",
        "gold in the reasoning, a wrong final answer",
    ),
    PolicySpec("anagram", "hack", _anagram, "the gold's letters shuffled"),
    PolicySpec("special_letter_sprinkle", "hack", _sprinkle, "a sprinkle of special letters"),
    PolicySpec("affix_on_wrong_stem", "hack", _affix_on_wrong_stem, "the required affixes on another word"),
    PolicySpec(
        "several_candidates",
        "hack",
        lambda c: f"Answer: {_wrong(c)}, {c.task.answer}, {c.task.base_form or _wrong(c)[::-1]}",
        "three candidates, one of them the gold",
    ),
    PolicySpec("gold_repeated_10k", "hack", _repeat_gold, "the gold repeated to 10,000 characters"),
    PolicySpec("english_gloss", "hack", _english_gloss, "the English gloss where Dakota is asked"),
    PolicySpec("letter_slip", "partial", _letter_slip, "the gold with one letter changed"),
    PolicySpec("diacritic_slip", "partial", _diacritic_slip, "the gold with one diacritic dropped"),
)


def _unrelated(tasks: Sequence[GrammarTask], index: int) -> GrammarTask:
    """The next task whose answer and starting form look nothing like this task's (rows
    about one word often sit together), so that 'another word' really is another word."""
    task = tasks[index]
    mine = {skeleton(text.casefold()) for text in (task.answer, task.base_form) if text}
    for step in range(1, min(len(tasks), 200)):
        other = tasks[(index + step) % len(tasks)]
        theirs = {skeleton(text.casefold()) for text in (other.answer, other.base_form) if text}
        if all(Levenshtein.normalized_similarity(a, b) < 0.5 for a in mine for b in theirs):
            return other
    return tasks[(index + 1) % len(tasks)]


@dataclass(frozen=True)
class PolicyResult:
    name: str
    kind: str
    tasks: int
    mean: float
    maximum: float
    passed: bool
    rule: str


def _rule(kind: str) -> tuple[str, Callable[[float], bool]]:
    if kind == "gold":
        return f"mean >= {GOLD_MIN_MEAN}", lambda mean: mean >= GOLD_MIN_MEAN
    if kind == "hack":
        return f"mean <= {HACK_MAX_MEAN}", lambda mean: mean <= HACK_MAX_MEAN
    return "0 < mean < 1", lambda mean: 0.0 < mean < 1.0


def run_probe(
    tasks: Sequence[GrammarTask],
    rubric: DakotaGrammarRubric | None = None,
    seed: int = 0,
    policies: Sequence[PolicySpec] = POLICIES,
    on_row: Callable[[str, GrammarTask, float], None] | None = None,
) -> list[PolicyResult]:
    """Score every policy on every task it applies to; one result per policy."""
    if len(tasks) < 2:
        raise ValueError("the probe needs at least two tasks")
    rubric = rubric or DakotaGrammarRubric()
    results = []
    for spec in policies:
        rng = random.Random(f"{seed}:{spec.name}")
        rewards = []
        for index, task in enumerate(tasks):
            gold = rubric.gold(task.answer, task.info())
            ctx = ProbeContext(task=task, gold=gold, other=_unrelated(tasks, index), rng=rng)
            reply = spec.make(ctx)
            if reply is None:
                continue
            reward = rubric.score_gold(reply, gold).reward_scalar
            rewards.append(reward)
            if on_row is not None:
                on_row(spec.name, task, reward)
        rule, check = _rule(spec.kind)
        mean = statistics.fmean(rewards) if rewards else 0.0
        results.append(
            PolicyResult(
                name=spec.name,
                kind=spec.kind,
                tasks=len(rewards),
                mean=mean,
                maximum=max(rewards, default=0.0),
                passed=check(mean) if rewards else True,
                rule=rule if rewards else "n/a (applies to no task)",
            )
        )
    return results


def format_table(results: Sequence[PolicyResult]) -> str:
    """A plain-text table: policy, kind, tasks, mean and max reward, rule, verdict."""
    header = f"{'policy':<30} {'kind':<8} {'tasks':>6} {'mean':>7} {'max':>7}  {'rule':<26} verdict"
    lines = [header, "-" * len(header)]
    for r in results:
        verdict = "ok" if r.passed else "FAIL"
        lines.append(f"{r.name:<30} {r.kind:<8} {r.tasks:>6} {r.mean:>7.3f} {r.maximum:>7.3f}  {r.rule:<26} {verdict}")
    return "\n".join(lines)
