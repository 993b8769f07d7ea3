"""``SearchPanel``: search-as-you-type over the hub, with filter chips, suggestions and history."""

from __future__ import annotations

import threading
from typing import Any

from traitlets import Bool, Dict, Int, List, Unicode, observe

from ..protocols import HubLike
from . import _data
from ._frame import NOTHING_INDEXED, Panel, css, default_hub, esm

HISTORY_SIZE = 20
EMPTY_HINT = "Type a query (e.g. causal self attention) or add a filter such as framework=pytorch"


class SearchPanel(Panel):
    """Search the hub from a notebook: ``SearchPanel(hub, query="attention", where=["framework=pytorch"])``.

    Setting ``query``, ``kind``, ``where`` or ``limit`` (from Python or the front end) runs
    ``hub.search`` and fills ``results``: one dict per hit with ``location`` (``path:start-end``),
    ``score``, ``breadcrumb``, highlighted ``code_html`` and ``meta`` rows (key, value, source).
    """

    _esm = esm("search.js")
    _css = css("search.css", extra=_data.pygments_css())
    panel = Unicode("search").tag(sync=True)
    events = frozenset({"commit", "restore", "star", "run_favorite", "unstar"})

    query = Unicode("").tag(sync=True)
    kind = Unicode("all").tag(sync=True)
    kinds = List(Unicode()).tag(sync=True)  # the kind menu, from the hub
    where = List(Unicode()).tag(sync=True)
    limit = Int(10).tag(sync=True)
    results = List(Dict()).tag(sync=True)
    suggestions = List(Dict()).tag(sync=True)
    history = List(Unicode()).tag(sync=True)  # the queries, newest first (what the History list shows)
    history_items = List(Dict()).tag(sync=True)  # the whole searches: {query, kind, where, ignored}
    filter_terms = List(Unicode()).tag(sync=True)
    understood = List(Dict()).tag(sync=True)  # filters read from the query: {"clause", "phrase"}
    ignored = List(Unicode()).tag(sync=True)  # understood clauses the user removed (until the words change)
    notes = List(Unicode()).tag(sync=True)
    favorites = List(Dict()).tag(sync=True)  # the user's starred searches: {id, text, kind, where, label}
    starred = Bool(False).tag(sync=True)  # the search shown (words, kind, chips) is one of them

    def __init__(
        self,
        hub: HubLike | None = None,
        *,
        query: str = "",
        kind: str = "all",
        where: list[str] | tuple[str, ...] = (),
        limit: int = 10,
        results: Any = None,
    ) -> None:
        super().__init__()
        self.hub = default_hub(hub)
        self.kinds = list(self.hub.kinds())
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._record_later = False
        self._quiet = True
        self.query, self.kind, self.where, self.limit = query, kind, list(where), limit
        self._quiet = False
        self._guard(self._load_terms)
        self._guard(self._load_favorites)
        if results is not None:
            self.results = [self._card(h, results) for h in results]
            self._explain(results)
            self._ok()
        else:
            self.run()
        if not _dense_ready(self.hub):
            self._dense_later()  # a fresh kernel: load the query embedder now, not at the first keystroke

    # -- public ---------------------------------------------------------------------------
    def run(self, record: bool = False) -> None:
        """Search with the current ``query``/``kind``/``where``/``limit`` (``record``: store it for
        analytics; as-you-type searches are not, the one committed with Enter is)."""
        query = self.query.strip()
        if not query and not self.where:
            self.results = []
            self._empty(NOTHING_INDEXED if self._nothing_indexed() else EMPTY_HINT)
            return
        if self.kind not in self.kinds:
            self.results = []
            self._fail(f"unknown kind {self.kind!r}: use one of {', '.join(self.kinds)}")
            return
        self._generation += 1
        if not _dense_ready(self.hub):
            # A fresh kernel: the embedding model is still loading. Keyword hits now, the full
            # ranking when the model is ready (on a thread, so the kernel keeps reading keystrokes).
            self._loading(f"Loading the embedding model… keyword matches for {query!r} meanwhile" if query
                          else "Filtering…")  # fmt: skip
            self._search(query, record=False, channels=("keyword",), partial=True)
            self._record_later = self._record_later or record
            self._dense_later()
            return
        self._loading(f"Searching for {query!r}…" if query else "Filtering…")
        self._search(query, record=record)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a search still running on the background thread (first search in a fresh kernel)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def refresh(self) -> None:
        """Reload the filter terms and re-run (after indexing)."""
        self._guard(self._load_terms)
        self.run()

    def _search(
        self, query: str, *, record: bool, channels: tuple[str, ...] | None = None, partial: bool = False
    ) -> None:
        """One search with the current settings into ``results`` (``partial``: keyword hits only)."""
        extra: dict[str, Any] = {"channels": channels} if channels else {}
        try:
            hits = self.hub.search(
                query,
                kind=self.kind,
                where=list(self.where),
                limit=max(1, self.limit),
                ignore=self.ignored,
                record=record and not partial,
                surface="panel",
                **extra,
            )
            self.results = [self._card(h, hits) for h in hits]
            self._explain(hits)
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            if partial:  # the full search will say what is wrong
                return
            self.results = []
            self.understood, self.notes = [], []
            self._fail(exc)
            return
        if partial:
            return  # status stays "loading the embedding model…"
        self._remember(query)
        if self.results:
            self._ok()
        elif self._nothing_indexed():
            self._empty(NOTHING_INDEXED)
        else:
            self._empty(
                f"No results for {query or ' '.join(self.where)!r} — try fewer filters or other words"
            )

    def _dense_later(self) -> None:
        """Load the embedding model on a thread, then run the newest search in full (once)."""
        if self._thread is not None and self._thread.is_alive():
            return  # the running one picks up the newest query when the model is ready

        def work() -> None:
            try:
                embedder = getattr(self.hub, "embedder", None)
                if embedder is not None:
                    embedder.embed(["warm up"])  # loads the ONNX copy (or sentence-transformers)
            except Exception:  # noqa: BLE001 - the search below reports what is wrong
                pass
            _READY.add(id(getattr(self.hub, "embedder", None)))
            record, self._record_later = self._record_later, False
            query = self.query.strip()
            if query or self.where:
                self._loading(f"Searching for {query!r}…" if query else "Filtering…")
                self._search(query, record=record)

        # Not a daemon: a script that exits at once waits for the model load instead of aborting in it.
        self._thread = threading.Thread(target=work, name="modelhub-search")
        self._thread.start()

    def star(self, on: bool | None = None) -> None:
        """Star the current search (its words, kind and filter chips) for this user (``on=False``:
        unstar it; None: toggle). The same words with other settings update the starred search."""
        query = " ".join(self.query.split())
        if not query:
            self._fail("Nothing to star: type a search first")
            return
        favorites = _favorites_of(self.hub)
        if favorites is None:
            self._fail("This hub keeps no favorites")
            return
        if on is None:
            on = not self.starred
        if on:
            favorites.add(query, "search", kind=self.kind, where=list(self.where))
        else:
            favorites.remove(query, "search")
        self._load_favorites()

    def run_favorite(self, favorite_id: int) -> None:
        """Set a starred search (words, kind, chips) in the panel and run it (stored like Enter)."""
        fav = next((f for f in self.favorites if f["id"] == int(favorite_id)), None)
        if fav is None:
            self._fail(f"no starred search #{favorite_id}: it was removed")
            self._load_favorites()
            return
        self.restore({"query": fav["text"], "kind": fav["kind"], "where": fav["where"]})

    def on_star(self, content: dict[str, Any]) -> None:
        """``{"event": "star", "on": true|false}``: the star button (``on`` absent: toggle)."""
        on = content.get("on")
        self.star(None if on is None else bool(on))

    def on_run_favorite(self, content: dict[str, Any]) -> None:
        """``{"event": "run_favorite", "id": n}``: a starred search clicked in the Starred list."""
        self.run_favorite(int(content.get("id", -1)))

    def on_unstar(self, content: dict[str, Any]) -> None:
        """``{"event": "unstar", "id": n}``: the ✕ of a starred search."""
        favorites = _favorites_of(self.hub)
        if favorites is not None:
            favorites.remove(int(content.get("id", -1)), "search")
        self._load_favorites()

    # -- observers ------------------------------------------------------------------------
    @observe("query", "kind", "where", "limit", "ignored")
    def _changed(self, change: dict[str, Any]) -> None:
        if change["name"] in ("query", "kind", "where"):
            self._light_star()
        if getattr(self, "_quiet", True):
            return
        if change["name"] == "query":
            self._quiet = True
            self.ignored = []  # new words: read them afresh
            self._quiet = False
            self._guard(self._suggest)
        self.run()

    def on_commit(self, content: dict[str, Any]) -> None:
        """Enter in the query box: remember the whole search even if it is a prefix of the last one."""
        query = str(content.get("query", self.query)).strip()
        if query:
            self._keep(query, first=True)
        if query and query == self.query.strip():
            self.run(record=True)  # the search the user meant: stored for analytics

    def on_restore(self, content: dict[str, Any]) -> None:
        """A History entry clicked: its text, kind, filter chips and removed understood chips, searched again."""
        try:
            item = self.history_items[int(content.get("index", -1))]
        except (IndexError, TypeError, ValueError):
            return
        self.restore(item)

    def restore(self, item: dict[str, Any]) -> None:
        """Set the whole search ``item`` (``{query, kind, where, ignored}``) and run it once."""
        self._quiet = True
        self.query = str(item.get("query", ""))
        self.kind = str(item.get("kind") or "all")
        self.where = [str(w) for w in item.get("where") or ()]
        self.ignored = [str(c) for c in item.get("ignored") or ()]
        self._quiet = False
        self._guard(self._suggest)
        self.run(record=True)

    # -- internals ------------------------------------------------------------------------
    def _explain(self, results: Any) -> None:
        """The filters read from the query's words (each an editable chip) and the notes."""
        self.understood = [
            {"clause": c, "phrase": p} for c, p in zip(results.understood, results.phrases, strict=True)
        ]
        self.notes = list(results.notes)

    def _nothing_indexed(self) -> bool:
        try:
            return not self.hub.has_documents()
        except Exception:  # noqa: BLE001 - the hint is a nicety; the search error is shown anyway
            return False

    def _remember(self, query: str) -> None:
        """History of searches that ran; typing "att", "atte", ... keeps one (the longest) entry."""
        if query:
            self._keep(query, first=False)

    def _keep(self, query: str, *, first: bool) -> None:
        """Put the current search (``query`` with this kind, filters, removed chips) in History.

        ``first`` (Enter) pins it. A search that merely ran (typing, a changed kind) replaces an
        unpinned top entry whose text it extends (or is), and leaves a pinned one with its text
        alone: History holds the searches people meant, each with the settings it had."""
        item: dict[str, Any] = {
            "query": query,
            "kind": self.kind,
            "where": list(self.where),
            "ignored": list(self.ignored),
        }
        items = [dict(i) for i in self.history_items]
        top = items[0] if items else None
        pinned = bool(top and top.get("pinned"))
        same = top is not None and all(top.get(k) == item[k] for k in item)
        item["pinned"] = first
        if top is not None and top["query"] == query:
            if first and not (pinned and not same):
                items[0] = item
            elif first:
                items.insert(0, item)
            elif not pinned:
                items[0] = item
        elif (
            not first
            and top is not None
            and not pinned
            and (query.startswith(top["query"]) or top["query"].startswith(query))
        ):
            if len(query) >= len(top["query"]):
                items[0] = item
        else:
            key = {k: item[k] for k in ("query", "kind", "where", "ignored")}
            items = [item, *[i for i in items if {k: i.get(k) for k in key} != key]]
        items = items[:HISTORY_SIZE]
        self.history_items = items
        self.history = [_label(i) for i in items]

    def _load_favorites(self) -> None:
        """The user's starred searches into ``favorites`` (and whether the search shown is one)."""
        favorites = _favorites_of(self.hub)
        items = favorites.list("search") if favorites is not None else []
        self.favorites = [
            {
                "id": f.id,
                "text": f.text,
                "kind": str(f.options.get("kind") or "all"),
                "where": [str(w) for w in f.options.get("where") or ()],
                "label": _label(
                    {
                        "query": f.text,
                        "kind": f.options.get("kind") or "all",
                        "where": f.options.get("where") or (),
                    }
                ),
            }  # fmt: skip
            for f in items
        ]
        self._light_star()

    def _light_star(self) -> None:
        query = " ".join(self.query.split())
        where = list(self.where)
        self.starred = any(
            f["text"] == query and f["kind"] == self.kind and f["where"] == where for f in self.favorites
        )

    def _load_terms(self) -> None:
        vocab = self.hub.vocabulary()
        self.filter_terms = sorted({f"{key}={value}" for key, values in vocab.items() for value, _ in values})

    def _suggest(self) -> None:
        self.suggestions = [s.to_dict() for s in self.hub.suggest(self.query)]

    def _card(self, hit: Any, results: Any = None) -> dict[str, Any]:
        md = dict(hit.metadata or {})
        provenance = dict(getattr(hit, "provenance", None) or {})
        breadcrumb = str(md.get("breadcrumb") or "")
        card: dict[str, Any] = {
            "id": hit.id,
            "kind": hit.kind,
            "path": hit.path,
            "start": hit.lines[0] if hit.lines else None,
            "end": hit.lines[1] if hit.lines else None,
            "location": _data.lines_label(hit.path, hit.lines),
            "score": round(float(hit.score), 4),
            **_data.relevance_fields(hit, results),
            "breadcrumb": breadcrumb or hit.path,
            "code_html": "",
            "text": "",
            "thumbnail": "",
            "meta": _data.meta_rows(md, provenance),
        }
        if hit.kind == "image":
            card["thumbnail"] = _data.thumbnail_url(self.hub, hit.id)
            card["text"] = str(md.get("prompt") or hit.snippet or "")
        else:
            code = hit.body
            card["code_html"] = _data.highlight(code, hit.path, str(md.get("chunk_type", "")))
        return card


