"""Quality analytics over a recorded query log (a real catalog in a copy of the session hub's home):
the report, the problem queries' YAML in the gold set's format (read back by the gold loader), the
resource monitor, the Search panel's star, ``modelhub favorites`` and ``modelhub stats --problems-yaml``,
and the Quality panel."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
import types
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from modelhub_jupyter import Hub
from modelhub_jupyter import quality as q
from modelhub_jupyter.cli import main
from modelhub_jupyter.hub import share_hub
from modelhub_jupyter.store import QueryRow
from modelhub_jupyter.widgets import Dashboard, QualityPanel, QualityTab, SearchPanel
from tests.homes import copy_home

REPO = Path(__file__).resolve().parents[1]
STRONG = "causal self attention"
NOTHING = "attention"  # with framework.name=caffe: no results
DOWN = "Which models use AdamW, and with what learning rate?"
LOW = "something vague about models"  # recorded with a low confidence


def _gold_loader():
    spec = importlib.util.spec_from_file_location(
        "bench_retrieval_for_quality", REPO / "benchmarks" / "bench_retrieval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.load_gold


@pytest.fixture(scope="module")
def home(tmp_path_factory, indexed) -> Path:
    """A copy of the session hub's home with no queries, events or favorites (others record theirs)."""
    source = indexed[0]
    target = tmp_path_factory.mktemp("quality") / "home"
    copy_home(source.settings.home, target)
    copy = sqlite3.connect(target / source.settings.catalog_path.relative_to(source.settings.home))
    with copy:
        for table in ("queries", "usage_events", "favorites"):
            copy.execute(f"DELETE FROM {table}")
    copy.close()
    return target


@pytest.fixture(scope="module")
def hub(home, indexed):
    mp = pytest.MonkeyPatch()
    mp.delenv("MODELHUB_USER", raising=False)
    mp.delenv("MODELHUB_GROUPS", raising=False)
    with Hub(home, embedder=indexed[0].embedder) as own:
        share_hub(own)  # the CLI (open_hub) below uses this hub and its loaded embedder
        yield own
    mp.undo()


@pytest.fixture(scope="module")
def log(hub: Hub) -> dict[str, int | None]:
    """The recorded query log: real searches, a question, a comparison, opened results, and
    synthetic rows with known latencies and a low confidence."""
    strong = hub.search(STRONG, kind="code")
    hub.search(STRONG, kind="code")
    nothing = hub.search(NOTHING, where=["framework.name=caffe"])
    assert len(nothing) == 0
    answer = hub.ask(DOWN, llm="none")
    hub.feedback(answer.query_id, good=False)
    hub.feedback(strong.query_id, clicked="gpt/transformer_v1.py:10-40")
    hub.compare(["transformer_v1", "transformer_v2"])
    q.record_event(hub, "open", "outputs/castle.png", "image")
    for ms in (120.0, 180.0, 240.0):
        hub.catalog.record_query(QueryRow(0.0 + 1e9, "ada", "ask", "explain the unet", "all", "code_explanation",
                                          ms, 3, "", ["diffusion/ddpm_unet.py"], [], "python"))  # fmt: skip
    low_id = hub.catalog.record_query(
        QueryRow(1e9, "ada", "search", LOW, "all", "", 50.0, 4, "gpt/train_gpt.py", [], [], "python")
    )
    q.note_confidence(hub, low_id, 0.2)
    return {"strong": strong.query_id, "answer": answer.query_id}


def test_report_over_the_query_log(hub: Hub, log) -> None:
    conf = dict(hub.catalog.db.execute("SELECT id, confidence FROM queries").fetchall())
    assert conf[log["strong"]] is not None and conf[log["strong"]] >= q.LOW_CONFIDENCE  # a strong hit
    report = hub.quality.report()
    assert report["queries"] == 8
    assert sorted(report["latency_by_intent"]["code_explanation"]) == [120.0, 180.0, 240.0]
    assert report["latency_ms"]["code_explanation"] == {"p50": 180.0, "p95": 234.0, "n": 3}
    assert (
        len(report["latency_by_intent"]["search"]) == 4 and "metadata_lookup" in report["latency_by_intent"]
    )
    assert [p["text"] for p in report["zero_results"]] == [NOTHING]
    assert report["zero_results"][0]["where"] == ["framework.name=caffe"]
    assert [p["text"] for p in report["low_confidence"]] == [LOW] and report["low_confidence"][0][
        "confidence"
    ] == 0.2
    assert [p["text"] for p in report["thumbs_down"]] == [DOWN]
    assert {p["text"] for p in report["problems"]} == {NOTHING, LOW, DOWN}  # the strong search is not one
    opened = {o["path"]: o for o in report["opened"]}
    assert opened["gpt/transformer_v1.py"]["count"] == 1 and opened["outputs/castle.png"]["count"] == 1
    dims = {d["dimension"]: d for d in report["comparison_dimensions"]}
    assert dims and all(d["of"] == 1 and d["count"] == 1 for d in dims.values())
    assert "model_dimensions.num_layers" in dims or "version" in dims, sorted(dims)
    assert hub.quality.report(days=1)["queries"] == 4  # the synthetic rows are from 2001
    with pytest.raises(Exception, match="not a usage event"):
        q.record_event(hub, "delete", "x")


