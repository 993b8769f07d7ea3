"""Copies of a hub's home, for tests that must not change a home other tests share."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

DATABASES = ("*.sqlite", "*.sqlite3")
SKIPPED = (*(p + s for p in DATABASES for s in ("", "-wal", "-shm", "-journal")), "*.lock")


def copy_home(source: Path, target: Path, *ignore: str) -> Path:
    """Copy the home ``source`` to ``target`` while its databases may be open in this process.

    Reading an SQLite file with anything but SQLite and closing it drops every POSIX lock this
    process holds on it (https://www.sqlite.org/howtocorrupt.html, 2.2): the next process that
    opens the catalog then rebuilds its WAL index under the open connections, and the shared
    catalog ends up "malformed" (seen on CI after a plain ``copytree`` of the session home). So the
    files are copied around the databases, each database goes through SQLite's backup API, and
    lock files are left to be made anew. ``ignore``: more ``shutil.ignore_patterns`` patterns.
    """
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*SKIPPED, *ignore))
    for pattern in DATABASES:
        for database in source.rglob(pattern):
            copy = target / database.relative_to(source)
            if not copy.parent.is_dir():  # inside an ignored folder
                continue
            with closing(sqlite3.connect(database)) as src, closing(sqlite3.connect(copy)) as dst:
                src.backup(dst)
    return target
