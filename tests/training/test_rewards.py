"""The TRL entry point without a trainer: rows in TRL's conversational format, the
reward function under TRL's calling convention, and the run recorder's files."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from dakota_grammar_env.integrations.taskset import DakotaGrammarTaskset, DakotaGrammarTasksetConfig
from dakota_grammar_env.reward.ledger import verify_row
from dakota_grammar_env.runs.export import export_run
from dakota_grammar_env.runs.records import RunLayout
from dakota_grammar_env.training import Scoring, TaskSelection, dakota_trl
from dakota_grammar_env.training.records import RunRecorder
from tests.support.paths import EXAMPLES

SELECTION = TaskSelection(task_types=("conjugate", "analyze"), num_tasks=12, seed=3)


def test_rows_are_conversational_and_carry_no_gold():
    dakota = dakota_trl(SELECTION, report=None)
    rows = dakota.rows
    assert len(rows) == 12
    for row, task in zip(rows, dakota.tasks, strict=True):
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
        assert row["prompt"][1]["content"] == task.prompt
        assert row["task_id"] == task.task_id
        assert task.answer not in json.dumps(row, ensure_ascii=False).replace(task.prompt, "")


def test_selection_is_the_tasksets_selection():
    """The same fields select the same tasks, in the same order, as the v1 taskset."""
    pytest.importorskip("verifiers.v1")
    config = DakotaGrammarTasksetConfig(task_types=["conjugate", "analyze"], num_tasks=12, seed=3)
    taskset_ids = [task.data.id for task in DakotaGrammarTaskset(config).load()]
    assert taskset_ids == [task.task_id for task in SELECTION.tasks()]


def test_reward_is_the_ledgers_reward_scalar_under_trls_calling_convention():
    dakota = dakota_trl(SELECTION, Scoring(partial_cap=0.4), report=None)
    tasks = dakota.tasks[:4]
    replies = [f"Answer: {tasks[0].answer}", "Answer: wakaġa", "no answer here", f"Answer: {tasks[3].answer}x"]
    completions = [[{"role": "assistant", "content": reply}] for reply in replies]
    rewards = dakota.reward(
        prompts=[dakota.rows[i]["prompt"] for i in range(4)],
        completions=completions,
        completion_ids=[[1]] * 4,
        task_id=[task.task_id for task in tasks],
        trainer_state=SimpleNamespace(global_step=0),
        log_metric=lambda *a: None,
    )
    rubric = Scoring(partial_cap=0.4).rubric()
    expected = [rubric.score(reply, task.answer, task.info()) for reply, task in zip(replies, tasks, strict=True)]
    assert rewards == [row["reward_scalar"] for row in expected]
    assert rewards[0] == 1.0 and rewards[2] == 0.0
    assert dakota.reward.latest_rows == [row.as_dict() for row in expected]
    assert all(row["rubric_signature"].endswith("cap:0.4") for row in dakota.reward.latest_rows)


def test_reward_needs_task_ids_of_its_selection():
    dakota = dakota_trl(SELECTION, report=None)
    with pytest.raises(ValueError, match="task_id"):
        dakota.reward(prompts=["p"], completions=["Answer: x"])
    with pytest.raises(KeyError, match="not in this selection"):
        dakota.reward(prompts=["p"], completions=["Answer: x"], task_id=["dg-nope"])


def test_recorder_writes_the_layout_the_ledger_tools_read(tmp_path):
    """Steps finished through the recorder export like a prime-rl run; a trim after a
    step forgets later steps, records and metrics rows both."""
    recorder = RunRecorder(tmp_path, "run1")
    dakota = dakota_trl(SELECTION, report=None)
    dakota.reward.recorder = recorder
    for step in (1, 2, 3):
        ids = [t.task_id for t in dakota.tasks[:3]]
        dakota.reward(["p"] * 3, ["Answer: wa", "Answer: x", f"Answer: {dakota.tasks[2].answer}"], task_id=ids,
                      trainer_state=SimpleNamespace(global_step=step - 1))  # fmt: skip
        recorder.finish(step)
    summary = export_run(RunLayout.detect(tmp_path))
    assert (summary.steps, summary.rollouts) == (3, 9)
    assert recorder.trim_after(1) == [2, 3]
    assert [json.loads(line)["step"] for line in recorder.metrics_path.read_text().splitlines()] == [1]
    assert sorted(p.name for p in (tmp_path / "rollouts").iterdir()) == ["step_1"]
    for line in (tmp_path / "rollouts/step_1/train/all/traces.jsonl").read_text(encoding="utf-8").splitlines():
        verify_row(json.loads(line)["traces"][0]["info"]["ledger"])


def test_the_gpu_example_config_loads_and_builds_trls_config(tmp_path):
    """examples/trl/*.toml: every field known, and TRL's GRPOConfig accepts what it maps to."""
    pytest.importorskip("trl")

    from dakota_grammar_env.training.config import load_config
    from dakota_grammar_env.training.job import grpo_args

    example = EXAMPLES / "trl" / "qwen3-0.6b-one-gpu.toml"
    config = load_config(example, {})
    assert config.model == "Qwen/Qwen3-0.6B" and config.device == "cuda" and config.vllm["use"] is True
    config.device = "cpu"  # bf16, which cuda turns on, is refused by TrainingArguments on a machine without a GPU
    args = grpo_args(config, tmp_path, wandb=False)
    assert args.use_vllm and args.vllm_mode == "colocate" and args.vllm_gpu_memory_utilization == 0.35
    assert args.num_generations == 8 and args.per_device_train_batch_size == 8 * 16
    assert args.max_completion_length == 512 and args.max_steps == 300
