"""Answers with checked citations: from the catalog, from passages, or phrased by a language model."""

from .ask import ask
from .intent import INTENTS, Intent, classify

__all__ = ["INTENTS", "Intent", "ask", "classify"]
