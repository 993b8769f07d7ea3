"""End to end through the public ``Hub``: index the example workspace, search it, show a file."""

from __future__ import annotations

import pytest

from modelhub_jupyter.search.engine import QueryError
from modelhub_jupyter.search.filters import FilterError


def test_example_workspace_indexes_every_kind_without_errors(indexed):
    hub, report = indexed
    assert report.errors == [], report.errors
    assert report.indexed == report.files_seen > 20
    assert report.documents["code"] > 50
    assert report.documents["image"] >= 12
    assert report.documents["model"] >= 1
    assert report.embeddings_computed > 0


def test_code_search_finds_attention_in_the_transformers(indexed):
    hub, _ = indexed
    results = hub.search("causal self attention", kind="code", limit=5)
    assert len(results) == 5
    top = results[0]
    assert top.path.startswith("gpt/transformer_v")
    assert top.lines and top.lines[0] <= top.lines[1]
    assert "attn" in top.snippet.lower() or "attention" in top.snippet.lower()
    assert top.metadata["framework"]["name"] == "pytorch"


def test_where_filters_restrict_results(indexed):
    hub, _ = indexed
    tf = hub.search("convolutional network training", kind="code", where=["framework=tensorflow"], limit=10)
    assert len(tf) > 0
    assert all(h.metadata["framework"]["name"] == "tensorflow" for h in tf)
    jax = hub.search("", kind="code", where=["framework=jax"], limit=50)
    assert {h.path.split("/")[0] for h in jax} == {"jax"}


def test_filter_only_query_and_numeric_ranges(indexed):
    hub, _ = indexed
    big = hub.search("", kind="code", where=["model_dimensions.hidden_size>=512"], limit=100)
    assert len(big) > 0
    assert all(h.metadata["model_dimensions"]["hidden_size"] >= 512 for h in big)


def test_image_search_by_prompt(indexed):
    hub, _ = indexed
    results = hub.search("castle at sunset", kind="image", limit=3)
    assert "castle" in results[0].metadata["prompt"].lower()
    assert results[0].metadata["thumbnail_path"].endswith(".webp")
    assert results[0].lines is None


def test_model_search_and_model_metadata(indexed):
    hub, _ = indexed
    results = hub.search("small GPT trained on wikitext", kind="model", limit=3)
    assert results[0].path.startswith("models/tiny-gpt")
    md = results[0].metadata
    assert md["model_dimensions"]["total_parameters"] > 0
    assert md["license"] == "mit"
    # a directory has no git history of its own: it is that of its member files
    assert md["history_source"] == "git" and md["authors"] and md["creation_date"].startswith("2025-")


def test_results_convert_to_frames_and_html(indexed):
    hub, _ = indexed
    results = hub.search("optimizer learning rate", limit=4)
    frame = results.to_frame()
    assert list(frame.columns[:3]) == ["score", "kind", "path"]
    assert len(frame) == 4
    assert "<pre" in results._repr_html_()
    assert [d["path"] for d in results.to_dict()] == [h.path for h in results]


def test_show_gives_values_with_provenance(indexed, example_workspace):
    hub, _ = indexed
    view = hub.show(example_workspace / "gpt" / "transformer_v2.py")
    md = view.metadata
    assert view.indexed and view.kind == "python"
    assert md["framework"]["name"] == "pytorch"
    assert md["architecture_type"] == "transformer"
    assert md["version"].startswith("2")
    assert "transformer_v1" in md["predecessor_models"]
    assert md["history_source"] == "git" and md["commit_count"] >= 2
    assert view.provenance["creation_date"] == "git log"
    hidden_from = view.provenance["model_dimensions.hidden_size"]
    assert hidden_from.startswith("gpt/transformer_v2.py:")
    line = int(hidden_from.split(":")[1])
    source = (example_workspace / "gpt" / "transformer_v2.py").read_text().splitlines()
    assert str(md["model_dimensions"]["hidden_size"]) in source[line - 1]
    assert any(c["chunk_type"] == "class" for c in view.chunks)


