"""The optional extras, and the one-line error for a missing one.

The core needs none of them; a command that does checks for its extra before it starts
work and, when a package is absent, raises `MissingExtraError`, which names the extra to
install. The CLI prints it as one line and exits 2. Any layer may import this module; it
imports nothing of the package.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

EXTRAS: dict[str, tuple[str, ...]] = {
    "v1": ("verifiers",),
    "wandb": ("wandb",),
    "plots": ("matplotlib",),
    "embedded": ("torch", "transformers", "gguf", "accelerate", "matplotlib"),
    "train": ("torch", "transformers", "gguf", "accelerate", "matplotlib", "trl", "datasets"),
}
"""Each extra of pyproject.toml and the top-level modules it provides."""

_TORCH_NOTE = " (install a CPU torch first: see the README)"


class MissingExtraError(ImportError):
    """A package of an optional extra is not installed."""

    def __init__(self, extra: str, package: str, purpose: str) -> None:
        note = _TORCH_NOTE if extra in ("embedded", "train") else ""
        super().__init__(
            f"{purpose} needs the '{extra}' extra ({package} is not installed): "
            f"pip install 'dakota-grammar-env[{extra}]'{note}",
            name=package,
        )
        self.extra, self.package = extra, package


def _absent(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # a parent that fails to import, or a module set to None
        return True


def require_extra(extra: str, purpose: str) -> None:
    """Raise `MissingExtraError` unless every package of `extra` can be found (nothing is imported)."""
    for module in EXTRAS[extra]:
        if _absent(module):
            raise MissingExtraError(extra, module, purpose)


def import_from_extra(module: str, extra: str, purpose: str) -> ModuleType:
    """Import `module`, or raise `MissingExtraError` if it, or a package of `extra` it needs, is absent."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = (error.name or module).split(".")[0]
        if missing == module.split(".")[0] or missing in EXTRAS[extra]:
            raise MissingExtraError(extra, missing, purpose) from None
        raise
