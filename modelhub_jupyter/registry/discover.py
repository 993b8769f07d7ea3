"""Discovery: find every model folder and weight file under some roots, read headers only.

The tree is walked by the indexer's own scanner (:func:`~modelhub_jupyter.ingest.scanner.scan`:
ignore files, excludes, depth, no links out of the root, only regular files opened) and each
model folder / weight file is described by the same readers an index run uses
(:func:`~modelhub_jupyter.ingest.model_dir.read_model_dir`,
:func:`~modelhub_jupyter.ingest.weights.read_weight_file`), so a folder that is indexed and one
that is registered agree. Nothing is loaded or unpickled.

Third-party formats plug in through the entry-point group ``modelhub_jupyter.model_detectors``:
an object with ``can_handle(path) -> bool`` and ``describe(path) -> dict`` (metadata in the
keys of DESIGN.md; ``format`` names the format).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pathspec

from ..errors import BadInputError, one_line
from ..ingest import confine
from ..ingest.model_dir import read_model_dir
from ..ingest.scanner import SKIP_DIRS, ScanOptions, scan
from ..ingest.weights import read_weight_file
from .categories import Rules, categorise, load_rules

log = logging.getLogger(__name__)

DETECTORS_GROUP = "modelhub_jupyter.model_detectors"
#: Formats discovery knows; ``hf`` is a folder with a config.json.
FORMATS = ("safetensors", "bin", "pt", "ckpt", "onnx", "gguf", "ggml", "hf")
DEFAULT_EXCLUDES = ("*.tmp", "*.lock", ".git", "__pycache__")
#: Where the last run's headers are kept, with each model's file signature, under the store's home.
CACHE_FILE = "discovery-cache.json"
CACHE_VERSION = 1
WORKERS = 8  # header reads at once
_SUFFIX_FORMAT = {".safetensors": "safetensors", ".bin": "bin", ".pt": "pt", ".pth": "pt", ".ckpt": "ckpt",
                  ".onnx": "onnx", ".gguf": "gguf", ".ggml": "ggml"}  # fmt: skip


@dataclass
class Found:
    """One model discovery found: where, in which formats, what its headers and card say."""

    name: str
    path: str
    kind: str  # model_dir | weights | a detector's name
    formats: list[str]
    metadata: dict[str, Any]
    categories: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    signature: str = ""  # of its files' names, sizes and times (see :func:`signature`)

    @property
    def format(self) -> str:
        return self.formats[0] if self.formats else "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "kind": self.kind, "formats": self.formats,
                "parameters": (self.metadata.get("model_dimensions") or {}).get("total_parameters"),
                "categories": self.categories, "warnings": self.warnings}  # fmt: skip


@dataclass
class Discovery:
    """What a discovery run found, skipped and why (``log``: ``(path, outcome, reason)``)."""

    roots: list[str]
    found: list[Found] = field(default_factory=list)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    rules: str = ""
    run_id: int = 0

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for _, outcome, _ in self.log:
            counts[outcome] = counts.get(outcome, 0) + 1
        return {
            "roots": self.roots,
            "run_id": self.run_id,
            "found": [f.to_dict() for f in self.found],
            "counts": counts,
            "log": [{"path": p, "outcome": o, "reason": r} for p, o, r in self.log],
            "rules": self.rules,
        }

    def text(self) -> str:
        """What was found (a table) and what was skipped or warned about, with the reason."""
        from .views import columns

        counts = self.to_dict()["counts"]
        lines = [f"discovered under {', '.join(self.roots)}: "
                 + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing")]  # fmt: skip
        if self.found:
            rows = [[f.name, f.categories.get("model_type", ""), "/".join(f.formats),
                     (f.metadata.get("model_dimensions") or {}).get("total_parameters") or "",
                     f.categories.get("primary", ""), ", ".join(f.categories.get("secondary") or []), f.path]
                    for f in self.found]  # fmt: skip
            lines += columns(("name", "type", "formats", "parameters", "primary", "secondary", "path"), rows)
        other = [(p, o, r) for p, o, r in self.log if o not in ("found", "registered")]
        for p, o, r in other[:50]:
            lines.append(f"  {o}: {p}: {r}")
        if len(other) > 50:
            lines.append(f"  ... and {len(other) - 50} more (--json lists them all)")
        if self.rules:
            lines.append(f"categories from {self.rules}")
        return "\n".join(lines)


def detectors() -> list[tuple[str, Any]]:
    """Installed third-party detectors ``(name, object)``; one that fails to load is logged and left out."""
    out = []
    for ep in entry_points(group=DETECTORS_GROUP):
        try:
            out.append((ep.name, ep.load()))
        except Exception as err:  # noqa: BLE001 - a broken plugin must not stop discovery
            log.warning("modelhub: model detector %r not loaded: %s", ep.name, one_line(err))
    return out


def _formats_of(metadata: dict[str, Any], is_dir: bool, path: Path) -> list[str]:
    formats: list[str] = []
    for entry in metadata.get("weights") or []:
        suffix = Path(str(entry.get("file", ""))).suffix.lower()
        fmt = _SUFFIX_FORMAT.get(suffix) or str(entry.get("format") or "")
        if fmt and fmt not in formats:
            formats.append(fmt)
    if is_dir and (path / "config.json").is_file():
        formats.append("hf")
    return formats


def slug(text: str) -> str:
    """A registry name made of ``text``: lower case, letters, digits, ``-`` and ``.``."""
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")[:80] or "model"


def discover(
    roots: list[str | Path],
    *,
    max_depth: int | None = 5,
    formats: tuple[str, ...] | list[str] = FORMATS,
    exclude: tuple[str, ...] | list[str] = DEFAULT_EXCLUDES,
    rules: Rules | None = None,
    home: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> Discovery:
    """Find the models under ``roots`` (headers only); nothing is registered (see ``Registry.discover``).

    With ``home``, what was read is kept in ``home/discovery-cache.json`` keyed by each model's
    :func:`signature`: a model whose files did not change is not read again."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise BadInputError(f"unknown format(s) {', '.join(unknown)}: use {', '.join(FORMATS)}")
    rules = rules or load_rules(home)
    wanted = set(formats)
    result = Discovery([str(Path(r).expanduser().resolve()) for r in roots], rules=rules.source)
    plugins = detectors()
    cache_file = home / CACHE_FILE if home is not None else None
    cache = _load_cache(cache_file)
    fresh: dict[str, dict[str, Any]] = {}
    for root_text in result.roots:
        root = Path(root_text)
        if not root.is_dir():
            raise BadInputError(f"{root}: not a folder", path=str(root))
        scanned = scan(root, ScanOptions(exclude=tuple(exclude), max_depth=max_depth))
        for rel, reason in scanned.errors:
            result.log.append((str(root / rel), "error", reason))
        for rel, reason in scanned.warnings:
            result.log.append((str(root / rel), "skipped", reason))
        candidates = [f for f in scanned.files if f.file_kind in ("model_dir", "weights")]
        total = len(candidates)

        read = functools.partial(_read_within, root, cache=cache, fresh=fresh)
        # headers are read on threads (mostly stat/open/read: the GIL is released), in order
        with ThreadPoolExecutor(
            max_workers=workers or WORKERS, thread_name_prefix="modelhub-discover"
        ) as pool:
            outcomes = pool.map(read, candidates)
            for done, (item, (sig, got)) in enumerate(zip(candidates, outcomes, strict=True), start=1):
                _describe(item.path, item.relpath, item.file_kind, sig, got, wanted, rules, result)
                if on_progress:
                    on_progress(done, total)
        if plugins:
            claimed = {f.path for f in candidates}
            _run_detectors(root, plugins, claimed, max_depth, exclude, rules, result)
    if cache_file is not None:
        _save_cache(cache_file, {**cache, **fresh})
    return result


