"""Rankers: newest version of a model family first, recently changed files first, identifiers
weigh more on the keyword side; each re-orders what hybrid search found and says so."""

from __future__ import annotations

import pytest

from modelhub_jupyter.errors import QueryError
from modelhub_jupyter.search.rankers import keyword_weight

QUERY = "transformer attention block"


def order(results) -> list[str]:
    return [hit.path for hit in results]


def first(paths: list[str], path: str) -> int:
    return paths.index(path) if path in paths else len(paths)


def test_version_ranker_puts_the_newest_version_of_a_family_first(indexed):
    hub, _ = indexed
    plain = order(hub.search(QUERY, kind="code", limit=40, record=False))
    ranked = hub.search(QUERY, kind="code", limit=40, rank="version", record=False)
    paths = order(ranked)
    family = [p for p in paths if p.startswith("gpt/transformer_v")]
    # by similarity the two versions interleave; by version every v2 hit comes before any v1 hit
    v1, v2 = "gpt/transformer_v1.py", "gpt/transformer_v2.py"
    assert any(p == v1 and v2 in plain[i + 1 :] for i, p in enumerate(plain))
    assert family == sorted(family, reverse=True) and v1 in family
    assert sorted(paths) == sorted(plain)  # the same hits, in another order
    assert ranked.notes == ["newest version first in transformer"]


def test_version_ranker_leaves_a_named_version_alone(indexed):
    hub, _ = indexed
    query = "transformer v1 attention block"
    plain = order(hub.search(query, kind="code", limit=10, record=False))
    ranked = hub.search(query, kind="code", limit=10, rank="version", record=False)
    assert order(ranked) == plain
    assert "names a version" in ranked.notes[-1]


def test_recency_ranker_moves_older_files_down(indexed):
    hub, _ = indexed
    plain = order(hub.search(QUERY, kind="code", limit=20, record=False))
    recent = hub.search(QUERY, kind="code", limit=20, rank="recency", record=False)
    # transformer_v1.py was last changed four months before transformer_v2.py (the example's git history)
    assert first(order(recent), "gpt/transformer_v1.py") > first(plain, "gpt/transformer_v1.py")
    assert any("recency" in note for note in recent.notes)


def test_an_unknown_ranker_is_a_one_line_error(indexed):
    hub, _ = indexed
    with pytest.raises(QueryError, match="unknown ranker 'newest': use one of similarity, recency, version"):
        hub.search(QUERY, rank="newest", record=False)


@pytest.mark.parametrize(
    ("query", "identifier"),
    [
        ("causal self attention", False),
        ("how is dropout used", False),
        ("LSTM sentiment", False),
        ("CausalSelfAttention", True),
        ("GPTConfig", True),
        ("n_embd", True),
        ("train_gpt.py", True),
        ("nn.Linear layers", True),
    ],
)
def test_identifiers_weigh_more_on_the_keyword_side(query, identifier):
    assert (keyword_weight(query) > 1.0) is identifier
