"""Query analytics: every search and question stored, summarised by ``hub.stats`` and ``modelhub stats``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from modelhub_jupyter import Hub, NotFoundError


def test_searches_and_questions_are_recorded_and_summarised(
    tmp_path, shared_embedder, example_workspace
) -> None:
    hub = Hub(home=tmp_path / "home", embedder=shared_embedder)
    try:
        hub.index(example_workspace, progress=False)
        assert hub.stats()["queries"] == 0  # indexing is not a query
        first = hub.search("causal self attention", kind="code")
        hub.search("causal self attention", kind="code")
        nothing = hub.search("attention", where=["framework.name=caffe"])
        assert len(nothing) == 0
        hub.search("as you type", record=False)  # panels' keystrokes are not stored
        answer = hub.ask("Which models use AdamW, and with what learning rate?")
        hub.feedback(answer.query_id, good=True)
        hub.feedback(first.query_id, clicked="gpt/transformer_v1.py")
        with pytest.raises(NotFoundError):
            hub.feedback(10_000, good=False)
        stats = hub.stats()
    finally:
        hub.close()
    assert stats["queries"] == 4
    assert stats["by_action"] == {"ask": 1, "search": 3}
    assert (
        stats["latency_ms"]["search"]["p50"] > 0
        and stats["latency_ms"]["search"]["p95"] >= stats["latency_ms"]["search"]["p50"]
    )
    assert stats["intents"] == {"metadata_lookup": 1}
    assert stats["zero_results"] == [{"text": "attention", "count": 1}]
    assert stats["top_queries"][0] == {"text": "causal self attention", "count": 2}
    assert stats["feedback"] == {"up": 1, "down": 0} and stats["clicked"] == 1
    assert stats["surfaces"] == {"python": 4}


def test_cli_records_its_queries_and_prints_stats(tmp_path, shared_embedder, example_workspace) -> None:
    home = tmp_path / "home"
    hub = Hub(home=home, embedder=shared_embedder)
    hub.index(example_workspace, progress=False)
    hub.close()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(home), *args],
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    assert cli("search", "rotary embeddings", "--json").returncode == 0
    assert cli("ask", "how many parameters does tiny-gpt have", "--llm", "none", "--json").returncode == 0
    out = json.loads(cli("stats", "--json").stdout)
    assert out["by_action"] == {"ask": 1, "search": 1} and out["surfaces"] == {"cli": 2}
    human = cli("stats", "--days", "1").stdout
    assert human.startswith("modelhub stats (last 1 days): 2 queries")
    assert "search: 1, latency p50" in human and "intents: metadata_lookup 1" in human
