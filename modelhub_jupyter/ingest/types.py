"""Shared result types of every ingest parser.

A parser turns one file (or one model directory) into an :class:`Extracted`: nested
metadata with plain values (``{"model_dimensions": {"hidden_size": 768}}``), a
provenance map saying where each value came from (``"model_dimensions.hidden_size":
"gpt/model.py:12"``) and, for text-bearing inputs, the chunks to embed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ParseError
from ..vocabulary import ARCHITECTURE_TYPES, SECTION_TYPES, flatten, unflatten

__all__ = [
    "ARCHITECTURE_TYPES",
    "SECTION_TYPES",
    "Chunk",
    "Extracted",
    "ParseError",
    "flatten",
    "unflatten",
]


@dataclass
class Chunk:
    """One piece of text to embed, with where it sits in its file."""

    content: str
    start_line: int
    end_line: int
    breadcrumb: str
    section_type: str = "utility"
    chunk_type: str = "function"  # module | class | function | window | config | card | notebook
    symbol: str | None = None


@dataclass
class Extracted:
    """What a parser found: metadata, the provenance of each value, and chunks."""

    metadata: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    chunks: list[Chunk] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one-line problems; the file is still indexed

    def set(self, key: str, value: Any, where: str, *, overwrite: bool = True) -> None:
        """Set dotted ``key`` to ``value`` and record ``where`` ("path:line") it came from.

        With ``overwrite=False`` an existing value wins (first evidence is kept).
        """
        if value is None:
            return
        parts = key.split(".")
        node = self.metadata
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        if not overwrite and parts[-1] in node:
            return
        node[parts[-1]] = value
        self.provenance[key] = where

    def get(self, key: str, default: Any = None) -> Any:
        """Read dotted ``key`` from the metadata."""
        node: Any = self.metadata
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def merge(self, other: Extracted, *, overwrite: bool = False) -> None:
        """Fold another extraction's values (with their provenance) into this one."""
        for key, value in flatten(other.metadata).items():
            self.set(key, value, other.provenance.get(key, ""), overwrite=overwrite)
        self.chunks.extend(other.chunks)
        self.warnings.extend(other.warnings)
