"""The example configs in examples/, checked against the prime-rl version each one targets.

- prime-rl HEAD (examples/prime-rl/): its RLConfig JSON schema cannot validate a real taskset
  block, because `env` is declared as the generic `EnvConfig` and narrowed by a pydantic
  validator at load time. `narrow_head_schema` does that narrowing in JSON Schema, from this
  package's own pydantic config classes (`env_config_type` / `taskset_config_type`), the way
  the reference's `*.narrowed-dakota-grammar.schema.json` files were made for a stand-in.
- prime-rl v0.4.0 (examples/prime-rl-v0.4.0/): its schema needs no narrowing.
- vf-eval (examples/vf-eval/eval.toml): loaded by verifiers' own eval CLI config parser.
- examples/launch_with_ledger.sh: run for real beside a fake `uv run rl` that writes a run.

The schemas live in ../shared/prime-rl/schema beside this checkout; without them the schema
tests skip. Validation is JSON Schema draft 2020-12 (`jsonschema`), after mapping TOML's
"None" strings to null; tagged unions in the examples spell out their `type`.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import EXAMPLES, PRIME_RL, REPO, SUPPORT

SCHEMAS = PRIME_RL / "schema"
VALIDATED = PRIME_RL / "examples-validated"
TASKSET_ID = "dakota-grammar"

HEAD_RL = EXAMPLES / "prime-rl" / "rl.toml"
MULTI_GPU = EXAMPLES / "prime-rl" / "multi-gpu"
V040_RL = EXAMPLES / "prime-rl-v0.4.0" / "rl.toml"
VF_EVAL = EXAMPLES / "vf-eval" / "eval.toml"
LAUNCH = EXAMPLES / "launch_with_ledger.sh"

needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/prime-rl/schema is not beside this checkout")


# --- reading configs ---------------------------------------------------------------------


def none_to_null(value: Any) -> Any:
    """prime-rl's TOML spells null as the string "None"."""
    if value == "None":
        return None
    if isinstance(value, dict):
        return {key: none_to_null(item) for key, item in value.items()}
    if isinstance(value, list):
        return [none_to_null(item) for item in value]
    return value


def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return none_to_null(tomllib.load(handle))


