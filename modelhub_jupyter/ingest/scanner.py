"""Walk a workspace and list what is worth indexing.

:func:`scan` returns every code file, notebook, config file, image, model directory
and lone weight file under a root, honouring ``.gitignore`` / ``.modelhubignore``
files and user excludes. It never raises for anything inside the tree: unreadable
files, broken symlinks, symlink loops and oversized files become one-line
``errors``. Only a bad root (missing, not a directory, unreadable) raises.

Model directories (Hugging Face, diffusers, sentence-transformers, a folder of
weights with its card) are yielded once, as kind ``"model_dir"``, with their member
files listed relative to the directory.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

WEIGHT_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".gguf"})

KINDS = ("python", "notebook", "config", "image", "model_dir", "weights")

#: Directories never descended into (tool caches, VCS data, environments).
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".ipynb_checkpoints",
        "node_modules",
        ".venv",
        "venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".idea",
        ".vscode",
    }
)
IGNORE_FILES = (".gitignore", ".modelhubignore")

_CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".toml", ".json"})
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
# Tooling files with a config suffix that say nothing about a model.
_NOT_CONFIG = frozenset(
    {
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "tsconfig.json",
        "jsconfig.json",
        "composer.json",
        ".pre-commit-config.yaml",
    }
)
_LOCK_STEM = re.compile(r"(^|[-_.])lock$")  # pnpm-lock.yaml, conda-lock.yml, foo.lock.json

_MARKER_KEYS = ("architectures", "model_type", "_class_name")
_MARKER_READ_LIMIT = 1024 * 1024
_MARKER_RE = re.compile(rb'"(architectures|model_type|_class_name)"\s*:')
_MODEL_CARDS = frozenset({"readme.md", "model_card.md"})
_MEMBER_DEPTH = 2  # subfolder levels of a model dir whose files are members (unet/, 1_Pooling/, ...)


@dataclass(frozen=True)
class ScannedFile:
    """One thing to index: a file, or a whole model directory."""

    path: Path  # absolute
    relpath: str  # posix, relative to the root ("." for a root that is itself a model dir)
    kind: str  # "python" | "notebook" | "config" | "image" | "model_dir" | "weights"
    size: int  # bytes (for a model_dir: sum of member files)
    mtime_ns: int  # for a model_dir: max over member files
    members: tuple[str, ...] = ()  # model_dir only: member files, posix, relative to the model dir


@dataclass
class ScanResult:
    """What :func:`scan` found."""

    root: Path
    files: list[ScannedFile]
    errors: list[tuple[str, str]]  # (relpath, one-line reason)
    skipped: int  # files ignored by rules (gitignore, excludes, unknown types)


@dataclass
class ScanOptions:
    """Knobs for :func:`scan`."""

    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to the root
    max_depth: int | None = None  # directories below the root; None = unlimited
    max_file_size: int = 20 * 1024 * 1024  # for files read in full; weights and model-dir members are exempt
    follow_symlinks: bool = True


# One ignore file's patterns: a probe path p (relative to the scan root) is tested as
# ``add + p[len(strip):]`` so each file's patterns see paths relative to its own folder.
_Ignore = tuple[str, str, pathspec.GitIgnoreSpec]


@dataclass
class _ModelDir:
    rel: str
    path: Path
    members: list[tuple[str, int, int]] = field(default_factory=list)  # (relpath in dir, size, mtime_ns)


@dataclass(frozen=True)
class _Dir:
    path: str  # os path (absolute, through links as walked)
    rel: str  # posix relpath from the root, "" for the root
    depth: int
    ignores: tuple[_Ignore, ...]
    ancestors: frozenset[tuple[int, int]]  # (st_dev, st_ino) of the directories above
    owner: _ModelDir | None = None  # model dir whose member region this folder is in
    owner_depth: int = 0  # 0 = the model dir itself
    members_only: bool = False  # past max_depth: only collect the owner's members
    link: str | None = None  # readlink() text when this folder was reached through a symlink


def scan(root: Path, options: ScanOptions | None = None) -> ScanResult:
    """List the indexable files under ``root``, sorted by path.

    Raises ``FileNotFoundError`` / ``NotADirectoryError`` / ``PermissionError`` (one-line
    message naming the path) only for a bad root; problems inside the tree go to ``errors``.
    """
    result = _Scanner(Path(os.path.abspath(os.fspath(root))), options or ScanOptions()).run()
    return _drop_image_sidecars(result)


def _drop_image_sidecars(result: ScanResult) -> ScanResult:
    """``castle.json`` next to ``castle.png`` is the image's metadata, read with the image, not a config."""
    images = {f.relpath.rsplit(".", 1)[0] for f in result.files if f.kind == "image"}
    images |= {f.relpath for f in result.files if f.kind == "image"}
    kept = [f for f in result.files if not (f.kind == "config" and f.relpath.rsplit(".", 1)[0] in images)]
    result.skipped += len(result.files) - len(kept)
    result.files = kept
    return result


