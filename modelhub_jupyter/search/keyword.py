"""BM25 keyword channel (bm25s) with a tokenizer that understands code identifiers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_COMPOUND = re.compile(r"\b([A-Za-z]+)-(\d+)\b")  # CIFAR-10, GPT-2, ResNet-50, wikitext-103
_STOP = frozenset("the a an of to in and or for is on with by self def return import from as".split())


def tokenize(text: str) -> list[str]:
    """Lowercase tokens: whole identifiers plus their snake_case and CamelCase parts.

    A hyphenated name-number (``CIFAR-10``) is also one token, so ``cifar10`` in a query
    finds it in a docstring, and ``CIFAR-10`` in a query finds ``cifar10`` in code.
    """
    tokens: list[str] = [f"{name}{number}".lower() for name, number in _COMPOUND.findall(text)]
    for word in _WORD.findall(text):
        lower = word.lower()
        if lower not in _STOP:
            tokens.append(lower)
        parts = [p for piece in word.split("_") for p in _CAMEL.findall(piece)]
        if len(parts) > 1:
            tokens.extend(p.lower() for p in parts if p.lower() not in _STOP and len(p) > 1)
    return tokens


class KeywordIndex:
    """An in-memory bm25s index over a fixed list of documents."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        import bm25s

        self.ids = ids
        self._last: tuple[tuple[str, tuple[str, ...], float], np.ndarray] | None = None  # one query's scores
        self._empty = not ids
        if self._empty:
            return
        corpus = [tokenize(t) or ["_"] for t in texts]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)

    @classmethod
    def from_retriever(cls, ids: list[str], retriever: Any) -> KeywordIndex:
        """An index over ``ids`` around a bm25s retriever built (or loaded) elsewhere."""
        index = cls([], [])
        index.ids, index._empty, index.retriever = ids, not ids, retriever
        return index

    def search(
        self,
        query: str,
        k: int,
        allowed: np.ndarray | None = None,
        extra: Sequence[str] = (),
        extra_weight: float = 0.5,
    ) -> list[tuple[str, float]]:
        """Top ``k`` (id, score) with score > 0; ``allowed`` is a boolean mask over ``ids``.

        ``extra`` words (a glossary expansion of the query) add ``extra_weight`` times their own
        BM25 score."""
        scores = self.scores(query, extra, extra_weight)
        if scores is None:
            return []
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        return [(self.ids[i], float(scores[i])) for i in top_k(scores, k) if scores[i] > 0]

    def scores(self, query: str, extra: Sequence[str] = (), extra_weight: float = 0.5) -> np.ndarray | None:
        """Every document's BM25 score for ``query`` (aligned with ``ids``); None when nothing to score."""
        if self._empty:
            return None
        tokens = tokenize(query)
        if not tokens:
            return None
        key = (query, tuple(extra), extra_weight)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        scores: np.ndarray = self.retriever.get_scores(tokens)
        more = [t for t in dict.fromkeys(tokenize(" ".join(extra))) if t not in tokens]
        if more and extra_weight > 0:
            scores = scores + extra_weight * self.retriever.get_scores(more)
        self._last = (key, scores)
        return scores


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest ``scores``, best first (ties: lower index first).

    ``argpartition`` then a sort of the ``k``: at 100k documents a tenth of a full ``argsort``.
    """
    n = len(scores)
    neg = -np.asarray(scores)
    if n > k > 0:
        kth = np.partition(neg, k - 1)[k - 1]
        better = np.flatnonzero(neg < kth)
        tied = np.flatnonzero(neg == kth)[: k - len(better)]  # in index order
        part = np.concatenate([better, tied])
    else:
        part = np.arange(n if k >= n else 0)
    return part[np.lexsort((part, neg[part]))]
