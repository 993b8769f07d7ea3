"""Thumbnails made when they are needed, never while a file is being indexed.

Indexing only *plans* each image's thumbnail (``thumbnail_path`` in its metadata: a file under
the hub's ``thumbnails/`` keyed by the image's path, size and mtime); the pixels are decoded
later, either when the thumbnail is first shown (:func:`ensure`, called by ``hub.thumbnail``:
the gallery, the REST thumbnail route; a page's missing ones side by side: :func:`make_missing`,
on all cores: Pillow lets go of the GIL while it decodes, resizes and encodes) or by the
background image pass after the text is searchable (:func:`ensure_from`, from the decode the
CLIP input and the perceptual hashes are made of: a 512-px PNG's decode is most of a
thumbnail's cost). A thumbnail is written to a temporary name and renamed into place, so a
reader never sees half a file when the two meet. One that cannot be made is remembered for the
process (it is not decoded again each time a page shows it).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from .types import ParseError

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["THUMBNAIL_SIZE", "ensure", "ensure_from", "failed", "make_missing", "planned_path", "workers"]

THUMBNAIL_SIZE = 256
_FAILED: dict[str, str] = {}  # thumbnail path -> why it could not be made (this process)
_FAILED_LIMIT = 10_000


def planned_path(thumbnails: Path, image: Path, size: int, mtime_ns: int) -> Path:
    """Where the thumbnail of ``image`` (as it is now: its size and mtime) lives under ``thumbnails``."""
    key = hashlib.sha1(f"{image}:{size}:{mtime_ns}".encode()).hexdigest()
    return Path(thumbnails) / key[:2] / f"{key}.webp"


def workers() -> int:
    """Threads for a batch of thumbnails (``MODELHUB_THUMBNAIL_WORKERS``; default the CPU count, at most 4)."""
    raw = os.environ.get("MODELHUB_THUMBNAIL_WORKERS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(4, os.cpu_count() or 1))


def failed(dest: str | Path) -> bool:
    """Whether making the thumbnail ``dest`` failed already in this process (it is not tried again)."""
    return str(dest) in _FAILED


def ensure(image: str | Path, dest: str | Path, root: str | Path, size: int = THUMBNAIL_SIZE) -> Path:
    """``dest``, made from ``image`` now if it is not there yet. ``dest`` must lie under ``root``
    (the hub's thumbnails folder). Raises :class:`ParseError` (one line) when it cannot be made."""
    from .images import make_thumbnail

    return _place(lambda temp: make_thumbnail(Path(image), temp, size), dest, root)


def ensure_from(picture: Image.Image, dest: str | Path, root: str | Path, size: int = THUMBNAIL_SIZE) -> Path:
    """Like :func:`ensure`, from an image already decoded and upright (RGB): the background image
    pass decodes each file once for its CLIP input, its thumbnail and its perceptual hashes."""
    from .images import save_thumbnail

    return _place(lambda temp: save_thumbnail(picture, temp, size), dest, root)


def _place(make: Callable[[Path], Path], dest: str | Path, root: str | Path) -> Path:
    """``make(temp)`` then rename ``temp`` to ``dest`` (unless ``dest`` is there or known to fail)."""
    dest = Path(dest)
    root_path = Path(root).resolve()
    if not dest.resolve().is_relative_to(root_path):
        raise ParseError(f"thumbnail path {dest} is outside {root_path}")
    if dest.is_file():
        return dest
    known = _FAILED.get(str(dest))
    if known is not None:
        raise ParseError(known)
    temp = dest.parent / f".{dest.stem}.{os.getpid()}.{threading.get_ident()}{dest.suffix}"
    try:
        make(temp)
        os.replace(temp, dest)
    except ParseError as err:
        if len(_FAILED) >= _FAILED_LIMIT:
            _FAILED.clear()
        _FAILED[str(dest)] = str(err)
        raise
    except OSError as err:
        raise ParseError(f"cannot write thumbnail: {err.strerror or type(err).__name__}") from None
    finally:
        temp.unlink(missing_ok=True)
    return dest


def make_missing(
    pairs: Iterable[tuple[str, str]],
    root: str | Path,
    *,
    stop: threading.Event | None = None,
    on_step: Callable[[int, int], None] | None = None,
    on_error: Callable[[str, str], None] | None = None,
    threads: int | None = None,
) -> int:
    """Make the thumbnails of ``(image path, thumbnail path)`` pairs that are missing, on
    :func:`workers` threads; return how many were made. ``on_error(image, reason)`` hears of each
    one that could not be; ``stop`` ends the pass after the current batch."""
    todo = [(i, t) for i, t in dict(pairs).items() if t and not Path(t).is_file() and t not in _FAILED]
    made = 0

    def one(pair: tuple[str, str]) -> str | None:
        try:
            ensure(pair[0], pair[1], root)
            return None
        except ParseError as err:
            return str(err)

    step = 64
    with ThreadPoolExecutor(threads or workers(), thread_name_prefix="modelhub-thumbnail") as pool:
        for start in range(0, len(todo), step):
            if on_step is not None:
                on_step(start, len(todo))
            if stop is not None and stop.is_set():
                break
            part = todo[start : start + step]
            for (image, _), problem in zip(part, pool.map(one, part), strict=True):
                if problem is None:
                    made += 1
                elif on_error is not None:
                    on_error(image, problem)
    return made
