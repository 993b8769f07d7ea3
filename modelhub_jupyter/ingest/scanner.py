"""Walk a workspace and list what is worth indexing.

:func:`scan` returns every code file, notebook, config file, image, model directory
and lone weight file under a root, honouring ``.gitignore`` / ``.modelhubignore``
files and user excludes. It never raises for anything inside the tree: unreadable
files, broken symlinks, symlink loops and oversized files become one-line
``errors``. Only a bad root (missing, not a directory, unreadable) raises.

The tree is hostile (DESIGN.md, "Safety"). A symlink whose fully resolved target leaves
the root is not followed (a ``warnings`` entry says so) unless
``ScanOptions.follow_external_links``; only regular files are ever opened, and then with
``O_NONBLOCK`` and a check of what was opened, so a FIFO, a device or a file swapped for
one between listing and reading never blocks the scan.

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

from ..errors import one_line
from ..vocabulary import FILE_KINDS
from .access import is_policy_file

WEIGHT_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".gguf"})

KINDS = FILE_KINDS  # the file kinds scan() yields (see vocabulary)

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
_IGNORE_READ_LIMIT = 1024 * 1024  # an ignore file over 1 MB is not used


@dataclass(frozen=True)
class ScannedFile:
    """One thing to index: a file, or a whole model directory."""

    path: Path  # absolute
    relpath: str  # posix, relative to the root ("." for a root that is itself a model dir)
    file_kind: str  # one of vocabulary.FILE_KINDS (or a third-party parser's)
    size: int  # bytes (for a model_dir: sum of member files)
    mtime_ns: int  # for a model_dir: max over member files
    members: tuple[str, ...] = ()  # model_dir only: member files, posix, relative to the model dir
    follow_external_links: bool = False  # parsers may read neighbours outside the root too


@dataclass
class ScanResult:
    """What :func:`scan` found."""

    root: Path
    files: list[ScannedFile]
    errors: list[tuple[str, str]]  # (relpath, one-line reason)
    skipped: int  # files ignored by rules (gitignore, excludes, unknown types)
    # (relpath, one-line reason): things deliberately not read, e.g. links out of the root
    warnings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ScanOptions:
    """Knobs for :func:`scan`."""

    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to the root
    max_depth: int | None = None  # directories below the root; None = unlimited
    max_file_size: int = 20 * 1024 * 1024  # for files read in full; weights and model-dir members are exempt
    follow_symlinks: bool = True  # False: no link is followed (each counts as skipped)
    follow_external_links: bool = False  # follow links whose resolved target leaves the root


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
    images = {f.relpath.rsplit(".", 1)[0] for f in result.files if f.file_kind == "image"}
    images |= {f.relpath for f in result.files if f.file_kind == "image"}
    kept = [
        f for f in result.files if not (f.file_kind == "config" and f.relpath.rsplit(".", 1)[0] in images)
    ]
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
    """File kind of a file by its name alone (outside a model dir), or None if not indexed.

    Suffixes claimed by parser plugins come first (see :mod:`.parsers`).
    """
    from .parsers import kind_for_name

    claimed = kind_for_name(name)
    if claimed is not None:
        return claimed
    if is_policy_file(name):
        return None  # read for who may see what (ingest.access), never indexed
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


def _might_index(name: str) -> bool:
    """Could a file of this name be indexed, on its own or as a model-dir member?"""
    lower = name.lower()
    return classify(name) is not None or _is_weight(lower) or _is_companion(lower)


def _is_companion(lower: str) -> bool:
    """A model-dir member that is not a weight file (configs, tokenizer files, cards)."""
    return (
        lower.endswith(".json")  # config, model_index, generation_config, tokenizer*, *.safetensors.index
        or lower.startswith("tokenizer")
        or lower.startswith("vocab.")
        or lower in ("merges.txt", "spiece.model", "sentencepiece.bpe.model")
        or lower in _MODEL_CARDS
    )


class _Scanner:
    def __init__(self, root: Path, options: ScanOptions) -> None:
        self.root = root
        self.opts = options
        self.files: list[ScannedFile | _ModelDir] = []
        self.errors: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []
        self.skipped = 0
        self.real_root = os.path.realpath(root)  # the boundary links may not leave
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
        warnings = sorted(self.warnings, key=lambda e: e[0].split("/"))
        return ScanResult(root=root, files=files, errors=errors, skipped=self.skipped, warnings=warnings)

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
        top = os.path.realpath(chain[-1])  # their links may not leave the enclosing work tree
        for folder in reversed(chain):
            spec = self._load_ignore_file(folder / ".gitignore", None, top)
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
            self.errors.append((d.rel, f"cannot read directory: {one_line(exc.strerror or exc)}"))
            return False
        key = (st.st_dev, st.st_ino)
        inside = parent_real == target_real or parent_real.startswith(target_real.rstrip(os.sep) + os.sep)
        if key in d.ancestors or inside:
            self.errors.append((d.rel, f"symlink loop: {name} -> {one_line(d.link or '')}"))
            return False
        if key in self.visited:
            self.errors.append(
                (d.rel, f"symlink to a directory already scanned: {name} -> {one_line(d.link or '')}")
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
            self.errors.append((shown, f"cannot read directory: {one_line(exc.strerror or exc)}"))
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
                spec = self._load_ignore_file(Path(d.path) / ignore_name, base + ignore_name, self.real_root)
                if spec is not None:
                    ignores = (*ignores, (base, "", spec))

        # Resolve each entry once: (entry, rel, stat or None, is_dir).
        resolved = [r for r in (self._resolve(entry, base + entry.name, ignores) for entry in entries) if r]

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

    def _resolve(
        self, entry: os.DirEntry[str], rel: str, ignores: tuple[_Ignore, ...]
    ) -> tuple[os.DirEntry[str], str, os.stat_result | None, bool] | None:
        """``(entry, rel, stat of a link's target or None, is_dir)``, or None when it is not walked."""
        try:
            is_link = entry.is_symlink()
        except OSError:
            is_link = False
        est: os.stat_result | None = None
        if is_link:
            if not self.opts.follow_symlinks:
                self.skipped += 1
                return None
            try:
                est = os.stat(entry.path)
            except OSError as exc:
                if self._ignored(rel, False, ignores):
                    self.skipped += 1
                else:
                    self._link_error(entry, rel, exc)
                return None
            is_dir = stat.S_ISDIR(est.st_mode)
        else:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
        if is_dir and entry.name in SKIP_DIRS:
            return None
        if self._ignored(rel, is_dir, ignores):
            if not is_dir:
                self.skipped += 1
            return None
        if is_link and not self._link_allowed(entry, rel, is_dir):
            return None
        return entry, rel, est, is_dir

    def _link_allowed(self, entry: os.DirEntry[str], rel: str, is_dir: bool) -> bool:
        """May this link be followed? Not when its resolved target leaves the root (a warning).

        A folder link to an ancestor of itself is left to :meth:`_enter_link`, which
        reports it as a loop. ``follow_external_links`` allows everything.
        """
        if self.opts.follow_external_links:
            return True
        target = os.path.realpath(entry.path)
        if _within(target, self.real_root):
            return True
        if is_dir and _within(os.path.realpath(os.path.dirname(entry.path)), target):
            return True  # a loop: reported as one when the folder is entered
        if not is_dir and not _might_index(entry.name):
            self.skipped += 1  # never indexed whatever it points at (an ignore file warns on its own)
            return False
        self.warnings.append(
            (
                rel,
                f"symlink leaves the indexed folder: {entry.name} -> {_link_text(entry.path)} (not followed)",
            )
        )
        return False

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
            self.errors.append((rel, f"cannot stat: {one_line(exc.strerror or exc)}"))
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
            self.files.append(
                ScannedFile(
                    self.root / rel,
                    rel,
                    kind,
                    st.st_size,
                    st.st_mtime_ns,
                    follow_external_links=self.opts.follow_external_links,
                )  # fmt: skip
            )

    # -- helpers --------------------------------------------------------------------------
    def _readable(self, path: str, rel: str, st: os.stat_result) -> bool:
        """Non-empty and opens for reading as a regular file; otherwise record why not.

        ``st`` (from the listing) already says it is a regular file; the open checks again,
        without blocking, in case it was swapped for a FIFO or a device since.
        """
        if st.st_size == 0:
            self.errors.append((rel, "empty file (0 bytes)"))
            return False
        try:
            os.close(open_regular(path))
        except PermissionError:
            self.errors.append((rel, "permission denied"))
            return False
        except OSError as exc:
            self.errors.append((rel, f"cannot open: {one_line(exc.strerror or exc)}"))
            return False
        return True

    def _link_error(self, entry: os.DirEntry[str], rel: str, exc: OSError) -> None:
        target = _link_text(entry.path)
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

    def _load_ignore_file(self, path: Path, rel: str | None, boundary: str) -> pathspec.GitIgnoreSpec | None:
        """The patterns of one ignore file; None (and, for ``rel``, an error) when it cannot be used.

        A link out of ``boundary`` is not read (a warning for ``rel``) unless
        ``follow_external_links``; only a regular file under 1 MB is read.
        """
        if os.path.islink(path) and not self.opts.follow_external_links:
            if not _within(os.path.realpath(path), boundary):
                if rel is not None:
                    self.warnings.append(
                        (
                            rel,
                            f"ignore file not used: symlink leaves the indexed folder: "
                            f"{path.name} -> {_link_text(str(path))} (not followed)",
                        )
                    )
                return None
        try:
            text = _read_regular(str(path), _IGNORE_READ_LIMIT).decode("utf-8", errors="replace")
            lines = text.splitlines()
            return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        except (OSError, ValueError) as exc:
            if rel is not None:
                self.errors.append((rel, f"ignore file not used: {_reason(exc)}"))
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
            file_kind="model_dir",
            size=sum(m[1] for m in members),
            mtime_ns=max(m[2] for m in members),
            members=tuple(m[0] for m in members),
            follow_external_links=self.opts.follow_external_links,
        )


