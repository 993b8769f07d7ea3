"""Retrieval quality on the example workspace: nDCG@10, Recall@10 and MRR@10 against a gold set.

Builds the example workspace (``modelhub_jupyter.demo.build_workspace``) in a temp dir, indexes it
into a fresh temp ``MODELHUB_HOME`` with :class:`~modelhub_jupyter.Hub`, runs every query of
``benchmarks/gold/example_queries.yaml`` and prints the means over queries for three modes:

* ``hybrid``  - the default ``hub.search`` (filters read from the words, dense + BM25 fused by RRF),
* ``literal`` - the same with ``understand=False``: every word ranked, no filter read,
* ``dense``   - ``channels=("dense",)``, MiniLM vectors alone,
* ``keyword`` - ``channels=("keyword",)``, BM25 alone,
* ``langchain`` - the pipeline a user would build instead, in the same run: LangChain's
  DirectoryLoader + RecursiveCharacterTextSplitter (Python-aware for .py, chunk_size=1000,
  overlap 200, as in LangChain's RAG tutorial) + Chroma + the same MiniLM, dense only, k=10, over
  the workspace's text files (code, configs, notebooks, cards); no filters, no kinds. Its chunks
  have no symbols, so a label naming a function matches a chunk overlapping that function's lines.
* ``flat``    - ``hybrid`` with both channels weighted 1 even when the query holds identifiers
  (``rankers.IDENTIFIER_KEYWORD_WEIGHT``), to measure what that weight does.

``--precision fp32,bf16`` repeats the whole run (a fresh home each) per embedding precision and
prints the mean cosine between the fp32 and bf16 vectors of the same chunks. ``--verbose`` lists
the queries whose first exact (grade 2) result is not in the top 10, with what came back instead.

Metrics (k = 10, graded labels 2 = exact, 1 = acceptable; see the gold file's header for how a hit
matches a label; each label is credited once, to its best-ranked hit):

* nDCG@10: linear gain (the grade) / log2(rank + 1), normalised by the ideal ordering of the labels;
* Recall@10: share of the grade-2 labels found in the top 10;
* MRR@10: 1 / rank of the first hit credited with a grade-2 label (0 when none in the top 10).

``ms/query`` is the mean wall time of ``hub.search`` (query embedding included). On a small CPU
shared with another busy process, torch's default thread count can make each query embedding
tens of times slower; ``--threads 1`` keeps that column meaningful there (the quality figures do
not depend on it).

Not a test (``tests/test_retrieval_quality.py`` asserts a floor); it prints figures.

    .venv/bin/python benchmarks/bench_retrieval.py [--precision fp32,bf16] [--verbose] [--threads N] [--gold FILE]
                                                   [--set example|realworld --mirrors DIR | --corpus DIR]
                                                   [--ablation]

``--set realworld`` runs the same table on the development corpus of issue 12 (``realworld/queries.yaml``;
the corpus materialised from ``--mirrors`` or read from ``--corpus``). ``--ablation`` adds hybrid
with each retrieval technique of ``search/engine.py`` switched off in turn (the glossary's query
expansion and spelled-out names, a missed channel's real score, a filter word inside an ML term,
the file-level collapse, fewer pieces of one function, the dense weight lowered when its best
cosine is low) and with all of them off.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "benchmarks" / "gold" / "example_queries.yaml"
REALWORLD_GOLD = REPO / "benchmarks" / "realworld" / "queries.yaml"
K = 10
#: mode -> (channels, whether filters are read from the query's words)
MODES: dict[str, tuple[tuple[str, ...], bool]] = {
    "hybrid": (("dense", "keyword"), True),
    "literal": (("dense", "keyword"), False),
    "dense": (("dense",), False),
    "keyword": (("keyword",), False),
    "flat": (("dense", "keyword"), True),
    "langchain": ((), False),  # run by evaluate_langchain
}

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


# ----------------------------------------------------------------------------- gold set


@dataclass(frozen=True)
class Label:
    """One relevant result of a query: where it is and how good it is (2 exact, 1 acceptable)."""

    path: str
    grade: int
    symbol: str | None = None
    lines: tuple[int, int] | None = None

    def describe(self) -> str:
        where = self.path + (f" › {self.symbol}" if self.symbol else "")
        return where + (f" :{self.lines[0]}-{self.lines[1]}" if self.lines else "") + f" [{self.grade}]"


@dataclass(frozen=True)
class GoldQuery:
    id: str
    query: str
    kind: str
    style: str
    labels: tuple[Label, ...]
    where: tuple[str, ...] = ()


def load_gold(path: Path = GOLD) -> list[GoldQuery]:
    """The gold queries, checked: unique ids, grades 1 or 2, at least one grade-2 label each."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    queries: list[GoldQuery] = []
    seen: set[str] = set()
    for raw in data["queries"]:
        qid = raw["id"]
        if qid in seen:
            raise ValueError(f"{path}: duplicate query id {qid!r}")
        seen.add(qid)
        labels = []
        for item in raw["relevant"]:
            lines = item.get("lines")
            label = Label(
                path=str(item["path"]).rstrip("/"),
                grade=int(item["grade"]),
                symbol=item.get("symbol"),
                lines=(int(lines[0]), int(lines[1])) if lines else None,
            )
            if label.grade not in (1, 2):
                raise ValueError(f"{path}: {qid}: grade must be 1 or 2 ({label.describe()})")
            labels.append(label)
        if not any(label.grade == 2 for label in labels):
            raise ValueError(f"{path}: {qid}: needs at least one grade-2 label")
        queries.append(
            GoldQuery(
                qid,
                raw["query"],
                raw.get("kind", "all"),
                raw.get("style", ""),
                tuple(labels),
                tuple(raw.get("where") or ()),
            )
        )
    return queries


