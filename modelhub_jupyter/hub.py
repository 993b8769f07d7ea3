"""``Hub``: the one public facade every surface (CLI, magics, widgets) calls."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schemas
from .config import Settings
from .embed.text import TextEmbedder
from .ingest.scanner import ScanOptions
from .results import IndexReport, SearchResults
from .search.engine import CHANNELS, SearchEngine
from .store import Catalog, VectorStore

_CHUNK_KEYS = ("chunk_id", "chunk_type", "breadcrumb", "start_line", "end_line", "section_type", "symbol")


@dataclass
class FileView:
    """Everything the hub believes about one file, and why."""

    path: str
    kind: str
    indexed: bool
    metadata: dict[str, Any]
    provenance: dict[str, str] = field(default_factory=dict)
    chunks: list[dict[str, Any]] = field(default_factory=list)
    relationships: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "indexed": self.indexed,
            "metadata": self.metadata,
            "provenance": self.provenance,
            "chunks": self.chunks,
            "relationships": self.relationships,
            "error": self.error,
            "warnings": self.warnings,
        }

    def _repr_html_(self) -> str:
        from .ingest.types import flatten

        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(json.dumps(v, default=str)[:200])}</td>"
            f"<td style='color:#888'>{html.escape(self.provenance.get(k, ''))}</td></tr>"
            for k, v in flatten(self.metadata).items()
            if k != "raw_metadata"
        )
        return (
            f"<b>{html.escape(self.path)}</b> <i>{self.kind}</i>"
            f"<table><tr><th>key</th><th>value</th><th>from</th></tr>{rows}</table>"
        )


class Hub:
    """Open (or create) a store at ``home`` (default ``$MODELHUB_HOME`` or ``~/.modelhub``).

    >>> hub = Hub()
    >>> hub.index("~/projects/my-models")
    >>> hub.search("causal self attention", kind="code", limit=5).to_frame()
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        embed_model: str | None = None,
        chroma_url: str | None = None,
        settings: Settings | None = None,
        embedder: TextEmbedder | None = None,
    ) -> None:
        settings = settings or Settings()
        if home is not None:
            settings.home = Path(home).expanduser().resolve()
        if embed_model is not None:
            settings.embed_model = embed_model
        if chroma_url is not None:
            settings.chroma_url = chroma_url
        self.settings = settings
        with self._init_lock():
            self.catalog = Catalog(settings.catalog_path)
        self.embedder = embedder or TextEmbedder(
            settings.embed_model, batch_size=settings.embed_batch_size, precision=settings.embed_precision
        )
        self._vectors: VectorStore | None = None
        self._engine = None

    def _init_lock(self):
        """Creating the stores (schemas, Chroma migrations) is serialised across processes."""
        from filelock import FileLock

        self.settings.home.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.settings.home / "open.lock"), timeout=120)

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            with self._init_lock():
                self._vectors = VectorStore(
                    self.settings.chroma_path, self.embedder.name, self.settings.chroma_url
                )
        return self._vectors

    def _indexer(self):
        from .indexing import Indexer

        return Indexer(self.settings, self.catalog, self.vectors, self.embedder)

    # -- writing -----------------------------------------------------------------------------
    def index(
        self,
        path: str | Path,
        *,
        progress: bool = True,
        exclude: tuple[str, ...] | list[str] = (),
        max_depth: int | None = None,
        max_file_size: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> IndexReport:
        """Index (or re-index, incrementally) the workspace at ``path``.

        ``progress`` draws a tqdm bar; ``on_progress(done, total)`` is called after each
        new or changed file, for surfaces that draw their own.
        """
        options = ScanOptions(
            exclude=tuple(self.settings.exclude) + tuple(exclude),
            max_depth=max_depth if max_depth is not None else self.settings.max_depth,
            max_file_size=max_file_size or self.settings.max_file_size,
        )
        return self._indexer().index(Path(path), progress=progress, options=options, on_progress=on_progress)

    def rebuild(self) -> dict[str, int]:
        """Recreate the vector store from the catalog (after a crash or a damaged Chroma)."""
        return self._indexer().rebuild()

    # -- reading -----------------------------------------------------------------------------
    def search(
        self,
        query: str = "",
        *,
        kind: str = "all",
        where: list[str] | str | None = None,
        limit: int = 10,
        channels: Collection[str] = CHANNELS,
    ) -> SearchResults:
        """Hybrid (dense + keyword) search with ``where`` filters like ``["framework=pytorch"]``.

        ``channels=("dense",)`` or ``("keyword",)`` ranks by one channel alone (for evaluation).
        """
        return self._search_engine().search(query, kind=kind, where=where, limit=limit, channels=channels)

    def _search_engine(self):
        if self._engine is None:
            self._engine = SearchEngine(self.catalog, lambda: self.vectors, self.embedder)
        return self._engine

    def show(self, path: str | Path) -> FileView:
        """The metadata of one file (indexed, or parsed on the fly), each value with its source."""
        target = Path(path).expanduser().resolve()
        row = self.catalog.file(str(target))
        if row is None:
            return self._show_unindexed(target)
        docs = self.catalog.documents(file_path=str(target))
        metadata = {k: v for k, v in docs[0].metadata.items() if k not in _CHUNK_KEYS} if docs else {}
        chunks = [
            {"id": d.id, **{k: d.metadata.get(k) for k in _CHUNK_KEYS if d.metadata.get(k) is not None}}
            for d in docs
        ]
        names = {row.relpath, str(metadata.get("model_id", ""))} - {""}
        edges = [
            e for e in self.catalog.relationships() if e["source_id"] in names or e["target_id"] in names
        ]
        return FileView(
            path=row.relpath,
            kind=row.kind,
            indexed=row.status == "indexed",
            metadata=metadata,
            provenance=docs[0].provenance if docs else {},
            chunks=chunks,
            relationships=edges,
            error=row.error,
            warnings=row.warnings or [],
        )

    def _show_unindexed(self, target: Path) -> FileView:
        from .ingest import pipeline
        from .ingest.git_history import repo_history
        from .ingest.scanner import ScanOptions, scan

        if not target.exists():
            raise FileNotFoundError(f"{target}: no such file")
        root = target.parent
        found = [
            f
            for f in scan(root, ScanOptions(max_depth=0 if target.is_file() else 1)).files
            if f.path == target
        ]
        if not found:
            raise ValueError(f"{target}: not a file type modelhub indexes")
        file = found[0]
        outcome = pipeline.build(file, root, pipeline.history(file, root, repo_history(root)))
        docs = outcome.docs
        return FileView(
            path=file.relpath,
            kind=file.kind,
            indexed=False,
            metadata={k: v for k, v in docs[0].metadata.items() if k not in _CHUNK_KEYS} if docs else {},
            provenance=docs[0].provenance if docs else {},
            chunks=[
                {k: d.metadata.get(k) for k in _CHUNK_KEYS if d.metadata.get(k) is not None} for d in docs
            ],
            error=outcome.error,
            warnings=outcome.warnings,
        )

    def browse(
        self,
        kind: str = "image",
        *,
        where: list[str] | str | None = None,
        offset: int = 0,
        limit: int = 60,
    ) -> SearchResults:
        """Documents of one kind in path order (no query), ``where``-filtered, one page at a time.

        ``SearchResults.total`` holds the number of matching documents, for pagination.
        """
        return self._search_engine().browse(kind, where=where, offset=offset, limit=limit)

    def vocabulary(self, per_key: int = 50) -> dict[str, list[tuple[str, int]]]:
        """The catalog's own terms (frameworks, architectures, datasets, samplers, symbols, ...) with counts.

        Surfaces use it for suggestions and filter chips.
        """
        return self._search_engine().vocabulary(per_key)

    def thumbnail(self, doc_id: str) -> bytes | None:
        """The cached thumbnail (WebP bytes) of an image document, or None."""
        for doc in self.catalog.documents(doc_id=doc_id):
            path = doc.metadata.get("thumbnail_path")
            if path and Path(path).is_file():
                return Path(path).read_bytes()
        return None

    def errors(self, limit: int = 1000) -> list[dict[str, str]]:
        """Files that could not be indexed, with their one-line reasons."""
        return self.catalog.errors(limit)

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent index runs, newest first."""
        return self.catalog.runs(limit)

    def relationships(self) -> list[dict[str, str]]:
        """All edges (predecessor_of, generated_by, defined_in, trained_on) with their evidence."""
        return self.catalog.relationships()

    def status(self) -> dict[str, Any]:
        """What is indexed, where the store is, which model embeds, the last run."""
        runs = self.catalog.runs(1)
        files = self.catalog.file_counts()
        return {
            "home": str(self.settings.home),
            "store": self.settings.chroma_url or str(self.settings.chroma_path),
            "catalog": str(self.settings.catalog_path),
            "embedder": self.embedder.name,
            "embedder_path": self.embedder.model_ref,
            "embedder_precision": self.embedder.precision,
            "roots": self.catalog.roots(),
            "files": sum(files.values()),
            "documents": self.catalog.document_counts(),
            "relationships": len(self.catalog.relationships()),
            "errors": files.get("error", 0),
            "last_run": runs[0] if runs else None,
        }

    @staticmethod
    def export_schemas(directory: str | Path) -> list[Path]:
        """Write the JSON Schema of every document type into ``directory``."""
        return schemas.export(Path(directory))

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
