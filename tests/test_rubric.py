"""DakotaGrammarRubric: components, weights, cap, and the ledger that explains them."""

from __future__ import annotations

import asyncio
import threading
import unicodedata

import pytest
from conftest import CHARTED_FIELDS, CONJUGATE_INFO

from dakota_grammar_env.gold import GoldError
from dakota_grammar_env.ledger import FIELDS, LedgerError, RewardLedger, verify_row
from dakota_grammar_env.rubric import DakotaGrammarRubric, RewardWeights, orthography_f1

NEGATE_INFO = {
    "task_type": "negate",
    "base_form": "waṡte",
    "morphemes": [{"form": "ṡni", "role": "particle", "required": True}],
    "target_word": 1,
}
INFIX_INFO = {
    "task_type": "conjugate",
    "base_form": "mani",
    "morphemes": [
        {"form": "ma", "role": "stem"},
        {"form": "wa", "role": "infix", "required": True},
        {"form": "ni", "role": "stem"},
    ],
}


def test_exact_answer_in_any_acceptable_dress_earns_one(rubric):
    for reply in (
        "Answer: wakaġa",
        "<think>wa- marks I</think>\nAnswer: wakaġa",
        "Answer: " + unicodedata.normalize("NFD", "wakaġa"),
        "Answer: WAKAĠA.",
        "\\boxed{wakaġa}",
        "Answer: wakaǧa",  # a typographic variant of ġ
    ):
        ledger = rubric.score(reply, "wakaġa", CONJUGATE_INFO)
        assert ledger["reward_scalar"] == 1.0, reply
        assert ledger["exact_match_raw"] == 1.0


def test_accepted_variants_count_as_exact(rubric):
    ledger = rubric.score("Answer: to make", "make", {"accepted": ["to make", "to build"]})
    assert ledger["reward_scalar"] == 1.0
    assert ledger["matched_reference"] == "to make"


def test_nothing_parsed_earns_zero_and_says_why(rubric):
    for reply, error in (("", "empty"), ("<think>wakaġa", "unterminated_reasoning"), ("Answer: ...", "empty_answer")):
        ledger = rubric.score(reply, "wakaġa", CONJUGATE_INFO)
        assert ledger["reward_scalar"] == 0.0
        assert ledger["parse_ok"] is False
        assert ledger["parse_error"] == error
        assert ledger["span"] is None


def test_partial_credit_is_capped_strictly_below_one():
    rubric = DakotaGrammarRubric(weights={"exact": 0.0, "char": 1.0, "affix": 0.0, "ortho": 0.0}, partial_cap=0.8)
    ledger = rubric.score("Answer: wakaga", "wakaġa", CONJUGATE_INFO)  # skeleton chrF is 100
    assert ledger["char_overlap_raw"] == 100.0
    assert ledger["composite_predicted"] == 1.0
    assert ledger["reward_scalar"] == 0.8


@pytest.mark.parametrize("cap", [1.0, -0.1, 2])
def test_cap_must_be_below_one(cap):
    with pytest.raises(ValueError, match="partial_cap"):
        DakotaGrammarRubric(partial_cap=cap)


def test_weights_validate_themselves():
    with pytest.raises(ValueError, match="positive"):
        RewardWeights(0, 0, 0, 0)
    with pytest.raises(ValueError, match="finite"):
        RewardWeights(exact=float("nan"))
    with pytest.raises(ValueError, match="unknown weight"):
        DakotaGrammarRubric(weights={"exactness": 1.0})


def test_a_task_without_affixes_has_no_affix_component(rubric):
    ledger = rubric.score("Answer: wakaġa", "wakaġa", {"task_type": "english_to_dakota"})
    assert ledger["affix_applicable"] is False
    assert ledger["affix_raw"] is None and ledger["affix_norm"] is None
    assert ledger["w_affix"] == 0.0
    weights = [ledger["w_exact"], ledger["w_char"], ledger["w_ortho"]]
    assert sum(weights) == pytest.approx(1.0)
    assert ledger["w_exact"] == pytest.approx(0.4 / 0.8)


def test_a_gold_without_special_letters_has_no_orthography_component(rubric):
    ledger = rubric.score("Answer: ŋŋŋ", "mani", {})
    assert ledger["orthography_applicable"] is False
    assert ledger["w_ortho"] == 0.0


