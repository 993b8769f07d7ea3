"""Models side by side: aligned metadata and metrics, structural and code diffs, lineage, images.

Two steps, so a notebook can compare without a store:

* :func:`collect` reads what is needed from a hub into a *snapshot* (plain JSON data);
* :func:`compare_snapshot` builds the :class:`Comparison` from a snapshot alone.

``hub.compare([...])`` does both. A :class:`Comparison` exports to HTML, Markdown, CSV and JSON.
"""

from __future__ import annotations

import base64
import csv
import difflib
import html
import io
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError, QueryError
from .resolve import ModelDocs, resolve
from .structure import diff_structures, model_structure

if TYPE_CHECKING:
    import pandas as pd

    from ..hub import Hub

MIN_MODELS, MAX_MODELS = 2, 4
MAX_IMAGES_PER_MODEL = 6
MAX_LINEAGE_DEPTH = 8

#: Rows first, in this order; other scalar fields of any model follow alphabetically.
PREFERRED = (
    "model_id", "version", "model_family", "framework.name", "architecture_type",
    "model_dimensions.total_parameters", "model_dimensions.hidden_size", "model_dimensions.num_layers",
    "model_dimensions.num_attention_heads", "model_dimensions.vocab_size", "model_dimensions.context_length",
    "dataset.name", "training_config.optimizer", "training_config.learning_rate",
    "training_config.batch_size", "training_config.epochs", "training_config.max_iters",
)  # fmt: skip
SKIP_KEYS = frozenset(
    {
        "filename", "filepath", "root", "type", "history_source", "last_commit_message", "weights",
        "model_classes", "description", "display_name", "language", "commit_count", "access_control",
        "thumbnail_path", "image_path",
    }
)  # fmt: skip
LOWER_BETTER = re.compile(r"(^|[._])(loss|perplexity|ppl|latency\w*|error\w*|fid|wer|cer|mse|mae|rmse)$")
HIGHER_BETTER = re.compile(
    r"(^|[._])(acc|accuracy|top1|top5|f1|precision|recall|bleu|rouge\w*|auc|map|clip_score|"
    r"throughput\w*|tokens_per_second|samples_per_second)$"
)


def direction(key: str) -> str | None:
    """``"lower"`` or ``"higher"`` when it is known which is better for ``key``, else None."""
    if LOWER_BETTER.search(key):
        return "lower"
    if HIGHER_BETTER.search(key):
        return "higher"
    return None


def flatten(meta: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys → scalars (lists of scalars stay lists; lists of objects are left out)."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        dotted = f"{prefix}{key}"
        if not prefix and key in SKIP_KEYS:
            continue
        if isinstance(value, dict):
            out.update(flatten(value, dotted + "."))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out[dotted] = value
        else:
            out[dotted] = value
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:,}"
    return str(value)


def align(models: Sequence[ModelDocs]) -> list[dict[str, Any]]:
    """One row per field: values per model, whether they differ, % change and improvement vs the first."""
    flat = [flatten(m.metadata) for m in models]
    keys = [k for k in PREFERRED if any(k in f for f in flat)]
    keys += sorted({k for f in flat for k in f} - set(keys))
    rows = []
    for key in keys:
        values = [f.get(key) for f in flat]
        base = _number(values[0])
        way = direction(key)
        change: list[float | None] = []
        improvement: list[float | None] = []
        for value in values:
            number = _number(value)
            if base is None or number is None or base == 0:
                change.append(None)
                improvement.append(None)
                continue
            pct = (number - base) / abs(base) * 100
            change.append(round(pct, 2))
            improvement.append(None if way is None else round(pct if way == "higher" else -pct, 2))
        texts = [json.dumps(v, sort_keys=True, default=str) for v in values]
        rows.append(
            {
                "key": key,
                "values": values,
                "display": [_text(v) for v in values],
                "diff": len(set(texts)) > 1,
                "direction": way,
                "change_pct": change,
                "improvement_pct": improvement,
            }
        )
    return rows


