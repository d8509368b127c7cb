"""Answer extraction: only the final answer is scored, never the reasoning."""

from __future__ import annotations

import pytest

from dakota_grammar_env.reward.extraction import completion_text, extract_answer


@pytest.mark.parametrize(
    ("reply", "span", "method"),
    [
        ("Answer: wakaġa", "wakaġa", "answer_line"),
        ("Let me think.\nThe prefix is wa-.\nAnswer: wakaġa", "wakaġa", "answer_line"),
        ("**Answer:** wakaġa", "wakaġa", "answer_line"),
        ("Final answer: wakaġa", "wakaġa", "answer_line"),
        ("Answer:\n\nwakaġa", "wakaġa", "answer_line"),
        ("Answer: first\nthen more text\nAnswer: second", "second", "answer_line"),
        ("Answer: \\boxed{wakaġa}", "wakaġa", "answer_line"),
        ("So the form is \\boxed{wa{ka}ġa}.", "wa{ka}ġa", "boxed"),
        ("wakaġa", "wakaġa", "bare"),
        ("  mde ṡni  ", "mde ṡni", "bare"),
        ("<think>it is yakaġa?</think>\nAnswer: wakaġa", "wakaġa", "answer_line"),
        ("reasoning in a template that opened it</think>\nwakaġa", "wakaġa", "bare"),
    ],
)
def test_answer_span_is_found(reply, span, method):
    result = extract_answer(reply)
    assert result.parse_ok
    assert (result.span, result.method) == (span, method)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("<think>the answer is wakaġa", "unterminated_reasoning"),
        ("<think>a</think> Answer: x <think>still thinking", "unterminated_reasoning"),
        ("<think>wakaġa</think>", "empty"),
        ("This is a long explanation that never gives any final answer line at all, sadly.", "no_answer_found"),
        ("first line\nsecond line", "no_answer_found"),
        ("Answer:   ", "empty_answer"),
    ],
)
def test_replies_without_an_answer_do_not_parse(reply, error):
    result = extract_answer(reply)
    assert not result.parse_ok
    assert result.span is None
    assert result.error == error


def test_gold_inside_reasoning_is_not_the_answer():
    result = extract_answer("<think>Maybe wakaġa.</think>\nAnswer: yakaġa")
    assert result.span == "yakaġa"


def test_chat_message_lists_use_the_last_assistant_turn():
    messages = [
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "Answer: old"},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": [{"type": "text", "text": "Answer: "}, {"type": "text", "text": "new"}]},
    ]
    assert completion_text(messages) == "Answer: new"
    assert extract_answer(messages).span == "new"
    assert completion_text(None) == ""
