"""The text embedder a registered version runs as, and a real derived version: an int8 copy.

A ``sentence-transformers`` version runs as :class:`~modelhub_jupyter.embed.text.TextEmbedder`;
an ``onnx`` version (a folder with ``model.onnx`` + ``tokenizer.json``, e.g. the int8 copy made by
:func:`quantize_int8`) runs through onnxruntime alone. Either stores its vectors under the
version's ``vector_key``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..embed import onnx_model
from ..embed.text import TextEmbedder
from ..errors import BadInputError
from .store import VersionRow


class OnnxFolderEmbedder(TextEmbedder):
    """A text embedder that is only an ONNX graph and its tokenizer (no sentence-transformers folder)."""

    def __init__(self, folder: str | Path, name: str, *, batch_size: int = 32) -> None:
        super().__init__(
            str(folder), batch_size=batch_size, precision="fp32", backend="onnx", doc_precision="fp32"
        )
        self.name = name
        self._onnx_folder = Path(folder)
        manifest = Path(folder) / "manifest.json"
        self.precision = "int8" if manifest.is_file() and "int8" in manifest.read_text() else "fp32"

    def prepare(self, note: Callable[[str], None] | None = None) -> None:
        """Nothing to make: the folder is the graph that runs."""

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return super().embed(texts)
        vectors = self._embed_onnx(texts)
        if vectors is None:
            raise RuntimeError(f"cannot run the ONNX model in {self.model_ref}")
        return vectors


def embedder_for(v: VersionRow) -> TextEmbedder:
    """The embedder that runs version ``v`` (a ``text_embedding`` version)."""
    if v.model_type != "text_embedding" or not v.vector_key:
        raise BadInputError(f"{v.model} {v.version} is a {v.model_type} version, not a text embedder")
    batch = int(v.inference_config.get("batch_size", 16))
    if v.format == "onnx":
        return OnnxFolderEmbedder(v.path, v.vector_key, batch_size=batch)
    embedder = TextEmbedder(
        v.path,
        batch_size=batch,
        precision=str(v.inference_config.get("precision", "auto")),
        doc_precision="int8" if v.vector_key.endswith(onnx_model.INT8_SUFFIX) else "fp32",
    )
    embedder.name = v.vector_key
    return embedder


def _onnx_source(v: VersionRow) -> Path:
    """The fp32 ONNX graph of ``v``: its own, or the checked export of its sentence-transformers folder."""
    if v.format == "onnx":
        return Path(v.path)
    embedder = TextEmbedder(v.path, precision="fp32", backend="auto")
    folder = embedder.onnx_folder
    if folder is None:
        raise BadInputError(f"{v.model} {v.version}: no ONNX copy can be made of {v.path}")
    if not onnx_model.available(folder):
        embedder._load()  # exports the copy (checked against the original) the first time
    if not onnx_model.available(folder):
        raise BadInputError(f"{v.model} {v.version}: the ONNX export failed (see {folder}.failed)")
    return folder


def quantize_int8(v: VersionRow, dest: str | Path) -> Path:
    """Write an int8 dynamically-quantised ONNX copy of text embedder ``v`` into the new folder ``dest``.

    Weights of the MatMul/Gemm layers become int8 (onnxruntime ``quantize_dynamic``); the folder
    gets the tokenizer, the source's ``config.json`` and a model card naming its parent.
    """
    target = Path(dest).expanduser()
    if target.exists() and any(target.iterdir()):
        raise BadInputError(f"{target}: exists and is not empty", path=str(target))
    source = _onnx_source(v)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".int8-"))
    try:
        onnx_model.quantize_file(
            source / onnx_model.MODEL_FILE, tmp / onnx_model.MODEL_FILE, per_channel=False
        )
        shutil.copyfile(source / "tokenizer.json", tmp / "tokenizer.json")
        manifest = (
            json.loads((source / "manifest.json").read_text()) if (source / "manifest.json").is_file() else {}
        )
        (tmp / "manifest.json").write_text(json.dumps({
            "format": onnx_model.FORMAT, "quantization": "int8-dynamic", "parent": f"{v.model}:{v.version}",
            "parent_sha256": v.checkpoint_sha256, "max_seq_length": manifest.get("max_seq_length", 256),
        }, indent=2))  # fmt: skip
        config = Path(v.path) / "config.json"
        if config.is_file():
            shutil.copyfile(config, tmp / "config.json")
        (tmp / "README.md").write_text(
            "---\n"
            f"base_model: {v.model}\n"
            "pipeline_tag: sentence-similarity\n"
            "library_name: onnxruntime\n"
            "tags: [sentence-similarity, onnx, int8, quantized]\n"
            "---\n"
            f"# {v.model} int8\n\nDynamically quantised (int8 weights, onnxruntime) copy of "
            f"{v.model} {v.version} ({v.checkpoint_sha256[:12]}).\n"
        )
        tmp.rename(target) if not target.exists() else _move_into(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _move_into(tmp: Path, target: Path) -> None:
    for p in tmp.iterdir():
        p.rename(target / p.name)
