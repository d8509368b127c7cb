"""The verifiers v1 taskset, driven through verifiers' own loaders and `Task.score`."""

from __future__ import annotations

import asyncio
import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.rows import CHARTED_FIELDS

vf = pytest.importorskip("verifiers.v1")
from verifiers.v1.utils.loaders import env_config_type, environment_class, load_taskset  # noqa: E402

import dakota_grammar  # noqa: E402
import dakota_grammar_env  # noqa: E402
from dakota_grammar_env.integrations.taskset import (  # noqa: E402
    DakotaGrammarEnv,
    DakotaGrammarTaskset,
    DakotaGrammarTasksetConfig,
)
from dakota_grammar_env.probe.context import ProbeContext  # noqa: E402
from dakota_grammar_env.probe.policies import POLICIES  # noqa: E402
from dakota_grammar_env.reward.ledger import verify_row  # noqa: E402
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric  # noqa: E402
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path  # noqa: E402


def load(**fields):
    return list(load_taskset(DakotaGrammarTasksetConfig(id="dakota-grammar", **fields)))


def make_trace(task, reply: str):
    return vf.Trace(
        task=vf.TraceTask(type=type(task).__name__, data=task.data, key=task.key, hash=task.hash),
        agent=vf.AgentInfo(config=vf.AgentConfig()),
        nodes=[
            vf.MessageNode(message=vf.UserMessage(content=task.data.prompt)),
            vf.MessageNode(parent=0, message=vf.AssistantMessage(content=reply), sampled=True),
        ],
    )


@pytest.mark.parametrize("taskset_id", ["dakota-grammar", "dakota-grammar-env", "someone/dakota-grammar@0.1.0"])
def test_both_ids_resolve_to_the_taskset_and_its_chat_env(taskset_id):
    assert environment_class(taskset_id) is DakotaGrammarEnv
    config = env_config_type(taskset_id).model_validate({"taskset": {"id": taskset_id}})
    assert config.agent.harness.id == "null"
    assert config.agent.runtime.type == "subprocess"
    assert isinstance(load_taskset(config.taskset), DakotaGrammarTaskset)


def test_the_reexport_package_exports_the_same_classes():
    assert dakota_grammar.DakotaGrammarTaskset is dakota_grammar_env.DakotaGrammarTaskset
    assert "DakotaGrammarTaskset" in dakota_grammar.__all__
    assert dakota_grammar.DakotaGrammarRubric is DakotaGrammarRubric


def test_config_fields_select_tasks():
    train, test, everything = load(split="train"), load(split="test"), load(split="all")
    assert len(train) + len(test) == len(everything)
    assert not {t.key for t in train} & {t.key for t in test}
    negate = load(split="all", task_types=["negate"], difficulties=["easy"])
    assert negate and all(t.data.task_type == "negate" and t.data.difficulty == "easy" for t in negate)
    assert [t.key for t in load(seed=1)] == [t.key for t in load(seed=1)]
    assert [t.key for t in load(seed=1)] != [t.key for t in load(seed=2)]
    assert len(load(num_tasks=5)) == 5
    assert [t.data.idx for t in load(num_tasks=5)] == list(range(5))
    prompt = load(system_prompt_text="Reply in Dakota.", num_tasks=1)[0].data.system_prompt
    assert prompt == "Reply in Dakota."


def test_weights_shortcut_sets_the_task_config_and_conflicts_are_refused():
    config = DakotaGrammarTasksetConfig(id="dakota-grammar", weights={"ortho": 0.5})
    assert config.task.weights.ortho == 0.5
    with pytest.raises(ValueError, match="both set and differ"):
        DakotaGrammarTasksetConfig(id="dakota-grammar", weights={"ortho": 0.5}, task={"weights": {"ortho": 0.1}})
    with pytest.raises(ValueError):
        DakotaGrammarTasksetConfig(id="dakota-grammar", weights={"ortho": -1})
    with pytest.raises(ValueError, match="unknown weight"):
        DakotaGrammarTasksetConfig(id="dakota-grammar", weights={"spelling": 1})