def load_schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def header_command(path: Path, program: str) -> list[str]:
    """The launch command in a file's leading comments: the comment line holding `program`,
    joined with its backslash continuations, split as a shell would; `program` itself is dropped."""
    lines = [line[1:].strip() for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    for index, line in enumerate(lines):
        if program in line:
            text = line[line.index(program) + len(program) :]
            while text.endswith("\\"):
                index += 1
                text = text[:-1] + " " + lines[index]
            return shlex.split(text)
    raise AssertionError(f"{path.name}: no `{program}` command in its comments")


def flag_path(flag: str) -> tuple[str, ...]:
    """`--deployment.num-train-gpus` -> ("deployment", "num_train_gpus"); a dotted TOML key works too."""
    return tuple(part.replace("-", "_") for part in flag.removeprefix("--").split("."))


def coerce(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def set_path(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        document = document.setdefault(part, {})
    document[path[-1]] = value


def command_document(tokens: list[str], schema: dict[str, Any]) -> dict[str, Any]:
    """What `rl` parses from its argv: `@ file.toml` (the whole config), `--section @ file.toml`
    (one section), then `--a.b value` flags, as lists where the schema wants an array."""
    document: dict[str, Any] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "@":
            document.update(load_toml(REPO / tokens[index + 1]))
            index += 2
        elif token.startswith("--") and index + 1 < len(tokens) and tokens[index + 1] == "@":
            document[token[2:].replace("-", "_")] = load_toml(REPO / tokens[index + 2])
            index += 3
        else:
            assert token.startswith("--") and index + 1 < len(tokens), f"unexpected token {token!r} in {tokens}"
            path = flag_path(token)
            value = coerce(tokens[index + 1])
            set_path(document, path, [value] if is_array(schema, path) else value)
            index += 2
    return document


# --- walking schemas ---------------------------------------------------------------------


def concrete(schema: dict[str, Any], node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The object schemas a node can stand for: $refs followed, unions and arrays opened."""
    stack = [node]
    while stack:
        node = stack.pop()
        if "$ref" in node:
            stack.append(schema["$defs"][node["$ref"].removeprefix("#/$defs/")])
            continue
        variants = [*node.get("anyOf", ()), *node.get("oneOf", ()), *node.get("allOf", ())]
        if isinstance(node.get("items"), dict):
            variants.append(node["items"])
        stack.extend(variants)
        yield node


def field_schemas(schema: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    nodes = [schema]
    for part in path:
        nodes = [
            n["properties"][part] for node in nodes for n in concrete(schema, node) if part in n.get("properties", {})
        ]
    return nodes


def has_path(schema: dict[str, Any], path: tuple[str, ...]) -> bool:
    return bool(field_schemas(schema, path))


def is_array(schema: dict[str, Any], path: tuple[str, ...]) -> bool:
    return any(n.get("type") == "array" for node in field_schemas(schema, path) for n in concrete(schema, node))


def def_refs(node: Any) -> Iterator[str]:
    """Every `$defs` name a node refers to."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                yield value.removeprefix("#/$defs/")
            elif key != "$defs":
                yield from def_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from def_refs(item)


def reachable(schema: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = list(def_refs(schema))
    while todo:
        name = todo.pop()
        if name not in seen and name in schema["$defs"]:
            seen.add(name)
            todo.extend(def_refs(schema["$defs"][name]))
    return seen


def rename_refs(node: Any, renames: dict[str, str]) -> Any:
    """A copy of `node` with `#/$defs/<old>` strings (refs, discriminator mappings) renamed."""
    if isinstance(node, dict):
        return {key: rename_refs(value, renames) for key, value in node.items()}
    if isinstance(node, list):
        return [rename_refs(item, renames) for item in node]
    if isinstance(node, str) and node.startswith("#/$defs/") and node.removeprefix("#/$defs/") in renames:
        return "#/$defs/" + renames[node.removeprefix("#/$defs/")]
    return node


# --- the narrowing -----------------------------------------------------------------------


def dakota_env_model() -> type:
    """This package's env config with its `taskset` field narrowed to the taskset's config class:
    what a `mode="before"` validator in prime-rl (and verifiers' CLI narrowing) validates a source's
    `env` against once it has imported `taskset.id`."""
    pytest.importorskip("verifiers.v1")
    from pydantic import create_model
    from verifiers.v1.utils.loaders import env_config_type, taskset_config_type

    taskset_type = taskset_config_type(TASKSET_ID)
    env_type = env_config_type(TASKSET_ID)
    return create_model(env_type.__name__, __base__=env_type, taskset=(taskset_type, taskset_type(id=TASKSET_ID)))


def narrow_head_schema(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`raw` (a HEAD RLConfig or OrchestratorConfig schema) narrowed to this taskset, as prime-rl's
    validator narrows the parsed config: every `$ref` to the generic `EnvConfig` points at this
    package's env config schema instead, the `$defs` that only `EnvConfig` used are dropped, and
    the env schema's own `$defs` are merged in. A def prime-rl itself still uses is never changed:
    an env def of the same name and other content is added under a prefixed name. Returns the
    schema and what changed: {"retargeted", "dropped", "replaced", "added", "renamed"}."""
    env_model = dakota_env_model()
    env_schema = env_model.model_json_schema()
    env_defs = env_schema.pop("$defs", {})
    env_name = env_model.__name__

    schema = copy.deepcopy(raw)
    defs = schema["$defs"]
    assert env_name not in defs
    before = set(defs)
    retargeted = sorted(name for name, node in defs.items() if "EnvConfig" in def_refs(node))
    for name in retargeted:
        defs[name] = rename_refs(defs[name], {"EnvConfig": env_name})
    del defs["EnvConfig"]
    still_used = reachable(schema)  # by prime-rl's own configs (the env's refs dangle until it is added)
    only_env = before - still_used - {"EnvConfig"}
    for name in only_env:
        del defs[name]

    renamed = {name: f"dakota_grammar__{name}" for name, node in env_defs.items() if defs.get(name, node) != node}
    for name, node in env_defs.items():
        defs.setdefault(renamed.get(name, name), rename_refs(node, renamed))
    defs[env_name] = rename_refs(env_schema, renamed)
    return schema, {
        "retargeted": retargeted,
        "dropped": before - set(defs),
        "replaced": {name for name in only_env & set(defs) if defs[name] != raw["$defs"][name]},
        "added": set(defs) - before,
        "renamed": renamed,
    }


def validator(schema: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(schema: dict[str, Any], document: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e.absolute_path), e.message) for e in validator(schema).iter_errors(document)]


def assert_valid(schema: dict[str, Any], document: dict[str, Any], what: str) -> None:
    found = errors(schema, document)
    assert not found, f"{what}:\n" + "\n".join(f"  at {'/'.join(map(str, p)) or '<root>'}: {m[:300]}" for p, m in found)


@pytest.fixture(scope="module")
def head_rl_schema() -> dict[str, Any]:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/prime-rl/schema is not beside this checkout")
    return narrow_head_schema(load_schema("rl-config.HEAD.schema.json"))[0]


@pytest.fixture(scope="module")
def head_orchestrator_schema() -> dict[str, Any]:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/prime-rl/schema is not beside this checkout")
    return narrow_head_schema(load_schema("rl-orchestrator.HEAD.schema.json"))[0]


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


# --- the launch script -------------------------------------------------------------------


def test_launch_script_is_an_executable_strict_bash_script():
    text = LAUNCH.read_text(encoding="utf-8")
    assert os.access(LAUNCH, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash\n# Usage")
    assert "\nset -euo pipefail\n" in text and "\ntrap stop_follower EXIT\n" in text
    assert text.index("\nexport PRL_RUN_ID\n") < text.index("\nuv run rl @")
    assert 'ledger follow "$RUN_DIR"' in text and "--wandb" in text and "LEDGER_IDLE_EXIT:-60" in text
    assert "RL_CONFIG:-examples/prime-rl/rl.toml" in text and (REPO / "examples/prime-rl/rl.toml").is_file()
    subprocess.run(["bash", "-n", str(LAUNCH)], check=True)


FAKE_UV = r"""#!/usr/bin/env bash
# A stand-in for `uv run rl @ CONFIG --output-dir D --run.name N ...`: records its arguments and
# PRL_RUN_ID, then writes a synthetic prime-rl run, one step every STEP_SECONDS. After the first step
# it waits for the live follower's output folder, the sign that the follower is up and past its
# SIGTERM set-up, so that stopping it is tested however slow the machine is (after 5 minutes without
# it, rl fails).
[[ "$1" == run && "$2" == rl ]] || { echo "fake uv: unexpected $*" >&2; exit 97; }
shift 2
printf '%s\n' "$PRL_RUN_ID" "$@" > "$FAKE_RL_ARGS"
while [[ $# -gt 0 ]]; do
  case "$1" in --output-dir) out=$2; shift 2 ;; --run.name) name=$2; shift 2 ;; *) shift ;; esac
done
[[ "${FAKE_RL_FAIL:-0}" == 0 ]] || exit "$FAKE_RL_FAIL"
exec "$PYTHON" -c '
import sys, time
sys.path.insert(0, sys.argv[2])
from synthetic_run import RunWriter
from pathlib import Path
writer = RunWriter(sys.argv[1], rollouts_per_step=8, eval_every=3, eval_rollouts=4)
follower_up = Path(sys.argv[1]) / "wandb_analysis" / "follow"
for step in range(1, 8):
    time.sleep(float(sys.argv[3]))
    writer.write_step(step, 7)
    deadline = time.monotonic() + 300
    while step == 1 and not follower_up.is_dir():
        if time.monotonic() > deadline:
            sys.exit("fake rl: the live follower did not start within 300 s")
        time.sleep(0.1)
' "$out/$name" "$TESTS" "$STEP_SECONDS"
"""


def run_launch_script(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "uv").write_text(FAKE_UV, encoding="utf-8")
    (fake_bin / "uv").chmod(0o755)
    (tmp_path / "wandb-home").mkdir()
    environment = {
        **os.environ,
        "PATH": os.pathsep.join([str(fake_bin), str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHON": sys.executable,
        "TESTS": str(SUPPORT),
        "FAKE_RL_ARGS": str(tmp_path / "rl-args.txt"),
        "STEP_SECONDS": "0.7",
        "OUTPUT_DIR": str(tmp_path / "outputs"),
        "RUN_NAME": "dakota-smoke",
        "LEDGER_IDLE_EXIT": "1",
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path / "wandb-home"),
        "WANDB_SILENT": "true",
        **env,
    }
    environment.pop("PRL_RUN_ID", None)
    return subprocess.run(
        [str(LAUNCH), "--max-steps", "7"], cwd=REPO, env=environment, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_launch_script_follows_a_run_and_leaves_the_same_csvs_as_export(tmp_path):
    pytest.importorskip("wandb")
    result = run_launch_script(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    run_id, *rl_args = (tmp_path / "rl-args.txt").read_text(encoding="utf-8").splitlines()
    run_dir = tmp_path / "outputs" / "dakota-smoke"
    assert rl_args == [
        "@",
        "examples/prime-rl/rl.toml",
        "--output-dir",
        str(tmp_path / "outputs"),
        "--run.name",
        "dakota-smoke",
        "--max-steps",
        "7",
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", run_id)
    assert result.stderr.count(f"W&B: joining run {run_id} ") == 2  # the live follower, then the final pass
    assert "stopped; run the same command again" in result.stderr  # the live one stopped cleanly (SIGTERM)
    follow_csv = run_dir / "wandb_analysis" / "follow" / "reward_ledger.csv"
    assert f"  {follow_csv}\n" in result.stdout

    exported = tmp_path / "export" / "reward_ledger.csv"
    subprocess.run(
        [sys.executable, "-m", "dakota_grammar_env.cli", "ledger", "export", str(run_dir), "-o", str(exported), "-q"],
        check=True,
    )
    assert follow_csv.read_bytes() == exported.read_bytes()
    assert (
        follow_csv.with_name("reward_ledger_rollouts.csv").read_bytes()
        == exported.with_name("reward_ledger_rollouts.csv").read_bytes()
    )


@pytest.mark.slow
def test_launch_script_passes_on_rl_failure_and_leaves_no_follower(tmp_path):
    if not Path("/proc/self/cmdline").is_file():
        pytest.skip("needs /proc to list processes")
    result = run_launch_script(tmp_path, FAKE_RL_FAIL="3")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "rl exited with status 3" in result.stderr and "no rollouts" in result.stderr
    assert not [cmd for cmd in command_lines() if "ledger" in cmd and str(tmp_path) in cmd]


def command_lines() -> list[str]:
    """The command line of every process we can see (Linux /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to read
            found.append(entry.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return found
