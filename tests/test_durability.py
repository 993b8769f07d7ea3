"""Crash safety, two writers, and the same code against a real Chroma server."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from modelhub_jupyter import Hub
from modelhub_jupyter.store import vectors as vector_kinds

from .conftest import write

SCRIPT = '''"""Model number {i}: a {arch} block for experiment {i}."""
import torch
from torch import nn

WIDTH_{i} = {width}


class Net{i}(nn.Module):
    """Network {i} with width {width}."""

    def __init__(self):
        super().__init__()
        self.layer_{i} = nn.Linear({width}, {width})

    def forward(self, x):
        return torch.relu(self.layer_{i}(x)) * {i}


def train_{i}(model, data, steps={steps}):
    opt = torch.optim.SGD(model.parameters(), lr=0.0{i})
    for step in range(steps):
        loss = model(data).pow(2).mean()
        loss.backward()
        opt.step()
    return loss
'''


def _workspace(root: Path, n: int) -> Path:
    for i in range(n):
        arch = ("residual", "gated", "dense", "sparse")[i % 4]
        write(
            root / f"pkg{i % 5}" / f"model_{i}.py", SCRIPT.format(i=i, arch=arch, width=32 + i, steps=100 + i)
        )
    return root


def _index_cmd(home: Path, root: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "modelhub_jupyter.cli",
        "--home",
        str(home),
        "index",
        str(root),
        "--json",
        "--no-progress",
    ]


def _consistent(hub: Hub, n_files: int) -> None:
    docs = hub.catalog.documents()
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids))
    assert len({d.file_path for d in docs}) == n_files
    assert not hub.catalog.unsynced(1)
    if vector_kinds.is_deferred(hub.catalog, "code"):  # small and local: dense search reads the catalog's
        assert hub.catalog.cached_vectors(hub.embedder.name, [d.text_hash for d in docs]).keys() == {
            d.text_hash for d in docs
        }
        return
    vector_ids = hub.vectors.collection("code").get(include=[])["ids"]
    assert Counter(vector_ids) == Counter(d.id for d in docs if d.kind == "code")


def test_sigkill_mid_run_is_completed_by_the_next_run_without_duplicates(tmp_path, shared_embedder):
    root = _workspace(tmp_path / "ws", 80)
    home = tmp_path / "home"
    proc = subprocess.Popen(_index_cmd(home, root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    written = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            with sqlite3.connect(home / "catalog.sqlite", timeout=1) as db:
                written = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        except sqlite3.Error:
            continue
        if written > 0:
            break
    assert proc.poll() is None, "the index run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < written < 80

    hub = Hub(home, embedder=shared_embedder)
    report = hub.index(root, progress=False)
    assert report.errors == []
    assert report.unchanged + report.indexed == 80
    _consistent(hub, 80)
    assert hub.search("Network 7 with width 39", kind="code")[0].path == "pkg2/model_7.py"


def test_two_processes_indexing_one_home_do_not_corrupt_it(tmp_path, shared_embedder):
    root = _workspace(tmp_path / "ws", 24)
    home = tmp_path / "home"
    procs = [
        subprocess.Popen(_index_cmd(home, root), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    hub = Hub(home, embedder=shared_embedder)
    _consistent(hub, 24)
    assert hub.index(root, progress=False).embeddings_computed == 0


def test_rebuild_recreates_the_vector_store_from_the_catalog(tmp_path, shared_embedder):
    root = _workspace(tmp_path / "ws", 6)
    hub = Hub(tmp_path / "home", embedder=shared_embedder)
    hub.index(root, progress=False)
    hub.vectors.reset()
    counts = hub.rebuild()
    assert counts["code"] == len(hub.catalog.documents(kind="code"))
    _consistent(hub, 6)


def test_same_code_indexes_into_a_chroma_server(tmp_path, shared_embedder, chroma_server):
    root = _workspace(tmp_path / "ws", 5)
    hub = Hub(tmp_path / "home", chroma_url=chroma_server, embedder=shared_embedder)
    report = hub.index(root, progress=False)
    assert report.indexed == 5
    assert hub.status()["store"] == chroma_server
    assert not (tmp_path / "home" / "chroma").exists()
    _consistent(hub, 5)
    assert hub.search("Network 3", kind="code")[0].path == "pkg3/model_3.py"

    import chromadb

    port = int(chroma_server.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    assert client.get_collection(f"code-{hub.embedder.name}").count() == len(hub.catalog.documents(kind="code"))
