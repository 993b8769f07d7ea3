"""Result objects every surface shares: plain data with ``to_dict``, ``to_frame`` and HTML."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .vocabulary import Row, rows


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)[:200]
    return str(value)


@dataclass
class IndexReport:
    """What one index run did."""

    root: str
    run_id: int | None = None
    files_seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped_by_rules: int = 0
    chunks: int = 0
    embeddings_computed: int = 0
    embeddings_reused: int = 0
    seconds: float = 0.0
    documents: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def add_error(self, path: str, error: str) -> None:
        self.errors.append({"path": path, "error": error})

    def add_warning(self, path: str, warning: str) -> None:
        self.warnings.append({"path": path, "warning": warning})

    @property
    def skipped(self) -> int:
        return self.unchanged

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["skipped"] = self.skipped
        return out

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            [{"path": e["path"], "problem": e["error"], "level": "error"} for e in self.errors]
            + [{"path": w["path"], "problem": w["warning"], "level": "warning"} for w in self.warnings]
        )

    def summary_rows(self) -> list[tuple[str, str]]:
        docs = ", ".join(f"{k}: {v}" for k, v in sorted(self.documents.items())) or "none"
        return [
            ("root", self.root),
            ("files seen", str(self.files_seen)),
            ("indexed (new or changed)", str(self.indexed)),
            ("unchanged (skipped)", str(self.unchanged)),
            ("removed", str(self.removed)),
            ("chunks written", str(self.chunks)),
            ("embeddings computed / reused", f"{self.embeddings_computed} / {self.embeddings_reused}"),
            ("documents in store", docs),
            ("errors", str(len(self.errors))),
            ("warnings", str(len(self.warnings))),
            ("time", f"{self.seconds:.1f} s"),
        ]

    def _repr_html_(self) -> str:
        rows = [{"": k, "value": v} for k, v in self.summary_rows()]
        out = "<b>modelhub index</b>" + _table(rows, ["", "value"])
        if self.errors:
            out += "<b>errors</b>" + _table(self.errors[:50], ["path", "error"])
        return out

    def __repr__(self) -> str:
        return f"IndexReport({', '.join(f'{k}={v}' for k, v in self.summary_rows())})"


@dataclass
class Hit:
    """One search result."""

    id: str
    kind: str
    path: str
    score: float
    snippet: str
    metadata: dict[str, Any]
    root: str = ""
    lines: tuple[int, int] | None = None
    provenance: dict[str, str] = field(default_factory=dict)  # metadata key -> where it came from

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "score": round(self.score, 6),
            "snippet": self.snippet,
            "metadata": self.metadata,
        }


@dataclass
class SearchResults:
    """Ranked hits for a query, best first."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)  # every filter applied: --where and understood
    kind: str = "all"
    total: int | None = None  # matching documents before paging (browse), when known
    understood: list[str] = field(default_factory=list)  # the filters read from the query's words
    phrases: list[str] = field(default_factory=list)  # the words each understood filter came from
    ranked_by: str = ""  # the words ranked (the query less what became filters)
    notes: list[str] = field(default_factory=list)  # what the reader should know ("ranked without ...")

    def explain(self) -> list[str]:
        """Lines that say how the query was read: the filters understood, the notes."""
        out = []
        if self.understood:
            words = (
                f"; ranked by {self.ranked_by!r}" if self.ranked_by and self.ranked_by != self.query else ""
            )
            out.append(f"understood: {', '.join(self.understood)}{words}")
        return out + self.notes

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self):
        return iter(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]

    def to_dict(self) -> list[dict[str, Any]]:
        return [h.to_dict() for h in self.hits]

    def to_frame(self):
        import pandas as pd

        rows = []
        for h in self.hits:
            md = h.metadata
            rows.append(
                {
                    "score": round(h.score, 4),
                    "kind": h.kind,
                    "path": h.path,
                    "lines": f"{h.lines[0]}-{h.lines[1]}" if h.lines else "",
                    "symbol": md.get("symbol") or md.get("model_id") or "",
                    "framework": (md.get("framework") or {}).get("name", ""),
                    "architecture": md.get("architecture_type", ""),
                    "snippet": h.snippet[:120],
                }
            )
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        explained = "".join(f"<div style='color:#666'>{html.escape(line)}</div>" for line in self.explain())
        if not self.hits:
            return explained + f"<i>no results for {html.escape(self.query)!s}</i>"
        cards = [explained]
        for h in self.hits:
            where = f"{h.path}:{h.lines[0]}-{h.lines[1]}" if h.lines else h.path
            cards.append(
                f"<div style='margin:6px 0'><b>{html.escape(where)}</b> "
                f"<span style='color:#888'>{h.kind} · {h.score:.3f}</span>"
                f"<pre style='margin:2px 0;max-height:8em;overflow:auto'>{html.escape(h.snippet)}</pre></div>"
            )
        return "".join(cards)

    def __repr__(self) -> str:
        lines = [f"SearchResults({self.query!r}, {len(self.hits)} hits)"] + [f"  {x}" for x in self.explain()]
        for h in self.hits:
            where = f"{h.path}:{h.lines[0]}-{h.lines[1]}" if h.lines else h.path
            lines.append(f"  {h.score:.3f}  {h.kind:5}  {where}")
        return "\n".join(lines)


