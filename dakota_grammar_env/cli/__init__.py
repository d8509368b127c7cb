"""The `dakota-grammar` command: one parser, with the `data` and `ledger` command groups
in modules of their own. The top layer: it may import anything, nothing imports it.
Heavy modules are imported inside the command that needs them, so `--help` and `score`
start fast.
"""

from dakota_grammar_env.cli.commands import main

__all__ = ["main"]
