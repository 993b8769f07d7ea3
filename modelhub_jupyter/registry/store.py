"""The registry's rows in the SQLite catalog (tables made by ``_v6_registry``): typed reads and writes.

Every change to a model or a version appends to ``reg_history`` with who and when, in the
same transaction as the change, so the history is never out of step with the state.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError

if TYPE_CHECKING:
    import sqlite3

    from ..store.catalog import Catalog

#: Model types that have one active version each (what a Hub loads for that job).
MODEL_TYPES = ("text_embedding", "image_embedding", "captioning", "llm", "other")
#: Lifecycle stages, in order.
STAGES = ("development", "staging", "production", "deprecated", "archived")
#: Stage moves allowed (to production only with an approval).
TRANSITIONS = {
    "development": {"staging", "deprecated", "archived"},
    "staging": {"development", "production", "deprecated", "archived"},
    "production": {"staging", "deprecated", "archived"},
    "deprecated": {"staging", "archived"},
    "archived": set(),
}
#: Where the active versions' stamp lives (``meta``); bumped on every activation.
STAMP_KEY = "registry.stamp"


@dataclass
class ModelRow:
    """A registered model: a name, its type, where it lies, what discovery read from it."""

    name: str
    model_type: str
    path: str | None = None
    format: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    categories: dict[str, Any] = field(default_factory=dict)
    tier: str = "lite"
    groups: list[str] = field(default_factory=list)
    created: float = 0.0
    updated: float = 0.0
    discovered: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VersionRow:
    """One version of a model: its files (with sha256), config, stage, approval and active flag."""

    model: str
    version: str
    model_type: str
    path: str
    format: str
    source: str
    checkpoint_sha256: str
    files: list[dict[str, Any]]
    inference_config: dict[str, Any]
    vector_key: str | None = None
    dim: int | None = None
    parent: str | None = None
    stage: str = "development"
    approval: dict[str, Any] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    created_by: str = ""
    active: bool = False
    id: int = 0

    @property
    def size(self) -> int:
        return sum(int(f.get("size", 0)) for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["size"] = self.size
        return out

    def text(self) -> str:
        from .views import version_text

        return version_text(self.to_dict())


_MODEL_COLS = (
    "name, model_type, path, format, source, metadata, categories, tier, groups, created, updated, discovered"
)
_VERSION_COLS = (
    "model, version, model_type, path, format, source, checkpoint_sha256, files, inference_config, "
    "vector_key, dim, parent, stage, approval, metrics, created, created_by, active, id"
)


def _model(r: tuple[Any, ...]) -> ModelRow:
    return ModelRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), json.loads(r[6]), r[7],
                    json.loads(r[8]), r[9], r[10], bool(r[11]))  # fmt: skip


def _version(r: tuple[Any, ...]) -> VersionRow:
    return VersionRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), json.loads(r[8]), r[9],
                      r[10], r[11], r[12], json.loads(r[13]) if r[13] else None, json.loads(r[14]), r[15],
                      r[16], bool(r[17]), r[18])  # fmt: skip


class RegistryStore:
    """Reads and writes of the registry tables of one :class:`~modelhub_jupyter.store.catalog.Catalog`."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @property
    def db(self) -> sqlite3.Connection:
        return self.catalog.db

    # -- models -----------------------------------------------------------------------------
    def models(self, model_type: str | None = None) -> list[ModelRow]:
        sql = f"SELECT {_MODEL_COLS} FROM reg_models"
        args: list[Any] = []
        if model_type:
            sql += " WHERE model_type=?"
            args.append(model_type)
        return [_model(r) for r in self.db.execute(sql + " ORDER BY model_type, name", args)]

    def model(self, name: str) -> ModelRow | None:
        row = self.db.execute(f"SELECT {_MODEL_COLS} FROM reg_models WHERE name=?", (name,)).fetchone()
        return _model(row) if row else None

    def require_model(self, name: str) -> ModelRow:
        found = self.model(name)
        if found is None:
            known = ", ".join(m.name for m in self.models()[:8]) or "none registered"
            raise NotFoundError(f"no model named {name!r} in the registry ({known})")
        return found

    def upsert_model(self, m: ModelRow, user: str, action: str = "register") -> None:
        """Insert or update ``m`` (keeping its creation time), with a history row."""
        self.upsert_models([m], user, action)

    def upsert_models(self, rows: list[ModelRow], user: str, action: str = "register") -> None:
        """:meth:`upsert_model` for each of ``rows``, in one transaction (one commit for a discovery run)."""
        now = time.time()
        with self.catalog.transaction() as db:
            for m in rows:
                old = db.execute("SELECT created FROM reg_models WHERE name=?", (m.name,)).fetchone()
                m.created = old[0] if old else now
                m.updated = now
                db.execute(
                    f"INSERT OR REPLACE INTO reg_models ({_MODEL_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (m.name, m.model_type, m.path, m.format, m.source, json.dumps(m.metadata, default=str),
                     json.dumps(m.categories), m.tier, json.dumps(m.groups), m.created, m.updated,
                     int(m.discovered)),
                )  # fmt: skip
                self._history(db, user, m.name, None, m.model_type, action, {"path": m.path})

    # -- versions ---------------------------------------------------------------------------
    def versions(self, model: str | None = None, model_type: str | None = None) -> list[VersionRow]:
        sql = f"SELECT {_VERSION_COLS} FROM reg_versions"
        where, args = _where(model=model, model_type=model_type)
        sql += where
        return [_version(r) for r in self.db.execute(sql + " ORDER BY model, id", args)]

    def version(self, model: str, version: str) -> VersionRow | None:
        row = self.db.execute(
            f"SELECT {_VERSION_COLS} FROM reg_versions WHERE model=? AND version=?", (model, version)
        ).fetchone()
        return _version(row) if row else None

    def active(self, model_type: str) -> VersionRow | None:
        row = self.db.execute(
            f"SELECT {_VERSION_COLS} FROM reg_versions WHERE model_type=? AND active=1", (model_type,)
        ).fetchone()
        return _version(row) if row else None

    def add_version(self, v: VersionRow, user: str) -> VersionRow:
        with self.catalog.transaction() as db:
            v.created = time.time()
            v.created_by = user
            cursor = db.execute(
                f"INSERT INTO reg_versions ({_VERSION_COLS.rsplit(', id', 1)[0]}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (v.model, v.version, v.model_type, v.path, v.format, v.source, v.checkpoint_sha256,
                 json.dumps(v.files), json.dumps(v.inference_config), v.vector_key, v.dim, v.parent, v.stage,
                 json.dumps(v.approval) if v.approval else None, json.dumps(v.metrics), v.created, user, 0),
            )  # fmt: skip
            v.id = int(cursor.lastrowid or 0)
            self._history(db, user, v.model, v.version, v.model_type, "register_version",
                          {"path": v.path, "sha256": v.checkpoint_sha256, "parent": v.parent})  # fmt: skip
        return v

    def set_stage(self, v: VersionRow, stage: str, approval: dict[str, Any] | None, user: str) -> None:
        with self.catalog.transaction() as db:
            db.execute(
                "UPDATE reg_versions SET stage=?, approval=COALESCE(?, approval) WHERE id=?",
                (stage, json.dumps(approval) if approval else None, v.id),
            )
            self._history(db, user, v.model, v.version, v.model_type, "stage",
                          {"from": v.stage, "to": stage, "approval": approval})  # fmt: skip

    def set_metrics(self, v: VersionRow, metrics: dict[str, Any], user: str) -> None:
        with self.catalog.transaction() as db:
            db.execute("UPDATE reg_versions SET metrics=? WHERE id=?", (json.dumps(metrics), v.id))
            self._history(db, user, v.model, v.version, v.model_type, "metrics", metrics)

    def set_active(self, v: VersionRow, user: str, action: str, detail: dict[str, Any]) -> None:
        """Make ``v`` the one active version of its type and bump the stamp running hubs watch."""
        with self.catalog.transaction() as db:
            db.execute("UPDATE reg_versions SET active=0 WHERE model_type=? AND active=1", (v.model_type,))
            db.execute("UPDATE reg_versions SET active=1 WHERE id=?", (v.id,))
            db.execute(
                "INSERT INTO meta VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET "
                "value = CAST(value AS INTEGER) + 1",
                (STAMP_KEY,),
            )
            self._history(db, user, v.model, v.version, v.model_type, action, detail)

    def stamp(self) -> str | None:
        return self.catalog.get_meta(STAMP_KEY)

    # -- history ----------------------------------------------------------------------------
    @staticmethod
    def _history(
        db: sqlite3.Connection, user: str, model: str, version: str | None, model_type: str | None,
        action: str, detail: dict[str, Any],
    ) -> None:  # fmt: skip
        db.execute(
            "INSERT INTO reg_history (at, user, model, version, model_type, action, detail) "
            "VALUES (?,?,?,?,?,?,?)",
            (time.time(), user, model, version, model_type, action, json.dumps(detail, default=str)),
        )

    def log(self, user: str, model: str, version: str | None, model_type: str | None, action: str,
            detail: dict[str, Any]) -> None:  # fmt: skip
        self._history(self.db, user, model, version, model_type, action, detail)

    def history(
        self, model: str | None = None, model_type: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        sql = "SELECT at, user, model, version, model_type, action, detail FROM reg_history"
        where, args = _where(model=model, model_type=model_type)
        sql += where
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
        keys = ("at", "user", "model", "version", "model_type", "action", "detail")
        return [{**dict(zip(keys, r, strict=True)), "detail": json.loads(r[6])} for r in rows]

    # -- performance ------------------------------------------------------------------------
    def record_performance(self, run_id: str, v: VersionRow, metrics: dict[str, float], notes: str) -> None:
        now = time.time()
        with self.catalog.transaction() as db:
            db.executemany(
                "INSERT INTO reg_performance (run_id, model_type, model, version, metric, value, recorded, notes) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [
                    (run_id, v.model_type, v.model, v.version, k, float(val), now, notes)
                    for k, val in metrics.items()
                ],
            )

    def performance(self, model_type: str | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT run_id, model_type, model, version, metric, value, recorded, notes FROM reg_performance"
        where, args = _where(model_type=model_type, run_id=run_id)
        sql += where
        keys = ("run_id", "model_type", "model", "version", "metric", "value", "recorded", "notes")
        return [dict(zip(keys, r, strict=True)) for r in self.db.execute(sql + " ORDER BY id", args)]

    # -- downloads --------------------------------------------------------------------------
    def start_download(self, source: str, revision: str | None, dest: str, user: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO reg_downloads (source, revision, dest, status, started, user) VALUES (?,?,?,?,?,?)",
            (source, revision, dest, "running", time.time(), user),
        )
        return int(cursor.lastrowid or 0)

    def finish_download(
        self, row_id: int, status: str, nbytes: int, sha256: str | None, error: str | None
    ) -> None:
        self.db.execute(
            "UPDATE reg_downloads SET status=?, bytes=?, sha256=?, error=?, finished=? WHERE id=?",
            (status, nbytes, sha256, error, time.time(), row_id),
        )

    def downloads(self, limit: int = 50) -> list[dict[str, Any]]:
        keys = (
            "id",
            "source",
            "revision",
            "dest",
            "status",
            "bytes",
            "sha256",
            "error",
            "started",
            "finished",
            "user",
        )
        rows = self.db.execute(
            f"SELECT {', '.join(keys)} FROM reg_downloads ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- vector generations -----------------------------------------------------------------
    def generation(self, key: str) -> dict[str, Any] | None:
        keys = GENERATION_KEYS
        row = self.db.execute(
            f"SELECT {', '.join(keys)} FROM reg_generations WHERE vector_key=?", (key,)
        ).fetchone()
        return dict(zip(keys, row, strict=True)) if row else None

    def generations(self) -> list[dict[str, Any]]:
        keys = GENERATION_KEYS
        rows = self.db.execute(f"SELECT {', '.join(keys)} FROM reg_generations ORDER BY started")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def set_generation(self, key: str, model_type: str, status: str, done: int = 0, total: int = 0,
                       catalog_generation: int | None = None, error: str | None = None) -> None:  # fmt: skip
        now = time.time()
        self.db.execute(
            "INSERT INTO reg_generations (vector_key, model_type, status, done, total, catalog_generation, "
            "started, finished, error) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(vector_key) DO UPDATE SET "
            "status=excluded.status, done=excluded.done, total=excluded.total, "
            "catalog_generation=excluded.catalog_generation, finished=excluded.finished, error=excluded.error, "
            "started=CASE WHEN excluded.status='building' AND reg_generations.status!='building' "
            "THEN excluded.started ELSE reg_generations.started END",
            (key, model_type, status, done, total, catalog_generation, now,
             now if status != "building" else None, error),
        )  # fmt: skip

    # -- discovery log ----------------------------------------------------------------------
    def log_discovery(self, root: str, entries: list[tuple[str, str, str]]) -> int:
        """Store one discovery run's ``(path, outcome, reason)`` rows; returns the run id."""
        with self.catalog.transaction() as db:
            run = int(db.execute("SELECT COALESCE(MAX(run_id), 0) + 1 FROM reg_discovery").fetchone()[0])
            now = time.time()
            db.executemany(
                "INSERT INTO reg_discovery (run_id, at, root, path, outcome, reason) VALUES (?,?,?,?,?,?)",
                [(run, now, root, p, o, r) for p, o, r in entries],
            )
        return run

    def discovery_log(self, run_id: int | None = None) -> list[dict[str, Any]]:
        if run_id is None:
            last = self.db.execute("SELECT MAX(run_id) FROM reg_discovery").fetchone()[0]
            run_id = int(last or 0)
        rows = self.db.execute(
            "SELECT run_id, at, root, path, outcome, reason FROM reg_discovery WHERE run_id=? ORDER BY id",
            (run_id,),
        )
        keys = ("run_id", "at", "root", "path", "outcome", "reason")
        return [dict(zip(keys, r, strict=True)) for r in rows]


#: The columns of a vector generation row, as ``generation()``/``generations()`` return them.
GENERATION_KEYS = (
    "vector_key", "model_type", "status", "done", "total", "catalog_generation", "started", "finished", "error",
)  # fmt: skip


def _where(**equals: Any) -> tuple[str, list[Any]]:
    """`` WHERE a=? AND b=?`` over the ``equals`` that are given (not None/empty), and their values."""
    given = {column: value for column, value in equals.items() if value}
    return (" WHERE " + " AND ".join(f"{c}=?" for c in given) if given else ""), list(given.values())
