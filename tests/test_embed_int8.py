"""int8 documents: an index run may embed its chunks through an int8 copy of the ONNX export
(queries stay fp32); the copy is derived here, offline, checked, and its vectors are stored apart."""

from __future__ import annotations

import numpy as np
import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.embed import onnx_model
from modelhub_jupyter.embed import text as text_module
from modelhub_jupyter.embed.text import TextEmbedder

QUERIES = [
    "causal self attention",
    "training loop with AdamW",
    "load the cifar10 dataset",
    "learning rate warmup scheduler",
    "generator and discriminator of a GAN",
]


@pytest.fixture(scope="module")
def int8_cache(onnx_cache):
    """(the cache folder, the fp32 export in it, its int8 copy made by :func:`onnx_model.quantize`)."""
    cache, reference = onnx_cache
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELHUB_CACHE_DIR", str(cache))
        folder = reference.onnx_folder
        int8 = onnx_model.quantize(folder)
    assert int8 is not None, list(cache.rglob("*.failed"))
    return cache, folder, int8


def test_the_int8_copy_is_derived_once_checked_and_small(int8_cache):
    _, folder, int8 = int8_cache
    assert int8 == onnx_model.int8_dir(folder) and onnx_model.available(int8)
    manifest = (int8 / "manifest.json").read_text()
    assert '"int8-dynamic-per-channel"' in manifest and folder.name in manifest
    size = (int8 / onnx_model.MODEL_FILE).stat().st_size
    fp32 = sum(p.stat().st_size for p in folder.glob(onnx_model.MODEL_FILE + "*"))
    assert size < fp32 / 3  # int8 weights: a quarter of the fp32 ones
    before = (int8 / onnx_model.MODEL_FILE).stat().st_mtime_ns
    assert onnx_model.quantize(folder) == int8  # found, not made again
    assert (int8 / onnx_model.MODEL_FILE).stat().st_mtime_ns == before
    assert not list(folder.parent.glob(".int8-*"))  # nothing half-written is left


def test_int8_documents_rank_as_fp32_ones_and_are_stored_apart(int8_cache, indexed, monkeypatch):
    cache, _, int8 = int8_cache
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(cache))
    monkeypatch.setattr(text_module, "amx_is_present", lambda: False)
    hub, _ = indexed
    docs = [d.content for d in hub.catalog.documents(kind="code")][:64]
    fp32 = TextEmbedder(doc_precision="fp32")
    q8 = TextEmbedder(doc_precision="int8")
    assert fp32.name == "all-minilm-l6-v2" and q8.name == "all-minilm-l6-v2-int8"
    assert q8._encoder(batch=True).folder == int8  # documents go through the int8 copy
    a, b = fp32.embed(docs), q8.embed(docs)
    cosines = (a * b).sum(axis=1)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert cosines.min() >= 0.97 and cosines.mean() >= 0.985
    assert cosines.min() < 0.9999  # they are int8 vectors, not the fp32 ones again
    queries = np.concatenate([q8.embed([q]) for q in QUERIES])  # a query: through the fp32 copy
    assert ((queries * np.concatenate([fp32.embed([q]) for q in QUERIES])).sum(axis=1) >= 0.9999).all()
    assert ((q8.embed(QUERIES) * queries).sum(axis=1) < 0.9999).any()  # five texts: a batch, in int8
    for query in queries:
        top_a = list(np.argsort(-(a @ query))[:5])
        top_b = list(np.argsort(-(b @ query))[:5])
        assert top_a[0] == top_b[0] and len(set(top_a) & set(top_b)) >= 4
    assert q8._model is None  # no torch for either


def test_doc_precision_is_read_from_the_environment_and_checked(monkeypatch):
    monkeypatch.setenv("MODELHUB_EMBED_DOC_PRECISION", "int8")
    assert TextEmbedder().doc_precision == "int8"
    assert TextEmbedder(backend="torch").name == "all-minilm-l6-v2"  # torch embeds fp32 documents only
    monkeypatch.setenv("MODELHUB_EMBED_DOC_PRECISION", "int4")
    with pytest.raises(ValueError, match="must be auto, fp32 or int8"):
        TextEmbedder()