def test_a_wrong_answer_is_not_paid_for_an_absent_affix(rubric):
    # The old reward paid affix = 1.0 whenever no affix was required.
    ledger = rubric.score("Answer: xyz", "tiŋta", {"task_type": "english_to_dakota"})
    assert ledger["reward_scalar"] < 0.05


def test_affix_needs_the_right_place_and_the_right_stem(rubric):
    def affix(reply, answer="wakaġa", info=CONJUGATE_INFO):
        return rubric.score(f"Answer: {reply}", answer, info)["affix_raw"]

    assert affix("wakaġa") == 1.0
    assert affix("wakaga") == 1.0  # a diacritic slip is the orthography scorer's business
    assert affix("kaġawa") == 0.0  # wrong place
    assert affix("wawićaṡta") == 0.0  # right affix, wrong stem
    assert affix("wa") == 0.0  # the affix alone
    assert affix("wakaġa yakaġa kaġa") == 0.0  # hedged candidates
    assert affix("mawani", "mawani", INFIX_INFO) == 1.0
    assert affix("wamani", "mawani", INFIX_INFO) == 0.0  # infix placed as a prefix
    assert affix("manwai", "mawani", INFIX_INFO) == 0.0
    assert affix("waṡte ṡni", "waṡte ṡni", NEGATE_INFO) == 1.0
    assert affix("ṡni", "waṡte ṡni", NEGATE_INFO) == 0.0  # particle without its verb
    assert affix("wićaṡta ṡni", "waṡte ṡni", NEGATE_INFO) == 0.0


def test_dakota1890_affix_labels_count_only_where_the_gold_carries_them(rubric):
    info = {
        "task_type": "morphology",
        "base_form": "suŋka",
        "required_affixes": ["-ku", "wa-", "k-", "animal-specific"],
    }
    ledger = rubric.score("Answer: suŋkaku", "Dawid suŋkaku", info)
    assert ledger["affix_required"] == "-ku"
    assert set(ledger["affix_labels_dropped"].split(";")) == {"wa-", "k-", "animal-specific"}
    assert ledger["affix_raw"] == 0.0  # one word of two: the rest does not match
    assert rubric.score("Answer: Dawid suŋkaku", "Dawid suŋkaku", info)["affix_raw"] == 1.0
    assert rubric.score("Answer: wićaṡtaku", "Dawid suŋkaku", info)["affix_raw"] == 0.0
    no_affix = rubric.score("Answer: now", "now (Mdewakanton)", {"required_affixes": ["-pi"]})
    assert no_affix["affix_applicable"] is False
    assert no_affix["affix_labels_dropped"] == "-pi"


def test_labels_already_in_the_base_form_are_not_requirements(rubric):
    info = {"base_form": "bakṡa", "required_affixes": ["ba-"]}
    ledger = rubric.score("Answer: bawakṡa", "bawakṡa", info)
    assert ledger["affix_applicable"] is False


def test_orthography_is_an_aligned_f1_of_special_letters():
    assert orthography_f1("ṡuŋka", "ṡuŋka") == 1.0
    assert orthography_f1("suŋka", "ṡuŋka") == pytest.approx(2 / 3)
    assert orthography_f1("aŋkuṡ", "ṡuŋka") < 0.7  # same letters, shuffled
    assert orthography_f1("ŋ ṡ ġ ḳ", "ṡuŋka") < 0.6


def test_copying_the_starting_form_earns_nothing(rubric):
    ledger = rubric.score("Answer: kaġa", "wakaġa", CONJUGATE_INFO)
    assert ledger["input_copied"] is True
    assert ledger["reward_scalar"] == 0.0
    assert ledger["char_overlap_raw"] > 50  # recorded, but not paid


def test_long_and_hedged_spans_are_penalised(rubric):
    single = rubric.score("Answer: wakaġe", "wakaġa", CONJUGATE_INFO)["reward_scalar"]
    hedged = rubric.score("Answer: wakaġe, yakaġa, kaġapi", "wakaġa", CONJUGATE_INFO)
    assert hedged["length_penalty_norm"] < 0.5
    assert hedged["reward_scalar"] < single / 2
    padded = rubric.score("Answer: " + "wakaġa " * 2000, "wakaġa", CONJUGATE_INFO)
    assert padded["parse_error"] == "span_too_long" and padded["reward_scalar"] == 0.0


