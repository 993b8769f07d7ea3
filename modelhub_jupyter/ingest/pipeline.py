"""One scanned file -> validated documents ready to embed and store.

Picks the parser of the file's kind from the parser table (:mod:`.parsers`), adds the
file facts (git history, paths), validates each document against its schema, and turns
every failure into a one-line reason instead of an exception.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import schemas
from ..errors import ParseError, one_line
from ..vocabulary import KIND_OF_TYPE
from . import confine
from .git_history import GitInfo, combine, file_info
from .parsers import parser_for, read_text
from .scanner import ScannedFile
from .types import Extracted

log = logging.getLogger(__name__)

#: Chunks kept from one file (a 1 MB file of one-character lines would otherwise embed 10k windows).
MAX_CHUNKS = 5000

__all__ = ["Doc", "FileOutcome", "build", "content_hash", "extract", "file_facts", "history", "read_text"]


@dataclass
class Doc:
    """A validated document, before embedding."""

    id: str
    doc_type: str
    kind: str
    content: str
    metadata: dict[str, Any]
    provenance: dict[str, str]

    @property
    def schema_version(self) -> str:
        return schemas.current_version(self.doc_type)


@dataclass
class FileOutcome:
    docs: list[Doc] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


FULL_HASH_LIMIT = 256 * 1024 * 1024  # bigger files are fingerprinted: size, mtime, first and last MB
_BLOCK = 1 << 20


def content_hash(file: ScannedFile, root: Path) -> str:
    """Identity of a file's content: sha256 of the bytes; header fingerprints for weights.

    Reads are bounded: only regular files are opened, and a member of a model directory over
    :data:`FULL_HASH_LIMIT` (a 30 GB ``vocab.txt``) is fingerprinted, not read.
    """
    from .weights import fingerprint

    if file.file_kind == "weights":
        return fingerprint(file.path)
    if file.file_kind == "model_dir":
        digest = hashlib.sha256()
        for rel in file.members:
            member = file.path / rel
            try:
                stat = member.stat()
            except OSError:
                continue
            digest.update(f"{rel}\0{stat.st_size}\0".encode())
            if member.suffix in _weight_suffixes():
                digest.update(fingerprint(member).encode())
            else:
                digest.update(_file_digest(member, stat.st_size, stat.st_mtime_ns))
        return digest.hexdigest()
    return _file_digest(file.path, file.size, file.mtime_ns).hex()


def _file_digest(path: Path, size: int, mtime_ns: int) -> bytes:
    from .scanner import open_regular

    digest = hashlib.sha256()
    with open(open_regular(str(path)), "rb") as fh:
        if size <= FULL_HASH_LIMIT:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                digest.update(block)
        else:
            digest.update(f"fingerprint\0{size}\0{mtime_ns}\0".encode())
            digest.update(fh.read(_BLOCK))
            fh.seek(max(size - _BLOCK, _BLOCK))
            digest.update(fh.read(_BLOCK))
    return digest.digest()


def _weight_suffixes() -> frozenset[str]:
    from .scanner import WEIGHT_SUFFIXES

    return WEIGHT_SUFFIXES


def extract(file: ScannedFile) -> Extracted:
    """Run the parser of the file's kind. Raises ParseError with a one-line reason.

    Neighbours the parser opens (a model directory's card, an image's sidecar) must lie inside
    the indexed folder, unless the scan followed links out of it (:mod:`.confine`).
    """
    root = None if file.follow_external_links else indexed_root(file)
    with confine.within(root):
        return parser_for(file.file_kind).read(file.path, file.relpath)


def indexed_root(file: ScannedFile) -> Path:
    """The folder ``file`` was scanned from (its path less its relative path)."""
    depth = 0 if file.relpath in ("", ".") else len(file.relpath.split("/"))
    root = file.path
    for _ in range(depth):
        root = root.parent
    return root


def history(file: ScannedFile, root: Path, repo: dict[str, GitInfo]) -> GitInfo:
    """Git (or filesystem) history of a file; a model directory's is that of its member files."""
    if file.file_kind == "model_dir" and file.members:
        prefix = "" if file.relpath == "." else f"{file.relpath}/"
        merged = combine([file_info(root, prefix + m, repo) for m in file.members])
        if merged is not None:
            return merged
    return file_info(root, file.relpath, repo)


def file_facts(file: ScannedFile, root: Path, git: GitInfo) -> dict[str, Any]:
    """The metadata every document of a file shares: names, paths and history."""
    facts: dict[str, Any] = {
        "filename": file.path.name,
        "filepath": file.relpath,
        "root": str(root),
        "authors": list(git.authors),
        "commit_count": git.commit_count,
        "last_commit_message": git.last_message or None,
        "history_source": git.source,
    }
    if git.created:
        facts["creation_date"] = git.created.isoformat()
    if git.modified:
        facts["last_modified_date"] = git.modified.isoformat()
    return facts


