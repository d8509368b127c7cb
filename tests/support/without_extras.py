"""A Python without some optional extras, for real: a fresh virtual environment whose
site-packages links every entry of this one except the named packages. No stub and no
import hook: the packages are simply not there, as on a machine that never installed
the extra, so `import wandb` and `importlib.util.find_spec` fail the way they fail there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

EXTRA_PACKAGES = {
    "wandb": ("wandb",),
    "plots": ("matplotlib", "mpl_toolkits", "pylab"),
    "embedded": ("torch", "torchgen", "transformers", "gguf", "accelerate"),
    "train": ("trl", "datasets"),
}
"""Per extra, the top-level names of the packages a machine without it lacks (train
lists only what it adds to embedded)."""


def _top_name(entry: str) -> str:
    """'wandb-0.31.0.dist-info' -> 'wandb', 'pylab.py' -> 'pylab', 'torch' -> 'torch'."""
    return re.split(r"[-.]", entry, maxsplit=1)[0].lower()


def python_without(root: Path, *extras: str) -> Path:
    """The interpreter of a new environment under `root` that lacks `extras`."""
    blocked = {name for extra in extras for name in EXTRA_PACKAGES[extra]}
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    ours = Path(sysconfig.get_paths()["purelib"])
    theirs = Path(sysconfig.get_paths(vars={"base": str(root), "platbase": str(root)})["purelib"])
    for entry in ours.iterdir():
        if _top_name(entry.name) not in blocked and not (theirs / entry.name).exists():
            os.symlink(entry, theirs / entry.name)
    python = root / "bin" / "python"
    check = f"import importlib.util as u; assert all(u.find_spec(m) is None for m in {sorted(blocked)!r})"
    subprocess.run([str(python), "-c", check], check=True)
    return python
