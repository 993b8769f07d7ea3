"""Incremental indexing and bad input: unchanged files cost nothing, broken files never stop a run."""

from __future__ import annotations

import io
import os
import struct

import pytest
from PIL import Image, PngImagePlugin

from modelhub_jupyter import Hub
from modelhub_jupyter.store import vectors as vector_kinds

from .conftest import write

MODEL_PY = '''"""A small MLP classifier."""
import torch
from torch import nn

HIDDEN = 128


class MLP(nn.Module):
    def __init__(self, hidden: int = HIDDEN):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)
'''

TRAIN_PY = """import torch


def train(model, loader, epochs=5):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
"""


def _png(prompt: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", f"{prompt}\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x32")
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 80, 20)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


@pytest.fixture
def hub(tmp_path, shared_embedder):
    h = Hub(tmp_path / "home", embedder=shared_embedder)
    yield h
    h.close()


@pytest.fixture
def small(tmp_path):
    root = tmp_path / "ws"
    write(root / "mlp.py", MODEL_PY)
    write(root / "train.py", TRAIN_PY)
    write(root / "img" / "fox.png", _png("a red fox in the snow"))
    return root


def _vector_ids(hub, kind):
    """The documents of ``kind`` that dense search has a vector for: the vector store's ids, or,
    while a small local kind's vectors stay in the catalog (deferred), the documents whose text
    has a cached vector."""
    if vector_kinds.is_deferred(hub.catalog, kind):
        docs = hub.catalog.documents(kind=kind)
        cached = hub.catalog.cached_vectors(hub.embedder.name, [d.text_hash for d in docs])
        return [d.id for d in docs if d.text_hash in cached]
    return hub.vectors.collection(kind).get(include=[])["ids"]


def test_unchanged_workspace_is_skipped_without_embedding(hub, small):
    first = hub.index(small, progress=False)
    assert first.indexed == 3 and first.embeddings_computed > 0
    again = hub.index(small, progress=False)
    assert again.indexed == 0 and again.unchanged == 3
    assert again.embeddings_computed == 0
    # touching a file without changing it costs a hash, not an embedding
    os.utime(small / "mlp.py")
    touched = hub.index(small, progress=False)
    assert touched.indexed == 0 and touched.embeddings_computed == 0


def test_changed_file_replaces_its_chunks(hub, small):
    hub.index(small, progress=False)
    before = {d.id for d in hub.catalog.documents(kind="code")}
    write(
        small / "train.py",
        TRAIN_PY.replace("epochs=5", "epochs=50") + "\n\ndef evaluate(model):\n    return 0.9\n",
    )
    report = hub.index(small, progress=False)
    assert report.indexed == 1
    docs = hub.catalog.documents(kind="code")
    train_docs = [d for d in docs if d.file_path.endswith("train.py")]
    assert any("epochs=50" in (d.content or "") for d in train_docs)
    assert not any("epochs=5)" in (d.content or "") for d in train_docs)
    assert sorted(_vector_ids(hub, "code")) == sorted(d.id for d in docs)
    assert len(docs) >= len(before)


def test_deleted_file_disappears_from_results(hub, small):
    hub.index(small, progress=False)
    assert any(h.path == "train.py" for h in hub.search("training loop backward", kind="code"))
    (small / "train.py").unlink()
    report = hub.index(small, progress=False)
    assert report.removed == 1
    assert all(h.path != "train.py" for h in hub.search("training loop backward", kind="code"))
    assert all(not i.startswith(str(small / "train.py")) for i in _vector_ids(hub, "code"))


def _bad_inputs(root):
    write(root / "good.py", MODEL_PY)
    write(root / "img" / "good.png", _png("a lighthouse at dawn"))
    write(root / "img" / "truncated.png", _png("cut")[:60])
    write(root / "img" / "corrupt.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 20)
    write(root / "img" / "empty.png", b"")
    write(root / "models" / "huge.safetensors", struct.pack("<Q", 10_000_000_000) + b"{}")
    write(root / "models" / "bad.gguf", b"GGUX" + b"\0" * 64)
    write(root / "binary.py", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    write(root / "latin1.py", "name = 'caf\xe9'\n".encode("latin-1"))
    write(root / "broken.py", "def oops(:\n    return 1\n\nclass Fine:\n    pass\n")
    write(root / "zero.py", b"")
    write(root / "big.py", "x = 1\n" * 400_000)  # 2.4 MB, over the 1 MB limit used below
    os.symlink("..", root / "img" / "loop")
    return root


def test_bad_input_is_reported_and_everything_else_indexed(hub, tmp_path):
    root = _bad_inputs(tmp_path / "bad")
    report = hub.index(root, progress=False, max_file_size=1024 * 1024)
    errors = {e["path"]: e["error"] for e in report.errors}
    expected = {
        "img/truncated.png", "img/corrupt.jpg", "img/empty.png", "models/huge.safetensors", "models/bad.gguf",
        "binary.py", "latin1.py", "zero.py", "big.py",
    }  # fmt: skip
    assert expected <= set(errors), errors
    assert any("loop" in path or "loop" in reason for path, reason in errors.items())
    assert (
        "10,000,000,000" in errors["models/huge.safetensors"]
        or "10000000000" in errors["models/huge.safetensors"]
    )
    assert "magic" in errors["models/bad.gguf"]
    assert "UTF-8" in errors["latin1.py"] and "binary" in errors["binary.py"]
    assert "limit" in errors["big.py"]
    for reason in errors.values():
        assert "\n" not in reason and "Traceback" not in reason
    indexed_paths = {d.metadata["filepath"] for d in hub.catalog.documents()}
    assert {"good.py", "img/good.png", "broken.py"} <= indexed_paths
    assert any(w["path"] == "broken.py" and "syntax" in w["warning"] for w in report.warnings)


def test_a_file_that_breaks_keeps_what_was_indexed(hub, small):
    hub.index(small, progress=False)
    write(small / "img" / "fox.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 10)
    report = hub.index(small, progress=False)
    assert [e["path"] for e in report.errors] == ["img/fox.png"]
    assert hub.search("red fox", kind="image")[0].path == "img/fox.png"


def test_missing_root_is_a_clear_error(hub, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        hub.index(tmp_path / "nope", progress=False)


def test_new_parsers_parse_unchanged_files_again(tmp_path, shared_embedder, monkeypatch):
    """After an upgrade that changes what the parsers yield, an index run re-reads every file
    (its old chunks would otherwise stay until the file changes), and the run after that skips them."""
    from modelhub_jupyter import indexing

    ws = tmp_path / "ws"
    write(ws / "model.py", MODEL_PY)
    write(ws / "train.py", TRAIN_PY)
    with Hub(tmp_path / "home", embedder=shared_embedder) as hub:
        assert hub.index(ws, progress=False).indexed == 2
        assert hub.index(ws, progress=False).indexed == 0
        monkeypatch.setattr(indexing, "PARSER_REVISION", indexing.PARSER_REVISION + 1)
        again = hub.index(ws, progress=False)
        assert again.indexed == 2 and again.embeddings_computed == 0  # same texts: vectors reused
        assert hub.index(ws, progress=False).indexed == 0
