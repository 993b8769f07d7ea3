"""Filters from plain English: what a query's words become, and what search does with them."""

from __future__ import annotations

from datetime import date

import pytest

from modelhub_jupyter import FilterError
from modelhub_jupyter.search.understand import MAX_CHARS, understand

VOCAB = {
    "framework.name": [("pytorch", 5), ("transformers", 2), ("jax", 1), ("tensorflow", 1)],
    "architecture_type": [("transformer", 4), ("cnn", 2), ("gan", 1), ("other", 1)],
    "dataset.name": [("wikitext", 2), ("CIFAR-10", 2)],
    "training_config.optimizer": [("AdamW", 3)],
    "sampler": [("DPM++ 2M Karras", 3), ("Euler a", 2)],
    "model_checkpoint": [("dreamshaper_8.safetensors", 1)],
    "model_family": [("llama", 1)],
    "weights.format": [("gguf", 1), ("safetensors", 3)],
    "section_type": [("config", 4), ("training_loop", 3)],
}
TODAY = date(2026, 12, 1)


def read(query: str) -> tuple[list[str], str]:
    found = understand(query, VOCAB, today=TODAY)
    return found.where, found.text


@pytest.mark.parametrize(
    ("query", "where", "text"),
    [
        (
            "pytorch transformers with more than 100M parameters trained on wikitext",
            ["framework.name=pytorch", "architecture_type=transformer",
             "model_dimensions.total_parameters>100000000", "dataset.name=wikitext"],
            "pytorch transformers wikitext",  # names stay in the ranked words; values leave them
        ),
        ("training loop with AdamW", ["section_type=training_loop", "training_config.optimizer=AdamW"],
         "training loop with AdamW"),
        ("training loop", ["section_type=training_loop"], "training loop"),  # a kind of code, even alone
        ("euler a, cfg above 7", ["sampler=Euler a", "guidance_scale>7"], "euler a"),
        ("castle DPM++ 2M Karras", ["sampler=DPM++ 2M Karras"], "castle DPM++ 2M Karras"),  # no "2M" size
        ("models with 12 layers and at least 8 heads",
         ["model_dimensions.num_layers=12", "model_dimensions.num_attention_heads>=8"], ""),
        ("lr 3e-4 batch size of 64",
         ["training_config.learning_rate=0.0003", "training_config.batch_size=64"], ""),
        ("params > 1.3B", ["model_dimensions.total_parameters>1300000000"], ""),
        ("7b llama gguf", ["model_dimensions.total_parameters>=5950000000",
                           "model_dimensions.total_parameters<=8050000000",
                           "weights.format=gguf"], "llama gguf"),
        ("between 10M and 200M params cnn", ["model_dimensions.total_parameters>=10000000",
                                             "model_dimensions.total_parameters<=200000000",
                                             "architecture_type=cnn"], "cnn"),
        ("a cnn on cifar10 in tensorflow or jax",
         ["architecture_type=cnn", "dataset.name=CIFAR-10", "framework.name=tensorflow,jax"],
         "a cnn on cifar10 in tensorflow or jax"),
        ("resnet modified after 2023", ["last_modified_date>=2024-01-01"], "resnet"),
        ("scripts created in March 2024", ["creation_date>=2024-03-01", "creation_date<2024-04-01"], "scripts"),
        ("attention changed this week", ["last_modified_date>=2026-11-30"], "attention"),
        ("in the last 30 days", ["last_modified_date>=2026-11-01"], ""),
        ("upscaled 512x768", ["resolution.width=512", "resolution.height=768"], "upscaled"),
        ("dreamshaper_8 portraits", ["model_checkpoint=dreamshaper_8.safetensors"], "dreamshaper_8 portraits"),
        ("torch code", ["framework.name=pytorch"], "torch code"),  # a synonym of a value the catalog has
        ("sd15 castle", [], "sd15 castle"),
        ("pytorch notebooks about attention", ["framework.name=pytorch", "filepath~.ipynb"],
         "pytorch notebooks about attention"),
        ("configs with a learning rate above 1e-3",
         ["section_type=config", "training_config.learning_rate>0.001"], "configs"),
        ("AdamW", [], "AdamW"),  # one name alone is a lookup of everything about it, not a filter
    ],
)  # fmt: skip
def test_plain_words_become_filters(query: str, where: list[str], text: str) -> None:
    assert read(query) == (where, text)


