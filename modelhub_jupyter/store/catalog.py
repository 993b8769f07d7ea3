"""The SQLite catalog: the source of truth for files, documents, embeddings and runs.

Chroma holds a copy of the vectors for fast kNN; everything needed to rebuild it
(documents, metadata, cached embeddings) lives here. Each document row has a
``synced`` flag and deleted ids go to ``tombstones`` until Chroma has applied them,
so a run killed half-way is completed by the next one.

Tables change through numbered migrations (:data:`MIGRATIONS`, recorded in
``PRAGMA user_version``). Each thread gets its own connection (WAL: readers never wait
for the writer, and one writer at a time is SQLite's own rule), so a kernel, a panel's
index thread and a server's request threads can share one ``Catalog``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import schemas
from ..errors import ModelHubError, NotFoundError

# The tables as the first releases created them (``CREATE TABLE IF NOT EXISTS``, no version
# recorded): a catalog with user_version 0 either is empty or has exactly these.
_V1_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS roots (path TEXT PRIMARY KEY, added_at REAL, last_indexed_at REAL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, root TEXT NOT NULL, relpath TEXT NOT NULL, kind TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER, sha256 TEXT, status TEXT NOT NULL, error TEXT,
    warnings TEXT, indexed_at REAL, run_id INTEGER);
CREATE INDEX IF NOT EXISTS files_root ON files(root);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, file_path TEXT NOT NULL, kind TEXT NOT NULL, doc_type TEXT NOT NULL,
    schema_version TEXT NOT NULL, content TEXT, text_hash TEXT, metadata TEXT NOT NULL,
    provenance TEXT NOT NULL, synced INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file_path);
CREATE INDEX IF NOT EXISTS documents_kind ON documents(kind);
CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, text_hash));
CREATE TABLE IF NOT EXISTS relationships (
    source_id TEXT NOT NULL, target_id TEXT NOT NULL, relation TEXT NOT NULL, evidence TEXT,
    PRIMARY KEY (source_id, target_id, relation));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, root TEXT, started_at REAL, finished_at REAL,
    status TEXT, stats TEXT);
"""


def _v1_tables(db: sqlite3.Connection) -> None:
    """Version 1: the original tables (a catalog written before versions were recorded has them)."""
    for statement in _V1_TABLES.split(";"):
        if statement.strip():
            db.execute(statement)


def _v2_file_kind(db: sqlite3.Connection) -> None:
    """Version 2: ``files.kind`` is the scanner's *file kind*; name it so (``documents.kind`` stays)."""
    db.execute("ALTER TABLE files RENAME COLUMN kind TO file_kind")


def _v3_queries(db: sqlite3.Connection) -> None:
    """Version 3: every search and question, for query analytics (``modelhub stats``)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS queries (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, user TEXT NOT NULL,
            action TEXT NOT NULL, text TEXT NOT NULL, kind TEXT NOT NULL, intent TEXT NOT NULL,
            latency_ms REAL NOT NULL, hits INTEGER NOT NULL, top TEXT NOT NULL, cited TEXT NOT NULL,
            filters TEXT NOT NULL, surface TEXT NOT NULL, feedback INTEGER, clicked TEXT)"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS queries_at ON queries(at)")


def _v4_access(db: sqlite3.Connection) -> None:
    """Version 4: who may see each file (``files.access``, JSON) and the audit log of denials."""
    db.execute("ALTER TABLE files ADD COLUMN access TEXT")
    db.execute(
        """CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, user TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL)"""
    )


def _v5_prompts(db: sqlite3.Connection) -> None:
    """Version 5: versioned prompt templates, their activations (for rollback) and A/B runs."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS prompt_templates (
            name TEXT NOT NULL, version INTEGER NOT NULL, system TEXT NOT NULL,
            user_template TEXT NOT NULL, note TEXT NOT NULL, author TEXT NOT NULL, created REAL NOT NULL,
            active INTEGER NOT NULL DEFAULT 0, parent INTEGER, PRIMARY KEY (name, version))"""
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS prompt_one_active ON prompt_templates(name) WHERE active = 1"
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS prompt_activations (
            id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, version INTEGER NOT NULL,
            at REAL NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS ab_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, version_a INTEGER NOT NULL,
            version_b INTEGER NOT NULL, at REAL NOT NULL, user TEXT NOT NULL, llm TEXT NOT NULL,
            questions INTEGER NOT NULL, status TEXT NOT NULL, verdict TEXT NOT NULL, result TEXT NOT NULL)"""
    )


