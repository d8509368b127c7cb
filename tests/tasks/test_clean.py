"""Cleaning: every step counted exactly on a small file, the output in the input's
schema and key order, written atomically; on the reference files the output loads
without skip flags, audits clean, and cleaning is deterministic and idempotent."""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from pathlib import Path

import pytest

from dakota_grammar_env.tasks.audit import audit
from dakota_grammar_env.tasks.clean import CleanReport, clean, format_clean, strip_leaks
from dakota_grammar_env.tasks.loading import DataError, read_tasks
from tests.support.paths import REFERENCE_FILES, needs_reference
from tests.support.rows import PROJECT_ROW, write_jsonl

TRANSLATE = "Translate this Dakota sentence to English:\n\n"


def info(pages: list[int], **fields) -> dict:
    return {"task_type": "word_translation", "rule_id": "r1", "difficulty": "easy", "source_pages": pages, **fields}


ROWS = [
    # 1: its Gloss line leaks the gold; 2: its duplicate, with other pages
    {"prompt": TRANSLATE + "tisan\n\nGloss: his younger brother", "answer": "his younger brother", "info": info([25])},
    {"prompt": TRANSLATE + "tisan\n\nGloss: his younger brother", "answer": "His younger brother.", "info": info([17])},
    # 3: a placeholder gold
    {"prompt": "Explain why", "answer": "[TO BE GENERATED]", "info": info([4])},
    # 4, 5: one prompt (5 in NFD), two golds
    {"prompt": TRANSLATE + "šuŋka", "answer": "dog", "info": info([5])},
    {"prompt": unicodedata.normalize("NFD", TRANSLATE + "šuŋka"), "answer": "horse", "info": info([5])},
    # 6: not NFC deep in info
    {"prompt": TRANSLATE + "wićaṡta", "answer": "man", "info": info([6], steps=[{"note": "ka\u0301"}])},
    # 7: malformed (no answer)
    {"prompt": "x", "info": info([7])},
    # 8: two invalid affix labels of three
    {
        "prompt": "Add the first-person prefix to kaġa",
        "answer": "wakaġa",
        "info": info([9], task_type="morphology", base_form="kaġa", required_affixes=["wa-", "k-", "-pi"]),
    },
    # 9: a leak the template does not allow removing (the instruction itself holds it)
    {
        "prompt": "Apply this Dakota grammar rule: Plural suffix pi\n\nTransform or analyze: wićaṡtapi",
        "answer": "Plural suffix pi",
        "info": info([10], task_type="morphology"),
    },
    # 10, 11: without 10's Gloss line, both ask the same with different golds
    {"prompt": TRANSLATE + "u\n\nGloss: to come", "answer": "to come", "info": info([11])},
    {"prompt": TRANSLATE + "u", "answer": "the vowel u", "info": info([12])},
    "",
    # 13, 14: without their leaked lines, the same task twice
    {"prompt": TRANSLATE + "dena\n\nGloss: these", "answer": "these", "info": info([13])},
    {"prompt": TRANSLATE + "dena\n\nHINT : These.", "answer": "these", "info": info([14])},
    # 15, 16: one explicit task id, twice
    {"task_id": "x1", "prompt": TRANSLATE + "maza", "answer": "iron", "info": info([15])},
    {"task_id": "x1", "prompt": TRANSLATE + "mazaska", "answer": "money", "info": info([16])},
    # 17: the leaked line is the whole prompt: removing it would leave no task
    {"prompt": "Gloss: iron", "answer": "iron", "info": info([17])},
]

EXPECTED_STEPS = {
    # name: (touched, dropped, first input lines)
    "nfc": (2, 0, [5, 6]),
    "malformed": (0, 1, [7]),
    "placeholders": (0, 1, [3]),
    "conflicts": (0, 2, [4, 5]),
    "duplicates": (1, 1, [2, 1]),
    "leaks": (4, 0, [1, 10, 13]),
    "conflicts_after_leaks": (0, 2, [10, 11]),
    "duplicates_after_leaks": (1, 1, [14, 13]),
    "duplicate_ids": (0, 1, [16]),
    "affix_labels": (1, 0, [8]),
}


