"""Spans that name several candidates."""

from __future__ import annotations

import pytest

from dakota_grammar_env.reward.hedges import separator_allowance, several_candidates


def hedge(span, references, matched=None):
    return several_candidates(span, references, matched or references[0], separator_allowance(references))


@pytest.mark.parametrize(
    "span", ["yadaka/wadaka", "yadaka | wadaka", "yadaka (wadaka)", "yadaka, wadaka", "yadaka or wadaka", "yadaka..."]
)
def test_separators_the_gold_does_not_have_are_hedges(span):
    assert hedge(span, ["yadaka"], "yadaka") is not None


def test_a_separator_the_gold_has_is_allowed_as_often_as_it_has_it():
    refs = ["to cut off (knife)"]
    assert hedge("to cut off (saw)", refs, refs[0]) is None
    assert hedge("to cut off (saw) (knife)", refs, refs[0]) == "separator '('"


def test_extra_words_are_a_hedge_only_when_two_resemble_one_gold_word():
    assert hedge("yadaka wadaka", ["yadaka"], "yadaka") is not None
    assert hedge("kaksapi sni sni", ["kaksapi sni"], "kaksapi sni") is not None
    assert hedge("ya daka", ["yadaka"], "yadaka") is None  # one wrong form, not two candidates
    assert hedge("to walk to go", ["to walk"], "to walk") is None  # short words never count
