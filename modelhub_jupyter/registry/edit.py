"""Metadata edits from a command line: ``--set key=value`` assignments (dotted keys nest) and
``--where`` selections of models (``type=text_embedding``, ``secondary=EMBEDDING``,
``framework.name!=pytorch``, ``name~mini``)."""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import BadInputError
from .store import ModelRow

_WHERE = re.compile(r"^\s*([A-Za-z_][\w.@-]*)\s*(!=|=|~)\s*(.*?)\s*$")
MAX_VALUE = 10_000  # characters of one --set value
#: Fields of the model row a --where can name (anything else is a metadata key, dotted for nesting).
FIELDS = (
    "name",
    "type",
    "format",
    "tier",
    "path",
    "source",
    "primary",
    "secondary",
    "specialisation",
    "groups",
)


def parse_value(text: str) -> Any:
    """``3`` -> 3, ``true`` -> True, ``[a, b]``/``{"k": 1}`` as JSON, ``null`` -> None; else the text."""
    if len(text) > MAX_VALUE:
        raise BadInputError(f"a --set value is longer than {MAX_VALUE:,} characters")
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["owner=ml-team", "performance.accuracy=0.91"]`` -> ``{"owner": ..., "performance.accuracy": 0.91}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][\w@-]*(\.[A-Za-z_][\w@-]*)*", key):
            raise BadInputError(f"--set {item!r}: write KEY=VALUE (KEY letters, digits, _ - and dots)")
        out[key] = parse_value(value.strip())
    return out


def apply(metadata: dict[str, Any], changes: dict[str, Any], unset: tuple[str, ...] = ()) -> dict[str, Any]:
    """A copy of ``metadata`` with dotted ``changes`` set (nesting dicts) and ``unset`` keys removed."""
    out = json.loads(json.dumps(metadata, default=str))
    for key, value in changes.items():
        *parents, last = key.split(".")
        node = out
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    for key in unset:
        *parents, last = key.split(".")
        node = out
        for part in parents:
            node = node.get(part) if isinstance(node.get(part), dict) else {}
        node.pop(last, None)
    return out


def _lookup(m: ModelRow, key: str) -> Any:
    cats = m.categories
    fields = {"name": m.name, "type": m.model_type, "format": m.format, "tier": m.tier, "path": m.path,
              "source": m.source, "primary": cats.get("primary"), "secondary": cats.get("secondary") or [],
              "specialisation": cats.get("specialisation") or [], "groups": m.groups}  # fmt: skip
    if key in fields:
        return fields[key]
    node: Any = m.metadata
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def parse_where(items: list[str] | tuple[str, ...]) -> list[tuple[str, str, str]]:
    out = []
    for item in items:
        match = _WHERE.match(item)
        if not match:
            raise BadInputError(f"--where {item!r}: write KEY=VALUE, KEY!=VALUE or KEY~TEXT")
        out.append((match.group(1), match.group(2), match.group(3)))
    return out


def matches(m: ModelRow, where: list[tuple[str, str, str]]) -> bool:
    """Whether ``m`` passes every condition (case-insensitive; a list matches when one item does)."""
    for key, op, want in where:
        value = _lookup(m, key)
        values = [str(v).lower() for v in value] if isinstance(value, list) else (
            [] if value is None else [str(value).lower()])  # fmt: skip
        w = want.lower()
        if op == "=" and w not in values:
            return False
        if op == "!=" and w in values:
            return False
        if op == "~" and not any(w in v for v in values):
            return False
    return True


def changed_keys(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[str]:
    """``["owner: None -> 'ml-team'", "tier: lite -> standard"]``: what differs between two states."""
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        name = key if not prefix or prefix == "metadata" else f"{prefix}.{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += changed_keys(a, b, name)
        elif a != b:
            out.append(f"{name}: {a!r} -> {b!r}")
    return out


class Edits:
    """The result of ``models update``: per model what changed. ``to_dict()`` is the JSON list."""

    def __init__(self, rows: list[dict[str, Any]], dry_run: bool = False) -> None:
        self.rows = rows
        self.dry_run = dry_run

    def to_dict(self) -> list[dict[str, Any]]:
        return self.rows

    def text(self) -> str:
        lines = [f"{r['name']}: " + ("; ".join(changed_keys(r["before"], r["after"])) or "no change")
                 for r in self.rows]  # fmt: skip
        verb = "would be updated (dry run: nothing written)" if self.dry_run else "updated"
        return "\n".join([*lines, f"{len(self.rows)} model(s) {verb}"])

    def __repr__(self) -> str:
        return self.text()