def _defining_lines(model: ModelDocs, structure: dict[str, Any]) -> list[str]:
    """The source of the model's classes (from the file, else its model/config chunks)."""
    if model.source and structure.get("classes"):
        lines = model.source.splitlines()
        out: list[str] = []
        for info in structure["classes"].values():
            out += lines[info["start_line"] - 1 : info["end_line"]] + [""]
        return out
    chunks = [
        c
        for c in model.chunks
        if c.get("section_type") in {"model_definition", "config"}
        or c.get("chunk_type") in {"class", "config"}
    ] or model.chunks
    return [line for c in chunks for line in (str(c.get("content") or "").splitlines() + [""])]


@dataclass
class Comparison:
    """2–4 models side by side. ``snapshot`` holds everything it was built from (plain JSON)."""

    models: list[ModelDocs]
    rows: list[dict[str, Any]]
    structures: list[dict[str, Any]]
    structure_diffs: list[dict[str, Any]]  # model i (i ≥ 1) against model 0
    code_diffs: list[dict[str, Any]]  # {"a", "b", "html", "unified"}
    lineage: dict[str, Any]  # {"nodes": [{id, created, modified, compared}], "edges": [{source, target}]}
    images: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    output: str = "text"  # how ``text()`` renders: text | markdown | csv

    @property
    def labels(self) -> list[str]:
        return [m.label for m in self.models]

    @property
    def differing(self) -> list[str]:
        return [r["key"] for r in self.rows if r["diff"]]

    # -- exports -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "models": [
                {"name": m.name, "model_id": m.model_id, "path": m.path, "kind": m.kind, "note": m.note}
                for m in self.models
            ],
            "notes": self.notes,
            "rows": self.rows,
            "differing": self.differing,
            "structure": self.structure_diffs,
            "code_diffs": [{k: d[k] for k in ("a", "b", "unified")} for d in self.code_diffs],
            "lineage": self.lineage,
            "images": {k: [{i: v for i, v in img.items() if i != "thumbnail"} for img in imgs]
                       for k, imgs in self.images.items()},
        }  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        data = {label: [r["display"][i] for r in self.rows] for i, label in enumerate(self.labels)}
        for i, label in enumerate(self.labels[1:], start=1):
            data[f"Δ% {label}"] = [r["change_pct"][i] for r in self.rows]
        data["differs"] = [r["diff"] for r in self.rows]
        return pd.DataFrame(data, index=pd.Index([r["key"] for r in self.rows], name="field"))

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        others = self.labels[1:]
        writer.writerow(
            ["field", *self.labels, *(f"change_pct {lb}" for lb in others),
             *(f"improvement_pct {lb}" for lb in others), "differs"]
        )  # fmt: skip
        for r in self.rows:
            writer.writerow(
                [r["key"], *r["display"], *("" if v is None else v for v in r["change_pct"][1:]),
                 *("" if v is None else v for v in r["improvement_pct"][1:]), r["diff"]]
            )  # fmt: skip
        return out.getvalue()

    def to_markdown(self) -> str:
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        out = [f"# Comparison: {' vs '.join(self.labels)}", ""]
        out += [f"> {n}" for n in self.notes] + ([""] if self.notes else [])
        out.append("| field | " + " | ".join(cell(lb) for lb in self.labels) + " |")
        out.append("|---" * (len(self.labels) + 1) + "|")
        for r in self.rows:
            shown = [cell(r["display"][0])] + [
                cell(r["display"][i]) + _pct_text(r, i) for i in range(1, len(self.labels))
            ]
            key = f"**{cell(r['key'])}**" if r["diff"] else cell(r["key"])
            out.append(f"| {key} | " + " | ".join(shown) + " |")
        for i, d in enumerate(self.structure_diffs, start=1):
            out += ["", f"## Structure: {self.labels[0]} → {self.labels[i]}", ""]
            out += [f"- `{line}`" for line in d["lines"]] or ["- no structural change"]
        out += ["", "## Lineage", ""]
        out += [f"- {e['source']} → {e['target']}" for e in self.lineage["edges"]] or [
            "- no known predecessors"
        ]
        for d in self.code_diffs:
            out += ["", f"## Code: {d['a']} → {d['b']}", "", "```diff", d["unified"].rstrip(), "```"]
        for label, imgs in self.images.items():
            out += ["", f"## Images by {label}", ""] + [
                f"- {img['path']}: {img.get('prompt', '')}" for img in imgs
            ]
        return "\n".join(out) + "\n"

    def text(self) -> str:
        """What the CLI prints: an aligned table (or Markdown/CSV when asked for)."""
        if self.output == "markdown":
            return self.to_markdown()
        if self.output == "csv":
            return self.to_csv()
        widths = [max(len("field"), *(len(r["key"]) for r in self.rows))]
        cells = [[r["display"][i] + _pct_text(r, i) for r in self.rows] for i in range(len(self.labels))]
        widths += [
            min(40, max(len(lb), *(len(c) for c in col))) for lb, col in zip(self.labels, cells, strict=True)
        ]
        lines = [*self.notes]
        lines.append("  ".join(t.ljust(w) for t, w in zip(["field", *self.labels], widths, strict=True)))
        for j, r in enumerate(self.rows):
            mark = "*" if r["diff"] else " "
            row = [r["key"], *(cells[i][j][:40] for i in range(len(self.labels)))]
            lines.append(mark + "  ".join(t.ljust(w) for t, w in zip(row, widths, strict=True)).rstrip())
        for i, d in enumerate(self.structure_diffs, start=1):
            lines += ["", f"structure {self.labels[0]} → {self.labels[i]}:"]
            lines += [f"  {line}" for line in d["lines"]] or ["  no structural change"]
        if self.lineage["edges"]:
            lines += [
                "",
                "lineage: " + "; ".join(f"{e['source']} → {e['target']}" for e in self.lineage["edges"]),
            ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html_fragment()

    def html_fragment(self, figure: bool = False) -> str:
        """The comparison as HTML (values escaped); ``figure`` adds the plotly lineage timeline."""
        esc = html.escape
        head = "".join(f"<th>{esc(lb)}</th>" for lb in self.labels)
        body = []
        for r in self.rows:
            tds = [f"<td>{esc(r['display'][0])}</td>"]
            for i in range(1, len(self.labels)):
                imp = r["improvement_pct"][i]
                cls = (
                    ""
                    if imp is None or imp == 0
                    else (" class='mh-better'" if imp > 0 else " class='mh-worse'")
                )
                tds.append(f"<td{cls}>{esc(r['display'][i])}{esc(_pct_text(r, i))}</td>")
            row_cls = " class='mh-diff'" if r["diff"] else ""
            body.append(f"<tr{row_cls}><th>{esc(r['key'])}</th>{''.join(tds)}</tr>")
        parts = [STYLE, "<div class='mh-compare'>"]
        parts += [f"<p class='mh-note'>{esc(n)}</p>" for n in self.notes]
        parts.append(f"<table class='mh-table'><thead><tr><th>field</th>{head}</tr></thead>"
                     f"<tbody>{''.join(body)}</tbody></table>")  # fmt: skip
        for i, d in enumerate(self.structure_diffs, start=1):
            items = (
                "".join(f"<li><code>{esc(line)}</code></li>" for line in d["lines"])
                or "<li>no structural change</li>"
            )
            parts.append(
                f"<h3>Structure: {esc(self.labels[0])} → {esc(self.labels[i])}</h3><ul class='mh-structure'>{items}</ul>"
            )
        edges = "".join(f"<li>{esc(e['source'])} → {esc(e['target'])}</li>" for e in self.lineage["edges"])
        parts.append(
            f"<h3>Lineage</h3><ul class='mh-lineage'>{edges or '<li>no known predecessors</li>'}</ul>"
        )
        if figure and self.lineage["nodes"]:
            from .figures import lineage_figure

            parts.append(lineage_figure(self).to_html(full_html=False, include_plotlyjs="cdn"))
        for d in self.code_diffs:
            parts.append(
                f"<h3>Code: {esc(d['a'])} → {esc(d['b'])}</h3><div class='mh-code'>{d['html']}</div>"
            )
        for label, imgs in self.images.items():
            figs = "".join(
                f"<figure>{_img_tag(img)}<figcaption>{esc(img['path'])}</figcaption></figure>" for img in imgs
            )
            parts.append(f"<h3>Images by {esc(label)}</h3><div class='mh-images'>{figs}</div>")
        parts.append("</div>")
        return "".join(parts)

    def to_html(self) -> str:
        """A standalone page (the lineage timeline loads plotly.js from its CDN)."""
        title = html.escape(" vs ".join(self.labels))
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{self.html_fragment(figure=True)}</body></html>"
        )


