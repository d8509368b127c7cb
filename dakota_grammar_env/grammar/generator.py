"""Build the shipped task set from the lexicon, the paradigm rules and the printed sentences.

`GeneratorConfig` says which families to build, the seed that orders the tasks, and how
large a share of the lemmas goes to the test split; it checks itself. `generate` is
deterministic: the same lexicon, rules and config give the same tasks, in the same
order, with the same ids (a hash of each task's content), so two builds of the
dataset file are byte-identical.

Families: the form families of `prompts.FORM_FAMILIES` (conjugate, pluralize, negate,
possess, object, reflexive, possessive_verb, dative, causative, future, imperative,
reduplicate), whose answer is one form of the word (`forms.form_for`: printed first, else
the cited rules); segment (a form into its morphemes) and analyze (the person and number
a form marks); dakota_to_english and english_to_dakota (glosses); and the printed
sentences both ways. Difficulty counts the rule applications a task needs: one affix at
the word's edge is easy, two (or a pronoun inside the word, a y-verb, a vowel change)
medium, three or more hard; gloss and sentence tasks are easy.

The split is by lemma: a test lemma never occurs in any train prompt or answer, and no
gold answer occurs in its own prompt (a task that would break either rule is not made).

Each task lists its `baseline`: what its prompt hands over (`grammar.baselines`).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from dakota_grammar_env.grammar.baselines import family_baseline
from dakota_grammar_env.grammar.forms import form_for
from dakota_grammar_env.grammar.labels import DATIVE, NUMBER_CHANGES, OBJECTS, POSSESSIVE_VERB, REFLEXIVE
from dakota_grammar_env.grammar.lexicon import LexiconEntry
from dakota_grammar_env.grammar.paradigms import Inflection, paradigm_table, rule_citation
from dakota_grammar_env.grammar.prompts import ANSWER_LINE, FORM_FAMILIES
from dakota_grammar_env.grammar.sentences import Sentence
from dakota_grammar_env.grammar.sources import EDITIONS, MAIN
from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.tasks.task import GrammarTask

FAMILIES = (
    *FORM_FAMILIES, "segment", "analyze", "dakota_to_english", "english_to_dakota", "sentence_to_english",
    "sentence_to_dakota",
)  # fmt: skip
SENTENCE_FAMILIES = ("sentence_to_english", "sentence_to_dakota")
SEGMENT_LABELS = (
    "1sg",
    "2sg",
    "1du",
    "1pl",
    "2pl",
    "3pl",
    "my",
    "thy",
    "his",
    *OBJECTS,
    *REFLEXIVE,
    *POSSESSIVE_VERB,
    *DATIVE,
)
ANALYZE_LABELS = ("1sg", "2sg", "1du", "1pl", "2pl", "3pl")
PERSON_NAMES = {
    "1sg": "first person singular", "2sg": "second person singular", "1du": "first person dual",
    "1pl": "first person plural", "2pl": "second person plural", "3pl": "third person plural",
}  # fmt: skip


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
    shown: str = ""
    """The form the prompt shows beside the lemma (the singular pluralize starts from)."""

    def text(self) -> str:
        return normalize(" ".join([self.prompt, self.answer, *self.accepted]))


def analysed_segmentation(found: Inflection, entry: LexiconEntry) -> str:
    """The segmentation with the stem also cut where Riggs analyses the lemma (wa+manoŋ:
    wama-wa-noŋ > wa-ma-wa-noŋ); the plain one where he gives no analysis or the stem
    is changed in the form."""
    cuts, at = set(), 0
    if entry.paradigm == "y-verb":
        return found.segmentation  # the pronoun replaces the y: md-uksa, not md-u-ksa
    for piece in entry.analysis[:-1]:
        at += len(piece)
        cuts.add(at)
    pieces, position = [], 0
    for morpheme in found.morphemes:
        if morpheme["role"] == "particle":
            continue
        if morpheme["role"] != "stem" or not cuts:
            pieces.append(morpheme["form"])
            continue
        start = entry.lemma.find(morpheme["form"], position)
        if start < 0:
            return found.segmentation
        inner = [c - start for c in sorted(cuts) if start < c < start + len(morpheme["form"])]
        bounds = [0, *inner, len(morpheme["form"])]
        pieces += [morpheme["form"][a:b] for a, b in pairwise(bounds)]
        position = start + len(morpheme["form"])
    return "-".join(pieces)


def _unique(texts: Iterable[str], *leave_out: str) -> tuple[str, ...]:
    return tuple(text for text in dict.fromkeys(texts) if text not in leave_out)


def _drafts(
    entry: LexiconEntry,
    lexicon_by_gloss: dict[str, list[str]],
    homographs: dict[str, list[LexiconEntry]],
    primary_gloss_owner: dict[str, LexiconEntry],
    families: Sequence[str],
) -> Iterable[_Draft]:
    """Every task `entry` gives. A gloss is answered by every lemma that lists it among
    its glosses; a word by the glosses of every lemma spelled the same (homographs). Each
    gloss and each spelling is asked once (by its first lemma), so no two tasks share a
    prompt."""
    lemma = entry.lemma
    for family, spec in FORM_FAMILIES.items():
        if family not in families:
            continue
        for label in spec.labels:
            found = form_for(entry, label)
            if found is None:
                continue
            shown = ""
            if label in NUMBER_CHANGES:
                shown = form_for(entry, label.split(">")[0]).form
            accepted = _unique([*entry.variants.get(found.label, ()), *_rule_variants(found)], found.form)
            prompt = spec.prompt(entry, label, shown)
            yield _Draft(
                family, label, entry, prompt, found.form, accepted, base_form=lemma, inflection=found, shown=shown
            )
    if "segment" in families:
        for label in SEGMENT_LABELS:
            if (found := form_for(entry, label)) is not None and found.morphemes:
                prompt = (
                    f"Segment the Dakota form {found.form} (a form of the {entry.pos} '{entry.gloss}') into its "
                    f"morphemes.\nWrite the morphemes in Riggs' orthography, joined by hyphens. {ANSWER_LINE}"
                )
                finer = _unique([analysed_segmentation(found, entry)], found.segmentation)
                yield _Draft("segment", label, entry, prompt, found.segmentation, finer, inflection=found)
    if "analyze" in families:
        for label in ANALYZE_LABELS:
            if (found := form_for(entry, label)) is not None and found.form != lemma:
                prompt = (
                    f"The Dakota form {found.form} comes from {lemma} ('{entry.gloss}'). Which person and number "
                    f"does it mark: first, second or third person; singular, dual or plural?\nAnswer in words. "
                    f"{ANSWER_LINE}"
                )
                answer = PERSON_NAMES[label]
                accepted = (label, answer.replace("first", "1st").replace("second", "2nd").replace("third", "3rd"))
                yield _Draft("analyze", label, entry, prompt, answer, accepted, base_form=None, inflection=found)
    if "dakota_to_english" in families and homographs[normalize(lemma)][0] is entry:
        glosses = [gloss for same in homographs[normalize(lemma)] for gloss in same.glosses]
        accepted = [*glosses[1:], *(g.removeprefix("to ") for g in glosses if g.startswith("to "))]
        prompt = f"What does the Dakota word {lemma} mean in English?\nGive a short English gloss. {ANSWER_LINE}"
        yield _Draft("dakota_to_english", "gloss", entry, prompt, entry.gloss, _unique(accepted, entry.gloss))
    if "english_to_dakota" in families and primary_gloss_owner[entry.gloss] is entry:
        others = _unique(lexicon_by_gloss[entry.gloss], lemma)
        prompt = (
            f"Give the Dakota word for the English '{entry.gloss}', as Riggs writes it.\n"
            f"Give the Dakota form in Riggs' orthography. {ANSWER_LINE}"
        )
        yield _Draft("english_to_dakota", "lemma", entry, prompt, lemma, others)


IMPERATIVE_VARIANTS = {"wo": ("ye",), "po": ("pe", "miye")}
"""The imperative signs Riggs gives beside wo and po (p. 18): ye for one person, pe and
miye for several (the forms women use); po may also be shortened to -m on the verb."""


def _rule_variants(found: Inflection) -> list[str]:
    """Other forms the rule itself allows: the other imperative signs."""
    if not found.label.startswith("2") or ".imp" not in found.label or found.rules == ("printed",):
        return []
    *words, sign = found.form.split(" ")
    variants = [" ".join([*words, other]) for other in IMPERATIVE_VARIANTS.get(sign, ())]
    if sign == "po" and len(words) == 1:
        variants.append(f"{words[0]}m")
    return variants


def _finish(draft: _Draft) -> _Draft:
    found = draft.inflection
    if found is not None:
        draft.rules, draft.complexity = found.rules, found.complexity + (draft.family == "segment")
    form = found.form if found is not None and draft.family in ("segment", "analyze") else draft.shown or None
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
    no prompt or answer of the lemmas still in train. A lemma whose spelling is
    uncertain stays in train: a test gold must be the printed spelling. A family the
    draw leaves without a test lemma gets the first of its lemmas in the same order that
    can go (so every family is measured on words the model has not trained on)."""
    lemmas = sorted({d.entry.lemma for d in drafts})
    uncertain = {d.entry.lemma for d in drafts if d.entry.spelling}
    target = round(fraction * len(lemmas))
    order = sorted(lemmas, key=lambda lemma: hashlib.sha256(f"{seed}:{lemma}".encode()).hexdigest())
    texts: dict[str, list[str]] = {}
    for draft in drafts:
        texts.setdefault(draft.entry.lemma, []).append(draft.text())
    chosen: set[str] = set()

    def can_go(lemma: str) -> bool:
        needle = normalize(lemma)
        return lemma not in uncertain and not any(
            needle in text for other, items in texts.items() if other not in chosen and other != lemma for text in items
        )

    for lemma in order:
        if len(chosen) >= target:
            break
        if can_go(lemma):
            chosen.add(lemma)
    if fraction:
        families: dict[str, set[str]] = {}
        for draft in drafts:
            families.setdefault(draft.family, set()).add(draft.entry.lemma)
        for family in sorted(families):
            if not families[family] & chosen:
                chosen.update(next(([lemma] for lemma in order if lemma in families[family] and can_go(lemma)), []))
    return chosen


