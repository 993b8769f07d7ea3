"""The text embedder: bfloat16 on CPUs that have it, and the ONNX copy that embeds queries, must not
change what a search finds."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from modelhub_jupyter import Hub
from modelhub_jupyter.config import Settings, default_embed_backend
from modelhub_jupyter.embed import onnx_model
from modelhub_jupyter.embed import text as text_module
from modelhub_jupyter.embed.text import TextEmbedder, resolve_precision

GOLD = Path(__file__).resolve().parents[1] / "benchmarks" / "gold" / "example_queries.yaml"


def gold_queries() -> list[dict]:
    return yaml.safe_load(GOLD.read_text(encoding="utf-8"))["queries"]


def test_precision_setting_is_read_from_the_environment_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELHUB_EMBED_PRECISION", "fp32")
    assert Settings(home=tmp_path).embed_precision == "fp32"
    assert Hub(tmp_path).embedder.precision == "fp32"
    assert resolve_precision("auto") in {"fp32", "bf16"}
    with pytest.raises(ValueError, match="must be auto, fp32 or bf16"):
        resolve_precision("int4")


def test_backend_setting_is_read_from_the_environment_and_checked(monkeypatch):
    monkeypatch.setenv("MODELHUB_EMBED_BACKEND", "torch")
    assert TextEmbedder().backend == "torch"
    monkeypatch.setenv("MODELHUB_EMBED_BACKEND", "tpu")
    with pytest.raises(ValueError, match="must be auto, onnx or torch"):
        default_embed_backend()
    monkeypatch.delenv("MODELHUB_EMBED_BACKEND")
    assert TextEmbedder().backend == "auto"
    with pytest.raises(ValueError, match="must be auto, onnx or torch"):
        TextEmbedder(backend="cuda")


def test_bf16_vectors_agree_with_fp32_and_rank_the_same(indexed):
    hub, _ = indexed
    docs = hub.catalog.documents(kind="code")[:48]
    texts = [d.content for d in docs]
    queries = ["causal self attention", "training loop with AdamW", "load the cifar10 dataset"]
    # torch for both: with "auto" a machine's ONNX copy would embed the queries (fp32) for both
    fp32 = TextEmbedder(precision="fp32", backend="torch")
    bf16 = TextEmbedder(precision="bf16", backend="torch")

    a, b = fp32.embed(texts), bf16.embed(texts)
    assert a.dtype == b.dtype == np.float32
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    assert (a * b).sum(axis=1).min() > 0.999

    qa, qb = fp32.embed(queries), bf16.embed(queries)
    for q32, q16 in zip(qa, qb, strict=True):
        top32 = list(np.argsort(-(a @ q32))[:5])
        top16 = list(np.argsort(-(b @ q16))[:5])
        assert top32[:3] == top16[:3]
        assert len(set(top32) & set(top16)) >= 4


def test_onnx_copy_gives_the_vectors_of_sentence_transformers(onnx_cache, indexed, monkeypatch):
    cache, reference = onnx_cache
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(cache))
    hub, _ = indexed
    onnx = TextEmbedder(backend="onnx", doc_precision="fp32")
    assert onnx.active_backend == "onnx"
    assert onnx.name == reference.name  # stored vectors and collections are found under the same name
    texts = [q["query"] for q in gold_queries()] + [
        d.content for d in hub.catalog.documents(kind="code")[:48]
    ]

    got, want = onnx.embed(texts), reference.embed(texts)  # batches of 16: padded, then put back in order
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * want).sum(axis=1).min() >= 0.9999
    assert onnx._model is None  # sentence-transformers (and torch) were never loaded for it

    manifest = (onnx.onnx_folder / "manifest.json").read_text()
    weights = Path(reference.model_ref) / "model.safetensors"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() in manifest


def test_an_index_run_embeds_through_the_copy_with_the_vectors_queries_are_compared_with(
    onnx_cache, indexed, monkeypatch
):
    """Index runs (many texts) go through the ONNX copy on all cores; their vectors are those of
    sentence-transformers, so stored documents and query vectors stay comparable."""
    cache, reference = onnx_cache
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(cache))
    monkeypatch.setattr(text_module, "amx_is_present", lambda: False)
    hub, _ = indexed
    docs = [d.content for d in hub.catalog.documents(kind="code")][:40]
    docs = docs + ["x = 1", "def f():\n    return 2", docs[0] * 6]  # short ones and one past 256 tokens
    auto = TextEmbedder(doc_precision="fp32")
    assert auto._wants_onnx(few=False)
    got = auto.embed(docs)
    assert auto._model is None  # neither torch nor sentence-transformers loaded
    want = reference.embed(docs)
    assert got.shape == want.shape
    assert (got * want).sum(axis=1).min() >= 0.999
    # a shorter reading budget cuts the same way on both paths ([CLS] text [SEP])
    monkeypatch.setattr(reference, "max_tokens", 64)
    cut = TextEmbedder(max_tokens=64, doc_precision="fp32").embed(docs)
    assert (cut * reference.embed(docs)).sum(axis=1).min() >= 0.999
    assert (cut * got).sum(axis=1).min() < 0.99  # and it did cut: long documents read less
    # where bf16 torch has AMX units, a batch goes to sentence-transformers instead
    monkeypatch.setattr(text_module, "amx_is_present", lambda: True)
    assert not TextEmbedder(precision="bf16", doc_precision="fp32")._wants_onnx(few=False)
    assert TextEmbedder(precision="bf16")._wants_onnx(few=True)
    assert not TextEmbedder(backend="torch")._wants_onnx(few=True)


def test_searches_find_the_same_with_either_embedder(onnx_cache, indexed, monkeypatch):
    cache, _ = onnx_cache
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(cache))
    hub, _ = indexed
    onnx = Hub(hub.settings.home, embedder=TextEmbedder())  # auto: queries through the copy
    torch = Hub(hub.settings.home, embedder=TextEmbedder(precision="fp32", backend="torch"))
    torch.embedder.name = (
        onnx.embedder.name
    )  # queries differ in how they are embedded; documents are the stored ones
    assert onnx.embedder.active_backend == "onnx"
    try:
        for q in gold_queries()[:25]:
            for channels in (("dense",), ("dense", "keyword")):
                a = onnx.search(q["query"], kind=q.get("kind", "all"), channels=channels, record=False)
                b = torch.search(q["query"], kind=q.get("kind", "all"), channels=channels, record=False)
                assert [h.id for h in a] == [h.id for h in b], q["query"]
        assert onnx.embedder._model is None
    finally:
        onnx.close()
        torch.close()


def test_an_index_run_embeds_on_a_pool_of_sessions_with_the_vectors_of_one(onnx_cache, indexed, monkeypatch):
    """Documents go through one session per core taking batches from a shared queue; rows come
    back in the callers' order with the vectors one session gives, and a failing batch is raised."""
    cache, reference = onnx_cache
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(cache))
    hub, _ = indexed
    docs = [d.content for d in hub.catalog.documents(kind="code")][:60] + ["x = 1", "def f():\n    return 2"]
    folder = reference.onnx_folder
    pool = onnx_model.OnnxPool(folder, sessions=2)
    assert len(pool.sessions) == 2 and pool.sessions[0].session is not pool.sessions[1].session
    single = onnx_model.OnnxEncoder(folder, threads=1)
    got, want = pool.encode_many(docs, max_length=256), single.encode_many(docs, max_length=256)
    assert (got * want).sum(axis=1).min() >= 0.99999  # same rows, same order
    assert len(onnx_model.batches(single.tokenize(docs, 256), 64, onnx_model.POOL_BATCH_TOKENS)) > 4
    assert isinstance(TextEmbedder(doc_precision="fp32")._encoder(batch=True), onnx_model.OnnxPool)

    def broken(encodings):
        raise RuntimeError("session failed")

    monkeypatch.setattr(pool.sessions[1], "_run", broken)
    monkeypatch.setattr(pool.sessions[0], "_run", broken)
    with pytest.raises(RuntimeError, match="session failed"):
        pool.encode_many(docs)


