"""Versions: register a model folder or file (files with sha256, headers read), validate it, move
it through the lifecycle (an approval before production), tiers and groups."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from ..errors import BadInputError, NotFoundError, PermissionDeniedError, one_line
from ..ingest import confine
from ..ingest.model_dir import read_model_dir
from ..ingest.weights import inspect_weight_file, read_weight_file
from .categories import categorise, load_rules
from .discover import slug
from .store import MODEL_TYPES, STAGES, TRANSITIONS, ModelRow, RegistryStore, VersionRow

TIERS = ("lite", "standard", "professional")
MAX_FILES = 10_000  # files of one version's folder that are listed and hashed
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".gguf")


def check_type(model_type: str) -> str:
    if model_type not in MODEL_TYPES:
        raise BadInputError(f"unknown model type {model_type!r}: use one of {', '.join(MODEL_TYPES)}")
    return model_type


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise BadInputError(f"unknown tier {tier!r}: use one of {', '.join(TIERS)}")
    return tier


def current_tier() -> str:
    """The tier this session acts with: ``$MODELHUB_TIER`` (default professional: the store's owner)."""
    return check_tier(os.environ.get("MODELHUB_TIER", "professional").strip() or "professional")


def denial(model: ModelRow, tier: str, groups: frozenset[str] | None) -> str | None:
    """Why a session with ``tier`` and ``groups`` (None: the owner, in every group) may not use ``model``."""
    if TIERS.index(tier) < TIERS.index(model.tier):
        return f"{model.name} needs the {model.tier} tier; this session has {tier}"
    if model.groups and groups is not None and not set(model.groups) & groups:
        return f"{model.name} is for the group(s) {', '.join(model.groups)}; you are in none of them"
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def list_files(path: Path) -> list[Path]:
    """The regular files of a version: the file itself, or the folder's (no links out of it, no dot-folders)."""
    if path.is_file():
        return [path]
    out: list[Path] = []
    real_root = os.path.realpath(path)
    for folder, dirs, files in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            p = Path(folder) / name
            if name.startswith(".") or not p.is_file():
                continue
            real = os.path.realpath(p)
            if not real.startswith(real_root + os.sep):
                continue  # a link out of the folder is not part of the version
            out.append(p)
            if len(out) > MAX_FILES:
                raise BadInputError(
                    f"{path}: more than {MAX_FILES:,} files; not a model folder", path=str(path)
                )
    return out


def hash_files(path: Path, progress: bool = False) -> tuple[list[dict[str, Any]], str]:
    """``([{file, size, sha256}], checkpoint sha256)``: the version's files and one digest over them."""
    files = list_files(path)
    if not files:
        raise BadInputError(f"{path}: no files", path=str(path))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=sum(f.stat().st_size for f in files), unit="B", unit_scale=True, desc="sha256", leave=False
        )
    entries: list[dict[str, Any]] = []
    for f in files:
        entries.append({"file": f.name if path.is_file() else f.relative_to(path).as_posix(),
                        "size": f.stat().st_size, "sha256": sha256_file(f)})  # fmt: skip
        if bar is not None:
            bar.update(entries[-1]["size"])
    if bar is not None:
        bar.close()
    if path.is_file():
        return entries, str(entries[0]["sha256"])
    whole = hashlib.sha256("".join(f"{e['file']}:{e['sha256']}\n" for e in entries).encode())
    return entries, whole.hexdigest()


def read_metadata(path: Path) -> dict[str, Any]:
    """What the folder's or file's headers and card say (the indexer's readers); a corrupt header raises."""
    try:
        with confine.within(path.parent if path.is_file() else path):
            ex = read_model_dir(path, path.name) if path.is_dir() else read_weight_file(path, path.name)
    except Exception as err:  # noqa: BLE001 - ParseError or a bug: one line either way
        raise BadInputError(f"{path}: {one_line(err, strip=(path,))}", path=str(path)) from None
    broken = [w for w in ex.metadata.get("weights") or [] if w.get("error")]
    if broken:
        raise BadInputError(f"{path}: {broken[0]['file']}: {broken[0]['error']}", path=str(path))
    return ex.metadata


def version_format(path: Path, metadata: dict[str, Any]) -> str:
    if path.is_dir() and (path / "modules.json").is_file():
        return "sentence-transformers"
    if path.is_dir() and (path / "model.onnx").is_file():
        return "onnx"
    for entry in metadata.get("weights") or []:
        return str(entry.get("format") or "unknown")
    return "hf" if path.is_dir() and (path / "config.json").is_file() else "unknown"


def vector_key(path: Path, fmt: str, sha: str, doc_precision: str = "fp32") -> str | None:
    """The name a text embedder's vectors are stored under (the installed MiniLM keeps the default's).

    A sentence-transformers version whose documents are embedded through the int8 copy of its ONNX
    export (``doc_precision``, the store's) ends in ``-int8``, as :class:`TextEmbedder` names it."""
    from ..embed.onnx_model import INT8_SUFFIX
    from ..embed.text import _slug, default_text_model

    if fmt not in ("sentence-transformers", "onnx"):
        return None
    suffix = INT8_SUFFIX if fmt == "sentence-transformers" and doc_precision == "int8" else ""
    try:
        if path.resolve() == Path(default_text_model()).resolve():
            return _slug(str(path)) + suffix
    except ImportError:
        pass
    return f"{_slug(str(path))[:30]}-{sha[:8]}{suffix}"