@pytest.mark.parametrize(
    "query",
    ["causal self attention with a mask", "quantum banana spaceship recipe", "keras models",
     "the other data", "train a model", "2 layer perceptron tutorial part 3"],
)  # fmt: skip
def test_words_the_catalog_does_not_hold_stay_words(query: str) -> None:
    """Only values some document has become filters ("keras" is not in this catalog), and no
    generic word ("other", "data", "model") ever does."""
    found = understand(query, VOCAB, today=TODAY)
    assert [c for c in found.clauses if c.key != "model_dimensions.num_layers"] == []
    assert found.text


@pytest.mark.timeout(60)  # a hang guard, not a speed target: the patterns are linear and capped
def test_hostile_queries_are_read_and_left_alone() -> None:
    for query in ["9" * 5000, "more than " * 2000, "(" * 900 + "7b", "é" * 999, "\x00 cfg > 7", "   "]:
        found = understand(query, VOCAB, today=TODAY)
        assert found.text == query.strip() or found.clauses, query[:20]
        if len(query) > MAX_CHARS:
            assert found.clauses == () and found.text == query.strip()
    assert understand("\x00 cfg > 7", VOCAB, today=TODAY).where == ["guidance_scale>7"]


# -- in search, on the example workspace --------------------------------------------------------------
def test_search_applies_and_shows_what_it_understood(indexed) -> None:
    hub, _ = indexed
    results = hub.search("pytorch code with more than 1M parameters", limit=20)
    assert "framework.name=pytorch" in results.understood
    assert "model_dimensions.total_parameters>1000000" in results.understood
    assert results.hits
    for hit in results.hits:
        assert hit.metadata["framework"]["name"] == "pytorch"
        assert hit.metadata["model_dimensions"]["total_parameters"] > 1e6
    assert any(line.startswith("understood: framework.name=pytorch") for line in results.explain())
    literal = hub.search("pytorch code with more than 1M parameters", limit=20, understand=False)
    assert literal.understood == [] and literal.filters == []


def test_a_filter_that_leaves_nothing_is_dropped_with_a_note(indexed) -> None:
    hub, _ = indexed
    results = hub.search("pytorch models with more than 900B parameters", kind="code")
    assert results.hits, "ranked without the impossible filter rather than empty"
    assert results.understood == ["framework.name=pytorch"]  # the part that matches is kept
    assert results.notes == [
        "nothing matches 'more than 900B parameters' (model_dimensions.total_parameters>900000000000); "
        "ranked without it"
    ]
    assert all(h.metadata["framework"]["name"] == "pytorch" for h in results.hits)


def test_unknown_where_key_names_close_keys(indexed) -> None:
    hub, _ = indexed
    with pytest.raises(FilterError, match=r"unknown filter key 'framwork.name'.*framework\.name"):
        hub.search("attention", where=["framwork.name=pytorch"])
    assert hub.search("attention", where=["framework=pytorch"]).hits  # short names still work


def test_any_spelling_of_a_stored_checkpoint_or_dataset_is_recognised():
    vocab = {"model_checkpoint": [("dreamshaper_8", 3)], "dataset.name": [("cifar10", 2)]}
    for query in (
        "dreamshaper_8.safetensors portraits",
        "DreamShaper_8 portraits",
        "dreamshaper_8 portraits",
    ):
        assert understand(query, vocab, TODAY).where == ["model_checkpoint=dreamshaper_8"], query
    assert understand("resnet on CIFAR10", vocab, TODAY).where == ["dataset.name=cifar10"]
