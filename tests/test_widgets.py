"""The anywidget panels, driven the way a front end drives them: ``set_state`` and custom messages."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from modelhub_jupyter.widgets import AskPanel, Dashboard, ImageGallery, IndexPanel, Panel, SearchPanel
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
    for panel in (
        IndexPanel(empty_hub),
        ImageGallery(empty_hub),
        SearchPanel(empty_hub),
        AskPanel(empty_hub),
    ):
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
    assert IndexPanel.events == {"reindex"} and SearchPanel.events == {
        "commit",
        "restore",
        "star",
        "run_favorite",
        "unstar",
    }
    assert ImageGallery.events == {"page"} and AskPanel.events == {"ask", "rate", "open", "star"}


def test_search_panel_kind_menu_comes_from_the_hub(hub):
    panel = SearchPanel(hub)
    assert panel.kinds == list(hub.kinds()) == ["all", "code", "image", "model"]
    assert 'model.get("kinds")' in panel._esm
    panel.set_state({"kind": "audio", "query": "attention"})
    assert panel.status == "error" and "unknown kind 'audio'" in panel.message


def test_static_assets_are_offline():
    files = sorted(STATIC.glob("*.js")) + sorted(STATIC.glob("*.css"))
    assert {f.name for f in files} >= {
        "frame.js",
        "frame.css",
        "search.js",
        "gallery.js",
        "index_panel.js",
        "ask.js",
    }
    for f in files:
        text = f.read_text().replace("http://www.w3.org/2000/svg", "")  # an SVG namespace name, not fetched
        assert "http://" not in text and "https://" not in text, f
        assert not re.search(r"^\s*import\b|\bimport\(", text, re.M), f
        assert "@import" not in text, f


def test_dashboard_tabs(hub, empty_hub, monkeypatch):
    dash = Dashboard(hub)
    assert dash.titles == ("Search", "Ask", "Images", "Index", "Models", "Compare", "Prompts", "Quality")
    kinds = (SearchPanel, AskPanel, ImageGallery, IndexPanel)  # anywidget subclasses per instance: isinstance
    assert len(dash.children) == 8 and dash.children[6] is dash.prompt_studio
    assert dash.children[7] is dash.quality and dash.quality.children == (
        dash.quality.panel,
    )  # chart: when shown
    assert all(isinstance(c, k) for c, k in zip(dash.children, kinds, strict=False))
    assert all(isinstance(c, Panel) for c in dash.children[:4]) and dash.index_panel.status == "idle"
    assert isinstance(dash.models.panel, Panel) and dash.children[4] is dash.models  # panel + benchmark chart
    assert (
        isinstance(dash.compare_tab.panel, Panel) and dash.children[5] is dash.compare_tab
    )  # + lineage chart
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


# -- AskPanel ----------------------------------------------------------------------------------
ADAMW = "Which models use AdamW, and with what learning rate?"
WARMUP = "how is the learning rate warmed up"


def _stored(hub, query_id):
    """The question as the catalog's queries table holds it."""
    return next(q for q in hub.catalog.queries() if q.id == query_id)


