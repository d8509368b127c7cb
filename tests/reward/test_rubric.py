"""DakotaGrammarRubric: exact match, partial credit beyond the prompt's baseline, the cap,
and the ledger that explains them."""

from __future__ import annotations

import asyncio
import threading
import unicodedata

import pytest

from dakota_grammar_env.reward.gold import GoldError
from dakota_grammar_env.reward.ledger import FIELDS, LEDGER_VERSION, LedgerError, RewardLedger, verify_row
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric, RewardWeights, orthography_f1
from tests.support.rows import CHARTED_FIELDS, CONJUGATE_INFO

NEGATE_1PL = {"task_type": "negate", "base_form": "kaksa", "baseline": ["kaksa", "kaksa ṡni", "kaksapi ṡni"]}
SEGMENT = {"task_type": "segment", "baseline": ["oyakihipi", "okihi", "oyakihi-pi"]}
ANALYZE = {"task_type": "analyze", "accepted": ["2sg"], "baseline": ["duza", "yuza"]}
E2D = {"task_type": "english_to_dakota", "baseline": ["house"]}


def reward(rubric, reply, answer="wakaġa", info=CONJUGATE_INFO):
    return rubric.score(f"Answer: {reply}", answer, info)["reward_scalar"]


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
        assert ledger["exact_match_raw"] == 1.0 and ledger["partial_credit"] == 0.0


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


@pytest.mark.parametrize("reply", ["kaġa", "kaġà", "kaġá", "kaaġa", "kaġaa", "kġa", "ka-ġa", "KAĠA"])
def test_the_given_form_and_cosmetic_changes_to_it_earn_nothing(rubric, reply):
    ledger = rubric.score(f"Answer: {reply}", "wakaġa", CONJUGATE_INFO)
    assert ledger["reward_scalar"] == 0.0, reply
    assert ledger["novel_realised"] == 0
    assert ledger["baseline_text"] == "kaġa" and ledger["baseline_source"] == "base_form"


def test_an_affix_that_shares_letters_with_the_right_one_realises_nothing(rubric):
    info = {"base_form": "daka"}
    wrong = rubric.score("Answer: wadaka", "yadaka", info)  # one edit from the gold, but the wrong prefix
    assert wrong["novel_units"] == 1 and wrong["novel_realised"] == 0 and wrong["novel_missing"] == "ya"
    assert wrong["char_overlap_norm"] > 0  # the letters are close ...
    assert wrong["reward_scalar"] == 0.0  # ... but the one change the prompt did not give is missing
    slip = rubric.score("Answer: yadeka", "yadaka", info)  # the prefix right, a slip in the stem
    assert slip["novel_realised"] == 1
    assert 0.15 < slip["reward_scalar"] < 0.5


def test_novel_units_must_sit_in_place_on_the_right_stem(rubric):
    assert reward(rubric, "kaġawa") == 0.0  # suffix instead of prefix
    assert reward(rubric, "wawićaṡta") == 0.0  # right prefix, another word
    assert reward(rubric, "wa") == 0.0  # the prefix alone
    infix = {"base_form": "mani"}
    assert reward(rubric, "mawani", "mawani", infix) == 1.0
    assert reward(rubric, "wamani", "mawani", infix) == 0.0  # infix placed as a prefix
    assert reward(rubric, "mawanii", "mawani", infix) > 0.0  # in place, with one slip


def test_the_instructed_construction_earns_nothing_beyond_itself(rubric):
    # The prompt names the negative particle and the plural person: 'kaksapi ṡni' is handed over.
    assert reward(rubric, "kaksapi ṡni", "uŋkaksapi ṡni", NEGATE_1PL) == 0.0
    assert reward(rubric, "kaksa ṡni", "uŋkaksapi ṡni", NEGATE_1PL) == 0.0
    assert reward(rubric, "wakaksapi ṡni", "uŋkaksapi ṡni", NEGATE_1PL) == 0.0
    near = rubric.score("Answer: uŋkaksapi ṡmi", "uŋkaksapi ṡni", NEGATE_1PL)
    assert near["novel_missing"] == "" and 0.15 < near["reward_scalar"] < 0.5


