"""``--where`` filters: ``KEY=VALUE`` clauses evaluated on documents' nested metadata.

Operators: ``=`` (a comma list means any of), ``!=``, ``>``, ``>=``, ``<``, ``<=`` and
``~`` (substring). Numbers accept K/M/B suffixes (``model_dimensions.total_parameters>100M``).
Strings compare case-insensitively; a list value matches when any element does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ALIASES = {
    "framework": "framework.name",
    "arch": "architecture_type",
    "architecture": "architecture_type",
    "params": "model_dimensions.total_parameters",
    "parameters": "model_dimensions.total_parameters",
    "hidden_size": "model_dimensions.hidden_size",
    "num_layers": "model_dimensions.num_layers",
    "layers": "model_dimensions.num_layers",
    "heads": "model_dimensions.num_attention_heads",
    "dataset": "dataset.name",
    "optimizer": "training_config.optimizer",
    "lr": "training_config.learning_rate",
    "learning_rate": "training_config.learning_rate",
    "batch_size": "training_config.batch_size",
    "steps": "num_inference_steps",
    "cfg": "guidance_scale",
    "width": "resolution.width",
    "height": "resolution.height",
    "model": "model_checkpoint",
    "section": "section_type",
    "path": "filepath",
    "author": "authors",
}
_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$")
_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*([kmbt])?$", re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


class FilterError(ValueError):
    """A ``--where`` clause that cannot be understood; the message says which and why."""


@dataclass(frozen=True)
class Clause:
    key: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}{self.op}{self.value}"


def parse(clauses: list[str] | tuple[str, ...] | str | None) -> list[Clause]:
    """Parse ``["framework=pytorch", "params>100M"]`` (or one string) into clauses."""
    if not clauses:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    out = []
    for text in clauses:
        match = _CLAUSE.match(text)
        if not match or not match.group(3):
            raise FilterError(f"bad filter {text!r}: expected KEY=VALUE (or != > >= < <= ~)")
        key, op, value = match.groups()
        out.append(Clause(ALIASES.get(key, key), op, value.strip("'\"")))
    return out


def number(text: str) -> float | None:
    """``"100M"`` -> 1e8; None if ``text`` is not a number."""
    match = _NUMBER.match(text.strip().replace("_", ""))
    if not match:
        return None
    return float(match.group(1)) * _SCALE.get((match.group(2) or "").lower(), 1.0)


def lookup(metadata: dict[str, Any], key: str) -> Any:
    node: Any = metadata
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _compare(actual: Any, op: str, wanted: str) -> bool:
    if isinstance(actual, list):
        hits = [_compare(a, op, wanted) for a in actual]
        return all(hits) if op == "!=" else any(hits)
    if isinstance(actual, dict):
        return False
    if op == "~":
        return wanted.lower() in str(actual).lower()
    if op in ("=", "!="):
        options = [w.strip() for w in wanted.split(",")] if "," in wanted else [wanted]
        equal = any(_equal(actual, w) for w in options)
        return equal if op == "=" else not equal
    left, right = _orderable(actual), _orderable_like(wanted, actual)
    if left is None or right is None or type(left) is not type(right):
        return False
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]


def _equal(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.lower()
    if isinstance(actual, int | float):
        num = number(wanted)
        return num is not None and float(actual) == num
    return str(actual).lower() == wanted.lower()


def _orderable(value: Any) -> float | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return value.lower()
    return None


def _orderable_like(wanted: str, actual: Any) -> float | str | None:
    num = number(wanted)
    if num is not None:
        return num
    if isinstance(actual, str):
        try:
            stamp = datetime.fromisoformat(wanted)
            if stamp.tzinfo is None and "+" in actual[10:]:
                from datetime import UTC

                stamp = stamp.replace(tzinfo=UTC)
            return stamp.timestamp()
        except ValueError:
            return wanted.lower()
    return None


def matches(metadata: dict[str, Any], clauses: list[Clause]) -> bool:
    """True when every clause holds for ``metadata`` (a missing key fails, except for ``!=``)."""
    for clause in clauses:
        actual = lookup(metadata, clause.key)
        if actual is None or actual == []:
            if clause.op != "!=":
                return False
            continue
        if not _compare(actual, clause.op, clause.value):
            return False
    return True
