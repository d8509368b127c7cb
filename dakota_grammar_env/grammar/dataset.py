"""The shipped dataset: built from ``data/lexicon.tsv``, ``data/paradigms.toml`` and
``data/sentences.tsv`` by `generator.generate`, written to
``data/dakota_grammar_tasks.jsonl``. The file is
committed so installs need no build step; a test rebuilds it and requires the same
bytes, so the file never drifts from its sources."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from dakota_grammar_env.grammar.generator import GeneratorConfig, generate
from dakota_grammar_env.grammar.lexicon import read_lexicon
from dakota_grammar_env.grammar.sentences import read_sentences
from dakota_grammar_env.tasks.loading import collector_paused
from dakota_grammar_env.tasks.task import GrammarTask

DATASET_FILE = "dakota_grammar_tasks.jsonl"
LEXICON_FILE = "lexicon.tsv"
SENTENCES_FILE = "sentences.tsv"


def data_dir() -> Path:
    """The package's data folder (``data/`` in a checkout)."""
    return Path(str(resources.files("dakota_grammar_env").joinpath("data")))


def build_tasks(seed: int = 0, lexicon_path: str | Path | None = None) -> list[GrammarTask]:
    lexicon = read_lexicon(lexicon_path or data_dir() / LEXICON_FILE)
    sentences = read_sentences(data_dir() / SENTENCES_FILE)
    with collector_paused():
        return generate(lexicon, GeneratorConfig(seed=seed), sentences)


def build_dataset(
    out: str | Path | None = None, seed: int = 0, lexicon_path: str | Path | None = None
) -> tuple[Path, list[GrammarTask]]:
    """Generate the tasks and write them (by default over the shipped file)."""
    tasks = build_tasks(seed, lexicon_path)
    return write_dataset(tasks, out or data_dir() / DATASET_FILE), tasks


def task_row(task: GrammarTask) -> dict:
    """A task as one line of the project's JSONL schema."""
    row = {
        "id": task.task_id,
        "task_type": task.task_type,
        "difficulty": task.difficulty,
        "prompt": task.prompt,
        "answer": task.answer,
        "accepted": list(task.accepted),
        "lemma": task.lemma,
        "gloss": task.gloss,
        "base_form": task.base_form,
        "morphemes": list(task.morphemes) if task.morphemes is not None else [],
        "target_word": task.target_word,
        "baseline": list(task.baseline),
        "source": task.source,
        "split": task.split,
    }
    return row


def write_dataset(tasks: Sequence[GrammarTask], path: str | Path) -> Path:
    """Write tasks as JSONL (same bytes for the same tasks)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(task_row(task), ensure_ascii=False) + "\n" for task in tasks)
    path.write_text(text, encoding="utf-8")
    return path