def test_where_the_prompt_already_gives_the_answer_only_the_answer_pays(rubric):
    info = {"task_type": "pluralize", "base_form": "amani", "baseline": ["amani", "amanipi"]}
    assert reward(rubric, "amanipi", "amanipi", info) == 1.0
    for reply in ("amanipa", "amanpi", "amanipii"):
        ledger = rubric.score(f"Answer: {reply}", "amanipi", info)
        assert ledger["reward_scalar"] == 0.0 and ledger["novel_applicable"] is False
        assert ledger["char_overlap_baseline"] == 1.0  # nothing left to gain beyond the prompt


def test_segmentation_boundaries_count_only_in_place(rubric):
    gold = "o-ya-kihi-pi"
    assert reward(rubric, gold, gold, SEGMENT) == 1.0
    assert reward(rubric, "oyakihi-pi", gold, SEGMENT) == 0.0  # the -pi split is handed over
    assert reward(rubric, "oy-akihi-pi", gold, SEGMENT) == 0.0  # a boundary one letter off
    half = rubric.score("Answer: o-yakihi-pi", gold, SEGMENT)
    assert (half["novel_units"], half["novel_realised"]) == (2, 1)
    slip = rubric.score("Answer: o-ya-kiha-pi", gold, SEGMENT)
    assert slip["reward_scalar"] > half["reward_scalar"] > 0.0


def test_where_the_prompt_gives_nothing_chance_similarity_earns_nothing(rubric):
    ledger = rubric.score("Answer: tapa", "tipi", E2D)
    assert ledger["novel_applicable"] is False
    assert ledger["char_overlap_baseline"] == 0.5 and ledger["char_overlap_raw"] == 0.5
    assert ledger["reward_scalar"] == 0.0
    for constant in ("a", "wa", "ŋ", "kiya", "house"):
        assert reward(rubric, constant, "tipi", E2D) == 0.0, constant
    assert 0.15 <= reward(rubric, "tipa", "tipi", E2D) < 0.5
    assert reward(rubric, "tpii", "tipi", E2D) == reward(rubric, "tipa", "tipi", E2D)  # a swap is one slip


@pytest.mark.parametrize(
    ("reply", "hedge"),
    [
        ("wakaġa/yakaġa", "separator '/'"),
        ("yakaġa/wakaġa", "separator '/'"),
        ("wakaġa (yakaġa)", "separator '('"),
        ("wakaġa, yakaġa", "separator ','"),
        ("wakaġa or yakaġa", "separator 'or'"),
        ("wakaġa; yakaġa", "separator ';'"),
        ("wakaġa yakaġa", "several candidates for 'wakaga': wakaġa | yakaġa"),
        ("wićaṡta, wakaġa, kaġa", "separator ','"),
    ],
)
def test_several_candidates_earn_nothing_and_the_ledger_says_so(rubric, reply, hedge):
    ledger = rubric.score(f"Answer: {reply}", "wakaġa", CONJUGATE_INFO)
    assert ledger["hedge"] == hedge
    assert ledger["reward_scalar"] == 0.0 and ledger["composite_predicted"] == 0.0


def test_a_gold_may_keep_its_own_separators(rubric):
    info = {"task_type": "dakota_to_english", "baseline": ["ćiŋye"]}
    gold = "elder brother (man's)"
    assert reward(rubric, gold, gold, info) == 1.0
    near = rubric.score("Answer: elder brother (mans)", gold, info)
    assert near["hedge"] is None and near["reward_scalar"] > 0.15
    assert rubric.score("Answer: elder brother (man's) (woman's)", gold, info)["hedge"] == "separator '('"