def test_a_damaged_copy_falls_back_to_sentence_transformers(onnx_cache, tmp_path, monkeypatch):
    cache, reference = onnx_cache
    folder = reference.onnx_folder
    damaged = tmp_path / "onnx" / folder.name
    shutil.copytree(folder, damaged)
    (damaged / onnx_model.MODEL_FILE).write_bytes(b"not a model")
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(tmp_path))

    embedder = TextEmbedder(precision="fp32")
    assert embedder.onnx_folder == damaged
    vectors = embedder.embed(["learning rate warmup"])
    assert embedder.active_backend == "torch"
    assert float(vectors[0] @ reference.embed(["learning rate warmup"])[0]) >= 0.9999


def test_an_export_that_fails_is_noted_and_not_tried_again(onnx_cache, tmp_path, monkeypatch):
    _, reference = onnx_cache
    calls = []

    def refuse(*args):
        calls.append(args)
        raise RuntimeError("the tracer cannot follow this model")

    monkeypatch.setattr(onnx_model, "_trace", refuse)
    folder = tmp_path / "onnx" / "model-key"
    assert onnx_model.export(reference._load(), reference.model_ref, folder) is False
    assert onnx_model.failed(folder) and not onnx_model.available(folder)
    assert "tracer cannot follow" in folder.with_name("model-key.failed").read_text()
    assert onnx_model.export(reference._load(), reference.model_ref, folder) is False
    assert len(calls) == 1
    assert not list((tmp_path / "onnx").glob(".export-*"))  # nothing half-written is left


def test_a_model_that_is_not_a_local_folder_has_no_copy():
    embedder = TextEmbedder("sentence-transformers/all-MiniLM-L6-v2")
    assert embedder.onnx_folder is None
    assert embedder.active_backend == "torch"
