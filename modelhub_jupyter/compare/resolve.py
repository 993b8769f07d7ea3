"""What the user named (model_id, family, ``id@version``, file path) → one model's documents, as plain data.

A resolved model is a :class:`ModelDocs`: JSON-able, so a notebook can carry it (a snapshot)
and compare without a store. When a name fits several models the newest is picked and
``note`` says which and what else matched.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, QueryError
from ..vocabulary import CHUNK_KEYS

if TYPE_CHECKING:  # the store is not loaded in a notebook kernel that only reads a snapshot
    from ..store.catalog import Catalog, DocRow

MAX_SOURCE_BYTES = 1_000_000  # larger files are compared from their indexed chunks
PROFILE_SKIP = frozenset({*CHUNK_KEYS, "symbols", "raw_metadata"})


@dataclass
class ModelDocs:
    """One model as the comparison sees it (plain values only)."""

    name: str  # what the user typed
    model_id: str
    path: str  # relative to its root
    root: str
    kind: str
    doc_type: str
    metadata: dict[str, Any]
    chunks: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None  # the whole file, when it is a readable text file under its root
    note: str = ""  # how the name was resolved, when that was not obvious

    @property
    def label(self) -> str:
        return self.model_id or self.path

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelDocs:
        fields: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)


def _rows(catalog: Catalog, where: str, args: Sequence[Any]) -> list[DocRow]:
    from ..store.catalog import _doc_row

    sql = (
        "SELECT id, file_path, kind, doc_type, schema_version, content, text_hash, metadata, provenance "
        f"FROM documents WHERE kind IN ('code', 'model') AND ({where}) ORDER BY file_path, id"
    )
    return [_doc_row(r) for r in catalog.db.execute(sql, list(args))]


def _version_key(meta: dict[str, Any]) -> tuple[tuple[int, ...], str]:
    numbers = tuple(int(n) for n in re.findall(r"\d+", str(meta.get("version") or ""))[:4])
    return numbers, str(meta.get("last_modified_date") or "")


def _by_file(rows: list[DocRow]) -> dict[str, list[DocRow]]:
    files: dict[str, list[DocRow]] = {}
    for row in rows:
        files.setdefault(row.file_path, []).append(row)
    return files


def resolve(
    catalog: Catalog, name: str, can_view: Callable[[dict[str, Any]], bool] = lambda m: True
) -> ModelDocs:
    """The model ``name`` stands for: a file path, a model_id (``id@version`` too), or a family (newest)."""
    text = name.strip()
    if not text:
        raise QueryError("an empty model name")

    def visible(rows: list[DocRow]) -> list[DocRow]:
        return [r for r in rows if can_view(r.metadata)]

    # 1. a file: absolute, or relative to the indexed root, or relative to here
    absolute = str(Path(text).expanduser().resolve())
    rows = visible(
        _rows(
            catalog, "file_path IN (?, ?) OR json_extract(metadata, '$.filepath') = ?", [text, absolute, text]
        )
    )
    if rows:
        return _pick(catalog, name, _by_file(rows), f"the file {text}")
    # 2. a model_id, optionally with @version
    model_id, _, version = text.partition("@")
    rows = visible(_rows(catalog, "json_extract(metadata, '$.model_id') = ?", [model_id]))
    if not rows:
        rows = visible(_rows(catalog, "lower(json_extract(metadata, '$.model_id')) = lower(?)", [model_id]))
    if rows and version:
        wanted = version.lstrip("vV")
        rows = [r for r in rows if str(r.metadata.get("version") or "").lstrip("vV") == wanted]
        if not rows:
            raise NotFoundError(f"{model_id} has no version {version}")
    if rows:
        return _pick(catalog, name, _by_file(rows), f"model_id {model_id}")
    # 3. a family: its newest model
    rows = visible(_rows(catalog, "lower(json_extract(metadata, '$.model_family')) = lower(?)", [text]))
    if rows:
        return _pick(catalog, name, _by_file(rows), f"the family {text}")
    known = [
        str(r[0])
        for r in catalog.db.execute(
            "SELECT DISTINCT json_extract(metadata, '$.model_id') FROM documents "
            "WHERE json_extract(metadata, '$.model_id') IS NOT NULL"
        )
    ]
    close = difflib.get_close_matches(text, known, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise NotFoundError(f"no model, family or indexed file named {text!r}{hint}")


def _pick(catalog: Catalog, name: str, files: dict[str, list[DocRow]], what: str) -> ModelDocs:
    ranked = sorted(files.values(), key=lambda rows: _version_key(rows[0].metadata), reverse=True)
    chosen = ranked[0]
    note = ""
    if len(ranked) > 1:
        others = ", ".join(_describe(rows) for rows in ranked[1:6])
        note = f"{name!r} matches {len(ranked)} models ({what}): picked {_describe(chosen)}, the newest; also {others}"
    return _model_docs(name, chosen, note)


def _describe(rows: list[DocRow]) -> str:
    meta = rows[0].metadata
    version = f" v{meta['version']}" if meta.get("version") else ""
    return f"{meta.get('model_id') or meta.get('filepath')}{version} ({meta.get('filepath')})"


def _model_docs(name: str, rows: list[DocRow], note: str) -> ModelDocs:
    first = rows[0]
    meta = first.metadata
    profile = {k: v for k, v in meta.items() if k not in PROFILE_SKIP}
    chunks = [
        {
            **{k: r.metadata.get(k) for k in CHUNK_KEYS if r.metadata.get(k) is not None},
            "content": _body(r.content or ""),
        }
        for r in rows
    ]
    return ModelDocs(
        name=name,
        model_id=str(meta.get("model_id") or ""),
        path=str(meta.get("filepath") or first.file_path),
        root=str(meta.get("root") or ""),
        kind=first.kind,
        doc_type=first.doc_type,
        metadata=json.loads(json.dumps(profile, default=str)),
        chunks=chunks,
        source=read_source(first.file_path, str(meta.get("root") or "")),
        note=note,
    )


def _body(content: str) -> str:
    """A chunk's text without the breadcrumb line the indexer puts first."""
    first, _, rest = content.partition("\n")
    return rest if " › " in first or first.endswith(".py") else content


def read_source(file_path: str, root: str) -> str | None:
    """The text of a ``.py`` file under ``root`` (never through a link out of it), or None."""
    path = Path(file_path)
    if path.suffix != ".py" or not root:
        return None
    try:
        real, base = path.resolve(), Path(root).resolve()
        if not real.is_relative_to(base) or not real.is_file() or real.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return real.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
