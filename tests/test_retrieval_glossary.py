"""Retrieval on real code's vocabulary: the ML glossary's query and document expansion, the largest
set of understood filters that still matches, a filter word inside a longer ML term, and fewer
pieces of one function on a page (``search/expand.py``, ``search/diversify.py``, the engine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from modelhub_jupyter.search import diversify, expand
from modelhub_jupyter.search.engine import SearchEngine
from modelhub_jupyter.search.keyword import KeywordIndex


def test_long_phrases_add_their_abbreviations_and_abbreviations_their_words():
    assert expand.expand("apply rotary position embedding to queries and keys")[:1] == ["rope"]
    extra = expand.expand("2d sine cosine positional embeddings")  # plural read as singular
    assert {"sincos", "posemb", "pos_emb"} <= set(extra)
    assert {"learning", "rate", "variational", "autoencoder"} <= set(
        expand.expand("what lr does the vae use")
    )
    # the longest phrase is read first and its words are not read again
    assert expand.expand("convolutional recurrent network for music tagging") == ["crnn"]
    assert expand.expand("") == [] and expand.expand("ordinary words only") == []
    assert len(expand.expand(" ".join(["lr vae gan ddpm sgd ema"] * 50))) <= expand.MAX_EXTRA


def test_document_names_are_spelled_out():
    assert expand.spelled_out("apply_rope model") == ["rotary", "position", "embedding"]
    assert "recurrent" in expand.spelled_out("MusicTaggerCRNN music_tagger_crnn")
    assert expand.spelled_out("") == [] and expand.spelled_out("forward train") == []


def test_glossary_is_well_formed():
    terms = expand.terms()
    assert len(terms) > 50
    for term in terms:
        assert term.short and term.long, term
        for phrase in term.long:  # never a word that is its own abbreviation
            assert not (len(phrase) == 1 and phrase[0] in term.short), term


def test_a_filter_word_inside_a_longer_term_names_the_term():
    query = "convolutional recurrent network for music tagging"
    assert expand.inside_term("convolutional", query, "cnn")
    # "convolutional network" is a CNN: the filter word names the term it is inside
    assert not expand.inside_term("convolutional", "a convolutional network on cifar", "cnn")
    assert not expand.inside_term("convolutional", "convolutional layers", "cnn")  # no longer term
    assert not expand.inside_term("", query)


def test_expansion_words_reach_code_that_abbreviates():
    docs = {
        "rope": "def apply_rope(x, positions, head_dim): return x * sin + x * cos",
        "bert": "token type ids and a learned table added to the word vectors",
        "other": "def train(model, data): loop over batches",
    }
    index = KeywordIndex(list(docs), list(docs.values()))
    query = "rotary position embedding"
    assert index.search(query, 3) == []  # not one word in common
    found = index.search(query, 3, extra=expand.expand(query))
    assert found[0][0] == "rope"
    weaker = index.search(query, 3, extra=expand.expand(query), extra_weight=0.25)
    assert weaker[0][1] == pytest.approx(found[0][1] / 2)  # the expansion counts at its weight


def test_most_phrases_keeps_the_largest_set_that_matches():
    groups: dict[str, list[Any]] = {"CNN": ["cnn"], "CIFAR-10": ["cifar"], "SGD": ["sgd"]}
    # what the workspace holds: CNN files without CIFAR-10, one CIFAR-10 script trained with SGD
    files = [{"cnn"}, {"cnn"}, {"cifar", "sgd"}]

    def matches_any(clauses: list[Any]) -> bool:
        return any(set(clauses) <= f for f in files)

    assert SearchEngine._most_phrases(list(groups), groups, matches_any) == ["CIFAR-10", "SGD"]
    assert SearchEngine._most_phrases(["CNN", "SGD"], groups, matches_any) == ["CNN"]  # tie: the earlier
    assert SearchEngine._most_phrases([], groups, matches_any) == []


@dataclass
class _Doc:
    id: str
    file_path: str
    metadata: dict[str, Any] = field(default_factory=dict)


def test_diversify_lowers_further_pieces_of_one_symbol():
    pieces = [(1.0, _Doc("f1", "a.py", {"symbol": "f"})), (0.95, _Doc("f2", "a.py", {"symbol": "f"}))]
    other = [(0.9, _Doc("g", "b.py", {"symbol": "g"})), (0.8, _Doc("h", "a.py", {"symbol": "h"}))]
    out = diversify.diversify(pieces + other)  # type: ignore[arg-type]
    assert [d.id for _, d in out] == ["f1", "g", "h", "f2"]  # another symbol of a.py is not lowered
    assert out[3][0] == pytest.approx(0.95 * diversify.SYMBOL_DECAY)
    third = diversify.diversify([*pieces, (0.9, _Doc("f3", "a.py", {"symbol": "f"}))])  # type: ignore[arg-type]
    assert third[2][0] == pytest.approx(0.9 * diversify.SYMBOL_DECAY**2)


def test_a_file_level_query_collapses_a_files_chunks():
    chunks = [
        (1.0, _Doc("a1", "a.py", {"symbol": "f"})),
        (0.9, _Doc("a2", "a.py", {"symbol": "g"})),
        (0.8, _Doc("b1", "b.py", {"symbol": "h"})),
    ]
    assert [d.id for _, d in diversify.diversify(chunks)] == ["a1", "a2", "b1"]  # type: ignore[arg-type]
    collapsed = diversify.diversify(chunks, file_level=True)  # type: ignore[arg-type]
    assert [d.id for _, d in collapsed] == ["a1", "b1", "a2"]
    assert [s for s, _ in collapsed] == [1.0, 0.8, 0.9]  # scores kept, only the order changes


def test_search_reads_the_glossary(indexed):
    hub, _ = indexed
    crnn = hub.search("convolutional recurrent network for music tagging", kind="code", record=False)
    assert not any("architecture_type" in c for c in crnn.understood), crnn.understood
    cnn = hub.search("convolutional network trained on cifar", kind="code", record=False)
    assert any(c == "architecture_type=cnn" for c in cnn.understood), cnn.understood
    # "learning rate" also searches lr / learning_rate: the example's warmup function names lr
    warm = hub.search("learning rate warmup", kind="code", limit=5, record=False)
    assert any(h.metadata.get("symbol") == "lr_at" for h in warm.hits), [
        h.metadata.get("symbol") for h in warm
    ]
