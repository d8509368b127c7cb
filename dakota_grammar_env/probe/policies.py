"""Reply policies for the probe: what a reward hacker, a blind guesser or a sloppy model
would send.

Kinds, and what each may look at:

- ``gold``: the right answer in any acceptable dress;
- ``prompt-only``: the prompt alone (its forms and gloss, the family's instructed
  construction, which the task's ``baseline`` lists) and, for ``fitted_constant``, the
  golds of *other* train tasks: copies of the given form, cosmetic changes to it, the
  family's common affixes applied blindly, the best constant answer, surface rules;
- ``hedge``: several candidates in one answer, the gold among them;
- ``hack``: generic exploits (empty replies, gold inside reasoning, padding, anagrams);
- ``near-miss``: the gold with one honest slip (a letter changed, deleted or swapped, a
  diacritic missing); ``partial``: a closed answer with one slot wrong.

A policy returns None where it does not apply to a task.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from dakota_grammar_env.probe.context import (
    NUMBER_LABELS,
    PERSON_LABELS,
    Policy,
    PolicySpec,
    ProbeContext,
    as_answer,
    label_words,
)
from dakota_grammar_env.probe.edits import COSMETIC, SLIPS
from dakota_grammar_env.reward.baseline import COMMON_PREFIXES, split_where_changed
from dakota_grammar_env.reward.orthography import SPECIAL_LETTERS, normalize
from dakota_grammar_env.reward.slots import read_slots

ENGLISH_ANSWER_TYPES = frozenset(
    {"dakota_to_english", "sentence_to_english", "word_translation", "sentence_translation"}
)
"""Task types whose gold is English (the English-gloss hack does not apply to them)."""

BLIND_AFFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "conjugate": (("wa", ""), ("ya", ""), ("uŋ", ""), ("", "pi"), ("uŋ", "pi"), ("ya", "pi"), ("ma", ""), ("ni", "")),
    "negate": (("wa", " ṡni"), ("ya", " ṡni"), ("uŋ", " ṡni"), ("", "pi ṡni"), ("uŋ", "pi ṡni"), ("ya", "pi ṡni")),
    "possess": (("mi", ""), ("ni", ""), ("mita", ""), ("nita", ""), ("ta", ""), ("t", ""), ("mit", ""), ("nit", "")),
    "pluralize": (("", "pi"), ("", "api"), ("wića", "")),
    "object": (("ma", ""), ("ni", ""), ("wića", ""), ("ći", ""), ("maya", ""), ("wićawa", ""), ("wićaya", ""),
               ("ma", "pi"), ("ći", "pi"), ("wića", "pi")),
    "reflexive": (("ići", ""), ("nići", ""), ("mići", ""), ("i", ""), ("ni", ""), ("mi", "")),
    "possessive_verb": (("ki", ""), ("wa", ""), ("ya", ""), ("waki", ""), ("yaki", "")),
    "dative": (("ki", ""), ("kići", ""), ("we", ""), ("ye", ""), ("weći", ""), ("yeći", "")),
    "causative": (("", "kiya"), ("", "ya"), ("", "wakiya"), ("", "waya")),
    "future": (("", " kta"), ("wa", " kta"), ("ya", " kta"), ("", "pi kta"), ("", " kte ṡni")),
    "imperative": (("", " wo"), ("", " po"), ("ma", " wo"), ("uŋ", " po"), ("wića", " wo")),
    "reduplicate": (("wa", ""), ("ya", "")),
}  # fmt: skip
"""(prefix, suffix) pairs each family's common affixes make, applied to the given form."""

# -- prompt-only policies -----------------------------------------------------------


def _construction(ctx: ProbeContext) -> str | None:
    """The family's instructed construction: a baseline entry the prompt does not show."""
    prompt = normalize(ctx.task.prompt)
    built = [text for text in ctx.task.baseline if normalize(text) not in prompt]
    return built[-1] if built else None


def _blind_affix(prefix: str, suffix: str, family: str) -> Policy:
    def make(ctx: ProbeContext) -> str | None:
        if ctx.task.task_type != family or not ctx.given:
            return None
        return as_answer(prefix + ctx.given + suffix)

    return make


