"""The active version per model type, seen by running Hubs on their next call; vector generations.

Activating a text embedder whose vectors are not stored yet builds a new *generation*: every
document's text is embedded with the new version into the catalog's embedding cache (under the
version's ``vector_key``) and pushed to the vector store's collections for that key, in the
background, while the active version keeps answering. Only when the generation is complete is
the version made active (one transaction that also bumps :data:`~.store.STAMP_KEY`). A Hub checks
that stamp on each call (:func:`follow`, one SQLite read) and swaps its embedder. A build killed
half-way is resumed by the next activation (what was embedded stays cached) and never served:
a generation whose status is not ``ready`` is never swapped in.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..embed.text import text_hash
from ..errors import BadInputError, ModelHubError, one_line
from .embedders import embedder_for
from .store import RegistryStore, VersionRow

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..hub import Hub

BATCH = 64


@dataclass
class Activation:
    """An activation: ``status`` is ``active`` when done, ``building`` while its generation is made."""

    model_type: str
    model: str
    version: str
    vector_key: str | None
    status: str = "building"
    rebuilt: bool = False
    done: int = 0
    total: int = 0
    seconds: float = 0.0
    error: str | None = None
    previous: str | None = None
    note: str | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    def wait(self, timeout: float | None = None) -> Activation:
        """Block until the build finishes; raises its error, if it failed."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self.status == "failed":
            raise ModelHubError(f"activating {self.model} {self.version} failed: {self.error}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def text(self) -> str:
        """One line: what is active now, whether vectors were rebuilt, what was active before."""
        what = f"{self.model_type}: {self.model} {self.version}"
        if self.status == "building":
            unit = "images" if self.model_type == "image_embedding" else "texts"
            state = f"building its vectors ({self.done}/{self.total} {unit}); the previous version answers meanwhile"
        elif self.status == "failed":
            state = f"failed: {self.error}"
        else:
            unit = "images" if self.model_type == "image_embedding" else "texts"
            rebuilt = f", vectors rebuilt ({self.total} {unit})" if self.rebuilt else ""
            state = f"active in {self.seconds:.2f} s{rebuilt}"
        before = f"; before: {self.previous}" if self.previous else ""
        note = f"; {self.note}" if self.note else ""
        return f"{what} {state}{before}{note}"

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        import html

        state = f"{self.status} ({self.done}/{self.total})" if self.status == "building" else self.status
        return (f"<b>{html.escape(self.model_type)}</b>: {html.escape(self.model)} {html.escape(self.version)} "
                f"— {html.escape(state)}")  # fmt: skip


def missing_texts(hub: Hub, key: str) -> tuple[dict[str, str], int]:
    """``({text_hash: text} with no vector under ``key``, number of distinct texts)``."""
    texts: dict[str, str] = {}
    for doc in hub.catalog.documents():
        texts[doc.text_hash or text_hash(doc.content or "")] = doc.content or ""
    have = hub.catalog.cached_vectors(key, texts)
    return {h: t for h, t in texts.items() if h not in have}, len(texts)


def generation_ready(hub: Hub, store: RegistryStore, key: str) -> bool:
    """Whether ``key``'s generation is complete for the documents the catalog holds now."""
    gen = store.generation(key)
    return bool(gen and gen["status"] == "ready" and gen["catalog_generation"] == hub.catalog.generation())


def build_generation(
    hub: Hub, v: VersionRow, store: RegistryStore, on_progress: Callable[[int, int], None] | None = None,
    progress: bool = False,
) -> tuple[int, int]:  # fmt: skip
    """Embed every document with ``v`` (reusing cached vectors) and fill its vector collections.

    Returns ``(texts embedded now, texts in all)``. The generation is ``ready`` only at the end.
    """
    from filelock import FileLock

    from ..store import VectorStore

    key = v.vector_key
    assert key is not None
    embedder = embedder_for(v)
    missing, total = missing_texts(hub, key)
    done = total - len(missing)
    store.set_generation(key, v.model_type, "building", done, total)
    bar = None
    if progress and missing:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=done, unit="text", desc=f"embedding with {v.model} {v.version}")
    try:
        items = list(missing.items())
        for start in range(0, len(items), BATCH):
            part = items[start : start + BATCH]
            vectors = embedder.embed([t for _, t in part])
            with hub.catalog.transaction():
                hub.catalog.cache_vectors(key, {h: vec for (h, _), vec in zip(part, vectors, strict=True)})
            done += len(part)
            store.set_generation(key, v.model_type, "building", done, total)
            if bar is not None:
                bar.update(len(part))
            if on_progress:
                on_progress(done, total)
        settings = hub.settings
        with FileLock(str(settings.lock_path), timeout=settings.lock_timeout):
            late, total = missing_texts(hub, key)  # indexed while we embedded
            if late:
                items = list(late.items())
                vectors = embedder.embed([t for _, t in items])
                with hub.catalog.transaction():
                    hub.catalog.cache_vectors(
                        key, {h: vec for (h, _), vec in zip(items, vectors, strict=True)}
                    )
            _fill_collections(VectorStore(settings.chroma_path, key, settings.chroma_url), hub, key)
            store.set_generation(key, v.model_type, "ready", total, total, hub.catalog.generation())
    except BaseException as err:
        store.set_generation(key, v.model_type, "failed", done, total, error=one_line(err))
        raise
    finally:
        if bar is not None:
            bar.close()
    return len(missing), total