# ----------------------------------------------------------------------------- scoring


def hit_symbol(hit: Any) -> str | None:
    return (hit.metadata or {}).get("symbol") or None


def matches(hit: Any, label: Label) -> bool:
    """Whether a search hit (``modelhub_jupyter.results.Hit``) is the result ``label`` names."""
    if hit.path != label.path and not hit.path.startswith(label.path + "/"):
        return False
    symbol = hit_symbol(hit)
    if label.symbol is not None:
        if symbol != label.symbol:
            return False
    elif label.lines is not None and symbol is not None:
        return False  # a line range names a module/cell/card chunk, not a function spanning it
    if label.lines is not None:
        if hit.lines is None:
            return False
        first, last = label.lines
        return hit.lines[0] <= last and first <= hit.lines[1]
    return True


@dataclass
class QueryScore:
    ndcg: float
    recall: float
    mrr: float
    first_exact: int | None  # rank of the first hit credited with a grade-2 label
    gains: list[int] = field(default_factory=list)  # grade credited at each rank (0 = none)
    recall5: float = 0.0  # share of the grade-2 labels found in the top 5


def score(hits: Sequence[Any], labels: Sequence[Label], k: int = K) -> QueryScore:
    """nDCG@k, Recall@k and Recall@5 (grade-2 labels) and reciprocal rank of the first exact hit."""
    credited: dict[int, int] = {}  # label index -> the rank it was credited at
    gains: list[int] = []
    first_exact = None
    for rank, hit in enumerate(hits[:k], start=1):
        best = None
        for index, label in enumerate(labels):
            if (
                index not in credited
                and matches(hit, label)
                and (best is None or label.grade > labels[best].grade)
            ):
                best = index
        gain = 0
        if best is not None:
            credited[best] = rank
            gain = labels[best].grade
            if gain == 2 and first_exact is None:
                first_exact = rank
        gains.append(gain)
    dcg = sum(g / math.log2(r + 1) for r, g in enumerate(gains, start=1))
    ideal = sorted((label.grade for label in labels), reverse=True)[:k]
    idcg = sum(g / math.log2(r + 1) for r, g in enumerate(ideal, start=1))
    exact = [i for i, label in enumerate(labels) if label.grade == 2]
    recall = sum(1 for i in exact if i in credited) / len(exact)
    recall5 = sum(1 for i in exact if credited.get(i, k + 1) <= 5) / len(exact)
    mrr = 1.0 / first_exact if first_exact else 0.0
    return QueryScore(dcg / idcg, recall, mrr, first_exact, gains, recall5)


@dataclass
class ModeResult:
    mode: str
    ndcg: float
    recall: float
    mrr: float
    ms_per_query: float
    recall5: float
    per_query: list[tuple[GoldQuery, QueryScore, list[Any]]]

    @classmethod
    def of(cls, mode: str, rows: list[tuple[GoldQuery, QueryScore, list[Any]]], seconds: float) -> ModeResult:
        """Means over the queries of ``rows``, which took ``seconds`` in all."""
        n = max(len(rows), 1)
        return cls(
            mode=mode,
            ndcg=sum(r[1].ndcg for r in rows) / n,
            recall=sum(r[1].recall for r in rows) / n,
            mrr=sum(r[1].mrr for r in rows) / n,
            ms_per_query=1000 * seconds / n,
            recall5=sum(r[1].recall5 for r in rows) / n,
            per_query=rows,
        )

    @property
    def failures(self) -> list[tuple[GoldQuery, QueryScore, list[Any]]]:
        return [row for row in self.per_query if row[1].first_exact is None]


