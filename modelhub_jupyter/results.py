"""Result objects every surface shares: plain data with ``to_dict``, ``to_frame`` and HTML."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

from .vocabulary import Row, display, rows

LEFT = "text-align:left;vertical-align:top"


def _table(rows: list[dict[str, Any]], columns: list[str], muted: tuple[str, ...] = ()) -> str:
    """An HTML table, left-aligned, each value as the views show it (``124M``, ``6e-4``, lists joined)."""
    head = "".join(f"<th style='{LEFT}'>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='{LEFT}{';color:#888' if c in muted else ''}'>{html.escape(_cell(r.get(c), c))}</td>"
            for c in columns
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any, key: str = "") -> str:
    return value[:300] if isinstance(value, str) else display(value, key or "value")[:300]


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
    root: str = ""  # the indexed folder ``path`` is relative to (full path)
    lines: tuple[int, int] | None = None
    provenance: dict[str, str] = field(default_factory=dict)  # metadata key -> where it came from
    root_name: str = ""  # the root's short name (its folder's name, told apart from other roots')
    relevance: float | None = None  # fused score / the best this query could reach, in [0, 1]
    evidence: dict[str, Any] = field(default_factory=dict)  # ranks per channel, cosine, matched words
    strength: str = ""  # "strong", "good" or "weak" ("" when nothing was ranked: filters alone)

    @property
    def location(self) -> str:
        """``path:start-end`` (or the path)."""
        return f"{self.path}:{self.lines[0]}-{self.lines[1]}" if self.lines else self.path

    @property
    def relevance_label(self) -> str:
        """``92% strong``, ``40% weak``; "" when the hit was not ranked."""
        if self.relevance is None:
            return ""
        return f"{round(self.relevance * 100)}% {self.strength}".strip()

    @property
    def why(self) -> str:
        """The evidence in words: ``similar meaning (#1); matched words: causal, attention``."""
        e = self.evidence
        parts = []
        if e.get("dense_rank") is not None:
            parts.append(f"similar meaning (#{e['dense_rank']}, cosine {e.get('similarity') or 0:.2f})")
        if e.get("matched_words"):
            rank = f" (#{e['keyword_rank']})" if e.get("keyword_rank") else ""
            parts.append(f"matched words: {', '.join(e['matched_words'])}{rank}")
        elif e.get("query_words"):
            parts.append("no query word in it")
        return "; ".join(parts)

    @property
    def text(self) -> str:
        """The hit's text on one line (no breadcrumb, no line breaks): for tables."""
        text = str(self.metadata.get("prompt") or self.body) if self.kind == "image" else self.body
        return " ".join(text.split())

    @property
    def body(self) -> str:
        """The snippet without the ``path › symbol`` breadcrumb line a code chunk starts with."""
        breadcrumb = str(self.metadata.get("breadcrumb") or "")
        if breadcrumb and self.snippet.startswith(breadcrumb):
            return self.snippet[len(breadcrumb) :].lstrip("\n")
        first, _, rest = self.snippet.partition("\n")
        return rest if " › " in first and rest else self.snippet

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "root": self.root,
            "root_name": self.root_name,
            "score": round(self.score, 6),
            "relevance": self.relevance,
            "strength": self.strength,
            "evidence": self.evidence,
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
    query_id: int | None = None  # the stored query (feedback goes to it)
    weak: bool = False  # nothing found is close to the query (see search.relevance)
    roots: dict[str, str] = field(default_factory=dict)  # every root the viewer sees -> its short name

    @property
    def many_roots(self) -> bool:
        """Whether hits can come from more than one indexed folder (then views name the root)."""
        return len(self.roots) > 1 or len({h.root for h in self.hits}) > 1

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
        """One row per hit: score, kind, path, root (short name), lines, relevance, what it is, why, its text."""
        import pandas as pd

        rows = []
        for h in self.hits:
            md = h.metadata
            rows.append(
                {
                    "score": round(h.score, 4),
                    "kind": h.kind,
                    "path": h.path,
                    "root": h.root_name or h.root,
                    "lines": f"{h.lines[0]}-{h.lines[1]}" if h.lines else "",
                    "relevance": h.relevance,
                    "strength": h.strength,
                    "symbol": md.get("symbol") or md.get("model_id") or "",
                    "framework": display((md.get("framework") or {}).get("name", "")),
                    "architecture": display(md.get("architecture_type", "")),
                    "why": h.why,
                    "snippet": h.text[:200],
                }
            )
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        explained = "".join(
            f"<div style='color:{'#b45309' if line.startswith('weak matches') else '#666'}'>"
            f"{html.escape(line)}</div>"
            for line in self.explain()
        )
        if not self.hits:
            return explained + f"<i>no results for {html.escape(self.query)!s}</i>"
        cards = [explained]
        many = self.many_roots
        for h in self.hits:
            root = (
                f"<span title='{html.escape(h.root, quote=True)}' style='color:#555;background:#eef;"
                f"border-radius:3px;padding:0 4px;margin-right:4px'>{html.escape(h.root_name or h.root)}</span>"
                if many
                else ""
            )
            cards.append(
                f"<div class='mh-hit' style='margin:6px 0;text-align:left'>{root}<b>{html.escape(h.location)}</b> "
                f"<span style='color:#888'>{html.escape(h.kind)}</span> {_relevance_html(h)}"
                f"<pre style='margin:2px 0;max-height:8em;overflow:auto;text-align:left'>"
                f"{html.escape(h.body)}</pre></div>"
            )
        return "".join(cards)

    def __repr__(self) -> str:
        lines = [f"SearchResults({self.query!r}, {len(self.hits)} hits)"] + [f"  {x}" for x in self.explain()]
        many = self.many_roots
        for h in self.hits:
            where = f"{h.root_name or h.root}: {h.location}" if many else h.location
            label = h.relevance_label or f"{h.score:.3f}"
            lines.append(f"  {label:>11}  {h.kind:5}  {where}")
        return "\n".join(lines)


def _relevance_html(hit: Hit) -> str:
    """A small bar, the percentage and its word, the evidence on hover (the raw score too)."""
    if hit.relevance is None:
        return ""
    colour = {"strong": "#15803d", "good": "#2563eb"}.get(hit.strength, "#b45309")
    width = max(2, round(hit.relevance * 48))
    title = html.escape(f"{hit.why}; score {hit.score:.4f}".lstrip("; "), quote=True)
    return (
        f"<span class='mh-relevance' title='{title}' style='color:{colour};white-space:nowrap'>"
        f"<span style='display:inline-block;vertical-align:middle;width:48px;height:6px;background:#e5e7eb;"
        f"border-radius:3px'><span style='display:block;width:{width}px;height:6px;background:{colour};"
        f"border-radius:3px'></span></span> {html.escape(hit.relevance_label)}</span>"
    )


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

    @property
    def note(self) -> str:
        """What a reader must know when the file is not in the store ("" when it is)."""
        if self.indexed:
            return ""
        if self.error:
            return "not indexed: the last index run could not read this file (the error is below)"
        folder = self.root or "its folder"
        return (
            "not indexed: these values were read just now for this view; search and answers do not "
            f"see the file until its folder is indexed (modelhub index {folder})"
        )

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
        if self.note:
            lines.append(self.note)
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
        table = _table(
            [{"key": r.key, "value": r.text[:300], "from": r.source} for r in self.rows()],
            ["key", "value", "from"],
            muted=("from",),
        )
        note = f"<p style='color:#b45309'>{html.escape(self.note)}</p>" if self.note else ""
        error = f"<p style='color:#c00'>error: {html.escape(self.error)}</p>" if self.error else ""
        root = f" <span style='color:#888'>in {html.escape(self.root)}</span>" if self.root else ""
        return (
            f"<div class='mh-file' style='text-align:left'><b>{html.escape(self.path)}</b>{root} "
            f"<i>{html.escape(self.file_kind)}</i> ({html.escape(self.state)}){note}{error}{table}</div>"
        )

    def __repr__(self) -> str:
        return self.text()


@dataclass
class Citation:
    """Where a stated value or a passage comes from: ``path`` (relative to ``root``) and ``lines``.

    ``valid`` says the file is still there, inside its root, with those lines (and, for a
    passage, its text); answers only show citations that are.
    """

    path: str
    lines: tuple[int, int] | None
    root: str = ""
    key: str = ""  # the metadata key a value citation supports
    value: Any = None
    doc_id: str = ""
    quote: str = ""  # a line the cited lines must still hold
    n: int = 0  # its number in the answer: [n]
    valid: bool = False
    problem: str = ""

    @property
    def label(self) -> str:
        if self.lines is None:
            return self.path
        start, end = self.lines
        return f"{self.path}:{start}" if start == end else f"{self.path}:{start}-{end}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "path": self.path,
            "lines": list(self.lines) if self.lines else None,
        }
        out["root"] = self.root
        if self.key:
            out["key"], out["value"] = self.key, self.value
        return out


