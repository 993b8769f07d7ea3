"""Per-user limits on notebook executions (how many at once, total seconds), kept in the catalog."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass

import psutil

from ..errors import ModelHubError
from ..store.catalog import Catalog, _v8_notebooks

DEFAULT_CONCURRENT = 2
DEFAULT_SECONDS = 4 * 3600.0


class QuotaExceededError(ModelHubError):
    """A notebook run refused because the user is over a limit."""

    code = "quota_exceeded"
    http_status = 429


@dataclass(frozen=True)
class Quota:
    max_concurrent: int
    max_seconds: float


def _db(catalog: Catalog) -> sqlite3.Connection:
    _v8_notebooks(catalog.db)  # a catalog migrated before the tables existed still gets them
    return catalog.db


def quota_of(catalog: Catalog, user: str) -> Quota:
    """The user's limits: their own row, else $MODELHUB_NOTEBOOK_MAX_CONCURRENT / _MAX_SECONDS, else defaults."""
    row = (
        _db(catalog)
        .execute("SELECT max_concurrent, max_seconds FROM notebook_quotas WHERE user=?", (user,))
        .fetchone()
    )
    if row:
        return Quota(int(row[0]), float(row[1]))
    return Quota(
        int(os.environ.get("MODELHUB_NOTEBOOK_MAX_CONCURRENT", DEFAULT_CONCURRENT)),
        float(os.environ.get("MODELHUB_NOTEBOOK_MAX_SECONDS", DEFAULT_SECONDS)),
    )


def set_quota(catalog: Catalog, user: str, max_concurrent: int, max_seconds: float) -> None:
    with catalog.transaction() as db:
        _v8_notebooks(db)
        db.execute(
            "INSERT OR REPLACE INTO notebook_quotas (user, max_concurrent, max_seconds) VALUES (?, ?, ?)",
            (user, max_concurrent, max_seconds),
        )


def start(catalog: Catalog, user: str, template: str, path: str) -> int:
    """Record a run as started, or raise :class:`QuotaExceededError` when the user is over a limit."""
    quota = quota_of(catalog, user)
    with catalog.transaction() as db:
        running = db.execute(
            "SELECT id, pid FROM notebook_runs WHERE user=? AND status='running'", (user,)
        ).fetchall()
        for run_id, pid in running:  # a run whose process died is not running any more
            if not psutil.pid_exists(pid):
                db.execute(
                    "UPDATE notebook_runs SET status='abandoned', finished=? WHERE id=?",
                    (time.time(), run_id),
                )
        alive = db.execute(
            "SELECT COUNT(*) FROM notebook_runs WHERE user=? AND status='running'", (user,)
        ).fetchone()[0]
        if alive >= quota.max_concurrent:
            raise QuotaExceededError(
                f"{user} already runs {alive} notebook(s), the limit is {quota.max_concurrent}; wait for one to finish"
            )
        used = db.execute(
            "SELECT COALESCE(SUM(seconds), 0) FROM notebook_runs WHERE user=?", (user,)
        ).fetchone()[0]
        if used >= quota.max_seconds:
            raise QuotaExceededError(
                f"{user} has used {used:.0f} s of notebook execution, the limit is {quota.max_seconds:.0f} s"
            )
        cursor = db.execute(
            "INSERT INTO notebook_runs (user, template, path, pid, started, status) VALUES (?, ?, ?, ?, ?, 'running')",
            (user, template, path, os.getpid(), time.time()),
        )
        return int(cursor.lastrowid or 0)


def finish(catalog: Catalog, run_id: int, status: str, error: str | None = None) -> float:
    """Record how the run ended; returns its seconds."""
    now = time.time()
    with catalog.transaction() as db:
        started = db.execute("SELECT started FROM notebook_runs WHERE id=?", (run_id,)).fetchone()
        seconds = now - float(started[0]) if started else 0.0
        db.execute(
            "UPDATE notebook_runs SET status=?, finished=?, seconds=?, error=? WHERE id=?",
            (status, now, seconds, error, run_id),
        )
    return seconds


def runs(catalog: Catalog, user: str | None = None, limit: int = 50) -> list[dict[str, object]]:
    sql = "SELECT id, user, template, path, started, finished, status, seconds, error FROM notebook_runs"
    args: tuple[object, ...] = ()
    if user:
        sql, args = sql + " WHERE user=?", (user,)
    rows = _db(catalog).execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
    keys = ("id", "user", "template", "path", "started", "finished", "status", "seconds", "error")
    return [dict(zip(keys, r, strict=True)) for r in rows]