def _fill_collections(vectors: Any, hub: Hub, key: str) -> None:
    docs = hub.catalog.documents()
    cached = hub.catalog.cached_vectors(key, [d.text_hash or text_hash(d.content or "") for d in docs])
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for d in docs:
        by_kind[d.kind].append(d)
    vectors.reset()
    for kind, rows in by_kind.items():
        vecs = [cached[r.text_hash or text_hash(r.content or "")] for r in rows]
        vectors.upsert(kind, [r.id for r in rows], np.stack(vecs), [r.metadata for r in rows])


def activate_version(
    hub: Hub, store: RegistryStore, v: VersionRow, *, user: str, action: str = "activate", wait: bool = True,
    progress: bool = False, on_progress: Callable[[int, int], None] | None = None,
) -> Activation:  # fmt: skip
    """Make ``v`` the active version of its type (building its generation first when needed)."""
    if v.stage in ("deprecated", "archived"):
        raise BadInputError(f"{v.model} {v.version} is {v.stage}; move it to staging or production first")
    from .switch import build_image_generation, check_runnable, image_key, image_ready

    note = check_runnable(v)  # a version that cannot run as its type is refused, the registry unchanged
    follow(hub)
    current = store.active(v.model_type)
    image = v.model_type == "image_embedding"
    job = Activation(v.model_type, v.model, v.version, image_key(v) if image else v.vector_key,
                     previous=f"{current.model}:{current.version}" if current else None, note=note)  # fmt: skip
    started = time.perf_counter()
    needs_build = (
        v.model_type == "text_embedding"
        and v.vector_key is not None
        and not generation_ready(hub, store, v.vector_key)
    ) or (image and not image_ready(hub, store, v))
    if (
        needs_build
        and not image
        and v.vector_key in (hub.embedder.name, current.vector_key if current else None)
    ):
        # compatible: the vectors the hub serves now (its index runs keep them current)
        assert v.vector_key is not None
        missing, total = missing_texts(hub, v.vector_key)
        if not missing:
            store.set_generation(v.vector_key, v.model_type, "ready", total, total, hub.catalog.generation())
            needs_build = False

    def finish() -> None:
        store.set_active(v, user, action, {"previous": job.previous, "rebuilt": job.rebuilt})
        job.status = "active"
        job.seconds = round(time.perf_counter() - started, 3)
        follow(hub)

    if not needs_build:
        finish()
        return job
    job.rebuilt = True

    def report(done: int, total: int) -> None:
        job.done, job.total = done, total
        if on_progress:
            on_progress(done, total)

    def run() -> None:
        try:
            (build_image_generation if image else build_generation)(hub, v, store, report, progress)
            finish()
        except Exception as err:  # noqa: BLE001 - recorded on the job and the generation row
            job.status, job.error = "failed", one_line(err)

    if wait:
        run()
        return job.wait()
    job._thread = threading.Thread(target=run, name=f"modelhub-activate-{v.model}", daemon=True)
    job._thread.start()
    return job


def follow(hub: Hub) -> None:
    """Swap ``hub``'s text embedder (and its image model, once ``hub.images`` is open) for the registry's
    active ones when the stamp moved (cheap per call). The llm is read per question (``switch.active_llm``)."""
    from .store import STAMP_KEY
    from .switch import follow_images

    stamp = hub.catalog.get_meta(STAMP_KEY)
    if stamp is None or stamp == getattr(hub, "_registry_stamp", None):
        return
    # a model whose vectors another process is still building is asked for again on the next call
    done = hub._images is None or follow_images(hub, hub._images)
    store = RegistryStore(hub.catalog)
    v = store.active("text_embedding")
    if v is not None and v.vector_key is not None:
        if hub.embedder.name != v.vector_key:
            gen = store.generation(v.vector_key)
            if gen is None or gen["status"] != "ready":
                return  # never serve a half-built generation
            embedder = embedder_for(v)
            with hub._lock:
                hub.embedder = embedder
                hub._vectors = None
                hub._engine = None
        else:
            hub.embedder.batch_size = int(v.inference_config.get("batch_size", hub.embedder.batch_size))
    if done:
        hub._registry_stamp = stamp  # type: ignore[attr-defined]
