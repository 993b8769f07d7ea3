"""Completions for what a user is typing: the catalog's own terms, best first."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from ..schemas.canonical import canonical_value

_WORDS = re.compile(r"[a-z0-9]+")  # the words of a term: "sd_xl_base-1.0" -> sd, xl, base, 1, 0
MIN_INSIDE = 5  # letters a word needs before it is looked for inside other words


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
    """Terms that complete the last word of ``text``: prefix matches first, then terms with a word
    that starts with it (``sel`` -> ``self_attention``), then, for words of 5+ letters, terms holding
    it (``torch`` -> ``pytorch``); each group by document count; one suggestion per term; nothing
    for words under 2 letters. A term that merely contains the letters mid-word (``att`` in
    ``matte painting``) is not suggested."""
    word = text.rsplit(" ", 1)[-1].strip().lower() if text else ""
    if len(word) < 2:
        return []
    terms = _folded(vocabulary)
    groups: list[list[tuple[str, str, int]]] = [[], [], []]
    for term in terms:
        value = term[1].lower()
        if value == word:
            continue
        if value.startswith(word):
            groups[0].append(term)
        elif any(part.startswith(word) for part in _WORDS.findall(value)):
            groups[1].append(term)
        elif len(word) >= MIN_INSIDE and word in value:
            groups[2].append(term)
    ranked = [t for group in groups for t in sorted(group, key=lambda t: -t[2])]
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


def _folded(vocabulary: Mapping[str, Sequence[tuple[str, int]]]) -> list[tuple[str, str, int]]:
    """(key, value, count) of every term, spellings that filter as one value joined: values equal
    in their canonical form, ignoring case (``DreamShaper_8``, ``dreamshaper_8.safetensors``), count
    once, in the canonical form of the spelling most documents use."""
    joined: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for key, values in vocabulary.items():
        for value, count in values:
            canonical = str(canonical_value(key, str(value))).lower()
            joined.setdefault((key, canonical), []).append((count, str(value)))
    out = []
    for (key, _), spellings in joined.items():
        spellings.sort(key=lambda s: -s[0])
        out.append((key, canonical_value(key, spellings[0][1]), sum(count for count, _ in spellings)))
    return out
