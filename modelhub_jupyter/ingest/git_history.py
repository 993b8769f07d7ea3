"""When a file was created and changed, and by whom, from git (or the filesystem).

:func:`repo_history` reads the whole history under a root in one ``git log`` pass, so
a workspace of 10k files costs one subprocess, not 10k. :func:`file_info` looks one
file up in that map and falls back to filesystem times for files git does not know.
Nothing here raises: no git, no repository, no commits or a broken ``.git`` all give
an empty history.

The repository is hostile (see DESIGN.md, "Safety"): its ``.git/config`` (and every file
it includes) may name commands for git to run. git is therefore run directly (no GitPython,
which reads the config and refs itself, without a time bound), only with read-only plumbing
that needs neither the index nor the work tree (``rev-parse``, ``ls-tree``, ``log
--name-only``), with every executing setting overridden on the command line (command-line
config beats the repository's), in a cleaned environment, without network transports, in
its own process group, and with a timeout. See :data:`SAFE_CONFIG` and :func:`git_env`.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..config import default_git_timeout
from ..errors import one_line

log = logging.getLogger(__name__)

_FIELD = "\x1f"
# Each commit starts with a NUL, then hash, author (mailmap applied), ISO author date, subject.
_FORMAT = "%x00%H%x1f%aN%x1f%aI%x1f%s"

#: Network transports git knows by name: each gets its own ``protocol.<name>.allow=never``,
#: since a per-protocol setting in the repository's config beats ``protocol.allow``.
_PROTOCOLS = ("file", "git", "ssh", "http", "https", "ftp", "ftps", "ext", "fd")

#: ``-c`` settings on every git command. Command-line config wins over the repository's
#: ``.git/config`` and whatever it includes, so each of these neutralises a setting that
#: makes git run a program (or read a file the repository names).
SAFE_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",  # a hook run whenever the index is read (ls-files, status, ...)
    f"core.hooksPath={os.devnull}",  # no hooks (post-index-change, reference-transaction, ...)
    "core.pager=cat",  # with --no-pager and a pipe for stdout, belt and braces
    "core.editor=false",  # nothing here edits; were it to, it fails instead of running
    "sequence.editor=false",
    "core.sshCommand=false",  # transports are off (below); these only make sure
    "core.askPass=",  # empty: no askpass program (GIT_ASKPASS/SSH_ASKPASS are unset)
    "credential.helper=",  # an empty value clears the helper list
    "diff.external=",  # also --no-ext-diff on log
    "gpg.program=false",  # log.showSignature would verify signatures with it
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "log.showSignature=false",
    "protocol.allow=never",  # a lazy fetch (partial clone) runs remote.*.uploadpack, ssh, ext::
    *(f"protocol.{name}.allow=never" for name in _PROTOCOLS),
    "safe.bareRepository=explicit",  # a bare repository found by discovery is not used
    f"mailmap.file={os.devnull}",  # a file anywhere on disk, read for author names
    f"diff.orderFile={os.devnull}",  # a file anywhere on disk (a FIFO would block)
    "gc.auto=0",  # log never gcs; if anything did, no auto gc / maintenance
    "maintenance.auto=false",
    "log.follow=false",  # output the parser expects, whatever the repository says
    "log.showRoot=true",
    "i18n.logOutputEncoding=UTF-8",
)

#: Environment variables set on every git command (see :func:`git_env`).
SAFE_ENV: dict[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",  # the system config is not ours to vouch for
    "GIT_CONFIG_GLOBAL": os.devnull,  # nor the user's (their safe.directory is forwarded)
    "GIT_TERMINAL_PROMPT": "0",  # never wait for a password
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_EDITOR": "false",
    "GIT_OPTIONAL_LOCKS": "0",  # read-only: never refresh and write the index
    "GIT_ALLOW_PROTOCOL": "",  # an allow-list with no protocol: beats every protocol.* setting
    "GIT_PROTOCOL_FROM_USER": "0",
    "GIT_NO_LAZY_FETCH": "1",  # git >= 2.44: a partial clone never fetches missing objects
    "LC_ALL": "C",  # English messages (the ownership refusal is recognised by its text)
    "LANGUAGE": "C",
}

#: Variables never passed to git: anything ``GIT_*`` (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE,
#: GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF, GIT_SSH_COMMAND, GIT_ASKPASS, GIT_EXEC_PATH, ...
#: from a parent git or the user's shell) and these.
_DROP_ENV = frozenset({"SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "EDITOR", "VISUAL", "LESSOPEN", "LESSCLOSE"})

_DUBIOUS = "dubious ownership"  # git's refusal of a repository another user owns


@dataclass(frozen=True)
class GitInfo:
    """History of one file."""

    created: datetime | None  # first commit touching the file (author date, tz-aware UTC)
    modified: datetime | None  # last commit touching it
    authors: tuple[str, ...]  # distinct author names, most commits first
    commit_count: int
    last_message: str  # subject line of the last commit
    source: str  # "git" | "filesystem"


def repo_history(
    root: Path,
    *,
    timeout: float | None = None,
    warnings: list[tuple[str, str]] | None = None,
) -> dict[str, GitInfo]:
    """Map every file under ``root`` in the ``HEAD`` commit (posix path relative to root) to its history.

    Returns ``{}`` when ``root`` is not in a git work tree, the repository has no
    commits, is bare or broken, or git is not installed. ``timeout`` bounds each git
    command (default ``MODELHUB_GIT_TIMEOUT``, 60 s). A timeout, or a repository git
    refuses because another user owns it, also gives ``{}``, logged and appended to
    ``warnings`` as ``(".", reason)`` (the root's own entry) so the run can report it.
    """
    limit = default_git_timeout() if timeout is None else timeout
    try:
        return _repo_history(Path(root), limit)
    except GitError as exc:
        if not exc.warn:
            log.debug("no git history for %s: %s", root, exc)
            return {}
        reason = f"git history not read, file times used instead: {exc}"
        log.warning("%s: %s", root, reason)
        if warnings is not None:
            warnings.append((".", reason))
        return {}
    except Exception as exc:  # a history is optional: whatever goes wrong, file times do
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


# -- running git ---------------------------------------------------------------------------------


class GitError(Exception):
    """A git command failed or ran past its timeout; ``str()`` is one line.

    ``warn`` marks the failures a user should hear about (a timeout, a repository git
    refuses to read) rather than the ordinary ones (not a repository, no commits yet).
    """

    def __init__(self, message: str, *, warn: bool = False, refused: bool = False) -> None:
        super().__init__(message)
        self.warn = warn
        self.refused = refused


def git_env() -> dict[str, str]:
    """The environment git runs in: ours, without any ``GIT_*`` variable of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in _DROP_ENV}
    env.update(SAFE_ENV)
    return env


