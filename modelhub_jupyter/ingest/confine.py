"""Reads next to a scanned file stay inside the indexed folder.

The scanner never lists a file reached through a link that leaves the indexed root; parsers
that open neighbours of a scanned file (a model directory's config and card, an image's
sidecar) ask :func:`allowed` first. :func:`within` sets the root for the current parse
(``pipeline.extract`` does it); with no root set everything is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_root: ContextVar[str | None] = ContextVar("modelhub_confine_root", default=None)


@contextmanager
def within(root: Path | None) -> Iterator[None]:
    """Confine :func:`allowed` to ``root`` (None: no confinement) for the duration."""
    token = _root.set(os.path.realpath(root) if root is not None else None)
    try:
        yield
    finally:
        _root.reset(token)


def allowed(path: Path | str) -> bool:
    """Whether ``path``, links resolved, lies inside the current root."""
    root = _root.get()
    if root is None:
        return True
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def present(path: Path) -> bool:
    """``path.is_file()``, for a file inside the current root only."""
    return path.is_file() and allowed(path)
