"""A fast-loading copy of the text embedder: the same model exported once to ONNX, run with onnxruntime.

Importing sentence-transformers (and with it torch and transformers) takes seconds; a fresh
process that only needs one query vector pays that before it can answer. The first time a
process loads a sentence-transformers model from a local folder, :func:`export` traces that
very model (transformer + pooling, fp32) to ONNX under the cache folder, runs the copy on probe
texts and keeps it only if every vector agrees with the original to a cosine of at least
:data:`MIN_COSINE`. Later processes embed queries with :class:`OnnxEncoder` (onnxruntime +
the model's own ``tokenizer.json`` through ``tokenizers``): no torch import, a few hundred ms.

Nothing is downloaded: the copy is made here from the installed weights. Where an export
cannot be made (no ``onnx`` package, an architecture the tracer cannot follow, vectors that
disagree) a ``failed`` note records why and the embedder keeps using sentence-transformers.

The cache folder is ``$MODELHUB_CACHE_DIR``, else ``$XDG_CACHE_HOME/modelhub``, else
``~/.cache/modelhub``; each export lives in ``onnx/<model>-<key>/`` where the key is a digest
of the model folder's files (names, sizes, modification times) and of the exporter's
versions, and ``manifest.json`` there records the sha256 of the weights it was made from.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Bump when the exported graph or the manifest changes shape: older copies are then made again.
FORMAT = 1
#: The least cosine between the ONNX copy's vector and sentence-transformers' for a probe text.
MIN_COSINE = 0.9999
MODEL_FILE = "model.onnx"
#: Padded tokens per batch of :meth:`OnnxEncoder.encode_many` (64 short texts or 16 of 256 tokens).
BATCH_TOKENS = 4096
#: Padded tokens per batch of an :class:`OnnxPool`: one session per core running small batches,
#: whose activations stay in the core's cache. On the 2-core development machine two one-thread
#: sessions on batches of <= 512 tokens embed the corpus's code chunks in 14.4 s, one two-thread
#: session on batches of 4096 in 21.7 s (int8 copy, medians of 3, ``bench_embed_cpu.py``).
POOL_BATCH_TOKENS = 512
#: Sessions of a pool at most (each holds its own copy of the weights).
POOL_MAX_SESSIONS = 4
#: Texts an export is checked on: code, prose, identifiers, unicode, one past the token limit.
PROBES = [
    "learning rate warmup scheduler",
    "a",
    "class CausalSelfAttention(nn.Module):\n    def forward(self, x):\n        return self.c_proj(y)",
    "Which GAN discriminator uses spectral norm? 生成器 — naïve café",
    "ResNet-50 trained on CIFAR-10 with AdamW, lr=3e-4, batch_size=128",
    " ".join(f"token{i} layer_norm hidden_size=768" for i in range(120)),
]


def cache_dir() -> Path:
    """Where exported models are kept (``$MODELHUB_CACHE_DIR`` or the user's cache folder)."""
    explicit = os.environ.get("MODELHUB_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "modelhub"


def _versions() -> str:
    """The exporter's versions, without importing it (reading package metadata is cheap)."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("torch", "transformers", "sentence-transformers", "tokenizers"):
        try:
            parts.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name}=none")
    return ",".join(parts)


def export_dir(model_ref: str, slug: str) -> Path | None:
    """The folder holding (or to hold) the ONNX copy of the local model folder ``model_ref``.

    None when ``model_ref`` is not a local sentence-transformers folder with a ``tokenizer.json``.
    """
    root = Path(model_ref)
    try:
        if not (root / "modules.json").is_file() or not (root / "tokenizer.json").is_file():
            return None
        digest = hashlib.sha256(f"{FORMAT}|{root.resolve()}|{_versions()}".encode())
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"|{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    except OSError:
        return None
    return cache_dir() / "onnx" / f"{slug}-{digest.hexdigest()[:16]}"


def available(folder: Path | None) -> bool:
    """Whether ``folder`` holds a finished, checked export."""
    return folder is not None and (folder / "manifest.json").is_file()


def failed(folder: Path | None) -> bool:
    """Whether an export of this model was tried here and given up (see the ``.failed`` note)."""
    return folder is not None and folder.with_name(folder.name + ".failed").is_file()


def _weights_sha256(root: Path) -> str:
    digest = hashlib.sha256()
    for name in ("model.safetensors", "pytorch_model.bin"):
        path = root / name
        if path.is_file():
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()
    return ""


def export(model: Any, model_ref: str, folder: Path) -> bool:
    """Trace the loaded fp32 sentence-transformers ``model`` to ``folder``; True when kept.

    Written to a temporary folder and renamed into place, so a reader never sees half an
    export and two processes exporting at once leave one copy. Any failure is logged (debug),
    noted beside the folder so it is not tried again with the same versions, and swallowed.
    """
    if available(folder) or failed(folder):
        return available(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".export-"))
        try:
            _trace(model, Path(model_ref), tmp)
            worst = _check(model, tmp)
            if worst < MIN_COSINE:
                raise ValueError(f"ONNX vectors differ from sentence-transformers' (cosine {worst:.6f})")
            manifest = {
                "format": FORMAT,
                "model": str(Path(model_ref).resolve()),
                "weights_sha256": _weights_sha256(Path(model_ref)),
                "versions": _versions(),
                "max_seq_length": int(model.max_seq_length or 256),
                "min_probe_cosine": worst,
            }
            _publish(tmp, folder, manifest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.debug("modelhub: exported %s to %s", model_ref, folder)
        return True
    except Exception as err:  # noqa: BLE001 - the embedder goes on with sentence-transformers
        log.debug("modelhub: no ONNX export of %s: %s", model_ref, err, exc_info=err)
        _note_failure(folder, err)
        return False


def _trace(model: Any, root: Path, dest: Path) -> None:
    """torch.onnx.export of every module of ``model`` (transformer, pooling, normalise) over ids + mask."""
    import torch

    modules = list(model)
    inner = getattr(modules[0], "auto_model", None)
    attention = getattr(getattr(inner, "config", None), "_attn_implementation", None)

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stages = torch.nn.ModuleList(modules)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            for stage in self.stages:
                features = stage(features)
            return features["sentence_embedding"]

    # A padded example with explicit ("eager") attention: the mask stays a real input of the graph.
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    if inner is not None and attention not in (None, "eager"):
        inner.set_attn_implementation("eager")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pipeline().eval(),
                (ids, mask),
                str(dest / "traced.onnx"),
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
    finally:
        if inner is not None and attention not in (None, "eager"):
            inner.set_attn_implementation(attention)
    import onnx

    # Weights in a side file: onnxruntime maps it instead of parsing 90 MB of protobuf (~2x faster to open).
    graph = onnx.load(str(dest / "traced.onnx"))
    onnx.save_model(
        graph, str(dest / MODEL_FILE), save_as_external_data=True, all_tensors_to_one_file=True,
        location=MODEL_FILE + ".data", size_threshold=1024,
    )  # fmt: skip
    (dest / "traced.onnx").unlink()
    shutil.copyfile(root / "tokenizer.json", dest / "tokenizer.json")


def _check(model: Any, folder: Path) -> float:
    """The least cosine, over :data:`PROBES`, between the copy in ``folder`` and ``model``."""
    import torch

    with torch.no_grad():
        expected = model.encode(PROBES, convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
    encoder = OnnxEncoder(folder, max_length=int(model.max_seq_length or 256), threads=1)
    got = np.concatenate([encoder.encode(PROBES[:3]), encoder.encode(PROBES[3:])])  # batches pad
    expected /= np.maximum(np.linalg.norm(expected, axis=1, keepdims=True), 1e-12)
    return float((got * expected).sum(axis=1).min())


#: Folder suffix of the int8 copy of an export (:func:`quantize`).
INT8_SUFFIX = "-int8"
#: The least cosine between the int8 copy's vector and the fp32 copy's for a probe text. Per-channel
#: int8 weights keep a mean cosine of about 0.993 on code chunks (worst 0.987 over 1,158 chunks of the
#: development corpus), which leaves retrieval where it was; per-tensor int8 falls to 0.86.
MIN_INT8_COSINE = 0.97


def int8_dir(folder: Path) -> Path:
    """Where the int8 copy of the export in ``folder`` is (or would be) kept."""
    return folder.with_name(folder.name + INT8_SUFFIX)


def quantize_file(source: Path, target: Path, *, per_channel: bool) -> None:
    """onnxruntime's ``quantize_dynamic`` (int8 weights) of the graph ``source`` into ``target``,
    leaving the process's logging as it was: the quantizer's advice goes through the root logger,
    whose first module-level ``logging.warning()`` would also call ``basicConfig()``, and every
    later log line of the process would then carry a "WARNING:logger.name:" prefix."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)  # "consider pre-processing the model" advice
    try:
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=per_channel)
    finally:
        root.setLevel(level)
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)


