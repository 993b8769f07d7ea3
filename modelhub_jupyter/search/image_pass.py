"""One decode per image in the background image pass: thumbnail and perceptual hashes from the
pixels the CLIP input is made of.

Decoding a 512-px PNG (zlib and the PNG row filters) is most of what a thumbnail or a pair of
hashes costs, so the pass no longer decodes each file three times (CLIP input, thumbnail, hashes).
:class:`SideWork` plans, for each content hash, the thumbnails still missing and whether its
hashes are; :meth:`SideWork.on_image` does that work from an image already decoded (called on the
CLIP input threads, see ``ImageEmbedder.embed_images(with_image=...)``); :meth:`SideWork.run`
decodes what is left once each (no weights here, or images that already had their vectors) on a
thread pool; :meth:`SideWork.flush` writes the hashes found on the caller's thread (the catalog's
connection belongs to it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from ..embed.image import load_image, prep_workers
from ..ingest import thumbnails as thumbs
from ..ingest.types import ParseError

if TYPE_CHECKING:
    from .images import ImageStore

__all__ = ["SideWork"]

STEP = 32  # images decoded between two catalog writes (and two checks of the stop flag)


def _reason(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


@dataclass
class SideWork:
    """What one decode of each image should also make: missing thumbnails and perceptual hashes."""

    paths: dict[str, str]  # content hash -> an image file with that content
    thumbnails: dict[str, list[str]]  # content hash -> its documents' thumbnail paths still missing
    unhashed: set[str]  # content hashes without perceptual hashes
    root: Path | None  # the hub's thumbnails folder (None: no thumbnails are made)
    found: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # hashes, not written yet
    problems: list[tuple[str, str]] = field(default_factory=list)  # (image path, one-line warning)
    made: int = 0
    hashed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def plan(
        cls,
        store: ImageStore,
        paths: dict[str, str],
        root: Path | None,
    ) -> SideWork:
        """The work left for the images ``paths`` (content hash -> file); thumbnails only with ``root``."""
        done = store.hashed()
        missing: dict[str, list[str]] = {}
        if root is not None:
            for content, thumbnail in store.thumbnail_rows():
                if content in paths and not Path(thumbnail).is_file() and not thumbs.failed(thumbnail):
                    missing.setdefault(content, []).append(thumbnail)
        return cls(dict(paths), missing, {c for c in paths if c not in done}, root)

    def wanted(self, content_hash: str) -> bool:
        """Whether decoding this image would still make something."""
        return content_hash in self.unhashed or bool(self.thumbnails.get(content_hash))

    def on_image(self, content_hash: str, img: Image.Image) -> None:
        """Make this image's missing thumbnails and hashes from ``img`` (decoded, upright, RGB).
        Safe on several threads at once, one image per thread."""
        from .images import hashes_of

        self._thumbnails(content_hash, lambda thumbnail, root: thumbs.ensure_from(img, thumbnail, root))
        if content_hash in self.unhashed:
            try:
                found: tuple[str, str, str | None] = (*hashes_of(img), None)
            except Exception as err:  # noqa: BLE001 - one image's problem; the others go on
                found = ("", "", _reason(err))
            with self._lock:
                self.found[content_hash] = found
                self.unhashed.discard(content_hash)

    def failed(self, content_hash: str, reason: str) -> None:
        """The image could not be decoded: its hashes are an error, its thumbnails are tried (and
        remembered as failed) by the single-file path, which words the reason for that file."""
        path = self.paths.get(content_hash, "")
        self._thumbnails(content_hash, lambda thumbnail, root: thumbs.ensure(path, thumbnail, root))
        if content_hash in self.unhashed:
            with self._lock:
                self.found[content_hash] = ("", "", reason)
                self.unhashed.discard(content_hash)

    def _thumbnails(self, content_hash: str, make: Callable[[str, Path], Any]) -> None:
        """Make this image's missing thumbnails with ``make(thumbnail path, root)``."""
        for thumbnail in self.thumbnails.pop(content_hash, []):
            if self.root is None:
                break
            try:
                make(thumbnail, self.root)
                with self._lock:
                    self.made += 1
            except ParseError as err:
                self._problem(self.paths.get(content_hash, ""), f"no thumbnail: {err}")

    def _problem(self, path: str, message: str) -> None:
        with self._lock:
            self.problems.append((path, message))

    def flush(self, store: ImageStore, report: Any = None) -> None:
        """Write the hashes found so far (on the catalog's thread, inside the caller's transaction)
        and pass the warnings on to ``report``."""
        with self._lock:
            found, self.found = self.found, {}
            problems, self.problems = self.problems, []
        for content_hash, (phash, dhash, error) in found.items():
            if error and report is not None:
                report.add_warning(
                    Path(self.paths.get(content_hash, "")).name, f"no perceptual hash: {error}"
                )
            store.put_hash(content_hash, phash, dhash, error)
            self.hashed += 1
        if report is not None:
            for path, message in problems:
                report.add_warning(Path(path).name, message)

    def run(
        self,
        store: ImageStore,
        transaction: Callable[[], Any],
        *,
        report: Any = None,
        stop: threading.Event | None = None,
        on_step: Callable[[int, int], None] | None = None,
        threads: int | None = None,
    ) -> None:
        """Decode, once each on a thread pool, the images that still want something."""
        todo = [c for c in self.paths if self.wanted(c)]

        def one(content_hash: str) -> None:
            try:
                img = load_image(self.paths[content_hash], min_side=thumbs.THUMBNAIL_SIZE)
            except Exception as err:  # noqa: BLE001 - one image's problem; the others go on
                self.failed(content_hash, _reason(err))
                return
            self.on_image(content_hash, img)

        with ThreadPoolExecutor(threads or prep_workers(), thread_name_prefix="modelhub-decode") as pool:
            for start in range(0, len(todo), STEP):
                if on_step is not None:
                    on_step(start, len(todo))
                if stop is not None and stop.is_set():
                    break
                list(pool.map(one, todo[start : start + STEP]))
                with transaction():
                    self.flush(store, report)