def _config_marker(path: str) -> tuple[bool, str | None]:
    """Does this config.json describe a model? Returns (marker, problem)."""
    try:
        data = _read_head(path, _MARKER_READ_LIMIT + 1)
    except OSError:
        return False, None  # reported when it is visited as a file (a FIFO or device: skipped)
    if len(data) > _MARKER_READ_LIMIT:
        return bool(_MARKER_RE.search(data[:_MARKER_READ_LIMIT])), None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return False, f"invalid JSON: {one_line(exc)}"
    return isinstance(obj, dict) and any(key in obj for key in _MARKER_KEYS), None


# -- opening hostile files ------------------------------------------------------------------------


def _within(path: str, folder: str) -> bool:
    """Is the (resolved) ``path`` ``folder`` itself or below it?"""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _reason(exc: Exception) -> str:
    """One line for a failed read, without the path (the entry names it)."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError) and exc.strerror:
        return one_line(exc.strerror)
    return one_line(exc)


def _link_text(path: str) -> str:
    """A link's target as written (one line), for messages; ``?`` when it cannot be read."""
    try:
        return one_line(os.readlink(path))
    except OSError:
        return "?"


def open_regular(path: str) -> int:
    """A read-only descriptor of the regular file at ``path``; ``OSError`` for anything else.

    ``O_NONBLOCK`` makes opening a FIFO return at once, ``O_NOCTTY`` keeps a terminal from
    becoming ours, and ``fstat`` then checks what was really opened (the listing may be stale).
    Callers stat first, so a device is normally never opened at all.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", path)
    return fd


def _read_head(path: str, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file (stat first: a FIFO or device is never opened)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", path)
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit)


def _read_regular(path: str, limit: int) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes; ``ValueError`` when it is larger."""
    data = _read_head(path, limit + 1)
    if len(data) > limit:
        raise ValueError(f"file is over the {human_size(limit)} limit")
    return data
