"""`dakota-grammar data build | audit | clean` as a user runs them, and training on a
cleaned file by path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dakota_grammar_env.tasks.loading import shipped_data_path
from tests.support.paths import REFERENCE_DIR, needs_reference

SCRIPT = Path(sys.executable).with_name("dakota-grammar")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_build_writes_the_same_bytes_as_the_shipped_file(tmp_path):
    result = cli("data", "build", "-o", str(tmp_path / "tasks.jsonl"))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in shipped_data_path().read_text(encoding="utf-8").splitlines()]
    train = sum(row["split"] == "train" for row in rows)
    sentences = {row["lemma"] for row in rows if row["task_type"].startswith("sentence_")}
    lemmas = len({row["lemma"] for row in rows} - sentences)
    expected = f"{len(rows)} tasks ({train} train, {len(rows) - train} test) from {lemmas} lemmas and {len(sentences)}"
    assert expected in result.stdout
    assert (tmp_path / "tasks.jsonl").read_bytes() == shipped_data_path().read_bytes()


def test_audit_of_the_shipped_file_reports_its_provenance_and_rules_of_thumb():
    result = cli("data", "audit", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = [json.loads(line) for line in shipped_data_path().read_text(encoding="utf-8").splitlines()]
    assert report["rows"] == len(rows) and report["provenance"]["all"]["tasks"] == len(rows)
    kinds = report["provenance"]["all"]["kinds"]
    assert set(kinds) <= {"printed/page", "printed/extraction", "rules/page", "rules/extraction"}
    assert sum(kinds.values()) == len(rows)
    printed_page = sum(row["source"]["gold"] == "printed" and row["source"]["checked"] == "page" for row in rows)
    assert kinds["printed/page"] == printed_page > 0
    families = {row["task_type"] for row in rows}
    assert set(report["rules_of_thumb"]) == families
    for family, thumb in report["rules_of_thumb"].items():
        assert thumb["right"] < thumb["tasks"] / 2, family  # the blind rule is right well under half the time
    text = cli("data", "audit").stdout
    assert "provenance:" in text and "rules of thumb:" in text


def test_build_reports_a_bad_lexicon_line(tmp_path):
    bad = tmp_path / "lexicon.tsv"
    bad.write_text("lemma\tglosses\n", encoding="utf-8")
    result = cli("data", "build", "--lexicon", str(bad), "-o", str(tmp_path / "x.jsonl"))
    assert result.returncode == 2 and "lexicon.tsv:1: header must be" in result.stderr


DIRTY = [
    {"prompt": "Translate: mani\n\nGloss: to walk", "answer": "to walk", "info": {"task_type": "word_translation"}},
    {"prompt": "Translate: mani\n\nGloss: to walk", "answer": "to walk", "info": {"task_type": "word_translation"}},
    {"prompt": "Explain", "answer": "[TO BE GENERATED]", "info": {"task_type": "exception_trigger"}},
    {"prompt": "Pluralise kaġa", "answer": "kaġapi", "info": {"task_type": "morphology", "base_form": "kaġa",
                                                               "required_affixes": ["-pi", "k-"]}},
]  # fmt: skip


def test_audit_clean_and_train_on_the_cleaned_file(tmp_path):
    pytest.importorskip("verifiers.v1")
    dirty = tmp_path / "mine.jsonl"
    dirty.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in DIRTY), encoding="utf-8")
    audit = cli("data", "audit", str(dirty), "--json")
    assert audit.returncode == 0, audit.stderr
    report = json.loads(audit.stdout)
    assert json.dumps(report)  # plain JSON
    assert "placeholder" in audit.stdout and "duplicate" in audit.stdout
    text = cli("data", "audit", str(dirty)).stdout
    assert "placeholder golds" in text and "gold in prompt" in text
    cleaned = tmp_path / "clean.jsonl"
    result = cli("data", "clean", str(dirty), "-o", str(cleaned))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in cleaned.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2
    assert "Gloss" not in rows[0]["prompt"]
    assert rows[1]["info"]["required_affixes"] == ["-pi"]

    from verifiers.v1.utils.loaders import load_taskset

    from dakota_grammar_env.integrations.taskset import DakotaGrammarTasksetConfig

    tasks = list(load_taskset(DakotaGrammarTasksetConfig(id="dakota-grammar", data_path=str(cleaned), split="all")))
    assert sorted(t.data.answer for t in tasks) == ["kaġapi", "to walk"]


def test_clean_refuses_to_overwrite_its_input_and_audit_names_missing_files(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(DIRTY[0]) + "\n", encoding="utf-8")
    same = cli("data", "clean", str(path), "-o", str(path))
    assert same.returncode == 2
    missing = cli("data", "audit", str(tmp_path / "absent.jsonl"))
    assert missing.returncode == 2 and "absent.jsonl" in missing.stderr


@needs_reference
def test_the_datasheet_quotes_the_audit_of_the_reference_files():
    from dakota_grammar_env.tasks.audit import audit

    totals = {"placeholder": 0, "duplicates": 0, "gold": 0}
    for level in ("easy", "medium", "hard"):
        report = audit(REFERENCE_DIR / f"grammar_tasks_{level}.jsonl").as_json()
        totals["placeholder"] += report["placeholder_golds"]["rows"]
        totals["duplicates"] += report["duplicates"]["rows"]
        totals["gold"] += report["gold_in_prompt"]["rows"]
    sheet = (shipped_data_path().parent / "README.md").read_text(encoding="utf-8")
    assert f"| placeholder golds | 0 | 587 | 695 | {totals['placeholder']:,} |" in sheet
    assert f"| duplicate rows | 51 | 214 | 1 | {totals['duplicates']:,} |" in sheet
    assert f"{totals['gold']:,} (34.1%)" in sheet
