"""Quality analytics (``hub.quality``): what the query log says about how well the hub answers.

Built on the catalog's ``queries`` table (every recorded search and question, its latency, hit
count, best result's confidence, feedback and the result opened) and ``usage_events`` (results
opened, comparison dimensions). :meth:`Quality.report` gives the Quality view's data:
latency by intent, zero-result and low-confidence queries, thumbs-down questions, the most opened
models/images, the comparison dimensions people use and the *problem queries*, which
:meth:`Quality.problems_yaml` writes in the retrieval gold set's format
(``benchmarks/gold/example_queries.yaml``) with proposed labels to review.

No UI imports here: the panel (``widgets/quality.py``) and ``modelhub stats --problems-yaml``
both call this.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import BadInputError

if TYPE_CHECKING:
    from .hub import Hub
    from .results import Answer, SearchResults

#: A best result below this relevance (0-1; the search panel's "weak") makes a query low-confidence.
LOW_CONFIDENCE = 0.5
EVENTS = ("open", "compare")
MAX_TARGET = 500
MAX_PROBLEMS = 200
#: latencies per intent the report carries for the box plot (its percentiles are over all of them)
LATENCY_SAMPLE = 1000


# -- recording ------------------------------------------------------------------------------------
def search_confidence(results: SearchResults) -> float | None:
    """How sure a search was: its best hit's relevance (0-1); None when nothing was ranked."""
    values = [h.relevance for h in results.hits if h.relevance is not None]
    return round(max(values), 4) if values else None


def answer_confidence(answer: Answer) -> float | None:
    """How sure an answer was: 1 for values read from the catalog with citations, else its best
    passage's relevance (0 when it cites nothing)."""
    if answer.mode == "catalog" and answer.citations:
        return 1.0
    if not answer.citations:
        return 0.0
    values = [h.relevance for h in answer.passages if h.relevance is not None]
    return round(max(values), 4) if values else None


def note_confidence(hub: Hub, query_id: int | None, confidence: float | None) -> None:
    """Store ``confidence`` on a recorded query (a store that cannot be written never fails it)."""
    if query_id is None or confidence is None:
        return
    try:
        hub.catalog.db.execute("UPDATE queries SET confidence=? WHERE id=?", (float(confidence), query_id))
    except Exception:  # noqa: BLE001 - analytics are a nicety
        pass


def record_event(hub: Hub, event: str, target: str, detail: Any = "") -> None:
    """Store one usage event: ``open`` (a model or image opened: ``target`` its path, ``detail`` its
    kind) or ``compare`` (``target`` the models, ``detail`` the dimensions compared)."""
    if event not in EVENTS:
        raise BadInputError(f"{str(event)[:40]!r} is not a usage event: use {' or '.join(EVENTS)}")
    from .analytics import current_user

    text = detail if isinstance(detail, str) else json.dumps(detail)
    try:
        hub.catalog.db.execute(
            "INSERT INTO usage_events (at, user, event, target, detail) VALUES (?, ?, ?, ?, ?)",
            (time.time(), hub.viewer.user or current_user(), event, str(target)[:MAX_TARGET], text[:4000]),
        )
    except Exception:  # noqa: BLE001 - analytics are a nicety
        pass


def record_comparison(hub: Hub, comparison: Any) -> None:
    """A comparison's models and the dimensions (metadata keys) it showed differing."""
    labels = [str(x) for x in getattr(comparison, "labels", [])]
    dims = [str(x) for x in getattr(comparison, "differing", [])]
    record_event(hub, "compare", " vs ".join(labels), dims)


# -- reading --------------------------------------------------------------------------------------
class LogRow(NamedTuple):
    """One stored query, as the report reads it."""

    user: str
    action: str
    text: str
    kind: str
    intent: str
    latency_ms: float
    hits: int
    top: str
    filters: str  # JSON list
    feedback: int | None
    clicked: str | None
    confidence: float | None


