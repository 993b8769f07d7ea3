"""A fresh process answers a search without torch, sentence-transformers or Chroma.

``import modelhub_jupyter`` stays light; ``modelhub search`` / ``modelhub ask`` in a new process,
and a new kernel's first ``%modelsearch``, embed the query with the model's ONNX copy and rank
dense results exactly over the catalog's vectors, and find what sentence-transformers finds.
(How fast: ``benchmarks/bench_startup.py``; no timings are asserted here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.embed.text import TextEmbedder

HEAVY = ("torch", "sentence_transformers", "transformers", "chromadb", "pandas", "langchain_core")
QUERY = "where is the learning rate warmup schedule"


@pytest.fixture(scope="module")
def cache(onnx_cache):
    """A cache folder holding the default model's ONNX copy."""
    return onnx_cache[0]


def python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def imported(importtime_stderr: str) -> set[str]:
    """Top-level packages a ``python -X importtime`` run imported."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def modelhub(home, *args: str, env: dict[str, str]) -> tuple[str, set[str]]:
    """stdout of a fresh ``modelhub --home HOME ARGS`` and the packages it imported."""
    done = python("-X", "importtime", "-m", "modelhub_jupyter.cli", "--home", str(home), *args, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, imported(done.stderr)


def test_importing_the_package_and_the_command_is_light():
    code = (
        "import sys, modelhub_jupyter\n"
        "light = sorted(m for m in sys.modules if m.split('.')[0] in {'numpy', 'onnxruntime', 'pydantic'})\n"
        "import modelhub_jupyter.cli\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})), light)\n"
    )
    done = python("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"


def test_a_fresh_search_needs_no_torch_nor_chroma_and_finds_what_sentence_transformers_finds(indexed, cache):
    hub, _ = indexed
    out, modules = modelhub(
        hub.settings.home, "search", QUERY, "--json", env={"MODELHUB_CACHE_DIR": str(cache)}
    )
    assert "onnxruntime" in modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    fast = json.loads(out)
    # the warmup of train_gpt.py's lr_at (first by meaning) and flax make_state's (first by words)
    assert {"gpt/train_gpt.py", "jax/flax_transformer.py"} == {h["path"] for h in fast[:2]}

    env = {
        "MODELHUB_CACHE_DIR": str(cache),
        "MODELHUB_EMBED_BACKEND": "torch",
        "MODELHUB_EMBED_PRECISION": "fp32",
    }
    out, modules = modelhub(hub.settings.home, "search", QUERY, "--json", env=env)
    assert {"torch", "sentence_transformers"} <= modules
    slow = json.loads(out)
    assert [(h["id"], h["path"]) for h in fast] == [(h["id"], h["path"]) for h in slow]
    # the same scores, up to the last of the six decimals the JSON keeps
    assert [h["score"] for h in fast] == pytest.approx([h["score"] for h in slow], abs=2e-6)


def test_a_fresh_answer_needs_no_torch_nor_chroma(indexed, cache):
    hub, _ = indexed
    out, modules = modelhub(
        hub.settings.home,
        "ask", "--llm", "none", "--json", "how is the learning rate warmed up",
        env={"MODELHUB_CACHE_DIR": str(cache)},
    )  # fmt: skip
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    answer = json.loads(out)
    assert any(c["path"] == "gpt/train_gpt.py" for c in answer["citations"])


def test_a_fresh_kernels_first_modelsearch_needs_no_torch_nor_chroma(indexed, cache):
    hub, _ = indexed
    code = (
        "import json, sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'modelhub_jupyter')\n"
        f"res = ip.run_line_magic('modelsearch', {QUERY!r})\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print(json.dumps({'ids': [h.id for h in res], 'heavy': heavy}))\n"
    )
    done = python("-c", code, env={"MODELHUB_CACHE_DIR": str(cache), "MODELHUB_HOME": str(hub.settings.home)})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["heavy"] == []
    # torch embeds the query; the documents' vectors are the store's (int8 by default)
    embedder = TextEmbedder(precision="fp32", backend="torch", doc_precision=hub.embedder.doc_precision)
    torch = Hub(hub.settings.home, embedder=embedder)
    try:
        assert seen["ids"] == [h.id for h in torch.search(QUERY, record=False)]
    finally:
        torch.close()


def test_status_needs_no_torch(indexed, cache):
    """`modelhub status` (and the lab extension's status bar) reports the CLIP model without
    loading it: the device reads `auto` until torch is loaded for another reason."""
    hub, _ = indexed
    out, modules = modelhub(hub.settings.home, "status", "--json", env={"MODELHUB_CACHE_DIR": str(cache)})
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    assert json.loads(out)["images"]["device"] in {"auto", "cpu", "cuda"}
