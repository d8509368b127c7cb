"""Closed answers read as person and number slots."""

from __future__ import annotations

import pytest

from dakota_grammar_env.reward.slots import gold_slots, read_slots, slot_share


@pytest.mark.parametrize(
    "text",
    ["second person singular", "2sg", "2nd person singular", "singular, 2nd person", "the second person (singular)"],
)
def test_any_wording_of_the_same_slots_reads_the_same(text):
    assert read_slots(text).single() == {"person": "2", "number": "sg"}


@pytest.mark.parametrize("typo", ["secnod person singular", "second person singlar", "second peron singular"])
def test_a_one_letter_slip_in_a_label_word_still_reads_as_that_word(typo):
    assert read_slots(typo).single() == {"person": "2", "number": "sg"}


def test_two_values_for_one_slot_are_a_hedge():
    assert read_slots("first person singular/plural").hedge() == "several values for number: pl|sg"
    assert read_slots("first or second person singular").hedge() == "several values for person: 1|2"
    assert read_slots("first person singular").hedge() is None


def test_only_pure_labels_are_closed_golds():
    assert gold_slots("third person plural") == {"person": "3", "number": "pl"}
    assert gold_slots("3pl") == {"person": "3", "number": "pl"}
    assert gold_slots("to walk") is None
    assert gold_slots("I, first person singular") is None  # other words: a gloss, not a label
    assert gold_slots("first person") is None


def test_the_share_counts_missing_and_hedged_slots_as_wrong():
    gold = {"person": "2", "number": "sg"}
    assert slot_share(read_slots("second person singular"), gold) == 1.0
    assert slot_share(read_slots("second person"), gold) == 0.5
    assert slot_share(read_slots("second person singular or plural"), gold) == 0.5
    assert slot_share(read_slots("third person dual"), gold) == 0.0
