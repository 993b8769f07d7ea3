"""The BM25 index of a large kind is saved under the home and read back by the next process."""

from __future__ import annotations

import numpy as np
import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.search import keyword_cache
from tests.homes import copy_home

QUERY = "causal self attention"


@pytest.fixture
def home(tmp_path, indexed, monkeypatch):
    """A copy of the indexed example home, where every kind counts as large."""
    hub, _ = indexed
    monkeypatch.setattr(keyword_cache, "MIN_DOCS", 1)
    return copy_home(hub.settings.home, tmp_path / "home", "cache")


def _ranked(hub: Hub) -> list[tuple[str, float]]:
    return [(h.id, round(h.score, 6)) for h in hub.search(QUERY, kind="code", record=False).hits]


def _holding(hub: Hub, word: str) -> list[str]:
    """Paths of the keyword hits whose text holds ``word``."""
    hits = hub.search(word, kind="code", record=False).hits
    return [h.path for h in hits if word in (h.snippet or "")]


def _arrays(hub: Hub):
    retriever = hub._search_engine()._index("code").keyword.retriever
    return [v for v in retriever.scores.values() if isinstance(v, np.ndarray)]


def test_the_next_process_reads_the_saved_index_and_ranks_the_same(home, shared_embedder):
    cache = home / "cache" / "keyword"
    with Hub(home, embedder=shared_embedder) as first:
        built = _ranked(first)
        assert not any(isinstance(a, np.memmap) for a in _arrays(first))  # built here, in memory
    saved = sorted(p.name for p in cache.iterdir())
    assert saved and all((cache / name / "complete").exists() for name in saved)

    with Hub(home, embedder=shared_embedder) as second:
        assert _ranked(second) == built
        assert any(isinstance(a, np.memmap) for a in _arrays(second))  # mapped from the saved files
    assert sorted(p.name for p in cache.iterdir()) == saved  # nothing rebuilt


def test_a_changed_file_is_never_answered_from_the_old_index(home, shared_embedder, tmp_path):
    target = tmp_path / "ws" / "train.py"
    target.parent.mkdir()
    target.write_text("def train(model, data):\n    return model.fit(data)\n")
    with Hub(home, embedder=shared_embedder) as hub:
        hub.index(target.parent, progress=False)
        assert not _holding(hub, "zebracornfield")
        target.write_text(target.read_text() + "\n\ndef zebracornfield():\n    return 1\n")
        hub.index(target.parent, progress=False)
    with Hub(home, embedder=shared_embedder) as fresh:
        assert _holding(fresh, "zebracornfield") == ["train.py"]


def test_a_damaged_index_is_rebuilt(home, shared_embedder):
    with Hub(home, embedder=shared_embedder) as first:
        built = _ranked(first)
    cache = home / "cache" / "keyword"
    for entry in cache.iterdir():
        for npy in entry.glob("*.npy"):
            npy.write_bytes(b"not an array")
    with Hub(home, embedder=shared_embedder) as second:
        assert _ranked(second) == built


def test_old_indexes_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(keyword_cache, "MIN_DOCS", 1)
    monkeypatch.setattr(keyword_cache, "KEEP", 2)
    for n in range(4):
        keyword_cache.load_or_build(
            [f"d{i}" for i in range(3)], [f"text {n} {i}" for i in range(3)], tmp_path
        )
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 2
