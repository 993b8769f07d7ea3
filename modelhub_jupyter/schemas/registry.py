"""The schema registry: validate documents on write, migrate old versions on read, export JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import SchemaError
from .canonical import canonicalise
from .documents import (
    GeneratedImageMetadata,
    ModelDirMetadata,
    ModelScriptMetadata,
    RelationshipMetadata,
)

REGISTRY_NAME = "modelhub_document_schemas"


@dataclass(frozen=True)
class SchemaInfo:
    schema_id: str
    version: str
    model: type[BaseModel]
    description: str
    updated_date: str


def _unwrap_typed_values(node: Any) -> Any:
    """Seed-1.0 documents wrap values as ``{"value": x, "type": "...", ...}``; keep only ``x``."""
    if isinstance(node, dict):
        if "value" in node and "type" in node:
            return _unwrap_typed_values(node["value"])
        return {k: _unwrap_typed_values(v) for k, v in node.items() if k != "type" or not isinstance(v, str)}
    if isinstance(node, list):
        return [_unwrap_typed_values(v) for v in node]
    return node


def _v1_to_v2(metadata: dict[str, Any]) -> dict[str, Any]:
    """1.0.0 (the seed's self-describing values) -> 2.0.0 (plain values, types in the schema)."""
    doc_type = metadata.get("type")
    out = _unwrap_typed_values({k: v for k, v in metadata.items() if k != "type"})
    out["type"] = doc_type
    out.setdefault("root", "")
    if isinstance(out.get("architecture_type"), str):
        out["architecture_type"] = out["architecture_type"].lower()
    return out


CURRENT: dict[str, SchemaInfo] = {
    "model_script": SchemaInfo(
        "model_script", "2.1.0", ModelScriptMetadata, "One chunk of a model script", "2026-12-01"
    ),
    "generated_image": SchemaInfo(
        "generated_image", "2.1.0", GeneratedImageMetadata, "A generated image and its settings", "2026-12-01"
    ),
    "model_dir": SchemaInfo(
        "model_dir", "1.1.0", ModelDirMetadata, "A model directory or weight file", "2026-12-01"
    ),
    "relationship": SchemaInfo(
        "relationship", "1.0.0", RelationshipMetadata, "An edge between two models or files", "2026-11-25"
    ),
}

# (doc_type, from_version) -> (to_version, migration). 2.0.0 -> 2.1.0 (model_dir 1.0.0 -> 1.1.0):
# checkpoint, dataset and framework names in their canonical form, the spelling as written kept.
MIGRATIONS: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    ("model_script", "1.0.0"): ("2.0.0", _v1_to_v2),
    ("generated_image", "1.0.0"): ("2.0.0", _v1_to_v2),
    ("model_script", "2.0.0"): ("2.1.0", canonicalise),
    ("generated_image", "2.0.0"): ("2.1.0", canonicalise),
    ("model_dir", "1.0.0"): ("1.1.0", canonicalise),
}


def current_version(doc_type: str) -> str:
    return _info(doc_type).version


def _info(doc_type: str) -> SchemaInfo:
    try:
        return CURRENT[doc_type]
    except KeyError:
        raise SchemaError(f"unknown document type {doc_type!r}") from None


def _describe(doc_type: str, version: str, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    got = first.get("input")
    shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."  # a warning stays one short line
    got_text = "" if isinstance(got, dict | list) else f" (got {shown})"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{doc_type} {version}: metadata.{loc}: {first['msg']}{got_text}{more}"


def validate(metadata: dict[str, Any]) -> dict[str, Any]:
    """Validate current-version metadata; return it normalised (JSON-ready, Nones dropped)."""
    doc_type = metadata.get("type")
    info = _info(str(doc_type))
    try:
        model = info.model.model_validate(metadata)
    except ValidationError as err:
        loc = tuple(err.errors()[0]["loc"])
        raise SchemaError(_describe(info.schema_id, info.version, err), loc) from None
    return model.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def validate_lenient(metadata: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Validate, dropping each invalid value with a one-line warning naming the field.

    A document is never lost because one extracted value is out of range.
    """
    warnings: list[str] = []
    metadata = json.loads(json.dumps(metadata, default=str))
    for _ in range(50):
        try:
            return validate(metadata), warnings
        except SchemaError as err:
            if not err.loc or not _drop(metadata, err.loc):
                raise
            warnings.append(f"{err}; value dropped")
    raise SchemaError("too many invalid values")


def _drop(node: Any, loc: tuple[str | int, ...]) -> bool:
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        del node[loc[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def upgrade(metadata: dict[str, Any], version: str) -> tuple[dict[str, Any], str]:
    """Migrate metadata written under ``version`` to the current version of its type."""
    doc_type = str(metadata.get("type"))
    target = current_version(doc_type)
    while version != target:
        step = MIGRATIONS.get((doc_type, version))
        if step is None:
            raise SchemaError(f"{doc_type}: no migration from version {version} to {target}")
        version, migrate = step
        metadata = migrate(metadata)
    return metadata, version


def read(document: dict[str, Any]) -> dict[str, Any]:
    """Read a stored document of any known version: migrate, validate, return the current form."""
    version = document.get("$schema_version") or document.get("schema_version") or "1.0.0"
    metadata, version = upgrade(dict(document["metadata"]), version)
    out = dict(document)
    out.pop("schema_version", None)
    out["$schema_version"] = version
    out["metadata"] = validate(metadata)
    return out


def export(directory: Path) -> list[Path]:
    """Write one JSON Schema file per document type plus ``registry.json``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    entries = []
    for info in CURRENT.values():
        schema = info.model.model_json_schema()
        schema["$id"] = f"{info.schema_id}-{info.version}"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["x-schema-version"] = info.version
        path = directory / f"{info.schema_id}.schema.json"
        path.write_text(json.dumps(schema, indent=2) + "\n")
        written.append(path)
        entries.append(
            {
                "schema_id": f"{info.schema_id}_schema",
                "schema_version": info.version,
                "description": info.description,
                "updated_date": info.updated_date,
                "file": path.name,
                "migrates_from": sorted(v for (t, v) in MIGRATIONS if t == info.schema_id),
            }
        )
    registry = directory / "registry.json"
    registry.write_text(json.dumps({"registry_name": REGISTRY_NAME, "schemas": entries}, indent=2) + "\n")
    written.append(registry)
    return written
