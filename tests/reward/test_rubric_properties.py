"""Property tests: whatever a model emits, scoring never raises and the reward is sane."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dakota_grammar_env.reward.ledger import verify_row
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from tests.support.rows import CONJUGATE_INFO

RUBRIC = DakotaGrammarRubric()
TASKS = [
    ("wakaġa", CONJUGATE_INFO),
    ("uŋwaṡtepi ṡni", {"base_form": "waṡte", "baseline": ["waṡte", "waṡtepi ṡni", "waṡte ṡni"]}),
    ("to make", {"accepted": ["make"], "baseline": ["kaġa"]}),
    ("Dawid suŋkaku", {"base_form": "suŋka", "required_affixes": ["-ku", "wa-"]}),
    ("o-ya-kihi-pi", {"baseline": ["oyakihipi", "okihi", "oyakihi-pi"]}),
    ("second person plural", {"accepted": ["2pl"]}),
]
DAKOTA = "aeiouŋṡċćḣġżḳṗṭáéíóúšžčǧȟ"

# Arbitrary code points, lone surrogates and control characters included.
any_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=300)
dakota_like = st.text(alphabet=st.sampled_from(DAKOTA + "kmnptwy -'\n<>/"), max_size=80)
framed = st.one_of(
    any_text,
    dakota_like,
    st.builds(lambda a, b: f"<think>{a}</think>\nAnswer: {b}", any_text, dakota_like),
    st.builds(lambda a: f"\\boxed{{{a}}}", any_text),
    st.builds(lambda a, b: f"{a}\nAnswer: {b}", any_text, any_text),
)


def _check(completion: str) -> None:
    for answer, info in TASKS:
        ledger = RUBRIC.score(completion, answer, info)
        reward = ledger["reward_scalar"]
        assert math.isfinite(reward) and 0.0 <= reward <= 1.0
        assert reward == 1.0 or reward <= RUBRIC.partial_cap
        assert reward == ledger["exact_match_raw"] + ledger["partial_credit"]
        for name, value in ledger.numeric().items():
            assert math.isfinite(value), name
        verify_row(ledger)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(framed)
def test_any_completion_scores_to_a_finite_reward_in_range(completion):
    _check(completion)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(
    st.sampled_from(["ŋ", "a\ud800", "\x00\x1f", "wakaġa ", "<think>", "Answer: x\n", "\\boxed{"]), st.integers(1, 3)
)
def test_megabyte_completions_score_without_error(unit, copies):
    completion = unit * (1_000_000 // len(unit)) * copies
    _check(completion)
    _check("Answer: " + completion)
    _check("<think>x</think>\n\\boxed{" + completion + "}")