def _pct_text(row: dict[str, Any], i: int) -> str:
    pct = row["change_pct"][i]
    if pct is None or pct == 0:
        return ""
    imp = row["improvement_pct"][i]
    verdict = "" if imp is None else (" better" if imp > 0 else " worse")
    return f" ({pct:+.1f}%{verdict})"


def _img_tag(img: dict[str, Any]) -> str:
    thumb = img.get("thumbnail")
    if not thumb:
        return "<div class='mh-noimg'>no thumbnail</div>"
    return f"<img alt='{html.escape(str(img.get('prompt') or img['path']))}' src='data:image/webp;base64,{thumb}'>"


STYLE = """<style>
.mh-compare table.mh-table{border-collapse:collapse;font-size:13px}
.mh-compare th,.mh-compare td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.mh-compare tr.mh-diff{background:#fff8e1}
.mh-compare td.mh-better{color:#1b5e20;font-weight:600}
.mh-compare td.mh-worse{color:#b71c1c}
.mh-compare .mh-note{color:#555;font-style:italic}
.mh-compare .mh-code table.diff{font-family:monospace;font-size:12px;border-collapse:collapse}
.mh-compare .diff_add{background:#aaffaa}.mh-compare .diff_chg{background:#ffff77}
.mh-compare .diff_sub{background:#ffaaaa}.mh-compare .diff_header{background:#e0e0e0}
.mh-compare .mh-images{display:flex;flex-wrap:wrap;gap:8px}
.mh-compare figure{margin:0;width:160px;font-size:11px}.mh-compare img{max-width:160px}
</style>"""