def human_size(size: int) -> str:
    """``210.0 MB``-style size (binary units)."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def classify(name: str) -> str | None:
    """Kind of a file by its name alone (outside a model dir), or None if not indexed."""
    lower = name.lower()
    suffix = os.path.splitext(lower)[1]
    if suffix == ".py":
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in _IMAGE_SUFFIXES:
        return "image"
    if suffix in WEIGHT_SUFFIXES:
        return "weights"
    if suffix in _CONFIG_SUFFIXES:
        stem = lower[: -len(suffix)]
        if lower in _NOT_CONFIG or _LOCK_STEM.search(stem) or (stem.startswith("tsconfig.")):
            return None
        return "config"
    return None


def _is_weight(lower: str) -> bool:
    return os.path.splitext(lower)[1] in WEIGHT_SUFFIXES


def _is_companion(lower: str) -> bool:
    """A model-dir member that is not a weight file (configs, tokenizer files, cards)."""
    return (
        lower.endswith(".json")  # config, model_index, generation_config, tokenizer*, *.safetensors.index
        or lower.startswith("tokenizer")
        or lower.startswith("vocab.")
        or lower in ("merges.txt", "spiece.model", "sentencepiece.bpe.model")
        or lower in _MODEL_CARDS
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class _Scanner:
    def __init__(self, root: Path, options: ScanOptions) -> None:
        self.root = root
        self.opts = options
        self.files: list[ScannedFile | _ModelDir] = []
        self.errors: list[tuple[str, str]] = []
        self.skipped = 0
        self.visited: set[tuple[int, int]] = set()
        self.exclude = pathspec.GitIgnoreSpec.from_lines(options.exclude) if options.exclude else None

    # -- driver -------------------------------------------------------------------------
    def run(self) -> ScanResult:
        root = self.root
        try:
            st = os.stat(root)
        except FileNotFoundError:
            raise FileNotFoundError(f"no such directory: {root}") from None
        except PermissionError:
            raise PermissionError(f"permission denied: {root}") from None
        except OSError as exc:
            raise OSError(f"cannot read {root}: {exc.strerror or exc}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(f"not a directory: {root}")
        try:
            os.scandir(root).close()
        except PermissionError:
            raise PermissionError(f"permission denied: {root}") from None

        stack = [_Dir(str(root), "", 0, self._ancestor_ignores(), frozenset())]
        deferred: list[_Dir] = []  # symlinked folders, walked after every real folder
        while stack or deferred:
            if not stack:
                # Real folders first, so a link to a folder inside the tree never takes its place.
                link_dir = deferred.pop(0)
                if self._enter_link(link_dir):
                    stack.append(link_dir)
                continue
            self._walk_dir(stack.pop(), stack, deferred)

        out = [f if isinstance(f, ScannedFile) else self._finish_model_dir(f) for f in self.files]
        files = sorted((f for f in out if f is not None), key=lambda f: f.relpath.split("/"))
        errors = sorted(self.errors, key=lambda e: e[0].split("/"))
        return ScanResult(root=root, files=files, errors=errors, skipped=self.skipped)

    def _ancestor_ignores(self) -> tuple[_Ignore, ...]:
        """``.gitignore`` files between the enclosing git work tree's top and the root."""
        root = self.root
        if os.path.lexists(root / ".git"):
            return ()  # the root is the top of its own work tree
        chain: list[Path] = []
        for folder in root.parents:
            chain.append(folder)
            if os.path.lexists(folder / ".git"):
                break
        else:
            return ()  # not inside a work tree: folders above the root are none of our business
        out: list[_Ignore] = []
        ignored = None
        for folder in reversed(chain):
            spec = self._load_ignore_file(folder / ".gitignore", None)
            if spec is not None:
                prefix = root.relative_to(folder).as_posix() + "/"
                out.append(("", prefix, spec))
                verdict = spec.check_file(prefix).include
                ignored = verdict if verdict is not None else ignored
        # A user who scans an ignored folder on purpose still wants its contents.
        return () if ignored else tuple(out)

    def _enter_link(self, d: _Dir) -> bool:
        """Check a symlinked folder before walking it: loops and duplicates are reported."""
        name = d.rel.rsplit("/", 1)[-1]
        try:
            st = os.stat(d.path)
            parent_real = os.path.realpath(os.path.dirname(d.path))
            target_real = os.path.realpath(d.path)
        except OSError as exc:
            self.errors.append((d.rel, f"cannot read directory: {_one_line(exc.strerror or exc)}"))
            return False
        key = (st.st_dev, st.st_ino)
        inside = parent_real == target_real or parent_real.startswith(target_real.rstrip(os.sep) + os.sep)
        if key in d.ancestors or inside:
            self.errors.append((d.rel, f"symlink loop: {name} -> {_one_line(d.link or '')}"))
            return False
        if key in self.visited:
            self.errors.append(
                (d.rel, f"symlink to a directory already scanned: {name} -> {_one_line(d.link or '')}")
            )
            return False
        return True

    # -- one folder -----------------------------------------------------------------------
    def _walk_dir(self, d: _Dir, stack: list[_Dir], deferred: list[_Dir]) -> None:
        shown = d.rel or "."
        try:
            st = os.stat(d.path)
            with os.scandir(d.path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            self.errors.append((shown, "permission denied"))
            return
        except OSError as exc:
            self.errors.append((shown, f"cannot read directory: {_one_line(exc.strerror or exc)}"))
            return
        key = (st.st_dev, st.st_ino)
        self.visited.add(key)
        ancestors = d.ancestors | {key}
        names = {e.name for e in entries}
        if d.rel and "pyvenv.cfg" in names:
            return  # a virtual environment under another name

        ignores = d.ignores
        base = d.rel + "/" if d.rel else ""
        for ignore_name in IGNORE_FILES:
            if ignore_name in names:
                spec = self._load_ignore_file(Path(d.path) / ignore_name, base + ignore_name)
                if spec is not None:
                    ignores = (*ignores, (base, "", spec))

        # Resolve each entry once: (entry, rel, stat or None, is_dir).
        resolved: list[tuple[os.DirEntry[str], str, os.stat_result | None, bool]] = []
        for entry in entries:
            rel = base + entry.name
            try:
                is_link = entry.is_symlink()
            except OSError:
                is_link = False
            if is_link:
                if not self.opts.follow_symlinks:
                    self.skipped += 1
                    continue
                try:
                    est: os.stat_result | None = os.stat(entry.path)
                except OSError as exc:
                    if self._ignored(rel, False, ignores):
                        self.skipped += 1
                    else:
                        self._link_error(entry, rel, exc)
                    continue
                is_dir = stat.S_ISDIR(est.st_mode)
            else:
                est = None
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
            if is_dir and entry.name in SKIP_DIRS:
                continue
            if self._ignored(rel, is_dir, ignores):
                if not is_dir:
                    self.skipped += 1
                continue
            resolved.append((entry, rel, est, is_dir))

        owner, owner_depth = d.owner, d.owner_depth
        if owner is None and not d.members_only:
            owner = self._detect_model_dir(d, resolved)
            owner_depth = 0

        for entry, rel, est, is_dir in resolved:
            if is_dir:
                child = self._child(d, entry, rel, est, ignores, ancestors, owner, owner_depth)
                if child is not None:
                    (deferred if child.link is not None else stack).append(child)
            else:
                self._file(d, entry, rel, est, owner)

    def _child(
        self,
        d: _Dir,
        entry: os.DirEntry[str],
        rel: str,
        est: os.stat_result | None,
        ignores: tuple[_Ignore, ...],
        ancestors: frozenset[tuple[int, int]],
        owner: _ModelDir | None,
        owner_depth: int,
    ) -> _Dir | None:
        depth = d.depth + 1
        in_region = owner is not None and owner_depth + 1 <= _MEMBER_DEPTH
        members_only = d.members_only
        if self.opts.max_depth is not None and depth > self.opts.max_depth:
            members_only = True
        if members_only and not in_region:
            return None
        link = None
        if est is not None:
            try:
                link = os.readlink(entry.path)
            except OSError:
                link = "?"
        return _Dir(
            path=entry.path,
            rel=rel,
            depth=depth,
            ignores=ignores,
            ancestors=ancestors,
            owner=owner if in_region else None,
            owner_depth=owner_depth + 1 if in_region else 0,
            members_only=members_only,
            link=link,
        )

    def _file(
        self,
        d: _Dir,
        entry: os.DirEntry[str],
        rel: str,
        est: os.stat_result | None,
        owner: _ModelDir | None,
    ) -> None:
        try:
            st = est if est is not None else entry.stat()
        except PermissionError:
            self.errors.append((rel, "permission denied"))
            return
        except OSError as exc:
            self.errors.append((rel, f"cannot stat: {_one_line(exc.strerror or exc)}"))
            return
        if not stat.S_ISREG(st.st_mode):
            if not d.members_only:
                self.skipped += 1  # fifo, socket, device
            return
        lower = entry.name.lower()
        if owner is not None and (_is_weight(lower) or _is_companion(lower)):
            if self._readable(entry.path, rel, st):
                owner.members.append(
                    (rel[len(owner.rel) + 1 :] if owner.rel else rel, st.st_size, st.st_mtime_ns)
                )
            return
        if d.members_only:
            return
        kind = classify(entry.name)
        if kind is None or (st.st_size == 0 and lower == "__init__.py"):
            self.skipped += 1
            return
        if kind != "weights" and st.st_size > self.opts.max_file_size:
            self.errors.append(
                (
                    rel,
                    f"file is {human_size(st.st_size)}, over the {human_size(self.opts.max_file_size)} limit",
                )
            )
            return
        if self._readable(entry.path, rel, st):
            self.files.append(ScannedFile(self.root / rel, rel, kind, st.st_size, st.st_mtime_ns))

    # -- helpers --------------------------------------------------------------------------
    def _readable(self, path: str, rel: str, st: os.stat_result) -> bool:
        """Non-empty and opens for reading; otherwise record why not."""
        if st.st_size == 0:
            self.errors.append((rel, "empty file (0 bytes)"))
            return False
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except PermissionError:
            self.errors.append((rel, "permission denied"))
            return False
        except OSError as exc:
            self.errors.append((rel, f"cannot open: {_one_line(exc.strerror or exc)}"))
            return False
        os.close(fd)
        return True

    def _link_error(self, entry: os.DirEntry[str], rel: str, exc: OSError) -> None:
        try:
            target = _one_line(os.readlink(entry.path))
        except OSError:
            target = "?"
        if exc.errno == errno.ELOOP:
            self.errors.append((rel, f"symlink loop: {entry.name} -> {target}"))
        elif isinstance(exc, PermissionError):
            self.errors.append((rel, "permission denied"))
        else:
            self.errors.append((rel, f"broken symlink: {entry.name} -> {target}"))

    def _ignored(self, rel: str, is_dir: bool, ignores: tuple[_Ignore, ...]) -> bool:
        probe = rel + "/" if is_dir else rel
        if self.exclude is not None and self.exclude.match_file(probe):
            return True
        result = None
        for strip, add, spec in ignores:
            verdict = spec.check_file(add + probe[len(strip) :]).include
            if verdict is not None:
                result = verdict  # deeper files and later patterns win
        return bool(result)

    def _load_ignore_file(self, path: Path, rel: str | None) -> pathspec.GitIgnoreSpec | None:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
            return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        except (OSError, ValueError) as exc:
            if rel is not None:
                reason = "permission denied" if isinstance(exc, PermissionError) else _one_line(exc)
                self.errors.append((rel, f"ignore file not used: {reason}"))
            return None

    def _detect_model_dir(self, d: _Dir, resolved) -> _ModelDir | None:
        files = {entry.name.lower(): entry for entry, _rel, _st, is_dir in resolved if not is_dir}
        has_weights = any(_is_weight(name) for name in files)
        marker = "model_index.json" in files
        config = files.get("config.json")
        if config is not None and not marker:
            marker, problem = _config_marker(config.path)
            if problem and has_weights:
                self.errors.append(((d.rel + "/" if d.rel else "") + config.name, problem))
        # Weights alone make a model dir only next to a companion (card, config,
        # tokenizer), and never at the root: a folder of loose .gguf files is not one model.
        weak = bool(d.rel) and has_weights and any(_is_companion(name) for name in files)
        if not (marker or weak):
            return None
        model = _ModelDir(rel=d.rel, path=self.root / d.rel if d.rel else self.root)
        self.files.append(model)
        return model

    def _finish_model_dir(self, model: _ModelDir) -> ScannedFile | None:
        if not model.members:
            return None
        members = sorted(model.members, key=lambda m: m[0].split("/"))
        return ScannedFile(
            path=model.path,
            relpath=model.rel or ".",
            kind="model_dir",
            size=sum(m[1] for m in members),
            mtime_ns=max(m[2] for m in members),
            members=tuple(m[0] for m in members),
        )


def _config_marker(path: str) -> tuple[bool, str | None]:
    """Does this config.json describe a model? Returns (marker, problem)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MARKER_READ_LIMIT + 1)
    except OSError:
        return False, None  # reported when it is visited as a file
    if len(data) > _MARKER_READ_LIMIT:
        return bool(_MARKER_RE.search(data[:_MARKER_READ_LIMIT])), None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return False, f"invalid JSON: {_one_line(exc)}"
    return isinstance(obj, dict) and any(key in obj for key in _MARKER_KEYS), None
