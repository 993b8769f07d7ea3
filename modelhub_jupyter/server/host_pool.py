"""How many hosted panels one Jupyter user may hold open in the server: each JupyterLab view of a
panel (Search, Gallery, Models...) is a real Python panel in the server's process, with its hub
reads, threads and state. Opening one more than the limit closes that user's least recently used
view (idle ones before busy ones); its browser view says so and reopens on a click.

The limit: ``c.ModelHubServer.max_hosted_panels``, default ``$MODELHUB_HOSTED_PANELS`` or
:data:`DEFAULT_LIMIT`; 0 means no limit.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 16
ENV = "MODELHUB_HOSTED_PANELS"


def default_limit() -> int:
    """``$MODELHUB_HOSTED_PANELS`` (a whole number, 0: no limit), else :data:`DEFAULT_LIMIT`."""
    raw = (os.environ.get(ENV) or "").strip()
    if not raw:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        log.warning("modelhub: %s=%r is not a whole number; using %d", ENV, raw[:40], DEFAULT_LIMIT)
        return DEFAULT_LIMIT
    return max(value, 0)


class View(Protocol):
    """What the pool needs of an open view (the websocket handler)."""

    def busy(self) -> bool: ...


class HostPool:
    """The open hosted views by user, each with the time of its last use (opened, or a message
    from its browser). Thread-safe; the caller closes the views :meth:`add` returns."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = max(int(limit), 0)
        self._lock = threading.Lock()
        self._views: dict[str, dict[View, float]] = {}

    def add(self, user: str, view: View) -> list[View]:
        """Count ``view`` as ``user``'s; returns the views to close to stay within the limit (the
        least recently used first, idle ones before those whose panel is working)."""
        with self._lock:
            views = self._views.setdefault(user, {})
            views[view] = time.monotonic()
            over = len(views) - self.limit if self.limit else 0
            if over <= 0:
                return []
            others = [v for v in views if v is not view]
            others.sort(key=lambda v: (_busy(v), views[v]))
            evicted = others[:over]
            for v in evicted:
                del views[v]
            return evicted

    def touch(self, user: str, view: View) -> None:
        """``view`` was just used."""
        with self._lock:
            views = self._views.get(user)
            if views is not None and view in views:
                views[view] = time.monotonic()

    def remove(self, user: str, view: View) -> None:
        with self._lock:
            views = self._views.get(user)
            if views is not None:
                views.pop(view, None)
                if not views:
                    del self._views[user]

    def count(self, user: str) -> int:
        with self._lock:
            return len(self._views.get(user, {}))


def _busy(view: View) -> bool:
    try:
        return bool(view.busy())
    except Exception:  # noqa: BLE001 - a view that cannot say is treated as idle
        return False