def _label(item: dict[str, Any]) -> str:
    """How a History entry reads: the words, then the kind and filters when they are not the defaults."""
    extra = [f"kind={item['kind']}"] if item.get("kind", "all") != "all" else []
    extra += list(item.get("where") or ())
    extra += [f"not {c}" for c in item.get("ignored") or ()]
    return item["query"] + (f"  ({', '.join(extra)})" if extra else "")


def _favorites_of(hub: Any) -> Any:
    """``hub.favorites`` (the engine's ``Favorites``), or None for a hub without them (a test double)."""
    return getattr(hub, "favorites", None)


_READY: set[int] = set()  # embedders a panel has seen loaded


def _dense_ready(hub: Any) -> bool:
    """Whether ``hub``'s query embedder is loaded (a search would not wait for the model)."""
    embedder = getattr(hub, "embedder", None)
    if embedder is None or id(embedder) in _READY:
        return True
    if getattr(embedder, "_model", None) is not None or getattr(embedder, "_onnx", None) is not None:
        return True
    try:
        from ..embed import onnx_model, text

        folder = embedder.onnx_folder
        # the ONNX copy opened for a query or for an index run's batches (or their int8 copy): a
        # query session of an exported copy starts in a moment (the index run of this kernel has just used it)
        copies = {folder, onnx_model.int8_dir(folder)} if folder is not None else set()
        if embedder.backend != "torch" and any(
            key[0] in copies and encoder is not None for key, encoder in list(text._ENCODERS.items())
        ):
            return True
    except Exception:  # noqa: BLE001 - a test double or another embedder: treat as ready
        return not hasattr(embedder, "_model")
    return False