def test_problems_yaml_round_trips_into_the_gold_loader(hub: Hub, log, tmp_path, example_workspace) -> None:
    path = hub.quality.write_problems_yaml(tmp_path / "problems.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Problem queries") and "PROPOSALS" in text
    gold = {g.query: g for g in _gold_loader()(path)}  # the benchmark's own loader accepts it
    assert set(gold) == {NOTHING, LOW, DOWN}
    assert gold[NOTHING].where == ("framework.name=caffe",) and gold[NOTHING].style == "problem"
    for query in gold.values():
        assert query.labels[0].grade == 2 and all(lab.grade == 1 for lab in query.labels[1:])
        assert all((example_workspace / lab.path).exists() for lab in query.labels), query
    raw = {item["query"]: item for item in yaml.safe_load(text)["queries"]}
    assert raw[DOWN]["reasons"] == ["thumbs down"] and raw[DOWN]["review"] is True
    assert len({item["id"] for item in raw.values()}) == 3


def test_resource_monitor(hub: Hub, monkeypatch) -> None:
    snap = hub.quality.resources()
    assert snap["process"]["rss_bytes"] > 10_000_000 and snap["process"]["cpu_count"] >= 1
    stores = snap["stores"]
    assert stores["catalog"]["bytes"] > 0 and stores["home"]["bytes"] >= stores["catalog"]["bytes"]
    assert set(stores) == {"catalog", "chroma", "thumbnails", "home"}
    text = next(m for m in snap["models"] if m["role"] == "text embedder")
    assert text["loaded"] and text["name"] == hub.embedder.name  # the searches above loaded it

    # GPU figures only from a torch someone else imported: a CUDA torch stand-in is read, never imported
    cuda = types.SimpleNamespace(
        is_available=lambda: True, device_count=lambda: 1, mem_get_info=lambda i: (6 << 30, 8 << 30),
        get_device_name=lambda i: "Test GPU", memory_allocated=lambda i: 1 << 30,
    )  # fmt: skip
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    from modelhub_jupyter import resources

    assert resources.gpu() == [{"index": 0, "name": "Test GPU", "memory_total_bytes": 8 << 30,
                                "memory_used_bytes": 2 << 30, "allocated_bytes": 1 << 30}]  # fmt: skip
    monkeypatch.delitem(sys.modules, "torch")
    assert resources.gpu() == []


def test_search_panel_star_lists_reruns_and_removes(hub: Hub, monkeypatch) -> None:
    monkeypatch.setenv("MODELHUB_USER", "ada")
    panel = SearchPanel(hub)
    panel.set_state({"query": "attention", "kind": "code", "where": ["framework=pytorch"]})
    assert not panel.starred and panel.favorites == []
    panel._handle_front({"event": "star"})
    assert panel.starred and [(f["text"], f["kind"], f["where"]) for f in panel.favorites] == [
        ("attention", "code", ["framework=pytorch"])
    ]
    assert panel.favorites[0]["label"] == "attention  (kind=code, framework=pytorch)"
    panel.set_state({"where": []})  # other chips: not the starred search
    assert not panel.starred
    panel.set_state({"query": "diffusion noise", "kind": "all"})
    fav = panel.favorites[0]["id"]
    panel._handle_front({"event": "run_favorite", "id": fav})  # the whole search comes back and runs
    assert (panel.query, panel.kind, list(panel.where), panel.starred) == (
        "attention",
        "code",
        ["framework=pytorch"],
        True,
    )
    assert panel.status == "idle" and panel.results and all(r["kind"] == "code" for r in panel.results)
    assert SearchPanel(hub).favorites == panel.favorites  # stored, not kept in the panel
    monkeypatch.setenv("MODELHUB_USER", "bob")
    assert SearchPanel(hub).favorites == []  # per user
    monkeypatch.setenv("MODELHUB_USER", "ada")
    panel._handle_front({"event": "unstar", "id": fav})
    assert panel.favorites == [] and not panel.starred
    panel.set_state({"query": ""})
    panel._handle_front({"event": "star"})
    assert panel.status == "error" and "Nothing to star" in panel.message


