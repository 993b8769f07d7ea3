"""Chroma collections, one per document kind and embedding model.

Embedded (``PersistentClient`` under the home) by default; ``MODELHUB_CHROMA_URL``
points the same code at a Chroma server. Metadata is flattened to dotted keys with
dates as epoch seconds so range filters work; writes are batched within the
client's maximum batch size.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ..vocabulary import KINDS, UNINDEXED_KEYS, flatten


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
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
        if url:
            parsed = urlparse(url)
            self.client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=settings,
            )
            self.location = url
        else:
            path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(path), settings=settings)
            self.location = str(path)
        self.model_name = model_name
        self._collections: dict[str, Any] = {}
        self.max_batch = int(self.client.get_max_batch_size())

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
        for start in range(0, len(ids), self.max_batch):
            end = start + self.max_batch
            col.upsert(
                ids=ids[start:end],
                embeddings=vectors[start:end],
                metadatas=[chroma_metadata(m) or {"kind": kind} for m in metadatas[start:end]],
            )

    def delete(self, kind: str, ids: list[str]) -> None:
        col = self.collection(kind)
        for start in range(0, len(ids), self.max_batch):
            col.delete(ids=ids[start : start + self.max_batch])

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

    def reset(self) -> None:
        """Drop this model's collections (``rebuild`` fills them again from the catalog)."""
        for kind in KINDS:
            try:
                self.client.delete_collection(self.collection_name(kind))
            except Exception:  # noqa: BLE001 - missing collection is fine
                pass
        self._collections.clear()
