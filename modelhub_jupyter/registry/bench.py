"""Benchmark text-embedding versions on a standard query set: latency p50/p95, throughput,
recall@5 and MRR, stored as performance records and shown side by side with the change in percent.

The query set is the example workspace's gold questions (``modelhub_jupyter/demo/questions.yaml``,
each with the files that answer it) or any file in that format; the corpus is what this store has
indexed. A question counts when one of its source files is indexed here.
"""

from __future__ import annotations

import html
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..embed.text import text_hash
from ..errors import BadInputError
from .embedders import embedder_for
from .store import RegistryStore, VersionRow

if TYPE_CHECKING:
    from ..hub import Hub

METRICS = ("recall@5", "mrr", "latency_p50_ms", "latency_p95_ms", "throughput_texts_per_s")
LOWER_IS_BETTER = {"latency_p50_ms", "latency_p95_ms"}
THROUGHPUT_SAMPLE = 64  # corpus texts embedded (uncached) to measure throughput


@dataclass
class BenchmarkReport:
    """One benchmark run: a row of metrics per version and the change against the first version."""

    run_id: str
    model_type: str
    queries: int
    corpus: int
    rows: list[dict[str, Any]] = field(default_factory=list)

    def change(self) -> list[dict[str, Any]]:
        """Each later version's metrics as a percent change against the first (the baseline)."""
        if len(self.rows) < 2:
            return []
        base = self.rows[0]
        out = []
        for row in self.rows[1:]:
            pct = {}
            for m in METRICS:
                b, v = float(base[m]), float(row[m])
                pct[m] = round(100.0 * (v - b) / b, 1) if b else None
            out.append({"version": row["version"], "against": base["version"], "percent": pct})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "model_type": self.model_type, "queries": self.queries,
                "corpus": self.corpus, "versions": self.rows, "change": self.change()}  # fmt: skip

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.rows).set_index("version")

    def text(self) -> str:
        """A plain table: a column per version, a row per metric, the change in percent."""
        heads = [r["version"] for r in self.rows]
        lines = [f"{'metric':24}" + "".join(f"{h:>22}" for h in heads)]
        changes = {c["version"]: c["percent"] for c in self.change()}
        for m in METRICS:
            cells = []
            for r in self.rows:
                pct = changes.get(r["version"], {}).get(m)
                cells.append(f"{r[m]:.4g}" + (f" ({pct:+.1f}%)" if pct is not None else ""))
            lines.append(f"{m:24}" + "".join(f"{c:>22}" for c in cells))
        lines.append(f"{self.queries} queries over {self.corpus} indexed texts; run {self.run_id}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        changes = {c["version"]: c["percent"] for c in self.change()}
        head = "".join(f"<th>{html.escape(r['version'])}</th>" for r in self.rows)
        body = ""
        for m in METRICS:
            cells = ""
            for r in self.rows:
                pct = changes.get(r["version"], {}).get(m)
                better = pct is not None and ((pct < 0) if m in LOWER_IS_BETTER else (pct > 0))
                colour = "" if pct is None or pct == 0 else ("green" if better else "#b00")
                extra = f" <span style='color:{colour}'>({pct:+.1f}%)</span>" if pct is not None else ""
                cells += f"<td>{r[m]:.4g}{extra}</td>"
            body += f"<tr><th>{html.escape(m)}</th>{cells}</tr>"
        return (f"<table><tr><th>metric</th>{head}</tr>{body}</table>"
                f"<small>{self.queries} queries, {self.corpus} texts, run {html.escape(self.run_id)}</small>")  # fmt: skip


def _corpus(hub: Hub) -> tuple[list[str], list[str], list[str]]:
    """(text hashes, texts, relpaths) of the indexed code and model documents."""
    relpaths = dict(hub.catalog.db.execute("SELECT path, relpath FROM files").fetchall())
    hashes, texts, paths = [], [], []
    for doc in hub.catalog.documents():
        if doc.kind not in ("code", "model") or not doc.content:
            continue
        hashes.append(doc.text_hash or text_hash(doc.content))
        texts.append(doc.content)
        paths.append(relpaths.get(doc.file_path, doc.file_path))
    return hashes, texts, paths


def _relevant(path: str, sources: tuple[str, ...]) -> bool:
    return any(path == s or path.startswith(s.rstrip("/") + "/") for s in sources)


def benchmark(
    hub: Hub, store: RegistryStore, versions: list[VersionRow], *, queries: str | Path | None = None,
    k: int = 5, notes: str = "",
) -> BenchmarkReport:  # fmt: skip
    """Run the query set against each version; store and return the metrics."""
    from ..answer.scoring import load_questions

    if not versions:
        raise BadInputError("nothing to benchmark: name one or more versions")
    for v in versions:
        if v.model_type != "text_embedding":
            raise BadInputError(f"{v.model} {v.version}: benchmarks measure text_embedding versions")
    hashes, texts, paths = _corpus(hub)
    questions = [q for q in load_questions(queries) if q.sources]
    usable = [q for q in questions if any(_relevant(p, q.sources) for p in paths)]
    if not usable:
        raise BadInputError(
            f"none of the {len(questions)} benchmark questions has a source file indexed here: index the "
            "example workspace (`modelhub demo`) or give --queries FILE with sources in this store"
        )
    report = BenchmarkReport(uuid.uuid4().hex[:12], "text_embedding", len(usable), len(texts))
    for v in versions:
        row = _measure(hub, v, hashes, texts, paths, usable, k)
        store.record_performance(
            report.run_id, v, {m: row[m] for m in METRICS}, notes or f"{len(usable)} gold queries"
        )
        report.rows.append(row)
    return report


def _measure(hub: Hub, v: VersionRow, hashes: list[str], texts: list[str], paths: list[str], questions: list[Any],
             k: int) -> dict[str, Any]:  # fmt: skip
    assert v.vector_key is not None
    embedder = embedder_for(v)
    embedder.embed(["warm up"])
    unique = dict(zip(hashes, texts, strict=True))
    cached = hub.catalog.cached_vectors(v.vector_key, unique)
    sample = list(unique.values())[:THROUGHPUT_SAMPLE]
    started = time.perf_counter()
    embedder.embed(sample)
    throughput = len(sample) / max(time.perf_counter() - started, 1e-9)
    missing = [h for h in unique if h not in cached]
    if missing:  # what this version's generation would hold anyway: cached for a later activation
        new = dict(zip(missing, embedder.embed([unique[h] for h in missing]), strict=True))
        with hub.catalog.transaction():
            hub.catalog.cache_vectors(v.vector_key, new)
        cached.update(new)
    matrix = np.stack([cached[h] for h in hashes])
    latencies, hits, reciprocal = [], 0, 0.0
    for q in questions:
        t0 = time.perf_counter()
        qvec = embedder.embed([q.question])[0]
        order = np.argsort(-(matrix @ qvec))
        latencies.append(1000 * (time.perf_counter() - t0))
        ranked_files: list[str] = []
        for i in order:
            if paths[i] not in ranked_files:
                ranked_files.append(paths[i])
            if len(ranked_files) >= 50:
                break
        rank = next((n for n, p in enumerate(ranked_files, start=1) if _relevant(p, q.sources)), None)
        hits += rank is not None and rank <= k
        reciprocal += 1.0 / rank if rank else 0.0
    return {
        "model": v.model,
        "version": f"{v.model}:{v.version}",
        "recall@5": round(hits / len(questions), 4),
        "mrr": round(reciprocal / len(questions), 4),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 3),
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 3),
        "throughput_texts_per_s": round(throughput, 1),
    }