def test_an_index_run_with_int8_documents_stores_them_under_their_own_name(int8_cache, tmp_path, monkeypatch):
    cache, _, _ = int8_cache
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(cache))
    monkeypatch.setattr(text_module, "amx_is_present", lambda: False)
    root = tmp_path / "ws"
    root.mkdir()
    topics = ["learning rate warmup schedule", "load the cifar10 images", "causal self attention mask",
              "adam optimizer update", "beam search decoding", "save a model checkpoint"]  # fmt: skip
    for n, topic in enumerate(topics):
        name = topic.replace(" ", "_")
        (root / f"m{n}.py").write_text(f"def {name}(x):\n    '''{topic.capitalize()}.'''\n    return x\n")
    hub = Hub(tmp_path / "home", embedder=TextEmbedder(doc_precision="int8"))
    try:
        hub.index(root, progress=False)
        hashes = [d.text_hash for d in hub.catalog.documents(kind="code")]
        assert len(hub.catalog.cached_vectors("all-minilm-l6-v2-int8", hashes)) == len(hashes) > 4
        assert not hub.catalog.cached_vectors("all-minilm-l6-v2", hashes)  # fp32 vectors are not mixed in
        assert hub.search("warm up the learning rate", kind="code", limit=1)[0].path == "m0.py"
    finally:
        hub.close()


def test_a_quantisation_that_fails_is_noted_and_documents_stay_fp32(onnx_cache, tmp_path, monkeypatch):
    import shutil

    _, reference = onnx_cache
    folder = tmp_path / "onnx" / reference.onnx_folder.name
    shutil.copytree(reference.onnx_folder, folder)
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("no quantizer for this graph")

    import onnxruntime.quantization

    monkeypatch.setattr(onnxruntime.quantization, "quantize_dynamic", refuse)
    assert onnx_model.quantize(folder) is None and onnx_model.quantize(folder) is None
    assert len(calls) == 1  # noted, not tried again
    note = onnx_model.int8_dir(folder).with_name(onnx_model.int8_dir(folder).name + ".failed")
    assert "no quantizer" in note.read_text()
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(tmp_path))
    embedder = TextEmbedder(doc_precision="int8")
    assert embedder.onnx_folder == folder
    assert embedder._encoder(batch=True).folder == folder  # the fp32 copy embeds the documents