def test_closed_answers_are_scored_as_slots(rubric):
    gold = "second person singular"
    for reply in (gold, "2sg", "2nd person, singular", "singular, second person", "secnod person singluar"):
        ledger = rubric.score(f"Answer: {reply}", gold, ANALYZE)
        assert ledger["reward_scalar"] == 1.0, reply
        assert ledger["slots_applicable"] and ledger["char_overlap_applicable"] is False
    one_slot = rubric.score("Answer: first person singular", gold, ANALYZE)
    assert one_slot["slots_raw"] == 0.5 and one_slot["slots_norm"] == 0.0  # what a rule of thumb gets
    assert one_slot["reward_scalar"] == 0.0
    missing = rubric.score("Answer: second person", gold, ANALYZE)
    assert missing["slots_raw"] == 0.5 and missing["reward_scalar"] == 0.0
    for hedge in ("second person singular/plural", "first or second person singular", "2sg or 2pl"):
        ledger = rubric.score(f"Answer: {hedge}", gold, ANALYZE)
        assert ledger["hedge"].startswith("several values for"), hedge
        assert ledger["reward_scalar"] == 0.0


def test_marked_letters_carry_their_share_of_the_credit(rubric):
    info = {"base_form": "baksa"}
    full = rubric.score("Answer: bauŋksaa", "bauŋksa", info)
    undotted = rubric.score("Answer: baunksaa", "bauŋksa", info)
    assert full["orthography_raw"] == 1.0 and undotted["orthography_raw"] == 0.0
    assert undotted["orthography_norm"] == 0.0 and undotted["w_ortho"] == rubric.weights.ortho
    assert undotted["reward_scalar"] == pytest.approx(full["reward_scalar"] * (1.0 - rubric.weights.ortho))
    stray = rubric.score("Answer: bauŋksà", "bauŋksa", info)  # a grave accent the gold does not have
    assert 0.0 < stray["orthography_raw"] < 1.0 and stray["reward_scalar"] < rubric.partial_cap


def test_orthography_is_an_aligned_f1_of_marked_letters():
    assert orthography_f1("ṡuŋka", "ṡuŋka") == 1.0
    assert orthography_f1("suŋka", "ṡuŋka") == pytest.approx(2 / 3)
    assert orthography_f1("aŋkuṡ", "ṡuŋka") < 0.7  # same letters, shuffled
    assert orthography_f1("ŋ ṡ ġ ḳ", "ṡuŋka") < 0.6
    assert orthography_f1("mani", "mani") == 1.0  # nothing marked on either side


def test_near_misses_stay_below_the_cap_and_worse_answers_earn_less(rubric):
    one = reward(rubric, "wakaġe")
    two = reward(rubric, "wakiġe")
    assert 0.15 < one < rubric.partial_cap
    assert 0.0 <= two < one


def test_partial_credit_is_capped_strictly_below_one():
    rubric = DakotaGrammarRubric(weights={"ortho": 0.0}, partial_cap=0.8)
    ledger = rubric.score("Answer: wakaga", "wakaġa", CONJUGATE_INFO)  # skeleton-equal: every factor 1
    assert ledger["composite_predicted"] == 1.0
    assert ledger["reward_scalar"] == 0.8 == ledger["partial_credit"]


@pytest.mark.parametrize("cap", [1.0, -0.1, 2])
def test_cap_must_be_below_one(cap):
    with pytest.raises(ValueError, match="partial_cap"):
        DakotaGrammarRubric(partial_cap=cap)


def test_floor_must_be_in_range():
    with pytest.raises(ValueError, match="char_floor"):
        DakotaGrammarRubric(char_floor=1.0)


def test_weights_validate_themselves():
    with pytest.raises(ValueError, match="ortho"):
        RewardWeights(ortho=1.5)
    with pytest.raises(ValueError, match="ortho"):
        RewardWeights(ortho=float("nan"))
    with pytest.raises(ValueError, match="unknown weight"):
        DakotaGrammarRubric(weights={"spelling": 1.0})
    with pytest.raises(ValueError, match=r"removed in reward v2.*only weight left is 'ortho'"):
        DakotaGrammarRubric(weights={"exact": 0.4, "char": 0.3, "affix": 0.2, "ortho": 0.1})