@dataclass
class FileView:
    """Everything the hub believes about one file, and why (``hub.show(path)``).

    ``file_kind`` is the scanner's kind (``python``, ``image``, ``model_dir``, ...); the JSON
    form keeps it under ``"kind"``, as the CLI contract has it.
    """

    path: str
    file_kind: str
    indexed: bool
    metadata: dict[str, Any]
    provenance: dict[str, str] = field(default_factory=dict)
    chunks: list[dict[str, Any]] = field(default_factory=list)
    relationships: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    root: str = ""

    @property
    def kind(self) -> str:
        """The file kind (the name the JSON contract uses)."""
        return self.file_kind

    @property
    def state(self) -> str:
        return "indexed" if self.indexed else ("error" if self.error else "not indexed (parsed now)")

    def rows(self, max_chars: int = 500) -> list[Row]:
        """The metadata every view shows: one row per visible value, with where it came from."""
        return rows(self.metadata, self.provenance, max_chars=max_chars)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.file_kind,
            "indexed": self.indexed,
            "metadata": self.metadata,
            "provenance": self.provenance,
            "chunks": self.chunks,
            "relationships": self.relationships,
            "error": self.error,
            "warnings": self.warnings,
        }

    def text(self) -> str:
        """The plain-text view (terminals, ``text/plain``)."""
        lines = [f"{self.path}  {self.file_kind}  ({self.state})"]
        if self.error:
            lines.append(f"error: {self.error}")
        shown = [(r.key, r.text[:100] + (f"   [{r.source}]" if r.source else "")) for r in self.rows()]
        width = max((len(k) for k, _ in shown), default=0)
        lines += [f"  {k:<{width}}  {v}" for k, v in shown]
        lines += [f"chunk {c.get('start_line', '')}-{c.get('end_line', '')}  {c.get('breadcrumb', '')}"
                  for c in self.chunks[:40]]  # fmt: skip
        lines += [
            f"{e['source_id']} --{e['relation']}--> {e['target_id']}  ({e['evidence']})"
            for e in self.relationships
        ]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{html.escape(r.key)}</td><td>{html.escape(r.text[:200])}</td>"
            f"<td style='color:#888'>{html.escape(r.source)}</td></tr>"
            for r in self.rows()
        )
        error = f"<p style='color:#c00'>error: {html.escape(self.error)}</p>" if self.error else ""
        return (
            f"<b>{html.escape(self.path)}</b> <i>{html.escape(self.file_kind)}</i> ({html.escape(self.state)})"
            f"{error}<table><tr><th>key</th><th>value</th><th>from</th></tr>{body}</table>"
        )

    def __repr__(self) -> str:
        return self.text()