def _config_args(settings: tuple[str, ...]) -> list[str]:
    return [arg for setting in settings for arg in ("-c", setting)]


def _run_git(argv: list[str], cwd: str, env: dict[str, str], timeout: float) -> bytes:
    """Run one git command; its stdout, or :class:`GitError` (failure, refusal, timeout)."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a timeout kills whatever it started too
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise GitError(f"`git {_verb(argv)}` ran over {timeout:g} s", warn=True) from None
    if proc.returncode != 0:
        text = err.decode("utf-8", "replace")
        if _DUBIOUS in text:
            raise GitError(
                "git refuses the repository: it is owned by another user "
                "(add it to safe.directory in your git config to trust it)",
                warn=True,
                refused=True,
            )
        raise GitError(f"`git {_verb(argv)}` failed: {one_line(text) or f'exit {proc.returncode}'}")
    return out


def _verb(argv: list[str]) -> str:
    """The git subcommand of ``argv`` (the first argument after the ``-c`` pairs and options)."""
    args = iter(argv[1:])
    for arg in args:
        if arg == "-c":
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return "?"


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill a timed-out git and everything in its process group, then reap it."""
    killpg, sigkill = getattr(os, "killpg", None), getattr(signal, "SIGKILL", None)
    try:
        if killpg is None or sigkill is None:
            raise OSError("no process groups here")
        killpg(proc.pid, sigkill)
    except OSError:
        proc.kill()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    proc.wait()


