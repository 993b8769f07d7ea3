"""Images by what they show: CLIP vectors (whole image and tiles), perceptual hashes, safety scores.

The catalog tables (migration ``_v7_images``) are keyed by the image file's content hash, so a
moved or re-indexed file keeps its vectors, and by the CLIP model version, so switching models
embeds only what that model has not seen. :class:`Images` is ``hub.images``:

* :meth:`Images.update` (after every index run): with weights, whole-image CLIP vectors first
  (text -> image search works from the first batch), with the perceptual hashes and the
  thumbnails no page has asked for yet (the background pass in a kernel) made from the same
  decode of each file (:mod:`.image_pass`), then scores, then what that left (images that had
  their vectors), and last the region tiles; without weights it says so once and makes the
  thumbnails and hashes, one decode per image;
* :meth:`Images.search`: text -> image and image -> image (path, PIL image or bytes), fused by
  RRF with the prompt-text channel (so it still finds images by their prompts without weights);
  ``regions`` ranks tiles and returns each image with its best box; ``dedupe`` collapses
  near-duplicates (perceptual hashes) into one hit with a count.

Dense search is exact: one float32 matrix per model, scanned with numpy (50k x 512 in a few ms).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from ..embed.image import ImageEmbedder, ImageInput, load_image
from ..errors import BadInputError, QueryError, one_line
from ..ingest.thumbnails import THUMBNAIL_SIZE
from ..results import Hit, SearchResults
from . import filters, relevance
from .image_pass import SideWork
from .keyword import top_k

if TYPE_CHECKING:
    from ..results import IndexReport
    from ..store import Catalog
    from .engine import SearchEngine

log = logging.getLogger(__name__)

__all__ = ["EncodeJob", "ImageStore", "Images", "hamming", "image_hashes", "status_line", "tile_boxes"]

RRF_K = 60
DEPTH = 100
QUERY_CACHE = 256  # prompt-channel query vectors kept
LIKE_HASH_LIMIT = 64 * 1024 * 1024  # a --like file up to this size is looked up among indexed files first
HASH_SIDE = 256  # images are reduced towards this shorter side before hashing (see hashes_of)
DUPLICATE_BITS = 10  # phash Hamming distance (of 64) up to which two images are near-duplicates
SCORE_KEYS = ("safety_assessment", "clip_score")  # keys this module adds (filtered here, not by the engine)
CONCEPTS: dict[str, tuple[list[str], list[str]]] = {
    # key: (prompts for the concept, neutral prompts it is told apart from)
    "nsfw": (
        ["a photo containing nudity", "an explicit sexual image", "pornographic content"],
        ["a safe for work photo", "a clothed person", "a landscape", "an everyday object"],
    ),
    "violence": (
        ["a violent scene with blood", "a person being attacked", "a gory injury"],
        ["a peaceful scene", "people talking calmly", "a landscape", "an everyday object"],
    ),
}


def default_grids() -> tuple[int, ...]:
    """Tile grids embedded per image (``MODELHUB_CLIP_TILES``, default ``2``: 2x2 with overlap; ``0``: none)."""
    raw = os.environ.get("MODELHUB_CLIP_TILES", "2")
    try:
        return tuple(n for n in (int(x) for x in raw.split(",") if x.strip()) if n >= 2)
    except ValueError:
        return (2,)


def tile_boxes(grids: Iterable[int] = (2,), overlap: float = 0.25) -> list[tuple[float, float, float, float]]:
    """Boxes ``(x0, y0, x1, y1)`` (fractions of the image) of ``n``x``n`` grids whose neighbours
    overlap by ``overlap`` of a tile."""
    boxes: list[tuple[float, float, float, float]] = []
    for n in grids:
        side = 1.0 / (n * (1 - overlap) + overlap)
        step = side * (1 - overlap)
        for row in range(n):
            for col in range(n):
                x0, y0 = col * step, row * step
                boxes.append(
                    (round(x0, 4), round(y0, 4), round(min(1.0, x0 + side), 4), round(min(1.0, y0 + side), 4))
                )
    return boxes


def image_hashes(image: ImageInput) -> tuple[str, str]:
    """``(phash, dhash)`` as 16 hex digits each (64-bit DCT and difference hashes, ``imagehash``)."""
    return hashes_of(load_image(image))


def hashes_of(img: Image.Image) -> tuple[str, str]:
    """:func:`image_hashes` of an image already decoded and upright (the background pass decodes
    each file once). A big image is first box-reduced by a whole factor to a shorter side of
    about ``HASH_SIDE`` (the hashes look at 32x32 and 9x8 pixels: the same bits, a quarter of
    the work for a 512-px image); every path (indexing, ``--like``) hashes this way."""
    import imagehash

    factor = min(img.size) // HASH_SIDE
    if factor >= 2:
        img = img.reduce(factor)
    return str(imagehash.phash(img)), str(imagehash.dhash(img))


def _collect(into: set[int]) -> Callable[[int, str], None]:
    """An ``on_error`` that keeps the indices of the images that could not be read."""
    return lambda i, _why: into.add(i)


def _side_hook(side: SideWork | None, part: list[str]) -> Callable[[int, Image.Image], None] | None:
    """``with_image`` for one CLIP batch: the decoded image's thumbnails and hashes (``side``)."""
    if side is None or not any(side.wanted(c) for c in part):
        return None
    return lambda i, img: side.on_image(part[i], img) if side.wanted(part[i]) else None


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _hash_array(hashes: list[str]) -> np.ndarray:
    return np.array([int(h, 16) if h else 0 for h in hashes], dtype=np.uint64)


