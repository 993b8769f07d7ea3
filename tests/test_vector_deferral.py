"""A local store leaves a small kind's vectors out of Chroma (dense search is exact over the
catalog's vectors up to ``CHROMA_FROM``), so an index run over a small workspace never opens it;
once a kind outgrows that, Chroma holds every document of it, deletions included."""

from __future__ import annotations

from pathlib import Path

from modelhub_jupyter import Hub
from modelhub_jupyter.search.engine import EXACT_DENSE_MAX
from modelhub_jupyter.store import vectors as vector_kinds

from .conftest import write

SCRIPT = '''"""Model {i}: a {arch} block."""
from torch import nn


class Net{i}(nn.Module):
    """A {arch} network of width {width}."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear({width}, {width})


def train_{i}(model, steps={steps}):
    """Train with SGD at lr 0.0{i}."""
    return steps
'''


def _workspace(root: Path, n: int) -> Path:
    for i in range(n):
        arch = ("residual", "gated", "sparse")[i % 3]
        write(root / f"model_{i}.py", SCRIPT.format(i=i, arch=arch, width=16 + i, steps=10 + i))
    return root


def _chroma_ids(hub: Hub, kind: str = "code") -> set[str]:
    return set(hub.vectors.collection(kind).get(include=[])["ids"])


def test_the_threshold_is_the_engines():
    assert vector_kinds.CHROMA_FROM == EXACT_DENSE_MAX


def test_a_small_workspace_is_indexed_and_searched_without_opening_chroma(tmp_path, shared_embedder):
    root = _workspace(tmp_path / "ws", 4)
    hub = Hub(tmp_path / "home", embedder=shared_embedder)
    try:
        report = hub.index(root, progress=False)
        assert report.indexed == 4
        assert hub.vectors._client is None  # Chroma never imported nor opened for this run
        assert vector_kinds.is_deferred(hub.catalog, "code")
        assert not hub.catalog.unsynced(1)
        hits = hub.search("gated network", kind="code", channels=("dense",), record=False)
        assert hits and hits[0].path == "model_1.py"
        (root / "model_1.py").unlink()
        hub.index(root, progress=False)
        assert hub.vectors._client is None and not hub.catalog.tombstones()
        assert "model_1.py" not in {h.path for h in hub.search("gated network", kind="code", record=False)}
        # a rebuild puts every document into Chroma and notes the kind as held in full
        counts = hub.rebuild()
        assert counts["code"] == len(hub.catalog.documents(kind="code")) > 0
        assert not vector_kinds.is_deferred(hub.catalog, "code")
    finally:
        hub.close()


def test_a_kind_that_outgrows_exact_search_is_filled_into_chroma(tmp_path, shared_embedder, monkeypatch):
    root = _workspace(tmp_path / "ws", 6)
    hub = Hub(tmp_path / "home", embedder=shared_embedder)
    try:
        hub.index(root, progress=False, exclude=("model_[3-5].py",))
        assert vector_kinds.is_deferred(hub.catalog, "code") and hub.vectors._client is None
        small = {d.id for d in hub.catalog.documents(kind="code")}
        monkeypatch.setattr(vector_kinds, "CHROMA_FROM", len(small) + 1)
        hub.index(root, progress=False)  # now past the threshold: the earlier documents go in too
        docs = {d.id for d in hub.catalog.documents(kind="code")}
        assert small < docs
        assert _chroma_ids(hub) == docs
        assert not vector_kinds.is_deferred(hub.catalog, "code") and not hub.catalog.unsynced(1)
        (root / "model_5.py").unlink()
        hub.index(root, progress=False)  # deletions reach Chroma again
        assert _chroma_ids(hub) == {d.id for d in hub.catalog.documents(kind="code")} != docs
    finally:
        hub.close()


def test_a_second_hub_on_a_chroma_server_keeps_asking_it_after_the_other_indexes(
    tmp_path, shared_embedder, chroma_server, monkeypatch
):
    """Two processes over one home and one Chroma server (two Jupyter servers): once one indexes
    more, the other's dense search still goes to Chroma for a large kind, where the new documents
    are, instead of loading the kind's vectors from the catalog into its own memory."""
    from modelhub_jupyter.search import engine

    monkeypatch.setattr(engine, "EXACT_DENSE_MAX", 2)  # "large" is past 2 documents here
    root = _workspace(tmp_path / "ws", 6)
    a = Hub(tmp_path / "home", chroma_url=chroma_server, embedder=shared_embedder)
    b = Hub(tmp_path / "home", chroma_url=chroma_server, embedder=shared_embedder)
    try:
        a.index(root, progress=False, exclude=("model_5.py",))
        asked: list[str] = []
        query = b.vectors.query
        monkeypatch.setattr(b.vectors, "query", lambda kind, *args: asked.append(kind) or query(kind, *args))
        assert b.search("gated network", kind="code", channels=("dense",), record=False)
        assert asked == ["code"]
        a.index(root, progress=False)  # model_5.py, on the other hub
        hits = b.search("model 5 sparse network of width 21", kind="code", channels=("dense",), record=False)
        assert "model_5.py" in {h.path for h in hits}
        assert asked == ["code", "code"]  # from Chroma again, not exact over the catalog's vectors
    finally:
        a.close()
        b.close()