# -- building ---------------------------------------------------------------------------------------
def _lineage(
    models: Sequence[ModelDocs], edges: list[dict[str, str]], dates: dict[str, dict[str, str]]
) -> dict[str, Any]:
    compared = {m.model_id for m in models if m.model_id}
    preds = [e for e in edges if e.get("relation", "predecessor_of") == "predecessor_of"]
    for m in models:  # the file's own word counts even if the edge was not derived
        for p in m.metadata.get("predecessor_models") or []:
            preds.append({"source_id": str(p), "target_id": m.model_id})
    seen, frontier = set(compared), set(compared)
    kept: dict[tuple[str, str], None] = {}
    for _ in range(MAX_LINEAGE_DEPTH):
        nxt: set[str] = set()
        for e in preds:
            s, t = e["source_id"], e["target_id"]
            if s in frontier or t in frontier:
                kept[(s, t)] = None
                nxt |= {s, t} - seen
        seen |= nxt
        frontier = nxt
        if not frontier:
            break
    nodes = [
        {"id": n, "created": dates.get(n, {}).get("created"), "modified": dates.get(n, {}).get("modified"),
         "compared": n in compared}
        for n in sorted(seen, key=lambda n: (dates.get(n, {}).get("created") or "", n))
    ]  # fmt: skip
    return {"nodes": nodes, "edges": [{"source": s, "target": t} for s, t in kept]}


def compare_snapshot(snapshot: dict[str, Any], minimum: int = MIN_MODELS) -> Comparison:
    """The comparison of the models in ``snapshot`` (from :func:`collect`), with no store
    (``minimum=1``: one model's profile, as the analysis notebook shows it)."""
    models = [m if isinstance(m, ModelDocs) else ModelDocs.from_dict(m) for m in snapshot["models"]]
    if not minimum <= len(models) <= MAX_MODELS:
        raise QueryError(f"compare {MIN_MODELS} to {MAX_MODELS} models (got {len(models)})")
    structures = [
        model_structure(m.source) if m.source else {"classes": {}, "imports": {}, "error": "no source"}
        for m in models
    ]
    diffs = [diff_structures(structures[0], s) for s in structures[1:]]
    code_diffs = []
    for m, s in zip(models[1:], structures[1:], strict=True):
        a, b = _defining_lines(models[0], structures[0]), _defining_lines(m, s)
        table = difflib.HtmlDiff(wrapcolumn=90).make_table(
            a, b, models[0].label, m.label, context=True, numlines=3
        )
        unified = "\n".join(difflib.unified_diff(a, b, models[0].label, m.label, lineterm="", n=2))
        code_diffs.append({"a": models[0].label, "b": m.label, "html": table, "unified": unified})
    notes = [m.note for m in models if m.note]
    return Comparison(
        models=models,
        rows=align(models),
        structures=structures,
        structure_diffs=diffs,
        code_diffs=code_diffs,
        lineage=_lineage(models, snapshot.get("edges", []), snapshot.get("dates", {})),
        images=snapshot.get("images", {}),
        notes=notes,
    )


