"""The `dakota-grammar` command as users run it: the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from dakota_grammar_env.probe.runner import POLICIES
from dakota_grammar_env.reward.ledger import verify_row
from tests.support.paths import REFERENCE_DIR, needs_reference
from tests.support.rows import CONJUGATE_INFO

SCRIPT = Path(sys.executable).with_name("dakota-grammar")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    assert SCRIPT.exists(), f"console script missing: {SCRIPT} (is the package installed?)"
    return subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True, text=True, timeout=300)


ROWS = [
    {"completion": "<think>wa- is 'I'</think>\nAnswer: wakaġa", "answer": "wakaġa", "info": CONJUGATE_INFO},
    {"completion": unicodedata.normalize("NFD", "WAKAĠA"), "answer": "wakaġa", "info": CONJUGATE_INFO},
    {"completion": "<think>wakaġa", "answer": "wakaġa", "info": CONJUGATE_INFO},
    {"completion": [{"role": "assistant", "content": "Answer: kaġa"}], "answer": "wakaġa", "info": CONJUGATE_INFO},
    {"completion": "Answer: now", "answer": "now (Mdewakanton)", "info": {"task_type": "word_translation"}},
]


def test_score_writes_one_ledger_per_row_in_order(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS), encoding="utf-8")
    result = run("score", str(path))
    assert result.returncode == 0, result.stderr
    ledgers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(ledgers) == len(ROWS)
    for ledger in ledgers:
        verify_row(ledger)
    assert [ledger["reward_scalar"] for ledger in ledgers[:4]] == [1.0, 1.0, 0.0, 0.0]
    assert ledgers[2]["parse_error"] == "unterminated_reasoning"
    assert ledgers[3]["input_copied"] is True
    assert ledgers[4]["reward_scalar"] == 0.0 and ledgers[4]["char_overlap_raw"] < 0.5  # a word of the gloss


def test_score_reads_stdin_and_the_same_input_gives_the_same_output():
    stdin = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS)
    first, second = run("score", stdin=stdin), run("score", "-", stdin=stdin)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "<stdin>:2: not valid JSON"),
        ('{"completion": "x"}', "<stdin>:2: field 'answer'"),
        ('{"completion": 1, "answer": "a"}', "<stdin>:2: field 'completion'"),
        (
            '{"completion": "x", "answer": "a", "info": {"morphemes": [{"form": "b"}]}}',
            "<stdin>:2: info.morphemes spell",
        ),
    ],
)
def test_score_errors_name_the_line(line, message):
    stdin = json.dumps(ROWS[0], ensure_ascii=False) + "\n" + line + "\n"
    result = run("score", stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the good row before it was written


def test_score_with_custom_weights_cap_and_floor_and_bad_ones():
    stdin = json.dumps({"completion": "Answer: wakaġe", "answer": "wakaġa", "info": CONJUGATE_INFO}) + "\n"
    ledger = json.loads(run("score", "--weights", "ortho=0.5", "--cap", "0.4", "--floor", "0.3", stdin=stdin).stdout)
    assert (ledger["w_ortho"], ledger["partial_cap"], ledger["char_overlap_baseline"]) == (0.5, 0.4, 0.3)
    bad = run("score", "--cap", "1.5", stdin=stdin)
    assert bad.returncode == 2 and "partial_cap" in bad.stderr
    assert run("score", "--weights", "exact", stdin=stdin).returncode == 2
    old = run("score", "--weights", "exact=0.4,char=0.3,affix=0.2,ortho=0.1", stdin=stdin)
    assert old.returncode == 2 and "removed in reward v2" in old.stderr and "Traceback" not in old.stderr


def test_probe_passes_on_the_shipped_data_and_prints_its_tables():
    result = run("probe", "--verbose")
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("rules:")[0]
    for group in ("given form, cosmetic", "family affix, blind", "fitted_constant", "candidate hedges", "honest near"):
        assert group in table, group
    for family in ("conjugate", "negate", "possess", "segment", "analyze"):
        assert family in table.splitlines()[0], family
    for spec in POLICIES:  # --verbose: every policy, by name (or among those that apply to no task)
        assert spec.name in result.stdout, spec.name
    assert "mean >= 0.99" in result.stdout and "where not exactly right <= 0.1" in result.stdout
    assert "rules of thumb" in result.stdout and "pluralize" in result.stdout.split("rules of thumb")[1]
    assert "FAIL" not in result.stdout and "!" not in table
    assert result.stdout.rstrip().endswith("all policies within thresholds")


def test_probe_exits_nonzero_when_a_prompt_only_policy_pays(tmp_path):
    # A file whose `baseline` leaves out the form its prompt shows: copying that form
    # then looks like progress to the rubric, and the probe must say so.
    rows = [
        {
            "id": f"t{i}",
            "task_type": "pluralize",
            "difficulty": "easy",
            "prompt": f"Add the plural ending to:\n{form}",
            "answer": f"{form}pi",
            "baseline": [],
        }
        for i, form in enumerate(["wakaksa", "yakaġa", "nażiŋ", "kaksa"])
    ]
    path = tmp_path / "incomplete.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    result = run("probe", "--data", str(path))
    assert result.returncode == 1
    assert "prompt_last_line (pluralize)" in result.stdout.split("FAILED:")[1]
    assert "!" in result.stdout.split("rules:")[0]


def test_probe_on_a_missing_file_is_a_clear_error(tmp_path):
    result = run("probe", "--data", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert "nope.jsonl: no such task file" in result.stderr


@needs_reference
def test_probe_prints_its_table_on_the_reference_data():
    result = run("probe", "--data", str(REFERENCE_DIR / "grammar_tasks_easy.jsonl"), "--skip-placeholders")
    assert "gold_nfd" in result.stdout and "skipped" in result.stderr
    # Which policies pay there, and why, is checked row by row in test_probe.py.


def test_cli_help_and_version():
    assert run("--help").returncode == 0
    assert "dakota-grammar-env" in run("--version").stdout


def test_the_cli_and_core_do_not_import_heavy_libraries():
    code = (
        "import sys, dakota_grammar_env, dakota_grammar_env.cli.commands, dakota_grammar_env.probe.runner; "
        "heavy = [m for m in ('verifiers', 'wandb', 'matplotlib', 'torch', 'sacrebleu') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
