"""BM25 indexes kept on disk between processes.

A new kernel's first search over a large catalog used to tokenize and index every chunk again
(at 100k chunks: tens of seconds, most of the first query's 32 s). The index of a kind is saved
under the home once built, named by a fingerprint of exactly what it indexes (each document's id
and keyword text, the tokenizer's source and the bm25s version), and the next process maps it
back in a fraction of a second. Any change to the documents gives a new fingerprint, so a stale
index is never read; old ones are pruned. Small catalogs are indexed in memory as before.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from . import keyword
from .keyword import KeywordIndex

log = logging.getLogger(__name__)

#: Catalog kinds with fewer documents than this are indexed in memory only (it takes < 1 s).
MIN_DOCS = 5_000
#: Indexes kept in a cache directory (kinds x viewers x recent generations).
KEEP = 6
_DONE = "complete"  # written last: a directory without it was cut short


def fingerprint(ids: Sequence[str], texts: Sequence[str]) -> str:
    """A digest of what the index holds and how it was made."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(Path(keyword.__file__).read_bytes())  # the tokenizer, as written
    digest.update(version("bm25s").encode())
    for doc_id, text in zip(ids, texts, strict=True):
        digest.update(doc_id.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\1")
    return digest.hexdigest()


def load_or_build(ids: list[str], texts: list[str], directory: Path | None) -> KeywordIndex:
    """The BM25 index of ``texts``: read from ``directory`` when it holds this exact index,
    otherwise built and saved there (``None``, or fewer than :data:`MIN_DOCS`: in memory only)."""
    if directory is None or len(ids) < MIN_DOCS:
        return KeywordIndex(ids, texts)
    key = fingerprint(ids, texts)
    path = directory / key
    if (path / _DONE).exists():
        try:
            import bm25s

            retriever = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
            return KeywordIndex.from_retriever(ids, retriever)
        except Exception as exc:  # noqa: BLE001 - a damaged cache is rebuilt
            log.info("modelhub: keyword index cache %s unreadable (%s); rebuilding it", path, exc)
    index = KeywordIndex(ids, texts)
    _save(index, directory, key)
    return index


def _save(index: KeywordIndex, directory: Path, key: str) -> None:
    """Write ``index`` as ``directory/key`` (complete or not at all), then prune old ones."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=directory))
    except OSError:  # a read-only home still searches
        return
    try:
        index.retriever.save(str(tmp), show_progress=False)
        (tmp / _DONE).touch()
        tmp.rename(directory / key)
    except OSError:  # another process saved the same index first, or the disk is full
        shutil.rmtree(tmp, ignore_errors=True)
        return
    _prune(directory)


def _prune(directory: Path) -> None:
    """Keep the :data:`KEEP` newest indexes; drop builds left by a process that died an hour ago."""
    for left in directory.glob(".building-*"):
        if left.stat().st_mtime < time.time() - 3600:
            shutil.rmtree(left, ignore_errors=True)
    entries = sorted(
        (p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