def _segment_split(prefix: str | None) -> Policy:
    """Split the form to segment after a common prefix (or before a final -pi)."""

    def make(ctx: ProbeContext) -> str | None:
        if ctx.task.task_type != "segment" or not ctx.given:
            return None
        form = ctx.given
        if prefix is None:
            return as_answer(f"{form[:-2]}-pi") if form.endswith("pi") else None
        if not form.startswith(prefix) or len(form) <= len(prefix) + 1:
            return None
        rest = f"{form[len(prefix) : -2]}-pi" if form.endswith("pi") else form[len(prefix) :]
        return as_answer(f"{prefix}-{rest}")

    return make


def _diff_with_lemma(ctx: ProbeContext) -> str | None:
    """Segment by setting the given form beside the lemma, where the prompt shows both."""
    lemma = ctx.task.lemma
    shown = re.findall(r"[\w']+", normalize(ctx.task.prompt))
    if ctx.task.task_type != "segment" or not ctx.given or not lemma or normalize(lemma) not in shown:
        return None
    return as_answer(split_where_changed(ctx.given, ctx.task.lemma))


_LAST_SYLLABLE = re.compile(r"[^aeiou]*[aeiou]ŋ?$")


def _double_last_syllable(ctx: ProbeContext) -> str | None:
    """Reduplicate by doubling the given word's last syllable (baksa > baksaksa)."""
    if ctx.task.task_type != "reduplicate" or not ctx.given:
        return None
    last = _LAST_SYLLABLE.search(ctx.given)
    return as_answer(ctx.given + last.group(0)) if last else None


def _fitted_constant(ctx: ProbeContext) -> str | None:
    return as_answer(ctx.constants.get(ctx.task.task_type))


def _surface_rule(ctx: ProbeContext) -> str | None:
    """Closed answers from the form's ending alone: -pi means third person plural."""
    if ctx.gold.slots is None or not ctx.given:
        return None
    return as_answer("third person plural" if ctx.given.endswith("pi") else "first person singular")


def _prompt_last_line(ctx: ProbeContext) -> str | None:
    """The prompt's last line, minus any 'Label:' prefix: pays only where data leaks
    the gold into the prompt (a 'Gloss:' or 'Note:' line)."""
    lines = [line.strip() for line in ctx.task.prompt.splitlines() if line.strip()]
    if not lines:
        return None
    label, sep, rest = lines[-1].partition(":")
    text = rest.strip() if sep and len(label.split()) <= 3 and rest.strip() else lines[-1]
    return as_answer(text)


def _english_gloss(ctx: ProbeContext) -> str | None:
    gloss = ctx.task.gloss
    if not gloss or ctx.task.task_type in ENGLISH_ANSWER_TYPES or ctx.gold.slots is not None:
        return None
    if gloss.casefold() in (ref.casefold() for ref in ctx.gold.references):
        return None
    return as_answer(gloss)


def _label_hedge(ctx: ProbeContext, kind: str) -> str | None:
    if ctx.gold.slots is None:
        return None
    if kind == "numbers":
        return as_answer("first person singular/plural")
    return as_answer("first or second person singular")


# -- policies that see the gold -----------------------------------------------------


def _alternative(ctx: ProbeContext) -> str:
    """A plausible wrong answer to hedge with: another label for closed answers, else
    the given form with a family affix, the instructed construction, or another task's
    answer, whichever is not the gold."""
    gold = ctx.gold.references
    if ctx.gold.slots is not None:
        person, number = label_words(ctx.gold.slots, person_shift=1)
        return f"{person} person {number}"
    candidates = []
    if ctx.given:
        candidates += [p + ctx.given + s for p, s in BLIND_AFFIXES.get(ctx.task.task_type, ())]
        candidates += [_construction(ctx) or "", ctx.given]
    candidates.append(ctx.other.answer)
    for text in candidates:
        if text and normalize(text) not in gold:
            return text
    return ctx.task.answer[::-1] + "x"


