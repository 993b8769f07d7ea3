"""``SearchPanel``: search-as-you-type over the hub, with filter chips, suggestions and history."""

from __future__ import annotations

from typing import Any

from traitlets import Dict, Int, List, Unicode, observe

from ..protocols import HubLike
from . import _data
from ._frame import NOTHING_INDEXED, Panel, css, esm

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
    events = frozenset({"commit"})

    query = Unicode("").tag(sync=True)
    kind = Unicode("all").tag(sync=True)
    kinds = List(Unicode()).tag(sync=True)  # the kind menu, from the hub
    where = List(Unicode()).tag(sync=True)
    limit = Int(10).tag(sync=True)
    results = List(Dict()).tag(sync=True)
    suggestions = List(Dict()).tag(sync=True)
    history = List(Unicode()).tag(sync=True)
    filter_terms = List(Unicode()).tag(sync=True)
    understood = List(Dict()).tag(sync=True)  # filters read from the query: {"clause", "phrase"}
    ignored = List(Unicode()).tag(sync=True)  # understood clauses the user removed (until the words change)
    notes = List(Unicode()).tag(sync=True)

    def __init__(
        self,
        hub: HubLike,
        *,
        query: str = "",
        kind: str = "all",
        where: list[str] | tuple[str, ...] = (),
        limit: int = 10,
        results: Any = None,
    ) -> None:
        super().__init__()
        self.hub = hub
        self.kinds = list(hub.kinds())
        self._quiet = True
        self.query, self.kind, self.where, self.limit = query, kind, list(where), limit
        self._quiet = False
        self._guard(self._load_terms)
        if results is not None:
            self.results = [self._card(h) for h in results]
            self._explain(results)
            self._ok()
        else:
            self.run()

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
        self._loading(f"Searching for {query!r}…" if query else "Filtering…")
        try:
            hits = self.hub.search(
                query,
                kind=self.kind,
                where=list(self.where),
                limit=max(1, self.limit),
                ignore=self.ignored,
                record=record,
                surface="panel",
            )
            self.results = [self._card(h) for h in hits]
            self._explain(hits)
        except Exception as exc:  # noqa: BLE001 - shown as a one-line error
            self.results = []
            self.understood, self.notes = [], []
            self._fail(exc)
            return
        self._remember(query)
        if self.results:
            self._ok()
        elif self._nothing_indexed():
            self._empty(NOTHING_INDEXED)
        else:
            self._empty(
                f"No results for {query or ' '.join(self.where)!r} — try fewer filters or other words"
            )

    def refresh(self) -> None:
        """Reload the filter terms and re-run (after indexing)."""
        self._guard(self._load_terms)
        self.run()

    # -- observers ------------------------------------------------------------------------
    @observe("query", "kind", "where", "limit", "ignored")
    def _changed(self, change: dict[str, Any]) -> None:
        if getattr(self, "_quiet", True):
            return
        if change["name"] == "query":
            self._quiet = True
            self.ignored = []  # new words: read them afresh
            self._quiet = False
            self._guard(self._suggest)
        self.run()

    def on_commit(self, content: dict[str, Any]) -> None:
        """Enter in the query box: remember the query even if it is a prefix of the last one."""
        query = str(content.get("query", self.query)).strip()
        if query and query not in self.history[:1]:
            self.history = [query, *[q for q in self.history if q != query]][:HISTORY_SIZE]
        if query and query == self.query.strip():
            self.run(record=True)  # the search the user meant: stored for analytics

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
        """History of queries that ran; typing "att", "atte", ... keeps one (the longest) entry."""
        if not query:
            return
        history = list(self.history)
        if history and (query.startswith(history[0]) or history[0].startswith(query)):
            history[0] = query if len(query) >= len(history[0]) else history[0]
        else:
            history = [query, *[q for q in history if q != query]]
        self.history = history[:HISTORY_SIZE]

    def _load_terms(self) -> None:
        vocab = self.hub.vocabulary()
        self.filter_terms = sorted({f"{key}={value}" for key, values in vocab.items() for value, _ in values})

    def _suggest(self) -> None:
        self.suggestions = [s.to_dict() for s in self.hub.suggest(self.query)]

    def _card(self, hit: Any) -> dict[str, Any]:
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
