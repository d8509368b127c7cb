"""The probe: gold-like replies earn 1, hacks earn little, and where a hack pays on the
reference data it is because that data leaks the gold into the prompt."""

from __future__ import annotations

import pytest
from conftest import REFERENCE_FILES, needs_reference

from dakota_grammar_env.loading import read_tasks
from dakota_grammar_env.orthography import normalize
from dakota_grammar_env.probe import HACK_MAX_MEAN, POLICIES, run_probe
from dakota_grammar_env.rubric import DakotaGrammarRubric


def test_every_policy_applies_and_passes_on_the_shipped_data(shipped_tasks):
    results = {r.name: r for r in run_probe(shipped_tasks, DakotaGrammarRubric())}
    assert set(results) == {spec.name for spec in POLICIES}
    for result in results.values():
        assert result.tasks > 0, result.name
        assert result.passed, result
    for name in ("gold", "gold_after_reasoning", "gold_nfd", "gold_case_punct", "gold_boxed"):
        assert results[name].mean == 1.0
    for name in (
        "empty",
        "whitespace",
        "unterminated_reasoning",
        "prompt_copied",
        "base_form_copied",
        "gold_repeated_10k",
    ):
        assert results[name].maximum == 0.0


def test_the_probe_is_deterministic(shipped_tasks):
    assert run_probe(shipped_tasks, seed=3) == run_probe(shipped_tasks, seed=3)


def _gold_leaks_into_prompt(task) -> bool:
    gold, prompt = normalize(task.answer), normalize(task.prompt)
    words = [w for w in gold.split() if len(w) > 2]
    return gold in prompt or (bool(words) and sum(w in prompt for w in words) / len(words) >= 0.5)


@needs_reference
@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.name)
def test_hacks_that_pay_on_the_reference_data_are_explained_by_its_defects(path):
    tasks = read_tasks(path, skip_placeholders=True, skip_duplicates=True).tasks
    paying: dict[str, list] = {}
    results = run_probe(
        tasks,
        DakotaGrammarRubric(),
        policies=[spec for spec in POLICIES if spec.kind == "hack"],
        on_row=lambda name, task, reward: paying.setdefault(name, []).append(task) if reward > HACK_MAX_MEAN else None,
    )
    failing = [r for r in results if not r.passed]
    print({r.name: round(r.mean, 3) for r in results})
    for result in failing:
        explained = sum(_gold_leaks_into_prompt(task) for task in paying[result.name])
        assert explained / len(paying[result.name]) >= 0.95, (result.name, explained, len(paying[result.name]))
    assert {r.name for r in failing} <= {"prompt_last_line"}