def _sentence_entry(sentence: Sentence, uncertain: dict[str, str]) -> LexiconEntry:
    """A printed sentence as a unit of the split: its Dakota text plays the lemma, its
    translations the glosses; a word of uncertain spelling makes the sentence uncertain."""
    doubtful = [word for word in normalize(sentence.dakota).split() if word in uncertain]
    reason = uncertain[doubtful[0]].removeprefix("uncertain: ") if doubtful else ""
    spelling = f"uncertain: the word {doubtful[0]}: {reason}" if doubtful else ""
    return LexiconEntry(
        lemma=sentence.dakota, glosses=(sentence.english, *sentence.also), pos="sentence", paradigm="none",
        insert_at=0, ablaut="", section=sentence.section, page=sentence.page, source=sentence.source, attested={},
        note=sentence.note, line=sentence.line, spelling=spelling,
    )  # fmt: skip


def _sentence_drafts(entry: LexiconEntry, families: Sequence[str]) -> Iterable[_Draft]:
    """Both directions of one printed sentence; every translation Riggs prints is accepted."""
    if "sentence_to_english" in families:
        prompt = f"Translate the Dakota {entry.lemma!r} into English.\nGive the English translation. {ANSWER_LINE}"
        yield _Draft("sentence_to_english", "sentence", entry, prompt, entry.gloss, _unique(entry.glosses[1:]))
    if "sentence_to_dakota" in families:
        prompt = (
            f"Translate '{entry.gloss}' into Dakota, as Riggs' grammar prints it.\n"
            f"Give the Dakota words in Riggs' orthography. {ANSWER_LINE}"
        )
        yield _Draft("sentence_to_dakota", "sentence", entry, prompt, entry.lemma)