def register_version(
    store: RegistryStore,
    model: str | None,
    path: str | Path,
    *,
    version: str | None = None,
    model_type: str | None = None,
    metrics: dict[str, Any] | None = None,
    parent: str | None = None,
    user: str,
    source: str | None = None,
    inference_config: dict[str, Any] | None = None,
    tier: str | None = None,
    home: Path | None = None,
    progress: bool = False,
    doc_precision: str = "fp32",
) -> VersionRow:
    """Register the folder or file at ``path`` as ``version`` of ``model`` (created when new)."""
    target = Path(path).expanduser()
    if not target.exists():
        raise BadInputError(f"{path}: no such file or folder", path=str(path))
    target = target.resolve()
    if model_type is not None:
        check_type(model_type)
    if tier is not None:
        check_tier(tier)
    metadata = read_metadata(target)
    name = (
        slug(model)
        if model
        else slug(str(metadata.get("display_name") or metadata.get("model_id") or target.stem))
    )
    existing = store.model(name)
    fmt = version_format(target, metadata)
    categories = categorise(load_rules(home), name, metadata, str(target), fmt)
    model_type = model_type or (existing.model_type if existing else categories["model_type"])
    check_type(model_type)
    if existing is not None and existing.model_type != model_type:
        raise BadInputError(f"{name} is a {existing.model_type} model, not {model_type}")
    known = store.versions(name)
    version = version or f"v{len(known) + 1}"
    if any(v.version == version for v in known):
        raise BadInputError(f"{name} {version} is registered already; give another --version")
    if parent is not None and not any(v.version == parent for v in known):
        raise NotFoundError(f"no version {parent!r} of {name} to derive from")
    files, sha = hash_files(target, progress)
    dims = metadata.get("model_dimensions") or {}
    config = dict(inference_config or {})
    if existing is None:
        store.upsert_model(
            ModelRow(name, model_type, str(target), fmt, source or str(target), metadata, categories,
                     tier or "lite"),
            user,
        )  # fmt: skip
    return store.add_version(
        VersionRow(name, version, model_type, str(target), fmt, source or str(target), sha, files, config,
                   vector_key(target, fmt, sha, doc_precision) if model_type == "text_embedding" else None,
                   dims.get("hidden_size") if isinstance(dims.get("hidden_size"), int) else None,
                   parent, metrics=dict(metrics or {})),
        user,
    )  # fmt: skip


def validate(v: VersionRow) -> dict[str, Any]:
    """Whether ``v``'s files are all there, hash as registered and have readable headers."""
    root = Path(v.path)
    problems: list[str] = []
    for entry in v.files:
        p = root if root.is_file() and entry["file"] == root.name else root / entry["file"]
        if not p.is_file():
            problems.append(f"{entry['file']}: missing")
            continue
        if p.stat().st_size != entry["size"]:
            problems.append(f"{entry['file']}: {p.stat().st_size:,} bytes, registered {entry['size']:,}")
            continue
        if sha256_file(p) != entry["sha256"]:
            problems.append(f"{entry['file']}: sha256 no longer matches")
            continue
        if p.suffix.lower() in _WEIGHT_SUFFIXES:
            try:
                inspect_weight_file(p, entry["file"])
            except Exception as err:  # noqa: BLE001 - ParseError: the header is the problem
                problems.append(f"{entry['file']}: {one_line(err, strip=(p,))}")
    return {"model": v.model, "version": v.version, "path": v.path, "ok": not problems, "problems": problems,
            "files": len(v.files)}  # fmt: skip


def require_valid(v: VersionRow) -> None:
    report = validate(v)
    if not report["ok"]:
        more = f" (and {len(report['problems']) - 1} more)" if len(report["problems"]) > 1 else ""
        raise BadInputError(f"{v.model} {v.version} at {v.path}: {report['problems'][0]}{more}", path=v.path)


def change_stage(store: RegistryStore, v: VersionRow, stage: str, *, user: str, approved_by: str | None = None,
                 comment: str = "", tier: str = "professional") -> VersionRow:  # fmt: skip
    """Move ``v`` to ``stage``; production needs an approval, the active version cannot be retired."""
    if stage not in STAGES:
        raise BadInputError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    if stage == v.stage:
        return v
    if stage not in TRANSITIONS[v.stage]:
        allowed = ", ".join(sorted(TRANSITIONS[v.stage])) or "none (archived is final)"
        raise BadInputError(
            f"{v.model} {v.version} cannot go from {v.stage} to {stage}; from {v.stage}: {allowed}"
        )
    if stage in ("deprecated", "archived") and v.active:
        raise BadInputError(
            f"{v.model} {v.version} is the active {v.model_type} version; activate another before making it {stage}"
        )
    approval = None
    if stage == "production":
        if tier != "professional":
            raise PermissionDeniedError(
                f"approving {v.model} {v.version} for production needs the professional tier"
            )
        if not approved_by:
            raise PermissionDeniedError(
                f"{v.model} {v.version} needs an approval to enter production: give --approved-by NAME"
            )
        import time

        approval = {"status": "approved", "by": approved_by, "at": time.time(), "comment": comment}
    store.set_stage(v, stage, approval, user)
    found = store.version(v.model, v.version)
    assert found is not None
    return found
