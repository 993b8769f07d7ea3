"""What a question asks for: retrieval, a metadata lookup, a comparison, an image search or a
notebook, with a confidence. Rules on the words, no model: fast, predictable, testable."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .asked import asked_keys

INTENTS: tuple[str, ...] = ("retrieval", "metadata_lookup", "comparison", "image_search", "notebook")

_NOTEBOOK = re.compile(r"\b(?:generate|create|make|write|build|give me)\b.{0,60}\bnotebooks?\b")
_COMPARE = re.compile(
    r"\b(?:compare|comparison|versus|vs\.?|differ(?:ence|ences|s)?\s+between|better than|worse than|diff)\b"
)
_IMAGE = re.compile(r"\b(?:images?|pictures?|photos?|renders?|generations?|png|jpe?g)\b")
_SHOW = re.compile(r"\b(?:show|find|look(?:s|ing)? like|of|with|where|which)\b")
_EXPLAIN = re.compile(
    r"^\s*(?:how\s+(?!many|much|big|large|deep|wide|long|well|good)|why|where|explain|describe|walk me)\b"
)
_LOOKUP = re.compile(
    r"^\s*(?:what|which|how\s+(?:many|much|big|large|deep|wide)|who|when|list|does|do|is|are)\b"
)


@dataclass(frozen=True)
class Intent:
    """``name`` (one of :data:`INTENTS`), ``confidence`` in [0, 1] and the ``reason`` in words."""

    name: str
    confidence: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "confidence": self.confidence, "reason": self.reason}


def classify(question: str) -> Intent:
    """The intent of ``question`` (``retrieval`` when nothing more specific is clear)."""
    q = (question or "").lower()[:2000]
    if _NOTEBOOK.search(q):
        return Intent("notebook", 0.9, "asks to generate a notebook")
    if _COMPARE.search(q):
        return Intent("comparison", 0.85, "compares things")
    keys = [] if _EXPLAIN.search(q) else asked_keys(q)  # "how is the learning rate warmed up": passages
    if _IMAGE.search(q) and _SHOW.search(q) and not keys:
        return Intent("image_search", 0.75, "asks for images")
    if keys:
        confidence = 0.85 if _LOOKUP.search(q) else 0.7
        return Intent("metadata_lookup", confidence, f"asks for {', '.join(label for _, label in keys)}")
    return Intent("retrieval", 0.6, "a free-form question")
