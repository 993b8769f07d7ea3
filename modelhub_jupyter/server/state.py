"""What the server extension keeps between requests: the hubs, the index run, the metrics."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInputError, NotFoundError, StoreBusyError, one_line
from ..search.access import Viewer
from .host_pool import HostPool, default_limit
from .metrics import Metrics

log = logging.getLogger(__name__)


def _single_user_providers() -> tuple[type, ...]:
    from jupyter_server.auth.identity import (
        IdentityProvider,
        LegacyIdentityProvider,
        PasswordIdentityProvider,
    )

    return (IdentityProvider, PasswordIdentityProvider, LegacyIdentityProvider)


_SINGLE_USER_PROVIDERS = _single_user_providers()


@dataclass
class IndexJob:
    """The server's index run: one at a time; progress as files done of files to do."""

    state: str = "idle"  # idle | running | done | failed
    roots: list[str] = field(default_factory=list)
    done: int = 0
    total: int = 0
    started: float | None = None
    finished: float | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    note: str | None = None  # what a first run on this machine is making before it indexes

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state, "roots": self.roots, "done": self.done, "total": self.total,
            "started": self.started, "finished": self.finished, "reports": self.reports, "error": self.error,
            "note": self.note,
        }  # fmt: skip


class ServerState:
    """Shared by every handler of one server: hubs come from :func:`~modelhub_jupyter.hub.open_hub`
    (one per home, thread-safe), so a search and an index run share the loaded embedder."""

    def __init__(
        self, home: str | None = None, viewer_mode: str = "auto", max_hosted_panels: int | None = None
    ) -> None:
        self.home = home or None
        self.viewer_mode = viewer_mode
        #: the hosted panels open per user (server/widget_host.py), at most ``max_hosted_panels`` each
        self.hosted = HostPool(default_limit() if max_hosted_panels is None else max_hosted_panels)
        self.job = IndexJob()
        self._job_lock = threading.Lock()
        self.metrics = Metrics(self._status)

    def viewer_of(self, handler: Any) -> Viewer | None:
        """Who a request's Jupyter user is to the access-control policies (None: the store's owner).

        ``viewer_mode`` "user": the Jupyter user's ``username`` (and ``groups``, where the identity
        provider gives them; under JupyterHub, the groups of the Hub's user model) — several people
        on one server each see only what they may; "owner": everyone sees everything; "auto":
        "user" unless the server runs jupyter_server's own single-user token/password identity
        (then its one user is the person who owns the store).
        """
        user = handler.current_user
        if self.viewer_mode == "owner" or user is None:
            return None
        if self.viewer_mode == "auto" and type(handler.identity_provider) in _SINGLE_USER_PROVIDERS:
            return None
        name = getattr(user, "username", None) or str(user)
        # an identity provider's own field, or JupyterHub's user model (its single-user servers' users)
        groups = getattr(user, "groups", None) or (getattr(user, "hub_user", None) or {}).get("groups") or ()
        return Viewer.of(str(name), [str(g) for g in groups] if not isinstance(groups, str) else [groups])

    def hub(self, home: str | None = None, viewer: Viewer | None = None) -> Any:
        """The hub for ``home`` (default: the configured home) as ``viewer`` sees it (None: the
        store's owner). A client may name another home only when it already holds a store: a request
        never creates folders where a client says."""
        from ..config import Settings
        from ..hub import open_hub

        who: dict[str, Any] = {"user": viewer.user, "groups": viewer.groups} if viewer is not None else {}
        if home:
            settings = Settings(home=Path(home))
            if not settings.catalog_path.is_file():
                raise NotFoundError(f"{home}: not a modelhub home (no catalog.sqlite there)")
            return open_hub(settings.home, **who)
        return open_hub(self.home, **who)

    def counts(self, home: str | None = None, viewer: Viewer | None = None) -> dict[str, Any]:
        """Documents by kind, files and files not indexed, from the catalog alone: what the status
        bar and a Prometheus scrape need, without the full ``Hub.status()`` (models, image encoder).
        A restricted ``viewer`` counts only the documents they may see."""
        hub = self.hub(home, viewer)
        catalog = hub.catalog
        files = catalog.file_counts()
        documents = (
            hub._search_engine().document_counts() if viewer is not None else catalog.document_counts()
        )
        return {
            "documents": documents,
            "files": sum(files.values()),
            "errors": files.get("error", 0),
            "index_job": self.job.to_dict(),
        }

    def _status(self) -> dict[str, Any] | None:
        return self.counts()

    def index_targets(self, hub: Any, server_root: Path, path: str | None) -> list[str]:
        """The folders an index request may run on: ``path`` under the server's root (or an indexed
        root, as an absolute path); with no ``path``, every indexed root."""
        roots = [str(r["path"]) for r in hub.catalog.roots()]
        if path is None:
            if not roots:
                raise BadInputError("nothing indexed yet: name a folder to index")
            return roots
        candidate = Path(path)
        target = (candidate if candidate.is_absolute() else server_root / candidate).resolve()
        if str(target) not in roots and not target.is_relative_to(server_root):
            raise BadInputError(f"{path}: not under the Jupyter server's root folder nor an indexed root")
        if not target.is_dir():
            raise NotFoundError(f"{path}: no such folder")
        return [str(target)]

    def start_index(self, hub: Any, roots: list[str]) -> None:
        with self._job_lock:
            if self.job.state == "running":
                raise StoreBusyError("an index run is already in progress")
            self.job = IndexJob(state="running", roots=roots, started=time.time())
        threading.Thread(
            target=self._run_index, args=(hub, self.job), name="modelhub-index", daemon=True
        ).start()

    def _run_index(self, hub: Any, job: IndexJob) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total, job.note = done, total, None

        def note(what: str) -> None:
            job.note = what

        try:
            for root in job.roots:
                job.done = job.total = 0
                job.reports.append(
                    hub.index(root, progress=False, on_progress=progress, on_note=note).to_dict()
                )
                job.note = None
            job.state = "done"
            self.metrics.index_runs.labels("done").inc()
        except Exception as err:  # noqa: BLE001 - reported through GET /index
            log.warning("modelhub: index run failed: %s", one_line(err), exc_info=True)
            job.state, job.error = "failed", one_line(err)
            self.metrics.index_runs.labels("failed").inc()
        finally:
            job.finished = time.time()
