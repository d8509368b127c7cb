"""Build the shipped task set from the lexicon and the paradigm rules.

`GeneratorConfig` says which families to build, the seed that orders the tasks, and how
large a share of the lemmas goes to the test split; it checks itself. `generate` is
deterministic: the same lexicon, rules and config give the same tasks, in the same
order, with the same ids (a hash of each task's content), so two builds of the
dataset file are byte-identical.

Families: conjugate (a verb for a person and number), pluralize (the third person
plural), negate (with ṡni), possess (my / thy / his), segment (a conjugated form into
its morphemes), dakota_to_english and english_to_dakota (glosses). Difficulty counts
the rule applications a task needs: one affix at the word's edge is easy, two (or a
pronoun inside the word, a y-verb, a vowel change) medium, three or more hard; gloss
tasks are easy.

The split is by lemma: a test lemma never occurs in any train prompt or answer, and no
gold answer occurs in its own prompt (a task that would break either rule is not made).

Each task lists its `baseline` (`dakota_grammar_env.baseline`): every Dakota form and
gloss its prompt shows, and what a reader gets from them mechanically: the construction
the instruction names or every such task carries, applied blindly (the lemma with
``ṡni`` after it for negate; with ``-pi`` for pluralize and wherever the instruction
names a plural person), and, for segment, the form split where it departs from the
lemma the prompt shows beside it, and the form with ``-pi`` split off.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dakota_grammar_env.baseline import split_where_changed
from dakota_grammar_env.lexicon import LexiconEntry
from dakota_grammar_env.orthography import normalize
from dakota_grammar_env.paradigms import Inflection, form_for, paradigm_table
from dakota_grammar_env.tasks import GrammarTask

FAMILIES = (
    "conjugate", "pluralize", "negate", "possess", "segment", "analyze", "dakota_to_english", "english_to_dakota",
)  # fmt: skip
CONJUGATE_LABELS = ("1sg", "2sg", "1du", "1pl", "2pl")
NEGATE_LABELS = ("3sg.neg", "1sg.neg", "2sg.neg", "1du.neg", "1pl.neg", "2pl.neg", "3pl.neg")
POSSESS_LABELS = ("my", "thy", "his")
SEGMENT_LABELS = (*CONJUGATE_LABELS, "3pl", *POSSESS_LABELS)
ANALYZE_LABELS = (*CONJUGATE_LABELS, "3pl")
FORM_FAMILIES = ("conjugate", "pluralize", "negate", "possess")
"""Families whose answer is the inflected form (so its morphemes say which affixes it needs)."""
PERSON_NAMES = {
    "1sg": "first person singular", "2sg": "second person singular", "1du": "first person dual",
    "1pl": "first person plural", "2pl": "second person plural", "3pl": "third person plural",
}  # fmt: skip
ANSWER_LINE = "End your reply with a line 'Answer: <form>'."


@dataclass(frozen=True)
class GeneratorConfig:
    """What to build. Validates itself."""

    seed: int = 0
    test_fraction: float = 0.2
    families: tuple[str, ...] = FAMILIES

    def __post_init__(self) -> None:
        if not 0.0 <= self.test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in [0, 1), got {self.test_fraction!r}")
        unknown = set(self.families) - set(FAMILIES)
        if unknown or not self.families:
            raise ValueError(f"families must be a non-empty subset of {list(FAMILIES)}, got {list(self.families)}")


def difficulty(complexity: int) -> str:
    return "easy" if complexity <= 1 else "medium" if complexity == 2 else "hard"


@dataclass
class _Draft:
    """A task before its split and id are known."""

    family: str
    label: str
    entry: LexiconEntry
    prompt: str
    answer: str
    accepted: tuple[str, ...] = ()
    base_form: str | None = None
    inflection: Inflection | None = None
    rules: tuple[str, ...] = ()
    complexity: int = 1
    words: set[str] = field(default_factory=set)
    baseline: tuple[str, ...] = ()

    def text(self) -> str:
        return normalize(" ".join([self.prompt, self.answer, *self.accepted]))


def _describe(label: str) -> str:
    persons = paradigm_table()["persons"]
    return (
        persons[label]
        if label in persons
        else {"my": "my", "thy": "thy (your, one person)", "his": "his or her"}[label]
    )


def _verb_gloss(entry: LexiconEntry) -> str:
    return f"'{entry.gloss}'"


def _drafts(entry: LexiconEntry, lexicon_by_gloss: dict[str, list[str]], families: Sequence[str]) -> Iterable[_Draft]:
    lemma, gloss = entry.lemma, _verb_gloss(entry)
    if "conjugate" in families:
        for label in CONJUGATE_LABELS:
            if (found := form_for(entry, label)) is not None:
                prompt = (
                    f"Conjugate the Dakota {entry.pos} {lemma} ({gloss}) for {_describe(label)}.\n"
                    f"Give the Dakota form in Riggs' orthography. {ANSWER_LINE}"
                )
                yield _Draft("conjugate", label, entry, prompt, found.form, base_form=lemma, inflection=found)
    if "pluralize" in families and (found := form_for(entry, "3pl")) is not None:
        prompt = (
            f"Give the third person plural (they) of the Dakota {entry.pos} {lemma} ({gloss}), "
            f"with the plural termination.\nGive the Dakota form in Riggs' orthography. {ANSWER_LINE}"
        )
        yield _Draft("pluralize", "3pl", entry, prompt, found.form, base_form=lemma, inflection=found)
    elif "pluralize" in families and (found := form_for(entry, "pl")) is not None:
        prompt = (
            f"Give the plural of the Dakota {entry.pos} {lemma} ({gloss}).\n"
            f"Give the Dakota form in Riggs' orthography. {ANSWER_LINE}"
        )
        yield _Draft("pluralize", "pl", entry, prompt, found.form, base_form=lemma, inflection=found)
    if "negate" in families:
        for label in NEGATE_LABELS:
            if (found := form_for(entry, label)) is not None:
                person = label.removesuffix(".neg")
                subject = "the third person singular (he or she)" if person == "3sg" else _describe(person)
                prompt = (
                    f"Negate the Dakota {entry.pos} {lemma} ({gloss}) in {subject}, with the negative adverb "
                    f"that follows the verb.\nGive the Dakota words in Riggs' orthography. {ANSWER_LINE}"
                )
                yield _Draft("negate", label, entry, prompt, found.form, base_form=lemma, inflection=found)
    if "possess" in families:
        for label in POSSESS_LABELS:
            if (found := form_for(entry, label)) is not None:
                prompt = (
                    f"Give the Dakota for '{_describe(label).split(' (')[0]} {entry.gloss}', adding the possessive "
                    f"prefix to the noun {lemma}.\nGive the Dakota form in Riggs' orthography. {ANSWER_LINE}"
                )
                yield _Draft("possess", label, entry, prompt, found.form, base_form=lemma, inflection=found)
    if "segment" in families:
        for label in SEGMENT_LABELS:
            if (found := form_for(entry, label)) is not None and found.morphemes:
                prompt = (
                    f"Segment the Dakota form {found.form} (from {lemma}, {gloss}) into its morphemes.\n"
                    f"Write the morphemes in Riggs' orthography, joined by hyphens. {ANSWER_LINE}"
                )
                yield _Draft("segment", label, entry, prompt, found.segmentation, base_form=None, inflection=found)
    if "analyze" in families:
        for label in ANALYZE_LABELS:
            if (found := form_for(entry, label)) is not None and found.form != lemma:
                prompt = (
                    f"The Dakota form {found.form} comes from {lemma} ({gloss}). Which person and number does it "
                    f"mark: first, second or third person; singular, dual or plural?\nAnswer in words. {ANSWER_LINE}"
                )
                answer = PERSON_NAMES[label]
                accepted = (label, answer.replace("first", "1st").replace("second", "2nd").replace("third", "3rd"))
                yield _Draft("analyze", label, entry, prompt, answer, accepted, base_form=None, inflection=found)
    if "dakota_to_english" in families:
        accepted = [*entry.glosses[1:]]
        accepted += [g.removeprefix("to ") for g in entry.glosses if g.startswith("to ")]
        prompt = f"What does the Dakota word {lemma} mean in English?\nGive a short English gloss. {ANSWER_LINE}"
        yield _Draft("dakota_to_english", "gloss", entry, prompt, entry.gloss, tuple(dict.fromkeys(accepted)))
    if "english_to_dakota" in families:
        others = [other for other in lexicon_by_gloss[entry.gloss] if other != lemma]
        prompt = (
            f"Give the Dakota word for the English '{entry.gloss}', as Riggs writes it.\n"
            f"Give the Dakota form in Riggs' orthography. {ANSWER_LINE}"
        )
        yield _Draft("english_to_dakota", "lemma", entry, prompt, lemma, tuple(others))


NEGATIVE_PARTICLE = "ṡni"
PLURAL_SUFFIX = "pi"
PLURAL_PERSONS = ("1pl", "2pl", "3pl")


def family_baseline(family: str, label: str, lemma: str, gloss: str, form: str | None = None) -> tuple[str, ...]:
    """What a task's prompt hands over: the forms and gloss it shows, and its family's
    construction on them, applied blindly (see the module docstring)."""
    shown = {"english_to_dakota": [gloss], "dakota_to_english": [lemma]}.get(family, [form, lemma, gloss])
    plural = label.removesuffix(".neg") in PLURAL_PERSONS
    built = {
        "conjugate": [lemma + PLURAL_SUFFIX] if plural else [],
        "negate": [f"{lemma}{PLURAL_SUFFIX if plural else ''} {NEGATIVE_PARTICLE}", f"{lemma} {NEGATIVE_PARTICLE}"],
        "pluralize": [lemma + PLURAL_SUFFIX],
        "segment": [split_where_changed(form, lemma)] if form else [],
    }.get(family, [])
    if family == "segment" and form and form.endswith(PLURAL_SUFFIX):
        built.append(f"{form[: -len(PLURAL_SUFFIX)]}-{PLURAL_SUFFIX}")
    return tuple(dict.fromkeys(text for text in (*shown, *built) if text))


def _finish(draft: _Draft) -> _Draft:
    found = draft.inflection
    if found is not None:
        draft.rules, draft.complexity = found.rules, found.complexity + (draft.family == "segment")
    form = found.form if found is not None and draft.family in ("segment", "analyze") else None
    draft.baseline = family_baseline(draft.family, draft.label, draft.entry.lemma, draft.entry.gloss, form)
    return draft


def _leaks(draft: _Draft) -> bool:
    prompt = normalize(draft.prompt)
    return any(normalize(gold) in prompt for gold in (draft.answer, *draft.accepted))


def _task_id(draft: _Draft) -> str:
    blob = json.dumps([draft.family, draft.entry.lemma, draft.label, draft.prompt, draft.answer], ensure_ascii=False)
    return "dg-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def _test_lemmas(drafts: Sequence[_Draft], seed: int, fraction: float) -> set[str]:
    """Lemmas drawn for the test split in a seeded order, each kept only if it occurs in
    no prompt or answer of the lemmas still in train."""
    lemmas = sorted({d.entry.lemma for d in drafts})
    target = round(fraction * len(lemmas))
    order = sorted(lemmas, key=lambda lemma: hashlib.sha256(f"{seed}:{lemma}".encode()).hexdigest())
    texts: dict[str, list[str]] = {}
    for draft in drafts:
        texts.setdefault(draft.entry.lemma, []).append(draft.text())
    chosen: set[str] = set()
    for lemma in order:
        if len(chosen) >= target:
            break
        needle = normalize(lemma)
        if any(
            needle in text for other, items in texts.items() if other not in chosen and other != lemma for text in items
        ):
            continue
        chosen.add(lemma)
    return chosen


def generate(lexicon: Sequence[LexiconEntry], config: GeneratorConfig = GeneratorConfig()) -> list[GrammarTask]:
    """Every task the lexicon and rules give under `config`, in the seeded order."""
    by_gloss: dict[str, list[str]] = {}
    for entry in lexicon:
        by_gloss.setdefault(entry.gloss, []).append(entry.lemma)
    drafts = [_finish(d) for entry in lexicon for d in _drafts(entry, by_gloss, config.families)]
    drafts = [d for d in drafts if not _leaks(d)]
    test = _test_lemmas(drafts, config.seed, config.test_fraction)
    tasks = [
        GrammarTask(
            task_id=_task_id(d),
            task_type=d.family,
            difficulty=difficulty(d.complexity),
            prompt=d.prompt,
            answer=d.answer,
            accepted=d.accepted,
            base_form=d.base_form,
            lemma=d.entry.lemma,
            gloss=d.entry.gloss,
            morphemes=tuple(d.inflection.morphemes) if d.inflection and d.family in FORM_FAMILIES else None,
            target_word=d.inflection.target_word if d.inflection and d.family in FORM_FAMILIES else 0,
            baseline=d.baseline,
            baseline_source="data",
            split="test" if d.entry.lemma in test else "train",
            source={
                "work": "Riggs 1893",
                "lexicon": d.entry.citation,
                "rules": [_rule_citation(rule, d.entry) for rule in d.rules],
                "form": d.label,
            },
        )
        for d in drafts
    ]
    tasks.sort(key=lambda task: task.task_id)
    random.Random(config.seed).shuffle(tasks)
    return tasks


def _rule_citation(rule_id: str, entry: LexiconEntry) -> str:
    """'rule-id (§ n, p. N)'; a form taken as printed cites the lexicon entry's page."""
    if rule_id == "printed":
        return f"printed ({entry.citation.removeprefix('Riggs 1893 ')})"
    rule = paradigm_table()["rules_by_id"][rule_id]
    where = f"{rule['section']}, p. {rule['page']}" if rule["section"] else f"p. {rule['page']}"
    return f"{rule_id} ({where})"


def task_row(task: GrammarTask) -> dict:
    """A task as one line of the project's JSONL schema."""
    row = {
        "id": task.task_id,
        "task_type": task.task_type,
        "difficulty": task.difficulty,
        "prompt": task.prompt,
        "answer": task.answer,
        "accepted": list(task.accepted),
        "lemma": task.lemma,
        "gloss": task.gloss,
        "base_form": task.base_form,
        "morphemes": list(task.morphemes) if task.morphemes is not None else [],
        "target_word": task.target_word,
        "baseline": list(task.baseline),
        "source": task.source,
        "split": task.split,
    }
    return row


def write_dataset(tasks: Sequence[GrammarTask], path: str | Path) -> Path:
    """Write tasks as JSONL (same bytes for the same tasks)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(task_row(task), ensure_ascii=False) + "\n" for task in tasks)
    path.write_text(text, encoding="utf-8")
    return path
