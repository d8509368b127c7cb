"""Normalisation: the forms that must compare equal do, and the ones that must not, don't."""

from __future__ import annotations

import unicodedata

import pytest

from dakota_grammar_env.reward.orthography import (
    RIGGS_LETTERS,
    SPECIAL_LETTERS,
    Folding,
    normalize,
    sanitize,
    skeleton,
    special_letters,
)


def test_nfd_and_nfc_of_the_same_word_normalise_equal():
    word = "ṡuŋkaḳa"
    assert normalize(unicodedata.normalize("NFD", word)) == normalize(word) == word


def test_case_whitespace_and_edge_punctuation_are_ignored():
    assert normalize("  **WaKaĠa.**  ") == "wakaġa"
    assert normalize('"mde   ṡni"!') == "mde ṡni"
    assert normalize("`-pi`") == "pi"


def test_hyphen_inside_a_segmentation_is_kept():
    assert normalize("wa–kaġa") == "wa-kaġa"  # en dash folds to a hyphen


def test_apostrophe_shapes_fold_to_one():
    assert normalize("wića’ta") == normalize("wića'ta") == normalize("wićaʼta")


@pytest.mark.parametrize(
    ("variant", "letter"),
    [
        ("ǧ", "ġ"),
        ("ğ", "ġ"),
        ("ǵ", "ġ"),
        ("ṫ", "ṭ"),
        ("ț", "ṭ"),
        ("ḱ", "ḳ"),
        ("ķ", "ḳ"),
        ("k\u0307", "ḳ"),
        ("ṇ", "ŋ"),
        ("ś", "ṡ"),
        ("ź", "ż"),
    ],
)
def test_typographic_variants_fold_at_the_typographic_level(variant, letter):
    assert normalize(f"a{variant}a", Folding.TYPOGRAPHIC) == f"a{letter}a"
    assert normalize(f"a{variant}a", Folding.NONE) != f"a{letter}a"


@pytest.mark.parametrize(("variant", "letter"), [("š", "ṡ"), ("ž", "ż"), ("ȟ", "ḣ"), ("č", "ć")])
def test_modern_letters_fold_only_at_the_riggs_level(variant, letter):
    assert normalize(f"a{variant}a", Folding.RIGGS) == f"a{letter}a"
    assert normalize(f"a{variant}a", Folding.TYPOGRAPHIC) == f"a{variant}a"


def test_distinct_riggs_letters_stay_distinct():
    assert normalize("ća") != normalize("ċa")  # ch and emphatic ch
    assert normalize("waṡte") != normalize("waste")
    assert normalize("táŋka") != normalize("taŋka")  # stress is kept


def test_the_alphabet_is_defined_once_and_consistently():
    letters = [entry.letter for entry in RIGGS_LETTERS]
    assert len(letters) == len(set(letters)) == 10
    variants = [v for entry in RIGGS_LETTERS for v in (*entry.typographic, *entry.modern)]
    assert len(variants) == len(set(variants))
    assert not set(variants) & set(letters)
    assert {"á", "é", "í", "ó", "ú"} < SPECIAL_LETTERS
    for letter in letters:
        assert unicodedata.is_normalized("NFC", letter)


def test_skeleton_drops_diacritics_only():
    assert skeleton("ṡuŋkaḳá") == "sunkaka"
    assert skeleton("wakaġa") == skeleton("wakaga") == "wakaga"


def test_special_letters_in_order():
    assert special_letters(normalize("Ṡuŋka ġa")) == ["ṡ", "ŋ", "ġ"]


def test_sanitize_replaces_lone_surrogates_and_drops_invisible_characters():
    assert sanitize("a\ud800b") == "a\ufffdb"
    assert sanitize("wa\u200bka\u00adġa\x00") == "wakaġa"
    assert sanitize("line\r\nnext\rlast") == "line\nnext\nlast"
    assert sanitize("tab\tkept\nand newline") == "tab\tkept\nand newline"
