"""The BM25 channel's tokenizer: code identifiers and the ways people write dataset and model names."""

from __future__ import annotations

from modelhub_jupyter.search.keyword import KeywordIndex, tokenize


def test_identifiers_are_split_and_kept_whole():
    tokens = tokenize("class CausalSelfAttention: n_embd = 768")
    assert {"causalselfattention", "causal", "attention", "n_embd", "embd", "768"} <= set(tokens)


def test_hyphenated_names_match_their_joined_spelling():
    assert "cifar10" in tokenize("trained on CIFAR-10") and "gpt2" in tokenize("a GPT-2 decoder")
    docs = {
        "cifar10": "ResNet-18 classifier trained on CIFAR-10 with SGD",
        "decoy": "the CIFAR100 split: 10 superclasses, 10 epochs, 10 runs",
        "other": "a GPT-2 style decoder on wikitext-103",
    }
    index = KeywordIndex(list(docs), list(docs.values()))
    assert index.search("cifar10", 3)[0][0] == "cifar10"
    assert index.search("resnet18", 3)[0][0] == "cifar10"
    assert index.search("gpt2 wikitext103", 3)[0][0] == "other"
