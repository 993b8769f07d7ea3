"""The text embedder: bfloat16 on CPUs that have it must not change what a search finds."""

from __future__ import annotations

import numpy as np
import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.config import Settings
from modelhub_jupyter.embed.text import TextEmbedder, resolve_precision


def test_precision_setting_is_read_from_the_environment_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELHUB_EMBED_PRECISION", "fp32")
    assert Settings(home=tmp_path).embed_precision == "fp32"
    assert Hub(tmp_path).embedder.precision == "fp32"
    assert resolve_precision("auto") in {"fp32", "bf16"}
    with pytest.raises(ValueError, match="must be auto, fp32 or bf16"):
        resolve_precision("int4")


def test_bf16_vectors_agree_with_fp32_and_rank_the_same(indexed):
    hub, _ = indexed
    docs = hub.catalog.documents(kind="code")[:48]
    texts = [d.content for d in docs]
    queries = ["causal self attention", "training loop with AdamW", "load the cifar10 dataset"]
    fp32, bf16 = TextEmbedder(precision="fp32"), TextEmbedder(precision="bf16")

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
