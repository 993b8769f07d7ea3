"""Hostile workspaces: git settings that run commands, links out of the root, FIFOs and devices.

DESIGN.md, "Safety: every indexed folder is hostile". Each git setting that can make git
run a program points at a script of its own that leaves a marker file; no marker may ever
appear, and the history must still be read.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from modelhub_jupyter.config import Settings
from modelhub_jupyter.ingest import git_history, scanner
from modelhub_jupyter.ingest.git_history import SAFE_CONFIG, repo_history
from modelhub_jupyter.ingest.scanner import ScanOptions, ScanResult, scan

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

# Building the repositories: never with the machine's own git config.
_BUILD_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

HF_CONFIG = json.dumps({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"})


def run_git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git to build a fixture (with a clean config); stdout."""
    out = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env={**_BUILD_ENV, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def commit(repo: Path, files: dict[str, str], message: str, author: str, date: str) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    run_git(repo, "add", "--", *files)
    who = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    email = f"{author.lower()}@example.com"
    run_git(
        repo, "-c", f"user.name={author}", "-c", f"user.email={email}", "commit", "-q", "-m", message, env=who
    )


def signed_commit(repo: Path, rel: str, text: str, author: str, stamp: int) -> None:
    """A commit with a (fake) PGP signature: ``log.showSignature`` would run ``gpg.program`` on it."""
    (repo / rel).write_text(text)
    run_git(repo, "add", "--", rel)
    tree = run_git(repo, "write-tree").strip()
    parent = run_git(repo, "rev-parse", "HEAD").strip()
    body = (
        f"tree {tree}\nparent {parent}\n"
        f"author {author} <{author.lower()}@example.com> {stamp} +0000\n"
        f"committer {author} <{author.lower()}@example.com> {stamp} +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n"
        "\nsigned change\n"
    )
    obj = repo / ".git" / "signed-commit.txt"
    obj.write_text(body)
    sha = run_git(repo, "hash-object", "-t", "commit", "-w", str(obj)).strip()
    obj.unlink()
    run_git(repo, "update-ref", "HEAD", sha)


class Markers:
    """Scripts that each leave ``<markers>/<name>`` when run (and pass stdin through)."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "markers"
        self.bin = base / "bin"
        self.dir.mkdir()
        self.bin.mkdir()

    def script(self, name: str, passthrough: bool = True) -> str:
        path = self.bin / f"evil-{name}"
        cat = "cat 2>/dev/null\n" if passthrough else ""
        path.write_text(f'#!/bin/sh\ntouch "{self.dir / name}"\n{cat}exit 0\n')
        path.chmod(0o755)
        return str(path)

    def found(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir())


#: Hooks a hooks folder (core.hooksPath or .git/hooks) could hold.
HOOKS = (
    "post-index-change", "reference-transaction", "post-checkout", "post-commit", "pre-commit",
    "pre-auto-gc", "post-rewrite", "post-merge", "pre-push", "fsmonitor-watchman", "push-to-checkout",
)  # fmt: skip


def hostile_config(m: Markers, fifo: Path, include: Path) -> str:
    """A ``.git/config`` that tries every setting that makes git run something (or block)."""
    s = m.script
    sections = {
        "core": {
            "fsmonitor": s("core.fsmonitor"),
            "hooksPath": str(m.bin.parent / "hooks"),
            "pager": s("core.pager"),
            "editor": s("core.editor"),
            "sshCommand": s("core.sshCommand"),
            "gitProxy": s("core.gitProxy"),
            "askPass": s("core.askPass"),
            "alternateRefsCommand": s("core.alternateRefsCommand"),
            "untrackedCache": "true",
        },
        "sequence": {"editor": s("sequence.editor")},
        "diff": {"external": s("diff.external"), "orderFile": str(fifo), "submodule": "log"},
        'diff "evil"': {"textconv": s("diff.evil.textconv"), "command": s("diff.evil.command")},
        'filter "evil"': {
            "clean": s("filter.evil.clean"),
            "smudge": s("filter.evil.smudge"),
            "process": s("filter.evil.process"),
            "required": "true",
        },
        'merge "evil"': {"driver": s("merge.evil.driver")},
        "gpg": {"program": s("gpg.program")},
        'gpg "ssh"': {"program": s("gpg.ssh.program"), "defaultKeyCommand": s("gpg.ssh.defaultKeyCommand")},
        'gpg "x509"': {"program": s("gpg.x509.program")},
        "log": {"showSignature": "true", "follow": "true"},
        "credential": {"helper": s("credential.helper")},
        "pager": {name: s(f"pager.{name}") for name in ("log", "ls-tree", "ls-files", "rev-parse", "status")},
        "alias": {name: "!" + s(f"alias.{name}") for name in ("log", "ls-tree", "ls-files", "rev-parse")},
        'remote "origin"': {
            "url": f"ext::{s('remote.ext')} %S",
            "uploadpack": s("remote.uploadpack"),
            "receivepack": s("remote.receivepack"),
        },
        "protocol": {"allow": "always"},
        'protocol "ext"': {"allow": "always"},
        'protocol "file"': {"allow": "always"},
        "uploadpack": {"packObjectsHook": s("uploadpack.packObjectsHook")},
        "mailmap": {"file": str(fifo)},
        "gc": {"auto": "1", "autoDetach": "false"},
        "include": {"path": str(include)},
        'includeIf "gitdir:/"': {"path": str(include) + ".if"},
    }
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f'\t{key} = "{value}"' for key, value in values.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture()
def hostile_repo(tmp_path: Path) -> tuple[Path, Markers]:
    """ws/: Alice adds train.py, model.py, Bob edits train.py, Carol signs a change to it; then
    its ``.git/config``, includes, hooks and attributes are made hostile."""
    ws = tmp_path / "ws"
    ws.mkdir()
    run_git(ws, "init", "-q")
    commit(
        ws,
        {"train.py": "lr = 1\n", "model.py": "import torch\n"},
        "initial import",
        "Alice",
        "2024-01-01T10:00:00+00:00",
    )
    commit(ws, {"train.py": "lr = 2\n"}, "bigger lr", "Bob", "2024-02-01T10:00:00+00:00")
    signed_commit(ws, "train.py", "lr = 3\n", "Carol", 1709287200)  # 2024-03-01T10:00:00Z

    m = Markers(tmp_path)
    fifo = tmp_path / "blocking-fifo"
    os.mkfifo(fifo)
    include = tmp_path / "included.config"
    include.write_text(f'[core]\n\tfsmonitor = "{m.script("include.fsmonitor")}"\n')
    Path(str(include) + ".if").write_text(
        f'[gpg]\n\tprogram = "{m.script("includeIf.gpg")}"\n[core]\n\tpager = "{m.script("includeIf.pager")}"\n'
    )
    for hooks in (tmp_path / "hooks", ws / ".git" / "hooks"):
        hooks.mkdir(exist_ok=True)
        for hook in HOOKS:
            shutil.copy(m.script(f"hook.{hook}"), hooks / hook)
    (ws / ".gitattributes").write_text("* diff=evil filter=evil merge=evil\n")
    (ws / ".git" / "info").mkdir(exist_ok=True)
    (ws / ".git" / "info" / "attributes").write_text("* diff=evil filter=evil merge=evil\n")
    with open(ws / ".git" / "config", "a") as fh:
        fh.write(hostile_config(m, fifo, include))
    for rel in ("train.py", "model.py"):  # stat-dirty: a status would re-hash them through the filter
        os.utime(ws / rel, (0, 0))
    (ws / "untracked.py").write_text("x = 1\n")
    return ws, m


def test_the_hostile_repository_does_run_commands_under_plain_git(hostile_repo) -> None:
    """The fixture is live: the git commands a careless reader uses do run its settings."""
    ws, m = hostile_repo
    env = {**_BUILD_ENV, "GIT_PAGER": "", "PAGER": ""}
    subprocess.run(["git", "ls-files", "-z"], cwd=ws, env=env, capture_output=True, timeout=60)
    subprocess.run(["git", "status"], cwd=ws, env=env, capture_output=True, timeout=60)
    found = m.found()
    assert "include.fsmonitor" in found  # the included config's fsmonitor, run by ls-files
    assert "filter.evil.process" in found  # status re-hashes stat-dirty files through the filter


@pytest.mark.timeout(120)
def test_history_of_a_hostile_repository_runs_nothing(hostile_repo) -> None:
    ws, m = hostile_repo
    warnings: list[tuple[str, str]] = []
    history = repo_history(ws, timeout=30, warnings=warnings)
    assert m.found() == []
    assert warnings == []
    assert sorted(history) == ["model.py", "train.py"]  # committed files (.gitattributes is not)
    train = history["train.py"]
    assert train.authors == ("Carol", "Bob", "Alice")  # one commit each, newest first
    assert train.commit_count == 3
    assert train.last_message == "signed change"
    assert history["model.py"].authors == ("Alice",) and history["model.py"].commit_count == 1


@pytest.mark.timeout(300)
def test_index_and_show_of_a_hostile_repository_run_nothing(
    hostile_repo, tmp_path: Path, shared_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelhub_jupyter import Hub

    ws, m = hostile_repo
    monkeypatch.setenv("MODELHUB_GIT_TIMEOUT", "30")  # a blocked git fails the test fast
    hub = Hub(tmp_path / "home", embedder=shared_embedder)
    try:
        hub.index(ws, progress=False)
        assert m.found() == []
        view = hub.show(ws / "train.py")
        assert view.indexed
        assert view.metadata["authors"] == ["Carol", "Bob", "Alice"]
        assert view.metadata["commit_count"] == 3
        assert view.metadata["history_source"] == "git"
    finally:
        hub.close()

    fresh = Hub(tmp_path / "home2", embedder=shared_embedder)  # nothing indexed: parsed on the fly
    try:
        view = fresh.show(ws / "model.py")
        assert not view.indexed
        assert view.metadata["authors"] == ["Alice"]
        assert view.metadata["commit_count"] == 1
        assert view.metadata["history_source"] == "git"
    finally:
        fresh.close()
    assert m.found() == []


def partial_clone(tmp_path: Path, m: Markers, remote: str) -> Path:
    """A "partial clone" missing a tree: reading the history would fetch it from ``remote``."""
    ws = tmp_path / "partial"
    ws.mkdir()
    run_git(ws, "init", "-q")
    commit(ws, {"sub/a.py": "a\n", "b.py": "b\n"}, "add", "Alice", "2024-01-01T00:00:00+00:00")
    tree = run_git(ws, "rev-parse", "HEAD:sub").strip()
    (ws / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    server = tmp_path / "server.git"
    run_git(tmp_path, "init", "-q", "--bare", str(server))
    url = str(server) if remote == "file" else f"ext::{m.script('ext-transport', passthrough=False)} %S"
    with open(ws / ".git" / "config", "a") as fh:
        fh.write(
            "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tpartialClone = origin\n"
            f'[remote "origin"]\n\turl = "{url}"\n\tpromisor = true\n'
            f'\tuploadpack = "{m.script("uploadpack", passthrough=False)}"\n'
            '[protocol]\n\tallow = always\n[protocol "file"]\n\tallow = always\n'
            '[protocol "ext"]\n\tallow = always\n'
            f'[core]\n\tsshCommand = "{m.script("ssh")}"\n'
        )
    return ws


@pytest.mark.parametrize("remote", ["file", "ext"])
def test_a_lazy_fetch_never_runs_the_remote(tmp_path: Path, remote: str) -> None:
    m = Markers(tmp_path)
    ws = partial_clone(tmp_path, m, remote)
    if remote == "file":  # the fixture is live: plain git runs remote.origin.uploadpack
        plain = subprocess.run(
            ["git", "log", "--name-only", "--format=%H"],
            cwd=ws,
            env=_BUILD_ENV,
            capture_output=True,
            timeout=60,
        )
        assert m.found() == ["uploadpack"], plain.stderr
        for p in m.dir.iterdir():
            p.unlink()
    assert repo_history(ws, timeout=30) == {}  # the missing tree cannot be read, and is not fetched
    assert m.found() == []


def test_no_safe_directory_wildcard_and_every_protocol_off() -> None:
    assert not any(s.startswith("safe.directory") for s in SAFE_CONFIG)
    assert "protocol.allow=never" in SAFE_CONFIG and "protocol.file.allow=never" in SAFE_CONFIG
    env = git_history.git_env()
    assert env["GIT_ALLOW_PROTOCOL"] == "" and env["GIT_CONFIG_NOSYSTEM"] == "1"


def test_callers_git_variables_do_not_leak(
    hostile_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, m = hostile_repo
    other = tmp_path / "other"
    other.mkdir()
    run_git(other, "init", "-q")
    commit(other, {"x.py": "x\n"}, "other", "Mallory", "2024-01-01T00:00:00+00:00")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'core.pager'='{m.script('env.pager')}'")
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", m.script("env.external_diff"))
    monkeypatch.setenv("GIT_PAGER", m.script("env.git_pager"))
    monkeypatch.setenv("GIT_ASKPASS", m.script("env.askpass"))
    monkeypatch.setenv("SSH_ASKPASS", m.script("env.ssh_askpass"))
    history = repo_history(ws, timeout=30)
    assert history["train.py"].commit_count == 3
    assert "x.py" not in history
    assert m.found() == []


# -- safe.directory -------------------------------------------------------------------------


def simple_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    run_git(path, "init", "-q")
    commit(path, {"a.py": "a\n"}, "add a", "Alice", "2024-01-01T00:00:00+00:00")
    return path


def test_repository_of_another_user_gives_file_times_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = simple_repo(tmp_path / "theirs")
    # git's own test switch: behave as if another user owned every repository.
    monkeypatch.setitem(git_history.SAFE_ENV, "GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "user.gitconfig"))  # the user's config: empty
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    warnings: list[tuple[str, str]] = []
    assert repo_history(repo, warnings=warnings) == {}
    assert len(warnings) == 1 and warnings[0][0] == "."
    assert "owned by another user" in warnings[0][1] and "\n" not in warnings[0][1]

    # The user trusts it in their own git config: their safe.directory is honoured.
    (tmp_path / "user.gitconfig").write_text(f"[safe]\n\tdirectory = {repo}\n")
    warnings.clear()
    assert sorted(repo_history(repo, warnings=warnings)) == ["a.py"]
    assert warnings == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a repository to another user")
def test_repository_really_owned_by_another_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = simple_repo(tmp_path / "theirs")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.delenv("SUDO_UID", raising=False)
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, 65534, 65534)
    warnings: list[tuple[str, str]] = []
    try:
        assert repo_history(repo, warnings=warnings) == {}
        assert warnings and "owned by another user" in warnings[0][1]
    finally:
        for path in [repo, *repo.rglob("*")]:
            os.lchown(path, 0, 0)


# -- timeouts ---------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_git_that_hangs_is_killed_and_gives_file_times(tmp_path: Path) -> None:
    repo = simple_repo(tmp_path / "slow")
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)
    with open(repo / ".git" / "config", "a") as fh:
        fh.write(f'[include]\n\tpath = "{fifo}"\n')  # git blocks opening it
    warnings: list[tuple[str, str]] = []
    start = time.monotonic()
    assert repo_history(repo, timeout=1.5, warnings=warnings) == {}
    assert time.monotonic() - start < 20
    assert warnings == [
        (".", "git history not read, file times used instead: `git rev-parse` ran over 1.5 s")
    ]


def test_git_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().git_timeout == 60.0
    monkeypatch.setenv("MODELHUB_GIT_TIMEOUT", "2.5")
    assert Settings().git_timeout == 2.5
    monkeypatch.setenv("MODELHUB_GIT_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="MODELHUB_GIT_TIMEOUT"):
        Settings()


# -- links out of the root ------------------------------------------------------------------


def write(path: Path, text: str | bytes = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def files(result: ScanResult) -> dict[str, str]:
    return {f.relpath: f.file_kind for f in result.files}


def leaves(name: str, target: str | Path) -> str:
    return f"symlink leaves the indexed folder: {name} -> {target} (not followed)"


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """tmp/outside: a secret, a folder of code, a model config and weights."""
    out = tmp_path / "outside"
    write(out / "secret.json", json.dumps({"api_key": "sk-LEAK-0123456789"}))
    write(out / "code" / "stolen.py", "API_KEY = 'sk-LEAK-0123456789'\n")
    write(out / "config.json", HF_CONFIG)
    write(out / "w.safetensors", b"w" * 64)
    write(out / "ignore-everything", "*.py\n")
    return out


def test_file_and_folder_links_out_of_the_root_are_warnings(tmp_path: Path, outside: Path) -> None:
    ws = tmp_path / "ws"
    write(ws / "a.py")
    os.symlink("../outside/secret.json", ws / "secret.json")  # relative
    os.symlink(outside / "secret.json", ws / "abs_secret.json")  # absolute
    os.symlink("../outside/code", ws / "code_rel")
    os.symlink(outside / "code", ws / "code_abs")
    write(tmp_path / "ws-evil" / "x.py")  # a sibling whose name starts like the root's
    os.symlink("../ws-evil/x.py", ws / "sibling.py")
    os.symlink("sub/../../outside/secret.json", ws / "dots.json")  # ".." tricks
    write(ws / "sub" / "in.py")
    os.symlink("./sub/../sub/in.py", ws / "inside.py")  # stays inside: followed

    result = scan(ws)
    assert files(result) == {"a.py": "python", "inside.py": "python", "sub/in.py": "python"}
    assert dict(result.warnings) == {
        "abs_secret.json": leaves("abs_secret.json", outside / "secret.json"),
        "code_abs": leaves("code_abs", outside / "code"),
        "code_rel": leaves("code_rel", "../outside/code"),
        "dots.json": leaves("dots.json", "sub/../../outside/secret.json"),
        "secret.json": leaves("secret.json", "../outside/secret.json"),
        "sibling.py": leaves("sibling.py", "../ws-evil/x.py"),
    }
    assert result.errors == []

    followed = scan(ws, ScanOptions(follow_external_links=True))
    assert "secret.json" in files(followed) and "code_abs/stolen.py" in files(followed)
    assert dict(followed.errors) == {
        "code_rel": "symlink to a directory already scanned: code_rel -> ../outside/code"
    }
    assert followed.warnings == []


def test_chains_are_judged_by_their_final_target(tmp_path: Path, outside: Path) -> None:
    ws = tmp_path / "ws"
    write(ws / "real.py")
    os.symlink("../outside/secret.json", ws / "hop2.json")
    os.symlink("hop2.json", ws / "hop1.json")  # inside -> inside link -> outside
    os.symlink("../ws/real.py", outside / "back.py")
    os.symlink("../outside/back.py", ws / "round_trip.py")  # out and back in: the file is inside
    os.symlink("code", ws / "dir_hop")
    os.symlink("../outside/code", ws / "code")

    result = scan(ws)
    assert files(result) == {"real.py": "python", "round_trip.py": "python"}
    assert dict(result.warnings) == {
        "code": leaves("code", "../outside/code"),
        "dir_hop": leaves("dir_hop", "code"),
        "hop1.json": leaves("hop1.json", "hop2.json"),
        "hop2.json": leaves("hop2.json", "../outside/secret.json"),
    }


def test_model_dir_members_out_of_the_root(
    tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    write(ws / "m" / "config.json", HF_CONFIG)
    write(ws / "m" / "tokenizer.json", "{}")
    os.symlink(outside / "w.safetensors", ws / "m" / "model.safetensors")
    write(ws / "n" / "README.md", "# card\n")
    write(ws / "n" / "model.safetensors", b"w" * 8)
    os.symlink("../../outside/config.json", ws / "n" / "config.json")  # the marker, outside

    read: list[str] = []
    real_marker = scanner._config_marker
    monkeypatch.setattr(scanner, "_config_marker", lambda p: read.append(p) or real_marker(p))
    result = scan(ws)
    assert files(result) == {"m": "model_dir", "n": "model_dir"}
    members = {f.relpath: f.members for f in result.files}
    assert members == {"m": ("config.json", "tokenizer.json"), "n": ("README.md", "model.safetensors")}
    assert dict(result.warnings) == {
        "m/model.safetensors": leaves("model.safetensors", outside / "w.safetensors"),
        "n/config.json": leaves("config.json", "../../outside/config.json"),
    }
    assert all(not p.startswith(str(outside)) and not p.endswith("n/config.json") for p in read)


def test_links_to_devices_and_proc_are_never_read(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write(ws / "a.py")
    os.symlink("/dev/zero", ws / "zero.json")
    os.symlink("/dev/zero", ws / "zero.safetensors")
    os.symlink("/proc/self/environ", ws / "environ.json")
    result = scan(ws)
    assert files(result) == {"a.py": "python"}
    assert set(dict(result.warnings)) == {"environ.json", "zero.json", "zero.safetensors"}

    followed = scan(ws, ScanOptions(follow_external_links=True))  # asked for: still never read
    assert files(followed) == {"a.py": "python"}
    assert dict(followed.errors) == {"environ.json": "empty file (0 bytes)"}


@pytest.mark.timeout(60)
def test_fifos_sockets_and_devices_never_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    write(ws / "a.py")
    os.mkfifo(ws / "pipe.py")
    os.mkfifo(ws / ".gitignore")  # an ignore file that is a FIFO
    write(ws / "m" / "model.safetensors", b"w" * 8)
    write(ws / "m" / "README.md", "# card\n")
    os.mkfifo(ws / "m" / "config.json")  # the model-dir marker read, as a FIFO
    os.mkfifo(ws / "m" / "tokenizer.json")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(ws / "sock.py"))
    if os.geteuid() == 0:
        os.mknod(ws / "dev.json", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # a /dev/zero
        os.mknod(ws / ".modelhubignore", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    opened: list[str] = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    try:
        result = scan(ws)
    finally:
        sock.close()
    assert files(result) == {"a.py": "python", "m": "model_dir"}
    assert result.files[1].members == ("README.md", "model.safetensors")
    assert dict(result.errors)[".gitignore"] == "ignore file not used: not a regular file"
    special = {
        "pipe.py",
        ".gitignore",
        "config.json",
        "tokenizer.json",
        "sock.py",
        "dev.json",
        ".modelhubignore",
    }
    assert not [p for p in opened if os.path.basename(p) in special]


def test_ignore_file_links_out_of_the_root(tmp_path: Path, outside: Path) -> None:
    ws = tmp_path / "ws"
    write(ws / "a.py")
    os.symlink(outside / "ignore-everything", ws / ".gitignore")  # would hide a.py if read
    write(ws / "sub" / "b.py")
    os.symlink("/dev/zero", ws / "sub" / ".modelhubignore")  # endless if read
    result = scan(ws)
    assert files(result) == {"a.py": "python", "sub/b.py": "python"}
    assert dict(result.warnings) == {
        ".gitignore": "ignore file not used: " + leaves(".gitignore", outside / "ignore-everything"),
        "sub/.modelhubignore": "ignore file not used: " + leaves(".modelhubignore", "/dev/zero"),
    }

    followed = scan(ws, ScanOptions(follow_external_links=True))
    assert files(followed) == {}  # the outside "*.py" applies, as asked
    assert dict(followed.errors) == {"sub/.modelhubignore": "ignore file not used: not a regular file"}


def test_files_that_vanish_or_change_after_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    for name in ("keep.py", "vanish.py", "swap_fifo.py", "late_fifo.py", "locked.py"):
        write(ws / name)
    write(ws / "gone_dir" / "x.py")
    real_scandir, real_open = os.scandir, os.open

    listings = []

    class Listing:
        """List the folder, then change it before the scanner looks at the entries."""

        def __init__(self, path) -> None:
            self.it = real_scandir(path)
            self.entries = list(self.it)
            if not isinstance(path, int) and os.fspath(path) == str(ws):
                listings.append(path)
            if len(listings) == 2 and (ws / "vanish.py").exists():  # the walk's listing (1st: root check)
                (ws / "vanish.py").unlink()
                shutil.rmtree(ws / "gone_dir")
                (ws / "swap_fifo.py").unlink()
                os.mkfifo(ws / "swap_fifo.py")

        def __enter__(self):
            return iter(self.entries)

        def __exit__(self, *exc) -> None:
            self.it.close()

        def close(self) -> None:
            self.it.close()

    def late_open(path, flags, *args, **kwargs):
        name = os.path.basename(os.fspath(path))
        if name == "late_fifo.py" and not stat.S_ISFIFO(os.lstat(path).st_mode):
            os.unlink(path)  # swapped for a FIFO between the stat and the open
            os.mkfifo(path)
        if name == "locked.py":
            raise PermissionError(13, "Permission denied", os.fspath(path))  # chmod 0 since listing
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", Listing)
    monkeypatch.setattr(os, "open", late_open)
    result = scan(ws)
    assert files(result) == {"keep.py": "python"}
    assert dict(result.errors) == {
        "gone_dir": "cannot read directory: No such file or directory",
        "late_fifo.py": "cannot open: not a regular file",
        "locked.py": "permission denied",
        "vanish.py": "cannot stat: No such file or directory",
    }
    assert result.skipped == 1  # swap_fifo.py: a FIFO by the time it is looked at


def test_hf_snapshot_indexed_alone_needs_the_setting(tmp_path: Path) -> None:
    """A Hugging Face cache snapshot links into ../../blobs: index the repo folder, or opt in."""
    repo = tmp_path / "models--gpt2"
    write(repo / "blobs" / "aaa", HF_CONFIG)
    write(repo / "blobs" / "bbb", b"w" * 100)
    snap = repo / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    os.symlink("../../blobs/aaa", snap / "config.json")
    os.symlink("../../blobs/bbb", snap / "model.safetensors")
    assert files(scan(repo)) == {"snapshots/abc123": "model_dir"}  # the blobs are inside the root
    alone = scan(snap)
    assert alone.files == [] and len(alone.warnings) == 2
    assert files(scan(snap, ScanOptions(follow_external_links=True))) == {".": "model_dir"}


def test_follow_external_links_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().follow_external_links is False
    monkeypatch.setenv("MODELHUB_FOLLOW_EXTERNAL_LINKS", "1")
    assert Settings().follow_external_links is True
    monkeypatch.setenv("MODELHUB_FOLLOW_EXTERNAL_LINKS", "maybe")
    with pytest.raises(ValueError, match="MODELHUB_FOLLOW_EXTERNAL_LINKS"):
        Settings()


@pytest.mark.timeout(300)
def test_an_outside_secret_never_becomes_searchable(tmp_path: Path, outside: Path, shared_embedder) -> None:
    from modelhub_jupyter import Hub

    ws = tmp_path / "ws"
    write(ws / "train.py", "def train():\n    return 1\n")
    os.symlink("../outside/secret.json", ws / "secret.json")
    os.symlink("../outside/code", ws / "code")
    hub = Hub(tmp_path / "home", embedder=shared_embedder)
    try:
        report = hub.index(ws, progress=False)
        assert report.files_seen == 1
        hits = hub.search("sk-LEAK-0123456789 api_key", limit=20).hits
        assert not [h for h in hits if "sk-LEAK" in h.snippet or "secret" in h.path or "stolen" in h.path]
        assert [h.path for h in hub.search("train", limit=20).hits] == ["train.py"]
    finally:
        hub.close()


# -- parsers that read next to a scanned file stay inside the root (ingest/confine.py) -------------


def _extracted_text(root: Path) -> str:
    from modelhub_jupyter.ingest import pipeline

    out = []
    for f in scan(root).files:
        ex = pipeline.extract(f)
        out.append(json.dumps(ex.metadata, default=str) + " ".join(str(c) for c in ex.chunks))
    return " ".join(out)


def test_model_dir_parser_reads_only_scanned_members(tmp_path: Path, outside: Path) -> None:
    write(outside / "config.json", json.dumps({"architectures": ["LeakModel"], "model_type": "gpt2"}))
    write(outside / "README.md", "# card\nThe password is hunter2-LEAK\n")
    m = tmp_path / "ws" / "m"
    write(m / "model.safetensors", b"w" * 8)
    write(m / "tokenizer.json", "{}")
    os.symlink("../../outside/config.json", m / "config.json")
    os.symlink("../../outside/README.md", m / "README.md")
    text = _extracted_text(tmp_path / "ws")
    assert "LeakModel" not in text and "hunter2-LEAK" not in text


def test_image_sidecar_is_not_read_through_a_link_out(tmp_path: Path, outside: Path) -> None:
    from PIL import Image

    write(outside / "s.json", json.dumps({"prompt": "sk-LEAK-sidecar", "seed": 1, "steps": 20}))
    ws = tmp_path / "ws"
    ws.mkdir()
    Image.new("RGB", (8, 8)).save(ws / "castle.png")
    os.symlink("../outside/s.json", ws / "castle.json")
    assert "sk-LEAK-sidecar" not in _extracted_text(ws)
