"""What a fused score means to a reader: relevance in [0, 1], per-channel evidence, weak matches.

A fused score is relative to each channel's best hit (cosine / best cosine + weight x BM25 / best
BM25), so a query of nonsense still has a first dense neighbour scoring like a perfect one. So each
hit carries

- ``relevance``: its fused score over the best score this query could reach (the best hit of
  every channel that ran, with the keyword channel's weight), so 1.0 is "first by meaning and by
  words";
- ``evidence``: its rank in each channel, the dense cosine, and the query words it contains;

and a page of hits is **weak** when not one of them is close: no hit's cosine reaches
:data:`DENSE_CLOSE` and none holds :data:`KEYWORD_CLOSE` of the query's words. The two levels
were measured on the example workspace (``tests/test_relevance.py`` pins them): the best cosine of
the gold set's real queries against that of off-topic queries.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .keyword import tokenize

#: A hit whose dense cosine reaches this is close in meaning. MiniLM over the example workspace:
#: the best cosine of 24 off-topic queries is 0.09-0.32 (median 0.19), that of the gold queries
#: that the words alone do not carry 0.37-0.73, one apart (0.33); this is the gap's middle.
DENSE_CLOSE = 0.35
#: A hit holding this share of the query's words is close by words (off-topic queries: at most
#: 1 of 3 words; gold queries whose cosine is low: 2 of 3 or more).
KEYWORD_CLOSE = 0.6
#: Relevance from which a hit is labelled "strong": close to the best in both channels, or the
#: best in one and 60% of the best in the other.
STRONG = 0.8
#: Relevance from which it is "good": the best in one channel (0.5), or half the best in both.
GOOD = 0.5


@dataclass
class Evidence:
    """Why a document was found: its rank and score in each channel, the query words it holds."""

    dense_rank: int | None = None
    cosine: float | None = None
    keyword_rank: int | None = None
    bm25: float | None = None
    matched: list[str] = field(default_factory=list)

    def add(self, channel: str, rank: int, value: float) -> None:
        if channel == "dense":
            self.dense_rank, self.cosine = rank, value
        else:
            self.keyword_rank, self.bm25 = rank, value

    def to_dict(self, words: int) -> dict[str, Any]:
        return {
            "dense_rank": self.dense_rank,
            "similarity": None if self.cosine is None else round(self.cosine, 4),
            "keyword_rank": self.keyword_rank,
            "matched_words": list(self.matched),
            "query_words": words,
        }


def best_possible(*, dense: bool, keyword: float) -> float:
    """The fused score of a document first in every channel that ran (``keyword``: its weight, 0
    when the channel did not run or the query has no words it can match)."""
    return (1.0 if dense else 0.0) + keyword


def scale(fused: float, best: float) -> float:
    """``fused`` as a share of ``best``, in [0, 1]."""
    return round(min(1.0, fused / best), 4) if best > 0 else 0.0


def query_words(text: str) -> list[str]:
    """The distinct words of ``text`` the keyword channel matches on (its tokens, in order)."""
    return list(dict.fromkeys(tokenize(text)))


def matched(words: Sequence[str], doc_tokens: Iterable[str]) -> list[str]:
    """The ``words`` a document's tokens hold, in the query's order."""
    have = set(doc_tokens)
    return [w for w in words if w in have]


def close(evidence: dict[str, Any]) -> bool:
    """Whether a hit's ``evidence`` (``Evidence.to_dict``) makes it close to the query."""
    cosine = evidence.get("similarity")
    if cosine is not None and cosine >= DENSE_CLOSE:
        return True
    words = evidence.get("query_words") or 0
    return bool(words) and len(evidence.get("matched_words") or []) / words >= KEYWORD_CLOSE


def weak(evidences: Iterable[dict[str, Any]]) -> bool:
    """A page of hits is weak when there is at least one and none is close."""
    found = list(evidences)
    return bool(found) and not any(close(e) for e in found)


def strength(relevance: float | None) -> str:
    """``strong``, ``good`` or ``weak``: a label people read beside the percentage (a weak page's
    hits are all ``weak``, whatever their rank)."""
    value = relevance or 0.0
    return "strong" if value >= STRONG else "good" if value >= GOOD else "weak"


def short_names(roots: Sequence[str]) -> dict[str, str]:
    """A short name for each root path: its folder's name, with as many parent folders as it
    takes to tell apart roots that share one (``a/my-models``, ``b/my-models``)."""
    parts = {root: [p for p in root.replace("\\", "/").split("/") if p] or [root] for root in roots}
    out: dict[str, str] = {}
    for root, names in parts.items():
        depth = 1
        while depth < len(names):
            tail = names[-depth:]
            if not any(other != root and theirs[-depth:] == tail for other, theirs in parts.items()):
                break
            depth += 1
        out[root] = os.path.join(*names[-depth:]) if names else root
    return out
