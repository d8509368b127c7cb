"""The example configs in examples/, checked against the prime-rl version each one targets.

- prime-rl HEAD (examples/prime-rl/): its RLConfig JSON schema cannot validate a real taskset
  block, because `env` is declared as the generic `EnvConfig` and narrowed by a pydantic
  validator at load time. `narrow_head_schema` does that narrowing in JSON Schema, from this
  package's own pydantic config classes (`env_config_type` / `taskset_config_type`), the way
  the reference's `*.narrowed-dakota-grammar.schema.json` files were made for a stand-in.
- prime-rl v0.4.0 (examples/prime-rl-v0.4.0/): its schema needs no narrowing.
- vf-eval (examples/vf-eval/eval.toml): loaded by verifiers' own eval CLI config parser.

The schemas live in ../shared/prime-rl/schema beside this checkout; without them the schema
tests skip. Validation is JSON Schema draft 2020-12 (`jsonschema`), after mapping TOML's
"None" strings to null; tagged unions in the examples spell out their `type`.
"""

from __future__ import annotations

import copy
import inspect
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import EXAMPLES, LAUNCH, REPO
from tests.support.prime_rl_schema import (
    HEAD_RL,
    MULTI_GPU,
    TASKSET_ID,
    V040_RL,
    VALIDATED,
    VF_EVAL,
    assert_valid,
    command_document,
    dakota_env_model,
    def_refs,
    errors,
    flag_path,
    has_path,
    header_command,
    load_schema,
    load_toml,
    narrow_head_schema,
    needs_schemas,
    reachable,
    validator,
)


