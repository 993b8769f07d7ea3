"""``Hub``: the one public facade every surface (CLI, magics, widgets, a server) calls.

A ``Hub`` may be shared by threads: searches run concurrently, index runs take the
home's write lock. :func:`open_hub` gives one shared ``Hub`` per home, so a kernel's
magics and panels (or a server's handlers) do not each load the embedder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import quality as _quality
from . import schemas
from .analytics import current_user, summarise
from .compare.images import ImageComparison, compare_images
from .config import Settings
from .embed.onnx_model import INT8_SUFFIX
from .embed.text import TextEmbedder, check_doc_precision
from .errors import BadInputError, NotFoundError, NothingIndexedError
from .ingest.scanner import ScanOptions
from .results import Answer, FileView, Hit, IndexReport, SearchResults
from .search import filters
from .search.access import Viewer
from .search.engine import CHANNELS, SearchEngine
from .search.suggest import Suggestion
from .search.understand import Understood
from .store import Catalog, QueryRow, VectorStore
from .vocabulary import CHUNK_KEYS, SEARCH_KINDS

if TYPE_CHECKING:
    from .answer.templates import Prompts
    from .compare.models import Comparison
    from .favorites import Favorites
    from .notebooks import NotebookRun
    from .registry import Registry
    from .search.images import Images

log = logging.getLogger(__name__)

__all__ = ["FileView", "Hub", "open_hub"]

_HUBS: dict[tuple[Path, Viewer], Hub] = {}
_HUBS_LOCK = threading.Lock()


def home_path(home: str | Path | None = None) -> Path:
    """The store location ``home`` names (default ``$MODELHUB_HOME`` or ``~/.modelhub``), absolute."""
    return Settings().home if not home else Path(home).expanduser().resolve()


def open_hub(
    home: str | Path | None = None, *, user: str | None = None, groups: Collection[str] | None = None
) -> Hub:
    """The process's shared ``Hub`` for ``home`` and viewer, opened on first use (thread-safe)."""
    key = (home_path(home), Viewer.of(user, groups))
    with _HUBS_LOCK:
        hub = _HUBS.get(key)
        if hub is None or hub.closed:
            hub = _HUBS[key] = Hub(key[0], user=key[1].user, groups=key[1].groups)
        return hub


def share_hub(hub: Hub) -> None:
    """Make ``hub`` the one :func:`open_hub` returns for its home (tests, custom settings)."""
    with _HUBS_LOCK:
        _HUBS[(hub.settings.home, hub.viewer)] = hub