def test_long_spans_are_penalised(rubric):
    single = reward(rubric, "wakaġe")
    padded = rubric.score("Answer: wakaġe" + "e" * 30, "wakaġa", CONJUGATE_INFO)
    assert padded["length_penalty_norm"] < 0.5 and padded["reward_scalar"] < single / 2
    huge = rubric.score("Answer: " + "wakaġa " * 2000, "wakaġa", CONJUGATE_INFO)
    assert huge["parse_error"] == "span_too_long" and huge["reward_scalar"] == 0.0


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
    assert ledger["ledger_version"] == LEDGER_VERSION == 2
    assert "ledger_version" not in ledger.numeric()
    assert ledger.numeric()["parse_ok"] == 1.0
    assert ledger["rubric_signature"].startswith("dakota-grammar-rubric|ledger:2|")
    assert ledger["reward_scalar"] == ledger["exact_match_raw"] + ledger["partial_credit"]


def test_a_task_with_no_known_baseline_says_so(rubric):
    ledger = rubric.score("Answer: wakaġe", "wakaġa", {})
    assert ledger["baseline_source"] == "none" and ledger["baseline_text"] == ""
    assert ledger["novel_applicable"] is False and ledger["novel_units"] is None


def test_verify_row_catches_a_tampered_row(rubric):
    row = rubric.score("Answer: wakaġe", "wakaġa", CONJUGATE_INFO).as_dict()
    verify_row(row)
    for field, value in (
        ("reward_scalar", row["reward_scalar"] + 0.01),
        ("partial_credit", row["partial_credit"] + 0.01),
        ("char_overlap_norm", 0.99),
        ("char_overlap_baseline", 0.1),
        ("novel_realised", 0),
        ("orthography_norm", 0.123),
        ("w_ortho", 2.0),
        ("novel_norm", None),
        ("length_penalty_norm", 0.5),
        ("partial_cap", 1.0),
        ("composite_predicted", 0.123),
        ("hedge", "separator '/'"),
        ("slots_raw", 1.0),
    ):
        broken = {**row, field: value}
        with pytest.raises(LedgerError):
            verify_row(broken)
    with pytest.raises(LedgerError, match="lacks fields"):
        verify_row({k: v for k, v in row.items() if k != "w_ortho"})
    with pytest.raises(LedgerError, match="unknown ledger fields"):
        RewardLedger({**row, "bonus": 1.0})
    with pytest.raises(LedgerError, match="ledger_version"):
        verify_row({**row, "ledger_version": 1})


def test_bad_info_is_a_clear_error(rubric):
    with pytest.raises(GoldError, match="morphemes spell"):
        rubric.score("x", "wakaġa", {"morphemes": [{"form": "ya"}, {"form": "kaġa"}]})
    with pytest.raises(GoldError, match="target_word"):
        rubric.score("x", "wakaġa", {"morphemes": [{"form": "wakaġa"}], "target_word": 3})
    with pytest.raises(GoldError, match="accepted"):
        rubric.score("x", "wakaġa", {"accepted": 5})
    with pytest.raises(GoldError, match="baseline"):
        rubric.score("x", "wakaġa", {"baseline": [1, 2]})
    with pytest.raises(GoldError, match="baseline_source"):
        rubric.score("x", "wakaġa", {"baseline_source": 3})
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
    for i, (task_id, reward_value) in seen.items():
        assert task_id == f"t{i}"
        assert (reward_value == 1.0) == bool(i % 2)


def test_latest_ledger_is_per_asyncio_task(rubric):
    async def rollout(i: int) -> bool:
        reply = f"Answer: {'wakaġa' if i % 2 else 'kaġapi'}"
        mine = rubric.score(reply, "wakaġa", {**CONJUGATE_INFO, "task_id": f"t{i}"})
        await asyncio.sleep(0)  # let every other rollout score in between
        return rubric.get_reward_ledger() is mine

    async def main() -> list[bool]:
        return await asyncio.gather(*(rollout(i) for i in range(200)))

    assert all(asyncio.run(main()))
