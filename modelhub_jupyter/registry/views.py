"""How registry results read: plain-text tables for a terminal, escaped HTML for a notebook, and the
same dicts/lists as before for ``--json`` (``to_dict()``). No UI library is imported here."""

from __future__ import annotations

import html
import time
from collections.abc import Iterator, Sequence
from typing import Any

Row = dict[str, Any]


def human_size(n: int | float | None) -> str:
    """``90.9 MB``; ``""`` for None."""
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover - the loop returns


def short_sha(sha: str | None, n: int = 12) -> str:
    return (sha or "")[:n]


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


def columns(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "") -> list[str]:
    """Aligned text columns (the last one not padded)."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for r in cells:
        line = "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths[:-1], strict=True))
        out.append((indent + line + ("  " if len(r) > 1 else "") + r[-1]).rstrip())
    return out


def html_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], titles: Sequence[Sequence[str]] = ()
) -> str:
    """An HTML table of escaped cells; ``titles[i][j]`` becomes the hover text of cell (i, j)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for i, r in enumerate(rows):
        tips = titles[i] if i < len(titles) else ()
        tds = []
        for j, value in enumerate(r):
            tip = tips[j] if j < len(tips) else ""
            attr = f" title='{html.escape(tip, quote=True)}'" if tip else ""
            tds.append(f"<td{attr}>{html.escape('' if value is None else str(value))}</td>")
        body.append(f"<tr>{''.join(tds)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def category(row: Row) -> str:
    """``LANGUAGE / EMBEDDING`` from a list row or a model dict."""
    cats = row.get("categories") or {}
    primary = row.get("primary") or cats.get("primary") or "UNKNOWN"
    secondary = row.get("secondary") if "secondary" in row else cats.get("secondary")
    return " / ".join([str(primary), *[str(s) for s in secondary or []]])


class ModelList:
    """``modelhub models list``: models with their versions. ``to_dict()`` is the JSON list."""

    HEADERS = ("type", "model", "category", "tier", "version", "stage", "active", "size", "sha256")

    def __init__(self, rows: list[Row], model_type: str | None = None) -> None:
        self.rows = rows
        self.model_type = model_type

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> Row:
        return self.rows[i]

    def to_dict(self) -> list[Row]:
        return self.rows

    def to_frame(self) -> Any:
        """One row per version (pandas)."""
        import pandas as pd

        return pd.DataFrame([dict(zip(self.HEADERS, r, strict=True)) for r in self._table(full=True)])

    def _table(self, full: bool = False) -> list[list[Any]]:
        out: list[list[Any]] = []
        for m in self.rows:
            versions = m["versions"] or [
                {"version": "-", "stage": "", "active": False, "size": None, "sha256": ""}
            ]
            for v in versions:
                out.append([m["type"], m["name"], category(m), m["tier"], v["version"], v["stage"],
                            "*" if v["active"] else "", human_size(v["size"]),
                            v["sha256"] if full else short_sha(v["sha256"])])  # fmt: skip
        return out

    def empty_text(self) -> str:
        kind = f"{self.model_type} " if self.model_type else ""
        return (
            f"no {kind}models registered yet: `modelhub models discover DIR`, `modelhub models register PATH` "
            "or `modelhub models register --bundled`"
        )

    def text(self) -> str:
        if not self.rows:
            return self.empty_text()
        versions = sum(len(m["versions"]) for m in self.rows)
        return "\n".join(
            [
                *columns(self.HEADERS, self._table()),
                f"{len(self.rows)} model(s), {versions} version(s); * active",
            ]
        )

    def _repr_html_(self) -> str:
        if not self.rows:
            return f"<i>{html.escape(self.empty_text())}</i>"
        rows, full = self._table(), self._table(full=True)
        titles = [
            ["", m_path, "", "", "", "", "", "", sha[-1]]
            for sha, m_path in zip(full, self._paths(), strict=True)
        ]
        return html_table(self.HEADERS, rows, titles)

    def _paths(self) -> list[str]:
        return [str(m.get("path") or "") for m in self.rows for _ in (m["versions"] or [None])]

    def __repr__(self) -> str:
        return self.text()


class ModelCard:
    """``modelhub models show NAME``: metadata, categories, versions (files with sha256), performance,
    history. ``to_dict()`` is the JSON document; ``model["versions"]`` works as on the dict."""

    def __init__(self, data: Row) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def to_dict(self) -> Row:
        return self.data

    def _head(self) -> list[tuple[str, str]]:
        d = self.data
        meta = d.get("metadata") or {}
        dims = meta.get("model_dimensions") or {}
        rows = [("type", d["model_type"]), ("category", category(d)),
                ("specialisation", ", ".join(d.get("categories", {}).get("specialisation") or [])),
                ("format", str(d.get("format") or "")), ("tier", d["tier"]),
                ("groups", ", ".join(d.get("groups") or []) or "everyone"),
                ("path", str(d.get("path") or "")), ("source", str(d.get("source") or ""))]  # fmt: skip
        if dims.get("total_parameters"):
            rows.append(("parameters", f"{dims['total_parameters']:,}"))
        for key in ("architecture_type", "model_family", "framework.name", "license", "description"):
            value = meta.get(key)
            if value:
                rows.append((key, str(value)[:120]))
        return [(k, v) for k, v in rows if v]

    def _versions(self) -> list[list[Any]]:
        return [[v["version"], v["stage"], "*" if v["active"] else "", human_size(v.get("size")),
                 short_sha(v["checkpoint_sha256"]), v.get("parent") or "", v.get("created_by") or "",
                 when(v.get("created")), _approval(v)] for v in self.data["versions"]]  # fmt: skip

    def _performance(self) -> list[list[Any]]:
        latest: dict[tuple[str, str], Row] = {}
        for p in self.data.get("performance") or []:
            latest[(p["version"], p["metric"])] = p
        return [[p["version"], p["metric"], f"{p['value']:.4g}", p["run_id"], when(p["recorded"])]
                for p in latest.values()]  # fmt: skip

    def _history(self, n: int = 10) -> list[list[Any]]:
        return [[when(h["at"]), h["user"], h["action"], h.get("version") or "", _detail(h["detail"])]
                for h in (self.data.get("history") or [])[:n]]  # fmt: skip

    VERSION_HEADERS = ("version", "stage", "active", "size", "sha256", "parent", "by", "created", "approval")

    def text(self) -> str:
        d = self.data
        lines = [f"{d['name']}", *columns(("", ""), self._head(), indent="  ")[1:], "", "versions:"]
        lines += columns(self.VERSION_HEADERS, self._versions(), indent="  ")
        for v in d["versions"]:
            files = v.get("files") or []
            lines.append(f"  files of {v['version']} ({len(files)}, sha256 {v['checkpoint_sha256']}):")
            lines += columns(("file", "size", "sha256"),
                             [[f["file"], human_size(f.get("size")), f["sha256"]] for f in files[:12]],
                             indent="    ")[1:]  # fmt: skip
            if len(files) > 12:
                lines.append(f"    ... and {len(files) - 12} more (--json lists them all)")
        perf = self._performance()
        if perf:
            lines += ["", "performance (latest run per metric):"]
            lines += columns(("version", "metric", "value", "run", "recorded"), perf, indent="  ")
        history = self._history()
        if history:
            lines += ["", "history (newest first):"]
            lines += columns(("when", "who", "action", "version", "detail"), history, indent="  ")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        d = self.data
        head = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self._head()
        )
        full = [[""] * 4 + [v["checkpoint_sha256"]] for v in d["versions"]]
        parts = [f"<b>{html.escape(d['name'])}</b><table>{head}</table>",
                 html_table(self.VERSION_HEADERS, self._versions(), full)]  # fmt: skip
        perf = self._performance()
        if perf:
            parts.append(html_table(("version", "metric", "value", "run", "recorded"), perf))
        return "".join(parts)

    def __repr__(self) -> str:
        return self.text()