def build(file: ScannedFile, root: Path, git: GitInfo, thumbnails: Path | None = None) -> FileOutcome:
    """Parse one file into validated documents; never raises for bad input.

    Whatever goes wrong inside (a parser's ``ParseError``, or any other exception from a file
    nobody foresaw) becomes ``outcome.error``: one line, without the file's path.
    """
    try:
        return _build(file, root, git, thumbnails)
    except ParseError as err:
        return FileOutcome(error=one_line(err))
    except MemoryError:
        return FileOutcome(error="ran out of memory while parsing; file skipped")
    except (OSError, ValueError, RecursionError) as err:
        return FileOutcome(error=f"{type(err).__name__}: {one_line(err, strip=(file.path,))}"[:300])
    except Exception as err:  # noqa: BLE001 - a bug meets a hostile file: that file's error, not the run's
        log.debug("modelhub: parsing %s failed", file.relpath, exc_info=err)
        return FileOutcome(
            error=f"cannot parse ({type(err).__name__}): {one_line(err, strip=(file.path,))}"[:300]
        )


def _build(file: ScannedFile, root: Path, git: GitInfo, thumbnails: Path | None) -> FileOutcome:
    outcome = FileOutcome()
    extracted = extract(file)
    outcome.warnings.extend(extracted.warnings)
    source = "git log" if git.source == "git" else "file system times"
    for key in ("creation_date", "last_modified_date", "authors", "commit_count", "last_commit_message"):
        extracted.provenance.setdefault(key, source)
    doc_type = parser_for(file.file_kind).doc_type
    base = {**file_facts(file, root, git), **extracted.metadata, "type": doc_type}
    if doc_type == "model_script" and file.file_kind != "python":
        base.setdefault(
            "language", "python" if file.file_kind == "notebook" else file.path.suffix.lstrip(".").lower()
        )
    if doc_type == "generated_image":
        base["image_path"] = str(file.path)
        if thumbnails is not None:
            base.update(_thumbnail(file, thumbnails, outcome))
    if doc_type == "model_dir":
        base.setdefault("model_id", file.path.stem if file.file_kind == "weights" else file.path.name)
    chunks = extracted.chunks or []
    if not chunks:
        outcome.error = "nothing to index (no text found)"
        return outcome
    if len(chunks) > MAX_CHUNKS:
        outcome.warnings.append(f"{len(chunks):,} chunks; only the first {MAX_CHUNKS:,} are indexed")
        chunks = chunks[:MAX_CHUNKS]
    base = schemas.canonicalise(_storable(base))  # one stored name per checkpoint, dataset, framework
    provenance = _storable(extracted.provenance)
    for key, source in (
        ("model_checkpoint_as_written", "model_checkpoint"),
        ("dataset.name_as_written", "dataset.name"),
    ):
        if source in provenance:
            provenance.setdefault(key, provenance[source])
    for index, chunk in enumerate(chunks):
        metadata = dict(base)
        if doc_type != "generated_image":
            metadata.update(
                chunk_id=index,
                chunk_type=chunk.chunk_type,
                breadcrumb=chunk.breadcrumb,
                start_line=max(chunk.start_line, 1),
                end_line=max(chunk.end_line, chunk.start_line, 1),
            )
        if doc_type == "model_script":
            metadata.update(section_type=chunk.section_type, symbol=chunk.symbol)
        try:
            clean, problems = schemas.validate_lenient(metadata)
        except schemas.SchemaError as err:
            outcome.warnings.append(str(err))
            continue
        outcome.warnings.extend(p for p in problems if p not in outcome.warnings)
        outcome.docs.append(
            Doc(
                id=f"{file.path}#{index}",
                doc_type=doc_type,
                kind=KIND_OF_TYPE[doc_type],
                content=_storable(chunk.content),
                metadata=clean,
                provenance=provenance,
            )
        )
        if doc_type == "generated_image":
            break
    return outcome


def _storable(value: Any) -> Any:
    """``value`` with lone surrogates (from ``\\ud800`` escapes in a file) replaced: SQLite and
    Chroma store UTF-8 only, and one such character must not fail the batch it is written with."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _thumbnail(file: ScannedFile, thumbnails: Path, outcome: FileOutcome) -> dict[str, str]:
    """Where the image's thumbnail will be: made when first shown or by the background image
    pass (``ingest.thumbnails``), never here, so indexing does not wait for pixels."""
    from .thumbnails import planned_path

    return {"thumbnail_path": str(planned_path(thumbnails, file.path, file.size, file.mtime_ns))}