def test_lineage_and_links(indexed):
    hub, _ = indexed
    edges = hub.relationships()
    assert any(
        e["relation"] == "predecessor_of"
        and e["source_id"] == "transformer_v1"
        and e["target_id"] == "transformer_v2"
        for e in edges
    )
    assert any(e["relation"] == "generated_by" and e["source_id"].startswith("outputs/") for e in edges)
    assert any(e["relation"] == "trained_on" and e["target_id"] == "wikitext" for e in edges)
    defined = [e for e in edges if e["relation"] == "defined_in" and e["source_id"] == "tiny-gpt"]
    assert [e["target_id"] for e in defined] == ["notebooks/explore_gpt.ipynb"]
    castle = [
        e for e in edges if e["relation"] == "generated_by" and e["source_id"] == "outputs/castle_sunset.png"
    ]
    assert castle[0]["target_id"] == "sd15_castle_v1" and "models/stable-diffusion" in castle[0]["evidence"]


def test_status_reports_store_model_and_last_run(indexed, example_workspace):
    hub, report = indexed
    status = hub.status()
    assert status["embedder"] == "all-minilm-l6-v2-int8"  # documents embedded through the int8 copy
    assert status["embedder_precision"] == hub.embedder.precision in {"fp32", "bf16"}
    assert status["roots"][0]["path"] == str(example_workspace)
    assert status["documents"] == report.documents
    assert status["last_run"]["status"] == "ok"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"query": ""}, QueryError, "empty query"),
        ({"query": "x", "kind": "audio"}, QueryError, "unknown kind"),
        ({"query": "x", "where": ["framework"]}, FilterError, "KEY=VALUE"),
    ],
)
def test_bad_queries_are_one_line_errors(indexed, kwargs, error, match):
    hub, _ = indexed
    with pytest.raises(error, match=match):
        hub.search(**kwargs)


def test_all_kinds_are_ranked_together(indexed):
    hub, _ = indexed
    # the best image or model chunk must not tie with the best code chunk just for being first of its kind
    assert {h.kind for h in hub.search("unet base channels", limit=5)} == {"code"}
    assert [h.kind for h in hub.search("castle at sunset", limit=2)] == ["image", "image"]


def test_search_can_rank_by_one_channel(indexed):
    hub, _ = indexed
    # a word no document contains: BM25 alone finds nothing, nearest neighbours always exist
    assert len(hub.search("zzqxv", kind="code", channels=("keyword",), limit=5)) == 0
    assert len(hub.search("zzqxv", kind="code", channels=("dense",), limit=5)) == 5
    keyword = hub.search("q_sample", kind="code", channels=("keyword",), limit=3)
    assert all("q_sample" in h.snippet for h in keyword)
    with pytest.raises(QueryError, match="channels"):
        hub.search("x", channels=("sparse",))


def test_browse_pages_through_images_with_totals(indexed):
    hub, _ = indexed
    first = hub.browse("image", limit=5)
    second = hub.browse("image", offset=5, limit=5)
    assert first.total == second.total >= 12
    assert len(first) == 5 and not {h.id for h in first} & {h.id for h in second}
    comfy = hub.browse("image", where=["generator=comfyui"])
    assert comfy.total >= 4 and all(h.metadata["generator"] == "comfyui" for h in comfy)


def test_thumbnails_come_back_as_image_bytes(indexed):
    hub, _ = indexed
    hit = hub.browse("image", limit=1)[0]
    data = hub.thumbnail(hit.id)
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert hub.thumbnail("no-such-id") is None


def test_vocabulary_lists_the_catalogs_own_terms(indexed):
    hub, _ = indexed
    vocab = hub.vocabulary()
    assert {"pytorch", "tensorflow", "jax"} <= {v for v, _ in vocab["framework.name"]}
    assert dict(vocab["architecture_type"]).keys() >= {"transformer", "cnn", "rnn", "mlp", "diffusion", "gan"}
    assert any(v == "Euler a" for v, _ in vocab["sampler"])
