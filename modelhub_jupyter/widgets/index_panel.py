"""``IndexPanel``: what is indexed, the last runs, errors, and a re-index button."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Int, List, Unicode

from ..errors import one_line
from ..protocols import HubLike
from ._frame import NOTHING_INDEXED, Panel, css, default_hub, esm

NOTHING_HINT = f"{NOTHING_INDEXED} or enter a folder above"
READ_ONLY = "This dashboard is read-only: its owner indexes folders (modelhub index PATH)"


def _when(ts: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(ts)))
    except (TypeError, ValueError):
        return ""


class IndexPanel(Panel):
    """Show ``hub.status()``, ``hub.runs()`` and ``hub.errors()``; index a folder in the background.

    ``reindex(path)`` (or the front end's button) runs ``hub.index(path, progress=False)`` in a
    thread; ``running`` is true meanwhile and ``report`` holds the finished run's summary.

    A panel that other people use (a served dashboard) is ``read_only`` (no indexing at all) or
    limited to ``allowed_roots``: a viewer cannot make it index, and so read, any other folder.
    """

    _esm = esm("index_panel.js")
    _css = css("index_panel.css")
    panel = Unicode("index").tag(sync=True)
    events = frozenset({"reindex"})

    path = Unicode("").tag(sync=True)
    summary = Dict().tag(sync=True)
    runs = List(Dict()).tag(sync=True)
    errors = List(Dict()).tag(sync=True)
    running = Bool(False).tag(sync=True)
    done = Int(0).tag(sync=True)  # files processed so far in the running index run
    total = Int(0).tag(sync=True)  # new or changed files the run will process
    report = Dict().tag(sync=True)
    read_only = Bool(False).tag(sync=True)
    allowed_roots = List(Unicode()).tag(sync=True)

    def __init__(
        self,
        hub: HubLike | None = None,
        *,
        path: str | Path | None = None,
        read_only: bool = False,
        allowed_roots: Sequence[str | Path] = (),
    ) -> None:
        super().__init__()
        self.hub = default_hub(hub)
        self.read_only = read_only
        self.allowed_roots = [str(Path(r).expanduser().resolve()) for r in allowed_roots]
        self.path = str(path) if path is not None else ""
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self.refresh()

    # -- public ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload status, runs and errors from the hub."""
        try:
            status = self.hub.status()
            roots = [
                str(r.get("path", "")) if isinstance(r, dict) else str(r) for r in status.get("roots") or []
            ]
            self.summary = {
                key: status.get(key)
                for key in ("home", "store", "embedder", "files", "documents", "relationships", "errors")
            } | {"roots": roots}
            self.runs = [self._run_row(r) for r in self.hub.runs(10)]
            self.errors = [
                {"path": e.get("path", ""), "error": e.get("error", "")} for e in self.hub.errors(500)
            ]
            if not self.path and roots:
                self.path = roots[0]
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            self._fail(exc)
            return
        if self.running:
            return
        if not self.summary.get("documents") and not self.summary.get("roots"):
            self._empty(NOTHING_HINT)
        else:
            self._ok()

    def reindex(self, path: str | Path | None = None) -> threading.Thread | None:
        """Index ``path`` (default: ``self.path``) in a background thread; returns the thread."""
        if self.read_only:
            self._fail(READ_ONLY)
            return None
        if self.running:
            self.message = "Indexing is already running"
            return self._thread
        target = Path(str(path or self.path).strip()).expanduser() if str(path or self.path).strip() else None
        if target is None:
            self._fail("Enter a folder to index")
            return None
        if self.allowed_roots and not any(
            target.resolve().is_relative_to(root) for root in self.allowed_roots
        ):
            self._fail(
                f"{target} is not inside a folder this dashboard may index: {', '.join(self.allowed_roots)}"
            )
            return None
        if not target.exists():
            self._fail(f"{target}: no such file or folder")
            return None
        self.path = str(target)
        self.running = True
        self.report = {}
        self._loading(f"Indexing {target}…")
        self._thread = threading.Thread(target=self._work, args=(target,), name="modelhub-index", daemon=True)
        self._thread.start()
        return self._thread

    def on_indexed(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback(report_dict)`` after each successful run (the dashboard refreshes)."""
        self._listeners.append(callback)

    def on_reindex(self, content: dict[str, Any]) -> None:
        """``{"event": "reindex", "path": ...}`` from the front end."""
        self.reindex(content.get("path") or None)

    # -- internals ------------------------------------------------------------------------
    def _progressed(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if done == 1:  # past a first run's note (see _noted): back to what the run is doing
            self.message = f"Indexing {self.path}…"

    def _noted(self, what: str) -> None:
        """A first run on this machine makes the embedder's copies before it indexes (seconds)."""
        self.message = f"Indexing: {what}…"

    def _work(self, target: Path) -> None:
        try:
            self.done, self.total = 0, 0
            report = self.hub.index(
                target, progress=False, on_progress=self._progressed, on_note=self._noted
            ).to_dict()
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            self.running = False
            self.refresh()
            self._fail(f"Indexing failed: {one_line(exc)}")
            return
        self.report = report
        self.running = False
        self.refresh()
        if self.status != "error":
            docs = ", ".join(f"{k}: {v}" for k, v in sorted((report.get("documents") or {}).items()))
            self.message = (
                f"Indexed {report.get('indexed', 0)} new or changed files, {report.get('unchanged', 0)} unchanged,"
                f" {len(report.get('errors') or [])} errors in {report.get('seconds', 0):.1f} s ({docs})"
            )
        for callback in self._listeners:
            try:
                callback(report)
            except Exception:  # noqa: BLE001 - a listener's failure is not the index run's
                pass

    @staticmethod
    def _run_row(run: dict[str, Any]) -> dict[str, Any]:
        stats = run.get("stats") or {}
        started, finished = run.get("started_at"), run.get("finished_at")
        seconds = stats.get("seconds")
        if seconds is None and started and finished:
            seconds = float(finished) - float(started)
        return {
            "id": run.get("id"),
            "root": run.get("root", ""),
            "started": _when(started),
            "status": run.get("status", ""),
            "seconds": round(float(seconds), 1) if seconds is not None else None,
            "files_seen": stats.get("files_seen"),
            "indexed": stats.get("indexed"),
            "unchanged": stats.get("unchanged"),
            "errors": len(stats.get("errors") or []),
        }
