"""The anywidget panels, driven the way a front end drives them: ``set_state`` and custom messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelhub_jupyter.widgets import Dashboard, ImageGallery, IndexPanel, Panel, SearchPanel
from modelhub_jupyter.widgets._frame import STATIC
from modelhub_jupyter.widgets.gallery import PARAM_KEYS

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def hub(indexed):
    return indexed[0]


@pytest.fixture(scope="module")
def empty_hub(tmp_path_factory, hub):
    from modelhub_jupyter import Hub

    fresh = Hub(tmp_path_factory.mktemp("empty-home"), embedder=hub.embedder)
    yield fresh
    fresh.close()


def _paths(panel: SearchPanel) -> list[str]:
    return [r["path"] for r in panel.results]


# -- SearchPanel -------------------------------------------------------------------------------
def test_query_fills_result_cards(hub):
    panel = SearchPanel(hub)
    assert panel.status == "empty" and panel.results == []
    panel.set_state({"query": "causal self attention"})
    assert panel.status == "idle", panel.message
    assert any(p.startswith("gpt/transformer_v") for p in _paths(panel)[:3])
    card = next(r for r in panel.results if r["kind"] == "code")
    assert re.fullmatch(r".+:\d+-\d+", card["location"]) and card["location"].startswith(card["path"])
    assert "<span class=" in card["code_html"] and card["breadcrumb"]
    assert isinstance(card["score"], float)
    keys = {m["key"]: m for m in card["meta"]}
    assert "framework.name" in keys and keys["framework.name"]["source"]  # provenance shown
    assert panel.history[0] == "causal self attention"


def test_query_from_python_and_constructor(hub):
    panel = SearchPanel(hub, query="diffusion noise schedule", kind="code", limit=3)
    assert panel.status == "idle" and 0 < len(panel.results) <= 3
    assert all(r["kind"] == "code" for r in panel.results)
    panel.query = "gothic castle moonlight"
    panel.kind = "image"
    assert panel.results and panel.results[0]["thumbnail"].startswith("data:image/")


def test_where_chips_restrict_and_remove(hub):
    panel = SearchPanel(hub, query="attention")
    assert any(p.startswith("gpt/") for p in _paths(panel))
    panel.set_state({"where": ["framework=jax"]})
    assert panel.results and all(p.startswith("jax/") for p in _paths(panel)), _paths(panel)
    panel.set_state({"where": ["framework=jax", "section_type=model_definition"]})
    assert all(
        {m["key"]: m["value"] for m in r["meta"]}.get("section_type") == "model_definition"
        for r in panel.results
    )
    panel.set_state({"where": []})
    assert any(p.startswith("gpt/") for p in _paths(panel))


def test_filters_read_from_words_are_chips_that_can_be_removed(hub):
    panel = SearchPanel(hub, kind="code", limit=60)
    panel.set_state({"query": "jax models with at least 2 layers"})
    assert panel.status == "idle", panel.message
    chips = {u["clause"]: u["phrase"] for u in panel.understood}
    assert chips == {"framework.name=jax": "jax", "model_dimensions.num_layers>=2": "at least 2 layers"}
    assert panel.results and all(p.startswith("jax/") for p in _paths(panel)), _paths(panel)
    panel.set_state({"ignored": ["framework.name=jax"]})  # the chip's ×
    assert [u["clause"] for u in panel.understood] == ["model_dimensions.num_layers>=2"]
    assert not all(p.startswith("jax/") for p in _paths(panel)), _paths(panel)
    panel.set_state({"query": "jax models with at least 2 layers and 900B parameters"})
    assert panel.ignored == []  # new words are read afresh
    assert any("900B parameters" in n and "ranked without it" in n for n in panel.notes), panel.notes


def test_filters_only_and_empty_and_bad(hub):
    panel = SearchPanel(hub, where=["framework=tensorflow"], kind="code")
    assert panel.status == "idle" and panel.results
    panel.set_state({"where": [], "query": "   "})
    assert panel.status == "empty" and panel.results == [] and "filter" in panel.message
    panel.set_state({"query": "attention", "where": ["nonsense"]})
    assert panel.status == "error" and panel.results == []
    assert "bad filter" in panel.message and "\n" not in panel.message and "Traceback" not in panel.message
    panel.set_state({"where": []})
    assert panel.status == "idle"


def test_suggestions_and_history(hub):
    panel = SearchPanel(hub)
    assert "framework.name=pytorch" in panel.filter_terms
    panel.set_state({"query": "Causal"})
    terms = [s["term"] for s in panel.suggestions]
    assert "CausalSelfAttention" in terms
    assert all({"term", "key", "count", "clause"} <= set(s) for s in panel.suggestions)
    panel.set_state({"query": "CausalSelf"})  # typing on: one history entry, the longest
    panel.set_state({"query": "dataloader"})
    assert panel.history[:2] == ["dataloader", "CausalSelf"]
    panel._handle_front({"event": "commit", "query": "CausalSelf"})
    assert panel.history[0] == "CausalSelf" and len(panel.history) == 2
    for i in range(25):
        panel._handle_front({"event": "commit", "query": f"q{i}"})
    assert len(panel.history) == 20


def test_only_the_committed_search_is_stored_for_analytics(hub):
    before = len(hub.catalog.queries())
    panel = SearchPanel(hub)
    for typed in ("rot", "rotary", "rotary embed"):  # as you type: not stored
        panel.set_state({"query": typed})
    assert len(hub.catalog.queries()) == before
    panel._handle_front({"event": "commit", "query": "rotary embed"})  # Enter
    stored = hub.catalog.queries()[before:]
    assert [(q.text, q.surface, q.action) for q in stored] == [("rotary embed", "panel", "search")]


# -- ImageGallery ------------------------------------------------------------------------------
def test_gallery_pages_send_only_that_page(hub):
    gallery = ImageGallery(hub, page_size=5)
    total = hub.browse("image", limit=1).total
    assert gallery.status == "idle" and gallery.total == total >= 10
    assert gallery.page_label == f"1–5 of {total}"
    first = [i["id"] for i in gallery.items]
    assert len(first) == 5 and all(
        i["thumbnail"].startswith("data:image/webp;base64,") for i in gallery.items
    )
    assert {"prompt", "steps", "sampler", "cfg", "seed", "model"} <= set(gallery.items[0]["overlay"])
    gallery.set_state({"page": 1})
    assert gallery.page_label == f"6–10 of {total}"
    assert not set(first) & {i["id"] for i in gallery.items}
    gallery._handle_front({"event": "page", "delta": 100})  # past the end: clamps to the last page
    last = (total - 1) // 5
    assert gallery.page == last and gallery.page_label == f"{last * 5 + 1}–{total} of {total}"


def test_gallery_filters_and_query(hub):
    gallery = ImageGallery(hub, page_size=48)
    euler = dict(hub.vocabulary()["sampler"])["Euler a"]
    gallery.set_state({"page": 0, "filters": {"sampler": "Euler a"}})
    assert gallery.total == euler and all(i["overlay"]["sampler"] == "Euler a" for i in gallery.items)
    gallery.set_state({"filters": {"min_steps": "30"}})
    assert gallery.items and all(float(i["overlay"]["steps"]) >= 30 for i in gallery.items)
    gallery.set_state({"filters": {}, "where": ["generator=comfyui"]})
    assert gallery.items and all(i["name"].startswith("comfy") for i in gallery.items), gallery.items
    gallery.set_state({"where": [], "query": "castle"})
    assert gallery.items[0]["name"].startswith("castle")
    gallery.set_state({"where": ["bogus"]})
    assert gallery.status == "error" and "bad filter" in gallery.message
    gallery.set_state({"where": [], "query": "", "filters": {"cfg_min": "high"}})
    assert gallery.status == "error" and "'high' is not a number" in gallery.message
    assert hub.filter_clauses(
        {"sampler": "DDIM", "model_checkpoint": ""},
        {"num_inference_steps": 20, "guidance_scale": "5"},
        {"x": ""},
    ) == ["sampler=DDIM", "num_inference_steps>=20", "guidance_scale>=5"]


def test_gallery_detail_and_compare(hub):
    gallery = ImageGallery(hub, page_size=48)
    by_name = {i["name"]: i["id"] for i in gallery.items}
    gallery.set_state({"detail_id": by_name["castle_sunset.png"]})
    rows = {r["key"]: r for r in gallery.detail["rows"]}
    assert list(rows) == list(PARAM_KEYS)
    assert "castle" in rows["prompt"]["value"] and rows["resolution"]["value"] == "96×64"
    assert rows["path"]["value"] == "outputs/castle_sunset.png" and "PNG" in rows["prompt"]["source"]
    assert gallery.detail["thumbnail"].startswith("data:image/")
    gallery.set_state({"detail_id": ""})
    assert gallery.detail == {}

    gallery.set_state({"selected": [by_name["castle_sunset.png"]]})
    assert gallery.comparison == {}
    gallery.set_state({"selected": [by_name["castle_sunset.png"], by_name["castle_moonlit.png"]]})
    comp = gallery.comparison
    assert len(comp["images"]) == 2 and all(im["thumbnail"] for im in comp["images"])
    assert {"prompt", "seed", "sampler", "guidance_scale", "path"} <= set(comp["differing"])
    same = {r["key"] for r in comp["rows"] if not r["diff"]}
    assert {"model_checkpoint", "model_hash"} <= same  # both from sd15_castle_v1


def test_gallery_placeholder_when_thumbnail_missing(hub, monkeypatch):
    gallery = ImageGallery(hub, page_size=4)
    victim = gallery.items[1]["id"]
    real = hub.thumbnail
    monkeypatch.setattr(hub, "thumbnail", lambda doc_id: None if doc_id == victim else real(doc_id))
    gallery.refresh()
    tile = next(i for i in gallery.items if i["id"] == victim)
    assert (
        tile["placeholder"] is True
        and tile["thumbnail"] == ""
        and tile["name"].endswith((".png", ".jpg", ".webp"))
    )
    assert all(i["thumbnail"] for i in gallery.items if i["id"] != victim)


# -- nothing indexed, IndexPanel ------------------------------------------------------------------
def test_empty_hub_says_how_to_index(empty_hub):
    for panel in (IndexPanel(empty_hub), ImageGallery(empty_hub), SearchPanel(empty_hub)):
        assert panel.status == "empty" and "%modelhub index" in panel.message, (panel, panel.message)
    assert "enter a folder above" in IndexPanel(empty_hub).message


def test_index_panel_status_and_background_reindex(hub, tmp_path, empty_hub):
    panel = IndexPanel(hub)
    assert panel.status == "idle"
    assert panel.summary["documents"]["code"] > 100 and panel.summary["roots"]
    assert panel.runs and {"started", "root", "status", "indexed"} <= set(panel.runs[0])
    assert isinstance(panel.errors, list)

    small = tmp_path / "small"
    small.mkdir()
    (small / "mlp.py").write_text("import torch.nn as nn\n\n\nclass MLP(nn.Module):\n    pass\n")
    (small / "broken.png").write_bytes(b"not really a png")
    fresh = IndexPanel(empty_hub)
    fresh.set_state({"path": str(tmp_path / "missing")})
    fresh._handle_front({"event": "reindex"})
    assert fresh.status == "error" and "no such" in fresh.message and not fresh.running
    seen: list[tuple[int, int]] = []
    fresh.observe(lambda change: seen.append((fresh.done, fresh.total)), names="done")
    fresh._handle_front({"event": "reindex", "path": str(small)})
    thread = fresh._thread
    assert thread is not None
    thread.join(120)
    assert not fresh.running and fresh.status == "idle", fresh.message
    assert fresh.report["files_seen"] >= 1 and fresh.runs and fresh.summary["documents"]
    assert "Indexed" in fresh.message
    assert all({"path", "error"} <= set(e) for e in fresh.errors)
    assert seen and seen[-1] == (2, 2)  # the progress bar counted both files


# -- plumbing -----------------------------------------------------------------------------------
def test_mimebundle_and_handler_errors(hub):
    panel = SearchPanel(hub)
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert WIDGET_MIME in data
    assert "export default" in panel._esm and "function mhFrame" in panel._esm
    assert ".mh-panel" in panel._css and ".mh-code .k" in panel._css
    gallery = ImageGallery(hub, page_size=2)
    gallery._handle_front({"event": "page", "delta": "not a number"})
    assert gallery.status == "error" and "\n" not in gallery.message
    gallery._handle_front({"event": "no-such-event"})  # ignored


def test_only_allowed_front_end_events_reach_python(hub, empty_hub, tmp_path):
    """The browser is not trusted: an event naming any other on_* method (or dunder) does nothing."""
    panel = IndexPanel(empty_hub)
    listeners = list(panel._listeners)
    panel._handle_front({"event": "indexed"})  # on_indexed registers callbacks: not for the browser
    panel._handle_front({"event": "__init__"})
    panel._handle_front({"event": ["reindex"]})
    assert panel._listeners == listeners and panel.status != "error" and not panel.running
    assert IndexPanel.events == {"reindex"} and SearchPanel.events == {"commit"}
    assert ImageGallery.events == {"page"}


def test_search_panel_kind_menu_comes_from_the_hub(hub):
    panel = SearchPanel(hub)
    assert panel.kinds == list(hub.kinds()) == ["all", "code", "image", "model"]
    assert 'model.get("kinds")' in panel._esm
    panel.set_state({"kind": "audio", "query": "attention"})
    assert panel.status == "error" and "unknown kind 'audio'" in panel.message


def test_static_assets_are_offline():
    files = sorted(STATIC.glob("*.js")) + sorted(STATIC.glob("*.css"))
    assert {f.name for f in files} >= {"frame.js", "frame.css", "search.js", "gallery.js", "index_panel.js"}
    for f in files:
        text = f.read_text()
        assert "http://" not in text and "https://" not in text, f
        assert not re.search(r"^\s*import\b|\bimport\(", text, re.M), f
        assert "@import" not in text, f


def test_dashboard_tabs(hub, empty_hub, monkeypatch):
    dash = Dashboard(hub)
    assert dash.titles == ("Search", "Images", "Index")
    kinds = (SearchPanel, ImageGallery, IndexPanel)  # anywidget subclasses per instance: isinstance
    assert len(dash.children) == 3
    assert all(isinstance(c, k) for c, k in zip(dash.children, kinds, strict=True))
    assert all(isinstance(c, Panel) for c in dash.children) and dash.index_panel.status == "idle"
    bundle = dash._repr_mimebundle_()
    assert WIDGET_MIME in (bundle[0] if isinstance(bundle, tuple) else bundle)
    monkeypatch.setenv("MODELHUB_HOME", empty_hub.settings.home.as_posix())
    opened = Dashboard()
    try:
        assert Path(opened.hub.settings.home) == Path(empty_hub.settings.home)
    finally:
        opened.hub.close()


def test_panels_accept_precomputed_results(hub):
    """The magics pass the results they already have: the panels show them without searching again."""
    res = hub.search("attention", kind="code", where=["framework=pytorch"], limit=4)
    panel = SearchPanel(
        hub, query="attention", kind="code", where=("framework=pytorch",), limit=4, results=res
    )
    assert [r["id"] for r in panel.results] == [h.id for h in res] and panel.status == "idle"
    images = hub.search("castle at sunset", kind="image", limit=3)
    gallery = ImageGallery(hub, query="castle at sunset", page_size=3, results=images)
    assert [i["id"] for i in gallery.items] == [h.id for h in images] and gallery.total == len(images)
    gallery.set_state({"query": "foggy pine forest"})  # a new query searches the hub again
    assert gallery.items[0]["name"] == "foggy_forest.png"


def test_a_served_dashboard_is_read_only_or_limited_to_its_roots(hub, empty_hub, monkeypatch, tmp_path):
    """Served by Voilà, a viewer cannot make the dashboard index (and so read) any folder they name."""
    monkeypatch.setenv("VOILA_SERVER_URL", "http://127.0.0.1:8866/")
    monkeypatch.delenv("MODELHUB_DASHBOARD_ROOTS", raising=False)
    panel = Dashboard(hub).index_panel
    assert panel.read_only
    panel._handle_front({"event": "reindex", "path": str(tmp_path)})
    assert panel.status == "error" and "read-only" in panel.message and not panel.running

    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    (allowed / "ws").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.py").write_text("API_KEY = 'sk-live-123'\n")
    (allowed / "escape").symlink_to(outside)
    (allowed / "ws" / "model.py").write_text("import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n")
    monkeypatch.setenv("MODELHUB_DASHBOARD_ROOTS", str(allowed))
    panel = Dashboard(empty_hub).index_panel
    assert not panel.read_only and panel.allowed_roots == [str(allowed.resolve())]
    for bad in (outside, allowed / "escape", allowed / ".." / "outside"):
        panel._handle_front({"event": "reindex", "path": str(bad)})
        assert panel.status == "error" and "not inside a folder this dashboard may index" in panel.message
        assert not panel.running
    panel._handle_front({"event": "reindex", "path": str(allowed / "ws")})
    panel._thread.join(120)
    assert panel.report["indexed"] == 1 and panel.status != "error"
    monkeypatch.delenv("VOILA_SERVER_URL")
    assert not Dashboard(hub, allowed_roots=[]).index_panel.read_only  # in a notebook: the user's own kernel