def _wrong(ctx: ProbeContext) -> str:
    return ctx.other.answer if normalize(ctx.other.answer) not in ctx.gold.references else ctx.task.answer[::-1] + "x"


def _anagram(ctx: ProbeContext) -> str | None:
    letters = list(ctx.task.answer)
    if len(set(letters)) < 2 or ctx.gold.slots is not None:
        return None
    for _ in range(20):
        ctx.rng.shuffle(letters)
        candidate = "".join(letters)
        if normalize(candidate) not in ctx.gold.references:
            return as_answer(candidate)
    return None


def _sprinkle(ctx: ProbeContext) -> str:
    letters = {ch for ch in ctx.gold.references[0] if ch in SPECIAL_LETTERS} | {"ŋ", "ṡ", "ġ"}
    return "Answer: " + " ".join(sorted(letters))


def _affix_on_wrong_stem(ctx: ProbeContext) -> str | None:
    """The gold's affixes attached to another task's word (a particle such as ṡni
    follows the other word, as it would follow a verb)."""
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
    return None if normalize(wrong) in ctx.gold.references else as_answer(wrong)


def _slip(transform: Callable[[str], str | None]) -> Policy:
    def make(ctx: ProbeContext) -> str | None:
        slipped = transform(ctx.task.answer)
        if slipped is None or normalize(slipped) in ctx.gold.references:
            return None
        return as_answer(slipped)

    return make


def _one_slot_wrong(slot: str) -> Policy:
    def make(ctx: ProbeContext) -> str | None:
        if ctx.gold.slots is None:
            return None
        person, number = label_words(ctx.gold.slots, person_shift=slot == "person", number_shift=slot == "number")
        return as_answer(f"{person} person {number}")

    return make


def _reworded(ctx: ProbeContext) -> str | None:
    if ctx.gold.slots is None:
        return None
    _, number = label_words(ctx.gold.slots)
    ordinal = {"1": "1st", "2": "2nd", "3": "3rd"}[ctx.gold.slots["person"]]
    return as_answer(f"{number}, {ordinal} person")