# -- reading, with a cache of what was read last time -------------------------------------------------
def signature(path: Path, limit: int = 512) -> str:
    """What a model's headers depend on: names, sizes and modification times of its files (a folder's,
    three levels deep); one stat each, no reading. ``""`` when it cannot be told (never cached)."""
    digest = hashlib.sha256()
    try:
        if path.is_file():
            st = path.stat()
            digest.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
            return digest.hexdigest()
        stack, seen = [(path, 0)], 0
        while stack:
            folder, depth = stack.pop()
            with os.scandir(folder) as entries:
                for e in sorted(entries, key=lambda e: e.name):
                    st = e.stat(follow_symlinks=False)
                    digest.update(f"{e.path}:{st.st_mode}:{st.st_size}:{st.st_mtime_ns}\n".encode())
                    seen += 1
                    if seen > limit:
                        return ""
                    if e.is_dir(follow_symlinks=False) and depth < 2:
                        stack.append((Path(e.path), depth + 1))
    except OSError:
        return ""
    return digest.hexdigest()


def _read_within(root: Path, item: Any, *, cache: dict[str, dict[str, Any]],
                 fresh: dict[str, dict[str, Any]]) -> tuple[str, Any]:  # fmt: skip
    with confine.within(root):  # on each thread: the root is a context variable
        return _read(item.path, item.relpath, item.file_kind, cache, fresh)


