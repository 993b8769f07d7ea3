"""``--where`` filters: ``KEY=VALUE`` clauses evaluated on documents' nested metadata.

Operators: ``=`` (a comma list means any of), ``!=``, ``>``, ``>=``, ``<``, ``<=`` and
``~`` (substring). Numbers accept K/M/B suffixes (``model_dimensions.total_parameters>100M``).
Strings compare case-insensitively; a list value matches when any element does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import FilterError
from ..schemas.canonical import CANONICAL_KEYS, canonical_value
from ..vocabulary import FILTER_ALIASES as ALIASES
from ..vocabulary import canonical_key, lookup

__all__ = ["ALIASES", "Clause", "FilterError", "form_clauses", "lookup", "matches", "number", "parse"]

_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$")
_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*([kmbt])?$", re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


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
        key = canonical_key(key)
        out.append(Clause(key, op, canonical(key, op, value.strip("'\""))))
    return out


def canonical(key: str, op: str, value: str) -> str:
    """The value of an ``=``/``!=`` clause in the form documents store it under ``key``
    (``model_checkpoint=dreamshaper_8.safetensors`` -> ``dreamshaper_8``; each of a comma list)."""
    if op not in ("=", "!=") or canonical_key(key) not in CANONICAL_KEYS:
        return value
    if "," in value:
        return ",".join(canonical_value(key, v.strip()) for v in value.split(","))
    return canonical_value(key, value)


def number(text: str) -> float | None:
    """``"100M"`` -> 1e8; None if ``text`` is not a number."""
    match = _NUMBER.match(text.strip().replace("_", ""))
    if not match:
        return None
    return float(match.group(1)) * _SCALE.get((match.group(2) or "").lower(), 1.0)


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
    if isinstance(left, float) and isinstance(right, float):
        return _ordered(left, op, right)
    if isinstance(left, str) and isinstance(right, str):
        return _ordered(left, op, right)
    return False


def _ordered(left: Any, op: str, right: Any) -> bool:
    return bool({">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op])


def _equal(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.lower()
    if isinstance(actual, int | float):
        num = number(wanted)
        return num is not None and _float(actual) == num
    return str(actual).lower() == wanted.lower()


def _orderable(value: Any) -> float | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except (ValueError, OverflowError, OSError):  # not a date, or one no timestamp holds
            return value.lower()
    return None


def _float(value: int | float) -> float:
    """``float(value)``; an int too large for a float is +-inf (it still orders right)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


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
        except (ValueError, OverflowError, OSError):
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


def form_clauses(
    equal: Mapping[str, Any] | None = None,
    at_least: Mapping[str, Any] | None = None,
    at_most: Mapping[str, Any] | None = None,
) -> list[str]:
    """``where`` clauses from a filter form: ``key=value`` for each non-empty ``equal`` field,
    ``key>=n`` / ``key<=n`` for the numeric bounds. A bound that is not a number is a ``FilterError``."""
    out = [f"{key}={value}" for key, value in (equal or {}).items() if str(value or "").strip()]
    for bounds, op in ((at_least or {}, ">="), (at_most or {}, "<=")):
        for key, value in bounds.items():
            if value is None or str(value).strip() == "":
                continue
            if number(str(value)) is None:
                raise FilterError(f"{key}{op}{value}: {value!r} is not a number")
            out.append(f"{key}{op}{str(value).strip()}")
    return out
