"""How each family asks for a form: the labels it asks about and the words of its prompt.

A prompt names the word, its gloss and what is wanted in plain English; it never shows
the answer (the generator drops a task whose gold its prompt contains). The families
whose answer is a form of one word are listed in `FORM_FAMILIES`, each with its labels
and its prompt; segment, analyze and the gloss families are built in the generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dakota_grammar_env.grammar.labels import (
    CAUSATIVE,
    DATIVE,
    FUTURE,
    IMPERATIVE,
    NUMBER_CHANGES,
    OBJECTS,
    POSSESSIVE_VERB,
    REDUPLICATED,
    REFLEXIVE,
)  # fmt: skip
from dakota_grammar_env.grammar.lexicon import LexiconEntry

ANSWER_LINE = "End your reply with a line 'Answer: <form>'."
DAKOTA = f"Give the Dakota form in Riggs' orthography. {ANSWER_LINE}"
DAKOTA_WORDS = f"Give the Dakota words in Riggs' orthography. {ANSWER_LINE}"

PERSONS = {
    "1sg": "the first person singular (I)",
    "2sg": "the second person singular (thou)",
    "3sg": "the third person singular (he or she)",
    "1du": "the first person dual (we two, thou and I)",
    "1pl": "the first person plural (we, more than two)",
    "2pl": "the second person plural (you, more than one)",
    "3pl": "the third person plural (they)",
}
POSSESSORS = {"my": "my", "thy": "thy (your, one person)", "his": "his or her"}
SUBJECT_OBJECT = {
    "3sg>1sg": "he or she as the subject and me as the object (he ... me)",
    "3sg>2sg": "he or she as the subject and thee as the object (he ... thee)",
    "3sg>3pl": "he or she as the subject and them as the object (he ... them)",
    "2sg>1sg": "thou as the subject and me as the object (thou ... me)",
    "1sg>2sg": "I as the subject and thee as the object (I ... thee)",
    "1sg>3pl": "I as the subject and them as the object (I ... them)",
    "2sg>3pl": "thou as the subject and them as the object (thou ... them)",
    "3pl>1sg": "they as the subject and me as the object (they ... me)",
    "2pl>1sg": "you (more than one) as the subject and me as the object (you ... me)",
    "1sg>2pl": "I as the subject and you (more than one) as the object (I ... you)",
    "3pl>3pl": "they as the subject and them as the object (they ... them)",
}
SELF = {"3sg": "he or she (... himself or herself)", "2sg": "thou (... thyself)", "1sg": "I (... myself)"}
OWN = {"3sg": "he or she (... his or her own)", "2sg": "thou (... thine own)", "1sg": "I (... my own)"}
COMMANDS = {
    "2sg.imp": "a command to one person (do it!)",
    "2pl.imp": "a command to several people (do it, all of you!)",
    "2pl.imp.neg": "a prohibition to several people (do not do it!)",
    "2sg.imp>1sg": "a command to one person with me as the object (do it to me!)",
    "2pl.imp>1pl": "a command to several people with us as the object (do it to us!)",
    "2sg.imp>3pl": "a command to one person with them as the object (do it to them!)",
}


def _word(entry: LexiconEntry) -> str:
    return f"{entry.lemma} ('{entry.gloss}')"


def conjugate(entry: LexiconEntry, label: str, shown: str) -> str:
    return f"Conjugate the Dakota {entry.pos} {_word(entry)} for {PERSONS[label]}.\n{DAKOTA}"


def negate(entry: LexiconEntry, label: str, shown: str) -> str:
    person = PERSONS[label.removesuffix(".neg")]
    return (
        f"Negate the Dakota {entry.pos} {_word(entry)} in {person}, with the negative adverb that follows the "
        f"verb.\n{DAKOTA_WORDS}"
    )


def possess(entry: LexiconEntry, label: str, shown: str) -> str:
    return (
        f"Give the Dakota for '{POSSESSORS[label].split(' (')[0]} {entry.gloss}', adding the possessive prefix to "
        f"the noun {entry.lemma}.\n{DAKOTA}"
    )


def pluralize(entry: LexiconEntry, label: str, shown: str) -> str:
    if label == "pl":
        return f"Give the plural of the Dakota {entry.pos} {_word(entry)}.\n{DAKOTA}"
    source, target = label.split(">")
    return (
        f"The Dakota form {shown} is {PERSONS[source]} of {_word(entry)}. Give the form of the same verb for "
        f"{PERSONS[target]}.\n{DAKOTA}"
    )


def object_pronouns(entry: LexiconEntry, label: str, shown: str) -> str:
    return (
        f"Give the Dakota verb {_word(entry)} with {SUBJECT_OBJECT[label]}, the pronouns incorporated in the "
        f"verb.\n{DAKOTA}"
    )


def reflexive(entry: LexiconEntry, label: str, shown: str) -> str:
    return (
        f"Give the reflexive form of the Dakota verb {_word(entry)}, the act done to oneself, for "
        f"{SELF[label.split('.')[0]]}.\n{DAKOTA}"
    )


def possessive_verb(entry: LexiconEntry, label: str, shown: str) -> str:
    return (
        f"Give the possessive form of the Dakota verb {_word(entry)}, the act done to what is one's own, for "
        f"{OWN[label.split('.')[0]]}.\n{DAKOTA}"
    )


def dative(entry: LexiconEntry, label: str, shown: str) -> str:
    person, kind = label.split(".")
    sense = "to someone (to another)" if kind == "to" else "for someone (on another's behalf)"
    return f"Give the dative form of the Dakota verb {_word(entry)}, doing it {sense}, for {PERSONS[person]}.\n{DAKOTA}"


def causative(entry: LexiconEntry, label: str, shown: str) -> str:
    who = "" if label == "caus" else ", for the first person singular (I cause someone to do it)"
    return (
        f"Give the causative of the Dakota verb {_word(entry)}: the verb for causing someone to do it{who}.\n{DAKOTA}"
    )


def future(entry: LexiconEntry, label: str, shown: str) -> str:
    person = PERSONS[label.split(".")[0]]
    kind = "the negative future (will not)" if label.endswith(".neg") else "the future (will)"
    return (
        f"Put the Dakota {entry.pos} {_word(entry)} in {kind} for {person}, with the future particle.\n{DAKOTA_WORDS}"
    )


def imperative(entry: LexiconEntry, label: str, shown: str) -> str:
    return f"Give {COMMANDS[label]} with the Dakota verb {_word(entry)}.\n{DAKOTA_WORDS}"


def reduplicate(entry: LexiconEntry, label: str, shown: str) -> str:
    who = "" if label == "red" else f", for {PERSONS[label.split('.')[1]]}"
    return (
        f"Give the reduplicated form of the Dakota {entry.pos} {_word(entry)}, the form that says the act is "
        f"repeated or the quality belongs to many{who}.\n{DAKOTA}"
    )


Prompt = Callable[[LexiconEntry, str, str], str]


@dataclass(frozen=True)
class FormFamily:
    """A family whose answer is one form of the word: the labels it asks for, and how.
    A prompt gets the entry, the label and the form it shows beside the lemma (for
    pluralize, the singular it starts from; otherwise empty)."""

    labels: tuple[str, ...]
    prompt: Prompt


FORM_FAMILIES: dict[str, FormFamily] = {
    "conjugate": FormFamily(("1sg", "2sg", "1du", "1pl", "2pl", "3pl"), conjugate),
    "pluralize": FormFamily((*NUMBER_CHANGES, "pl"), pluralize),
    "negate": FormFamily(("3sg.neg", "1sg.neg", "2sg.neg", "1du.neg", "1pl.neg", "2pl.neg", "3pl.neg"), negate),
    "possess": FormFamily(("my", "thy", "his"), possess),
    "object": FormFamily(OBJECTS, object_pronouns),
    "reflexive": FormFamily(REFLEXIVE, reflexive),
    "possessive_verb": FormFamily(POSSESSIVE_VERB, possessive_verb),
    "dative": FormFamily(DATIVE, dative),
    "causative": FormFamily(CAUSATIVE, causative),
    "future": FormFamily(FUTURE, future),
    "imperative": FormFamily(IMPERATIVE, imperative),
    "reduplicate": FormFamily(REDUPLICATED, reduplicate),
}
