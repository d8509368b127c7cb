"""The prompt baseline: candidates from a prompt, the closest one, and the novel units."""

from __future__ import annotations

import pytest

from dakota_grammar_env.reward.baseline import (
    NovelUnit,
    candidates_for_prompt,
    closest_baseline,
    novel_units,
    prompt_candidates,
    split_where_changed,
    units_realised,
    with_affixes,
)


def test_novel_units_are_the_merged_edits_from_the_baseline():
    assert novel_units("daka", "yadaka") == (NovelUnit(0, 2, "ya"),)
    assert novel_units("kaksa sni", "unkaksapi sni") == (NovelUnit(0, 2, "un"), NovelUnit(7, 9, "pi"))
    assert novel_units("wowaste", "mitowaste") == (NovelUnit(0, 3, "mit"),)  # insert + replace merge
    assert novel_units("yuza", "duza") == (NovelUnit(0, 1, "d"),)
    assert novel_units("kagapi", "kaga") == (NovelUnit(4, 4, "-pi"),)  # letters that must go
    assert novel_units("unkaksapi", "unkaksapi") == ()
    assert novel_units("", "tipi") == ()
    assert novel_units("house", "tipi") == ()  # the gold does not build on the baseline


def test_units_are_named_by_the_reference_with_its_diacritics():
    assert novel_units("kaksa sni", "unkaksapi sni", display="uŋkaksapi ṡni")[0].text == "uŋ"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("yadaka", [True]),
        ("yadeka", [True]),  # a slip away from the unit
        ("wadaka", [False]),  # shares the 'a', not the unit
        ("yaxdaka", [False]),  # the unit with a wrong letter stuck to it
        ("dakaya", [False]),  # wrong place
        ("ya", [False]),  # alone
        ("xyadaka", [False]),  # not at the start, where the gold has it
    ],
)
def test_a_unit_is_realised_only_contiguously_and_in_place(reply, expected):
    assert units_realised(novel_units("daka", "yadaka"), reply, "yadaka") == expected


def test_boundaries_one_letter_off_realise_nothing():
    units = novel_units("unkokastan-pi", "unk-okastan-pi")
    assert units_realised(units, "unk-okastan-pi", "unk-okastan-pi") == [True]
    assert units_realised(units, "un-kokastan-pi", "unk-okastan-pi") == [False]
    deletion = novel_units("kagapi", "kaga")
    assert units_realised(deletion, "kaga", "kaga") == [True]
    assert units_realised(deletion, "kagap", "kaga") == [False]


def test_the_closest_candidate_is_the_baseline():
    found = closest_baseline(
        "unkaksapi sni", {"kaksa": "kaksa", "kaksa sni": "kaksa ṡni", "kaksapi sni": "kaksapi ṡni"}
    )
    assert found.text == "kaksapi ṡni" and found.novel_applies
    assert [unit.text for unit in found.units] == ["un"]
    nothing = closest_baseline("tipi", {})
    assert (nothing.text, nothing.similarity, nothing.units) == ("", 0.0, ())


def test_split_where_changed_reads_a_form_beside_its_lemma():
    assert split_where_changed("oyakihipi", "okihi") == "o-ya-kihi-pi"
    assert split_where_changed("mduksa", "yuksa") == "md-uksa"
    assert split_where_changed("wakaġa", "kaġa") == "wa-kaġa"
    assert split_where_changed("kaġa", "kaġa") == "kaġa"


def test_prompt_candidates_are_lines_labels_quotes_and_words():
    prompt = "Translate this Dakota word to English:\n\nwanunna\n\nGloss: now\nThe verb 'to go' here."
    found = prompt_candidates(prompt)
    for expected in ("wanunna", "now", "Gloss: now", "to go", "Translate", "verb"):
        assert expected in found, expected
    assert len(found) == len(set(found))


def test_named_affixes_are_applied_to_the_given_forms():
    assert with_affixes("pida", ["wo-", "-pi", "-ya-", "k"]) == ["wopida", "pidapi"]
    prompt = "Insert the affix into the base form:\nBase form: pida\nAffix(es) to insert: wo-"
    found = candidates_for_prompt(prompt, ["pida"], ["wo-", "-pi"])
    assert "wopida" in found and "pidapi" not in found  # -pi is not named by this prompt
    assert found[0] == "pida"
