"""Chroma collections, one per document kind and embedding model.

Embedded (``PersistentClient`` under the home) by default; ``MODELHUB_CHROMA_URL``
points the same code at a Chroma server. Metadata is flattened to dotted keys with
dates as epoch seconds so range filters work; writes are batched within the
client's maximum batch size.

Chroma (and its ~1,000-module import) is opened on first use. Dense search over up to
:data:`CHROMA_FROM` documents of a kind is exact over the catalog's own vectors
(``search.engine.EXACT_DENSE_MAX``), so an index run into a local store leaves a small kind's
vectors out of Chroma (:meth:`VectorStore.defers`) and a run over a small workspace never
imports it; once a kind grows past that, the indexer fills its collection from the catalog.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from ..vocabulary import KINDS, UNINDEXED_KEYS, flatten

if TYPE_CHECKING:
    from .catalog import Catalog

#: Documents of a kind up to which local Chroma need not hold them (== ``search.engine.EXACT_DENSE_MAX``).
CHROMA_FROM = 20_000


def chroma_metadata(metadata: dict[str, Any]) -> dict[str, str | int | float | bool]:
    """Flatten nested metadata into Chroma's scalar-only form (lists joined, dates as epoch ints)."""
    out: dict[str, str | int | float | bool] = {}
    for key, value in flatten(metadata).items():
        if key.split(".")[0] in UNINDEXED_KEYS or value is None or value == [] or value == {}:
            continue
        if isinstance(value, bool | int | float):
            out[key] = value
        elif isinstance(value, list):
            out[key] = ",".join(str(v) for v in value)[:2000]
        elif isinstance(value, str) and key.endswith("_date"):
            try:
                out[key] = int(datetime.fromisoformat(value).timestamp())
            except ValueError:
                out[key] = value
        else:
            out[key] = str(value)[:2000]
    return out


class VectorStore:
    """kNN over document vectors; a disposable copy of what the catalog holds."""

    def __init__(self, path: Path, model_name: str, url: str | None = None) -> None:
        self.path = path
        self.url = url
        self.location = url or str(path)
        self.model_name = model_name
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def local(self) -> bool:
        """Embedded Chroma under the home (not a server)."""
        return not self.url

    def defers(self, documents: int) -> bool:
        """Whether a kind with ``documents`` documents may stay out of this store (local, small)."""
        return self.local and documents <= CHROMA_FROM

    @property
    def client(self) -> Any:
        """The Chroma client, opened (and Chroma imported) on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._open()
        return self._client

    def _open(self) -> Any:
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
        if self.url:
            parsed = urlparse(self.url)
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        self.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.path), settings=settings)

    @property
    def max_batch(self) -> int:
        return int(self.client.get_max_batch_size())

    def collection_name(self, kind: str) -> str:
        return f"{kind}-{self.model_name}"[:63]

    def collection(self, kind: str) -> Any:
        if kind not in self._collections:
            self._collections[kind] = self.client.get_or_create_collection(
                self.collection_name(kind), metadata={"hnsw:space": "cosine"}
            )
        return self._collections[kind]

    def upsert(
        self,
        kind: str,
        ids: list[str],
        vectors: np.ndarray,
        metadatas: list[dict[str, Any]],
    ) -> None:
        """Vectors and filterable metadata; the text stays in the catalog (it would cost a third of the write)."""
        col = self.collection(kind)
        step = self.max_batch
        for start in range(0, len(ids), step):
            end = start + step
            col.upsert(
                ids=ids[start:end],
                embeddings=vectors[start:end],
                metadatas=[chroma_metadata(m) or {"kind": kind} for m in metadatas[start:end]],
            )

    def delete(self, kind: str, ids: list[str]) -> None:
        col = self.collection(kind)
        step = self.max_batch
        for start in range(0, len(ids), step):
            col.delete(ids=ids[start : start + step])

    def query(self, kind: str, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Nearest ``n`` ids with cosine similarity, best first."""
        col = self.collection(kind)
        count = col.count()
        if count == 0:
            return []
        res = col.query(query_embeddings=[vector], n_results=min(n, count), include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def count(self, kind: str) -> int:
        return int(self.collection(kind).count())

    def drop(self, kind: str) -> None:
        """Drop one kind's collection (it is made again, empty, on next use)."""
        try:
            self.client.delete_collection(self.collection_name(kind))
        except Exception:  # noqa: BLE001 - missing collection is fine
            pass
        self._collections.pop(kind, None)

    def reset(self) -> None:
        """Drop this model's collections (``rebuild`` fills them again from the catalog)."""
        for kind in KINDS:
            try:
                self.client.delete_collection(self.collection_name(kind))
            except Exception:  # noqa: BLE001 - missing collection is fine
                pass
        self._collections.clear()


# -- kinds left out of a local store while they are small (the indexer's side) ----------------


def deferred_key(kind: str) -> str:
    """Catalog meta key noting that the vector store does not hold every document of ``kind``."""
    return f"vectors.deferred.{kind}"


def defer_kind(
    catalog: Catalog, vectors: VectorStore, kind: str, ids: list[str], counts: dict[str, int]
) -> bool:
    """Leave documents ``ids`` of ``kind`` out of ``vectors`` when it may (local, a small kind):
    they are marked synced and the kind noted as not held in full. True when left out."""
    if not vectors.defers(counts.get(kind, 0)):
        return False
    if not catalog.get_meta(deferred_key(kind)):
        catalog.set_meta(deferred_key(kind), "1")
    catalog.mark_synced(ids)
    return True


def fill_deferred(catalog: Catalog, vectors: VectorStore, counts: dict[str, int] | None = None) -> list[str]:
    """Kinds left out that the store must now hold (grown past :data:`CHROMA_FROM`, or a server):
    their collection is dropped and all their documents marked unsynced, so that the indexer's
    reconcile pushes them (and search stays exact until it has). Returns those kinds."""
    counts = catalog.document_counts() if counts is None else counts
    kinds = [k for k in KINDS if (not vectors.defers(counts.get(k, 0))) and catalog.get_meta(deferred_key(k))]
    for kind in kinds:
        with catalog.transaction() as db:
            db.execute("UPDATE documents SET synced=0 WHERE kind=?", (kind,))
            catalog.set_meta(deferred_key(kind), "")
        vectors.drop(kind)
    return kinds


def clear_deferred(catalog: Catalog) -> None:
    """Every kind is held in full again (after a rebuild pushed everything)."""
    for kind in KINDS:
        if catalog.get_meta(deferred_key(kind)):
            catalog.set_meta(deferred_key(kind), "")


def is_deferred(catalog: Catalog, kind: str) -> bool:
    return bool(catalog.get_meta(deferred_key(kind)))