def test_a_new_store_embeds_documents_in_int8_and_an_fp32_store_keeps_fp32(onnx_cache, tmp_path, monkeypatch):
    """int8 is the default for a new store; a store indexed in fp32 (before that default) keeps
    finding its vectors, and the registry names the bundled model's vectors as the store does."""
    cache, _ = onnx_cache
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(cache))
    monkeypatch.delenv("MODELHUB_EMBED_DOC_PRECISION", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    for n, topic in enumerate(
        ["learning rate warmup", "cifar10 loader", "attention mask", "adam step", "beam search"]
    ):
        (root / f"m{n}.py").write_text(f"def f{n}(x):\n    '''{topic}.'''\n    return x\n")

    new = Hub(tmp_path / "new")
    old = Hub(tmp_path / "old", embedder=TextEmbedder(doc_precision="fp32"))
    try:
        assert new.embedder.name == "all-minilm-l6-v2-int8" and new.embedder.doc_precision == "int8"
        new.index(root, progress=False)
        old.index(root, progress=False)
    finally:
        new.close()
        old.close()
    again, kept = Hub(tmp_path / "new"), Hub(tmp_path / "old")
    try:
        assert again.embedder.name == "all-minilm-l6-v2-int8"
        assert kept.embedder.name == "all-minilm-l6-v2" and kept.embedder.doc_precision == "fp32"
        assert (
            kept.search("warm up the learning rate", kind="code", channels=("dense",), limit=1)[0].path
            == "m0.py"
        )
        assert again.models.register_bundled().vector_key == "all-minilm-l6-v2-int8"
        assert kept.models.register_bundled().vector_key == "all-minilm-l6-v2"
    finally:
        again.close()
        kept.close()
    monkeypatch.setenv(
        "MODELHUB_EMBED_BACKEND", "torch"
    )  # no ONNX at all: the store's vectors are still found
    torch = Hub(tmp_path / "new")
    try:
        assert torch.embedder.name == "all-minilm-l6-v2-int8" and torch.embedder.active_backend == "torch"
        assert (
            torch.search("warm up the learning rate", kind="code", channels=("dense",), limit=1)[0].path
            == "m0.py"
        )
    finally:
        torch.close()
    monkeypatch.delenv("MODELHUB_EMBED_BACKEND")
    monkeypatch.setenv("MODELHUB_EMBED_DOC_PRECISION", "fp32")  # said outright, it wins
    explicit = Hub(tmp_path / "new")
    try:
        assert explicit.embedder.name == "all-minilm-l6-v2"
    finally:
        explicit.close()


def test_a_first_index_run_says_it_is_making_the_int8_copy(onnx_cache, tmp_path, monkeypatch, capsys):
    """The one-time derivation (seconds) shows on the run's progress bar, not as a silent stall."""
    import shutil

    cache, reference = onnx_cache
    fresh = tmp_path / "cache"
    folder = reference.onnx_folder
    shutil.copytree(folder, fresh / folder.relative_to(cache))  # the fp32 copy only: no int8 one yet
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(fresh))
    monkeypatch.setattr(text_module, "amx_is_present", lambda: False)
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "net.py").write_text('"""A gated residual network."""\n\nclass Net:\n    pass\n')
    notes: list[str] = []
    with Hub(tmp_path / "home", embedder=TextEmbedder(doc_precision="int8")) as hub:
        hub.index(tmp_path / "ws", progress=True, on_note=notes.append)
    assert notes == ["making the embedder's int8 copy (once per machine)"]  # for the Lab's status bar
    assert "making the embedder's int8 copy (once per machine)" in capsys.readouterr().err
    assert onnx_model.available(onnx_model.int8_dir(fresh / folder.relative_to(cache)))
    (tmp_path / "ws" / "more.py").write_text('"""A sparse network."""\n')
    with Hub(tmp_path / "home", embedder=TextEmbedder(doc_precision="int8")) as hub:
        hub.index(tmp_path / "ws", progress=True)
    assert "once per machine" not in capsys.readouterr().err  # made once


def test_the_index_panel_says_it_is_making_the_int8_copy(onnx_cache, tmp_path, monkeypatch):
    """The notebook/dashboard Index panel shows the one-time note, then the run, then its report."""
    import shutil

    from modelhub_jupyter.widgets import IndexPanel

    cache, reference = onnx_cache
    fresh = tmp_path / "cache"
    shutil.copytree(reference.onnx_folder, fresh / reference.onnx_folder.relative_to(cache))
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(fresh))
    monkeypatch.setattr(text_module, "amx_is_present", lambda: False)
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "net.py").write_text('"""A gated residual network."""\n\nclass Net:\n    pass\n')
    with Hub(tmp_path / "home", embedder=TextEmbedder(doc_precision="int8")) as hub:
        panel = IndexPanel(hub)
        shown: list[str] = []
        panel.observe(lambda change: shown.append(change["new"]), names="message")
        panel.reindex(str(tmp_path / "ws")).join(120)
    at = shown.index("Indexing: making the embedder's int8 copy (once per machine)…")
    assert shown[at + 1] == f"Indexing {tmp_path / 'ws'}…"  # then the run itself
    assert shown[-1].startswith("Indexed 1 new or changed files"), shown


def test_deriving_the_int8_copy_leaves_the_process_logging_alone(onnx_cache, tmp_path):
    """onnxruntime's quantizer logs through the root logger, which would give it a handler: every
    later warning of the process (a CLI run's included) would then read "WARNING:name:..."."""
    import shutil
    import subprocess
    import sys

    cache, reference = onnx_cache
    folder = tmp_path / reference.onnx_folder.relative_to(cache)
    shutil.copytree(reference.onnx_folder, folder)
    code = (
        "import logging, sys; from pathlib import Path; from modelhub_jupyter.embed import onnx_model\n"
        "assert onnx_model.quantize(Path(sys.argv[1]))\n"
        "logging.getLogger('modelhub_jupyter').warning('modelhub: a later warning')"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "modelhub: a later warning" in run.stderr.splitlines(), run.stderr[-2000:]