def evaluate(hub: Any, queries: Iterable[GoldQuery], mode: str = "hybrid", k: int = K) -> ModeResult:
    """Run every query through ``hub.search`` in ``mode`` and average the metrics over queries."""
    from modelhub_jupyter.search import rankers

    channels, understand = MODES[mode]
    rows = []
    seconds = 0.0
    weight = rankers.IDENTIFIER_KEYWORD_WEIGHT
    rankers.IDENTIFIER_KEYWORD_WEIGHT = 1.0 if mode == "flat" else weight
    try:
        for q in queries:
            t0 = time.perf_counter()
            hits = list(
                hub.search(
                    q.query,
                    kind=q.kind,
                    where=list(q.where) or None,
                    limit=k,
                    channels=channels,
                    understand=understand,
                    record=False,
                )
            )
            seconds += time.perf_counter() - t0
            rows.append((q, score(hits, q.labels, k), hits))
    finally:
        rankers.IDENTIFIER_KEYWORD_WEIGHT = weight
    return ModeResult.of(mode, rows, seconds)


TEXT_SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json", ".toml", ".md", ".txt")


@dataclass
class _Chunk:
    """A LangChain chunk as a hit the scorer reads: path, lines, no symbol."""

    path: str
    lines: tuple[int, int]
    metadata: dict[str, Any] = field(default_factory=dict)


def symbol_lines(hub: Any) -> dict[tuple[str, str], tuple[int, int]]:
    """``(path, symbol) -> (first, last line)`` from our own index, so that a label naming a function
    can be matched by line overlap for a pipeline that knows no symbols."""
    spans: dict[tuple[str, str], tuple[int, int]] = {}
    for doc in hub.catalog.documents(kind="code"):
        md = doc.metadata
        if md.get("symbol") and md.get("start_line"):
            key = (str(md.get("filepath")), str(md["symbol"]))
            first, last = int(md["start_line"]), int(md.get("end_line", md["start_line"]))
            old = spans.get(key, (first, last))
            spans[key] = (min(old[0], first), max(old[1], last))
    return spans


def evaluate_langchain(
    workspace: Path, home: Path, hub: Any, queries: Sequence[GoldQuery], k: int = K
) -> ModeResult:
    """The LangChain pipeline a user would build instead (see the module docstring), scored alike."""
    from langchain_chroma import Chroma
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_core.documents import Document
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    from modelhub_jupyter.embed.text import default_text_model

    embeddings = HuggingFaceEmbeddings(model_name=default_text_model())
    python = RecursiveCharacterTextSplitter.from_language(
        Language.PYTHON, chunk_size=1000, chunk_overlap=200, add_start_index=True
    )
    plain = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks = []
    for path in sorted(workspace.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES or ".git" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(workspace).as_posix()
        splitter = python if path.suffix == ".py" else plain
        for chunk in splitter.split_documents([Document(page_content=text, metadata={"source": rel})]):
            first = text[: chunk.metadata["start_index"]].count("\n") + 1
            chunk.metadata["lines"] = f"{first}-{first + chunk.page_content.count(chr(10))}"
            chunks.append(chunk)
    store = Chroma.from_documents(chunks, embeddings, persist_directory=str(home))
    spans = symbol_lines(hub)
    rows = []
    seconds = 0.0
    for q in queries:
        t0 = time.perf_counter()
        found = store.similarity_search(q.query, k=k)
        seconds += time.perf_counter() - t0
        hits = []
        for doc in found:
            first, last = (int(n) for n in doc.metadata["lines"].split("-"))
            hits.append(_Chunk(doc.metadata["source"], (first, last)))
        labels = [
            Label(label.path, label.grade, None, label.lines or spans.get((label.path, label.symbol or "")))
            for label in q.labels
        ]
        rows.append((q, score(hits, labels, k), hits))
    return ModeResult.of("langchain", rows, seconds)


# ----------------------------------------------------------------------------- running


def describe_hit(hit: Any) -> str:
    symbol = hit_symbol(hit)
    lines = f" :{hit.lines[0]}-{hit.lines[1]}" if hit.lines else ""
    return f"{hit.path}{' › ' + symbol if symbol else ''}{lines}"


def index_hub(workspace: Path, home: Path, precision: str) -> tuple[Any, float]:
    from modelhub_jupyter import Hub
    from modelhub_jupyter.config import Settings

    hub = Hub(settings=Settings(home=home, embed_precision=precision))
    t0 = time.perf_counter()
    report = hub.index(workspace, progress=False)
    if report.errors:
        print(f"warning: {len(report.errors)} indexing errors, first: {report.errors[0]}", file=sys.stderr)
    return hub, time.perf_counter() - t0


def vector_agreement(hub_a: Any, hub_b: Any) -> tuple[float, float, int]:
    """(mean, min) cosine between two hubs' cached vectors of the same chunk texts, and how many."""
    import numpy as np

    hashes = sorted({d.text_hash for d in hub_a.catalog.documents() if d.text_hash})
    va = hub_a.catalog.cached_vectors(hub_a.embedder.name, hashes)
    vb = hub_b.catalog.cached_vectors(hub_b.embedder.name, hashes)
    common = [h for h in hashes if h in va and h in vb and va[h].shape == vb[h].shape]
    if not common:
        return float("nan"), float("nan"), 0
    a = np.stack([va[h] for h in common]).astype(np.float64)
    b = np.stack([vb[h] for h in common]).astype(np.float64)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cos.mean()), float(cos.min()), len(common)


