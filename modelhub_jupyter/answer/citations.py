"""Citations: where a value or passage came from (``path:lines``), and the check that it still
holds — the file is inside its indexed root and the cited lines exist (and, for a passage, still
hold its text). A citation that fails is dropped from the answer, never shown as evidence."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..results import Citation, Hit

MAX_READ = 20 * 1024 * 1024  # a cited file larger than this is checked for existence only
_LINE = re.compile(r"^(?P<path>[^\s:][^:]*?)(?::cell\d+)?:(?P<start>\d+)(?:-(?P<end>\d+))?$")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?")
_KEYED = re.compile(r"^(?P<path>[^\s(][^(]*?) \((?P<what>[^)]*)\)$")


def from_provenance(where: str, root: str, *, key: str = "", value: object = None) -> Citation | None:
    """A citation from a provenance string (``gpt/train.py:27``, ``models/x/config.json (hidden_size)``);
    None for sources that are not a file (``git log``)."""
    where = (where or "").strip()
    match = _LINE.match(where)
    if match:
        start = int(match["start"])
        end = int(match["end"] or start)
        return Citation(match["path"], (start, end) if start > 0 else None, root, key=key, value=value)
    match = _KEYED.match(where)
    if match and "/" in match["path"] or (match and "." in match["path"]):
        return Citation(match["path"], None, root, key=key, value=value)
    return None


def from_hit(hit: Hit) -> Citation:
    """The citation of a search hit: its path and lines, with (for code) its last line to check (the
    first may be context repeated from above, as in a function's second part)."""
    quote = ""
    if hit.kind == "code" and hit.lines:
        quote = _last_line(hit.body)
    return Citation(hit.path, hit.lines, hit.root, doc_id=hit.id, quote=quote)


def check(citation: Citation) -> Citation:
    """``citation`` with ``valid`` set (and ``problem`` when it is not)."""
    citation.problem = _problem(citation)
    citation.valid = citation.problem == ""
    return citation


def _problem(citation: Citation) -> str:
    if not citation.root:
        return "no indexed root recorded"
    root = Path(citation.root)
    path = root / citation.path
    try:
        real = Path(os.path.realpath(path))
        real.relative_to(os.path.realpath(root))
    except (ValueError, OSError):
        return "outside its indexed root"
    if not real.exists():
        return "no longer exists"
    if citation.lines is None or real.is_dir() or real.suffix == ".ipynb":  # notebook lines are cell lines
        return ""
    try:
        if real.stat().st_size > MAX_READ:
            return ""
        lines = real.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    start, end = citation.lines
    if start < 1 or end > len(lines) or start > end:
        return f"has {len(lines)} lines, not {start}-{end}"
    if citation.quote and not _holds(citation.quote, "\n".join(lines[start - 1 : end])):
        return "the cited lines changed since indexing"
    return ""


def _holds(quote: str, text: str) -> bool:
    """Whether ``text`` still holds ``quote``: most of the quote's first words and numbers appear in
    it (a config chunk reads ``training.batch_size: 128`` for lines ``"training": {"batch_size": 128``)."""
    wanted = _TOKEN.findall(quote)[:8]
    if not wanted:
        return True
    present = set(_TOKEN.findall(text)) | set(re.findall(r"[A-Za-z0-9]+", text))
    found = sum(1 for t in wanted if t in present or all(p in present for p in t.split("_") if p))
    return found >= 0.6 * len(wanted)


def _last_line(text: str) -> str:
    return next((line.strip() for line in reversed((text or "").splitlines()) if line.strip()), "")


def line_of(citation: Citation, text: str) -> int | None:
    """The number of the line within ``citation``'s lines that reads ``text`` (whitespace aside);
    None when the file has no such line there (a config chunk's text is rewritten) or is not read."""
    if not citation.lines or not citation.valid or citation.path.endswith(".ipynb"):
        return None
    real = Path(citation.root) / citation.path
    try:
        if real.stat().st_size > MAX_READ:
            return None
        lines = real.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    wanted = " ".join(text.split())
    start, end = citation.lines
    for number in range(max(start, 1), min(end, len(lines)) + 1):
        if " ".join(lines[number - 1].split()) == wanted:
            return number
    return None