def generate(
    lexicon: Sequence[LexiconEntry], config: GeneratorConfig = GeneratorConfig(), sentences: Sequence[Sentence] = ()
) -> list[GrammarTask]:
    """Every task the lexicon, rules and printed sentences give under `config`, in the
    seeded order."""
    by_gloss: dict[str, list[str]] = {}
    homographs: dict[str, list[LexiconEntry]] = {}
    owners: dict[str, LexiconEntry] = {}
    for entry in lexicon:
        for gloss in entry.glosses:
            by_gloss.setdefault(gloss, []).append(entry.lemma)
        homographs.setdefault(normalize(entry.lemma), []).append(entry)
        owners.setdefault(entry.gloss, entry)
    drafts = [_finish(d) for entry in lexicon for d in _drafts(entry, by_gloss, homographs, owners, config.families)]
    uncertain = {normalize(entry.lemma): entry.spelling for entry in lexicon if entry.spelling}
    for sentence in sentences:
        drafts += [_finish(d) for d in _sentence_drafts(_sentence_entry(sentence, uncertain), config.families)]
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
                "work": EDITIONS[MAIN].short,
                "lexicon": d.entry.citation,
                "checked": "page" if d.entry.source == "riggs-page" else "extraction",
                "gold": _gold_kind(d),
                "rules": [
                    _rule_citation(rule, d.entry, d.inflection.label if d.inflection else d.label) for rule in d.rules
                ],
                "form": d.label,
                **({"spelling": d.entry.spelling} if d.entry.spelling else {}),
            },
        )
        for d in drafts
    ]
    tasks.sort(key=lambda task: task.task_id)
    random.Random(config.seed).shuffle(tasks)
    return tasks


def _gold_kind(draft: _Draft) -> str:
    """printed: the gold is a word, gloss or form Riggs prints; rules: the cited rules
    build it (a segmentation is always the rules')."""
    if draft.family in ("dakota_to_english", "english_to_dakota", *SENTENCE_FAMILIES):
        return "printed"
    found = draft.inflection
    if draft.family == "segment" or found is None:
        return "rules"
    return "printed" if draft.entry.attested.get(found.label) == found.form or found.rules == ("printed",) else "rules"


def _rule_citation(rule_id: str, entry: LexiconEntry, label: str) -> str:
    """'rule-id: Riggs 1852, Grammar p. 9 (§ 15)'; a form taken as printed cites the page
    it is printed on."""
    if rule_id == "printed":
        return f"printed: {entry.form_citation(label)}"
    return f"{rule_id}: {rule_citation(paradigm_table()['rules_by_id'][rule_id])}"
