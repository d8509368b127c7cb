"""Read task files: the project's own JSONL schema and the Dakota1890 schema.

Every row is checked when it is read, gold included, so a bad row fails loudly with
its file and line instead of failing (or silently scoring 0) mid-training. Nothing is
skipped unless the caller asks for it, and then every skipped row is reported. Text
from a data file is only ever compared as text: never compiled as a pattern or run.

Project schema, one object per line::

    {"id", "task_type", "difficulty", "prompt", "answer",
     "accepted"?, "lemma"?, "gloss"?, "base_form"?, "morphemes"?, "target_word"?,
     "baseline"?, "source"?, "split"?}

Dakota1890 schema: ``{"prompt", "answer", "info": {...}, "task_id"?}``, see
``../shared/reference/dakota1890/README.md``.

``baseline`` lists the answers a reader of the prompt alone could give (the reward pays
partial credit only beyond the closest of them). A row without one, and every
Dakota1890 row, gets it derived from its prompt and base form
(`dakota_grammar_env.reward.baseline.candidates_for_prompt`).
"""

from __future__ import annotations

import csv
import gc
import json
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from dakota_grammar_env.reward.baseline import candidates_for_prompt
from dakota_grammar_env.reward.gold import GoldError, build_gold, content_id
from dakota_grammar_env.reward.orthography import normalize
from dakota_grammar_env.tasks.task import SPLITS, GrammarTask

DEFAULT_DATASET = "dakota_grammar_tasks.jsonl"
"""The shipped file the taskset loads when no path is given."""

PROJECT_REQUIRED = ("id", "task_type", "difficulty", "prompt", "answer")
PROJECT_OPTIONAL = (
    "accepted", "lemma", "gloss", "base_form", "morphemes", "target_word", "baseline", "source", "split",
)  # fmt: skip


class DataError(ValueError):
    """A task file that cannot be loaded; the message names the file and line."""


@dataclass
class LoadedDataset:
    """The tasks of one file, and the rows skipped on request (line, reason)."""

    path: Path
    tasks: list[GrammarTask]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    schema: str = "project"


def shipped_data_path(name: str = DEFAULT_DATASET) -> Path:
    """The path of a data file shipped inside the package."""
    path = Path(str(resources.files("dakota_grammar_env").joinpath("data", name)))
    if not path.is_file():
        raise DataError(f"shipped data file {name!r} is missing from the installed package ({path})")
    return path


PLACEHOLDER_MARKERS = ("[to be generated", "[explanation]", "[apply ", "[with all affixes applied]")
"""Template slots that upstream (Dakota1890) rows left unfilled in their gold answers."""


def is_placeholder(answer: str) -> bool:
    """Golds that are not answers: empty, wholly bracketed ('[explanation]'), or holding
    an unfilled template slot such as '[TO BE GENERATED ...]' or '[apply first affix]'."""
    text = answer.strip()
    if not normalize(text) or (text.startswith("[") and text.endswith("]") and text.count("[") == 1):
        return True
    lowered = text.casefold()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while thousands of small objects are built.
    Each batch of allocations would otherwise start a collection over the whole heap,
    which in a trainer holds verifiers', torch's and the model's objects (on the shipped
    file, most of a fresh load went to it); nothing built here is cyclic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_decode = msgspec.json.Decoder().decode
"""msgspec's decoder: the same objects as json.loads, several times faster on a large file."""


def json_objects(lines: Iterable[str], label: str, allow_blank: bool = True) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each line of a JSONL source; a line that is not one
    JSON object (a blank one too, unless `allow_blank`) is a `DataError` naming it."""
    for number, line in enumerate(lines, start=1):
        where = f"{label}:{number}"
        if not line.strip():
            if allow_blank:
                continue
            raise DataError(f"{where}: empty line (expected one JSON object per line)")
        try:
            row = _decode(line)
        except msgspec.DecodeError:
            try:  # the stdlib parser's message names the column
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(row, dict):
            raise DataError(f"{where}: expected one JSON object per line, got {type(row).__name__}")
        yield number, row


def tsv_rows(path: Path, columns: tuple[str, ...], what: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data line of a hand-written TSV with exactly
    `columns`; a missing file, another header or a short line is a `DataError` naming it."""
    if not path.is_file():
        raise DataError(f"{path}: no such {what} file")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != columns:
            raise DataError(f"{path}:1: header must be {' '.join(columns)} (tab-separated)")
        for line, row in enumerate(reader, start=2):
            if None in row or any(value is None for value in row.values()):
                raise DataError(f"{path}:{line}: expected {len(columns)} tab-separated columns")
            yield line, row


