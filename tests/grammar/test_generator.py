"""The generator's mechanics, on a small lexicon written here: the paradigm rules build
the forms Riggs prints, difficulty follows the rules used, and no task leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from dakota_grammar_env.grammar.dataset import write_dataset
from dakota_grammar_env.grammar.forms import form_for as any_form
from dakota_grammar_env.grammar.generator import GeneratorConfig, generate
from dakota_grammar_env.grammar.lexicon import read_lexicon
from dakota_grammar_env.grammar.paradigms import form_for, inflect, paradigm_table
from dakota_grammar_env.grammar.sentences import read_sentences
from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import DataError, read_tasks

HEADER = (
    "lemma\tglosses\tpos\tclass\tvalency\tablaut\tpart\tsection\tpage\tsource\tattested\tspelling\tanalysis\tnote\n"
)
ROWS = [
    "kaġa\tto make | to do\tverb\tactive\tno\t§ 15\t9\triggs-page\t1sg=wakaġa; 2pl=yakaġapi\t",
    "mani\tto walk\tverb\tactive-after:2\t\t§ 92\t39\triggs-page\t\t",
    "amani\tto walk on\tverb\tactive-after:3\t\t§ 92\t39\triggs-page\t1sg=amawani\t",
    "ya\tto go\tverb\ty-verb\te\t§ 184\t59\triggs-page\t1sg=mda; 2sg=da; 1sg.neg=mde ṡni\t",
    "waṡte\tgood | to be good\tadjective\tstative\tno\t§ 54\t24\triggs-page\t2sg=niwaṡte; 2pl=niwaṡtepi\t",
    "ṭa\tto die\tverb\tstative\t\t§ 54\t24\triggs-page\t1sg=maṭa; 2sg=niṭa\t",
    "nape\thand\tnoun\tpossess-mi\t\t§ 130\t49\triggs-page\tthy=ninape\t",
    "oyate\tpeople | nation\tnoun\tpossess-mita\t\t§ 30\t14\triggs-page\t\t",
    "tawa\this own\tpronoun\tnone\t\t§ 105\t44\triggs-page\t\t",
    "maka\tearth\tnoun\tnone\t\t\t32\triggs-page\t\t",
    "wićaṡta\tman\tnoun\tpossess-mita\t\t§ 30\t14\triggs-page\t\t",
    "ćaŋ\twood\tnoun\tnone\t\t§ 91\t39\triggs-page\t\t",
    "ećoŋ\tto do\tverb\tactive\t\t§ 104\t44\triggs-page\t\t",
    "opa\tto follow\tverb\tactive-after:1\t\t\t41\tdakota1890\t1sg=owapa; 1pl=uŋkopapi\t",
    "wowaṡte\tgoodness\tnoun\tpossess-mita\t\t\t12\tdakota1890\tmy=mitowaṡte\t",
    "ṡuŋka\tdog\tnoun\tpossess-mita\t\t\t6\tdakota1890\tmy=mitaṡuŋke\t",
    "eya\tto say\tverb\tnone\t\t\t27\tdakota1890\t1sg=epa; 2sg=eha\t",
    "tipi\thouse\tnoun\tpossess-mita\t\t\t12\tdakota1890\t\t",
]


VALENCY = {"kaġa": "a", "ećoŋ": "a", "opa": "a", "mani": "n", "ya": "n", "ṭa": "n", "amani": "a"}


def full_row(row: str, spelling: str = "", analysis: str = "") -> str:
    """A row written with the ten columns below in the lexicon's fourteen (the valency of
    the verbs above, part grammar); rows of other lengths are left as they are."""
    cells = row.split("\t")
    if len(cells) != 10:
        return row
    lemma, glosses, pos, cls, ablaut, section, page, source, attested, note = cells
    return "\t".join(
        [lemma, glosses, pos, cls, VALENCY.get(lemma, ""), ablaut, "grammar", section, page, source, attested,
         spelling, analysis, note]
    )  # fmt: skip


def lexicon_file(tmp_path: Path, rows: list[str] = ROWS) -> Path:
    path = tmp_path / "lexicon.tsv"
    path.write_text(HEADER + "\n".join(full_row(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_the_rules_build_the_regular_forms_riggs_prints(tmp_path):
    for entry in read_lexicon(lexicon_file(tmp_path)):
        for label, form in entry.attested.items():
            built = inflect(entry, label)
            if entry.lemma not in ("ṡuŋka", "eya"):  # printed irregular forms, kept as printed
                assert built is not None and built.form == form, (entry.lemma, label)
            assert form_for(entry, label).form == form


def test_forms_and_segmentations(tmp_path):
    entries = {e.lemma: e for e in read_lexicon(lexicon_file(tmp_path))}
    assert inflect(entries["mani"], "1sg").segmentation == "ma-wa-ni"
    assert inflect(entries["kaġa"], "1pl").form == "uŋkaġapi"
    assert inflect(entries["amani"], "1du") is None  # uŋ meets a vowel in a way no cited page shows
    assert inflect(entries["mani"], "1du").form == "mauŋni"
    assert inflect(entries["ećoŋ"], "1du").form == "uŋkećoŋ"  # uŋk- at the front before a vowel
    assert inflect(entries["opa"], "1pl").form == "uŋkopapi"
    assert inflect(entries["wowaṡte"], "thy").form == "nitowaṡte"  # wo- nouns drop w and a
    assert inflect(entries["ṡuŋka"], "my") is None  # the final a may change: only the printed form
    assert form_for(entries["ṡuŋka"], "my").form == "mitaṡuŋke"
    assert form_for(entries["eya"], "1sg").form == "epa"  # irregular: as printed, no segmentation
    assert form_for(entries["eya"], "1sg").morphemes == ()
    assert inflect(entries["oyate"], "my").form == "mitoyate"  # mita- loses its a before o
    assert inflect(entries["wićaṡta"], "his") is None  # a noun in -a: only printed forms
    assert inflect(entries["tipi"], "his").form == "tatipi"
    assert inflect(entries["ṭa"], "3sg.neg") is None  # whether ṭa changes before ṡni is not known
    assert inflect(entries["kaġa"], "3sg.neg").form == "kaġa ṡni"
    assert inflect(entries["maka"], "1sg") is None


def test_every_rule_a_form_uses_is_cited_in_the_table(tmp_path):
    table = paradigm_table()
    for rule in table["rule"]:
        assert isinstance(rule["page"], int) and rule["says"]
    for task in generate(read_lexicon(lexicon_file(tmp_path))):
        for citation in task.source["rules"]:
            assert citation.split(": ")[0] in {*table["rules_by_id"], "printed"}


def test_tasks_are_deterministic_split_by_lemma_and_leak_free(tmp_path):
    lexicon = read_lexicon(lexicon_file(tmp_path))
    config = GeneratorConfig(seed=4, test_fraction=0.3)
    first, second = generate(lexicon, config), generate(lexicon, config)
    assert [t.task_id for t in first] == [t.task_id for t in second]
    assert (
        write_dataset(first, tmp_path / "a.jsonl").read_bytes()
        == write_dataset(second, tmp_path / "b.jsonl").read_bytes()
    )
    assert [t.task_id for t in generate(lexicon, GeneratorConfig(seed=5, test_fraction=0.3))] != [
        t.task_id for t in first
    ]
    assert len({t.task_id for t in first}) == len(first)
    test_lemmas = {t.lemma for t in first if t.split == "test"}
    assert test_lemmas
    for task in first:
        assert normalize(task.answer) not in normalize(task.prompt)
        if task.split == "train":
            text = normalize(" ".join([task.prompt, task.answer, *task.accepted]))
            assert not [lemma for lemma in test_lemmas if normalize(lemma) in text], task.task_id


def test_difficulty_counts_rule_applications(tmp_path):
    tasks = {(t.lemma, t.task_type, t.source["form"]): t for t in generate(read_lexicon(lexicon_file(tmp_path)))}
    assert tasks[("kaġa", "conjugate", "1sg")].difficulty == "easy"
    assert tasks[("kaġa", "conjugate", "2pl")].difficulty == "medium"
    assert tasks[("mani", "conjugate", "1sg")].difficulty == "medium"  # the pronoun goes inside
    assert tasks[("ya", "negate", "1sg.neg")].difficulty == "hard"  # y-verb, final a to e, ṡni
    assert tasks[("maka", "dakota_to_english", "gloss")].difficulty == "easy"


def test_the_built_file_loads_and_every_gold_scores_one(tmp_path):
    path = write_dataset(generate(read_lexicon(lexicon_file(tmp_path))), tmp_path / "tasks.jsonl")
    rubric = DakotaGrammarRubric()
    for task in read_tasks(path).tasks:
        assert rubric.score(f"Answer: {task.answer}", task.answer, task.info()).reward_scalar == 1.0


def test_config_validates_itself():
    with pytest.raises(ValueError, match="test_fraction"):
        GeneratorConfig(test_fraction=1.0)
    with pytest.raises(ValueError, match="families"):
        GeneratorConfig(families=("translate",))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("kaġa\tto make\tverb\tactive-after:9\t\t§ 15\t9\triggs-page\t\t", "needs :k"),
        ("kaġa\tto make\tverb\tactive\tmaybe\t§ 15\t9\triggs-page\t\t", "ablaut"),
        ("kaġa\tto make\tverb\tactive\t\t§ 15\tnine\triggs-page\t\t", "page"),
        ("kaġa\tto make\tverb\tactive\t\t§ 15\t9\triggs-page\tfirst=wakaġa\t", "attested"),
        ("kaġa\tto make\tnoun-ish\tactive\t\t§ 15\t9\triggs-page\t\t", "pos"),
        ("KAĠA!\tto make\tverb\tactive\t\t§ 15\t9\triggs-page\t\t", "alphabet"),
        ("maka\tto make\tverb\ty-verb\t\t§ 15\t9\triggs-page\t\t", "y-verb begins"),
        ("kaġa\tto make\tverb\tactive\t\t§ 15\t9", "columns"),
    ],
)
def test_a_bad_lexicon_line_names_file_line_and_column(tmp_path, row, message):
    with pytest.raises(DataError, match=message) as error:
        read_lexicon(lexicon_file(tmp_path, [ROWS[1], row]))
    assert "lexicon.tsv:3" in str(error.value)


def test_duplicate_lemmas_are_refused(tmp_path):
    with pytest.raises(DataError, match="already on line 2"):
        read_lexicon(lexicon_file(tmp_path, [ROWS[0], ROWS[0]]))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (full_row(ROWS[0]).replace("\tgrammar\t", "\tappendix\t"), "column 'part'"),
        (full_row(ROWS[0]).replace("\t9\t", "\t65\t"), "Grammar has pages 1-64, not 65"),
        (full_row(ROWS[0], analysis="ka+ġe"), "does not join"),
        (full_row(ROWS[0]).replace("\tverb\tactive\ta\t", "\tverb\tactive\ttransitive\t"), "valency"),
        (full_row(ROWS[0]).replace("2pl=yakaġapi", "2pl=yakaġapi@99"), "Grammar has pages 1-64, not 99"),
        (full_row(ROWS[0]).replace("2pl=yakaġapi", "2pl=yakaġapi; 2pl=yakaġapi"), "given twice"),
    ],
)
def test_the_provenance_columns_are_checked(tmp_path, row, message):
    with pytest.raises(DataError, match=message) as error:
        read_lexicon(lexicon_file(tmp_path, [ROWS[1], row]))
    assert "lexicon.tsv:3" in str(error.value)


def test_homographs_and_shared_glosses_accept_every_printed_answer(tmp_path):
    rows = [
        *ROWS,
        full_row("hu\ta bone\tnoun\tnone\t\t\t73\triggs-page\t\t").replace("grammar", "dictionary"),
        full_row("hu\tto copulate\tverb\tnone\t\t\t73\triggs-page\t\t").replace("grammar", "dictionary"),
        "ećaŋ\tto make | to do\tverb\tnone\t\t\t10\triggs-page\t\t",
    ]
    tasks = generate(read_lexicon(lexicon_file(tmp_path, rows)))
    words = [t for t in tasks if t.task_type == "dakota_to_english" and t.lemma == "hu"]
    assert len(words) == 1 and {words[0].answer, *words[0].accepted} >= {"a bone", "to copulate"}
    glosses = [t for t in tasks if t.task_type == "english_to_dakota" and "'to make'" in t.prompt]
    assert len(glosses) == 1 and {glosses[0].answer, *glosses[0].accepted} == {"kaġa", "ećaŋ"}
    prompts = [t.prompt for t in tasks]
    assert len(prompts) == len(set(prompts))  # no two tasks share a prompt


def test_a_lemma_of_uncertain_spelling_never_goes_to_test(tmp_path):
    rows = [full_row(row, spelling="uncertain: the OCR may have lost a dot") for row in ROWS]
    tasks = generate(read_lexicon(lexicon_file(tmp_path, rows)), GeneratorConfig(test_fraction=0.5))
    assert tasks and {t.split for t in tasks} == {"train"}
    assert all(t.source["spelling"].startswith("uncertain") for t in tasks)
    plain = generate(read_lexicon(lexicon_file(tmp_path)), GeneratorConfig(test_fraction=0.5))
    assert {t.split for t in plain} == {"train", "test"}


def test_the_derived_forms_follow_the_cited_rules(tmp_path):
    entries = {e.lemma: e for e in read_lexicon(lexicon_file(tmp_path))}
    kaġa, ya, mani = entries["kaġa"], entries["ya"], entries["mani"]
    assert any_form(kaġa, "2sg>1sg").form == "mayakaġa"  # the object before the subject (p. 23)
    assert any_form(kaġa, "1sg>2sg").form == "ćićaġa"  # ći-, and k > ć after it (p. 7)
    assert any_form(kaġa, "3sg>2sg").form == "nićaġa"
    assert any_form(kaġa, "1sg>3pl").segmentation == "wića-wa-kaġa"
    assert any_form(kaġa, "1sg>2pl").form == "ćićaġapi"
    assert any_form(mani, "3sg>1sg") is None  # not transitive
    assert any_form(kaġa, "1sg.to").form == "wećaġa"  # wa + ki contracts, the k still softens
    assert any_form(kaġa, "2sg.for").form == "yećićaġa"
    assert any_form(kaġa, "1sg.refl").form == "mićićaġa"
    assert any_form(ya, "1sg.fut").form == "mde kta"  # the printed mda, final a > e before kta
    assert any_form(ya, "1sg.fut.neg").form == "mde kte ṡni"
    assert any_form(kaġa, "3sg.fut").form == "kaġa kta"  # ablaut no: the a stays
    assert any_form(entries["ṭa"], "3sg.fut") is None  # ṭa's behaviour is not recorded
    assert any_form(kaġa, "2sg.imp>1sg").form == "makaġa wo"
    assert any_form(kaġa, "2sg.imp") is None  # plain commands only where printed
    assert any_form(kaġa, "1sg>1pl").form == "uŋkaġapi"


def test_every_printed_derived_form_of_the_shipped_lexicon_is_reproduced_or_named():
    """The derived rules build every printed form they apply to; the rest are printed
    causatives, reduplications and possessives no rule here claims to build."""
    from dakota_grammar_env.grammar.dataset import LEXICON_FILE, data_dir
    from dakota_grammar_env.grammar.derived_forms import DERIVED
    from dakota_grammar_env.grammar.forms import built_form

    reproduced, unbuilt = 0, set()
    for entry in read_lexicon(data_dir() / LEXICON_FILE):
        for label, form in entry.attested.items():
            if label not in DERIVED:
                continue
            built = built_form(entry, label)
            if built is None:
                unbuilt.add((entry.lemma, label))
                continue
            assert built.form == form, (entry.lemma, label, built.form)
            reproduced += 1
    assert reproduced >= 100
    assert {label for _, label in unbuilt} <= {"caus", "3sg.pos", "1sg.pos"}, unbuilt


SENTENCES = (
    "dakota\tenglish\talso\tpage\tsection\tsource\tnote\n"
    "mde ṡni\tI did not go\tI go not\t59\t§ 182\triggs-page\tGoogle PA60\n"
    "wićaṡta kiŋ\tthe man\t\t14\t§ 30\triggs-page\tGoogle PA16\n"
)


def test_printed_sentences_are_asked_both_ways_with_every_printed_translation(tmp_path):
    path = tmp_path / "sentences.tsv"
    path.write_text(SENTENCES, encoding="utf-8")
    tasks = generate(read_lexicon(lexicon_file(tmp_path)), sentences=read_sentences(path))
    by_family = {(t.task_type, t.lemma): t for t in tasks if t.task_type.startswith("sentence")}
    to_english = by_family[("sentence_to_english", "mde ṡni")]
    assert to_english.answer == "I did not go" and to_english.accepted == ("I go not",)
    assert to_english.source["lexicon"] == "Riggs 1852, Grammar p. 59 (§ 182)"
    assert by_family[("sentence_to_dakota", "wićaṡta kiŋ")].answer == "wićaṡta kiŋ"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("mde ṡni\tI did not go\t\t64\t§ 182\triggs-page\t", "column 'section'"),
        ("mde ṡni\tI did not go\t\t70\t\triggs-page\t", "column 'page'"),
        ("MDE X!\tI did not go\t\t59\t\triggs-page\t", "column 'dakota'"),
        ("mde ṡni\t\t\t59\t\triggs-page\t", "column 'english'"),
        ("mde ṡni\tI did not go\t\t59\t\tmemory\t", "column 'source'"),
    ],
)
def test_a_bad_sentence_line_names_file_line_and_column(tmp_path, line, message):
    path = tmp_path / "sentences.tsv"
    path.write_text(SENTENCES.splitlines()[0] + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as error:
        read_sentences(path)
    assert "sentences.tsv:2" in str(error.value)
