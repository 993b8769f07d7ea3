"""The first hour of a new user, kernel side: feedback while the model loads, forms, defaults, commands."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelhub_jupyter import Hub
from modelhub_jupyter.cli import main
from modelhub_jupyter.search.suggest import suggest
from modelhub_jupyter.widgets import SearchPanel

REPO = Path(__file__).resolve().parents[1]


class SlowEmbedder:
    """The real embedder behind a first call that takes a while (a model still loading)."""

    def __init__(self, real, delay: float = 1.0) -> None:
        self.real, self.name, self._model = real, real.name, None
        self.release = threading.Event()
        self.delay = delay

    @property
    def dim(self) -> int:
        return self.real.dim

    def embed(self, texts):
        self.release.wait(self.delay)
        return self.real.embed(texts)


@pytest.fixture
def slow_hub(indexed, shared_embedder):
    hub, _ = indexed
    slow = Hub(hub.settings.home, embedder=SlowEmbedder(shared_embedder, delay=30))
    yield slow
    slow.embedder.release.set()
    slow.close()


def test_first_search_shows_keyword_hits_and_the_real_query_while_the_model_loads(slow_hub):
    panel = SearchPanel(slow_hub)
    panel.query = "c"
    assert panel.status == "loading" and "'c'" in panel.message
    panel.query = "castle at sunset"  # typed on while the model loads: the status follows the box
    assert panel.status == "loading"
    assert "Loading the embedding model" in panel.message and "'castle at sunset'" in panel.message
    assert panel.results, "keyword matches are shown before the model is ready"
    assert any("castle" in r["path"] for r in panel.results)
    slow_hub.embedder.release.set()
    panel.wait(60)
    assert panel.status == "idle", panel.message
    assert "castle" in panel.results[0]["path"]
    assert panel.history[0] == "castle at sunset"


def test_history_restores_text_kind_filters_and_removed_chips(indexed):
    hub, _ = indexed
    panel = SearchPanel(hub)
    panel.kind = "code"
    panel.where = ["framework=pytorch"]
    panel.query = "attention"
    panel._handle_front({"event": "commit", "query": "attention"})
    panel.kind, panel.where = "image", []
    panel.query = "castle at sunset"
    panel._handle_front({"event": "commit", "query": "castle at sunset"})
    assert panel.history[0].startswith("castle at sunset")
    index = next(i for i, item in enumerate(panel.history_items) if item["query"] == "attention")
    assert "kind=code" in panel.history[index] and "framework=pytorch" in panel.history[index]
    panel._handle_front({"event": "restore", "index": index})
    assert (panel.query, panel.kind, panel.where) == ("attention", "code", ["framework=pytorch"])
    assert panel.results and all(r["kind"] == "code" for r in panel.results)
    panel._handle_front({"event": "restore", "index": 99})  # stale index from the browser: ignored
    assert panel.status != "error"


def test_suggestions_complete_words_not_letters():
    vocab = {"style_tags": [("matte painting", 3), ("attention", 1)], "framework.name": [("pytorch", 9)]}
    assert [s.term for s in suggest(vocab, "causal self att")] == ["attention"]
    assert [s.term for s in suggest(vocab, "torch")] == ["pytorch"]  # 5+ letters: inside a word too
    assert suggest(vocab, "orc") == []


def test_panels_without_arguments_use_the_default_hub(indexed, monkeypatch):
    from modelhub_jupyter.hub import open_hub, share_hub
    from modelhub_jupyter.widgets import AskPanel, ImageGallery, IndexPanel

    hub, _ = indexed
    monkeypatch.setenv("MODELHUB_HOME", str(hub.settings.home))
    share_hub(hub)
    assert open_hub() is hub
    for panel in (SearchPanel(query="attention"), ImageGallery(), IndexPanel(), AskPanel()):
        assert panel.hub is hub and panel.status != "error", (type(panel).__name__, panel.message)


def test_store_options_after_the_command(tmp_path):
    runner = CliRunner()
    done = runner.invoke(main, ["status", "--home", str(tmp_path / "h"), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["home"] == str(tmp_path / "h")
    before = runner.invoke(
        main, ["--home", str(tmp_path / "a"), "status", "--home", str(tmp_path / "b"), "--json"]
    )
    assert json.loads(before.output)["home"] == str(tmp_path / "b")  # the one nearer the command wins


def test_every_cli_command_is_a_magic():
    import click

    from modelhub_jupyter import _magic_parsers as parsers
    from modelhub_jupyter.commands import COMMANDS

    def names(group: click.Group, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for name, cmd in group.commands.items():
            out |= names(cmd, f"{prefix}{name} ") if isinstance(cmd, click.Group) else {prefix + name}
        return out

    assert names(main) == set(COMMANDS) == names(parsers.modelhub)


def test_magic_relationships_and_schemas_export(indexed, tmp_path, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from modelhub_jupyter.magics import ModelHubMagics

    hub, _ = indexed
    shell = InteractiveShell.instance()
    magics = ModelHubMagics(shell=shell)
    magics.hub = hub
    edges = magics.modelhub("relationships")
    assert edges is not None and edges["relationships"], capsys.readouterr().err
    written = magics.modelhub(f"schemas export {tmp_path}")
    assert written is not None and any(tmp_path.glob("*.json")), capsys.readouterr().err
    assert "modelhub schemas export" in written._repr_html_()


def test_shipped_voila_config_culls_idle_kernels():
    config = json.loads((REPO / "voila.json").read_text())
    kernels = config["MappingKernelManager"]
    assert kernels["cull_idle_timeout"] > 0 and kernels["cull_interval"] > 0
    assert kernels["cull_connected"] is False  # an open page keeps its kernel


def test_dashboard_intro_speaks_to_people_who_do_not_program():
    notebook = json.loads((REPO / "notebooks" / "dashboard.ipynb").read_text())
    intro = "".join(notebook["cells"][0]["source"])
    for programmer_word in ("$MODELHUB_HOME", "modelhub index", "PATH", "workspace"):
        assert programmer_word not in intro


def test_magic_lines_take_a_trailing_comment(indexed, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from modelhub_jupyter.magics import ModelHubMagics

    hub, _ = indexed
    magics = ModelHubMagics(shell=InteractiveShell.instance())
    magics.hub = hub
    info = magics.modelhub("status   # what is indexed")
    assert info is not None and "UsageError" not in capsys.readouterr().err
    res = magics.modelsearch("-n 3 C# models")  # a '#' inside a word is part of the query
    assert res is not None and res.query == "C# models"