def quantize(folder: Path | None) -> Path | None:
    """The int8 copy of the checked export in ``folder``, made here the first time; None if it cannot be.

    onnxruntime's ``quantize_dynamic`` with per-channel int8 weights for every MatMul (activations are
    quantised per batch as it runs): about 1.5x faster on CPUs with VNNI and a quarter of the size.
    No torch, nothing downloaded: it is derived from the fp32 copy, checked against it on
    :data:`PROBES` (cosine >= :data:`MIN_INT8_COSINE`), written to a temporary folder and renamed
    into place; a failure leaves a ``.failed`` note, as :func:`export` does.
    """
    if folder is None or not available(folder):
        return None
    target = int8_dir(folder)
    if available(target) or failed(target):
        return target if available(target) else None
    try:
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".int8-"))
        try:
            quantize_file(folder / MODEL_FILE, tmp / MODEL_FILE, per_channel=True)
            shutil.copyfile(folder / "tokenizer.json", tmp / "tokenizer.json")
            parent = json.loads((folder / "manifest.json").read_text())
            got = OnnxEncoder(tmp, max_length=parent.get("max_seq_length"), threads=1).encode(PROBES)
            want = OnnxEncoder(folder, threads=1).encode(PROBES)
            worst = float((got * want).sum(axis=1).min())
            if worst < MIN_INT8_COSINE:
                raise ValueError(f"int8 vectors differ from the fp32 copy's (cosine {worst:.4f})")
            manifest = {
                "format": FORMAT, "quantization": "int8-dynamic-per-channel", "parent": folder.name,
                "max_seq_length": parent.get("max_seq_length", 256), "min_probe_cosine": worst,
            }  # fmt: skip
            _publish(tmp, target, manifest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target
    except Exception as err:  # noqa: BLE001 - the embedder goes on with the fp32 copy
        log.debug("modelhub: no int8 copy of %s: %s", folder, err, exc_info=err)
        _note_failure(target, err)
        return None


class OnnxEncoder:
    """An exported text model: ``encode(texts)`` gives unit-length float32 rows, as the original."""

    def __init__(self, folder: Path, *, max_length: int | None = None, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        manifest = json.loads((folder / "manifest.json").read_text()) if available(folder) else {}
        self.folder = folder
        self.max_length = int(max_length or manifest.get("max_seq_length") or 256)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        if (
            threads != 1
        ):  # idle workers sleep instead of spinning: on a busy machine spinning steals the cores
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """One padded batch through the graph; rows normalised to unit length."""
        return self._run(self.tokenizer.encode_batch(texts))

    def encode_many(
        self,
        texts: list[str],
        *,
        max_rows: int = 64,
        max_tokens: int = BATCH_TOKENS,
        max_length: int | None = None,
    ) -> np.ndarray:
        """Any number of texts, tokenized once, sorted by token count and run in batches of similar
        length (at most ``max_rows`` rows and ``max_tokens`` padded tokens), so that little is
        padding; rows come back in the callers' order. ``max_length`` (below the model's): texts
        are cut to that many tokens, as sentence-transformers cuts them (``[CLS]`` text ``[SEP]``)."""
        encodings = self.tokenize(texts, max_length)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for rows in batches(encodings, max_rows, max_tokens):
            out[rows] = self._run([encodings[i] for i in rows])
        return out

    def tokenize(self, texts: list[str], max_length: int | None = None) -> list[Any]:
        """The texts' encodings, cut to ``max_length`` tokens (``[CLS]`` text ``[SEP]``) when given."""
        encodings: list[Any] = self.tokenizer.encode_batch(texts)
        if max_length is not None and max_length < self.max_length:
            encodings = [
                _Cut(e.ids[: max_length - 1] + e.ids[-1:]) if len(e.ids) > max_length else e
                for e in encodings
            ]
        return encodings

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max((len(e.ids) for e in encodings), default=0)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        with self._lock:
            (out,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        out = np.asarray(out, dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def batches(encodings: list[Any], max_rows: int, max_tokens: int) -> list[list[int]]:
    """Row indexes of ``encodings`` in batches of similar length, shortest first: at most
    ``max_rows`` rows and ``max_tokens`` padded tokens each (one text alone may exceed it)."""
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    out: list[list[int]] = []
    start = 0
    while start < len(order):
        width = max(1, len(encodings[order[start]].ids))
        end = start + 1
        while end < len(order) and end - start < max_rows:
            width = max(width, len(encodings[order[end]].ids))
            if (end - start + 1) * width > max_tokens:
                break
            end += 1
        out.append(order[start:end])
        start = end
    return out


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class OnnxPool:
    """Several sessions of one exported model, each on its own core(s), taking batches from a
    shared queue: what embeds an index run's documents. One session per core (at most
    :data:`POOL_MAX_SESSIONS`, the cores shared out among them) on small batches
    (:data:`POOL_BATCH_TOKENS`) is about 1.5x faster than one session on all cores, whose threads
    wait for each other at every operation; a core another process holds slows one session only."""

    def __init__(self, folder: Path, *, max_length: int | None = None, sessions: int | None = None) -> None:
        cpus = usable_cpus()
        count = max(1, min(sessions or cpus, POOL_MAX_SESSIONS))
        self.sessions = [
            OnnxEncoder(folder, max_length=max_length, threads=max(1, cpus // count)) for _ in range(count)
        ]
        first = self.sessions[0]
        self.folder, self.dim, self.max_length, self.tokenizer = (
            first.folder, first.dim, first.max_length, first.tokenizer,
        )  # fmt: skip

    def encode_many(
        self,
        texts: list[str],
        *,
        max_rows: int = 64,
        max_tokens: int = POOL_BATCH_TOKENS,
        max_length: int | None = None,
    ) -> np.ndarray:
        """As :meth:`OnnxEncoder.encode_many`, the batches shared out among the sessions."""
        encodings = self.sessions[0].tokenize(texts, max_length)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        todo = batches(encodings, max_rows, max_tokens)[::-1]  # popped from the end: shortest first
        lock = threading.Lock()
        failed: list[BaseException] = []

        def work(session: OnnxEncoder) -> None:
            while not failed:
                with lock:
                    if not todo:
                        return
                    rows = todo.pop()
                try:
                    out[rows] = session._run([encodings[i] for i in rows])
                except BaseException as err:  # noqa: BLE001 - raised in the caller's thread below
                    failed.append(err)

        threads = [threading.Thread(target=work, args=(s,), daemon=True) for s in self.sessions[1:]]
        for thread in threads:
            thread.start()
        work(self.sessions[0])
        for thread in threads:
            thread.join()
        if failed:
            raise failed[0]
        return out


#: What embeds texts: one session, or a pool of them.
Encoder = OnnxEncoder | OnnxPool


class _Cut:
    """An encoding cut to fewer tokens (only ``ids`` is read)."""

    __slots__ = ("ids",)

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids


def _publish(tmp: Path, target: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` into the finished folder ``tmp`` and move it to ``target``, readable
    by all (mkdtemp and onnx make files private; other users may share the cache). A copy another
    process finished first is kept."""
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    for path in tmp.iterdir():
        path.chmod(0o644)
    tmp.chmod(0o755)
    try:
        os.rename(tmp, target)
    except OSError:
        if not available(target):
            raise


def _note_failure(folder: Path, err: Exception) -> None:
    """Leave ``<folder>.failed`` with the reason, so that the copy is not attempted again."""
    try:
        folder.with_name(folder.name + ".failed").write_text(f"{type(err).__name__}: {err}\n")
    except OSError:
        pass
