"""An index run: scan -> parse -> embed (cached by content) -> catalog -> Chroma.

Incremental (size/mtime, then content hash), resumable (documents carry a
``synced`` flag, deletions go through tombstones) and single-writer (a file lock
on the home).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from .config import Settings
from .embed.text import Embedder, text_hash
from .errors import BadInputError, NotFoundError, StoreBusyError, one_line
from .ingest import pipeline, sandbox
from .ingest.access import Policies
from .ingest.git_history import repo_history
from .ingest.relationships import derive_relationships
from .ingest.scanner import ScanOptions, scan
from .results import IndexReport
from .store import Catalog, DocRow, FileRow, VectorStore
from .store import vectors as vector_kinds

#: Bump when parsers or chunking change what an unchanged file yields: files indexed under another
#: revision (or other schema versions) are parsed again at the next run, not skipped as unchanged.
PARSER_REVISION = 3
BATCH_FILES = 24
PARSE_AHEAD = 8  # files parsed ahead of the one being written
_DONE = object()


@dataclass
class _Parsed:
    """One file of a run after hashing and parsing: unchanged (no ``outcome``), parsed, or ``error``."""

    file: Any
    row: FileRow | None
    digest: str = ""
    outcome: pipeline.FileOutcome | None = None
    error: str = ""


@dataclass
class _Batch:
    files: list[tuple[Any, str, pipeline.FileOutcome]] = field(default_factory=list)

    def chunk_count(self) -> int:
        return sum(len(o.docs) for _, _, o in self.files)


class Indexer:
    """Writes into one home; every public method takes the home's write lock."""

    def __init__(
        self, settings: Settings, catalog: Catalog, vectors: VectorStore, embedder: Embedder
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.vectors = vectors
        self.embedder = embedder
        self.synced_generation: int | None = None  # catalog generation the vector store matched at the end
        self._access: dict[str, dict[str, Any] | None] = {}  # this run's files: path -> access_control
        self._reparse = False  # this run parses every file again (the parsers changed since the last)

    @property
    def parse_limits(self) -> sandbox.Limits:
        return sandbox.Limits(self.settings.parse_timeout, self.settings.parse_memory_mb or None)

    def _lock(self) -> FileLock:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.settings.lock_path), timeout=self.settings.lock_timeout)

    # -- public ------------------------------------------------------------------------------
    def index(
        self,
        root: Path,
        *,
        progress: bool = True,
        options: ScanOptions | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> IndexReport:
        root = index_root(root)
        options = options or ScanOptions(
            exclude=self.settings.exclude,
            max_depth=self.settings.max_depth,
            max_file_size=self.settings.max_file_size,
            follow_external_links=self.settings.follow_external_links,
        )
        try:
            with self._lock():
                report = self._index_locked(root, progress, options, on_progress, on_note)
                self.synced_generation = self.catalog.generation()
                return report
        except Timeout:
            raise StoreBusyError(
                f"another process has been indexing into {self.settings.home} for over "
                f"{self.settings.lock_timeout:.0f} s; try again when it finishes"
            ) from None

    def rebuild(self) -> dict[str, int]:
        """Drop the vector collections and refill them from the catalog (no re-embedding)."""
        with self._lock():
            self.vectors.reset()
            self.catalog.mark_all_unsynced()
            self.catalog.clear_tombstones([i for i, _ in self.catalog.tombstones()])
            pushed = self._reconcile(force=True)
            vector_kinds.clear_deferred(self.catalog)
            self.synced_generation = self.catalog.generation()
        return {"documents": pushed, **{k: self.vectors.count(k) for k in ("code", "image", "model")}}

    # -- the run -----------------------------------------------------------------------------
    def _index_locked(
        self, root: Path, progress: bool, options: ScanOptions, on_progress, on_note
    ) -> IndexReport:
        started = time.perf_counter()
        self._reconcile()
        root_s = str(root)
        run_id = self.catalog.start_run(root_s)
        self.catalog.add_root(root_s)
        report = IndexReport(root=root_s, run_id=run_id)
        try:
            return self._run(root, progress, options, on_progress, on_note, report, started)
        except BaseException as err:
            # The run is over either way: never leave it marked "running" (Ctrl-C included).
            report.seconds = round(time.perf_counter() - started, 3)
            self.catalog.finish_run(run_id, "failed", {**report.to_dict(), "failure": one_line(err)})
            raise

    def _run(
        self,
        root: Path,
        progress: bool,
        options: ScanOptions,
        on_progress: Callable[[int, int], None] | None,
        on_note: Callable[[str], None] | None,
        report: IndexReport,
        started: float,
    ) -> IndexReport:
        root_s, run_id = report.root, report.run_id or 0
        sandbox.start(self.parse_limits)  # the parser process starts up while the folder is scanned
        result = scan(root, options)
        history = repo_history(root, timeout=self.settings.git_timeout, warnings=result.warnings)
        report.files_seen = len(result.files)
        report.skipped_by_rules = result.skipped
        for relpath, reason in result.errors:
            report.add_error(relpath, reason)
        for relpath, reason in result.warnings:
            report.add_warning(relpath, reason)
        self._access = self._read_access(root, result.files, options, report)
        known = self.catalog.files_under(root_s)
        self._reparse = self.catalog.get_meta(f"parsers:{root_s}") != parsers_key()
        todo = []
        for file in result.files:
            row = known.pop(str(file.path), None)
            if (
                not self._reparse
                and row
                and row.file_kind == file.file_kind
                and row.size == file.size
                and row.mtime_ns == file.mtime_ns
            ):
                report.unchanged += 1
                self._keep_access(row)
                if row.error:
                    report.add_error(file.relpath, row.error)
                continue
            todo.append((file, row))
        unreadable = {rel for rel, _ in result.errors}
        for path, row in known.items():
            if row.relpath in unreadable:
                continue
            self.catalog.delete_file(path)
            report.removed += 1

        bar = _progress(len(todo), progress)
        batch = _Batch()
        try:
            prepare = getattr(self.embedder, "prepare", None)  # a first run makes the embedder's copies
            if todo and prepare is not None:

                def note(what: str) -> None:
                    bar.set_description(f"indexing: {what}")
                    if on_note is not None:
                        on_note(what)

                prepare(note)
                bar.reset()  # the rate and time left count from here
                bar.set_description("indexing")
            for done, parsed in enumerate(self._parsed(todo, root, history), start=1):
                self._prepare(parsed, batch, report)
                bar.update(1)
                if on_progress is not None:
                    on_progress(done, len(todo))
                if len(batch.files) >= BATCH_FILES or batch.chunk_count() >= 256:
                    self._commit(batch, run_id, report)
                    batch = _Batch()
            self._commit(batch, run_id, report)
        finally:
            bar.close()
        self._apply_tombstones()
        self._reconcile()  # documents whose access changed go back to the vector store
        self._relationships()
        self.catalog.touch_root(root_s)
        self.catalog.set_meta(f"parsers:{root_s}", parsers_key())
        report.documents = self.catalog.document_counts()
        report.seconds = round(time.perf_counter() - started, 3)
        self.catalog.finish_run(run_id, "ok", report.to_dict())
        return report

    def _parsed(self, todo: list[tuple[Any, FileRow | None]], root: Path, history: Any) -> Iterator[_Parsed]:
        """Each file of ``todo`` hashed and parsed, in order, :data:`PARSE_AHEAD` files ahead on a
        thread: the parser process works while this thread embeds and writes the last batch."""
        out: queue.Queue[Any] = queue.Queue(maxsize=PARSE_AHEAD)
        stop = threading.Event()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for file, row in todo:
                    if stop.is_set() or not put(self._parse_one(file, row, root, history)):
                        return
            except BaseException as err:  # noqa: BLE001 - handed to the consumer, which raises it
                put(err)
            put(_DONE)

        thread = threading.Thread(target=produce, name="modelhub-parse-ahead", daemon=True)
        thread.start()
        try:
            while (item := out.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()  # the thread ends after the file it is on (a parse is bounded by its budget)

    def _parse_one(self, file: Any, row: FileRow | None, root: Path, history: Any) -> _Parsed:
        try:
            digest = pipeline.content_hash(file, root)
        except OSError as err:
            return _Parsed(file, row, error=f"cannot read: {err.strerror or one_line(err)}")
        except Exception as err:  # noqa: BLE001 - one file's problem is that file's error
            return _Parsed(file, row, error=f"cannot read: {one_line(err, strip=(file.path,))}")
        if row and row.sha256 == digest and row.file_kind == file.file_kind and not self._reparse:
            return _Parsed(file, row, digest)  # touched, not parsed
        outcome = sandbox.build(
            file,
            root,
            pipeline.history(file, root, history),
            self.settings.thumbnails_dir,
            self.parse_limits,
        )
        return _Parsed(file, row, digest, outcome)

    def _prepare(self, parsed: _Parsed, batch: _Batch, report: IndexReport) -> None:
        file, row = parsed.file, parsed.row
        if parsed.error:
            report.add_error(file.relpath, parsed.error)
        elif parsed.outcome is None:  # same content: nothing to parse
            self.catalog.touch_file(str(file.path), file.size, file.mtime_ns)
            if row is not None:
                self._keep_access(row)
            report.unchanged += 1
            if row is not None and row.error:
                report.add_error(file.relpath, row.error)
        else:
            batch.files.append((file, parsed.digest, parsed.outcome))

    def _commit(self, batch: _Batch, run_id: int, report: IndexReport) -> None:
        if not batch.files:
            return
        docs = [d for _, _, o in batch.files for d in o.docs]
        hashes = [text_hash(d.content) for d in docs]
        vectors, new = self._vectors_for(dict(zip(hashes, (d.content for d in docs), strict=True)))
        report.embeddings_computed += len(new)
        report.embeddings_reused += len(vectors) - len(new)
        with self.catalog.transaction():
            self.catalog.cache_vectors(self.embedder.name, new)
            for file, digest, outcome in batch.files:
                status = "error" if outcome.error else "indexed"
                access = self._access.get(str(file.path))
                self.catalog.upsert_file(
                    FileRow(
                        str(file.path), report.root, file.relpath, file.file_kind, file.size, file.mtime_ns,
                        digest, status, outcome.error, outcome.warnings, access,
                    ),
                    run_id,
                )  # fmt: skip
                for doc in outcome.docs:
                    doc.metadata.pop("access_control", None)
                    if access is not None:
                        doc.metadata["access_control"] = access
                if outcome.error:
                    report.add_error(file.relpath, outcome.error)
                    continue  # keep what an earlier run indexed from this file
                report.indexed += 1
                report.chunks += len(outcome.docs)
                for warning in outcome.warnings:
                    report.add_warning(file.relpath, warning)
                self.catalog.replace_documents(
                    str(file.path),
                    [
                        DocRow(
                            d.id, str(file.path), d.kind, d.doc_type, d.schema_version, d.content,
                            text_hash(d.content), d.metadata, d.provenance,
                        )
                        for d in outcome.docs
                    ],
                )  # fmt: skip
        self._push([(d, vectors[h]) for d, h in zip(docs, hashes, strict=True)])
        self._apply_tombstones()

    def _read_access(
        self, root: Path, files: list[Any], options: ScanOptions, report: IndexReport
    ) -> dict[str, dict[str, Any] | None]:
        """Each scanned file's ``access_control`` from the policies under ``root``; the groups the
        policies define are kept in the catalog (per root) for ``Hub(user=...)``."""
        policies = Policies(root, follow_external_links=options.follow_external_links)
        access = {str(f.path): policies.for_path(f.relpath, is_dir=f.file_kind == "model_dir") for f in files}
        for relpath, reason in policies.errors:
            report.add_error(relpath, reason)
        groups = json.loads(self.catalog.get_meta("access.groups") or "{}")
        if groups.get(report.root) != (policies.groups or None):
            groups[report.root] = policies.groups or None
            self.catalog.set_meta("access.groups", json.dumps({k: v for k, v in groups.items() if v}))
        return access

    def _keep_access(self, row: FileRow) -> None:
        """An unchanged file whose policy changed gets the new access without being parsed again."""
        access = self._access.get(row.path)
        if row.access != access:
            with self.catalog.transaction():
                self.catalog.set_access(row.path, access)

    def _vectors_for(self, texts: dict[str, str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Vectors for ``{text_hash: text}``: (all of them, the newly computed ones)."""
        vectors = self.catalog.cached_vectors(self.embedder.name, texts)
        missing = [h for h in texts if h not in vectors]
        new = (
            dict(zip(missing, self.embedder.embed([texts[h] for h in missing]), strict=True))
            if missing
            else {}
        )
        vectors.update(new)
        return vectors, new

    def _push(self, items: list[tuple[Any, np.ndarray]], force: bool = False) -> None:
        """Vectors to the vector store; a small kind's stay in the catalog only (unless ``force``),
        where dense search reads them (see :func:`~.store.vectors.defer_kind`)."""
        by_kind: dict[str, list[tuple[Any, np.ndarray]]] = defaultdict(list)
        for doc, vec in items:
            by_kind[doc.kind].append((doc, vec))
        counts = {} if force else self.catalog.document_counts()
        if not force:
            vector_kinds.fill_deferred(self.catalog, self.vectors, counts)
        for kind, pairs in by_kind.items():
            ids = [d.id for d, _ in pairs]
            if not force and vector_kinds.defer_kind(self.catalog, self.vectors, kind, ids, counts):
                continue
            self.vectors.upsert(
                kind,
                [d.id for d, _ in pairs],
                np.stack([v for _, v in pairs]),
                [d.metadata for d, _ in pairs],
            )
            self.catalog.mark_synced([d.id for d, _ in pairs])

    def _apply_tombstones(self) -> None:
        stones = self.catalog.tombstones()
        by_kind: dict[str, list[str]] = defaultdict(list)
        for doc_id, kind in stones:
            by_kind[kind].append(doc_id)
        for kind, ids in by_kind.items():
            if not vector_kinds.is_deferred(self.catalog, kind):  # else dropped and refilled when it grows
                self.vectors.delete(kind, ids)
        self.catalog.clear_tombstones([i for i, _ in stones])

    def _reconcile(self, force: bool = False) -> int:
        """Finish what a killed run left: push unsynced documents, apply deletions."""
        self._apply_tombstones()
        vector_kinds.fill_deferred(self.catalog, self.vectors)
        pushed = 0
        while rows := self.catalog.unsynced():
            texts = {r.text_hash or text_hash(r.content or ""): r.content or "" for r in rows}
            vectors, new = self._vectors_for(texts)
            if new:
                with self.catalog.transaction():
                    self.catalog.cache_vectors(self.embedder.name, new)
            self._push([(r, vectors[r.text_hash or text_hash(r.content or "")]) for r in rows], force)
            pushed += len(rows)
        return pushed

    def _relationships(self) -> None:
        firsts: dict[str, dict[str, Any]] = {}
        contents: dict[str, str] = {}
        for doc in self.catalog.documents():
            firsts.setdefault(doc.file_path, {**doc.metadata, "_provenance": doc.provenance})
            if doc.kind == "code":
                rel = str(doc.metadata.get("filepath", doc.file_path))
                contents[rel] = contents.get(rel, "") + "\n" + (doc.content or "")
        edges = derive_relationships(list(firsts.values()), contents)
        with self.catalog.transaction():
            self.catalog.replace_relationships(edges)


def parsers_key() -> str:
    """What the parsers that wrote a root's documents were: :data:`PARSER_REVISION` and the schemas."""
    from . import schemas
    from .vocabulary import TYPES

    return ";".join([f"r{PARSER_REVISION}", *(f"{t}={schemas.current_version(t)}" for t in TYPES)])


def index_root(path: str | Path) -> Path:
    """``path`` as a folder to index (absolute, links resolved); one-line errors otherwise."""
    root = Path(path).expanduser()
    if not root.exists():
        raise NotFoundError(f"{path}: no such directory", path=str(path))
    if not root.is_dir():
        raise BadInputError(f"{path}: not a directory", path=str(path))
    return root.resolve()


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="indexing", unit="file", disable=not enabled or total == 0, leave=False)