def _v6_registry(db: sqlite3.Connection) -> None:
    """The model registry's tables (models, versions, performance, downloads, activations)."""
    for statement in (
        """CREATE TABLE IF NOT EXISTS reg_models (
            name TEXT PRIMARY KEY, model_type TEXT NOT NULL, path TEXT, format TEXT, source TEXT,
            metadata TEXT NOT NULL DEFAULT '{}', categories TEXT NOT NULL DEFAULT '{}',
            tier TEXT NOT NULL DEFAULT 'lite', groups TEXT NOT NULL DEFAULT '[]',
            created REAL NOT NULL, updated REAL NOT NULL, discovered INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE IF NOT EXISTS reg_versions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, version TEXT NOT NULL,
            model_type TEXT NOT NULL, path TEXT NOT NULL, format TEXT NOT NULL, source TEXT NOT NULL,
            checkpoint_sha256 TEXT NOT NULL, files TEXT NOT NULL, inference_config TEXT NOT NULL,
            vector_key TEXT, dim INTEGER, parent TEXT, stage TEXT NOT NULL DEFAULT 'development',
            approval TEXT, metrics TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL,
            created_by TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 0, UNIQUE (model, version))""",
        "CREATE UNIQUE INDEX IF NOT EXISTS reg_one_active ON reg_versions(model_type) WHERE active = 1",
        """CREATE TABLE IF NOT EXISTS reg_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, user TEXT NOT NULL,
            model TEXT NOT NULL, version TEXT, model_type TEXT, action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}')""",
        """CREATE TABLE IF NOT EXISTS reg_performance (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, model_type TEXT NOT NULL,
            model TEXT NOT NULL, version TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL,
            recorded REAL NOT NULL, notes TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE IF NOT EXISTS reg_downloads (
            id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, revision TEXT, dest TEXT,
            status TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0, sha256 TEXT, error TEXT,
            started REAL NOT NULL, finished REAL, user TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS reg_generations (
            vector_key TEXT PRIMARY KEY, model_type TEXT NOT NULL, status TEXT NOT NULL,
            done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,
            catalog_generation INTEGER, started REAL NOT NULL, finished REAL, error TEXT)""",
        """CREATE TABLE IF NOT EXISTS reg_discovery (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, at REAL NOT NULL,
            root TEXT NOT NULL, path TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL)""",
    ):
        db.execute(statement)


def _v7_images(db: sqlite3.Connection) -> None:
    """Image vectors: the CLIP embedding cache, tiles with boxes, perceptual hashes."""
    for statement in (
        # tile -1 is the whole image; box = [x0, y0, x1, y1] as fractions of the upright image
        """CREATE TABLE IF NOT EXISTS image_vectors (
            model TEXT NOT NULL, content_hash TEXT NOT NULL, tile INTEGER NOT NULL,
            box TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, content_hash, tile))""",
        """CREATE TABLE IF NOT EXISTS image_hashes (
            content_hash TEXT PRIMARY KEY, phash TEXT NOT NULL, dhash TEXT NOT NULL,
            error TEXT)""",
        """CREATE TABLE IF NOT EXISTS image_scores (
            model TEXT NOT NULL, content_hash TEXT NOT NULL, key TEXT NOT NULL, value REAL NOT NULL,
            PRIMARY KEY (model, content_hash, key))""",
    ):
        db.execute(statement)


def _v8_notebooks(db: sqlite3.Connection) -> None:
    """Generated notebooks: executions and per-user quotas."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS notebook_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, template TEXT NOT NULL,
            path TEXT NOT NULL, pid INTEGER NOT NULL, started REAL NOT NULL, finished REAL,
            status TEXT NOT NULL, seconds REAL NOT NULL DEFAULT 0, error TEXT)"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS notebook_runs_user ON notebook_runs (user, status)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS notebook_quotas (
            user TEXT PRIMARY KEY, max_concurrent INTEGER NOT NULL, max_seconds REAL NOT NULL)"""
    )


def _v9_favorites(db: sqlite3.Connection) -> None:
    """Version 9: starred searches and questions, per user (``hub.favorites``)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS favorites (
            id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, action TEXT NOT NULL,
            text TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{}', note TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL, UNIQUE (user, action, text))"""
    )


