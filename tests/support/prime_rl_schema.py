"""prime-rl's config schemas beside this checkout, and the tools to check a TOML config
against one: reading configs and launch commands into documents, walking and narrowing
a JSON schema to this package's taskset (see `narrow_head_schema`), validating."""

from __future__ import annotations

import copy
import json
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import EXAMPLES, PRIME_RL, REPO

SCHEMAS = PRIME_RL / "schema"
VALIDATED = PRIME_RL / "examples-validated"
TASKSET_ID = "dakota-grammar"

HEAD_RL = EXAMPLES / "prime-rl" / "rl.toml"
MULTI_GPU = EXAMPLES / "prime-rl" / "multi-gpu"
V040_RL = EXAMPLES / "prime-rl-v0.4.0" / "rl.toml"
VF_EVAL = EXAMPLES / "vf-eval" / "eval.toml"

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