def sources(orchestrator: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {kind: orchestrator[kind]["source"] for kind in ("train", "eval")}


# --- prime-rl HEAD -----------------------------------------------------------------------


@needs_schemas
@pytest.mark.parametrize("name", ["rl-config", "rl-orchestrator"])
def test_the_narrowing_changes_what_the_reference_narrowing_changes(name):
    """Built from this package's classes, not copied, and compared with the reference's narrowing
    for a stand-in taskset: the same source configs point at the narrowed env, the same generic
    defs give way, the same verifiers defs come in (ours under our class names), and nothing that
    prime-rl's own configs use changes."""
    raw = load_schema(f"{name}.HEAD.schema.json")
    reference = load_schema(f"{name}.HEAD.narrowed-dakota-grammar.schema.json")
    schema, changes = narrow_head_schema(raw)

    changed_in_reference = sorted(
        n for n in set(raw["$defs"]) & set(reference["$defs"]) if raw["$defs"][n] != reference["$defs"][n]
    )
    assert changes["retargeted"] == changed_in_reference == ["EvalSourceConfig", "TrainSourceConfig"]
    for source in changes["retargeted"]:
        assert schema["$defs"][source]["properties"]["env"]["$ref"] == "#/$defs/DakotaGrammarEnvConfig"
        raw_rest = {k: v for k, v in raw["$defs"][source]["properties"].items() if k != "env"}
        assert {k: v for k, v in schema["$defs"][source]["properties"].items() if k != "env"} == raw_rest

    reference_dropped = set(raw["$defs"]) - set(reference["$defs"])
    assert reference_dropped == {"EnvConfig", "TasksetConfig", "TimeoutConfig"}
    assert reference_dropped <= changes["dropped"]
    # the stand-in's classes are SingleAgentEnvConfig and DakotaGrammarConfig; ours have our names
    reference_added = set(reference["$defs"]) - set(raw["$defs"]) - {"SingleAgentEnvConfig", "DakotaGrammarConfig"}
    assert reference_added <= changes["added"]
    assert {"DakotaGrammarEnvConfig", "DakotaGrammarTasksetConfig", "DakotaGrammarTaskConfig"} <= changes["added"]

    # prime-rl's own defs, everything not reachable only through EnvConfig, are untouched
    without_env = copy.deepcopy(raw)
    for source in changes["retargeted"]:
        del without_env["$defs"][source]["properties"]["env"]
    for def_name in reachable(without_env) - set(changes["retargeted"]):
        assert schema["$defs"][def_name] == raw["$defs"][def_name], def_name
    assert not changes["renamed"].keys() & reachable(without_env)  # nothing of prime-rl's had to be renamed
    assert {k: v for k, v in schema.items() if k != "$defs"} == {k: v for k, v in raw.items() if k != "$defs"}
    referenced = set(def_refs(schema)) | {ref for node in schema["$defs"].values() for ref in def_refs(node)}
    assert referenced <= set(schema["$defs"])  # every $ref resolves
    validator(schema)  # and it is a valid draft 2020-12 schema


def test_head_rl_toml_and_its_launch_flags_validate(head_rl_schema):
    tokens = header_command(HEAD_RL, "uv run rl")
    assert tokens[:2] == ["@", HEAD_RL.relative_to(REPO).as_posix()]
    assert tokens[2:] == ["--output-dir", "outputs", "--run.name", "dakota-qwen3-0.6b"]
    assert_valid(head_rl_schema, load_toml(HEAD_RL), "rl.toml")
    assert_valid(head_rl_schema, command_document(tokens, head_rl_schema), "rl.toml with its launch flags")


@needs_schemas
def test_the_raw_head_schema_rejects_our_source_blocks_and_only_them():
    raw = load_schema("rl-config.HEAD.schema.json")
    document = load_toml(HEAD_RL)
    found = errors(raw, document)
    train_env = ("orchestrator", "train", "source", 0, "env")
    assert any(p == train_env and "'agent' was unexpected" in m for p, m in found), found
    assert any(p == (*train_env, "taskset") and "'split'" in m and "'ledger_hook'" in m for p, m in found), found
    assert any(p[:2] == ("orchestrator", "eval") for p, _ in found), found  # eval is `EvalConfig | null`
    assert {p[:2] for p, _ in found} == {("orchestrator", "train"), ("orchestrator", "eval")}

    for blocks in sources(document["orchestrator"]).values():  # without the plugin's fields, raw accepts it
        for source in blocks:
            source["env"] = {"taskset": {"id": source["env"]["taskset"]["id"]}}
    assert_valid(raw, document, "rl.toml without agent/taskset fields, raw schema")


@pytest.mark.parametrize(
    ("field", "value"),
    [("splitt", "train"), ("split", "validation"), ("num_tasks", 0), ("ledger_hook", "yes")],
)
def test_the_narrowed_schema_rejects_bad_taskset_fields(head_rl_schema, field, value):
    document = load_toml(HEAD_RL)
    document["orchestrator"]["train"]["source"][0]["env"]["taskset"][field] = value
    found = errors(head_rl_schema, document)
    assert found and all(p[:6] == ("orchestrator", "train", "source", 0, "env", "taskset") for p, _ in found), found


def test_head_split_files_validate_section_by_section_and_as_launched(head_rl_schema, head_orchestrator_schema):
    assert_valid(head_orchestrator_schema, load_toml(MULTI_GPU / "orch.toml"), "multi-gpu/orch.toml")
    assert_valid(load_schema("rl-trainer.HEAD.schema.json"), load_toml(MULTI_GPU / "train.toml"), "train.toml")
    assert_valid(load_schema("rl-inference.HEAD.schema.json"), load_toml(MULTI_GPU / "infer.toml"), "infer.toml")

    tokens = header_command(MULTI_GPU / "orch.toml", "uv run rl")
    for section, name in (("--trainer", "train"), ("--orchestrator", "orch"), ("--inference", "infer")):
        assert tokens[tokens.index(section) + 1 : tokens.index(section) + 3] == [
            "@",
            (MULTI_GPU / f"{name}.toml").relative_to(REPO).as_posix(),
        ]
    document = command_document(tokens, head_rl_schema)
    assert_valid(head_rl_schema, document, "the split files as launched")
    # inference on GPUs 0-1, the trainer on GPUs 2-3: the launcher hands out GPUs in that order
    assert document["deployment"] == {"num_infer_gpus": 2, "num_train_gpus": 2}
    assert document["inference"]["vllm"]["data_parallel_size"] == document["deployment"]["num_infer_gpus"]
    assert document["weight_broadcast"] == {"type": "filesystem"}
    assert document["seq_len"] == document["inference"]["vllm"]["max_model_len"]


def test_the_validated_examples_still_validate(head_rl_schema, head_orchestrator_schema):
    """The reference's own validated examples pass our narrowing too (their taskset fields,
    `split` and `ledger_hook`, are a subset of ours)."""
    assert_valid(head_rl_schema, load_toml(VALIDATED / "HEAD" / "rl.toml"), "examples-validated/HEAD/rl.toml")
    assert_valid(head_orchestrator_schema, load_toml(VALIDATED / "HEAD" / "orch.toml"), "examples-validated orch")


# --- prime-rl v0.4.0 ---------------------------------------------------------------------


@needs_schemas
def test_v040_rl_toml_and_its_launch_flags_validate():
    schema = load_schema("rl-config.v0.4.0.schema.json")
    tokens = header_command(V040_RL, "uv run rl")
    assert tokens == [
        "@",
        V040_RL.relative_to(REPO).as_posix(),
        "--trainer-gpu-ids",
        "1",
        "--inference-gpu-ids",
        "0",
        "--wandb.project",
        "dakota-grammar",
    ]
    assert_valid(schema, load_toml(V040_RL), "prime-rl-v0.4.0/rl.toml")
    document = command_document(tokens, schema)
    assert document["trainer_gpu_ids"] == [1] and document["inference_gpu_ids"] == [0]
    assert_valid(schema, document, "prime-rl-v0.4.0/rl.toml with its launch flags")


def log_blocks(path: Path) -> list[tuple[str, str]]:
    """(command, output) of each `$ ...` command in a validation.log."""
    blocks = re.split(r"^\$ ", path.read_text(encoding="utf-8"), flags=re.M)[1:]
    return [(block.split("\n", 1)[0], block.split("\n", 1)[1]) for block in blocks]


@needs_schemas
def test_v040_launch_flags_are_what_v040_parsed_and_head_rejected():
    """The seed-era flags in the header: v0.4.0's `rl` parsed them (its validation.log), they are
    RLConfig fields of its schema, HEAD rejected them (its validation.log) and has no such fields."""
    v040 = load_schema("rl-config.v0.4.0.schema.json")
    head = load_schema("rl-config.HEAD.schema.json")
    flags = [t for t in header_command(V040_RL, "uv run rl") if t.startswith("--")]
    v040_log = log_blocks(VALIDATED / "v0.4.0" / "validation.log")
    head_log = log_blocks(VALIDATED / "HEAD" / "validation.log")
    for flag in flags:
        assert has_path(v040, flag_path(flag)) and not has_path(head, flag_path(flag)), flag
        assert any(flag in cmd.split() and "OK RLConfig" in out for cmd, out in v040_log), flag
        top = flag.split(".")[0]  # pydantic reports `--wandb` for `--wandb.project`
        assert any(flag in cmd.split() and f"\n{top}\n  Extra inputs are not permitted" in out for cmd, out in head_log)
    # and the other way round: today's flags were unknown to v0.4.0's parser
    [(_, rejected)] = [(c, o) for c, o in v040_log if "--deployment.num-train-gpus" in c]
    assert "unrecognized arguments: --deployment.num-train-gpus 1 --monitors.wandb.project" in rejected


@needs_schemas
def test_v040_flag_map_pairs_seed_era_fields_with_todays():
    """Each `old -> new` line of the header's mapping: `old` is a v0.4.0 field HEAD lacks, `new` a
    HEAD field v0.4.0 lacks."""
    v040 = load_schema("rl-config.v0.4.0.schema.json")
    head = load_schema("rl-config.HEAD.schema.json")
    pairs = [
        (line.split("->")[0].split()[1], line.split("->")[1].split()[0])
        for line in V040_RL.read_text(encoding="utf-8").splitlines()
        if line.startswith("#") and " -> " in line
    ]
    mapped = {old: new for old, new in pairs}
    assert mapped["--trainer-gpu-ids"] == "--deployment.num-train-gpus"
    assert mapped["--inference-gpu-ids"] == "--deployment.num-infer-gpus"
    assert mapped["--wandb.project"] == "--monitors.wandb.project"
    assert mapped["--ckpt.resume-step"] == "--resume.step"
    for old, new in pairs:
        assert has_path(v040, flag_path(old)) and not has_path(head, flag_path(old)), old
        assert has_path(head, flag_path(new)) and not has_path(v040, flag_path(new)), new


def test_v040_env_args_are_taskset_fields_and_load_environment_keywords():
    """`args` go to the seed-era `load_environment(**args)`: they are kept to `split` and
    `num_tasks`, both fields of the taskset config with the same meaning."""
    config = load_toml(V040_RL)
    [env] = config["orchestrator"]["env"]
    assert env["id"] == TASKSET_ID
    assert set(env["args"]) == {"split", "num_tasks"} and env["args"]["split"] == "train"
    pytest.importorskip("verifiers.v1")
    from dakota_grammar_env.integrations.taskset import DakotaGrammarTasksetConfig

    DakotaGrammarTasksetConfig(id=TASKSET_ID, **env["args"])
    import dakota_grammar_env

    load_environment = getattr(dakota_grammar_env, "load_environment", None)
    if load_environment is not None:  # the seed-era adapter, where this version has it
        inspect.signature(load_environment).bind(**env["args"])


# --- what every config says ----------------------------------------------------------------


def test_head_configs_name_the_taskset_harness_runtime_and_ledger_hook():
    """rl.toml and the split orch.toml: the taskset id, the null harness in a subprocess, the
    train split with `ledger_hook = true`, the test split for eval, group_size set; each source's
    env also validates against this package's own pydantic config."""
    env_model = dakota_env_model()
    for orchestrator in (load_toml(HEAD_RL)["orchestrator"], load_toml(MULTI_GPU / "orch.toml")):
        assert orchestrator["group_size"] > 1
        assert orchestrator["batch_size"] % orchestrator["group_size"] == 0
        for kind, blocks in sources(orchestrator).items():
            [source] = blocks
            env = source["env"]
            assert source["name"] == env["taskset"]["id"] == TASKSET_ID
            assert env["agent"] == {"harness": {"id": "null"}, "runtime": {"type": "subprocess"}}
            assert env["taskset"]["split"] == {"train": "train", "eval": "test"}[kind]
            assert env["taskset"].get("ledger_hook", False) is (kind == "train")
            parsed = env_model.model_validate(copy.deepcopy(env))  # (verifiers rewrites its input in place)
            assert parsed.taskset.split == env["taskset"]["split"] and parsed.agent.runtime.type == "subprocess"
    config = load_toml(HEAD_RL)
    assert config["weight_broadcast"] == {"type": "filesystem"}
    assert config["deployment"] == {"type": "single_node", "num_infer_gpus": 1, "num_train_gpus": 1}
    assert config["trainer"]["optim"]["type"] == "adamw"
    assert config["model"]["name"] == "Qwen/Qwen3-0.6B"


def test_vf_eval_toml_loads_with_verifiers_eval_config():
    """Parsed exactly as `vf-eval @ examples/vf-eval/eval.toml` parses it (no evaluation runs)."""
    pytest.importorskip("verifiers.v1.configs.cli.eval")
    installed = version("verifiers")
    if tuple(int(part) for part in re.findall(r"\d+", installed)[:2]) < (0, 4):
        pytest.skip(f"eval.toml is written for verifiers 0.4's eval config; verifiers {installed} is installed")
    from pydantic_config import cli
    from verifiers.v1.cli.resolve import narrow_config
    from verifiers.v1.configs.cli.eval import EvalConfig

    from dakota_grammar_env.integrations.taskset import DakotaGrammarEnvConfig, DakotaGrammarTasksetConfig

    argv = ["@", str(VF_EVAL)]
    config = cli(narrow_config(EvalConfig, argv), args=argv)
    assert isinstance(config.env, DakotaGrammarEnvConfig)
    assert isinstance(config.env.taskset, DakotaGrammarTasksetConfig)
    assert config.env.taskset.id == TASKSET_ID and config.env.taskset.split == "test"
    assert config.env.agent.harness.id == "null"
    assert config.env.agent.runtime.type == "subprocess"
    assert config.model == "Qwen/Qwen3-0.6B"
    assert config.client.type == "eval" and config.client.base_url == "http://127.0.0.1:8000/v1"
    assert config.client.api_key_var == "OPENAI_API_KEY"
    assert config.select.limit == 100 and config.num_rollouts == 4 and config.push is False
    assert "vf-eval @ examples/vf-eval/eval.toml" in VF_EVAL.read_text(encoding="utf-8")


def test_examples_readme_names_every_example_and_its_launch_command():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for path in (HEAD_RL, *sorted(MULTI_GPU.glob("*.toml")), V040_RL, VF_EVAL, LAUNCH):
        assert path.relative_to(EXAMPLES).as_posix() in readme, path.name
    for command in (
        "uv run rl @ examples/prime-rl/rl.toml --output-dir outputs --run.name dakota-qwen3-0.6b",
        "--trainer @ examples/prime-rl/multi-gpu/train.toml",
        "uv run rl @ examples/prime-rl-v0.4.0/rl.toml --trainer-gpu-ids 1 --inference-gpu-ids 0",
        "vf-eval @ examples/vf-eval/eval.toml",
        "examples/launch_with_ledger.sh",
    ):
        assert command in readme, command
