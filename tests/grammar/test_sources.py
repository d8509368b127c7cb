"""Citations name real pages: every task, lexicon entry and rule cites an edition and a
part that are in the table of the books' page ranges, and every § a rule or an entry
cites is printed on the page it gives and is about what the rule says."""

from __future__ import annotations

import pytest

from dakota_grammar_env.grammar.dataset import LEXICON_FILE, data_dir
from dakota_grammar_env.grammar.lexicon import read_lexicon
from dakota_grammar_env.grammar.paradigms import paradigm_table, rule_citation
from dakota_grammar_env.grammar.sources import EDITIONS, MAIN, check_page, check_section, cite, parse_citation, sections


def test_a_citation_round_trips_and_names_a_real_page():
    text = cite(MAIN, "grammar", 9, "§ 15")
    assert text == "Riggs 1852, Grammar p. 9 (§ 15)"
    assert parse_citation(text) == (MAIN, "grammar", 9, "§ 15")
    assert parse_citation("Riggs 1852, Dakota-English Dictionary p. 192") == (MAIN, "dictionary", 192, "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Riggs 1852, Grammar p. 65", "pages 1-64, not 65"),
        ("Riggs 1852, Grammar p. 0", "pages 1-64, not 0"),
        ("Riggs 1893, Grammar p. 9", "unknown edition"),
        ("Riggs 1852, Appendix p. 9", "no part titled"),
        ("Riggs 1852 p. 9", "not a citation"),
    ],
)
def test_a_citation_of_a_page_the_book_does_not_have_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_citation(text)


def test_check_page_and_check_section_refuse_what_the_tables_do_not_hold():
    with pytest.raises(ValueError, match="no part"):
        check_page(MAIN, "appendix", 1)
    with pytest.raises(ValueError, match="unknown edition"):
        check_page("riggs-1893", "grammar", 1)
    with pytest.raises(ValueError, match=r"not p\. 41"):
        check_section("§ 92", 41)
    with pytest.raises(ValueError, match=r"not in sections\.tsv"):
        check_section("§ 999", 9)
    check_section("§ 182", 59)


def test_every_shipped_task_cites_real_pages(shipped_tasks):
    for task in shipped_tasks:
        edition, _, page, section = parse_citation(task.source["lexicon"])
        assert task.source["work"] == EDITIONS[edition].short
        check_section(section, page)
        for rule in task.source["rules"]:
            _, _, where = rule.partition(": ")
            _, _, rule_page, rule_section = parse_citation(where)
            check_section(rule_section, rule_page)
        assert task.source["checked"] in ("page", "extraction")


def test_every_rule_cites_a_page_and_a_section_that_states_it():
    table = sections()
    for rule in paradigm_table()["rule"]:
        parse_citation(rule_citation(rule))
        if rule["section"]:
            found = table[rule["section"]]
            assert found.first_page <= rule["page"] <= found.last_page, rule["id"]
            assert any(word in rule["says"] for word in found.keywords), (rule["id"], found.topic)


def test_every_lexicon_entry_cites_a_real_page_of_its_part():
    for entry in read_lexicon(data_dir() / LEXICON_FILE):
        _, part, page, _ = parse_citation(entry.citation)
        assert (part, page) == (entry.part, entry.page)
        for label in entry.form_pages:
            parse_citation(entry.form_citation(label))


def test_the_sections_table_is_well_formed():
    table = sections()
    assert len(table) >= 30
    for found in table.values():
        assert found.first_page <= found.last_page and found.keywords and found.read in ("page", "cross-reference")
