"""The form of a lexicon entry for any label: the one Riggs prints, else the rules'.

This is the one place the generator asks for a form. Person, possessor and negated
labels are built by `paradigms`, the other verb forms by `derived_forms`; either way a
form the lexicon records as printed wins. A printed form the rules also build keeps the
rules' segmentation and citations; one they do not build is taken as printed, with no
segmentation claimed for it, and counts as hard (it has to be known by heart).
"""

from __future__ import annotations

from dakota_grammar_env.grammar import paradigms
from dakota_grammar_env.grammar.derived_forms import DERIVED, derive
from dakota_grammar_env.grammar.lexicon import LexiconEntry
from dakota_grammar_env.grammar.paradigms import IRREGULAR_COMPLEXITY, Inflection
from dakota_grammar_env.reward.orthography import normalize


def form_for(entry: LexiconEntry, label: str) -> Inflection | None:
    """The printed form when the lexicon has one for `label`, else the rules' form."""
    if label not in DERIVED:
        return paradigms.form_for(entry, label)
    printed = entry.attested.get(label)
    built = derive(entry, label)
    if printed is None or (built is not None and normalize(built.form) == normalize(printed)):
        return built
    return Inflection(label, printed, (), 0, ("printed",), IRREGULAR_COMPLEXITY)


def built_form(entry: LexiconEntry, label: str) -> Inflection | None:
    """What the rules alone build (to check them against the printed forms)."""
    return derive(entry, label) if label in DERIVED else paradigms.inflect(entry, label)
