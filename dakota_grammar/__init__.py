"""The id `dakota-grammar` (as in `vf-eval dakota-grammar`) imports this module; it
re-exports `dakota_grammar_env`, where everything lives."""

from __future__ import annotations

from typing import Any

import dakota_grammar_env as _env

__all__ = list(_env.__all__)
__version__ = _env.__version__


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(_env, name)
    raise AttributeError(f"module 'dakota_grammar' has no attribute {name!r}")
