"""Evaluation metrics used across the project: accuracy, top-k, perplexity, BLEU.

Everything here works on plain Python / numpy values so that PyTorch,
TensorFlow and JAX scripts can all report numbers computed the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np


def accuracy(predictions: Sequence[int], labels: Sequence[int]) -> float:
    """Fraction of predictions equal to the labels."""
    predictions, labels = np.asarray(predictions), np.asarray(labels)
    if predictions.shape != labels.shape:
        raise ValueError(f"shape mismatch: {predictions.shape} vs {labels.shape}")
    return float((predictions == labels).mean()) if labels.size else 0.0


def top_k_accuracy(logits: np.ndarray, labels: Sequence[int], k: int = 5) -> float:
    """Fraction of rows whose label is among the ``k`` highest logits."""
    top = np.argsort(-np.asarray(logits), axis=1)[:, :k]
    return float(np.mean([label in row for row, label in zip(top, labels)]))


def perplexity(mean_nll: float) -> float:
    """Perplexity from a mean negative log-likelihood per token (natural log)."""
    return math.exp(mean_nll)


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]], max_n: int = 4) -> float:
    """Corpus-level BLEU (Papineni et al., 2002) with one reference per hypothesis.

    Clipped n-gram precisions for n = 1..max_n, geometric mean, brevity penalty.
    Returns a value in [0, 1]; multiply by 100 for the usual reporting scale.
    """
    matches = [0] * max_n
    totals = [0] * max_n
    hyp_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references):
        hyp_len += len(hyp)
        ref_len += len(ref)
        for n in range(1, max_n + 1):
            hyp_counts, ref_counts = _ngrams(hyp, n), _ngrams(ref, n)
            matches[n - 1] += sum(min(c, ref_counts[g]) for g, c in hyp_counts.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if min(totals) == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / max(hyp_len, 1))
    return brevity * math.exp(log_precision)


def f1(predictions: Sequence[int], labels: Sequence[int], positive: int = 1) -> float:
    """Binary F1 score for class ``positive``."""
    tp = sum(p == positive and y == positive for p, y in zip(predictions, labels))
    fp = sum(p == positive and y != positive for p, y in zip(predictions, labels))
    fn = sum(p != positive and y == positive for p, y in zip(predictions, labels))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


class RunningAverage:
    """Streaming mean, e.g. of the training loss over an epoch."""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    def update(self, value: float, n: int = 1) -> None:
        self.total += value * n
        self.count += n

    @property
    def value(self) -> float:
        return self.total / self.count if self.count else float("nan")