def test_a_data_path_in_either_schema(tmp_path):
    rows = [
        {
            "prompt": "Translate: mani",
            "answer": "to walk",
            "info": {"task_type": "word_translation", "difficulty": "easy"},
        },
        {
            "prompt": "Translate: kaġa",
            "answer": "to make",
            "info": {"task_type": "word_translation", "difficulty": "easy"},
        },
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tasks = load(data_path=str(path), split="all")
    assert sorted(t.data.answer for t in tasks) == ["to make", "to walk"]
    with pytest.raises(Exception, match="has no 'split' field"):
        load(data_path=str(path))


def test_validate_scores_every_gold_as_one():
    for task in load(split="all"):
        assert asyncio.run(task.validate(None)) is True


def test_scoring_writes_the_ledger_and_one_reward():
    task = load(split="all", task_types=["conjugate"], num_tasks=1)[0]
    trace = make_trace(task, f"<think>hmm</think>\nAnswer: {task.data.answer}x")
    asyncio.run(task.score(trace))
    ledger = trace.info["ledger"]
    verify_row(ledger)
    assert list(trace.rewards) == ["reward_scalar"]
    assert trace.rewards["reward_scalar"].weight == 1.0
    assert trace.reward == ledger["reward_scalar"]
    for name in CHARTED_FIELDS:
        if ledger[name] is None:  # a component that does not apply to this task is no metric
            assert f"ledger/{name}" not in trace.metrics
        else:
            assert trace.metrics[f"ledger/{name}"] == float(ledger[name])
    assert all(key.startswith("ledger/") for key in trace.metrics)


def test_scoring_honours_configured_weights_cap_and_floor():
    [task] = load(split="all", task_types=["conjugate"], num_tasks=1, weights={"ortho": 1.0})
    trace = make_trace(task, f"Answer: {task.data.answer}x")
    asyncio.run(task.score(trace))
    assert trace.info["ledger"]["w_ortho"] == 1.0
    [capped] = load(split="all", task_types=["conjugate"], num_tasks=1, task={"partial_cap": 0.1, "char_floor": 0.2})
    trace = make_trace(capped, f"Answer: {capped.data.answer}x")
    asyncio.run(capped.score(trace))
    assert trace.info["ledger"]["partial_cap"] == 0.1 and trace.info["ledger"]["char_overlap_baseline"] == 0.2
    assert trace.reward <= 0.1


def test_the_weights_of_reward_v1_are_a_clear_error():
    with pytest.raises(ValueError, match="removed in reward v2"):
        load(split="all", num_tasks=1, weights={"exact": 1, "char": 0, "affix": 0, "ortho": 0})


def _replies(tasks, count: int) -> list[tuple]:
    """`count` (task, reply) pairs: the probe's policies played on random tasks."""
    rng = random.Random(0)
    rubric = DakotaGrammarRubric()
    rows = {row.task_id: row for row in read_tasks(shipped_data_path()).tasks}
    pairs = []
    while len(pairs) < count:
        task, other, spec = rng.choice(tasks), rng.choice(tasks), rng.choice(POLICIES)
        row = rows[task.data.id]
        reply = spec.make(ProbeContext(row, rubric.gold(row.answer, row.info()), rows[other.data.id], rng))
        if reply is not None:
            pairs.append((task, reply))
    return pairs


def test_a_thousand_concurrent_rollouts_each_get_their_own_ledger():
    tasks = load(split="all")
    pairs = _replies(tasks, 1000)
    traces = [make_trace(task, reply) for task, reply in pairs]

    async def score_all() -> None:
        await asyncio.gather(*(task.score(trace) for (task, _), trace in zip(pairs, traces, strict=True)))

    asyncio.run(score_all())

    # The same, from 8 threads at once, each with its own event loop.
    threaded = [make_trace(task, reply) for task, reply in pairs]

    def score_chunk(start: int) -> None:
        async def chunk() -> None:
            await asyncio.gather(*(pairs[i][0].score(threaded[i]) for i in range(start, len(pairs), 8)))

        asyncio.run(chunk())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(score_chunk, range(8)))

    sequential = DakotaGrammarRubric()
    mismatches = 0
    for (task, reply), trace, other in zip(pairs, traces, threaded, strict=True):
        expected = sequential.score(reply, task.data.answer, task.data.info).as_dict()
        mismatches += trace.info["ledger"] != expected
        mismatches += other.info["ledger"] != expected
        mismatches += trace.reward != expected["reward_scalar"]
    assert mismatches == 0
