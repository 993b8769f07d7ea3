"""Orders for the fused hits: by similarity (as fused), recency (git dates) or newest version first.

A ranker re-orders the page of hits hybrid retrieval found; it never adds or drops one.

- ``similarity``: the fused score alone (the default).
- ``recency``: the fused score times a decay on age, halving every :data:`HALF_LIFE_DAYS` before
  the newest candidate (``last_modified_date``, from git where there is history).
- ``version``: within a model family, newer versions take the places the family's hits earned,
  unless the query names a version ("v1", "version 1.0", "transformer_v1"): then it is left alone.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import QueryError
from ..vocabulary import RANKERS

if TYPE_CHECKING:
    from ..store import DocRow
HALF_LIFE_DAYS = 90.0
#: Fusion weight of the keyword channel when the query holds an identifier (the dense channel: 1).
IDENTIFIER_KEYWORD_WEIGHT = 1.5
# snake_case, CamelCase, dotted.names, call(, file.ext: words an embedder blurs and BM25 matches exactly
_IDENTIFIER = re.compile(
    r"\b[A-Za-z]\w*_\w+|\b[a-z]+[A-Z]\w*|\b[A-Z][a-z]+[A-Z]\w*|\b[A-Z]{2,}[a-z]\w*|\b\w+\.\w+|\b\w+\("
)
_NAMES_VERSION = re.compile(r"(?:\bv|_v|\bversion\s*)\d+(?:\.\d+)*\b", re.IGNORECASE)

Scored = list[tuple[float, "DocRow"]]


def check(ranker: str) -> str:
    """``ranker``, or a ``QueryError`` listing the rankers there are."""
    if ranker not in RANKERS:
        raise QueryError(f"unknown ranker {ranker!r}: use one of {', '.join(RANKERS)}")
    return ranker


def keyword_weight(query: str) -> float:
    """Fusion weight of the keyword ranking for ``query``: higher when it names identifiers."""
    return IDENTIFIER_KEYWORD_WEIGHT if _IDENTIFIER.search(query) else 1.0


def rerank(scored: Scored, ranker: str, query: str = "") -> tuple[Scored, str]:
    """``scored`` (best first) in ``ranker``'s order, and a note saying what it did ("" if nothing)."""
    if ranker == "recency":
        return _by_recency(scored)
    if ranker == "version":
        return _newest_version_first(scored, query)
    return scored, ""


def _by_recency(scored: Scored) -> tuple[Scored, str]:
    dated = [(score, doc, _timestamp(doc.metadata.get("last_modified_date"))) for score, doc in scored]
    stamps = [t for _, _, t in dated if t is not None]
    if not stamps:
        return scored, "no dates to rank by recency: ranked by similarity"
    newest = max(stamps)
    oldest = min(stamps)
    out = []
    for score, doc, stamp in dated:
        age_days = (newest - (stamp if stamp is not None else oldest)) / 86400
        out.append((score * math.pow(0.5, age_days / HALF_LIFE_DAYS), doc))
    out.sort(key=lambda pair: -pair[0])
    return out, f"ranked by similarity × recency (halving every {HALF_LIFE_DAYS:.0f} days)"


def _newest_version_first(scored: Scored, query: str) -> tuple[Scored, str]:
    if _NAMES_VERSION.search(query):
        return scored, "the query names a version: ranked by similarity"
    families: dict[str, list[int]] = {}
    for i, (_, doc) in enumerate(scored):
        family = doc.metadata.get("model_family")
        if family and doc.metadata.get("version") is not None:
            families.setdefault(str(family), []).append(i)
    out = list(scored)
    moved = []
    for family, slots in families.items():
        docs = [scored[i][1] for i in slots]
        if len({str(d.metadata.get("version")) for d in docs}) < 2:
            continue
        newest_first = sorted(docs, key=lambda d: _version_key(d.metadata.get("version")), reverse=True)
        for slot, doc in zip(slots, newest_first, strict=True):
            out[slot] = (scored[slot][0], doc)
        if newest_first != docs:
            moved.append(family)
    note = f"newest version first in {', '.join(moved)}" if moved else ""
    return out, note


def _version_key(value: Any) -> tuple[int, ...]:
    """``"2.0"``, ``"v1.10"``, ``3`` as a tuple that orders like versions (no digits: lowest)."""
    return tuple(int(n) for n in re.findall(r"\d+", str(value))[:4]) or (-1,)


def _timestamp(value: Any) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