def _user_safe_directories(git: str, timeout: float) -> tuple[str, ...]:
    """The user's own ``safe.directory`` entries, from their system and global git config.

    git reads ``safe.directory`` only from config a repository cannot write (system,
    global, command line); our git runs without the first two, so their entries are
    passed on the command line. Read from ``/`` with the caller's config locations.
    """
    keep = {"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in keep}
    env.update(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    argv = [git, "--no-pager", "config", "--show-scope", "-z", "--get-all", "safe.directory"]
    try:
        out = _run_git(argv, os.path.abspath(os.sep), env, timeout)
    except GitError:
        return ()  # exit 1: none set
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    pairs = zip(fields[0::2], fields[1::2], strict=False)
    return tuple(value for scope, value in pairs if scope in ("system", "global"))


class _Git:
    """git commands in one repository, run the safe way (see the module docstring)."""

    def __init__(self, git: str, cwd: str, timeout: float) -> None:
        self.git = git
        self.cwd = cwd
        self.timeout = timeout
        self.trusted: tuple[str, ...] = ()  # safe.directory entries forwarded from the user's config

    def run(self, *args: str) -> bytes:
        """stdout of ``git <args>``; :class:`GitError` otherwise."""
        settings = SAFE_CONFIG + tuple(f"safe.directory={d}" for d in self.trusted)
        argv = [self.git, "--no-pager", "--literal-pathspecs", *_config_args(settings), *args]
        return _run_git(argv, self.cwd, git_env(), self.timeout)

    def prefix(self) -> str | None:
        """The root's path in its work tree (``""`` at the top, else ``"sub/"``); None outside one.

        A repository owned by another user is read only if the user's own git config
        trusts it (``safe.directory``); otherwise :class:`GitError` with ``refused``.
        """
        try:
            out = self.run("rev-parse", "--is-inside-work-tree", "--show-prefix")
        except GitError as exc:
            if not exc.refused:
                raise
            self.trusted = _user_safe_directories(self.git, self.timeout)
            if not self.trusted:
                raise
            out = self.run("rev-parse", "--is-inside-work-tree", "--show-prefix")
        text = out.decode("utf-8", "surrogateescape")
        inside, _, rest = text.partition("\n")
        if inside != "true":
            return None
        return rest[:-1] if rest.endswith("\n") else rest


def _repo_history(root: Path, timeout: float) -> dict[str, GitInfo]:
    git = shutil.which("git")
    if git is None:
        return {}
    cwd = os.path.realpath(root)  # a link into a work tree: look for .git above its target
    if not os.path.isdir(cwd):
        return {}
    repo = _Git(git, cwd, timeout)
    prefix = repo.prefix()
    if prefix is None:
        return {}  # not in a work tree (inside .git, or a bare repository)
    # ls-tree run in the root lists HEAD's files under it, relative to it; it reads neither
    # the index (no fsmonitor, no filters) nor the work tree. Fails without commits.
    tracked = repo.run("ls-tree", "-r", "-z", "--name-only", "HEAD")
    # -z: NUL-separated, unquoted paths; literal pathspecs: a folder named "[x]" is not a glob.
    out = repo.run(
        "log",
        "-z",
        "--name-only",
        "--no-renames",
        "--no-show-signature",
        "--no-color",
        "--no-textconv",
        "--no-ext-diff",
        "--no-notes",
        f"--format={_FORMAT}",
        "--",
        ".",
    )
    keep = set(tracked.decode("utf-8", "surrogateescape").split("\0")) - {""}
    return _parse_log(out.decode("utf-8", "surrogateescape"), prefix, keep)


def _text(value: str) -> str:
    """A field of a commit header as text: bytes that are not UTF-8 become U+FFFD."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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
            author, subject = _text(author), _text(subject)
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
