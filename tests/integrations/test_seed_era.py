"""The seed-era (v0) environment: `load_environment()` under verifiers 0.3.1.

Under verifiers 0.4 (no v0 API) only the clear-error and import-isolation tests run;
scripts/test.sh reruns this file in a verifiers 0.3.1 environment, where the rest runs:
loading, scoring through the v0 rubric API (`score_group`, `score_rollout`) with
rollouts of one example scored concurrently, and the real v0 `vf-eval` CLI (`-a` JSON
arguments, `-s` saved results) against the local stub server.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dakota_grammar_env
from dakota_grammar_env.reward.ledger import NUMERIC_FIELDS, RewardLedger, verify_row
from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path
from tests.support.paths import EXAMPLES

BIN = Path(sys.executable).parent


def _has_v0_api() -> bool:
    if importlib.util.find_spec("verifiers") is None:
        return False
    import verifiers

    return hasattr(verifiers, "SingleTurnEnv") and hasattr(verifiers, "Rubric")


HAS_V0 = _has_v0_api()
needs_v0 = pytest.mark.skipif(not HAS_V0, reason="the installed verifiers has no v0 API (0.3.1 runs these)")


def test_the_v1_path_never_imports_the_seed_era_module():
    code = (
        "import sys, dakota_grammar, dakota_grammar_env\n"
        "from dakota_grammar_env import DakotaGrammarRubric\n"
        "DakotaGrammarRubric().score('Answer: x', 'x')\n"
        "assert 'dakota_grammar_env.integrations.seed_era' not in sys.modules\n"
        "assert callable(dakota_grammar.load_environment)\n"
        "assert 'dakota_grammar_env.integrations.seed_era' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(HAS_V0, reason="verifiers here has the v0 API")
def test_without_a_v0_api_load_environment_says_what_to_do():
    with pytest.raises(ImportError) as caught:
        dakota_grammar_env.load_environment()
    message = str(caught.value)
    assert "verifiers 0.1 to 0.3" in message and "verifiers==0.3.1" in message
    assert "vf-eval dakota-grammar" in message  # the v1 way, for verifiers 0.4


# --- verifiers 0.3.1 --------------------------------------------------------------------


@pytest.fixture(scope="module")
def v0():
    if not HAS_V0:
        pytest.skip("the installed verifiers has no v0 API (0.3.1 runs these)")
    import verifiers

    return verifiers


def _state(v0, row, reply: str):
    state = v0.State(input={key: row[key] for key in ("prompt", "answer", "info", "example_id")})
    state["completion"] = [{"role": "assistant", "content": reply}]
    state["trajectory"] = []
    return state


@needs_v0
def test_the_id_loads_through_verifiers_own_loader(v0):
    env = v0.load_environment("dakota-grammar", num_tasks=6, num_eval_tasks=4, seed=3)
    assert isinstance(env, v0.SingleTurnEnv)
    assert len(env.get_dataset()) == 6 and len(env.get_eval_dataset()) == 4
    assert v0.load_environment("dakota-grammar-env", num_tasks=2).get_dataset()["answer"] is not None


@needs_v0
def test_train_and_eval_datasets_are_the_splits_and_carry_the_system_prompt(v0):
    env = dakota_grammar_env.load_environment()
    tasks = read_tasks(shipped_data_path()).tasks
    by_split = {split: {t.task_id for t in tasks if t.split == split} for split in ("train", "test")}
    train_ids = {row["task_id"] for row in env.get_dataset()["info"]}
    eval_ids = {row["task_id"] for row in env.get_eval_dataset()["info"]}
    assert train_ids == by_split["train"] and eval_ids == by_split["test"]
    first = env.get_eval_dataset()[0]
    assert first["prompt"][0]["role"] == "system" and "Answer: <answer>" in first["prompt"][0]["content"]
    assert first["answer"] not in first["prompt"][-1]["content"]


@needs_v0
@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"split": "validation"}, "split must be one of"),
        ({"eval_split": "dev"}, "eval_split must be one of"),
        ({"num_tasks": 0}, "num_tasks must be a positive integer"),
        ({"folding": "loose"}, "folding must be one of"),
        ({"task_types": "conjugate"}, "lists of names"),
        ({"task_types": ["no_such_type"]}, "unknown task type"),
        ({"weights": {"exactness": 1.0}}, "unknown weight names"),
        ({"partial_cap": 1.0}, "partial_cap must be in [0, 1)"),
    ],
)
def test_bad_arguments_are_named(v0, arguments, complaint):
    with pytest.raises(ValueError, match=complaint.replace("[", r"\[").replace(")", r"\)")):
        dakota_grammar_env.load_environment(**arguments)


@needs_v0
def test_an_unknown_argument_is_refused_not_passed_on(v0):
    with pytest.raises(TypeError, match="num_example"):
        dakota_grammar_env.load_environment(num_example=3)


@needs_v0
def test_score_group_gives_each_rollout_its_own_ledger_and_the_v1_reward(v0):
    env = dakota_grammar_env.load_environment(num_eval_tasks=5, seed=11)
    rubric = DakotaGrammarRubric()
    states, expected = [], []
    for row in env.get_eval_dataset():
        gold = row["answer"]
        for reply in (f"Answer: {gold}", f"Answer: {gold[:-1]}x", "", f"<think>Answer: {gold}</think>"):
            states.append(_state(v0, row, reply))
            info = json.loads(row["info"]["rubric_info"])
            expected.append(rubric.score(reply, gold, info).as_dict())
    asyncio.run(env.rubric.score_group(states))  # every function gathers over all 20 rollouts at once

    for state, want in zip(states, expected, strict=True):
        ledger = env.get_reward_ledger(state)
        assert isinstance(ledger, RewardLedger) and ledger.as_dict() == want
        verify_row(ledger.as_dict())
        assert state["info"]["ledger"] == want  # where saved outputs find it
        assert state["reward"] == want["reward_scalar"]  # weighted sum = the ledger's reward
        assert state["metrics"]["reward_scalar"] == want["reward_scalar"]
        for name in NUMERIC_FIELDS:
            assert state["metrics"][f"ledger/{name}"] == float(want[name] or 0.0)
    rewards = [state["reward"] for state in states]
    assert rewards[0::4] == [1.0] * 5  # gold
    # near misses: at most the cap (or 1 where a label with a slip still names the right slots)
    assert all(0.0 <= r <= rubric.partial_cap or r == 1.0 for r in rewards[1::4])
    assert rewards[2::4] == [0.0] * 5 and rewards[3::4] == [0.0] * 5  # empty; gold only in reasoning


@needs_v0
def test_rollouts_of_one_example_never_share_a_ledger(v0):
    """The defect of the earlier attempt: one mutable slot for all rollouts."""
    env = dakota_grammar_env.load_environment(num_eval_tasks=1)
    row = env.get_eval_dataset()[0]
    replies = [f"Answer: {row['answer']}", "Answer: wrong", ""] * 8
    states = [_state(v0, row, reply) for reply in replies]

    async def score_each():
        await asyncio.gather(*(env.rubric.score_rollout(state) for state in states))

    asyncio.run(score_each())
    spans = [env.get_reward_ledger(state)["span"] for state in states]
    assert spans == [row["answer"], "wrong", None] * 8
    assert row["info"].get("ledger") is None  # the dataset row itself is untouched


@needs_v0
def test_the_rubric_arguments_reach_the_reward(v0):
    strict = dakota_grammar_env.load_environment(num_eval_tasks=3, weights={"ortho": 1.0}, partial_cap=0.2)
    row = strict.get_eval_dataset()[0]
    state = _state(v0, row, f"Answer: {row['answer']}x")
    asyncio.run(strict.rubric.score_rollout(state))
    ledger = state["info"]["ledger"]
    assert ledger["w_ortho"] == 1.0 and ledger["partial_cap"] == 0.2
    assert "w:ortho=1|" in ledger["rubric_signature"] and state["reward"] <= 0.2
    with pytest.raises(ValueError, match="removed in reward v2"):
        dakota_grammar_env.load_environment(weights={"exact": 1, "char": 0, "affix": 0, "ortho": 0})


@needs_v0
@pytest.mark.slow
def test_the_v0_vf_eval_cli_saves_the_ledger_with_every_rollout(v0, stub_server, tmp_path):
    arguments = {"eval_split": "test", "num_eval_tasks": 4, "seed": 5, "task_types": ["conjugate", "segment"]}
    command = [
        str(BIN / "vf-eval"),
        "dakota-grammar",
        "-a",
        json.dumps(arguments),
        "-m",
        "stub-model",
        "-b",
        stub_server,
        "-k",
        "STUB_API_KEY",
        "-n",
        "4",
        "-r",
        "2",
        "-s",
        "-d",
        "-o",
        str(tmp_path / "out"),
    ]
    env = {**os.environ, "STUB_API_KEY": "dummy"}
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [results] = (tmp_path / "out").rglob("results.jsonl")
    outputs = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert len(outputs) == 8
    rubric = DakotaGrammarRubric()
    rewards = []
    for output in outputs:
        ledger = output["info"]["ledger"]
        verify_row(ledger)
        assert ledger["task_type"] in ("conjugate", "segment")
        assert output["reward"] == ledger["reward_scalar"]
        assert output["metrics"]["ledger/reward_scalar"] == ledger["reward_scalar"]
        reply = output["completion"][-1]["content"]
        gold_info = json.loads(output["info"]["rubric_info"])
        assert rubric.score(reply, output["answer"], gold_info).as_dict() == ledger
        rewards.append(output["reward"])
    assert 1.0 in rewards and min(rewards) < 1.0


@needs_v0
def test_the_seed_era_example_config_loads(v0):
    """examples/prime-rl-v0.4.0/rl.toml's `[[orchestrator.env]]`, as that prime-rl calls it."""
    import tomllib

    config = tomllib.loads((EXAMPLES / "prime-rl-v0.4.0" / "rl.toml").read_text())
    [env_config] = config["orchestrator"]["env"]
    env = v0.load_environment(env_config["id"], **env_config["args"])
    assert len(env.get_dataset()) == env_config["args"]["num_tasks"]
    assert {row["task_id"] for row in env.get_dataset()["info"]}.isdisjoint(
        row["task_id"] for row in env.get_eval_dataset()["info"]
    )
