"""Fixtures of the reward tests."""

from __future__ import annotations

import pytest

from dakota_grammar_env.reward.rubric import DakotaGrammarRubric


@pytest.fixture
def rubric() -> DakotaGrammarRubric:
    return DakotaGrammarRubric()