def test_every_step_counts_the_rows_it_touched_and_dropped(tmp_path):
    out = tmp_path / "clean.jsonl"
    report = clean(write_jsonl(tmp_path, ROWS), out)
    assert [step.name for step in report.steps] == list(EXPECTED_STEPS)
    for step in report.steps:
        assert (step.touched, step.dropped, step.lines) == EXPECTED_STEPS[step.name], step.name
    assert (report.schema, report.rows_in, report.rows_out) == ("dakota1890", 16, 7)
    assert report.affix_labels_removed == 2
    assert (report.leaks_unresolved, report.leaks_unresolved_lines) == (2, [9, 17])

    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["info"]["source_pages"] for row in rows] == [[17, 25], [6], [9], [10], [13, 14], [15], [17]]
    assert rows[0]["prompt"] == "Translate this Dakota sentence to English:\n\ntisan"
    assert rows[0]["answer"] == "his younger brother"
    assert rows[1]["info"]["steps"] == [{"note": "ká"}]
    assert rows[2]["info"]["required_affixes"] == ["wa-"]
    assert rows[3]["prompt"] == ROWS[8]["prompt"]
    assert rows[4]["prompt"] == "Translate this Dakota sentence to English:\n\ndena"
    assert rows[6]["prompt"] == "Gloss: iron"
    assert [list(row) for row in rows] == [list(ROWS[n]) for n in (0, 5, 7, 8, 12, 14, 16)]
    assert [list(row["info"]) for row in rows] == [list(ROWS[n]["info"]) for n in (0, 5, 7, 8, 12, 14, 16)]

    assert len(read_tasks(out).tasks) == 7
    after = audit(out)
    assert after.gold_in_prompt.rows == report.leaks_unresolved
    assert (after.duplicates.rows, after.conflicting_prompts, after.placeholder_golds.rows) == (0, 0, 0)
    assert (after.invalid_affix_labels.rows, after.non_nfc.rows, after.malformed.rows) == (0, 0, 0)


def test_the_project_schema_stays_the_project_schema(tmp_path):
    good = dict(PROJECT_ROW)
    rows = [
        good,
        {**good, "id": "t2", "answer": "Wakaġa."},  # a duplicate
        {**good, "prompt": "Conjugate kaġa for 'thou'.", "answer": "yakaġa", "morphemes": None},  # id t1 again
        {**good, "id": "t4", "prompt": "Explain", "answer": "[explanation]"},
        {**good, "id": "t5", "prompt": "Conjugate ġa\u0301", "answer": "yakaġa", "morphemes": None},
        {"prompt": "no id", "answer": "x"},
    ]
    out = tmp_path / "out" / "clean.jsonl"
    report = clean(write_jsonl(tmp_path, rows), out)
    counts = {step.name: (step.touched, step.dropped) for step in report.steps if step.touched or step.dropped}
    assert counts == {
        "nfc": (1, 0),
        "malformed": (0, 1),
        "placeholders": (0, 1),
        "duplicates": (0, 1),
        "duplicate_ids": (0, 1),
    }
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in written] == ["t1", "t5"]
    assert written[0] == good
    assert written[1]["prompt"] == "Conjugate ġá"
    loaded = read_tasks(out)
    assert loaded.schema == "project"


@pytest.mark.parametrize(
    ("prompt", "gold", "cleaned"),
    [
        ("Translate:\n\nde\n\nGloss: this one", "this one", "Translate:\n\nde"),
        ("Q\n\nNote: Example of ṡuŋka\n\nTransform: x", "ṡuŋka", "Q\n\nTransform: x"),
        ("Q\nexample: ṡuŋka\ncontext:  ṡuŋka!\nA", "ṡuŋka", "Q\nA"),
        ("Q\n\nTransform or analyze: ṡuŋka", "ṡuŋka", "Q\n\nTransform or analyze: ṡuŋka"),
        ("Q\n\nGloss: person", "son", "Q\n\nGloss: person"),
        ("Gloss: ṡuŋka", "ṡuŋka", "Gloss: ṡuŋka"),
        ("Q\n\nNote: x\n\nGloss: ṡuŋka\n", "ṡuŋka", "Q\n\nNote: x"),
    ],
)
def test_strip_leaks_removes_only_labelled_lines_holding_the_gold(prompt, gold, cleaned):
    assert strip_leaks(prompt, gold) == cleaned