def _require_str(row: dict[str, Any], key: str, where: str, allow_empty: bool = False) -> str:
    value = row.get(key)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise DataError(f"{where}: field {key!r} must be a non-empty string, got {value!r}")
    return value


def _str_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise DataError(f"{where}: field {key!r} must be a list of strings, got {value!r}")


def _project_task(row: dict[str, Any], where: str) -> GrammarTask:
    unknown = set(row) - set(PROJECT_REQUIRED) - set(PROJECT_OPTIONAL)
    if unknown:
        raise DataError(
            f"{where}: unknown field(s) {sorted(unknown)} (known: {list(PROJECT_REQUIRED + PROJECT_OPTIONAL)})"
        )
    split = row.get("split")
    if split is not None and split not in SPLITS:
        raise DataError(f"{where}: field 'split' must be one of {list(SPLITS)}, got {split!r}")
    morphemes = row.get("morphemes")
    if morphemes is not None and not (isinstance(morphemes, list) and all(isinstance(m, dict) for m in morphemes)):
        raise DataError(f"{where}: field 'morphemes' must be a list of objects, got {morphemes!r}")
    target_word = row.get("target_word", 0)
    if not isinstance(target_word, int) or isinstance(target_word, bool):
        raise DataError(f"{where}: field 'target_word' must be an integer, got {target_word!r}")
    source = row.get("source") or {}
    if not isinstance(source, dict):
        raise DataError(f"{where}: field 'source' must be an object, got {source!r}")
    base_form = row.get("base_form")
    if base_form is not None and not isinstance(base_form, str):
        raise DataError(f"{where}: field 'base_form' must be a string or null, got {base_form!r}")
    prompt = _require_str(row, "prompt", where)
    if "baseline" in row:
        baseline, baseline_source = _str_list(row["baseline"], "baseline", where), "data"
    else:
        baseline, baseline_source = tuple(candidates_for_prompt(prompt, [base_form or ""])), "prompt"
    return GrammarTask(
        task_id=_require_str(row, "id", where),
        task_type=_require_str(row, "task_type", where),
        difficulty=_require_str(row, "difficulty", where),
        prompt=prompt,
        answer=_require_str(row, "answer", where),
        accepted=_str_list(row.get("accepted"), "accepted", where),
        base_form=base_form,
        baseline=baseline,
        baseline_source=baseline_source,
        lemma=row.get("lemma"),
        gloss=row.get("gloss"),
        morphemes=tuple(morphemes) if morphemes is not None else None,
        target_word=target_word,
        split=split,
        source=source,
        origin=where,
    )


def _dakota1890_task(row: dict[str, Any], where: str) -> GrammarTask:
    info = row.get("info")
    if not isinstance(info, dict):
        raise DataError(f"{where}: field 'info' must be an object, got {info!r}")
    prompt = _require_str(row, "prompt", where)
    answer = _require_str(row, "answer", where, allow_empty=True)
    base = info.get("base_form")
    target = info.get("target_form")
    affixes = _str_list(info.get("required_affixes"), "info.required_affixes", where)
    task_id = row.get("task_id") or content_id(answer, {"prompt": prompt, "info": info})
    given = [text for text in (base, info.get("dakota_text")) if isinstance(text, str) and text.strip()]
    return GrammarTask(
        task_id=str(task_id),
        task_type=str(info.get("task_type", "unknown")),
        difficulty=str(info.get("difficulty", "unknown")),
        prompt=prompt,
        answer=answer,
        base_form=base if isinstance(base, str) and base.strip() else None,
        lemma=base if isinstance(base, str) else None,
        gloss=info.get("english_text") if isinstance(info.get("english_text"), str) else None,
        required_affixes=affixes,
        baseline=tuple(candidates_for_prompt(prompt, given, affixes)),
        baseline_source="prompt",
        source={
            "work": "Dakota1890",
            "pages": info.get("source_pages"),
            "rule_id": info.get("rule_id"),
            "target_form": target,
        },
        origin=where,
    )


def row_schema(row: dict[str, Any]) -> str:
    """'dakota1890' for a row with an `info` object, else 'project'."""
    return "dakota1890" if "info" in row else "project"