def _repeat_gold(ctx: ProbeContext) -> str:
    unit = ctx.task.answer + " "
    return "Answer: " + unit * (10_000 // len(unit) + 1)


def _given_policies() -> list[PolicySpec]:
    specs = [
        PolicySpec(
            "given_copied", "prompt-only", lambda c: as_answer(c.given), "the given form, unchanged", "given form"
        )
    ]
    for name, transform, description in COSMETIC:
        specs.append(
            PolicySpec(
                f"given_{name}",
                "prompt-only",
                lambda c, t=transform: as_answer(t(c.given)) if c.given else None,
                f"the given form with {description}",
                "given form, cosmetic",
            )
        )
    return specs


def _blind_policies() -> list[PolicySpec]:
    specs = [
        PolicySpec(
            f"blind_{family}_{prefix or ''}-{suffix.strip().replace(' ', '_') or ''}",
            "prompt-only",
            _blind_affix(prefix, suffix, family),
            f"{prefix}+given+{suffix!r} on every {family} task",
            "family affix, blind",
        )
        for family, pairs in BLIND_AFFIXES.items()
        for prefix, suffix in pairs
    ]
    specs.append(
        PolicySpec("blind_segment_-pi", "prompt-only", _segment_split(None), "-pi split off", "family affix, blind")
    )
    specs += [
        PolicySpec(
            f"blind_segment_{prefix}-",
            "prompt-only",
            _segment_split(prefix),
            f"{prefix}- split off",
            "family affix, blind",
        )
        for prefix in COMMON_PREFIXES
    ]
    return specs


def _hedges() -> list[PolicySpec]:
    shapes = (
        ("slash", "{g}/{o}"),
        ("slash_reversed", "{o}/{g}"),
        ("parenthesis", "{g} ({o})"),
        ("comma", "{g}, {o}"),
        ("or", "{g} or {o}"),
        ("semicolon", "{g}; {o}"),
        ("space", "{g} {o}"),
        ("three", "{w}, {g}, {o}"),
    )
    specs = [
        PolicySpec(
            f"hedge_{name}",
            "hedge",
            lambda c, s=shape: as_answer(s.format(g=c.task.answer, o=_alternative(c), w=_wrong(c))),
            f"the gold and another candidate: {shape}",
            "candidate hedges",
        )
        for name, shape in shapes
    ]
    specs += [
        PolicySpec(
            "label_hedge_numbers", "hedge", lambda c: _label_hedge(c, "numbers"), "two numbers named", "label hedges"
        ),
        PolicySpec(
            "label_hedge_persons", "hedge", lambda c: _label_hedge(c, "persons"), "two persons named", "label hedges"
        ),
    ]
    return specs


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
    PolicySpec("gold_reworded", "gold", _reworded, "a closed answer in other words (singular, 2nd person)"),
    *_given_policies(),
    PolicySpec(
        "construction_copied", "prompt-only", lambda c: as_answer(_construction(c)), "the instructed construction"
    ),
    *_blind_policies(),
    PolicySpec("diff_with_lemma", "prompt-only", _diff_with_lemma, "the form split where it departs from the lemma"),
    PolicySpec("double_last_syllable", "prompt-only", _double_last_syllable, "the given word's last syllable doubled"),
    PolicySpec("fitted_constant", "prompt-only", _fitted_constant, "the best constant answer on the train split"),
    PolicySpec("surface_rule", "prompt-only", _surface_rule, "-pi means third person plural, else first singular"),
    PolicySpec("prompt_copied", "prompt-only", lambda c: c.task.prompt, "the prompt sent back"),
    PolicySpec("prompt_last_line", "prompt-only", _prompt_last_line, "the prompt's last line as the answer"),
    PolicySpec("english_gloss", "prompt-only", _english_gloss, "the English gloss where Dakota is asked"),
    *_hedges(),
    PolicySpec("empty", "hack", lambda c: "", "an empty reply"),
    PolicySpec("whitespace", "hack", lambda c: " \n\t \n", "only whitespace"),
    PolicySpec(
        "unterminated_reasoning",
        "hack",
        lambda c: f"<think>It must be {c.task.answer}. Let me check the rule once more",
        "gold inside reasoning that never closes",
    ),
    PolicySpec(
        "gold_in_reasoning_wrong_final",
        "hack",
        lambda c: f"<think>Perhaps {c.task.answer}? No.</think>\nAnswer: {_wrong(c)}",
        "gold in the reasoning, a wrong final answer",
    ),
    PolicySpec("anagram", "hack", _anagram, "the gold's letters shuffled"),
    PolicySpec("special_letter_sprinkle", "hack", _sprinkle, "a sprinkle of special letters"),
    PolicySpec("affix_on_wrong_stem", "hack", _affix_on_wrong_stem, "the gold's affixes on another word"),
    PolicySpec("gold_repeated_10k", "hack", _repeat_gold, "the gold repeated to 10,000 characters"),
    *[
        PolicySpec(name, "near-miss", _slip(transform), f"the gold with {description}", "honest near misses")
        for name, transform, description in SLIPS
    ],
    PolicySpec(
        "wrong_person", "wrong-choice", _one_slot_wrong("person"), "right number, wrong person", "one slot wrong"
    ),
    PolicySpec(
        "wrong_number", "wrong-choice", _one_slot_wrong("number"), "right person, wrong number", "one slot wrong"
    ),
)


def constant_candidates(golds: list[str], limit: int) -> list[str]:
    """Constants worth trying for one family: its most common train golds (at most
    `limit`), and, for closed answers, every person-and-number label."""
    counts: dict[str, int] = {}
    for gold in golds:
        counts[gold] = counts.get(gold, 0) + 1
    ranked = sorted(counts, key=lambda gold: (-counts[gold], gold))[:limit]
    if golds and read_slots(normalize(golds[0])).single() is not None:
        ranked += [f"{p} person {n}" for p in PERSON_LABELS for n in NUMBER_LABELS]
    return list(dict.fromkeys(ranked))
