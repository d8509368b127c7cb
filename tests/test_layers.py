"""The package's layers: each folder imports only from the folders below it, the reward
core loads nothing outside the standard library and rapidfuzz, and no module grows past
what one reader takes in at a sitting."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import dakota_grammar_env

PACKAGE = Path(dakota_grammar_env.__file__).resolve().parent
NAME = "dakota_grammar_env"

LAYERS = {
    "extras": 0,
    "reward": 0,
    "tasks": 1,
    "runs": 1,
    "grammar": 2,
    "probe": 2,
    "integrations": 3,
    "jobs": 4,
    "training": 5,
    "cli": 6,
}
"""Each folder (and the one top-level module) by layer. A module may import from its own
folder and from folders of a lower layer; folders of one layer do not import each other.
The package's `__init__` (the public API) is the facade above them all."""

MAX_LINES = 400


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join((NAME, *parts)), path))
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every package module `module` imports, at the top or inside a function."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith(NAME + ".")}


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_folder_has_a_layer():
    folders = {_folder(module) for module, _ in _modules()} - {None}
    assert folders == set(LAYERS), "add a new folder to LAYERS (and to the README's layout) or remove an old one"


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    modules = dict(_modules())
    upward = []
    for module, path in modules.items():
        home = _folder(module)
        if home is None:
            continue  # the facade
        for target in _imports(module, path):
            there = _folder(target)
            if target not in modules or there is None or there == home:
                continue  # a name, not a module (`__version__`, `main`); the facade; the module's own folder
            if LAYERS[there] >= LAYERS[home]:
                upward.append(f"{module} imports {target} ({home}: layer {LAYERS[home]}, {there}: {LAYERS[there]})")
    assert not upward, "\n".join(upward)


def test_the_facade_loads_only_the_reward_core_and_the_task_model():
    eager = set()
    for node in ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(NAME + "."):
            eager.add(_folder(node.module))
    assert eager and eager <= {"reward", "tasks"}


def test_the_reward_core_loads_only_the_standard_library_and_rapidfuzz():
    """In a fresh process: import every reward module, then list what else got loaded."""
    reward = [module for module, _ in _modules() if _folder(module) == "reward"]
    code = (
        f"import sys; import {', '.join(reward)}; "
        "print('\\n'.join(sorted(m for m in sys.modules if not m.startswith('_'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    allowed = {"rapidfuzz", "cython_runtime", NAME}  # cython_runtime: the interpreter's, for rapidfuzz's C code
    outside = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names) - allowed
    assert not outside, f"the reward core pulled in {sorted(outside)}"
    ours = {_folder(m) for m in loaded if m.startswith(NAME + ".")}
    assert ours <= {"reward", "tasks"}, ours  # tasks: the task model, through the facade
    assert f"{NAME}.tasks.loading" not in loaded


@pytest.mark.parametrize("module,path", _modules(), ids=[module for module, _ in _modules()])
def test_no_module_is_longer_than_a_sitting(module, path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by concept"


def test_each_folder_says_what_it_is_for_and_what_it_may_import():
    for folder in LAYERS:
        init = PACKAGE / folder / "__init__.py"
        if not init.exists():
            continue  # a top-level module (extras): its docstring says it
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and "import" in docstring, f"{init}: say what the folder is for and what it may import"