def print_table(
    rows: list[tuple[str, ModeResult]], n_queries: int, first: str = "precision", width: int = 10
) -> None:
    print(f"\nretrieval quality on {n_queries} gold queries (means over queries, k={K})")
    head = (
        f"{first:<{width}} {'mode':<9} {'nDCG@10':>8} {'Recall@5':>9} {'Recall@10':>10} {'MRR@10':>8} "
        f"{'misses':>7} {'ms/query':>9}"
    )
    print(head)
    print("-" * len(head))
    for label, r in rows:
        print(
            f"{label:<{width}} {r.mode:<9} {r.ndcg:>8.3f} {r.recall5:>9.3f} {r.recall:>10.3f} {r.mrr:>8.3f} "
            f"{len(r.failures):>7} {r.ms_per_query:>9.1f}"
        )
    print("misses: queries with no exact (grade 2) result in the top 10")


def print_by_style(rows: list[tuple[str, ModeResult]]) -> None:
    styles = sorted({q.style for q, _, _ in rows[0][1].per_query})
    print("\nnDCG@10 by query style")
    print(f"{'precision':<10} {'mode':<8} " + " ".join(f"{s[:10]:>10}" for s in styles))
    for precision, r in rows:
        cells = []
        for style in styles:
            values = [s.ndcg for q, s, _ in r.per_query if q.style == style]
            cells.append(f"{statistics.mean(values):>10.3f}")
        print(f"{precision:<10} {r.mode:<8} " + " ".join(cells))
    counts = {s: sum(1 for q, _, _ in rows[0][1].per_query if q.style == s) for s in styles}
    print(f"{'(queries)':<19} " + " ".join(f"{counts[s]:>10}" for s in styles))


def print_failures(precision: str, result: ModeResult) -> None:
    for q, s, hits in result.failures:
        print(f"\n[{precision} {result.mode}] MISS {q.id}: {q.query!r} (kind={q.kind}, nDCG {s.ndcg:.2f})")
        print("  wanted: " + "; ".join(label.describe() for label in q.labels if label.grade == 2))
        for rank, (hit, gain) in enumerate(zip(hits[:5], s.gains, strict=False), start=1):
            print(f"  {rank:>2}. {'*' * gain:<2} {describe_hit(hit)}")


#: engine switches, each turned off alone by ``--ablation`` (modelhub_jupyter/search/engine.py)
ABLATIONS: dict[str, dict[str, Any]] = {
    "no glossary expansion": {"EXPANSION_WEIGHT": 0.0},
    "no names spelled out": {"SPELL_OUT": False},
    "missed channel = 0": {"FILL_MISSING": False},
    "filter word in a term": {"GLOSSARY_TERMS_WIN": False},
    "no file collapse": {"FILE_LEVEL": False},
    "no diversify": {"DIVERSIFY": False},
    "dense weight fixed": {"DENSE_SURE": 0.0},
    "none of these": {
        "EXPANSION_WEIGHT": 0.0,
        "SPELL_OUT": False,
        "FILL_MISSING": False,
        "GLOSSARY_TERMS_WIN": False,
        "DIVERSIFY": False,
        "DENSE_SURE": 0.0,
    },
}


