"""The probe: gold-like replies earn 1; prompt-only policies, hedges and hacks earn ~0
where they are wrong; honest near misses earn more than any never-right prompt-only
policy; and on the reference data the only prompt-only replies that pay are those its
leaked golds make exactly right."""

from __future__ import annotations

import pytest

from dakota_grammar_env.probe.runner import (
    ALL,
    HACK_MAX_MEAN,
    NEAR_MISS_MIN,
    POLICIES,
    PROMPT_ONLY_MAX,
    failures,
    fit_constants,
    never_right_ceiling,
    run_probe,
)
from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks
from tests.support.paths import REFERENCE_FILES, needs_reference


@pytest.fixture(scope="module")
def shipped_cells(shipped_tasks):
    return run_probe(shipped_tasks, DakotaGrammarRubric())


def test_every_rule_holds_on_the_shipped_data(shipped_cells):
    assert failures(shipped_cells) == []
    overall = {c.policy: c for c in shipped_cells if c.family == ALL}
    unused = {spec.name for spec in POLICIES} - set(overall)
    # prefixes no form here starts with; and the lemma-diff, since no segment prompt shows the lemma
    assert all(name.startswith("blind_segment_") or name == "diff_with_lemma" for name in unused), unused
    for name in ("gold", "gold_after_reasoning", "gold_nfd", "gold_case_punct", "gold_boxed", "gold_reworded"):
        assert overall[name].mean == 1.0, name
    for name in ("empty", "whitespace", "unterminated_reasoning", "prompt_copied", "given_copied", "gold_repeated_10k"):
        assert overall[name].maximum == 0.0, name


def test_the_issue_s_hacks_earn_nothing_where_they_are_wrong(shipped_cells):
    """The blind policies of issue 9, which earned 0.19-0.52 under reward v1."""
    by_name = {(c.policy, c.family): c for c in shipped_cells}
    for policy, family in (
        ("blind_negate_-pi_ṡni", "negate"),  # v1: 0.521 mean, 0.385 where wrong
        ("blind_possess_mi-", "possess"),  # v1: 0.398
        ("given_grave_accent", ALL),  # v1: 0.188
        ("blind_segment_-pi", "segment"),  # v1: 0.396
        ("given_copied", "segment"),  # v1: 0.244
        ("fitted_constant", "analyze"),  # v1: 0.374 for 'second person plural'
        ("label_hedge_numbers", "analyze"),  # v1: 0.278
        ("hedge_slash", ALL),  # v1: 0.35
        ("hedge_parenthesis", ALL),  # v1: 0.21
    ):
        cell = by_name[(policy, family)]
        assert cell.mean_wrong <= 0.05, (policy, family, cell.mean_wrong)


def test_prompt_only_policies_pay_only_where_they_are_exactly_right(shipped_cells):
    prompt_only = [c for c in shipped_cells if c.kind == "prompt-only"]
    assert prompt_only and all(c.mean_wrong <= PROMPT_ONLY_MAX for c in prompt_only)
    sizes = {c.family: c.rows for c in shipped_cells if c.policy == "gold"}
    for cell in prompt_only:  # no rule of thumb answers half a family (v1: base + pi on 90 of 91 plurals)
        if cell.family != ALL:
            assert cell.right < sizes[cell.family] / 2, (cell.policy, cell.family, cell.right)
    assert any(c.right for c in prompt_only if c.family == "pluralize")  # form + pi is right for 2sg > 2pl
    assert all(c.mean <= HACK_MAX_MEAN for c in shipped_cells if c.kind in ("hedge", "hack", "wrong-choice"))


def test_near_misses_beat_every_never_right_prompt_only_policy(shipped_cells):
    judged = [c for c in shipped_cells if c.kind == "near-miss" and c.judged]
    families = {c.family for c in judged}
    assert {"conjugate", "negate", "possess", "english_to_dakota", "dakota_to_english"} <= families
    for cell in judged:
        assert cell.mean_learnable >= NEAR_MISS_MIN, cell
        assert cell.mean_learnable > never_right_ceiling(shipped_cells, cell.family) + 0.1, cell


def test_constants_are_fitted_on_the_train_split_only(shipped_tasks):
    rubric = DakotaGrammarRubric()
    constants = fit_constants(shipped_tasks, rubric)
    train_golds = {normalize(t.answer) for t in shipped_tasks if t.split == "train"}
    test_only = {normalize(t.answer) for t in shipped_tasks if t.split == "test"} - train_golds
    assert set(constants) == {t.task_type for t in shipped_tasks}
    assert not {normalize(c) for c in constants.values()} & test_only


def test_the_probe_is_deterministic(shipped_tasks):
    subset = shipped_tasks[:300]
    assert run_probe(subset, seed=3) == run_probe(subset, seed=3)


def _gold_in_prompt(task) -> bool:
    return normalize(task.answer) in normalize(task.prompt)


@needs_reference
@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.name)
def test_on_the_reference_data_gold_pays_and_prompt_copies_pay_only_through_leaks(path):
    tasks = read_tasks(path, skip_placeholders=True, skip_duplicates=True).tasks
    by_id = {task.task_id: task for task in tasks}
    by_name = {spec.name: spec for spec in POLICIES}
    exact: list = []
    prompt_only = [spec for spec in POLICIES if spec.kind in ("prompt-only", "gold")]

    def note(name, task, reward):
        if reward == 1.0 and by_name[name].kind == "prompt-only" and name != "fitted_constant":
            # (a fitted constant is right where the file repeats a gold)
            exact.append(by_id[task.task_id])

    cells = run_probe(tasks, DakotaGrammarRubric(), policies=prompt_only, on_row=note)
    assert failures(cells) == []
    assert all(c.mean >= 0.99 for c in cells if c.kind == "gold")
    explained = sum(_gold_in_prompt(task) for task in exact)
    assert not exact or explained / len(exact) >= 0.95, (explained, len(exact))
