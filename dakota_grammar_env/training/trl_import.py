"""Import the training extra's packages with a one-line error that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRA_HINT = "pip install 'dakota-grammar-env[train]' (with a CPU torch first, see the README)"


class MissingExtraError(ImportError):
    """A package of the ``train`` extra is not installed."""


def require(module: str) -> ModuleType:
    """The module, or `MissingExtraError` naming the ``train`` extra."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        top = module.split(".")[0]
        if error.name is not None and error.name.split(".")[0] in {top, "torch", "transformers", "trl", "datasets"}:
            raise MissingExtraError(
                f"`{error.name}` is not installed; training needs the train extra: {EXTRA_HINT}"
            ) from None
        raise
