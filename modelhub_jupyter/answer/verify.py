"""Checking what a language model wrote against its sources. A sentence is kept only when it
cites a source (``[n]``) and every number it states and every file it names appears in the
sources it cites, and most of its words do too (a small model that drifts into words of its own
is dropped, not believed); repeated sentences are kept once. The answer says how many were
dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CITE = re.compile(r"\[(\d{1,2})\]")
# digits grouped by commas or, as code writes them, underscores (1_000_000)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,_]\d+)*(?:e[-+]?\d+)?(?![\w])", re.IGNORECASE)
_FILE = re.compile(
    r"[\w./-]+\.(?:py|ipynb|json|ya?ml|toml|md|safetensors|gguf|pt|pth|bin|onnx|png|jpe?g|webp)\b"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\[(])|\n+")
_CONTENT = re.compile(r"[a-z][a-z0-9_]{3,}")
_STOP = frozenset(
    "this that these those with from into onto there their they them then than what which when where "
    "while uses used using each also have been being were will would could should does doesn about "
    "only more most some such very like just over under after before because source sources answer "
    "question file files code model models".split()
)
SUPPORT = 0.6  # share of a sentence's content words that must appear in the sources


@dataclass
class Checked:
    """The sentences kept (their text joined), the source numbers they cite, what was dropped."""

    text: str
    cited: list[int] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def numbers(text: str) -> set[float]:
    out = set()
    for match in _NUMBER.finditer(text):
        try:
            out.add(float(match.group(0).replace(",", "").replace("_", "")))
        except ValueError:
            continue
    return out


def check_answer(answer: str, sources: dict[int, str]) -> Checked:
    """Keep the sentences of ``answer`` that cite ``sources`` (``{n: text}``: the passages and values
    it was given) and whose numbers, file names and words appear in the sources they cite."""
    kept, cited, dropped = [], [], []
    seen: set[str] = set()
    for sentence in (s.strip() for s in _SENTENCE.split((answer or "").replace("[n]", ""))):
        if not sentence or sentence.lower() in seen:
            continue
        seen.add(sentence.lower())
        marks = [int(n) for n in _CITE.findall(sentence) if int(n) in sources]
        if not marks:
            dropped.append(sentence)
            continue
        every = "\n".join(sources[n] for n in marks)
        known_numbers = numbers(every)
        known_words = {p for w in _CONTENT.findall(every.lower()) for p in (w, *w.split("_")) if p}
        bare = _CITE.sub("", sentence)
        unsupported = [n for n in numbers(bare) if n not in known_numbers]
        files = [f for f in _FILE.findall(bare) if f not in every and f.rsplit("/", 1)[-1] not in every]
        words = [w for w in _CONTENT.findall(bare.lower()) if w not in _STOP]
        drifted = bool(words) and sum(_known(w, known_words) for w in words) < SUPPORT * len(words)
        if unsupported or files or drifted:
            dropped.append(sentence)
            continue
        sentence = _CITE.sub(lambda m: m.group(0) if int(m.group(1)) in sources else "", sentence)
        cited += [n for n in marks if n in sources]
        kept.append(sentence)
    return Checked(" ".join(kept).strip(), list(dict.fromkeys(cited)), dropped)


def _known(word: str, known: set[str]) -> bool:
    """``word`` or a form of it (``layers``/``layer``, ``warmed``/``warmup``) is in ``known``."""
    if word in known:
        return True
    stem = re.sub(r"(?:ing|ed|es|s)$", "", word)
    return len(stem) >= 4 and any(k.startswith(stem) for k in known)
