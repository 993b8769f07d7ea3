"""When a file was created and changed, and by whom, from git (or the filesystem).

:func:`repo_history` reads the whole history under a root in one ``git log`` pass, so
a workspace of 10k files costs one subprocess, not 10k. :func:`file_info` looks one
file up in that map and falls back to filesystem times for files git does not know.
Nothing here raises: no git, no repository, no commits or a broken ``.git`` all give
an empty history.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

_FIELD = "\x1f"
# Each commit starts with a NUL, then hash, author (mailmap applied), ISO author date, subject.
_FORMAT = "%x00%H%x1f%aN%x1f%aI%x1f%s"


@dataclass(frozen=True)
class GitInfo:
    """History of one file."""

    created: datetime | None  # first commit touching the file (author date, tz-aware UTC)
    modified: datetime | None  # last commit touching it
    authors: tuple[str, ...]  # distinct author names, most commits first
    commit_count: int
    last_message: str  # subject line of the last commit
    source: str  # "git" | "filesystem"


def repo_history(root: Path) -> dict[str, GitInfo]:
    """Map every committed, still-tracked file under ``root`` (posix path relative to root) to its history.

    Returns ``{}`` when ``root`` is not in a git work tree, the repository has no
    commits, is bare or broken, or git is not installed.
    """
    try:
        return _repo_history(Path(root))
    except Exception as exc:  # GitPython raises many types; a history is optional
        log.debug("no git history for %s: %s", root, exc)
        return {}


def file_info(root: Path, relpath: str, history: dict[str, GitInfo]) -> GitInfo:
    """History of one file: the git entry, else filesystem times (``source="filesystem"``).

    On the filesystem ``created`` is the birth time where the OS reports one, else the
    earlier of ctime and mtime (Linux does not expose birth times to Python).
    """
    key = relpath.replace(os.sep, "/").removeprefix("./")
    found = history.get(key)
    if found is not None:
        return found
    try:
        st = os.stat(Path(root) / key)
    except (OSError, ValueError):
        return GitInfo(None, None, (), 0, "", "filesystem")
    birth = getattr(st, "st_birthtime", None)
    created = birth if birth is not None else min(st.st_ctime, st.st_mtime)
    return GitInfo(
        created=datetime.fromtimestamp(created, UTC),
        modified=datetime.fromtimestamp(st.st_mtime, UTC),
        authors=(),
        commit_count=0,
        last_message="",
        source="filesystem",
    )


def _repo_history(root: Path) -> dict[str, GitInfo]:
    import git  # raises ImportError when no git executable is found

    real_root = os.path.realpath(root)  # a link into a work tree: look for .git above its target
    try:
        repo = git.Repo(real_root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return {}
    try:
        if repo.bare or repo.working_tree_dir is None or not repo.head.is_valid():
            return {}
        top = os.path.realpath(repo.working_tree_dir)
        rel = os.path.relpath(real_root, top)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            return {}
        prefix = "" if rel == os.curdir else rel.replace(os.sep, "/") + "/"
        pathspec = rel if prefix else "."
        # -z: NUL-separated, unquoted paths; literal pathspecs: a folder named "[x]" is not a glob.
        exe = git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
        out = repo.git.execute(
            [
                exe,
                "--literal-pathspecs",
                "-c",
                "log.showRoot=true",
                "log",
                "-z",
                "--name-only",
                "--no-renames",
                "--no-show-signature",
                "--no-color",
                f"--format={_FORMAT}",
                "--",
                pathspec,
            ]
        )
        tracked = repo.git.execute([exe, "--literal-pathspecs", "ls-files", "-z", "--", pathspec])
    finally:
        repo.close()
    keep = {p[len(prefix) :] for p in str(tracked).split("\0") if p.startswith(prefix)}
    return _parse_log(str(out), prefix, keep)


def _parse_log(out: str, prefix: str, keep: set[str]) -> dict[str, GitInfo]:
    """Fold ``git log -z --name-only`` output (newest commit first) into per-file infos."""
    # path -> [earliest, latest author date, Counter(author), authors in first-seen order, count, last subject]
    acc: dict[str, list] = {}
    header: tuple[str, datetime, str] | None = None
    expect_header = False
    first_name = False
    for token in out.split("\0"):
        if token == "":
            expect_header = True
            continue
        if expect_header:
            expect_header = False
            parts = token.split(_FIELD)
            if len(parts) != 4:
                header = None
                continue
            _sha, author, date, subject = parts
            try:
                when = datetime.fromisoformat(date).astimezone(UTC)
            except ValueError:
                header = None
                continue
            header = (author, when, subject)
            first_name = True
            continue
        if header is None:
            continue
        name = token[1:] if first_name and token.startswith("\n") else token
        first_name = False
        if not name.startswith(prefix):
            continue
        path = name[len(prefix) :]
        if path not in keep:
            continue  # deleted since, or outside the root
        author, when, subject = header
        entry = acc.get(path)
        if entry is None:
            acc[path] = [when, when, Counter({author: 1}), [author], 1, subject]
        else:
            entry[0] = min(entry[0], when)  # author dates need not follow the log order
            entry[1] = max(entry[1], when)
            entry[2][author] += 1
            if author not in entry[3]:
                entry[3].append(author)
            entry[4] += 1
    history: dict[str, GitInfo] = {}
    for path, (created, modified, counts, order, count, message) in acc.items():
        authors = sorted(order, key=lambda a: (-counts[a], order.index(a)))
        history[path] = GitInfo(
            created=created,
            modified=modified,
            authors=tuple(authors),
            commit_count=count,
            last_message=message,
            source="git",
        )
    return history


def combine(infos: list[GitInfo]) -> GitInfo | None:
    """One history for a group of files (a model directory): earliest creation, latest change."""
    infos = [i for i in infos if i.source == "git"] or infos
    if not infos:
        return None
    latest = max(infos, key=lambda i: i.modified.timestamp() if i.modified else 0.0)
    authors: dict[str, int] = {}
    for info in infos:
        for rank, name in enumerate(info.authors):
            authors[name] = authors.get(name, 0) + len(info.authors) - rank
    created = [i.created for i in infos if i.created]
    return GitInfo(
        created=min(created) if created else None,
        modified=latest.modified,
        authors=tuple(sorted(authors, key=lambda a: -authors[a])),
        commit_count=max(i.commit_count for i in infos),
        last_message=latest.last_message,
        source=infos[0].source,
    )