def test_the_report_has_one_line_per_step(tmp_path):
    report = clean(write_jsonl(tmp_path, ROWS), tmp_path / "clean.jsonl")
    text = format_clean(report)
    print(text)
    lines = text.splitlines()
    assert "16 rows in, 7 out" in lines[0]
    step_lines = {line.split()[0]: line.split()[1:3] for line in lines[3:13]}
    assert step_lines == {name: [str(t), str(d)] for name, (t, d, _) in EXPECTED_STEPS.items()}
    assert "leaks unresolved: 2 rows" in text
    assert json.loads(json.dumps(report.as_json()))["steps"][0] == {
        "name": "nfc",
        "touched": 2,
        "dropped": 0,
        "lines": [5, 6],
    }


def test_clean_never_overwrites_its_input(tmp_path):
    path = write_jsonl(tmp_path, ROWS)
    before = path.read_bytes()
    with pytest.raises(DataError, match="is the input file"):
        clean(path, path)
    with pytest.raises(DataError, match="is the input file"):
        clean(path, tmp_path / "." / "tasks.jsonl")
    link = tmp_path / "link.jsonl"
    link.symlink_to(path)
    with pytest.raises(DataError, match="is the input file"):
        clean(path, link)
    assert path.read_bytes() == before


def test_the_output_is_written_atomically_with_the_usual_file_mode(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path, ROWS)
    out = tmp_path / "clean.jsonl"
    out.write_text("old\n")

    def fail(_fd: int) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", fail)
        with pytest.raises(OSError, match="disk full"):
            clean(path, out)
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.jsonl", "tasks.jsonl"]
    clean(path, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.jsonl", "tasks.jsonl"]
    (tmp_path / "plain").write_text("")
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE((tmp_path / "plain").stat().st_mode)


def test_malformed_json_is_an_error_naming_the_line(tmp_path):
    with pytest.raises(DataError, match=r"tasks.jsonl:2: not valid JSON"):
        clean(write_jsonl(tmp_path, [ROWS[0], "{oops"]), tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


@pytest.fixture(scope="module")
def cleaned_reference(tmp_path_factory) -> dict[str, tuple[Path, Path, CleanReport]]:
    folder = tmp_path_factory.mktemp("cleaned")
    results = {}
    for path in REFERENCE_FILES:
        out = folder / path.name
        results[path.name] = (path, out, clean(path, out))
    return results


@needs_reference
def test_cleaned_reference_files_load_without_skip_flags_and_audit_clean(cleaned_reference):
    for name, (path, out, report) in cleaned_reference.items():
        print()
        print(format_clean(report))
        loaded = read_tasks(out)
        assert len(loaded.tasks) == report.rows_out > 0
        assert loaded.schema == "dakota1890"
        before, after = audit(path), audit(out)
        assert after.rows == report.rows_out
        assert after.placeholder_golds.rows == 0, name
        assert after.duplicates.rows == 0, name
        assert after.conflicting_prompts == 0, name
        assert after.invalid_affix_labels.rows == 0, name
        assert after.malformed.rows == 0, name
        assert after.gold_in_prompt.rows == report.leaks_unresolved < before.gold_in_prompt.rows, name
    totals: dict[str, list[int]] = {}
    for _, _, report in cleaned_reference.values():
        for step in report.steps:
            counts = totals.setdefault(step.name, [0, 0])
            counts[0] += step.touched
            counts[1] += step.dropped
    print("\ntotal (touched, dropped):", totals)
    assert totals["placeholders"][1] >= 1200
    assert totals["leaks"][0] > 1000


@needs_reference
def test_cleaning_is_deterministic_and_idempotent(cleaned_reference, tmp_path):
    for name, (path, out, _) in cleaned_reference.items():
        again, twice = tmp_path / f"again-{name}", tmp_path / f"twice-{name}"
        clean(path, again)
        assert again.read_bytes() == out.read_bytes(), name
        report = clean(out, twice)
        assert twice.read_bytes() == out.read_bytes(), name
        assert all(step.touched == step.dropped == 0 for step in report.steps), name
