"""``ImageGallery``: a paginated, lazily loaded grid of generated images with details and compare.

The search box is text -> image (CLIP fused with the prompt text); "More like this" on a tile and
an image dropped on (or pasted into) the panel search by example (the dropped file's bytes come
with the widget message); ``regions`` shows the matching region of each hit as a box;
near-duplicates fold into one tile with a count; a tile whose safety score is above
``blur_above`` is blurred until clicked, and a tile no model assessed says "unassessed".
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Float, Int, List, Unicode, observe

from ..protocols import HubLike
from ..vocabulary import IMAGE_SETTINGS
from . import _data
from ._frame import NOTHING_INDEXED, Panel, css, default_hub, esm

PARAM_KEYS = (*IMAGE_SETTINGS, "path")  # the detail view's rows, in order
FILTER_KEYS = ("sampler", "model_checkpoint", "generator")  # the filter bar's dropdowns
MAX_QUERY_HITS = 1000
MAX_DROP_BYTES = 50 * 1024 * 1024  # a dropped/pasted image larger than this is refused


class ImageGallery(Panel):
    """Browse (or search, with ``query``) the hub's generated images, one page at a time.

    ``items`` holds only the current page, each with its thumbnail as a ``data:`` URL (empty
    for a placeholder). ``detail_id`` fills ``detail``; 2–4 ``selected`` ids fill ``comparison``.
    """

    _esm = esm("gallery.js")
    _css = css("gallery.css")
    panel = Unicode("gallery").tag(sync=True)
    events = frozenset({"page"})

    query = Unicode("").tag(sync=True)
    where = List(Unicode()).tag(sync=True)
    filters = Dict().tag(sync=True)
    filter_options = Dict().tag(sync=True)
    page = Int(0).tag(sync=True)
    page_size = Int(48).tag(sync=True)
    total = Int(0).tag(sync=True)
    page_label = Unicode("").tag(sync=True)
    items = List(Dict()).tag(sync=True)
    selected = List(Unicode()).tag(sync=True)
    comparison = Dict().tag(sync=True)
    detail_id = Unicode("").tag(sync=True)
    detail = Dict().tag(sync=True)
    like_id = Unicode("").tag(sync=True)  # "more like this": images that look like this one (not the query)
    like_name = Unicode("").tag(sync=True)
    dedupe = Bool(True).tag(sync=True)  # near-duplicates of a search fold into one tile with a count
    blur_above = Float(0.5).tag(sync=True)  # a safety score above this blurs the tile until clicked
    regions = Bool(False).tag(sync=True)  # searches rank image tiles; each hit shows its region's box
    like_drop = Unicode("").tag(sync=True)  # the name of an image dropped/pasted to search by example

    def __init__(
        self,
        hub: HubLike | None = None,
        *,
        query: str = "",
        where: list[str] | tuple[str, ...] = (),
        page_size: int = 48,
        results: Any = None,
    ) -> None:
        super().__init__()
        self.hub = default_hub(hub)
        self._hits: dict[str, Any] = {}  # every hit seen, by id (detail/compare across pages)
        self._query_hits: tuple[tuple[Any, ...], list[Any], bool] | None = None
        self._many_roots = False  # the shown hits can come from more than one indexed folder
        self._given = list(results) if results is not None else None
        self._like_bytes = b""  # the dropped/pasted image (see ``like_drop``)
        self._quiet = True
        self.query, self.where, self.page_size = query, list(where), max(1, page_size)
        self._quiet = False
        self._guard(self._load_options)
        images = getattr(self.hub, "images", None)  # the CLIP model loads while the first page shows
        if images is not None and hasattr(images, "prewarm"):
            images.prewarm()
        self.refresh()

    # -- public ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Load the current page (after any change of query, filters or page)."""
        self._loading("Loading images…")
        try:
            hits, total = self._page_hits()
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            self.items, self.total, self.page_label = [], 0, ""
            self._fail(exc)
            return
        last_page = max(0, (total - 1) // self.page_size)
        if self.page > last_page:
            self._quiet = True
            self.page = last_page
            self._quiet = False
            hits, total = self._page_hits()
        for hit in hits:
            self._hits[hit.id] = hit
        self.total = total
        start = self.page * self.page_size
        self.page_label = f"{start + 1:,}–{start + len(hits):,} of {total:,}" if total else "0 of 0"
        images = getattr(self.hub, "images", None)  # this page's thumbnails not made yet: on all cores
        if images is not None and hasattr(images, "make_thumbnails"):
            try:
                images.make_thumbnails(hits)
            except Exception:  # noqa: BLE001 - a tile without its thumbnail shows a placeholder
                pass
        self.items = [self._item(h) for h in hits]
        if total:
            self._ok()
        elif self._nothing_indexed():
            self._empty(NOTHING_INDEXED)
        elif self.query or self._clauses():
            self._empty("No images match — remove a filter or try other words")
        else:
            self._empty("No generated images indexed yet — index a folder with PNG/JPEG/WebP outputs")

    def reload(self) -> None:
        """Forget cached query hits and filter options (after indexing), then refresh."""
        self._query_hits = None
        self._guard(self._load_options)
        self.refresh()

    # -- observers ------------------------------------------------------------------------
    @observe("query", "where", "filters", "page_size", "like_id", "dedupe", "regions", "like_drop")
    def _criteria_changed(self, _change: dict[str, Any]) -> None:
        if self._quiet_now():
            return
        self._given = None
        self._quiet = True
        self.page = 0
        self._quiet = False
        self.refresh()

    @observe("page", "blur_above")
    def _page_changed(self, _change: dict[str, Any]) -> None:
        if not self._quiet_now():
            self.refresh()

    @observe("detail_id")
    def _detail_changed(self, change: dict[str, Any]) -> None:
        self.detail = self._guard(self._detail, change["new"]) or {} if change["new"] else {}

    @observe("selected")
    def _selected_changed(self, change: dict[str, Any]) -> None:
        ids = list(dict.fromkeys(change["new"]))
        self.comparison = (self._guard(self._compare, ids) or {}) if 2 <= len(ids) <= 4 else {}

    def on_page(self, content: dict[str, Any]) -> None:
        """``{"event": "page", "delta": ±1}`` from the prev/next buttons."""
        self.page = max(0, self.page + int(content.get("delta", 0)))

    def search_like(self, image: bytes, name: str = "image") -> None:
        """Search by example: images that look like ``image`` (encoded bytes, as dropped or pasted)."""
        if not image:
            raise ValueError(f"{name}: the dropped image is empty")
        if len(image) > MAX_DROP_BYTES:
            raise ValueError(f"{name}: {len(image):,} bytes, over the {MAX_DROP_BYTES:,} byte limit")
        self._like_bytes = bytes(image)
        self._quiet = True
        self.like_id, self.like_drop = "", ""
        self._quiet = False
        self.like_drop = (name or "image")[:120]  # refreshes

    def _dispatch_msg(self, widget: Any, content: Any, buffers: Any = None) -> None:
        """``{"event": "like_image", "name": ...}`` with the file's bytes as the message's buffer;
        every other message goes to the frame's dispatcher."""
        if isinstance(content, dict) and content.get("event") == "like_image":
            data = b"".join(bytes(b) for b in (buffers or [])[:1])
            self._guard(self.search_like, data, str(content.get("name") or "image"))
            return
        super()._dispatch_msg(widget, content, buffers)

    # -- internals ------------------------------------------------------------------------
    def _quiet_now(self) -> bool:
        return getattr(self, "_quiet", True)

    def _clauses(self) -> list[str]:
        """The ``where`` list plus the filter bar (dropdowns, minimum steps, cfg range)."""
        bar = dict(self.filters)
        return list(self.where) + self.hub.filter_clauses(
            equal={key: bar.get(key) for key in FILTER_KEYS},
            at_least={"num_inference_steps": bar.get("min_steps"), "guidance_scale": bar.get("cfg_min")},
            at_most={"guidance_scale": bar.get("cfg_max")},
        )

    def _page_hits(self) -> tuple[list[Any], int]:
        start, size = self.page * self.page_size, self.page_size
        if self._given is not None:
            self._many_roots = len({h.root for h in self._given}) > 1
            return self._given[start : start + size], len(self._given)
        where = self._clauses()
        dropped = self._dropped()
        if not self.query.strip() and not self.like_id and not dropped:
            self.like_name = ""
            res = self.hub.browse("image", where=where, offset=start, limit=size)
            self._many_roots = res.many_roots
            return list(res.hits), int(res.total if res.total is not None else len(res.hits))
        key = (self.query.strip(), tuple(where), self.like_id, dropped, self.dedupe, self.regions)
        if self._query_hits is None or self._query_hits[0] != key:
            res = self.hub.search(
                "" if self.like_id or dropped else self.query.strip(), kind="image", where=where,
                limit=MAX_QUERY_HITS, record=False,
                **self._image_options(),
            )  # fmt: skip
            self._query_hits = (key, list(res.hits), res.many_roots)
        hits, self._many_roots = self._query_hits[1], self._query_hits[2]
        return hits[start : start + size], len(hits)

    def _image_options(self) -> dict[str, Any]:
        """``like`` (the file of the "more like this" image) and ``dedupe`` for ``hub.search``."""
        options: dict[str, Any] = {"dedupe": self.dedupe} if self.dedupe else {}
        if self.regions:
            options["regions"] = True
        if self.like_id:  # a tile's "more like this" (newer than any drop: a drop clears like_id)
            hit = self._hit(self.like_id)
            options["like"] = Path(hit.root or "") / hit.path if hit.root else Path(hit.path)
            self.like_name = Path(hit.path).name
        elif self._dropped():
            options["like"] = self._like_bytes
            self.like_name = self.like_drop
        else:
            self.like_name = ""
        return options

    def _dropped(self) -> str:
        """The dropped image's digest ("" when no dropped image is the query)."""
        if not self.like_drop or not self._like_bytes:
            return ""
        return hashlib.sha1(self._like_bytes).hexdigest()

    def _nothing_indexed(self) -> bool:
        try:
            return not self.hub.has_documents()
        except Exception:  # noqa: BLE001 - the hint is a nicety; the error is shown anyway
            return False

    def _load_options(self) -> None:
        vocab = self.hub.vocabulary()
        self.filter_options = {key: [v for v, _ in vocab.get(key, [])] for key in FILTER_KEYS}

    def _item(self, hit: Any) -> dict[str, Any]:
        md = hit.metadata or {}
        thumb = _data.thumbnail_url(self.hub, hit.id)
        return {
            "id": hit.id,
            "path": hit.path,
            "name": str(md.get("filename") or Path(hit.path).name),
            "thumbnail": thumb,
            "placeholder": not thumb,
            "score": round(float(hit.score), 4),
            "count": int(md.get("duplicate_count") or 1),
            "box": list((md.get("region") or {}).get("box") or []),
            "safety": self._safety(md),
            **_data.relevance_fields(hit),
            "show_root": self._many_roots,
            "overlay": {
                "prompt": str(md.get("prompt") or "")[:300],
                "steps": _data.display(md.get("num_inference_steps")),
                "sampler": _data.display(md.get("sampler")),
                "cfg": _data.display(md.get("guidance_scale")),
                "seed": _data.display(md.get("seed")),
                "model": _data.display(md.get("model_checkpoint") or md.get("source_model_id")),
            },
        }

    def _safety(self, md: dict[str, Any]) -> dict[str, Any]:
        """The tile's safety line: the highest score and the model that gave it, or "unassessed"."""
        found = md.get("safety_assessment") or {}
        scores = {k: float(v) for k, v in found.items() if k in ("nsfw", "violence") and v is not None}
        if not scores:
            reason = str(found.get("reason") or "no safety model has assessed this image")
            return {"status": found.get("status", "unassessed"), "reason": reason, "blur": False}
        key = max(scores, key=lambda k: scores[k])
        return {
            "status": "assessed",
            "key": key,
            "score": round(scores[key], 3),
            "model": str(found.get("model") or ""),
            "blur": scores[key] > self.blur_above,
        }

    def _hit(self, doc_id: str) -> Any:
        hit = self._hits.get(doc_id)
        if hit is None:
            raise KeyError(f"image {doc_id!r} is not in the gallery (browse to it first)")
        return hit

    def _params(self, hit: Any) -> tuple[dict[str, Any], dict[str, str]]:
        md = dict(hit.metadata or {})
        return md, dict(getattr(hit, "provenance", None) or {})

    def _detail(self, doc_id: str) -> dict[str, Any]:
        hit = self._hit(doc_id)
        _record_open(self.hub, hit)
        md, provenance = self._params(hit)
        rows = []
        for key in PARAM_KEYS:
            value = hit.path if key == "path" else md.get(key)
            source = provenance.get(key) or provenance.get(f"{key}.width", "")
            rows.append({"key": key, "value": _data.display(value), "source": source})
        extra = [r for r in _data.meta_rows(md, provenance) if r["key"].split(".")[0] not in PARAM_KEYS]
        return {
            "id": hit.id,
            "name": str(md.get("filename") or Path(hit.path).name),
            "path": hit.path,
            "thumbnail": _data.thumbnail_url(self.hub, hit.id),
            "rows": rows,
            "extra": extra,
        }

    def _compare(self, ids: list[str]) -> dict[str, Any]:
        """The hub's comparison of images this gallery has shown, with their thumbnails."""
        for doc_id in ids:
            self._hit(doc_id)
        comparison = self.hub.compare_images(ids).to_dict()
        for image in comparison["images"]:
            image["thumbnail"] = _data.thumbnail_url(self.hub, image["id"])
        return comparison


def _record_open(hub: Any, hit: Any) -> None:
    """An image opened in the detail view counts in the Quality view's "most opened"."""
    try:
        from ..quality import record_event

        record_event(hub, "open", hit.path, hit.kind)
    except Exception:  # noqa: BLE001 - analytics never stop the view (a read-only store, a bare hub)
        pass