@dataclass
class Answer:
    """An answer to a question about the workspace, with the citations that support it.

    ``mode`` says how it was made: ``catalog`` (values looked up in the metadata, no language
    model), ``extractive`` (the best passages, no language model) or ``llm`` (a language model
    phrased it from the passages; ``model`` names it). Every statement's citation was checked.
    """

    question: str
    answer: str
    intent: str
    confidence: float = 0.0
    mode: str = "extractive"
    model: str | None = None
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)  # {"path", "key", "label", "value", "n"}
    understood: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prompt_version: str = ""
    seconds: float = 0.0
    query_id: int | None = None  # the stored question (feedback goes to it)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "mode": self.mode,
            "model": self.model,
            "facts": self.facts,
            "understood": self.understood,
            "notes": self.notes,
            "passages": [
                {"path": h.path, "lines": list(h.lines) if h.lines else None, "id": h.id}
                for h in self.passages
            ],
            "prompt_version": self.prompt_version,
            "seconds": round(self.seconds, 3),
        }

    def text(self) -> str:
        """The answer, its sources and notes as plain text (terminals, ``text/plain``)."""
        how = {"catalog": "from the catalog", "extractive": "extractive: no language model"}.get(
            self.mode, f"phrased by {self.model}"
        )
        lines = [self.answer, "", f"({self.intent}; {how})"]
        lines += [f"[{c.n}] {c.label}" for c in self.citations]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        body = html.escape(self.answer).replace("\n", "<br>")
        sources = "".join(
            f"<li><code>[{c.n}] {html.escape(c.label)}</code>"
            + (
                f" <span style='color:#888'>{html.escape(c.key)} = {html.escape(display(c.value, c.key))}</span>"
                if c.key
                else ""
            )
            + "</li>"
            for c in self.citations
        )
        notes = "".join(f"<div style='color:#888'>{html.escape(n)}</div>" for n in self.notes)
        how = html.escape(self.mode + (f" · {self.model}" if self.model else ""))
        return (
            f"<div class='mh-answer'><div>{body}</div>"
            f"<div style='color:#888;font-size:0.9em'>{html.escape(self.intent)} · {how}</div>"
            f"<ol style='list-style:none;padding-left:0'>{sources}</ol>{notes}</div>"
        )


def describe_run(run: dict[str, Any]) -> str:
    """One line for an index run: ``#3 ok: 12 indexed, 40 unchanged, 1 errors, 4.2 s`` (the counts
    are left out where the viewer may not see them)."""
    stats = run.get("stats") or {}
    counts = (
        f"{stats.get('indexed', 0)} indexed, {stats.get('unchanged', 0)} unchanged, "
        if "indexed" in stats
        else ""
    )
    return (
        f"#{run['id']} {run['status']}: {counts}{len(stats.get('errors', []))} errors, "
        f"{stats.get('seconds') or 0:.1f} s"
    )
