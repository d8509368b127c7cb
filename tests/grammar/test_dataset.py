"""The shipped dataset: built from the cited lexicon and rules, big enough, split by lemma,
leak-free, reproducible, and cross-checked against the forms Dakota1890 attests."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from dakota_grammar_env.grammar.crosscheck import attested_forms, crosscheck
from dakota_grammar_env.grammar.dataset import DATASET_FILE, LEXICON_FILE, build_dataset, build_tasks, data_dir
from dakota_grammar_env.grammar.generator import FAMILIES
from dakota_grammar_env.grammar.lexicon import read_lexicon
from dakota_grammar_env.grammar.paradigms import form_for, inflect, paradigm_table
from dakota_grammar_env.grammar.sources import EDITIONS, parse_citation
from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path
from tests.support.paths import REFERENCE_DIR, needs_reference

DATASHEET = data_dir() / "README.md"


def test_the_shipped_file_is_exactly_what_the_sources_build(tmp_path):
    path, _ = build_dataset(tmp_path / "a.jsonl")
    again, _ = build_dataset(tmp_path / "b.jsonl")
    assert path.read_bytes() == again.read_bytes()  # two builds, byte for byte
    assert shipped_data_path() == data_dir() / DATASET_FILE
    assert shipped_data_path().read_bytes() == path.read_bytes()  # rerun `dakota-grammar data build` if this fails


def test_size_families_and_difficulties(shipped_tasks):
    assert len(shipped_tasks) >= 2000
    assert len({t.lemma for t in shipped_tasks}) >= 150
    assert set(Counter(t.task_type for t in shipped_tasks)) == set(FAMILIES)
    levels = Counter(t.difficulty for t in shipped_tasks)
    assert set(levels) == {"easy", "medium", "hard"} and min(levels.values()) > 200
    assert len({t.task_id for t in shipped_tasks}) == len(shipped_tasks)


def test_no_gold_appears_in_its_own_prompt(shipped_tasks):
    for task in shipped_tasks:
        prompt = normalize(task.prompt)
        for gold in (task.answer, *task.accepted):
            assert normalize(gold) not in prompt, task.task_id


def test_no_test_lemma_appears_in_any_train_prompt_or_answer(shipped_tasks):
    test_lemmas = {normalize(t.lemma) for t in shipped_tasks if t.split == "test"}
    train = [t for t in shipped_tasks if t.split == "train"]
    assert len(test_lemmas) >= 30 and train
    assert not test_lemmas & {normalize(t.lemma) for t in train}
    for task in train:
        text = normalize(" ".join([task.prompt, task.answer, *task.accepted]))
        assert not [lemma for lemma in test_lemmas if lemma in text], task.task_id


def test_every_gold_scores_one_and_every_task_cites_riggs(shipped_tasks):
    rubric = DakotaGrammarRubric()
    for task in shipped_tasks:
        assert rubric.score(f"Answer: {task.answer}", task.answer, task.info()).reward_scalar == 1.0
        edition, _, _, _ = parse_citation(task.source["lexicon"])  # a real page of a listed edition
        assert task.source["work"] == EDITIONS[edition].short
        for rule in task.source["rules"]:
            rule_id, _, where = rule.partition(": ")
            parse_citation(where)
            assert rule_id == "printed" or rule_id in paradigm_table()["rules_by_id"], rule
        if task.task_type not in (
            "dakota_to_english",
            "english_to_dakota",
            "sentence_to_english",
            "sentence_to_dakota",
        ):
            assert task.source["rules"], task.task_id


def test_the_rules_reproduce_the_regular_forms_riggs_prints():
    """Where the lexicon records a printed form and a rule builds one, they agree, but for
    the irregulars the datasheet names; generated tasks always use the printed form."""
    reproduced, irregular = 0, []
    for entry in read_lexicon(data_dir() / LEXICON_FILE):
        for label, form in entry.attested.items():
            assert form_for(entry, label) is None or form_for(entry, label).form == form
            built = inflect(entry, label)
            if built is not None:
                if built.form == form:
                    reproduced += 1
                else:
                    irregular.append((entry.lemma, label, form, built.form))
    print(f"rules reproduce {reproduced} printed forms; {len(irregular)} printed forms are irregular: {irregular}")
    assert reproduced >= 100
    assert irregular == [
        ("hoyeya", "1pl", "hoyeuŋyaŋpi", "hoyeuŋyapi"),  # the dictionary prints the nasal: hoyeuŋyaŋpi
        ("oŋṡpe", "my", "mitaoŋṡpe", "mitoŋṡpe"),  # mita- keeps its a before oŋ
    ]


def test_tasks_on_a_cleaned_user_file_load_by_path(tmp_path):
    tasks = read_tasks(shipped_data_path()).tasks
    assert [t.task_id for t in tasks] == [t.task_id for t in build_tasks()]


@needs_reference
def test_crosscheck_against_dakota1890_and_the_datasheet_lists_every_disagreement(shipped_tasks):
    attested = attested_forms(sorted(Path(REFERENCE_DIR).glob("grammar_tasks_*.jsonl")))
    result = crosscheck(shipped_tasks, attested)
    print(result.summary())
    for claim, found in result.disagreements:
        print(
            f"  {claim.form} ({claim.person or 'lemma'}): ours {claim.glosses}; theirs {[a.gloss for a in found][:3]}"
        )
    assert result.attested == result.agreed + result.disagreed
    sheet = DATASHEET.read_text(encoding="utf-8")
    figures = re.search(
        r"(\d+) generated forms checked, (\d+) attested in Dakota1890, (\d+) agree, (\d+) disagree", sheet
    )
    assert figures, "the datasheet quotes the cross-check figures"
    assert tuple(map(int, figures.groups())) == (result.checked, result.attested, result.agreed, result.disagreed)
    for claim, _ in result.disagreements:
        assert f"| {claim.form} |" in sheet, f"{claim.form} is not reviewed in the datasheet"


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_has_train_and_test_tasks(shipped_tasks, family):
    splits = {t.split for t in shipped_tasks if t.task_type == family}
    assert splits == {"train", "test"}


def test_every_task_s_baseline_is_what_its_prompt_shows_or_its_family_construction(shipped_tasks):
    from dakota_grammar_env.grammar.baselines import NEGATIVE_PARTICLE, PLURAL_SUFFIX
    from dakota_grammar_env.reward.baseline import blind_splits

    for task in shipped_tasks:
        prompt = normalize(task.prompt)
        assert task.baseline_source == "data" and task.baseline, task.task_id
        shown = {normalize(text) for text in task.baseline if normalize(text) in prompt}
        answers_in_dakota = ("english_to_dakota", "sentence_to_dakota", "segment")
        assert normalize(task.lemma) in shown or task.task_type in answers_in_dakota, task.task_id
        if task.base_form:
            assert normalize(task.base_form) in shown
        lemma = task.lemma
        constructions = {
            f"{lemma} {NEGATIVE_PARTICLE}",
            f"{lemma}{PLURAL_SUFFIX} {NEGATIVE_PARTICLE}",
            lemma + PLURAL_SUFFIX,
            f"{lemma} kta",
            f"{lemma} kte {NEGATIVE_PARTICLE}",
            f"{lemma} wo",
            f"{lemma} po",
            f"{lemma}{PLURAL_SUFFIX} {NEGATIVE_PARTICLE} po",
            *(text + PLURAL_SUFFIX for text in task.baseline if task.task_type == "pluralize"),
            *(split for text in task.baseline for split in blind_splits(text)),
        }
        for text in task.baseline:
            assert normalize(text) in shown or text in constructions, (task.task_id, text)


def test_segment_prompts_do_not_show_the_lemma(shipped_tasks):
    """Set beside its lemma, a form segments itself (the old prompts were split right by
    that diff on 462 of 465 tasks); the prompt names the verb by its gloss instead."""
    for task in shipped_tasks:
        if task.task_type == "segment" and normalize(task.lemma) != normalize(task.answer.replace("-", "")):
            words = re.findall(r"[\w']+", normalize(task.prompt))
            assert normalize(task.lemma) not in words, task.task_id


def test_the_prompt_gives_the_answer_only_through_the_family_s_rule_of_thumb(shipped_tasks):
    """Where a baseline is the gold, it is a construction the prompt names or a diff of
    two forms it shows (reported by the probe as a rule of thumb), never a shown form."""
    given_away = 0
    for task in shipped_tasks:
        prompt = normalize(task.prompt)
        for text in task.baseline:
            if normalize(text) == normalize(task.answer):
                assert normalize(text) not in prompt, task.task_id
                given_away += 1
    assert 0 < given_away < len(shipped_tasks)