def _plain(html_line: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", html_line))


def test_ask_panel_answers_from_the_catalog_with_citations_that_open_their_lines(hub, example_workspace):
    panel = AskPanel(hub, llm="none")
    assert panel.status == "empty" and "Ask about" in panel.message and panel.answer == ""
    statuses: list[str] = []
    panel.observe(lambda change: statuses.append(change["new"]), names="status")
    panel._handle_front({"event": "ask", "question": ADAMW})  # Enter in the question box
    assert panel.wait(120) is not None
    assert "loading" in statuses and panel.status == "idle", panel.message  # "working…", then the answer
    assert not panel.running and panel.asked == ADAMW
    assert "gpt/train_gpt.py: learning rate 0.0003" in panel.answer
    assert panel.mode == "catalog" and "no language model" in panel.how
    assert panel.prompt_version == panel.result.prompt_version  # the template version, none without a model
    assert panel.intent == "metadata_lookup"

    fact = next(
        f
        for f in panel.result.facts
        if f["path"] == "gpt/train_gpt.py" and f["key"].endswith("learning_rate")
    )
    cite = next(c for c in panel.citations if c["n"] == fact["n"])
    assert re.fullmatch(r"gpt/train_gpt\.py:\d+(-\d+)?", cite["label"]) and cite["value"] == "0.0003"
    source = (example_workspace / "gpt/train_gpt.py").read_text().splitlines()
    cited = [line for line in cite["lines"] if line["cited"]]
    assert len(cited) == 1 and re.search(r"3e-4|0\.0003", source[cited[0]["no"] - 1])
    assert len(cite["lines"]) > 1  # with the lines around it
    for line in cite["lines"]:  # what the panel shows is the file, line for line
        assert _plain(line["html"]) == source[line["no"] - 1]
    for c in panel.citations:  # every citation points at lines the file has
        path, _, lines = c["label"].partition(":")
        assert (example_workspace / path).exists(), c["label"]
        if lines:
            assert int(lines.split("-")[-1]) <= len((example_workspace / path).read_text().splitlines())

    row = _stored(hub, panel.query_id)
    assert (row.action, row.text, row.surface) == ("ask", ADAMW, "panel")
    panel._handle_front({"event": "open", "n": cite["n"]})  # the user opened the citation
    assert _stored(hub, panel.query_id).clicked == cite["label"]


def test_ask_panel_thumbs_store_feedback_with_the_question(hub):
    panel = AskPanel(hub, question=WARMUP, llm="none")  # a question given: asked at once
    panel.wait(120)
    assert panel.status == "idle", panel.message
    assert panel.mode == "extractive" and "the best passages" in panel.how
    assert "[1] gpt/train_gpt.py:" in panel.answer and "lr_at" in panel.answer
    assert panel.passages and len(panel.passages) == len(panel.citations) <= 4
    first = panel.passages[0]
    assert (
        first["n"] == 1
        and first["location"].startswith("gpt/train_gpt.py:")
        and "lr_at" in first["code_html"]
    )
    assert all(
        line["cited"] is False for line in panel.citations[0]["lines"]
    )  # a passage: all of it is cited
    assert any("lr_at" in _plain(line["html"]) for line in panel.citations[0]["lines"])

    panel._handle_front({"event": "rate", "good": True})
    assert panel.feedback == "up" and _stored(hub, panel.query_id).feedback == 1
    assert panel.status == "idle" and "stored" in panel.message
    panel._handle_front({"event": "rate", "good": False})  # changed their mind
    assert panel.feedback == "down" and _stored(hub, panel.query_id).feedback == -1

    first_id = panel.query_id
    panel.ask(ADAMW)  # a new question: a new stored query, not yet rated
    panel.wait(120)
    assert (
        panel.query_id != first_id and panel.feedback == "" and _stored(hub, panel.query_id).feedback is None
    )


def test_ask_panel_streams_a_language_model_answer_on_a_thread(hub):
    from langchain_core.language_models import FakeListChatModel

    text = "Linear warmup, then cosine decay down to min_lr [1]."
    panel = AskPanel(hub, llm=FakeListChatModel(responses=[text], sleep=0.02))
    seen: list[tuple[str, bool]] = []
    panel.observe(lambda change: seen.append((change["new"], panel.streaming)), names="answer")
    thread = panel.ask(WARMUP)
    assert thread is not None and thread.is_alive() and panel.running  # the kernel is free meanwhile
    assert panel.status == "loading" and panel.message.startswith("Working…")
    assert panel.ask("another question") is thread and panel.asked == ""  # one question at a time
    panel.wait(120)
    streamed = [answer for answer, streaming in seen if streaming]
    assert streamed and text.startswith(streamed[0]) and len(streamed[0]) < len(text)  # words as they came
    assert panel.answer == text and not panel.streaming and panel.status == "idle", panel.message
    assert (
        panel.mode == "llm" and panel.model_name == "FakeListChatModel" and "FakeListChatModel" in panel.how
    )
    assert panel.prompt_version and panel.prompt_version == panel.result.prompt_version
    assert panel.citations[0]["n"] == 1 and panel.passages[0]["n"] == 1


def test_ask_panel_errors_are_one_line(hub, tmp_path):
    from langchain_core.language_models import FakeListChatModel

    from modelhub_jupyter import Hub

    panel = AskPanel(hub, llm="none")
    panel._handle_front({"event": "ask", "question": "   "})
    assert panel.status == "error" and "Empty question" in panel.message and panel._thread is None
    panel.rate(True)  # nothing asked yet
    assert panel.status == "error" and "ask one first" in panel.message

    broken = AskPanel(hub, llm="gguf:/no/such/model.gguf")  # a model that cannot be loaded
    broken.ask(WARMUP)
    broken.wait(120)
    assert broken.status == "error" and "no such GGUF file" in broken.message
    assert "\n" not in broken.message and broken.answer == "" and not broken.running

    failing = AskPanel(hub, llm=FakeListChatModel(responses=["x" * 40], error_on_chunk_number=5))
    failing.ask(WARMUP)  # the model fails while it writes: the passages answer, and the panel says why
    failing.wait(120)
    assert failing.status == "error" and failing.message.startswith("The language model failed")
    assert "\n" not in failing.message and "Traceback" not in failing.message
    assert failing.mode == "extractive" and failing.citations and "[1]" in failing.answer

    slow = AskPanel(
        hub, llm=FakeListChatModel(responses=["Linear warmup [1]. " * 4], sleep=0.05), timeout=0.3
    )
    slow.ask(WARMUP)  # the model is too slow: it keeps writing on its thread after the answer is shown
    slow.wait(120)
    assert slow.status == "error" and "no answer within 0.3 s" in slow.message and slow.mode == "extractive"
    assert not any("language model failed" in n for n in slow.notes)  # said once, in the status line
    shown = slow.answer
    for thread in [t for t in threading.enumerate() if t.name.startswith("modelhub-llm")]:
        thread.join(120)  # the late words are not shown over the answer
    assert slow.answer == shown and not slow.streaming and slow.answer.startswith("The passages")

    with Hub(tmp_path / "empty-home", embedder=hub.embedder) as empty:
        nothing = AskPanel(empty)
        assert nothing.status == "empty" and "%modelhub index" in nothing.message
        nothing.ask(WARMUP)
        nothing.wait(120)
        assert nothing.status == "error" and "%modelhub index" in nothing.message


def test_ask_panel_shows_an_answer_it_is_given(hub):
    answer = hub.ask(ADAMW, llm="none", surface="magic")
    panel = AskPanel(hub, question=ADAMW, answer=answer)
    assert panel._thread is None and panel.result is answer and panel.status == "idle"
    assert panel.answer == answer.answer and panel.query_id == answer.query_id
    assert len(panel.citations) == len(answer.citations)
    bundle = panel._repr_mimebundle_()
    assert WIDGET_MIME in (bundle[0] if isinstance(bundle, tuple) else bundle)
    assert "function mhFrame" in panel._esm and ".mh-ask" in panel._css