def _filters(raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


@dataclass(frozen=True)
class Problem:
    """A query worth adding to the gold set: its text, why, how often, and what it found."""

    text: str
    action: str
    kind: str
    reasons: tuple[str, ...]
    count: int
    where: tuple[str, ...]
    confidence: float | None
    top: str
    opened: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text, "action": self.action, "kind": self.kind, "reasons": list(self.reasons),
            "count": self.count, "where": list(self.where), "confidence": self.confidence,
            "top": self.top, "opened": self.opened,
        }  # fmt: skip


class Quality:
    """Quality analytics over one hub's query log (``hub.quality``)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    # -- raw rows ---------------------------------------------------------------------------
    def _since(self, days: float | None) -> float:
        return time.time() - days * 86400 if days else 0.0

    def _rows(self, days: float | None) -> list[LogRow]:
        """The stored queries (the viewer's own when access control restricts them), oldest first:
        one SELECT with the columns the report reads (``filters`` stays JSON text until needed)."""
        sql = ("SELECT user, action, text, kind, intent, latency_ms, hits, top, filters, feedback, clicked, "
               "confidence FROM queries WHERE at >= ? ORDER BY at")  # fmt: skip
        rows = self.hub.catalog.db.execute(sql, (self._since(days),)).fetchall()
        if self.hub.viewer.restricted:
            rows = [r for r in rows if r[0] == self.hub.viewer.user]
        return [LogRow(*r) for r in rows]

    def _events(self, event: str, days: float | None) -> list[tuple[str, str, str]]:
        sql = "SELECT user, target, detail FROM usage_events WHERE event=? AND at >= ? ORDER BY at"
        rows = self.hub.catalog.db.execute(sql, (event, self._since(days))).fetchall()
        if self.hub.viewer.restricted:
            rows = [r for r in rows if r[0] == self.hub.viewer.user]
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    # -- the report -------------------------------------------------------------------------
    def latency_by_intent(
        self, days: float | None = None, *, rows: list[LogRow] | None = None
    ) -> dict[str, list[float]]:
        """Every latency (ms), grouped by intent (searches: ``search``; questions: their intent)."""
        out: dict[str, list[float]] = {}
        for row in self._rows(days) if rows is None else rows:
            label = row.intent or row.action
            out.setdefault(label, []).append(float(row.latency_ms))
        return dict(sorted(out.items()))

    def problems(
        self, days: float | None = None, *, low: float = LOW_CONFIDENCE, rows: list[LogRow] | None = None
    ) -> list[Problem]:
        """Queries with no results, a low-confidence best result (below ``low``) or a thumbs down;
        one entry per text (and action), the most frequent first."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self._rows(days) if rows is None else rows:
            conf = row.confidence
            reasons = []
            if row.hits == 0:
                reasons.append("no results")
            elif conf is not None and conf < low:
                reasons.append("low confidence")
            if row.feedback == -1:
                reasons.append("thumbs down")
            text = " ".join(row.text.split())
            if not text:
                continue
            key = (row.action, text.lower())
            entry = found.get(key)
            if entry is None:
                entry = found[key] = {"row": row, "reasons": [], "count": 0, "conf": conf, "bad": 0}
            entry["count"] += 1
            if reasons:
                entry["bad"] += 1
                entry["row"], entry["conf"] = row, conf  # the latest bad run describes it
                entry["reasons"] = list(dict.fromkeys([*entry["reasons"], *reasons]))
        items = [e for e in found.values() if e["reasons"]]
        items.sort(key=lambda e: (-e["bad"], -e["count"], e["row"].text.lower()))
        return [
            Problem(
                " ".join(e["row"].text.split()),
                e["row"].action,
                e["row"].kind,
                tuple(e["reasons"]),
                e["count"],
                _filters(e["row"].filters),
                e["conf"],
                e["row"].top or "",
                _path_of(e["row"].clicked or ""),
            )  # fmt: skip
            for e in items[:MAX_PROBLEMS]
        ]

    def opened(
        self, days: float | None = None, top: int = 10, *, rows: list[LogRow] | None = None
    ) -> list[dict[str, Any]]:
        """The most opened results: the result opened from a search or an answer, and ``open`` events."""
        counts: Counter[str] = Counter()
        for row in self._rows(days) if rows is None else rows:
            if row.clicked:
                counts[_path_of(row.clicked)] += 1
        for _, target, _detail in self._events("open", days):
            counts[_path_of(target)] += 1
        kinds = self._kinds([p for p, _ in counts.most_common(top)])
        return [{"path": p, "kind": kinds.get(p, ""), "count": c} for p, c in counts.most_common(top)]

    def comparison_dimensions(self, days: float | None = None, top: int = 15) -> list[dict[str, Any]]:
        """The metadata keys comparisons showed (differing), the most frequent first."""
        counts: Counter[str] = Counter()
        compares = self._events("compare", days)
        for _, _target, detail in compares:
            try:
                dims = json.loads(detail) if detail else []
            except ValueError:
                continue
            if isinstance(dims, list):
                counts.update(str(d) for d in dims)
        return [{"dimension": d, "count": c, "of": len(compares)} for d, c in counts.most_common(top)]

    def report(
        self, days: float | None = None, *, top: int = 10, low: float = LOW_CONFIDENCE
    ) -> dict[str, Any]:
        """Everything the Quality view shows, as plain data (JSON-ready). ``latency_by_intent`` holds
        each intent's latencies sorted, at most ``LATENCY_SAMPLE`` of them (evenly spaced order
        statistics past that), so a long log stays a small report; ``latency_ms`` is over all."""
        rows = self._rows(days)  # read once
        problems = self.problems(days, low=low, rows=rows)
        latency = self.latency_by_intent(days, rows=rows)

        def texts(reason: str) -> list[dict[str, Any]]:
            return [p.to_dict() for p in problems if reason in p.reasons][:top]

        return {
            "since_days": days,
            "queries": len(rows),
            "latency_by_intent": {k: order_statistics(v, LATENCY_SAMPLE) for k, v in latency.items()},
            "latency_ms": {k: _percentiles(v) for k, v in latency.items()},
            "zero_results": texts("no results"),
            "low_confidence": texts("low confidence"),
            "thumbs_down": texts("thumbs down"),
            "opened": self.opened(days, top, rows=rows),
            "comparison_dimensions": self.comparison_dimensions(days, top),
            "problems": [p.to_dict() for p in problems],
            "low_confidence_below": low,
        }

    def resources(self) -> dict[str, Any]:
        """The resource monitor: CPU, RSS, loaded models, store sizes on disk, GPU (see :mod:`.resources`)."""
        from .resources import snapshot

        return snapshot(self.hub)

    # -- export ------------------------------------------------------------------------------
    def problems_yaml(
        self, days: float | None = None, *, low: float = LOW_CONFIDENCE, labels: int = 3, propose: bool = True
    ) -> str:
        """The problem queries as a YAML gold file (``version: 1``, ``queries: [...]``) that
        ``bench_retrieval.load_gold`` reads. Each query's ``relevant`` items are *proposals*
        (``review: true``): the result the user opened (grade 2), else the hub's current best hits
        for the words without filters (the first grade 2, the next ``labels - 1`` grade 1) —
        check them before adding the query to the gold set. A query with nothing to propose is
        left out (a gold query needs a grade-2 label) and named in a comment."""
        import yaml

        queries: list[dict[str, Any]] = []
        skipped: list[str] = []
        ids: set[str] = set()
        for problem in self.problems(days, low=low):
            relevant = self._proposals(problem, labels) if propose else []
            if problem.opened:
                relevant = [{"path": problem.opened, "grade": 2}] + [
                    {**r, "grade": 1} for r in relevant if r["path"] != problem.opened
                ][: max(0, labels - 1)]
            if not relevant:
                skipped.append(problem.text)
                continue
            item: dict[str, Any] = {
                "id": _unique_id(problem.text, ids),
                "query": problem.text,
                "kind": problem.kind if problem.kind in ("code", "image", "model", "all") else "all",
                "style": "problem",
                "reasons": list(problem.reasons),
                "seen": problem.count,
                "review": True,
                "relevant": relevant,
            }
            if problem.where:
                item["where"] = list(problem.where)
            queries.append(item)
        header = [
            "# Problem queries exported by modelhub (hub.quality.problems_yaml / modelhub stats --problems-yaml).",
            "# Same format as benchmarks/gold/example_queries.yaml. The `relevant` labels are PROPOSALS",
            "# (the result a user opened, else the current best hits): check each before using it.",
            *(f"# left out (nothing to propose): {t[:120]!r}" for t in skipped[:50]),
        ]
        body = yaml.safe_dump(
            {"version": 1, "queries": queries}, sort_keys=False, allow_unicode=True, width=110
        )
        return "\n".join(header) + "\n" + body

    def write_problems_yaml(self, path: str | Path, days: float | None = None, **kwargs: Any) -> Path:
        """Write :meth:`problems_yaml` to ``path``; returns the path."""
        target = Path(path).expanduser()
        if target.is_dir():
            raise BadInputError(f"{target}: is a folder; give a file name for the YAML")
        text = self.problems_yaml(days, **kwargs)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as err:
            raise BadInputError(f"{target}: cannot write: {err.strerror or err}") from None
        return target

    def _proposals(self, problem: Problem, labels: int) -> list[dict[str, Any]]:
        """The hub's best hits now for the words alone (no filters), as gold labels."""
        kind = problem.kind if problem.kind in ("code", "image", "model", "all") else "all"
        try:
            hits = self.hub.search(problem.text, kind=kind, limit=max(1, labels) * 3, record=False).hits
        except Exception:  # noqa: BLE001 - a query that cannot run now proposes nothing
            return []
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for hit in hits:
            symbol = str((hit.metadata or {}).get("symbol") or "")
            key = (hit.path, symbol)
            if not hit.path or key in seen:
                continue
            seen.add(key)
            label: dict[str, Any] = {"path": hit.path}
            if symbol:
                label["symbol"] = symbol
            label["grade"] = 2 if not out else 1
            out.append(label)
            if len(out) >= labels:
                break
        return out

    def _kinds(self, paths: list[str]) -> dict[str, str]:
        """The document kind of each path (model, image, code...) from the catalog."""
        out: dict[str, str] = {}
        db = self.hub.catalog.db
        for path in paths:
            row = db.execute(
                "SELECT f.file_kind FROM files f WHERE f.relpath=? OR f.path=? LIMIT 1", (path, path)
            ).fetchone()
            if row is not None:
                out[path] = str(row[0])
        return out


def order_statistics(values: list[float], most: int) -> list[float]:
    """``values`` sorted, or, past ``most`` of them, ``most`` evenly spaced order statistics: the
    shape of the distribution with both extremes kept (what a box plot of them draws)."""
    ordered = sorted(values)
    if len(ordered) <= most:
        return ordered
    step = (len(ordered) - 1) / (most - 1)
    return [ordered[round(i * step)] for i in range(most)]


def _percentiles(values: list[float]) -> dict[str, float]:
    from .analytics import percentiles

    return {**percentiles(values), "n": len(values)}


_LINES = re.compile(r":\d+(?:-\d+)?$")


def _path_of(label: str) -> str:
    """``path:12-30`` (a citation or a hit's location) -> ``path``; ``[2] path:1-3`` too."""
    label = re.sub(r"^\[\d+\]\s*", "", label.strip())
    return _LINES.sub("", label)


def _unique_id(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "query"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    taken.add(out)
    return out
