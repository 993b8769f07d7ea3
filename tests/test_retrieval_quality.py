"""Retrieval quality floor on the example workspace's gold set (benchmarks/gold/example_queries.yaml).

The scoring lives in benchmarks/bench_retrieval.py (which prints the full table, per mode and per
embedding precision); this test reuses it on the session's indexed example workspace and fails
when quality drops to where a user would notice.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_retrieval.py"

# Measured on the example workspace (69 queries, all-MiniLM-L6-v2; fp32 and bf16 within 0.002):
#   hybrid   nDCG@10 0.826  Recall@10 0.978  MRR@10 0.756   (1 query with no exact hit in the top 10)
#   dense    nDCG@10 0.739  Recall@10 0.870  MRR@10 0.709
#   keyword  nDCG@10 0.824  Recall@10 0.928  MRR@10 0.763
# The floors sit a little below hybrid's figures (about 3-4 queries' worth), so that a chunking or
# embedding change that loses several queries fails here while a reshuffle among equally good chunks
# does not. Run benchmarks/bench_retrieval.py --verbose to see which queries moved.
HYBRID_NDCG_FLOOR = 0.75
HYBRID_RECALL_FLOOR = 0.90
HYBRID_MRR_FLOOR = 0.68


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_retrieval", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_retrieval"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_gold_set_is_well_formed(bench):
    queries = bench.load_gold()
    assert len(queries) >= 50
    assert {q.kind for q in queries} <= {"all", "code", "image", "model"}


def test_scoring_credits_each_label_once(bench):
    from modelhub_jupyter.results import Hit

    def hit(path, symbol=None, lines=None):
        return Hit(
            id=path, kind="code", path=path, score=1.0, snippet="", metadata={"symbol": symbol}, lines=lines
        )

    labels = (bench.Label("a.py", 2, symbol="f"), bench.Label("a.py", 1, lines=(1, 5)))
    # two parts of f: only the first counts; a function spanning lines 1-5 is not the module header
    hits = [hit("b.py"), hit("a.py", "f", (10, 20)), hit("a.py", "f", (21, 30)), hit("a.py", "g", (1, 9))]
    s = bench.score(hits, labels)
    assert (s.recall, s.mrr, s.first_exact, s.gains) == (1.0, 0.5, 2, [0, 2, 0, 0])
    assert s.ndcg == pytest.approx((2 / 1.5849625) / (2 + 1 / 1.5849625), rel=1e-6)


def test_hybrid_retrieval_quality_floor(indexed, bench):
    hub, _ = indexed
    queries = bench.load_gold()
    hybrid = bench.evaluate(hub, queries, "hybrid")
    dense = bench.evaluate(hub, queries, "dense")
    misses = [q.id for q, s, _ in hybrid.failures]
    assert hybrid.recall >= HYBRID_RECALL_FLOOR, (hybrid.recall, misses)
    assert hybrid.mrr >= HYBRID_MRR_FLOOR, (hybrid.mrr, misses)
    assert hybrid.ndcg >= HYBRID_NDCG_FLOOR, (hybrid.ndcg, misses)
    # fusing BM25 in must not cost anything against the dense channel alone
    assert hybrid.ndcg >= dense.ndcg, (hybrid.ndcg, dense.ndcg)