def _approval(v: Row) -> str:
    a = v.get("approval") or {}
    return f"{a.get('status', '')} by {a.get('by', '')}" if a else ""


def _detail(detail: Any) -> str:
    if isinstance(detail, dict):
        return ", ".join(f"{k}={v}" for k, v in detail.items() if v not in (None, "", [], {}))[:90]
    return str(detail)[:90]


def version_text(v: Row, title: str = "") -> str:
    """A registered version as ``key  value`` lines (register, stage, derive-int8)."""
    rows = [("model", f"{v['model']} ({v['model_type']})"), ("version", v["version"]), ("stage", v["stage"]),
            ("active", "yes" if v.get("active") else "no"), ("path", v["path"]), ("format", v["format"]),
            ("size", human_size(v.get("size"))), ("files", str(len(v.get("files") or []))),
            ("sha256", v["checkpoint_sha256"]), ("parent", v.get("parent") or ""),
            ("approval", _approval(v)), ("vector key", v.get("vector_key") or "")]  # fmt: skip
    return "\n".join(
        ([title] if title else []) + columns(("", ""), [r for r in rows if r[1]], indent="  ")[1:]
    )


def validation_text(report: Row) -> str:
    if report["ok"]:
        return (f"{report['model']} {report['version']}: ok — {report['files']} file(s) present, sha256 as "
                "registered, headers readable")  # fmt: skip
    return "\n".join(
        [f"{report['model']} {report['version']}: {len(report['problems'])} problem(s) in {report['path']}"]
        + [f"  {p}" for p in report["problems"]]
    )


def download_text(d: Row) -> str:
    return (f"{d.get('status', '')}: {d.get('path') or d.get('dest', '')}  {human_size(d.get('bytes'))}  "
            f"sha256 {d.get('sha256') or ''}").rstrip()  # fmt: skip