def collect(
    hub: Hub, names: Sequence[str], thumbnails: bool = True, minimum: int = MIN_MODELS
) -> dict[str, Any]:
    """Everything a comparison of ``names`` needs, read from ``hub`` as plain JSON data."""
    names = list(dict.fromkeys(n for n in names if n.strip()))
    if not minimum <= len(names) <= MAX_MODELS:
        raise QueryError(f"compare {MIN_MODELS} to {MAX_MODELS} models (got {len(names)})")

    def can_view(meta: dict[str, Any]) -> bool:
        return hub.viewer_can_see(meta.get("access_control"))

    models = [resolve(hub.catalog, n, can_view) for n in names]
    ids = [m.model_id for m in models]
    if len(set(zip(ids, (m.path for m in models), strict=True))) < len(models):
        raise QueryError(f"{', '.join(names)} name the same model twice")
    edges = hub.relationships()
    dates: dict[str, dict[str, str]] = {}
    for model_id, created, modified in hub.catalog.db.execute(
        "SELECT json_extract(metadata, '$.model_id'), min(json_extract(metadata, '$.creation_date')), "
        "max(json_extract(metadata, '$.last_modified_date')) FROM documents "
        "WHERE json_extract(metadata, '$.model_id') IS NOT NULL GROUP BY 1"
    ):
        dates[str(model_id)] = {"created": created, "modified": modified}
    images: dict[str, list[dict[str, Any]]] = {}
    image_docs = {str(d.metadata.get("filepath")): d for d in hub.catalog.documents(kind="image")}
    for m in models:
        if not m.model_id:
            continue
        made = [
            e["source_id"] for e in edges if e["relation"] == "generated_by" and e["target_id"] == m.model_id
        ]
        found: list[dict[str, Any]] = []
        for rel in made:
            doc = image_docs.get(rel)
            if doc is None or not can_view(doc.metadata) or len(found) >= MAX_IMAGES_PER_MODEL:
                continue
            thumb = hub.thumbnail(doc.id) if thumbnails else None
            found.append({
                "id": doc.id, "path": rel, "prompt": doc.metadata.get("prompt"),
                "seed": doc.metadata.get("seed"), "sampler": doc.metadata.get("sampler"),
                "thumbnail": base64.b64encode(thumb).decode() if thumb else None,
            })  # fmt: skip
        if found:
            images[m.label] = found
    return {"models": [m.to_dict() for m in models], "edges": edges, "dates": dates, "images": images}


def compare_models(hub: Hub, names: Sequence[str]) -> Comparison:
    """Resolve ``names`` in ``hub`` and compare them (2–4 models)."""
    return compare_snapshot(collect(hub, names))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all (a temp file renamed); one-line error naming it."""
    target = Path(path).expanduser()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise BadInputError(f"{target}: cannot write ({err.strerror or err})", path=str(target)) from None
    return target


def write_html(comparison: Comparison, path: str | Path) -> Path:
    """The comparison as a standalone HTML page at ``path``."""
    written = write_text(path, comparison.to_html())
    comparison.notes.append(f"wrote {written}")
    return written


def suggestions(hub: Hub) -> list[str]:
    """The model_ids the viewer may see in the index (sorted), then the families not already named."""
    ids: dict[str, None] = {}
    families: dict[str, None] = {}
    for model_id, family, access in hub.catalog.db.execute(
        "SELECT DISTINCT json_extract(metadata, '$.model_id'), json_extract(metadata, '$.model_family'), "
        "json_extract(metadata, '$.access_control') FROM documents "
        "WHERE json_extract(metadata, '$.model_id') IS NOT NULL"
    ):
        if not hub.viewer_can_see(
            json.loads(access) if isinstance(access, str) and access[:1] in "{[" else access
        ):
            continue
        ids[str(model_id)] = None
        if family:
            families[str(family)] = None
    return sorted(ids) + sorted(f for f in families if f not in ids)