def test_near_misses_earn_partial_credit_below_the_cap(rubric):
    for reply in ("wakaga", "wakaġe", "wakaġaa"):
        reward = rubric.score(f"Answer: {reply}", "wakaġa", CONJUGATE_INFO)["reward_scalar"]
        assert 0.2 < reward <= 0.5


def test_difficulty_is_a_tag_not_a_multiplier(rubric):
    easy = rubric.score("Answer: wakaġe", "wakaġa", {**CONJUGATE_INFO, "difficulty": "easy"})
    hard = rubric.score("Answer: wakaġe", "wakaġa", {**CONJUGATE_INFO, "difficulty": "hard"})
    assert (easy["difficulty"], hard["difficulty"]) == ("easy", "hard")
    assert easy["reward_scalar"] == hard["reward_scalar"]


def test_ledger_row_shape(rubric):
    ledger = rubric.score("Answer: wakaġe", "wakaġa", CONJUGATE_INFO)
    assert list(ledger) == list(FIELDS)
    for name in (*CHARTED_FIELDS, "task_id"):
        assert name in ledger
    assert ledger["task_id"] == "t-wakaga"
    assert ledger["ledger_version"] == 1
    assert "ledger_version" not in ledger.numeric()
    assert ledger.numeric()["parse_ok"] == 1.0
    assert "chrF2|nc:6" in ledger["rubric_signature"]


def test_verify_row_catches_a_tampered_row(rubric):
    row = rubric.score("Answer: wakaġe", "wakaġa", CONJUGATE_INFO).as_dict()
    verify_row(row)
    for field, value in (
        ("reward_scalar", row["reward_scalar"] + 0.01),
        ("w_char", 0.5),
        ("char_overlap_norm", 0.99),
        ("affix_norm", None),
        ("length_penalty_norm", 0.5),
        ("partial_cap", 1.0),
        ("composite_predicted", 0.123),
    ):
        broken = {**row, field: value}
        with pytest.raises(LedgerError):
            verify_row(broken)
    with pytest.raises(LedgerError, match="lacks fields"):
        verify_row({k: v for k, v in row.items() if k != "w_affix"})
    with pytest.raises(LedgerError, match="unknown ledger fields"):
        RewardLedger({**row, "bonus": 1.0})


def test_bad_info_is_a_clear_error(rubric):
    with pytest.raises(GoldError, match="morphemes spell"):
        rubric.score("x", "wakaġa", {"morphemes": [{"form": "ya"}, {"form": "kaġa"}]})
    with pytest.raises(GoldError, match="target_word"):
        rubric.score("x", "wakaġa", {"morphemes": [{"form": "wakaġa"}], "target_word": 3})
    with pytest.raises(GoldError, match="accepted"):
        rubric.score("x", "wakaġa", {"accepted": 5})
    with pytest.raises(GoldError, match="empty"):
        rubric.score("x", "  ...  ", {})


def test_latest_ledger_is_per_thread(rubric):
    barrier = threading.Barrier(8)
    seen: dict[int, tuple] = {}

    def work(i: int) -> None:
        reply = f"Answer: {'wakaġa' if i % 2 else 'yakaġa'}"
        barrier.wait()  # all threads score at the same time
        for _ in range(50):
            mine = rubric.score(reply, "wakaġa", {**CONJUGATE_INFO, "task_id": f"t{i}"})
            assert rubric.get_reward_ledger() is mine
        seen[i] = (rubric.get_reward_ledger()["task_id"], rubric.get_reward_ledger()["reward_scalar"])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rubric.get_reward_ledger() is None  # the main thread scored nothing
    for i, (task_id, reward) in seen.items():
        assert task_id == f"t{i}"
        assert (reward == 1.0) == bool(i % 2)


def test_latest_ledger_is_per_asyncio_task(rubric):
    async def rollout(i: int) -> bool:
        reply = f"Answer: {'wakaġa' if i % 2 else 'kaġapi'}"
        mine = rubric.score(reply, "wakaġa", {**CONJUGATE_INFO, "task_id": f"t{i}"})
        await asyncio.sleep(0)  # let every other rollout score in between
        return rubric.get_reward_ledger() is mine

    async def main() -> list[bool]:
        return await asyncio.gather(*(rollout(i) for i in range(200)))

    assert all(asyncio.run(main()))