def _hamming_all(query: int, table: np.ndarray) -> np.ndarray:
    x = np.bitwise_xor(table, np.uint64(query))
    counts: np.ndarray = np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
    return counts


# -------------------------------------------------------------------------------- the tables
@dataclass
class ImageRow:
    """An indexed image document and its file's content hash."""

    doc_id: str
    file_path: str
    content_hash: str


class ImageStore:
    """Reads and writes the ``image_*`` tables of one :class:`~modelhub_jupyter.store.Catalog`."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @property
    def db(self) -> sqlite3.Connection:
        return self.catalog.db

    def images(self) -> list[ImageRow]:
        rows = self.db.execute(
            "SELECT d.id, d.file_path, f.sha256 FROM documents d JOIN files f ON f.path = d.file_path "
            "WHERE d.kind = 'image' AND f.sha256 IS NOT NULL ORDER BY d.file_path, d.id"
        ).fetchall()
        return [ImageRow(*r) for r in rows]

    def thumbnail_pairs(self) -> list[tuple[str, str]]:
        """``(image path, planned thumbnail path)`` of every image document that has both."""
        rows = self.db.execute(
            "SELECT json_extract(metadata, '$.image_path'), json_extract(metadata, '$.thumbnail_path') "
            "FROM documents WHERE kind = 'image' ORDER BY file_path"
        )
        return [(i, t) for i, t in rows if isinstance(i, str) and isinstance(t, str) and i and t]

    def thumbnail_rows(self) -> list[tuple[str, str]]:
        """``(content hash, planned thumbnail path)`` of every image document that has one."""
        rows = self.db.execute(
            "SELECT f.sha256, json_extract(d.metadata, '$.thumbnail_path') FROM documents d "
            "JOIN files f ON f.path = d.file_path WHERE d.kind = 'image' AND f.sha256 IS NOT NULL "
            "ORDER BY d.file_path"
        )
        return [(c, t) for c, t in rows if isinstance(t, str) and t]

    def hashes(self) -> dict[str, tuple[str, str]]:
        rows = self.db.execute("SELECT content_hash, phash, dhash FROM image_hashes WHERE error IS NULL")
        return {c: (p, d) for c, p, d in rows}

    def hashed(self) -> set[str]:
        return {c for (c,) in self.db.execute("SELECT content_hash FROM image_hashes")}

    def put_hash(self, content_hash: str, phash: str, dhash: str, error: str | None = None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO image_hashes VALUES (?, ?, ?, ?)", (content_hash, phash, dhash, error)
        )

    def embedded(self, model: str, tiles: bool = False) -> set[str]:
        sql = "SELECT DISTINCT content_hash FROM image_vectors WHERE model = ?"
        return {
            c for (c,) in self.db.execute(sql + (" AND tile >= 0" if tiles else " AND tile = -1"), (model,))
        }

    def put_vectors(self, model: str, rows: Sequence[tuple[str, int, tuple[float, ...], np.ndarray]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO image_vectors VALUES (?, ?, ?, ?, ?)",
            [(model, c, t, json.dumps(list(b)), v.astype(np.float32).tobytes()) for c, t, b, v in rows],
        )

    def vectors(self, model: str, tiles: bool = False) -> tuple[list[str], list[list[float]], np.ndarray]:
        """``(content hashes, boxes, matrix)`` of the whole images (or of the tiles) ``model`` embedded."""
        sql = "SELECT content_hash, box, vector FROM image_vectors WHERE model = ? AND tile " + (
            ">= 0" if tiles else "= -1"
        )
        hashes: list[str] = []
        boxes: list[list[float]] = []
        blobs: list[bytes] = []
        for c, b, v in self.db.execute(sql + " ORDER BY content_hash, tile", (model,)):
            hashes.append(c)
            boxes.append(json.loads(b))
            blobs.append(v)
        if not blobs:
            return [], [], np.zeros((0, 1), dtype=np.float32)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
        return hashes, boxes, matrix

    def put_scores(self, model: str, rows: list[tuple[str, str, float]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO image_scores VALUES (?, ?, ?, ?)", [(model, c, k, v) for c, k, v in rows]
        )

    def scores(self, model: str) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for c, k, v in self.db.execute(
            "SELECT content_hash, key, value FROM image_scores WHERE model = ?", (model,)
        ):
            out.setdefault(c, {})[k] = v
        return out

    def counts(self, model: str) -> dict[str, int]:
        one = self.db.execute
        return {
            "hashed": one("SELECT COUNT(*) FROM image_hashes WHERE error IS NULL").fetchone()[0],
            "vectors": one(
                "SELECT COUNT(*) FROM image_vectors WHERE model=? AND tile=-1", (model,)
            ).fetchone()[0],
            "tiles": one("SELECT COUNT(*) FROM image_vectors WHERE model=? AND tile>=0", (model,)).fetchone()[
                0
            ],
            "scored": one(
                "SELECT COUNT(DISTINCT content_hash) FROM image_scores WHERE model=?", (model,)
            ).fetchone()[0],
        }


@dataclass
class _Matrix:
    key: tuple[Any, ...]
    hashes: list[str]
    boxes: list[list[float]]
    matrix: np.ndarray
    rows_of: dict[str, list[int]] = field(default_factory=dict)  # content hash -> document indices
    row_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    docs: list[Any] = field(default_factory=list)  # the engine's image documents the rows refer to
    row_of: dict[str, int] | None = None  # content hash -> row (whole images; made on first use)


def _background_default() -> bool:
    raw = os.environ.get("MODELHUB_IMAGES_BACKGROUND", "").strip().lower()
    if raw:
        return raw not in ("0", "false", "no", "off")
    # a running kernel lives on after the index call (a CLI run does not): on there
    app = getattr(sys.modules.get("ipykernel.kernelapp"), "IPKernelApp", None)
    try:
        return bool(app is not None and app.initialized())
    except Exception:  # noqa: BLE001 - an ipykernel without the classmethod: stay in the foreground
        return False


@dataclass
class EncodeJob:
    """Progress of the background image encoder (``hub.images.status()["encoding"]``)."""

    state: str = "idle"  # idle, running, done, failed, stopped
    phase: str = ""  # hashing, embedding, tiles, scoring
    done: int = 0
    total: int = 0
    started: float = 0.0
    finished: float = 0.0
    regions: bool = True
    again: bool = False
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    thread: threading.Thread | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def step(self, phase: str, done: int, total: int) -> None:
        if self.state == "running":
            self.phase, self.done, self.total = phase, done, total

    def add_warning(self, path: str, message: str) -> None:
        """Collects what an index report would (an image without a vector, weights missing)."""
        if len(self.warnings) < 200:
            self.warnings.append(f"{path}: {message}")

    def to_dict(self) -> dict[str, Any]:
        end = self.finished or (time.time() if self.state == "running" else self.started)
        return {
            "state": self.state,
            "phase": self.phase if self.state == "running" else "",
            "done": self.done,
            "total": self.total,
            "seconds": round(end - self.started, 1) if self.started else 0.0,
            "added": dict(self.added),
            "error": self.error,
            "warnings": self.warnings[-20:],
        }


# -------------------------------------------------------------------------------- hub.images
class Images:
    """``hub.images``: keep image vectors current and search images by what they show."""

    def __init__(
        self, catalog: Catalog, engine: Callable[[], SearchEngine], embedder: ImageEmbedder | None = None
    ) -> None:
        self.catalog = catalog
        self.store = ImageStore(catalog)
        self._engine = engine  # the hub's current engine (a registry switch may replace it)
        self.embedder = embedder or ImageEmbedder()
        self.grids = default_grids()
        self._cache: dict[bool, _Matrix] = {}
        self._hash_cache: tuple[int, dict[str, tuple[str, str]]] | None = None
        self._rows_cache: tuple[int, list[ImageRow], dict[str, str]] | None = None
        self._scores_cache: tuple[tuple[Any, ...], dict[str, dict[str, float]]] | None = None
        self._lock = threading.Lock()
        self._job = EncodeJob()
        self._stop = threading.Event()
        #: encode on a thread after indexing (None: when running inside a Jupyter kernel);
        #: ``MODELHUB_IMAGES_BACKGROUND=1``/``0`` forces it on/off
        self.background: bool = _background_default()
        self._text_vectors: dict[tuple[str, str], np.ndarray] = {}  # the prompt channel's query vectors
        self.direct_prompt = True  # False: the prompt channel through engine.search (the previous way)
        #: the hub's thumbnails folder: the background pass makes the thumbnails not shown yet there
        self.thumbnails: Path | None = None

    @property
    def engine(self) -> SearchEngine:
        return self._engine()

    def prewarm(self) -> threading.Thread | None:
        """Load the CLIP model on a thread now (a panel that searches images is opening), so the
        first text -> image query does not wait for it; see :meth:`ImageEmbedder.prewarm`."""
        return self.embedder.prewarm()

    def wanted(
        self, regions: bool, dedupe: bool, where: list[str] | str | None, channels: Collection[str]
    ) -> bool:
        """Whether an image search goes through here (else the engine's prompt-text search alone)."""
        if set(channels) != {"dense", "keyword"}:
            return False  # one channel asked for by name: an evaluation of the text channels
        ours = any(c.key.split(".")[0] in SCORE_KEYS for c in filters.parse(where))
        return regions or dedupe or ours or self.embedder.available

    # -- status --------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """The CLIP model, whether its weights are here (and why not), what is embedded."""
        problem = self.embedder.problem
        return {
            "model": self.embedder.name or f"open_clip:{self.embedder.arch}:{self.embedder.pretrained}",
            "weights": self.embedder.weights,
            "available": problem is None,
            "problem": problem,
            "device": self.embedder.device_shown,
            "images": len(self._rows()[0]),
            "encoding": self._job.to_dict(),
            **(self.store.counts(self.embedder.name) if problem is None else self.store.counts("")),
        }

    # -- writing -------------------------------------------------------------------------------
    def update(
        self,
        *,
        progress: bool = False,
        report: IndexReport | None = None,
        regions: bool = True,
        background: bool | None = None,
    ) -> dict[str, int]:
        """Hash new images; embed (whole + tiles) and score what the current CLIP model lacks.

        Without weights only hashes are made and one note (also in ``report.warnings``) says why.
        Returns counts of what was added. ``background`` (default :attr:`background`) runs the work
        on a thread and returns at once (``{"queued": images}``): prompt-text search works meanwhile,
        ``status()["encoding"]`` shows the progress, :meth:`wait` blocks until it is done.
        """
        if background is None:
            background = self.background
        if background:
            return self._start(regions, report)
        return self._update(progress, report, regions)

    def _update(self, progress: bool, report: Any, regions: bool, thumbnails: bool = False) -> dict[str, int]:
        """Whole-image vectors first (text -> image search works from the first batch), each file's
        perceptual hashes and (``thumbnails``: the background pass) its thumbnails not shown yet
        made from the same decode; then their scores; then the hashes and thumbnails of images that
        had their vectors (one decode each); then the region tiles (four more tower passes an image)."""
        images = self.store.images()
        added = {"hashed": 0, "embedded": 0, "tiles": 0, "scored": 0}
        problem = self.embedder.problem
        # each image is decoded once for its CLIP input, its missing thumbnails and its hashes
        side = SideWork.plan(self.store, self._by_hash(images), self.thumbnails if thumbnails else None)
        if problem:
            self._side_rest(side, report)
            if thumbnails:
                added["thumbnails"] = side.made
            added["hashed"] = side.hashed
            if report is not None and images:
                report.add_warning("(images)", problem)
            return added
        failed: set[str] = set()
        added["embedded"] = self._embed_missing(images, progress, report, failed, side)
        self._job.step("scoring", 0, 1)
        added["scored"] = self._score_missing(images)
        self._side_rest(side, report)  # images that had their vectors already (or could not be read)
        if thumbnails:
            added["thumbnails"] = side.made
        added["hashed"] = side.hashed
        if regions:
            added["tiles"] = self._tile_missing(images, progress, failed)
        self._cache.clear()
        return added

    # -- the background encoder ----------------------------------------------------------------
    def _start(self, regions: bool, report: IndexReport | None) -> dict[str, int]:
        images = len(self._rows()[0])
        if report is not None and self.embedder.problem and images:
            report.add_warning("(images)", self.embedder.problem)  # said now, not after the run
        with self._job.lock:
            if self._job.state == "running":
                self._job.again = True  # the running pass starts over for what was just indexed
                return {"queued": images}
            self._job = EncodeJob(state="running", started=time.time(), regions=regions)
            job = self._job
        job.thread = threading.Thread(target=self._run, args=(job,), name="modelhub-clip", daemon=True)
        job.thread.start()
        return {"queued": images}

    def _run(self, job: EncodeJob) -> None:
        try:
            while True:
                job.added = self._update(False, job, job.regions, thumbnails=self.thumbnails is not None)
                with job.lock:
                    if not job.again or self._stop.is_set():
                        job.state = "stopped" if self._stop.is_set() else "done"
                        break
                    job.again = False
        except Exception as err:  # noqa: BLE001 - shown in status; the text index is untouched
            with job.lock:
                job.state, job.error = "failed", one_line(err)
            log.warning("modelhub: image encoding failed: %s", job.error)
        finally:
            job.finished = time.time()
            self._cache.clear()

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the background encoder is done (or ``timeout`` s); return its progress."""
        thread = self._job.thread
        if thread is not None:
            thread.join(timeout)
        return self._job.to_dict()

    def close(self) -> None:
        """Stop the background encoder after its current batch (the hub is closing)."""
        self._stop.set()
        thread = self._job.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(30)

    def use_embedder(self, embedder: ImageEmbedder) -> None:
        """Embed and search with ``embedder`` from now on (the registry's active image model). Vectors
        are keyed by its name, so the cached matrices follow; a pass running now finishes with the
        model it started with, then the images the new one lacks are queued."""
        with self._lock:
            self.embedder = embedder
            self._cache.clear()
        with self._job.lock:
            if self._job.state == "running":
                self._job.again = True

    def reembed(self, *, progress: bool = True, regions: bool = True) -> dict[str, int]:
        """Add the vectors the current CLIP model lacks (after weights arrive or the model changes)."""
        problem = self.embedder.problem
        if problem:
            raise BadInputError(problem)
        return self.update(progress=progress, regions=regions, background=False)  # an explicit command waits

    def _by_hash(self, images: list[ImageRow]) -> dict[str, str]:
        return {r.content_hash: r.file_path for r in images}

    def _side_rest(self, side: SideWork, report: Any) -> None:
        """The thumbnails and hashes the CLIP pass did not make, one decode per image, on all cores."""
        side.run(
            self.store,
            self.catalog.transaction,
            report=report,
            stop=self._stop,
            on_step=lambda done, total: self._job.step("thumbnails and hashes", done, total),
        )

    def make_thumbnails(self, hits: Iterable[Hit]) -> int:
        """Make the missing thumbnails of ``hits`` (a page about to be shown) side by side on all
        cores, instead of one by one as each tile asks; returns how many were made."""
        from ..ingest.thumbnails import make_missing

        if self.thumbnails is None:
            return 0
        pairs = [
            (str(h.metadata.get("image_path") or ""), str(h.metadata.get("thumbnail_path") or ""))
            for h in hits
            if h.kind == "image"
        ]
        return make_missing([p for p in pairs if all(p)], self.thumbnails)

    def _embed_missing(
        self,
        images: list[ImageRow],
        progress: bool,
        report: IndexReport | None,
        failed: set[str],
        side: SideWork | None = None,
    ) -> int:
        """Whole-image vectors the current model lacks, written a batch at a time (``failed``
        gets the content hashes of images that could not be read); ``side``'s thumbnails and
        hashes are made from the same decodes."""
        model = self.embedder.name
        by_hash = self._by_hash(images)
        whole = [c for c in by_hash if c not in self.store.embedded(model)]

        def note(hashes: list[str]) -> Callable[[int, str], None]:
            def on_error(i: int, reason: str) -> None:
                failed.add(hashes[i])
                if report is not None:
                    report.add_warning(Path(by_hash[hashes[i]]).name, f"no CLIP vector: {reason}")

            return on_error

        step = 64
        for start in range(0, len(whole), step):
            self._job.step("embedding", start, len(whole))
            if self._stop.is_set():
                break
            part = whole[start : start + step]
            vectors = self.embedder.embed_images(
                [by_hash[c] for c in part],
                progress=progress,
                on_error=note(part),
                with_image=_side_hook(side, part),
                min_side=THUMBNAIL_SIZE,
            )
            rows = [
                (c, -1, (0.0, 0.0, 1.0, 1.0), v)
                for c, v in zip(part, vectors, strict=True)
                if c not in failed
            ]
            with self.catalog.transaction():
                self.store.put_vectors(model, rows)
                if side is not None:
                    side.flush(self.store, report)
        return len(whole) - len(failed & set(whole))

    def _tile_missing(self, images: list[ImageRow], progress: bool, failed: set[str]) -> int:
        """Region tiles (:attr:`grids`) the current model lacks; each image decoded once for all its
        tiles. Images the whole-image pass could not read are skipped (it reported them)."""
        model = self.embedder.name
        boxes = tile_boxes(self.grids)
        if not boxes:
            return 0
        by_hash = self._by_hash(images)
        have = self.store.embedded(model, tiles=True)
        tiled = [c for c in by_hash if c not in have and c not in failed]
        step = max(64 // len(boxes), 1)
        added = 0
        for start in range(0, len(tiled), step):
            self._job.step("tiles", start, len(tiled))
            if self._stop.is_set():
                break
            part = tiled[start : start + step]
            unread: set[int] = set()
            vectors = self.embedder.embed_regions(
                [by_hash[c] for c in part], boxes, progress=progress, on_error=_collect(unread)
            )
            rows = [
                (c, t, boxes[t], vectors[i, t])
                for i, c in enumerate(part)
                if i not in unread
                for t in range(len(boxes))
            ]
            with self.catalog.transaction():
                self.store.put_vectors(model, rows)
            added += len(rows)
        return added

    def _score_missing(self, images: list[ImageRow]) -> int:
        """Zero-shot safety scores and prompt agreement (``clip_score``) for embedded images."""
        embedder = self.embedder  # one model for the whole pass (the registry may switch it)
        model = embedder.name
        hashes, _, matrix = self.store.vectors(model)
        have = self.store.scores(model)
        todo = [i for i, c in enumerate(hashes) if c not in have]
        if not todo:
            return 0
        rows: list[tuple[str, str, float]] = []
        scale = min(embedder.logit_scale(), 100.0)
        for key, (concept, neutral) in CONCEPTS.items():
            texts = embedder.embed(concept + neutral)
            logits = scale * (matrix[todo] @ texts.T)
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            share = probs[:, : len(concept)].sum(axis=1)
            rows += [
                (hashes[i], f"safety_assessment.{key}", round(float(s), 4))
                for i, s in zip(todo, share, strict=True)
            ]
        prompts = self._prompts(images)
        with_prompt = [i for i in todo if prompts.get(hashes[i])]
        if with_prompt:
            texts = embedder.embed([prompts[hashes[i]] for i in with_prompt])
            cos = np.einsum("ij,ij->i", matrix[with_prompt], texts)
            rows += [
                (hashes[i], "clip_score", round(float(100 * max(c, 0.0)), 2))
                for i, c in zip(with_prompt, cos, strict=True)
            ]
        with self.catalog.transaction():
            self.store.put_scores(model, rows)
        return len(todo)

    def _prompts(self, images: list[ImageRow]) -> dict[str, str]:
        index = self.engine._index("image")
        out: dict[str, str] = {}
        for row in images:
            doc = index.by_id.get(row.doc_id)
            if doc is not None and doc.metadata.get("prompt"):
                out[row.content_hash] = str(doc.metadata["prompt"])
        return out

    # -- reading -------------------------------------------------------------------------------
    def _key(self) -> tuple[Any, ...]:
        """What the cached matrices, rows and scores were read at: the model, the catalog's generation
        and the image tables' last writes (any process's)."""
        last = self.db_last()
        return (self.embedder.name, self.catalog.generation(), *last)

    def db_last(self) -> tuple[int, int]:
        one = self.catalog.db.execute
        return (
            one("SELECT MAX(rowid) FROM image_vectors").fetchone()[0] or 0,
            one("SELECT MAX(rowid) FROM image_scores").fetchone()[0] or 0,
        )

    def _rows(self) -> tuple[list[ImageRow], dict[str, str]]:
        """The indexed images and each document's content hash (cached per catalog generation)."""
        generation = self.catalog.generation()
        if self._rows_cache is None or self._rows_cache[0] != generation:
            rows = self.store.images()
            self._rows_cache = (generation, rows, {r.doc_id: r.content_hash for r in rows})
        return self._rows_cache[1], self._rows_cache[2]

    def _scores(self) -> dict[str, dict[str, float]]:
        key = self._key()
        if self._scores_cache is None or self._scores_cache[0] != key:
            self._scores_cache = (key, self.store.scores(self.embedder.name))
        return self._scores_cache[1]

    def _matrix(self, tiles: bool) -> _Matrix:
        key = self._key()
        cached = self._cache.get(tiles)
        # the engine's documents are re-read when the catalog moves (or the viewer's groups change)
        if cached is not None and cached.key == key and cached.docs is self.engine._index("image").docs:
            return cached
        with self._lock:
            hashes, boxes, matrix = self.store.vectors(self.embedder.name, tiles=tiles)
            built = _Matrix(key, hashes, boxes, matrix)
            # each row's document (index into the engine's image documents; -1: none the viewer sees)
            index = self.engine._index("image")
            _, by_doc = self._rows()
            first: dict[str, int] = {}
            for i, d in enumerate(index.docs):
                content = by_doc.get(d.id)
                if content:
                    first.setdefault(content, i)
                    built.rows_of.setdefault(content, []).append(i)
            built.row_doc = np.array([first.get(c, -1) for c in hashes], dtype=np.int64)
            built.docs = index.docs
            self._cache[tiles] = built
            return built

    def _hashes(self) -> dict[str, tuple[str, str]]:
        generation = self.catalog.generation()
        if self._hash_cache is None or self._hash_cache[0] != generation or not self._hash_cache[1]:
            self._hash_cache = (generation, self.store.hashes())
        return self._hash_cache[1]

    def annotate(
        self, hit: Hit, content_hash: str, scores: dict[str, dict[str, float]] | None = None
    ) -> None:
        """Add ``safety_assessment`` (scores and the model that gave them, or ``unassessed``) and
        ``clip_score`` to an image hit's metadata; never a made-up value."""
        problem = self.embedder.problem
        found = (
            (scores if scores is not None else self.store.scores(self.embedder.name)).get(content_hash, {})
            if not problem
            else {}
        )
        safety = {k.split(".", 1)[1]: v for k, v in found.items() if k.startswith("safety_assessment.")}
        if safety:
            hit.metadata["safety_assessment"] = {
                **safety,
                "model": self.embedder.name,
                "weights": self.embedder.weights,
                "status": "assessed",
            }
        else:
            hit.metadata["safety_assessment"] = {
                "status": "unassessed",
                "reason": problem or "not embedded yet by " + self.embedder.name,
            }
        if "clip_score" in found:
            hit.metadata["clip_score"] = found["clip_score"]
            hit.metadata["clip_score_model"] = self.embedder.name
        hit.metadata["content_hash"] = content_hash

    def mark(self, results: SearchResults) -> SearchResults:
        """Give each image hit of an engine result its ``safety_assessment``: the scores and the model
        that gave them, or ``{"status": "unassessed", "reason": ...}`` — never a made-up value."""
        shown = [h for h in results.hits if h.kind == "image" and "safety_assessment" not in h.metadata]
        if shown:
            _, by_doc = self._rows()
            scores = self._scores() if not self.embedder.problem else {}
            for hit in shown:
                hit.metadata = dict(hit.metadata)
                self.annotate(hit, by_doc.get(hit.id, ""), scores)
        return results

    def search(
        self,
        query: str = "",
        *,
        like: ImageInput | None = None,
        where: list[str] | str | None = None,
        limit: int = 10,
        regions: bool = False,
        dedupe: bool = False,
        understand: bool = True,
        ignore: Collection[str] = (),
    ) -> SearchResults:
        """Images for ``query`` (text -> image, fused with the prompt text) and/or ``like`` an image."""
        if limit < 1:
            raise QueryError("limit must be at least 1")
        query = (query or "").strip()
        clauses = filters.parse(where)
        ours = [c for c in clauses if c.key.split(".")[0] in SCORE_KEYS]
        theirs = [str(c) for c in clauses if c not in ours]
        if not query and like is None and not theirs and not ours:
            raise QueryError("empty query: give search words, an image to search --like, or a --where filter")
        index = self.engine._index("image")
        _, by_doc = self._rows()
        notes: list[str] = []
        channels: dict[str, list[tuple[str, float]]] = {}
        applied: list[str] = list(theirs)
        understood: list[str] = []
        ranked_by = query
        prompt_evidence: dict[str, dict[str, Any]] = {}
        prompt_found: dict[str, relevance.Evidence] = {}
        if query and not self.direct_prompt:  # the engine's whole search (hits built for 100 documents)
            prompt = self.engine.search(
                query, kind="image", where=theirs, limit=DEPTH, understand=understand, ignore=ignore
            )
            channels["prompt"] = [(h.id, h.score) for h in prompt.hits]
            prompt_evidence = {h.id: h.evidence for h in prompt.hits}
            applied, understood, ranked_by = prompt.filters, prompt.understood, prompt.ranked_by
            notes += prompt.notes
        elif query:  # the prompt-text channel: the engine's hybrid ranking of image documents
            ranking, prompt_found, applied, understood, ranked_by, more = self._prompt_channel(
                query, theirs, understand, ignore
            )
            channels["prompt"] = ranking
            notes += more
        allowed = self._allowed(index, applied)
        problem = self.embedder.problem
        grid = self._matrix(regions) if not problem else None
        best_box: dict[str, list[float]] = {}
        if problem and (query or like is not None):
            notes.append(f"no CLIP ranking: {problem}")
        if grid is not None and grid.matrix.shape[0]:
            vectors: list[tuple[str, np.ndarray]] = []
            if query:
                vectors.append(("clip_text", self.embedder.embed([ranked_by or query])[0]))
            if like is not None:
                vectors.append(("clip_image", self._like_vector(like, by_doc)))
            for name, vec in vectors:
                channels[name] = self._rank_dense(grid, vec, index, by_doc, allowed, best_box)
        if like is not None and (problem or grid is None or not grid.matrix.shape[0]):
            channels["phash"] = self._rank_phash(like, index, by_doc, allowed)
            notes.append("image -> image by perceptual hash (looks nearly the same), not by CLIP")
        if regions and problem:
            notes.append("region search needs CLIP vectors; whole images shown")
        if not query and like is None:  # filters alone
            docs = [d for i, d in enumerate(index.docs) if allowed is None or allowed[i]]
            channels["filter"] = [(d.id, 1.0) for d in docs]
        fused: dict[str, float] = {}
        evidence: dict[str, dict[str, Any]] = {}
        for name, ranking in channels.items():
            for rank, (doc_id, value) in enumerate(ranking[:DEPTH], start=1):
                fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank)
                evidence.setdefault(doc_id, {})[name] = {"rank": rank, "score": round(float(value), 4)}
        order = sorted(fused, key=lambda i: (-fused[i], index.by_id[i].file_path if i in index.by_id else i))
        best = len(channels) / (RRF_K + 1)
        scores = self._scores() if not problem else {}
        hits: list[Hit] = []
        from .engine import _hit

        names = self.engine.root_names()
        for doc_id in order:
            doc = index.by_id.get(doc_id)
            if doc is None:
                continue
            hit = _hit(doc, fused[doc_id], names)
            hit.metadata = dict(hit.metadata)
            self.annotate(hit, by_doc.get(doc_id, ""), scores)
            if ours and not filters.matches(hit.metadata, ours):
                continue
            if doc_id in best_box:
                hit.metadata["region"] = {"box": best_box[doc_id]}
            if doc_id in prompt_found:  # what the engine would show, worked out for shown hits only
                prompt_evidence[doc_id] = self._prompt_evidence(doc, prompt_found[doc_id], ranked_by)
            hit.evidence = {**prompt_evidence.get(doc_id, {}), "channels": evidence.get(doc_id, {})}
            hit.relevance = relevance.scale(fused[doc_id], best)
            hit.strength = relevance.strength(hit.relevance)
            hits.append(hit)
            if not dedupe and len(hits) >= limit:
                break
        if dedupe:
            hits = self._collapse(hits)[:limit]
        if any(name.startswith("clip") for name in channels):  # the prompt text's weakness is not the image's
            notes = [n for n in notes if not n.startswith("weak matches")]
        return SearchResults(
            query=query,
            hits=hits[:limit],
            filters=applied + [str(c) for c in ours],
            kind="image",
            understood=understood,
            ranked_by=ranked_by,
            notes=list(dict.fromkeys(notes)),
            roots=names,
        )

    def _prompt_channel(
        self, query: str, where: list[str], understand: bool, ignore: Collection[str]
    ) -> tuple[list[tuple[str, float]], dict[str, relevance.Evidence], list[str], list[str], str, list[str]]:
        """The engine's dense + keyword RRF over image documents (filters read from the words as in
        ``engine.search``), without building 100 hits: ``(ranking, evidence, filters, understood,
        ranked_by, notes)``. The text vector of a repeated query is cached."""
        engine = self.engine
        clauses = engine.known(filters.parse(where))
        text = query
        understood: list[filters.Clause] = []
        notes: list[str] = []
        if understand:
            reading = engine.understand(query)
            text = reading.text or query
            understood, _, notes = engine._applicable(reading, clauses, ("image",), frozenset(ignore))
        applied = clauses + understood
        key = (engine.embedder.name, text)
        qvec = self._text_vectors.get(key)
        if qvec is None:
            qvec = engine.embedder.embed([text])[0]
            if len(self._text_vectors) >= QUERY_CACHE:
                self._text_vectors.clear()
            self._text_vectors[key] = qvec
        scored, evidence = engine._fused(("image",), text, qvec, applied, ("dense", "keyword"))
        scored.sort(key=lambda pair: (-pair[0], pair[1].file_path, pair[1].id))
        ranking = [(doc.id, score) for score, doc in scored[:DEPTH]]
        return ranking, evidence, [str(c) for c in applied], [str(c) for c in understood], text, notes

    @staticmethod
    def _prompt_evidence(doc: Any, found: relevance.Evidence, text: str) -> dict[str, Any]:
        from .engine import _keyword_text
        from .keyword import tokenize

        words = relevance.query_words(text)
        found.matched = relevance.matched(words, tokenize(_keyword_text(doc)))
        return found.to_dict(len(words))

    def _allowed(self, index: Any, applied: list[str]) -> np.ndarray | None:
        clauses = self.engine.known(filters.parse(applied))
        return self.engine._allowed(index, clauses)

    def _like_vector(self, like: ImageInput, by_doc: dict[str, str]) -> np.ndarray:
        if isinstance(like, str | Path) and not Path(like).is_file():
            raise BadInputError(f"{like}: no such image file", path=str(like))
        stored = self._stored_vector(like)
        if stored is not None:  # an indexed image ("more like this"): its vector, no vision tower
            return stored
        problems: list[str] = []
        vectors = self.embedder.embed_images([like], on_error=lambda _i, reason: problems.append(reason))
        if problems:
            raise BadInputError(
                problems[0] if _name(like) in problems[0] else f"{_name(like)}: {problems[0]}"
            )
        vector: np.ndarray = vectors[0]
        return vector

    def _stored_vector(self, like: ImageInput) -> np.ndarray | None:
        """The current model's whole-image vector of ``like`` when its bytes are an indexed file's
        (the catalog keys files by the sha256 of their bytes), else None."""
        try:
            if isinstance(like, bytes | bytearray):
                data = bytes(like)
            elif isinstance(like, str | Path) and Path(like).stat().st_size <= LIKE_HASH_LIMIT:
                data = Path(like).read_bytes()
            else:
                return None
        except OSError:
            return None
        whole = self._matrix(False)
        if whole.row_of is None:
            whole.row_of = {h: i for i, h in enumerate(whole.hashes)}
        row = whole.row_of.get(hashlib.sha256(data).hexdigest())
        return None if row is None else np.asarray(whole.matrix[row], dtype=np.float32)

    def _rank_dense(
        self,
        grid: _Matrix,
        vec: np.ndarray,
        index: Any,
        by_doc: dict[str, str],
        allowed: np.ndarray | None,
        best_box: dict[str, list[float]],
    ) -> list[tuple[str, float]]:
        sims = grid.matrix @ vec
        valid = grid.row_doc >= 0
        if allowed is not None:
            valid &= allowed[np.maximum(grid.row_doc, 0)]
        sims = np.where(valid, sims, -np.inf)
        order = top_k(sims, min(len(sims), DEPTH * 8))
        out: list[tuple[str, float]] = []
        seen: set[str] = set()
        for row in order:
            if not np.isfinite(sims[row]):
                break
            for i in grid.rows_of.get(grid.hashes[row], []):
                if allowed is not None and not allowed[i]:
                    continue
                doc_id = index.docs[i].id
                if doc_id in seen:
                    continue
                seen.add(doc_id)
                out.append((doc_id, float(sims[row])))
                if grid.boxes[row] != [0.0, 0.0, 1.0, 1.0]:
                    best_box.setdefault(doc_id, grid.boxes[row])
            if len(out) >= DEPTH:
                break
        return out

    def _rank_phash(
        self, like: ImageInput, index: Any, by_doc: dict[str, str], allowed: np.ndarray | None
    ) -> list[tuple[str, float]]:
        if isinstance(like, str | Path) and not Path(like).is_file():
            raise BadInputError(f"{like}: no such image file", path=str(like))
        try:
            phash, _ = image_hashes(like)
        except ValueError as err:
            raise BadInputError(str(err)) from None
        table = self._hashes()
        ids = [
            d.id
            for i, d in enumerate(index.docs)
            if (allowed is None or allowed[i]) and by_doc.get(d.id) in table
        ]
        if not ids:
            return []
        dist = _hamming_all(int(phash, 16), _hash_array([table[by_doc[i]][0] for i in ids]))
        order = np.argsort(dist, kind="stable")[:DEPTH]
        return [(ids[j], 1.0 - float(dist[j]) / 64.0) for j in order if dist[j] <= 2 * DUPLICATE_BITS]

    def _collapse(self, hits: list[Hit]) -> list[Hit]:
        """Near-duplicate hits (phash within :data:`DUPLICATE_BITS`) folded into the best-ranked one."""
        table = self._hashes()
        kept: list[tuple[Hit, int | None]] = []
        for hit in hits:
            found = table.get(str(hit.metadata.get("content_hash", "")))
            value = int(found[0], 16) if found else None
            for first, first_value in kept:
                if (
                    value is not None
                    and first_value is not None
                    and (value ^ first_value).bit_count() <= DUPLICATE_BITS
                ):
                    first.metadata.setdefault("duplicates", []).append({"id": hit.id, "path": hit.path})
                    first.metadata["duplicate_count"] = len(first.metadata["duplicates"]) + 1
                    break
            else:
                kept.append((hit, value))
        return [h for h, _ in kept]

    def duplicate_groups(self, max_bits: int = DUPLICATE_BITS) -> list[list[str]]:
        """Groups (of two or more paths) of indexed images within ``max_bits`` of each other's phash."""
        table = self._hashes()
        rows = [r for r in self.store.images() if r.content_hash in table]
        values = _hash_array([table[r.content_hash][0] for r in rows])
        parent = list(range(len(rows)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i in range(len(rows)):
            close = np.flatnonzero(_hamming_all(int(values[i]), values[i + 1 :]) <= max_bits) + i + 1
            for j in close:
                parent[root(int(j))] = root(i)
        groups: dict[int, list[str]] = {}
        for i, r in enumerate(rows):
            groups.setdefault(root(i), []).append(r.file_path)
        return [sorted(set(g)) for g in groups.values() if len(set(g)) > 1]


def status_line(info: dict[str, Any]) -> str:
    """``hub.status()["images"]`` as one line (the CLI's ``status``)."""
    head = f"{info.get('images', 0)} images"
    if info.get("problem"):
        line = f"{head}; no CLIP vectors: {info['problem']}"
    else:
        line = (
            f"{head}; CLIP {info.get('model')} on {info.get('device')}: {info.get('vectors', 0)} embedded, "
            f"{info.get('tiles', 0)} tiles, {info.get('scored', 0)} scored"
        )
    job = info.get("encoding") or {}
    if job.get("state") == "running":
        line += f"; encoding in the background ({job.get('phase') or 'starting'} {job.get('done', 0)}/{job.get('total', 0)})"
    elif job.get("state") == "failed":
        line += f"; background encoding failed: {job.get('error')}"
    return line


def _name(image: ImageInput) -> str:
    if isinstance(image, str | Path):
        return str(image)
    return "the image" if not isinstance(image, bytes | bytearray) else "image bytes"
