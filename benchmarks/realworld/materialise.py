"""Rebuild the public development corpus (``manifest.yaml``) from a folder of git mirrors.

    .venv/bin/python benchmarks/realworld/materialise.py --mirrors DIR --out DIR [--manifest FILE]

``--mirrors`` holds one bare git directory per repository, named ``<owner>+<name>`` with the git
directory either that folder itself or its ``repo/`` subfolder (what the fetch tool leaves under
``/work/.mirror``). Each file is read with ``git cat-file blob <id>`` and its blob id is checked
against the manifest (and that the commit's path still names that blob when the commit is there).
Nothing from a repository is executed: git runs in a clean environment with no system or global
configuration, hooks and fsmonitor off, no pager, and a timeout. ``--out`` is created (it must be
empty or absent); the files land at their ``target`` paths.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.yaml"
GIT_TIMEOUT = 60


@dataclass(frozen=True)
class Entry:
    target: str
    group: str
    repo: str
    commit: str
    path: str
    blob: str
    size: int
    licence: str


def load_manifest(path: Path = MANIFEST) -> list[Entry]:
    """The manifest's entries, checked: unique targets that stay inside the corpus folder."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    entries = [Entry(**{k: item[k] for k in Entry.__dataclass_fields__}) for item in data["files"]]
    seen: set[str] = set()
    for e in entries:
        target = Path(e.target)
        if target.is_absolute() or ".." in target.parts:
            raise ValueError(f"{path}: target {e.target!r} leaves the corpus folder")
        if e.target in seen:
            raise ValueError(f"{path}: duplicate target {e.target!r}")
        seen.add(e.target)
    return entries


def git_dir(mirrors: Path, repo: str) -> Path:
    """The bare git directory of ``owner/name`` under ``mirrors``."""
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo", base):
        if (candidate / "objects").is_dir() and (candidate / "HEAD").is_file():
            return candidate
    raise FileNotFoundError(f"no mirror of {repo} under {mirrors} (looked for {base}/repo and {base})")


def _git(gitdir: Path, *args: str) -> bytes:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_ATTR_NOSYSTEM": "1",
        "LC_ALL": "C",
    }
    cmd = [
        "git", f"--git-dir={gitdir}", "-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null",
        "-c", "core.pager=cat", "-c", "protocol.allow=never", "--no-replace-objects", *args,
    ]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {gitdir}: {out.stderr.decode(errors='replace').strip()}")
    return out.stdout


def blob_id(data: bytes) -> str:
    """The git (sha1) blob id of ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_entry(mirrors: Path, e: Entry) -> bytes:
    """The file's bytes from its mirror, with the blob id (and the commit's path, if present) checked."""
    gitdir = git_dir(mirrors, e.repo)
    data = _git(gitdir, "cat-file", "blob", e.blob)
    if blob_id(data) != e.blob:
        raise RuntimeError(f"{e.repo}:{e.path}: content does not hash to blob {e.blob}")
    if len(data) != e.size:
        raise RuntimeError(f"{e.repo}:{e.path}: {len(data)} bytes, manifest says {e.size}")
    try:
        named = _git(gitdir, "rev-parse", f"{e.commit}:{e.path}").decode().strip()
    except RuntimeError:
        named = None  # a shallower mirror without that commit: the blob id alone vouches for it
    if named is not None and named != e.blob:
        raise RuntimeError(f"{e.repo}@{e.commit[:10]}:{e.path} is blob {named}, manifest says {e.blob}")
    return data


def materialise(mirrors: Path, out: Path, manifest: Path = MANIFEST) -> list[Entry]:
    """Write every manifest file under ``out``; return the entries written."""
    entries = load_manifest(manifest)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    for e in entries:
        data = read_entry(mirrors, e)
        dest = out / e.target
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of bare git mirrors")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder to create")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    try:
        entries = materialise(args.mirrors, args.out, args.manifest)
    except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
        print(f"materialise: {exc}", file=sys.stderr)
        return 1
    repos = len({e.repo for e in entries})
    print(f"{len(entries)} files from {repos} repositories written under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
