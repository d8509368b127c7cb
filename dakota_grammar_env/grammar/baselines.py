"""What each family's prompt hands over: the task's `baseline`.

The `baseline` of a task (read by `reward.baseline`) lists every Dakota form and
gloss its prompt shows, and what a reader gets from them mechanically: the construction
the instruction names or every such task carries, applied blindly (the lemma with
``ṡni`` after it for negate, ``kta`` for future, ``wo`` or ``po`` for imperative; ``-pi``
on the singular pluralize shows and wherever the instruction names a plural person),
and, for segment, the form split after each common first syllable and before ``-pi``.
"""

from __future__ import annotations

from dakota_grammar_env.reward.baseline import blind_splits

NEGATIVE_PARTICLE = "ṡni"
PLURAL_SUFFIX = "pi"
PLURAL_PERSONS = ("1pl", "2pl", "3pl")
FUTURE_PARTICLE = "kta"


def family_baseline(family: str, label: str, lemma: str, gloss: str, form: str | None = None) -> tuple[str, ...]:
    """What a task's prompt hands over: the forms and gloss it shows (`form` is the form
    shown beside the lemma: the one to segment or analyze, or the singular pluralize
    starts from), and its family's construction on them, applied blindly (see the
    module docstring)."""
    shown = {
        "english_to_dakota": [gloss], "dakota_to_english": [lemma], "segment": [form, gloss],
        "sentence_to_english": [lemma], "sentence_to_dakota": [gloss],
    }.get(family, [form, lemma, gloss])  # fmt: skip
    person = label.split(">")[0].split(".")[0]
    plural = person in PLURAL_PERSONS
    built = {
        "conjugate": [lemma + PLURAL_SUFFIX] if plural else [],
        "negate": [f"{lemma}{PLURAL_SUFFIX if plural else ''} {NEGATIVE_PARTICLE}", f"{lemma} {NEGATIVE_PARTICLE}"],
        "pluralize": [(form or lemma) + PLURAL_SUFFIX],
        "future": [f"{lemma} {FUTURE_PARTICLE}", *([f"{lemma} kte {NEGATIVE_PARTICLE}"] if ".neg" in label else [])],
        "imperative": [_blind_imperative(lemma, label)],
    }.get(family, [])
    if family == "segment" and form:
        built += blind_splits(form)
    return tuple(dict.fromkeys(text for text in (*shown, *built) if text))


def _blind_imperative(lemma: str, label: str) -> str:
    """The command sign every such task carries, after the lemma: wo for one, po for several."""
    if label == "2pl.imp.neg":
        return f"{lemma}{PLURAL_SUFFIX} {NEGATIVE_PARTICLE} po"
    return f"{lemma} {'wo' if label.startswith('2sg') else 'po'}"