def _read(path: Path, relpath: str, kind: str, cache: dict[str, dict[str, Any]],
          fresh: dict[str, dict[str, Any]]) -> tuple[str, Any]:  # fmt: skip
    """``(signature, (metadata, warnings) or the exception)``; unchanged models come from the cache."""
    sig = signature(path)
    hit = cache.get(str(path))
    if sig and hit and hit.get("signature") == sig and hit.get("kind") == kind:
        fresh[str(path)] = hit
        return sig, (hit["metadata"], list(hit.get("warnings") or []))
    try:
        ex = read_model_dir(path, relpath) if kind == "model_dir" else read_weight_file(path, relpath)
    except Exception as err:  # noqa: BLE001 - one model's failure is its one-line log entry
        return sig, err
    if sig:
        fresh[str(path)] = {"signature": sig, "kind": kind, "metadata": ex.metadata, "warnings": ex.warnings}
    return sig, (ex.metadata, list(ex.warnings))


def _load_cache(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _save_cache(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Written whole to a temporary file, then renamed (another process never reads half of it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": CACHE_VERSION, "entries": entries}, default=str))
        tmp.replace(path)
    except OSError as err:
        log.info("modelhub: discovery cache not written: %s", err)


def _describe(path: Path, relpath: str, kind: str, sig: str, read: Any, wanted: set[str], rules: Rules,
              result: Discovery) -> None:  # fmt: skip
    if isinstance(read, BaseException):
        result.log.append((str(path), "error", one_line(read, strip=(path,))))
        return
    metadata, warnings = read
    formats = _formats_of(metadata, kind == "model_dir", path)
    if formats and not wanted & set(formats):
        result.log.append(
            (str(path), "skipped", f"format {'/'.join(formats)} not among {', '.join(sorted(wanted))}")
        )
        return
    name = slug(str(metadata.get("display_name") or metadata.get("model_id") or path.stem))
    if name in ("model", "models") and path.parent != path:
        name = slug(path.parent.name if kind == "model_dir" else path.stem)
    fmt = next((f for f in formats if f != "hf"), formats[0] if formats else "")
    categories = categorise(rules, name, metadata, relpath, fmt)
    found = Found(name, str(path), kind, formats, metadata, categories, list(warnings), signature=sig)
    result.found.append(found)
    params = (metadata.get("model_dimensions") or {}).get("total_parameters")
    what = f"{kind}, {'/'.join(formats) or 'no weights'}" + (f", {params:,} parameters" if params else "")
    result.log.append((str(path), "found", f"{what}; {categories['primary']} {categories['model_type']}"))
    for warning in warnings:
        result.log.append((str(path), "warning", warning))


def _run_detectors(root: Path, plugins: list[tuple[str, Any]], claimed: set[Path], max_depth: int | None,
                   exclude: tuple[str, ...] | list[str], rules: Rules, result: Discovery) -> None:  # fmt: skip
    spec = pathspec.GitIgnoreSpec.from_lines(list(exclude))
    for folder, dirs, files in os.walk(root, followlinks=False):
        rel = Path(folder).relative_to(root)
        depth = 0 if str(rel) == "." else len(rel.parts)
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not spec.match_file(str(rel / d) + "/")]
        if max_depth is not None and depth >= max_depth:
            dirs[:] = []
        for name in files:
            path = Path(folder) / name
            if path in claimed or path.is_symlink() or spec.match_file(str(rel / name)):
                continue
            for plugin_name, plugin in plugins:
                try:
                    if not plugin.can_handle(path):
                        continue
                    metadata = dict(plugin.describe(path))
                except Exception as err:  # noqa: BLE001 - a plugin's failure is this file's error
                    result.log.append((str(path), "error", f"detector {plugin_name}: {one_line(err)}"))
                    break
                fmt = str(metadata.pop("format", plugin_name))
                model_name = slug(str(metadata.get("model_id") or path.stem))
                categories = categorise(rules, model_name, metadata, str(rel / name), fmt)
                result.found.append(Found(model_name, str(path), plugin_name, [fmt], metadata, categories))
                result.log.append((str(path), "found", f"{plugin_name} detector, {fmt}"))
                break