def _v10_quality(db: sqlite3.Connection) -> None:
    """Version 10: how sure each stored query's best result was (``queries.confidence``, 0-1) and
    usage events (results opened, comparison dimensions) for the Quality view (:mod:`..quality`)."""
    db.execute("ALTER TABLE queries ADD COLUMN confidence REAL")
    db.execute(
        """CREATE TABLE IF NOT EXISTS usage_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, user TEXT NOT NULL,
            event TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS usage_events_at ON usage_events (event, at)")


#: Step ``i`` brings a catalog from ``user_version`` i to i + 1. Append; never edit a released step.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_tables,
    _v2_file_kind,
    _v3_queries,
    _v4_access,
    _v5_prompts,
    _v6_registry,
    _v7_images,
    _v8_notebooks,
    _v9_favorites,
    _v10_quality,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the catalog behind ``db`` to :data:`SCHEMA_VERSION`; returns the version it had.

    Runs in one write transaction, so two processes opening an old catalog migrate it once.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        found = int(db.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise ModelHubError(
                f"the catalog has schema version {found}, newer than this modelhub understands "
                f"({SCHEMA_VERSION}); upgrade modelhub-jupyter"
            )
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return found


@dataclass
class FileRow:
    path: str
    root: str
    relpath: str
    file_kind: str
    size: int
    mtime_ns: int
    sha256: str | None
    status: str
    error: str | None = None
    warnings: list[str] | None = None
    access: dict[str, Any] | None = None  # access_control of its documents; None: everyone may see


@dataclass
class DocRow:
    id: str
    file_path: str
    kind: str
    doc_type: str
    schema_version: str
    content: str | None
    text_hash: str | None
    metadata: dict[str, Any]
    provenance: dict[str, str]


@dataclass(frozen=True)
class QueryRow:
    """One search or question as stored for analytics."""

    at: float
    user: str
    action: str  # "search" | "ask"
    text: str
    kind: str
    intent: str
    latency_ms: float
    hits: int
    top: str  # the first result's path
    cited: list[str]
    filters: list[str]
    surface: str
    feedback: int | None = None
    clicked: str | None = None
    id: int = 0


class Catalog:
    """Typed access to the catalog database: WAL mode, one connection per thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.migrated_from = migrate(self.db)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._connections = self._connections, []
        for db in connections:
            db.close()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        """A counter bumped on every change of the documents, for caches of derived data."""
        return int(self.get_meta("generation", "0") or 0)

    def bump_generation(self) -> None:
        self.db.execute(
            "INSERT INTO meta VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # -- roots and files --------------------------------------------------------------------
    # -- query analytics -------------------------------------------------------------------------
    def record_query(self, query: QueryRow) -> int:
        """Store one search or question; returns its id (for feedback)."""
        cursor = self.db.execute(
            "INSERT INTO queries (at, user, action, text, kind, intent, latency_ms, hits, top, cited, "
            "filters, surface, feedback, clicked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (query.at, query.user, query.action, query.text[:2000], query.kind, query.intent,
             query.latency_ms, query.hits, query.top, json.dumps(query.cited), json.dumps(query.filters),
             query.surface, query.feedback, query.clicked),
        )  # fmt: skip
        return int(cursor.lastrowid or 0)

    def query_feedback(self, query_id: int, feedback: int | None = None, clicked: str | None = None) -> None:
        """Thumbs up (1) / down (-1) and the result opened, on a stored query."""
        cursor = self.db.execute(
            "UPDATE queries SET feedback = COALESCE(?, feedback), clicked = COALESCE(?, clicked) WHERE id = ?",
            (feedback, clicked, query_id),
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"no query {query_id}")

    def queries(self, since: float = 0.0) -> list[QueryRow]:
        """Stored queries since ``since`` (a Unix time), oldest first."""
        rows = self.db.execute(
            "SELECT at, user, action, text, kind, intent, latency_ms, hits, top, cited, filters, surface, "
            "feedback, clicked, id FROM queries WHERE at >= ? ORDER BY at",
            (since,),
        ).fetchall()
        return [
            QueryRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                json.loads(r[9]),
                json.loads(r[10]),
                r[11],
                r[12],
                r[13],
                r[14],
            )  # fmt: skip
            for r in rows
        ]

    def add_root(self, root: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO roots VALUES (?, ?, NULL)", (root, time.time()))

    def touch_root(self, root: str) -> None:
        self.db.execute("UPDATE roots SET last_indexed_at=? WHERE path=?", (time.time(), root))

    def roots(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT path, added_at, last_indexed_at FROM roots ORDER BY path").fetchall()
        return [{"path": p, "added_at": a, "last_indexed_at": t} for p, a, t in rows]

    def files_under(self, root: str) -> dict[str, FileRow]:
        rows = self.db.execute(
            "SELECT path, root, relpath, file_kind, size, mtime_ns, sha256, status, error, warnings, access "
            "FROM files WHERE root=?",
            (root,),
        ).fetchall()
        return {r[0]: _file_row(r) for r in rows}

    def file(self, path: str) -> FileRow | None:
        row = self.db.execute(
            "SELECT path, root, relpath, file_kind, size, mtime_ns, sha256, status, error, warnings, access "
            "FROM files WHERE path=?",
            (path,),
        ).fetchone()
        return _file_row(row) if row else None

    def upsert_file(self, row: FileRow, run_id: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files (path, root, relpath, file_kind, size, mtime_ns, sha256, "
            "status, error, warnings, indexed_at, run_id, access) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                row.path, row.root, row.relpath, row.file_kind, row.size, row.mtime_ns, row.sha256,
                row.status, row.error, json.dumps(row.warnings or []), time.time(), run_id,
                _access_json(row.access),
            ),
        )  # fmt: skip

    def set_access(self, path: str, access: dict[str, Any] | None) -> None:
        """A file's access changed (its policy did, not its content): the file and its documents get
        the new ``access_control`` and the documents go back to the vector store with it."""
        self.db.execute("UPDATE files SET access=? WHERE path=?", (_access_json(access), path))
        rows = self.db.execute("SELECT id, metadata FROM documents WHERE file_path=?", (path,)).fetchall()
        updated = []
        for doc_id, text in rows:
            metadata = json.loads(text)
            metadata.pop("access_control", None)
            if access is not None:
                metadata["access_control"] = access
            updated.append((json.dumps(metadata), doc_id))
        self.db.executemany("UPDATE documents SET metadata=?, synced=0 WHERE id=?", updated)
        if updated:
            self.bump_generation()

    def file_access(self) -> list[tuple[str, str, str, dict[str, Any] | None]]:
        """``(path, root, relpath, access)`` of every file, for what a restricted viewer may count."""
        rows = self.db.execute("SELECT path, root, relpath, access FROM files").fetchall()
        return [(p, r, rel, json.loads(a) if a else None) for p, r, rel, a in rows]

    # -- audit --------------------------------------------------------------------------------
    def audit(self, user: str, action: str, target: str, outcome: str = "denied") -> None:
        """Log an access attempt (a restricted user asking for something hidden from them)."""
        self.db.execute(
            "INSERT INTO audit (at, user, action, target, outcome) VALUES (?,?,?,?,?)",
            (time.time(), user, action, target, outcome),
        )

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT at, user, action, target, outcome FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [{"at": a, "user": u, "action": ac, "target": t, "outcome": o} for a, u, ac, t, o in rows]

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        self.db.execute("UPDATE files SET size=?, mtime_ns=? WHERE path=?", (size, mtime_ns, path))

    def delete_file(self, path: str) -> None:
        self.tombstone_documents_of(path)
        self.db.execute("DELETE FROM files WHERE path=?", (path,))

    def file_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall()
        return dict(rows)

    def errors(self, limit: int = 1000) -> list[dict[str, str]]:
        rows = self.db.execute(
            "SELECT root, relpath, error FROM files WHERE error IS NOT NULL ORDER BY relpath LIMIT ?",
            (limit,),
        ).fetchall()
        return [{"root": r, "path": p, "error": e} for r, p, e in rows]

    # -- documents --------------------------------------------------------------------------
    def tombstone_documents_of(self, file_path: str, keep: Iterable[str] = ()) -> None:
        keep_set = set(keep)
        rows = self.db.execute("SELECT id, kind FROM documents WHERE file_path=?", (file_path,)).fetchall()
        gone = [(i, k) for i, k in rows if i not in keep_set]
        self.db.executemany("INSERT OR REPLACE INTO tombstones VALUES (?, ?)", gone)
        self.db.executemany("DELETE FROM documents WHERE id=?", [(i,) for i, _ in gone])
        if gone:
            self.bump_generation()

    def replace_documents(self, file_path: str, docs: list[DocRow]) -> None:
        """Swap a file's documents for ``docs`` (old ids not reused become tombstones)."""
        self.tombstone_documents_of(file_path, keep=[d.id for d in docs])
        self.db.executemany(
            "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,0)",
            [
                (
                    d.id, d.file_path, d.kind, d.doc_type, d.schema_version, d.content, d.text_hash,
                    json.dumps(d.metadata, default=str), json.dumps(d.provenance),
                )
                for d in docs
            ],
        )  # fmt: skip
        self.db.executemany("DELETE FROM tombstones WHERE id=?", [(d.id,) for d in docs])
        self.bump_generation()

    def documents(
        self, *, kind: str | None = None, file_path: str | None = None, doc_id: str | None = None
    ) -> list[DocRow]:
        sql = (
            "SELECT id, file_path, kind, doc_type, schema_version, content, text_hash, metadata, provenance "
            "FROM documents"
        )
        clauses, args = [], []
        if kind:
            clauses.append("kind=?")
            args.append(kind)
        if file_path:
            clauses.append("file_path=?")
            args.append(file_path)
        if doc_id:
            clauses.append("id=?")
            args.append(doc_id)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY file_path, id"
        return [_doc_row(r) for r in self.db.execute(sql, args)]

    def document_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT kind, COUNT(*) FROM documents GROUP BY kind").fetchall())

    def unsynced(self, limit: int = 5000) -> list[DocRow]:
        rows = self.db.execute(
            "SELECT id, file_path, kind, doc_type, schema_version, content, text_hash, metadata, provenance "
            "FROM documents WHERE synced=0 LIMIT ?",
            (limit,),
        ).fetchall()
        return [_doc_row(r) for r in rows]

    def mark_synced(self, ids: list[str]) -> None:
        self.db.executemany("UPDATE documents SET synced=1 WHERE id=?", [(i,) for i in ids])

    def mark_all_unsynced(self) -> None:
        self.db.execute("UPDATE documents SET synced=0")

    def tombstones(self) -> list[tuple[str, str]]:
        return self.db.execute("SELECT id, kind FROM tombstones").fetchall()

    def clear_tombstones(self, ids: list[str]) -> None:
        self.db.executemany("DELETE FROM tombstones WHERE id=?", [(i,) for i in ids])

    # -- embeddings cache -------------------------------------------------------------------
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self.db.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model=? AND text_hash IN ({marks})",
                [model, *part],
            ):
                out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def has_vectors(self, model: str) -> bool:
        """Whether any vector is stored under ``model``."""
        return self.db.execute("SELECT 1 FROM embeddings WHERE model=? LIMIT 1", (model,)).fetchone() is not None

    def cache_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
            [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()],
        )

    # -- relationships ----------------------------------------------------------------------
    def replace_relationships(self, edges: list[dict[str, str]]) -> None:
        self.db.execute("DELETE FROM relationships")
        self.db.executemany(
            "INSERT OR REPLACE INTO relationships VALUES (?, ?, ?, ?)",
            [(e["source_id"], e["target_id"], e["relation"], e["evidence"]) for e in edges],
        )

    def relationships(self) -> list[dict[str, str]]:
        rows = self.db.execute(
            "SELECT source_id, target_id, relation, evidence FROM relationships ORDER BY relation, source_id"
        ).fetchall()
        return [{"source_id": s, "target_id": t, "relation": r, "evidence": e} for s, t, r, e in rows]

    # -- prompt templates and A/B runs -------------------------------------------------------------
    def prompt_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of the prompt template ``name``, oldest first."""
        rows = self.db.execute(_PROMPT_SELECT + " WHERE name=? ORDER BY version", (name,)).fetchall()
        return [_prompt_row(r) for r in rows]

    def prompt_version(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        """One version of ``name`` (the active one when ``version`` is None), or None."""
        if version is None:
            row = self.db.execute(_PROMPT_SELECT + " WHERE name=? AND active=1", (name,)).fetchone()
        else:
            row = self.db.execute(_PROMPT_SELECT + " WHERE name=? AND version=?", (name, version)).fetchone()
        return _prompt_row(row) if row else None

    def seed_prompt(self, name: str, system: str, user_template: str, note: str, author: str) -> None:
        """Store ``name``'s built-in text as its active version 1, unless it has versions already."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM prompt_templates WHERE name=? LIMIT 1", (name,)).fetchone():
                return
            now = time.time()
            db.execute(
                "INSERT INTO prompt_templates VALUES (?, 1, ?, ?, ?, ?, ?, 1, NULL)",
                (name, system, user_template, note, author, now),
            )
            db.execute(
                "INSERT INTO prompt_activations (name, version, at, user, action) VALUES (?, 1, ?, ?, 'seed')",
                (name, now, author),
            )

    def add_prompt(
        self, name: str, system: str, user_template: str, note: str, author: str, parent: int | None
    ) -> int:
        """Store a new (inactive) version of ``name``; returns its number."""
        with self.transaction() as db:
            latest = db.execute("SELECT MAX(version) FROM prompt_templates WHERE name=?", (name,)).fetchone()
            version = int(latest[0] or 0) + 1
            db.execute(
                "INSERT INTO prompt_templates VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (name, version, system, user_template, note, author, time.time(), parent),
            )
        return version

    def activate_prompt(self, name: str, version: int, user: str, action: str = "activate") -> None:
        """Make ``version`` the one active version of ``name``; the change is logged (for rollback)."""
        with self.transaction() as db:
            if not db.execute(
                "SELECT 1 FROM prompt_templates WHERE name=? AND version=?", (name, version)
            ).fetchone():
                raise NotFoundError(f"no version {version} of the {name!r} prompt template")
            db.execute("UPDATE prompt_templates SET active=0 WHERE name=? AND active=1", (name,))
            db.execute("UPDATE prompt_templates SET active=1 WHERE name=? AND version=?", (name, version))
            db.execute(
                "INSERT INTO prompt_activations (name, version, at, user, action) VALUES (?, ?, ?, ?, ?)",
                (name, version, time.time(), user, action),
            )

    def prompt_activations(self, name: str) -> list[dict[str, Any]]:
        """Every activation of a version of ``name`` (seed, activate, rollback), oldest first."""
        rows = self.db.execute(
            "SELECT version, at, user, action FROM prompt_activations WHERE name=? ORDER BY id", (name,)
        ).fetchall()
        return [{"version": v, "at": at, "user": u, "action": a} for v, at, u, a in rows]

    def record_ab_run(
        self, name: str, a: int, b: int, user: str, llm: str, questions: int, status: str, verdict: str,
        result: dict[str, Any],
    ) -> int:  # fmt: skip
        """Store an A/B run of two versions of ``name`` (``result``: its whole ``to_dict()``)."""
        cursor = self.db.execute(
            "INSERT INTO ab_runs (name, version_a, version_b, at, user, llm, questions, status, verdict, "
            "result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, a, b, time.time(), user, llm, questions, status, verdict, json.dumps(result, default=str)),
        )
        return int(cursor.lastrowid or 0)

    def ab_runs(self, name: str, limit: int = 20, run_id: int | None = None) -> list[dict[str, Any]]:
        """Stored A/B runs of ``name``, newest first (or the one with ``run_id``)."""
        sql = "SELECT id, at, user, status, result FROM ab_runs WHERE name=?"
        args: list[Any] = [name]
        if run_id is not None:
            sql += " AND id=?"
            args.append(run_id)
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
        return [{"at": at, "user": u, **json.loads(r), "id": i, "status": st} for i, at, u, st, r in rows]

    # -- runs -------------------------------------------------------------------------------
    def start_run(self, root: str) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (root, started_at, status) VALUES (?, ?, 'running')", (root, time.time())
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at=?, status=?, stats=? WHERE id=?",
            (time.time(), status, json.dumps(stats, default=str), run_id),
        )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, root, started_at, finished_at, status, stats FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {
                "id": i, "root": r, "started_at": s, "finished_at": f, "status": st,
                "stats": json.loads(js) if js else {},
            }
            for i, r, s, f, st, js in rows
        ]  # fmt: skip


_PROMPT_SELECT = (
    "SELECT name, version, system, user_template, note, author, created, active, parent FROM prompt_templates"
)


def _prompt_row(r: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("name", "version", "system", "user_template", "note", "author", "created", "active", "parent")
    row = dict(zip(keys, r, strict=True))
    row["active"] = bool(row["active"])
    return row


def _file_row(r: tuple[Any, ...]) -> FileRow:
    access = json.loads(r[10]) if r[10] else None
    return FileRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9] or "[]"), access)


def _access_json(access: dict[str, Any] | None) -> str | None:
    return json.dumps(access, sort_keys=True) if access is not None else None


def _doc_row(r: tuple[Any, ...]) -> DocRow:
    row = DocRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), json.loads(r[8]))
    if row.schema_version != schemas.current_version(row.doc_type):
        # written by an older release: migrate on read, so callers only ever see the current form
        current = schemas.read(
            {"id": row.id, "$schema_version": row.schema_version, "metadata": row.metadata}
        )
        row.metadata, row.schema_version = current["metadata"], current["$schema_version"]
    return row