def test_favorites_command_per_user_and_stats_problems_yaml(hub: Hub, log, tmp_path) -> None:
    home = str(hub.settings.home)
    with Hub(home, user="ada", embedder=hub.embedder) as ada:
        share_hub(ada)  # what open_hub(home, user="ada") gives the CLI
        runner = CliRunner()

        def cli(*args: str) -> str:
            result = runner.invoke(main, ["--home", home, *args], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.output

        out = cli("--user", "ada", "favorites", "add", "causal", "self", "attention", "--kind", "code")
        assert "starred #" in out and "★" in out and "kind=code" in out
        cli("--user", "ada", "favorites", "add", "--only", "ask", "how", "is", "the", "lr", "warmed", "up")
        listed = json.loads(cli("--user", "ada", "favorites", "--json"))
        assert listed["user"] == "ada" and [f["action"] for f in listed["favorites"]] == ["ask", "search"]
        assert json.loads(cli("--user", "ada", "favorites", "list", "--only", "search", "--json"))["favorites"][0][
            "options"] == {"kind": "code"}  # fmt: skip
        search_id = listed["favorites"][1]["id"]
        hits = json.loads(cli("--user", "ada", "favorites", "run", str(search_id), "--json"))
        assert hits and all(h["kind"] == "code" for h in hits)  # the search CLI's JSON shape
        human = cli("--user", "ada", "favorites", "run", str(search_id))
        assert "gpt/transformer_v" in human
        bad = runner.invoke(main, ["--home", home, "--user", "bob", "favorites", "run", str(search_id)])
        assert bad.exit_code != 0 and f"no favorite #{search_id} for bob" in bad.output  # per user
        assert "removed" in cli("--user", "ada", "favorites", "remove", str(search_id))
        gone = runner.invoke(main, ["--home", home, "--user", "ada", "favorites", "remove", str(search_id)])
        assert gone.exit_code != 0 and "no favorite" in gone.output

    target = tmp_path / "problems.yaml"
    stats = json.loads(cli("stats", "--problems-yaml", str(target), "--json"))
    assert stats["problems"] == 3 and stats["problems_yaml"] == str(target)
    assert {g.query for g in _gold_loader()(target)} == {NOTHING, LOW, DOWN}
    human = cli("stats", "--problems-yaml", str(tmp_path / "again.yaml"))
    assert f"problem queries: 3 written to {tmp_path / 'again.yaml'}" in human
    folder = runner.invoke(main, ["--home", home, "stats", "--problems-yaml", str(tmp_path)])
    assert folder.exit_code != 0 and "is a directory" in folder.output  # click's own check


def test_quality_panel_and_tab(hub: Hub, log, tmp_path) -> None:
    panel = QualityPanel(hub)
    assert panel.status == "idle", panel.message
    assert panel.report["queries"] >= 8 and {p["text"] for p in panel.report["problems"]} >= {
        NOTHING,
        LOW,
        DOWN,
    }
    labels = {r["label"] for r in panel.resources["stores"]}
    assert labels == {"catalog", "chroma", "thumbnails", "home"}
    assert any(
        r["label"] == "Memory (RSS)" and r["value"].endswith(("MiB", "GiB"))
        for r in panel.resources["process"]
    )
    panel._handle_front({"event": "export"})
    assert panel.status == "idle" and panel.message.startswith("Exported 3 problem queries")
    assert {i["query"] for i in yaml.safe_load(panel.yaml_text)["queries"]} == {NOTHING, LOW, DOWN}
    written = tmp_path / "panel.yaml"
    assert panel.export(str(written)) == written.read_text(encoding="utf-8")
    panel._handle_front({"event": "period", "days": "1"})
    assert panel.days == 1.0 and panel.report["queries"] < 8 and panel.report["since_days"] == 1.0
    assert panel.export(str(tmp_path)) == "" and panel.status == "error" and "is a folder" in panel.message

    tab = QualityTab(hub)
    assert tab.children == (tab.panel,) and tab.chart is None  # no plotly until shown
    assert tab.panel.report == {} and tab.panel.status == "empty"  # nor the log read
    tab.refresh()
    assert tab.panel.report["queries"] >= 8
    assert tab.children[1] is tab.chart and {t.name.split(" (")[0] for t in tab.chart.data} >= {
        "search",
        "code_explanation",
    }

    dash = Dashboard(hub)
    assert dash.quality.chart is None
    dash.selected_index = dash.children.index(dash.quality)  # the tab shown: its chart is made now
    assert dash.quality.chart is not None and dash.quality.children[1] is dash.quality.chart


def test_empty_log_says_so(tmp_path, indexed) -> None:
    with Hub(tmp_path / "empty", embedder=indexed[0].embedder) as fresh:
        panel = QualityPanel(fresh)
        assert panel.status == "empty" and "No queries recorded yet" in panel.message
        assert fresh.quality.problems() == [] and "queries: []" in fresh.quality.problems_yaml()


def test_resource_gauges_in_the_prometheus_metrics(hub: Hub) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from modelhub_jupyter.server.metrics import Metrics

    class State:  # what the server extension's state gives Metrics: a bound status method with hub()
        def hub(self) -> Hub:
            return hub

        def status(self) -> dict:
            return {"documents": {}, "files": 0, "errors": 0}

    families = {f.name: f for f in text_string_to_metric_families(Metrics(State().status).render().decode())}
    stores = {s.labels["store"]: s.value for s in families["modelhub_store_bytes"].samples}
    assert set(stores) == {"catalog", "chroma", "thumbnails", "home"} and stores["catalog"] > 0
    assert families["modelhub_process_resident_memory_bytes"].samples[0].value > 10_000_000
    loaded = {s.labels["role"]: s.value for s in families["modelhub_model_loaded"].samples}
    assert loaded["text embedder"] == 1.0
    assert "modelhub_gpu_memory_used_bytes" in families  # declared; no samples without a loaded CUDA torch


def test_favorites_magic(hub: Hub) -> None:
    """``%modelhub favorites`` is the same Command: add, list (a table in the notebook), run, remove."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.extension_manager.load_extension("modelhub_jupyter")
    magics = ip.magics_manager.registry["ModelHubMagics"]
    before = (magics.home, magics.user, list(magics.groups))
    magics.hub = hub
    try:
        added = ip.run_line_magic("modelhub", "favorites add diffusion noise schedule -k code")
        fav = next(f for f in added.items if f.text == "diffusion noise schedule")
        assert fav.options == {"kind": "code"} and "<table>" in added._repr_html_()
        listed = ip.run_line_magic("modelhub", "favorites --only search")
        assert [f.id for f in listed.items] == [fav.id]
        results = ip.run_line_magic("modelhub", f"favorites run {fav.id}")
        assert results.hits and {h.kind for h in results.hits} == {"code"}
        assert ip.run_line_magic("modelhub", f"favorites remove {fav.id}").items == []
    finally:
        magics.home, magics.user, magics.groups = before


def test_an_image_opened_in_the_gallery_counts_as_opened(hub: Hub) -> None:
    from modelhub_jupyter.widgets import ImageGallery

    gallery = ImageGallery(hub)
    item = gallery.items[0]
    before = {o["path"]: o["count"] for o in hub.quality.opened(top=100)}.get(item["path"], 0)
    gallery.detail_id = item["id"]
    assert gallery.detail["path"] == item["path"]
    after = {o["path"]: o for o in hub.quality.opened(top=100)}
    assert after[item["path"]]["count"] == before + 1 and after[item["path"]]["kind"] == "image"


def test_a_long_log_keeps_the_report_small_and_its_figures_whole(tmp_path) -> None:
    from modelhub_jupyter.widgets.quality import latency_plot

    with Hub(tmp_path / "home") as fresh:
        for ms in range(1, 2501):
            fresh.catalog.record_query(
                QueryRow(1e9, "ada", "search", f"query {ms}", "all", "", float(ms), 1, "", [], [], "python")
            )
        report = fresh.quality.report()
    sample = report["latency_by_intent"]["search"]
    # the box plot's values: a sample of the order statistics with both extremes ...
    assert (
        len(sample) == q.LATENCY_SAMPLE
        and sample == sorted(sample)
        and (sample[0], sample[-1]) == (1.0, 2500.0)
    )
    # ... while the percentiles and the count are over every logged latency
    assert report["latency_ms"]["search"]["n"] == 2500 and report["latency_ms"]["search"]["p50"] == 1250.5
    assert latency_plot(report).data[0].name == "search (2,500)"