def run_ablation(hub: Any, queries: Sequence[GoldQuery]) -> list[tuple[str, ModeResult]]:
    """Hybrid with each of :data:`ABLATIONS` switched off in turn (the keyword index is rebuilt
    where the documents' keyword text changes)."""
    from modelhub_jupyter.search import engine

    rows = []
    for name, switches in ABLATIONS.items():
        saved = {key: getattr(engine, key) for key in switches}
        try:
            for key, value in switches.items():
                setattr(engine, key, value)
            hub._search_engine()._kinds.clear()
            result = evaluate(hub, queries, "hybrid")
        finally:
            for key, value in saved.items():
                setattr(engine, key, value)
            hub._search_engine()._kinds.clear()
        result.mode = "hybrid"
        rows.append((name, result))
    return rows


def _workspace(args: argparse.Namespace, tmp: Path) -> Path:
    """The example workspace, or the development corpus (``--set realworld``)."""
    if args.set == "example":
        from modelhub_jupyter.demo import build_workspace

        return build_workspace(tmp / "my-models")
    if args.corpus and args.corpus.is_dir() and any(args.corpus.iterdir()):
        return Path(args.corpus)
    if args.mirrors is None:
        raise SystemExit("--set realworld needs --mirrors DIR (or an already materialised --corpus DIR)")
    sys.path.insert(0, str(REPO / "benchmarks" / "realworld"))
    from materialise import materialise

    corpus = args.corpus or tmp / "corpus"
    materialise(args.mirrors, corpus)
    return Path(corpus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, help="gold query file (YAML; default: the --set's)")
    parser.add_argument(
        "--set", choices=["example", "realworld"], default="example",
        help="the example workspace, or the development corpus of issue 12 (needs --mirrors or --corpus)",
    )  # fmt: skip
    parser.add_argument("--mirrors", type=Path, help="realworld: folder of bare git mirrors")
    parser.add_argument("--corpus", type=Path, help="realworld: the materialised corpus (made if missing)")
    parser.add_argument(
        "--precision", default="auto", help="comma-separated embedding precisions to run: auto, fp32, bf16"
    )
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"comma-separated subset of {', '.join(MODES)}"
    )
    parser.add_argument(
        "--ablation", action="store_true", help="also hybrid with each retrieval technique switched off"
    )
    parser.add_argument("--verbose", action="store_true", help="list the queries that miss in each mode")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := [m for m in modes if m not in MODES]:
        parser.error(f"unknown mode(s) {unknown}: use {', '.join(MODES)}")
    gold = args.gold or (GOLD if args.set == "example" else REALWORLD_GOLD)
    queries = load_gold(gold)
    print(f"{len(queries)} gold queries from {gold}", file=sys.stderr)

    rows: list[tuple[str, ModeResult]] = []
    hubs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        workspace = _workspace(args, Path(tmp))
        try:
            for precision in precisions:
                hub, seconds = index_hub(workspace, Path(tmp) / f"home-{precision}", precision)
                hubs[precision] = hub
                print(
                    f"[{precision} -> {getattr(hub.embedder, 'precision', '?')}] indexed in {seconds:.1f} s",
                    file=sys.stderr,
                )
                hub.search("warm up", kind="code", limit=1)  # load the model before timing queries
                for mode in modes:
                    if mode == "langchain":
                        lc_home = Path(tmp) / f"langchain-{precision}"
                        result = evaluate_langchain(workspace, lc_home, hub, queries)
                    else:
                        result = evaluate(hub, queries, mode)
                    rows.append((precision, result))
                    if args.verbose:
                        print_failures(precision, result)
            print_table(rows, len(queries))
            print_by_style(rows)
            if args.ablation:
                first = next(iter(hubs.values()))
                ablated = run_ablation(first, queries)
                print("\nhybrid with one technique switched off (first column: what is off)")
                print_table(
                    [(name[:22], r) for name, r in ablated], len(queries), first="switched off", width=22
                )
            if "fp32" in hubs and "bf16" in hubs:
                mean, low, n = vector_agreement(hubs["fp32"], hubs["bf16"])
                print(f"\nfp32 vs bf16 chunk vectors: mean cosine {mean:.5f}, min {low:.5f} over {n} chunks")
        finally:
            for hub in hubs.values():
                hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
