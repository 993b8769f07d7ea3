"""``--where`` filters as a user types them."""

from __future__ import annotations

import pytest

from modelhub_jupyter.search import filters

MODEL = {
    "framework": {"name": "pytorch"},
    "architecture_type": "transformer",
    "model_dimensions": {"total_parameters": 124_000_000, "hidden_size": 768},
    "dataset": {"name": "wikitext"},
    "authors": ["Ada Lovelace", "Alan Turing"],
    "creation_date": "2025-01-10T09:00:00+00:00",
}


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("framework=pytorch", True),
        ("framework=PyTorch", True),
        ("framework=jax", False),
        ("framework=jax,pytorch", True),
        ("framework!=jax", True),
        ("params>100M", True),
        ("params>1B", False),
        ("hidden_size>=768", True),
        ("hidden_size<768", False),
        ("dataset~wiki", True),
        ("author=alan turing", True),
        ("creation_date>2025-01-01", True),
        ("creation_date<2025-01-01", False),
        ("missing.key=1", False),
        ("missing.key!=1", True),
    ],
)
def test_clause(clause, expected):
    assert filters.matches(MODEL, filters.parse([clause])) is expected


def test_all_clauses_must_hold():
    assert filters.matches(MODEL, filters.parse(["framework=pytorch", "params>100M"]))
    assert not filters.matches(MODEL, filters.parse(["framework=pytorch", "params>200M"]))


@pytest.mark.parametrize("bad", ["framework", "=pytorch", "framework=", "a b=c"])
def test_bad_clause_is_a_one_line_error(bad):
    with pytest.raises(filters.FilterError, match="expected KEY=VALUE"):
        filters.parse([bad])


def test_number_suffixes():
    assert filters.number("100M") == 100e6
    assert filters.number("1.3B") == 1.3e9
    assert filters.number("3e-4") == 3e-4
    assert filters.number("abc") is None


def test_an_int_no_float_holds_still_compares():
    """An int too large for a float orders as infinity instead of raising ``OverflowError``."""
    huge = {"n": 10**400}
    assert filters.matches(huge, filters.parse(["n>1B"]))
    assert not filters.matches(huge, filters.parse(["n<1B"]))
    assert not filters.matches(huge, filters.parse(["n=1B"]))


# ----------------------------------------------------------------------------- one name per thing


@pytest.mark.parametrize(
    ("clause", "canonical"),
    [
        ("model_checkpoint=dreamshaper_8.safetensors", "model_checkpoint=dreamshaper_8"),
        ("model=SDXL\\sd_xl_base_1.0.safetensors", "model_checkpoint=sd_xl_base_1.0"),
        ("model_checkpoint=dreamshaper_8 [879db523c3]", "model_checkpoint=dreamshaper_8"),
        ("dataset=CIFAR-10,MNIST", "dataset.name=cifar10,mnist"),
        ("framework!=PyTorch", "framework.name!=pytorch"),
        ("model_checkpoint~.safetensors", "model_checkpoint~.safetensors"),  # a substring is as typed
        ("sampler=Euler a", "sampler=Euler a"),  # keys without a canonical form are left alone
    ],
)
def test_equality_values_are_read_in_their_stored_form(clause, canonical):
    assert str(filters.parse(clause)[0]) == canonical


def test_every_spelling_of_a_dataset_selects_the_same_chunks(indexed):
    hub, _ = indexed

    def ids(where):
        return {h.id for h in hub.search("", kind="code", where=[where], limit=500, record=False)}

    cifar = ids("dataset.name=cifar10")
    assert cifar and all(ids(f"dataset={s}") == cifar for s in ("CIFAR10", "CIFAR-10", "Cifar10"))


def test_suggestions_and_vocabulary_list_cifar10_once(indexed):
    hub, _ = indexed
    datasets = [name for name, _ in hub.vocabulary()["dataset.name"]]
    assert "cifar10" in datasets and "CIFAR10" not in datasets
    assert len(datasets) == len({d.lower() for d in datasets})
    terms = [s.term.lower() for s in hub.suggest("cif") if s.key == "dataset.name"]
    assert terms.count("cifar10") == 1
