"""The fast chrF agrees with sacrebleu's CHRF, the reference definition, to the last bit."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import CHRF

from dakota_grammar_env.chrf import CharF

REFERENCE = CHRF()
FAST = CharF()
LETTERS = "aeiouŋṡćċḣġżḳṗṭáwkmnpty"


@pytest.mark.parametrize(
    ("hypothesis", "references"),
    [
        ("", [""]),
        ("", ["wakaġa"]),
        ("wakaġa", [""]),
        ("wakaġa", ["wakaġa"]),
        ("   ", ["a b"]),
        ("a", ["ab"]),
        ("ab", ["a"]),
        ("mde ṡni", ["mdeṡni"]),
        (unicodedata.normalize("NFD", "ṡuŋkaġa"), ["ṡuŋkaġa"]),
        ("wakaġa wakaġa wakaġa", ["wakaġa"]),
        ("aġakaw", ["wakaġa", "yakaġa"]),
        ("x" * 5000, ["wakaġa"]),
        ("to make it", ["make", "to make", "to build"]),
    ],
)
def test_edge_cases_match_sacrebleu(hypothesis, references):
    assert FAST.sentence_score(hypothesis, references) == REFERENCE.sentence_score(hypothesis, references).score


def test_random_dakota_strings_match_sacrebleu():
    rng = random.Random(7)
    for _ in range(5000):
        hyp = "".join(rng.choice(LETTERS + " ") for _ in range(rng.randint(0, 20)))
        refs = ["".join(rng.choice(LETTERS + " ") for _ in range(rng.randint(0, 20))) for _ in range(rng.randint(1, 3))]
        assert FAST.sentence_score(hyp, refs) == REFERENCE.sentence_score(hyp, refs).score, (hyp, refs)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.lists(st.text(max_size=60), min_size=1, max_size=3))
def test_arbitrary_text_matches_sacrebleu(hypothesis, references):
    assert FAST.sentence_score(hypothesis, references) == REFERENCE.sentence_score(hypothesis, references).score


def test_parameters_are_recorded_and_validated():
    assert FAST.signature == "chrF2|nc:6|nw:0|space:no"
    with pytest.raises(ValueError):
        CharF(char_order=0)
    with pytest.raises(ValueError):
        CharF(beta=0)