class Hub:
    """Open (or create) a store at ``home`` (default ``$MODELHUB_HOME`` or ``~/.modelhub``).

    >>> hub = Hub()
    >>> hub.index("~/projects/my-models")
    >>> hub.search("causal self attention", kind="code", limit=5).to_frame()

    ``user`` and ``groups`` (default ``$MODELHUB_USER`` / ``$MODELHUB_GROUPS``) say who is looking:
    searches, answers, counts, suggestions and file views then hold only the documents the indexed
    access policies let them see (see :mod:`modelhub_jupyter.ingest.access`). With no user the
    hub is the store owner's and sees everything.
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        embed_model: str | None = None,
        chroma_url: str | None = None,
        settings: Settings | None = None,
        embedder: TextEmbedder | None = None,
        user: str | None = None,
        groups: Collection[str] | None = None,
    ) -> None:
        settings = settings or Settings()
        self.viewer = Viewer.of(user, groups)
        if home is not None:
            settings.home = Path(home).expanduser().resolve()
        if embed_model is not None:
            settings.embed_model = embed_model
        if chroma_url is not None:
            settings.chroma_url = chroma_url
        self.settings = settings
        with self._init_lock():
            self.catalog = Catalog(settings.catalog_path)
        self.embedder = embedder or self._text_embedder(settings)
        self._vectors: VectorStore | None = None
        self._engine: SearchEngine | None = None
        self._images: Images | None = None
        self._lock = threading.Lock()
        self.closed = False

    def _kept_doc_precision(self) -> str:
        """The settings' ``embed_doc_precision``; ``auto`` keeps what the store's documents were
        embedded in (``int8``, or ``fp32`` for a store made before int8 became the default) and is
        left to the embedder for a new store."""
        precision = self.settings.embed_doc_precision
        if precision != "auto":
            return check_doc_precision(precision)
        fp32 = TextEmbedder(self.settings.embed_model, doc_precision="fp32").name
        if self.catalog.has_vectors(fp32 + INT8_SUFFIX):
            return "int8"
        return "fp32" if self.catalog.has_vectors(fp32) else "auto"

    def _text_embedder(self, settings: Settings) -> TextEmbedder:
        return TextEmbedder(
            settings.embed_model,
            batch_size=settings.embed_batch_size,
            precision=settings.embed_precision,
            doc_precision=self._kept_doc_precision(),
        )

    def _init_lock(self):
        """Creating the stores (schemas, Chroma migrations) is serialised across processes."""
        from filelock import FileLock

        self.settings.home.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.settings.home / "open.lock"), timeout=120)

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            with self._lock, self._init_lock():
                if self._vectors is None:
                    self._vectors = VectorStore(
                        self.settings.chroma_path, self.embedder.name, self.settings.chroma_url
                    )
        return self._vectors

    def _indexer(self):
        from .indexing import Indexer

        self._follow_registry()
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
        on_note: Callable[[str], None] | None = None,
    ) -> IndexReport:
        """Index (or re-index, incrementally) the workspace at ``path``.

        ``progress`` draws a tqdm bar; ``on_progress(done, total)`` is called after each
        new or changed file, for surfaces that draw their own, and ``on_note(text)`` before
        the first run on a machine makes the embedder's copies (seconds, once per machine).
        """
        from .indexing import index_root

        root = index_root(path)  # a bad path is reported before anything heavy opens
        options = ScanOptions(
            exclude=tuple(self.settings.exclude) + tuple(exclude),
            max_depth=max_depth if max_depth is not None else self.settings.max_depth,
            max_file_size=max_file_size or self.settings.max_file_size,
            follow_external_links=self.settings.follow_external_links,
        )
        indexer = self._indexer()
        report = indexer.index(
            root, progress=progress, options=options, on_progress=on_progress, on_note=on_note
        )
        self._search_engine().vectors_written(indexer.synced_generation)
        self._update_images(report, progress)
        return report

    def _update_images(self, report: IndexReport, progress: bool) -> None:
        """Perceptual hashes and CLIP vectors of new images (a failure is a warning, never the run's)."""
        try:
            self.images.update(progress=progress, report=report)
        except Exception as err:  # noqa: BLE001 - the text index is done and stays usable
            log.warning("modelhub: image vectors not updated: %s", err)
            report.add_warning("(images)", f"image vectors not updated: {err}")

    def rebuild(self) -> dict[str, int]:
        """Recreate the vector store from the catalog (after a crash or a damaged Chroma)."""
        indexer = self._indexer()
        counts = indexer.rebuild()
        self._search_engine().vectors_written(indexer.synced_generation)
        return counts

    # -- reading -----------------------------------------------------------------------------
    def search(
        self,
        query: str = "",
        *,
        kind: str = "all",
        where: list[str] | str | None = None,
        limit: int = 10,
        channels: Collection[str] = CHANNELS,
        understand: bool = True,
        ignore: Collection[str] = (),
        record: bool = True,
        surface: str = "python",
        rank: str = "similarity",
        like: Any = None,
        regions: bool = False,
        dedupe: bool = False,
    ) -> SearchResults:
        """Hybrid (dense + keyword) search with ``where`` filters like ``["framework=pytorch"]``.

        Filters written in the query ("pytorch models with more than 100M parameters") are read
        and applied (``results.understood``); ``understand=False`` takes the words as they are, and
        ``ignore`` lists understood clauses not to apply (``["framework.name=pytorch"]``).
        With ``record`` (the default) the query is stored for ``stats()``; ``surface`` says who ran it.
        ``channels=("dense",)`` or ``("keyword",)`` ranks by one channel alone (for evaluation).
        ``rank="recency"`` puts recently changed files first (relevance halving every 90 days of
        age), ``rank="version"`` the newest version of each model family (unless the query names one).
        Images (``kind="image"``) are ranked by CLIP too when its weights are here (``hub.images``):
        ``like`` (a path, PIL image or bytes) finds images that look like it, ``regions`` ranks tiles
        (each hit has ``metadata["region"]["box"]``), ``dedupe`` folds near-duplicates into one hit.
        """
        started = time.perf_counter()
        if like is not None or (kind == "image" and self.images.wanted(regions, dedupe, where, channels)):
            kind = "image"
            results = self.images.search(
                query, like=like, where=where, limit=limit, regions=regions, dedupe=dedupe,
                understand=understand, ignore=ignore,
            )  # fmt: skip
        else:
            results = self._search_engine().search(
                query,
                kind=kind,
                where=where,
                limit=limit,
                channels=channels,
                understand=understand,
                ignore=ignore,
                rank=rank,
            )
            if kind in ("image", "all"):
                self.images.mark(results)  # safety_assessment: scores with their model, or unassessed
        if record:
            results.query_id = self._record(
                "search", query, kind, started, len(results.hits),
                top=results.hits[0].path if results.hits else "", filters=results.filters, surface=surface,
            )  # fmt: skip
            _quality.note_confidence(self, results.query_id, _quality.search_confidence(results))
        return results

    def _record(
        self,
        action: str,
        text: str,
        kind: str,
        started: float,
        hits: int,
        *,
        intent: str = "",
        top: str = "",
        cited: list[str] | None = None,
        filters: list[str] | None = None,
        surface: str = "python",
    ) -> int | None:
        """Store a query for analytics; a store that cannot be written never fails the query."""
        try:
            return self.catalog.record_query(
                QueryRow(
                    time.time(),
                    self.viewer.user or current_user(),
                    action,
                    text or "",
                    kind,
                    intent,
                    round(1000 * (time.perf_counter() - started), 2),
                    hits,
                    top,
                    cited or [],
                    filters or [],
                    surface,
                )  # fmt: skip
            )
        except Exception as err:  # noqa: BLE001 - analytics are a nicety
            log.debug("modelhub: query not recorded: %s", err)
            return None

    def stats(self, days: float | None = None) -> dict[str, Any]:
        """What was searched and asked (in the last ``days``, or ever): counts, latency p50/p95,
        intents, queries that found nothing, the most frequent ones, feedback."""
        since = time.time() - days * 86400 if days else 0.0
        rows = self.catalog.queries(since)
        if self.viewer.restricted:  # others' queries would name what they can see
            rows = [r for r in rows if r.user == self.viewer.user]
        out = summarise(rows)
        out["since_days"] = days
        return out

    def feedback(self, query_id: int, *, good: bool | None = None, clicked: str | None = None) -> None:
        """Thumbs up/down on a stored query (``results.query_id``, ``answer.query_id``), or the
        result the user opened from it."""
        self.catalog.query_feedback(query_id, None if good is None else (1 if good else -1), clicked)

    def ask(
        self,
        question: str,
        *,
        kind: str = "all",
        where: list[str] | None = None,
        llm: Any = None,
        on_token: Callable[[str], None] | None = None,
        timeout: float = 120.0,
        surface: str = "python",
    ) -> Answer:
        """Answer ``question`` with citations that were checked to exist and hold the cited lines.

        Metadata questions are answered from the catalog (no language model). Others quote the
        best passages, or, with a language model (``llm``: a LangChain chat model or a spec such
        as ``"local"``, ``"none"``, ``"openai:gpt-4o-mini"``; default ``$MODELHUB_LLM`` or
        ``auto``), are phrased by it from them; sentences stating values no source holds are
        dropped. ``on_token`` receives the model's tokens as they come.
        """
        from .answer import ask

        if llm is None:  # the registry's active llm, unless $MODELHUB_LLM names one
            from .registry.switch import active_llm

            llm = active_llm(self)
        started = time.perf_counter()
        answer = ask(self, question, kind=kind, where=where, llm=llm, on_token=on_token, timeout=timeout)
        answer.query_id = self._record(
            "ask", question, kind, started, len(answer.citations), intent=answer.intent,
            cited=list(dict.fromkeys(c.path for c in answer.citations)), filters=answer.understood,
            surface=surface,
        )  # fmt: skip
        _quality.note_confidence(self, answer.query_id, _quality.answer_confidence(answer))
        return answer

    def understand(self, query: str) -> Understood:
        """How ``search`` reads ``query``: the filters in its words and the words left to rank."""
        return self._search_engine().understand(query)

    def _follow_registry(self) -> None:
        """Use the registry's active text embedder (activated here or in another process), if it moved."""
        from .registry.activate import follow

        follow(self)

    def _search_engine(self) -> SearchEngine:
        self._follow_registry()
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = SearchEngine(
                        self.catalog, lambda: self.vectors, self.embedder, viewer=self.viewer
                    )
        return self._engine

    def has_documents(self) -> bool:
        """Whether anything is indexed yet."""
        return self._search_engine().has_documents()

    def require_documents(self) -> None:
        """Raise :class:`NothingIndexedError` when nothing is indexed yet."""
        if not self.has_documents():
            raise NothingIndexedError()

    def document(self, doc_id: str) -> Hit:
        """One document by id, as a search hit (``NotFoundError`` when there is none)."""
        return self._search_engine().document(doc_id)

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        """Catalog terms that complete the last word of ``text`` (``pyt`` -> ``pytorch``)."""
        return self._search_engine().suggest(text, limit)

    def compare_images(self, ids: list[str]) -> ImageComparison:
        """2–4 image documents side by side: each generation setting, the differing ones marked."""
        return compare_images([self.document(i) for i in dict.fromkeys(ids)])

    @staticmethod
    def filter_clauses(
        equal: Mapping[str, Any] | None = None,
        at_least: Mapping[str, Any] | None = None,
        at_most: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """``where`` clauses from a filter form (``{"sampler": "Euler a"}``, ``{"guidance_scale": 5}``)."""
        return filters.form_clauses(equal, at_least, at_most)

    @staticmethod
    def kinds() -> tuple[str, ...]:
        """What ``search(kind=...)`` accepts: ``all`` and the document kinds."""
        return SEARCH_KINDS

    def show(self, path: str | Path) -> FileView:
        """The metadata of one file (indexed, or parsed on the fly), each value with its source."""
        target = Path(path).expanduser().resolve()
        row = self.catalog.file(str(target))
        if self.viewer.restricted and (row is None or not self.viewer_can_see(row.access)):
            if row is not None:
                self._search_engine().denied("show", str(target))
            # the same answer whether it is hidden, not indexed or not there: nothing is parsed for
            # a restricted viewer, and nothing tells them a hidden file exists
            raise NotFoundError(f"{path}: no indexed file you can see", path=str(path))
        if row is None:
            return self._show_unindexed(target)
        docs = self.catalog.documents(file_path=str(target))
        metadata = {k: v for k, v in docs[0].metadata.items() if k not in CHUNK_KEYS} if docs else {}
        chunks = [
            {"id": d.id, **{k: d.metadata.get(k) for k in CHUNK_KEYS if d.metadata.get(k) is not None}}
            for d in docs
        ]
        names = {row.relpath, str(metadata.get("model_id", ""))} - {""}
        edges = [e for e in self.relationships() if e["source_id"] in names or e["target_id"] in names]
        return FileView(
            path=row.relpath,
            file_kind=row.file_kind,
            root=row.root,
            indexed=row.status == "indexed",
            metadata=metadata,
            provenance=docs[0].provenance if docs else {},
            chunks=chunks,
            relationships=edges,
            error=row.error,
            warnings=row.warnings or [],
        )

    def _show_unindexed(self, target: Path) -> FileView:
        from .ingest import pipeline, sandbox
        from .ingest.git_history import repo_history
        from .ingest.scanner import ScanOptions, scan

        if not target.exists():
            raise NotFoundError(f"{target}: no such file", path=str(target))
        root = target.parent
        found = [
            f
            for f in scan(
                root,
                ScanOptions(
                    max_depth=0 if target.is_file() else 1,
                    follow_external_links=self.settings.follow_external_links,
                ),
            ).files
            if f.path == target
        ]
        if not found:
            raise BadInputError(f"{target}: not a file type modelhub indexes", path=str(target))
        file = found[0]
        git = repo_history(root, timeout=self.settings.git_timeout)
        limits = sandbox.Limits(self.settings.parse_timeout, self.settings.parse_memory_mb or None)
        outcome = sandbox.build(file, root, pipeline.history(file, root, git), None, limits)
        docs = outcome.docs
        return FileView(
            path=file.relpath,
            file_kind=file.file_kind,
            root=str(root),
            indexed=False,
            metadata={k: v for k, v in docs[0].metadata.items() if k not in CHUNK_KEYS} if docs else {},
            provenance=docs[0].provenance if docs else {},
            chunks=[
                {k: d.metadata.get(k) for k in CHUNK_KEYS if d.metadata.get(k) is not None} for d in docs
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
        results = self._search_engine().browse(kind, where=where, offset=offset, limit=limit)
        return self.images.mark(results) if kind == "image" else results

    def vocabulary(self, per_key: int = 50) -> dict[str, list[tuple[str, int]]]:
        """The catalog's own terms (frameworks, architectures, datasets, samplers, symbols, ...) with counts.

        Surfaces use it for suggestions and filter chips.
        """
        return self._search_engine().vocabulary(per_key)

    def thumbnail(self, doc_id: str) -> bytes | None:
        """The thumbnail (WebP bytes) of an image document, made now if this is its first showing; or None."""
        for doc in self.catalog.documents(doc_id=doc_id):
            if not self._search_engine().can_view(doc.metadata):
                self._search_engine().denied("thumbnail", doc_id)
                return None
            path, image = doc.metadata.get("thumbnail_path"), doc.metadata.get("image_path")
            if path and Path(path).is_file():
                return Path(path).read_bytes()
            if path and image:
                from .ingest import thumbnails

                try:
                    return thumbnails.ensure(image, path, self.settings.thumbnails_dir).read_bytes()
                except Exception as err:  # noqa: BLE001 - no thumbnail is a placeholder, not an error
                    log.debug("modelhub: no thumbnail for %s: %s", doc_id, err)
        return None

    def errors(self, limit: int = 1000) -> list[dict[str, str]]:
        """Files that could not be indexed, with their one-line reasons."""
        if not self.viewer.restricted:
            return self.catalog.errors(limit)
        hidden = self._hidden_files()
        return [e for e in self.catalog.errors(limit) if (e["root"], e["path"]) not in hidden][:limit]

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent index runs, newest first (for a restricted viewer: when and how they
        went, without counts, and only the errors of files they can see)."""
        runs = self.catalog.runs(limit)
        if not self.viewer.restricted:
            return runs
        hidden = self._hidden_files()
        for run in runs:
            stats = run["stats"]
            run["stats"] = {
                "seconds": stats.get("seconds"),
                "errors": [e for e in stats.get("errors", []) if (run["root"], e.get("path")) not in hidden],
            }
        return runs

    def relationships(self) -> list[dict[str, str]]:
        """All edges (predecessor_of, generated_by, defined_in, trained_on) with their evidence;
        for a restricted viewer, none that names a document hidden from them."""
        edges = self.catalog.relationships()
        if not self.viewer.restricted:
            return edges
        seen: set[str] = set()
        hidden: set[str] = set()
        for doc in self.catalog.documents():
            names = {str(doc.metadata.get(k) or "") for k in ("filepath", "model_id")} - {""}
            (seen if self._search_engine().can_view(doc.metadata) else hidden).update(names)
        hidden -= seen
        return [e for e in edges if e["source_id"] not in hidden and e["target_id"] not in hidden]

    def viewer_can_see(self, access: Any) -> bool:
        """Whether a file or document with this ``access_control`` is visible to this hub's viewer."""
        return self._search_engine().viewer.can_view(access)

    def _hidden_files(self) -> set[tuple[str, str]]:
        """``(root, relpath)`` of the files hidden from this hub's viewer."""
        return {(r, rel) for _, r, rel, a in self.catalog.file_access() if not self.viewer_can_see(a)}

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """Access attempts that were denied, newest first (the store owner's view)."""
        return [] if self.viewer.restricted else self.catalog.audit_log(limit)

    def status(self) -> dict[str, Any]:
        """What is indexed, where the store is, which model embeds, the last run."""
        runs = self.runs(1)
        files = self.catalog.file_counts()
        documents = self._search_engine().document_counts()
        if self.viewer.restricted:
            hidden = self._hidden_files()
            files = {"all": len(self.catalog.file_access()) - len(hidden), "error": len(self.errors())}
        return {
            "home": str(self.settings.home),
            "store": self.settings.chroma_url or str(self.settings.chroma_path),
            "catalog": str(self.settings.catalog_path),
            "embedder": self.embedder.name,
            "embedder_path": self.embedder.model_ref,
            "embedder_precision": self.embedder.precision,
            "embedder_doc_precision": getattr(self.embedder, "doc_precision", self.embedder.precision),
            "roots": self.catalog.roots(),
            "files": files["all"] if self.viewer.restricted else sum(files.values()),
            "documents": documents,
            "relationships": len(self.relationships()),
            "errors": files.get("error", 0),
            "last_run": runs[0] if runs else None,
            "images": self.images.status(),
        }

    @staticmethod
    def export_schemas(directory: str | Path) -> list[Path]:
        """Write the JSON Schema of every document type into ``directory``."""
        return schemas.export(Path(directory))

    def close(self) -> None:
        self.closed = True
        if self._images is not None:
            self._images.close()  # the background image encoder stops after its batch
        self.catalog.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def images(self) -> Images:
        """Images by what they show: CLIP vectors, region tiles, perceptual hashes, safety scores."""
        if self._images is None:
            from .search.images import Images

            self._images = Images(self.catalog, self._search_engine)
            self._images.thumbnails = self.settings.thumbnails_dir  # made in its background pass
            from .registry.switch import follow_images

            follow_images(self, self._images)  # the registry's active image model, if one is
        return self._images

    @property
    def prompts(self) -> Prompts:
        """The versioned answer prompt templates: list, show, save, diff, activate, rollback, ab."""
        from .answer.templates import Prompts

        return Prompts(self)

    @property
    def favorites(self) -> Favorites:
        """Starred searches and questions of the current user: list, add, remove, run."""
        from .favorites import Favorites

        return Favorites(self)

    @property
    def models(self) -> Registry:
        """The model registry: discover, register, activate/rollback, benchmark, stage, download."""
        from .registry import Registry

        return Registry(self)

    def compare(self, names: list[str] | tuple[str, ...]) -> Comparison:
        """2–4 models side by side (model_id, family, ``id@version`` or file path each): aligned
        metadata and metrics with % change, structural and code diffs, lineage, generated images."""
        from .compare.models import compare_models

        comparison = compare_models(self, list(names))
        _quality.record_comparison(self, comparison)  # the dimensions people compare (Quality view)
        return comparison

    @property
    def quality(self) -> _quality.Quality:
        """Quality analytics over the query log: problem queries (and their YAML export), latency by
        intent, most opened results, comparison dimensions; ``hub.quality.resources()``."""
        return _quality.Quality(self)

    def notebook(self, template: str, **params: Any) -> NotebookRun:
        """Write (and with ``execute=True`` run) a notebook from a template; see :func:`.notebooks.render`."""
        from .notebooks import render

        return render(self, template, **params)
