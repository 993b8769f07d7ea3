"""Completions for what a user is typing: the catalog's own terms, best first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Suggestion:
    """A term from the catalog (``pytorch``), the key it is a value of, how many documents have it,
    and the filter clause that selects them (``framework.name=pytorch``)."""

    term: str
    key: str
    count: int
    clause: str

    def to_dict(self) -> dict[str, str | int]:
        return asdict(self)


def suggest(
    vocabulary: Mapping[str, Sequence[tuple[str, int]]], text: str, limit: int = 8
) -> list[Suggestion]:
    """Terms that complete the last word of ``text``: prefix matches first, then substrings,
    each group by document count; one suggestion per term; nothing for words under 2 letters."""
    word = text.rsplit(" ", 1)[-1].strip().lower() if text else ""
    if len(word) < 2:
        return []
    terms = [(key, value, count) for key, values in vocabulary.items() for value, count in values]
    starts = [t for t in terms if t[1].lower().startswith(word) and t[1].lower() != word]
    inside = [t for t in terms if word in t[1].lower() and t not in starts and t[1].lower() != word]
    ranked = sorted(starts, key=lambda t: -t[2]) + sorted(inside, key=lambda t: -t[2])
    seen: set[str] = set()
    out: list[Suggestion] = []
    for key, value, count in ranked:
        if value in seen:
            continue
        seen.add(value)
        out.append(Suggestion(value, key, count, f"{key}={value}"))
        if len(out) == limit:
            break
    return out
