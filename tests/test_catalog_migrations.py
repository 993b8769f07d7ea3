"""Catalog tables migrate by numbered steps (PRAGMA user_version), from a catalog today's release wrote."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from modelhub_jupyter import Hub, ModelHubError
from modelhub_jupyter.store.catalog import MIGRATIONS, SCHEMA_VERSION, Catalog

V1_DUMP = Path(__file__).parent / "data" / "catalog_v1.sql"
V1_ROOT = "/tmp/v1gen/ws"  # where the workspace lay when the dump was written


def v1_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    db = sqlite3.connect(home / "catalog.sqlite")
    db.executescript(V1_DUMP.read_text())
    db.close()
    return home


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_a_catalog_written_before_versions_is_migrated_and_used(tmp_path, shared_embedder):
    home = v1_home(tmp_path)
    with Hub(home, embedder=shared_embedder) as hub:
        assert hub.catalog.migrated_from == 0 and hub.catalog.schema_version == SCHEMA_VERSION
        assert "file_kind" in columns(hub.catalog.db, "files") and "kind" not in columns(
            hub.catalog.db, "files"
        )
        row = hub.catalog.file(f"{V1_ROOT}/tiny_gpt.py")
        assert row is not None and row.file_kind == "python" and row.status == "indexed"
        assert hub.status()["documents"] == {"code": 9} and hub.status()["files"] == 3
        # The vectors cached by the old release fill a new vector store without re-embedding.
        assert hub.rebuild()["code"] == 9
        top = hub.search("transformer encoder blocks over token embeddings", kind="code", limit=1)[0]
        assert top.path == "tiny_gpt.py" and top.root == V1_ROOT
        view = hub.show(f"{V1_ROOT}/tiny_gpt.py")
        assert view.indexed and view.file_kind == "python"
        assert view.metadata["framework"]["name"] == "pytorch"
        assert hub.show(f"{V1_ROOT}/broken.py").warnings  # what the old run said is kept
    with Hub(home, embedder=shared_embedder) as again:
        assert again.catalog.migrated_from == SCHEMA_VERSION  # nothing left to do


def test_each_step_runs_once_in_order_on_a_fresh_catalog(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    assert catalog.migrated_from == 0 and catalog.schema_version == len(MIGRATIONS)
    tables = {r[0] for r in catalog.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"files", "documents", "embeddings", "relationships", "runs", "tombstones", "roots"} <= tables
    catalog.close()


def test_a_catalog_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ModelHubError, match="newer than this modelhub understands"):
        Catalog(path)


def test_a_failing_step_leaves_the_catalog_as_it_was(tmp_path, monkeypatch):
    home = v1_home(tmp_path)
    import modelhub_jupyter.store.catalog as catalog_module

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE files RENAME COLUMN kind TO file_kind")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog_module, "MIGRATIONS", (MIGRATIONS[0], broken))
    with pytest.raises(RuntimeError, match="disk on fire"):
        Catalog(home / "catalog.sqlite")
    db = sqlite3.connect(home / "catalog.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    assert "kind" in columns(db, "files")  # rolled back
