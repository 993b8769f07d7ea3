"""One scanned file -> validated documents ready to embed and store.

Dispatches on the scanner's kind to the right parser, adds the file facts (git
history, paths), validates each document against its schema, and turns every
failure into a one-line reason instead of an exception.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import schemas
from .git_history import GitInfo, combine, file_info
from .scanner import ScannedFile
from .types import Extracted, ParseError

KIND_OF_DOC = {"model_script": "code", "generated_image": "image", "model_dir": "model"}
TEXT_KINDS = ("python", "notebook", "config")


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


def content_hash(file: ScannedFile, root: Path) -> str:
    """Identity of a file's content: sha256 of the bytes; header fingerprints for weights."""
    from .weights import fingerprint

    if file.kind == "weights":
        return fingerprint(file.path)
    if file.kind == "model_dir":
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
                digest.update(hashlib.sha256(member.read_bytes()).digest())
        return digest.hexdigest()
    digest = hashlib.sha256()
    with open(file.path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _weight_suffixes() -> frozenset[str]:
    from .scanner import WEIGHT_SUFFIXES

    return WEIGHT_SUFFIXES


def read_text(path: Path) -> str:
    """Read a text file, with one-line errors for binary and non-UTF-8 content."""
    data = path.read_bytes()
    if not data.strip():
        raise ParseError("empty file")
    if b"\x00" in data[:8192]:
        raise ParseError("binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ParseError(f"not UTF-8 text (invalid byte at offset {err.start})") from None


def extract(file: ScannedFile) -> Extracted:
    """Run the parser for the file's kind. Raises ParseError with a one-line reason."""
    if file.kind == "python":
        from .python_code import parse_python

        return parse_python(read_text(file.path), file.relpath)
    if file.kind == "notebook":
        from .notebooks import parse_notebook

        return parse_notebook(read_text(file.path), file.relpath)
    if file.kind == "config":
        from .config_files import parse_config

        return parse_config(read_text(file.path), file.relpath, file.path.suffix.lower())
    if file.kind == "image":
        from .images import read_image

        return read_image(file.path, file.relpath)
    if file.kind == "model_dir":
        from .model_dir import read_model_dir

        return read_model_dir(file.path, file.relpath)
    if file.kind == "weights":
        from .weights import read_weight_file

        return read_weight_file(file.path, file.relpath)
    raise ParseError(f"unsupported file kind {file.kind}")


def history(file: ScannedFile, root: Path, repo: dict[str, GitInfo]) -> GitInfo:
    """Git (or filesystem) history of a file; a model directory's is that of its member files."""
    if file.kind == "model_dir" and file.members:
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


def _doc_type(file: ScannedFile) -> str:
    if file.kind in TEXT_KINDS:
        return "model_script"
    return "generated_image" if file.kind == "image" else "model_dir"


def build(file: ScannedFile, root: Path, git: GitInfo, thumbnails: Path | None = None) -> FileOutcome:
    """Parse one file into validated documents; never raises for bad input."""
    outcome = FileOutcome()
    try:
        extracted = extract(file)
    except ParseError as err:
        outcome.error = str(err)
        return outcome
    except (OSError, ValueError, RecursionError, MemoryError) as err:
        outcome.error = f"{type(err).__name__}: {err}".splitlines()[0][:300]
        return outcome
    outcome.warnings.extend(extracted.warnings)
    source = "git log" if git.source == "git" else "file system times"
    for key in ("creation_date", "last_modified_date", "authors", "commit_count", "last_commit_message"):
        extracted.provenance.setdefault(key, source)
    doc_type = _doc_type(file)
    base = {**file_facts(file, root, git), **extracted.metadata, "type": doc_type}
    if file.kind in TEXT_KINDS and file.kind != "python":
        base.setdefault(
            "language", "python" if file.kind == "notebook" else file.path.suffix.lstrip(".").lower()
        )
    if doc_type == "generated_image":
        base["image_path"] = str(file.path)
        if thumbnails is not None:
            base.update(_thumbnail(file, thumbnails, outcome))
    if doc_type == "model_dir":
        base.setdefault("model_id", file.path.stem if file.kind == "weights" else file.path.name)
    chunks = extracted.chunks or []
    if not chunks:
        outcome.error = "nothing to index (no text found)"
        return outcome
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
                kind=KIND_OF_DOC[doc_type],
                content=chunk.content,
                metadata=clean,
                provenance=extracted.provenance,
            )
        )
        if doc_type == "generated_image":
            break
    return outcome


def _thumbnail(file: ScannedFile, thumbnails: Path, outcome: FileOutcome) -> dict[str, str]:
    from .images import make_thumbnail

    key = hashlib.sha1(f"{file.path}:{file.size}:{file.mtime_ns}".encode()).hexdigest()
    dest = thumbnails / key[:2] / f"{key}.webp"
    if dest.exists():
        return {"thumbnail_path": str(dest)}
    try:
        return {"thumbnail_path": str(make_thumbnail(file.path, dest))}
    except ParseError as err:
        outcome.warnings.append(f"no thumbnail: {err}")
        return {}
