"""Query expansion from a curated glossary of ML abbreviations (``glossary.yaml``).

Code abbreviates what people spell out: ``apply_rope`` for "rotary position embedding",
``posemb_sincos_2d`` for "2d sine cosine positional embedding", ``MusicTaggerCRNN`` for a
"convolutional recurrent network". MiniLM does not connect the two, and BM25 only matches the
words it is given. :func:`expand` returns the other spelling of every glossary term a query
holds, which the keyword channel searches beside the query's own words (at a lower weight, so
an expansion adds evidence and never outweighs the words typed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GLOSSARY = Path(__file__).with_name("glossary.yaml")
MAX_EXTRA = 40  # tokens an expansion adds at most (a long query of abbreviations stays bounded)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Term:
    """One glossary entry: the identifiers code uses and the phrases people write."""

    short: tuple[str, ...]
    long: tuple[tuple[str, ...], ...]  # each phrase as normalised words


def _words(text: str) -> list[str]:
    """Lower-case words of ``text`` (snake_case, hyphens and camelCase split), plural ``s`` dropped."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()
    return [_singular(w) for w in _WORD.findall(spaced)]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=1)
def terms(path: Path = GLOSSARY) -> tuple[Term, ...]:
    """The glossary's entries (read once)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for entry in data.get("terms") or ():
        short = tuple(str(s).lower() for s in entry.get("short") or ())
        long = tuple(tuple(_words(str(p))) for p in entry.get("long") or ())
        if short and long:
            out.append(Term(short, tuple(p for p in long if p)))
    return tuple(out)


def expand(query: str) -> list[str]:
    """Words to search beside ``query``'s own: the short forms of the long phrases it holds and
    the first long phrase of the short forms it holds (none already in the query). Longer
    phrases are read first, and their words are not read again ("rotary position embedding"
    is not also a "position embedding")."""
    words = _words(query)
    if not words:
        return []
    tokens = set(words) | {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query)}
    used = [False] * len(words)
    extra: list[str] = []
    for phrase, term in _phrases():
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if not any(used[i : i + n]) and tuple(words[i : i + n]) == phrase:
                used[i : i + n] = [True] * n
                extra += [s for s in term.short if s not in tokens]
    for term in terms():
        if any(s in tokens for s in term.short):
            extra += [w for w in term.long[0] if w not in tokens]
    return list(dict.fromkeys(extra))[:MAX_EXTRA]


@lru_cache(maxsize=1)
def _phrases() -> tuple[tuple[tuple[str, ...], Term], ...]:
    """Every long phrase with its entry, longest first."""
    pairs = [(phrase, term) for term in terms() for phrase in term.long]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def spelled_out(names: str) -> list[str]:
    """The first long phrase of every glossary short form among the identifiers ``names`` (a
    symbol, a file name): ``apply_rope`` → rotary position embedding. Added to a document's
    keyword text, so a query that spells a name out finds the code that abbreviates it."""
    if not names:
        return []
    tokens = {t.lower() for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", names)}
    tokens |= {p for t in list(tokens) for p in t.split("_") if p}
    tokens |= set(_words(names))
    return [w for term in _by_short(frozenset(tokens)) for w in term.long[0]]


def _by_short(tokens: frozenset[str]) -> list[Term]:
    """The glossary entries with a short form among ``tokens``, in glossary order (asked for
    every document of a kind when its keyword index is built: a lookup per token, not a scan)."""
    index = _short_index()
    found = {i for t in tokens for i in index.get(t, ())}
    every = terms()
    return [every[i] for i in sorted(found)]


@lru_cache(maxsize=1)
def _short_index() -> dict[str, tuple[int, ...]]:
    """Each short form -> the positions of the glossary entries that have it."""
    index: dict[str, list[int]] = {}
    for i, term in enumerate(terms()):
        for short in term.short:
            index.setdefault(short, []).append(i)
    return {short: tuple(at) for short, at in index.items()}


def phrases_in(query: str) -> list[tuple[tuple[str, ...], Term]]:
    """The glossary's long phrases ``query`` holds (as words, with their entries; longest first,
    not overlapping)."""
    words = _words(query)
    used = [False] * len(words)
    found = []
    for phrase, term in _phrases():
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if not any(used[i : i + n]) and tuple(words[i : i + n]) == phrase:
                used[i : i + n] = [True] * n
                found.append((phrase, term))
    return found


def inside_term(phrase: str, query: str, value: object = None) -> bool:
    """Whether ``phrase`` (words of ``query``) is only part of a longer glossary term the query
    holds that names something other than ``value``: "convolutional" in "convolutional recurrent
    network" names a CRNN, not a CNN (in "convolutional network" it names a CNN)."""
    words = tuple(_words(phrase))
    if not words:
        return False
    named = _words(str(value)) if value is not None else []
    for term_words, term in phrases_in(query):
        n = len(words)
        if len(term_words) > n and any(
            term_words[i : i + n] == words for i in range(len(term_words) - n + 1)
        ):
            if not (named and any(s in named for s in term.short)):
                return True
    return False
