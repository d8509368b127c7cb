"""The shipped dataset: built from ``data/lexicon.tsv``, ``data/paradigms.toml`` and
``data/sentences.tsv`` by `generator.generate`, written to
``data/dakota_grammar_tasks.jsonl``. The file is
committed so installs need no build step; a test rebuilds it and requires the same
bytes, so the file never drifts from its sources."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dakota_grammar_env.generator import GeneratorConfig, generate, write_dataset
from dakota_grammar_env.lexicon import read_lexicon
from dakota_grammar_env.loading import collector_paused
from dakota_grammar_env.sentences import read_sentences
from dakota_grammar_env.tasks import GrammarTask

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
