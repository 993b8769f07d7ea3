"""Git history reader: real repositories made in tmp_path with GitPython."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from git import Actor, Repo

from modelhub_jupyter.ingest.git_history import GitInfo, file_info, repo_history

ALICE = Actor("Alice", "alice@example.com")
BOB = Actor("Bob", "bob@example.com")


def commit(repo: Repo, files: dict[str, str], message: str, author: Actor, date: str) -> None:
    top = Path(repo.working_tree_dir)
    for rel, text in files.items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    repo.index.add(list(files))
    when = datetime.fromisoformat(date)
    repo.index.commit(message, author=author, committer=author, author_date=when, commit_date=when)


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    """Alice writes train.py, model.py and sub/ files; Bob edits train.py twice; old.py is deleted."""
    r = Repo.init(tmp_path / "repo")
    commit(
        r,
        {"train.py": "v1\n", "model.py": "m\n", "sub/a.py": "a\n", "sub/deep/b.py": "b\n", "old.py": "o\n"},
        "initial import",
        ALICE,
        "2024-01-01T10:00:00+02:00",
    )
    commit(r, {"train.py": "v2\n"}, "bigger batch", BOB, "2024-02-01T12:00:00+00:00")
    r.index.remove(["old.py"], working_tree=True)
    r.index.commit(
        "drop old.py", author=ALICE, committer=ALICE, author_date=datetime(2024, 2, 15, tzinfo=UTC)
    )
    commit(
        r,
        {"train.py": "v3\n", "sub/a.py": "a2\n"},
        "tune lr\n\nlonger explanation\nover lines",
        BOB,
        "2024-03-01T09:30:00-05:00",
    )
    return r


def test_history_of_files(repo: Repo) -> None:
    root = Path(repo.working_tree_dir)
    history = repo_history(root)
    assert sorted(history) == ["model.py", "sub/a.py", "sub/deep/b.py", "train.py"]

    train = history["train.py"]
    assert train == GitInfo(
        created=datetime(2024, 1, 1, 8, 0, tzinfo=UTC),
        modified=datetime(2024, 3, 1, 14, 30, tzinfo=UTC),
        authors=("Bob", "Alice"),
        commit_count=3,
        last_message="tune lr",
        source="git",
    )
    assert train.created.tzinfo is not None and train.created.utcoffset().total_seconds() == 0

    model = history["model.py"]
    assert model.created == model.modified == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    assert (model.authors, model.commit_count, model.last_message) == (("Alice",), 1, "initial import")

    a = history["sub/a.py"]
    assert a.authors == ("Bob", "Alice")  # a tie: the most recent author first
    assert a.commit_count == 2


def test_root_is_a_subfolder_of_the_repo(repo: Repo) -> None:
    sub = Path(repo.working_tree_dir) / "sub"
    history = repo_history(sub)
    assert sorted(history) == ["a.py", "deep/b.py"]
    assert history["a.py"].last_message == "tune lr"
    assert repo_history(sub / "deep") == {"b.py": history["deep/b.py"]}


def test_root_reached_through_a_symlink(repo: Repo, tmp_path: Path) -> None:
    link = tmp_path / "link"
    os.symlink(Path(repo.working_tree_dir) / "sub", link)
    assert sorted(repo_history(link)) == ["a.py", "deep/b.py"]


def test_odd_file_names(tmp_path: Path) -> None:
    r = Repo.init(tmp_path / "r")
    names = {"with space.py": "1", "é/ü.py": "2", "new\nline.py": "3", "[glob]/x.py": "4"}
    commit(r, names, "odd names", ALICE, "2024-05-05T05:05:05+00:00")
    assert sorted(repo_history(tmp_path / "r")) == sorted(names)
    assert sorted(repo_history(tmp_path / "r" / "[glob]")) == ["x.py"]  # a literal path, not a pattern


def test_file_outside_git_uses_filesystem_times(repo: Repo) -> None:
    root = Path(repo.working_tree_dir)
    history = repo_history(root)
    fresh = root / "notes.py"
    fresh.write_text("untracked\n")
    stamp = datetime(2023, 6, 1, tzinfo=UTC).timestamp()
    os.utime(fresh, (stamp, stamp))

    info = file_info(root, "notes.py", history)
    assert info.source == "filesystem"
    assert info.modified == datetime(2023, 6, 1, tzinfo=UTC)
    assert info.created is not None and info.created <= info.modified
    assert (info.authors, info.commit_count, info.last_message) == ((), 0, "")

    assert file_info(root, "train.py", history) is history["train.py"]
    assert file_info(root, "./sub/a.py", history) is history["sub/a.py"]
    missing = file_info(root, "gone.py", history)
    assert (missing.created, missing.modified, missing.source) == (None, None, "filesystem")


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x\n")
    assert repo_history(tmp_path) == {}
    assert repo_history(tmp_path / "does-not-exist") == {}
    assert file_info(tmp_path, "a.py", {}).source == "filesystem"


def test_repo_without_commits_bare_or_corrupt(tmp_path: Path) -> None:
    empty = Repo.init(tmp_path / "empty")
    (tmp_path / "empty" / "a.py").write_text("x\n")
    empty.index.add(["a.py"])  # staged, never committed
    assert repo_history(tmp_path / "empty") == {}

    Repo.init(tmp_path / "bare.git", bare=True)
    assert repo_history(tmp_path / "bare.git") == {}

    corrupt = tmp_path / "corrupt"
    (corrupt / ".git").mkdir(parents=True)
    (corrupt / ".git" / "HEAD").write_text("garbage\n")
    (corrupt / "a.py").write_text("x\n")
    assert repo_history(corrupt) == {}

    gitfile = tmp_path / "gitfile"
    gitfile.mkdir()
    (gitfile / ".git").write_text("gitdir: /nowhere/at/all\n")
    assert repo_history(gitfile) == {}


def test_git_not_installed(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # git is run directly (not through GitPython): "not installed" is "not on PATH".
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert repo_history(Path(repo.working_tree_dir)) == {}


def test_renamed_file_starts_at_the_rename(tmp_path: Path) -> None:
    r = Repo.init(tmp_path / "r")
    commit(r, {"old_name.py": "x\n"}, "add", ALICE, "2024-01-01T00:00:00+00:00")
    r.index.move(["old_name.py", "new_name.py"])
    r.index.commit("rename", author=BOB, committer=BOB, author_date=datetime(2024, 2, 1, tzinfo=UTC))
    history = repo_history(tmp_path / "r")
    assert list(history) == ["new_name.py"]
    assert history["new_name.py"].created == datetime(2024, 2, 1, tzinfo=UTC)


def test_two_thousand_files_in_one_pass(tmp_path: Path) -> None:
    top = tmp_path / "big"
    r = Repo.init(top)
    for d in range(40):
        (top / f"pkg{d:02d}").mkdir(parents=True)
        for i in range(50):
            (top / f"pkg{d:02d}" / f"m{i:02d}.py").write_text(f"{i}\n")
    env = {"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "Alice"}
    env["GIT_COMMITTER_EMAIL"] = "a@x"
    for n, when in enumerate(
        ["2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00", "2024-03-01T00:00:00+00:00"]
    ):
        if n:
            for d in range(0, 40, n + 1):
                for i in range(50):
                    (top / f"pkg{d:02d}" / f"m{i:02d}.py").write_text(f"{i} {n}\n")
        r.git.add(A=True)
        with r.git.custom_environment(**env, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when):
            r.git.commit("-q", "-m", f"commit {n}")

    history = repo_history(top)  # one git log pass; run speed is measured by benchmarks/bench_index.py
    assert len(history) == 2000
    assert history["pkg00/m00.py"].commit_count == 3
    assert history["pkg01/m00.py"].commit_count == 1
    assert history["pkg02/m00.py"].modified == datetime(2024, 2, 1, tzinfo=UTC)
