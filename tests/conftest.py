"""Shared fixtures: the example workspace with real git history, and a hub that indexed it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def example_workspace(tmp_path_factory) -> Path:
    """The shipped example workspace, copied and committed with its git history."""
    from modelhub_jupyter.demo import build_workspace

    return build_workspace(tmp_path_factory.mktemp("ws") / "my-models")


@pytest.fixture(scope="session")
def indexed(tmp_path_factory, example_workspace):
    """(hub, report): a hub in a temp home that has indexed the example workspace once."""
    from modelhub_jupyter import Hub

    hub = Hub(tmp_path_factory.mktemp("home"))
    report = hub.index(example_workspace, progress=False)
    yield hub, report
    hub.close()


@pytest.fixture(scope="session")
def shared_embedder():
    """One loaded MiniLM for tests that build many small hubs."""
    from modelhub_jupyter.embed import TextEmbedder

    emb = TextEmbedder()
    emb.embed(["warm up"])
    return emb


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path