def task_from_row(row: dict[str, Any], where: str) -> GrammarTask:
    """One parsed row as a task, in either schema; a bad field is a `DataError`."""
    return _dakota1890_task(row, where) if row_schema(row) == "dakota1890" else _project_task(row, where)


def read_tasks(
    path: str | Path, skip_placeholders: bool = False, skip_duplicates: bool = False, check_golds: bool = True
) -> LoadedDataset:
    """Load every task of a JSONL file (either schema), checking each row and its gold.

    `skip_placeholders` and `skip_duplicates` drop placeholder (or empty) golds and
    repeated rows instead of failing; each dropped row is listed in `LoadedDataset.skipped`.
    `check_golds=False` skips building each gold (the rubric builds it when it scores),
    for the shipped file, whose every gold the test suite builds and scores."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such task file")
    tasks: list[GrammarTask] = []
    skipped: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    schemas: set[str] = set()
    with path.open(encoding="utf-8") as handle, collector_paused():
        for number, row in json_objects(handle, str(path)):
            where = f"{path}:{number}"
            schemas.add(row_schema(row))
            task = task_from_row(row, where)
            if is_placeholder(task.answer):
                if not skip_placeholders:
                    raise DataError(f"{where}: placeholder gold answer {task.answer!r}")
                skipped.append((number, f"placeholder gold {task.answer!r}"))
                continue
            if check_golds:
                try:
                    build_gold(task.answer, task.info())
                except GoldError as error:
                    raise DataError(f"{where}: {error}") from None
            if task.task_id in seen:
                if not skip_duplicates:
                    raise DataError(f"{where}: task id {task.task_id!r} already used on line {seen[task.task_id]}")
                skipped.append((number, f"duplicate of line {seen[task.task_id]}"))
                continue
            seen[task.task_id] = number
            tasks.append(task)
    if len(schemas) > 1:
        raise DataError(f"{path}: mixes the project and Dakota1890 schemas; use one per file")
    if not tasks:
        raise DataError(f"{path}: holds no tasks")
    return LoadedDataset(path=path, tasks=tasks, skipped=skipped, schema=schemas.pop())


def select_tasks(
    tasks: list[GrammarTask],
    split: str = "all",
    task_types: Iterable[str] = (),
    difficulties: Iterable[str] = (),
) -> list[GrammarTask]:
    """Filter by split ('train', 'test' or 'all'), task type and difficulty; an empty
    filter keeps everything. Asking for a split a file does not define is an error."""
    if split not in (*SPLITS, "all"):
        raise DataError(f"split must be one of {[*SPLITS, 'all']}, got {split!r}")
    if split != "all":
        unsplit = [task.origin for task in tasks if task.split is None]
        if unsplit:
            raise DataError(f"split {split!r} asked for, but {unsplit[0]} has no 'split' field; use split 'all'")
    types, levels = set(task_types), set(difficulties)
    known_types = {task.task_type for task in tasks}
    known_levels = {task.difficulty for task in tasks}
    if types - known_types:
        raise DataError(f"unknown task type(s) {sorted(types - known_types)}; the data has {sorted(known_types)}")
    if levels - known_levels:
        raise DataError(f"unknown difficulty(ies) {sorted(levels - known_levels)}; the data has {sorted(known_levels)}")
    return [
        task
        for task in tasks
        if (split == "all" or task.split == split)
        and (not types or task.task_type in types)
        and (not levels or task.difficulty in levels)
    ]


def choose_tasks(
    path: str | Path | None = None,
    split: str = "train",
    task_types: Iterable[str] = (),
    difficulties: Iterable[str] = (),
    seed: int | None = 0,
    num_tasks: int | None = None,
) -> list[GrammarTask]:
    """A taskset selection: read the file (None = the shipped data), filter, shuffle with
    `seed` (None keeps file order), keep the first `num_tasks`. The taskset, the TRL
    entry point and `dakota-grammar train` all select through this, so one selection
    means the same tasks everywhere."""
    if num_tasks is not None and num_tasks < 1:
        raise DataError(f"num_tasks must be at least 1, got {num_tasks}")
    tasks = select_tasks(
        read_tasks(path or shipped_data_path(), check_golds=path is not None).tasks,
        split=split,
        task_types=task_types,
        difficulties=difficulties,
    )
    if seed is not None:
        random.Random(seed).shuffle(tasks)
    return tasks if num_tasks is None else tasks[:num_tasks]
