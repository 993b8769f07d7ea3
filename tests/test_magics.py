"""The IPython magics, driven the way a notebook user drives them (a real InteractiveShell)."""

from __future__ import annotations

import copy
import fnmatch
import pickle
import subprocess
import sys
import types

import pytest
from IPython.core.interactiveshell import InteractiveShell

from modelhub_jupyter.hub import FileView
from modelhub_jupyter.magics import WIDGET_MIME, HubInfo, ModelHubMagics
from modelhub_jupyter.results import IndexReport, SearchResults


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.extension_manager.load_extension("modelhub_jupyter")
    return shell


@pytest.fixture
def magics(ip, indexed):
    """The registered ModelHubMagics, pointed at the session's indexed hub; config reset after."""
    hub, _ = indexed
    m = ip.magics_manager.registry["ModelHubMagics"]
    m.hub = hub  # the kernel's hub for this home: no second embedder is loaded
    ip.run_line_magic("config", f'ModelHubMagics.home = "{hub.settings.home}"')
    yield m
    for name in ("default_limit", "default_kind", "widgets", "progress", "debug"):
        m.traits()[name].set(m, m.traits()[name].default_value)
    m.hub = hub


def one_line_error(capsys) -> str:
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in out + err
    return lines[0]


# -- loading -----------------------------------------------------------------------------------
def test_load_ext_is_cheap():
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'modelhub_jupyter')\n"
        "assert {'modelhub', 'modelsearch'} <= set(ip.magics_manager.magics['line'])\n"
        "heavy = ('torch', 'chromadb', 'sentence_transformers', 'pandas', 'modelhub_jupyter.hub')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_unload_and_reload(ip, capsys):
    ip.run_line_magic("unload_ext", "modelhub_jupyter")
    assert "modelsearch" not in ip.magics_manager.magics["line"]
    assert not any(isinstance(c, ModelHubMagics) for c in ip.configurables)
    ip.run_line_magic("load_ext", "modelhub_jupyter")
    assert "modelsearch" in ip.magics_manager.magics["cell"]
    assert sum(isinstance(c, ModelHubMagics) for c in ip.configurables) == 1


# -- %modelsearch ------------------------------------------------------------------------------
def test_search_returns_real_results(ip, magics):
    ip.run_cell("res = %modelsearch -k code causal self attention")
    res = ip.user_ns["res"]
    assert isinstance(res, SearchResults)
    assert fnmatch.fnmatch(res[0].path, "gpt/transformer_v*.py")
    frame = res.to_frame()
    assert len(frame) == len(res) > 0
    assert res.to_dict()[0]["path"] == res[0].path


def test_where_restricts_framework(ip, magics):
    res = ip.run_line_magic("modelsearch", "--where framework.name=pytorch -n 20 attention")
    assert len(res) > 0
    assert {h.metadata["framework"]["name"] for h in res} == {"pytorch"}
    res = ip.run_line_magic("modelsearch", '-k code -w "framework=jax" -w "params>0" model')
    assert {h.metadata["framework"]["name"] for h in res} <= {"jax"}


def test_braces_interpolate_from_user_namespace(ip, magics):
    ip.user_ns["my_query"] = "causal self attention"
    res = ip.run_line_magic("modelsearch", "-k code {my_query}")
    assert res.query == "causal self attention"
    assert fnmatch.fnmatch(res[0].path, "gpt/transformer_v*.py")
    # an unknown name is left as it is, the known one still filled in
    res = ip.run_line_magic("modelsearch", "-k code {my_query} {no_such_name_here}")
    assert res.query == "causal self attention {no_such_name_here}"
    ip.user_ns["flt"] = "framework=pytorch"
    res = ip.run_line_magic("modelsearch", "-w {flt} attention")
    assert res.filters and {h.metadata["framework"]["name"] for h in res} == {"pytorch"}


def test_cell_magic_body_is_the_query(ip, magics):
    res = ip.run_cell_magic("modelsearch", "-k code -n 2", "causal self\nattention\n")
    assert isinstance(res, SearchResults) and len(res) == 2
    assert fnmatch.fnmatch(res[0].path, "gpt/transformer_v*.py")


def test_limit_and_config_defaults(ip, magics):
    assert len(ip.run_line_magic("modelsearch", "-n 3 model")) == 3
    assert len(ip.run_line_magic("modelsearch", "model")) == 10
    ip.run_line_magic("config", "ModelHubMagics.default_limit = 3")
    assert len(ip.run_line_magic("modelsearch", "model")) == 3
    ip.run_line_magic("config", 'ModelHubMagics.default_kind = "image"')
    res = ip.run_line_magic("modelsearch", "castle at sunset")
    assert res.kind == "image" and {h.kind for h in res} == {"image"}


def test_help_prints_click_usage(ip, magics, capsys):
    assert ip.run_line_magic("modelsearch", "--help") is None
    out = capsys.readouterr().out
    assert "Usage: %modelsearch [OPTIONS] [QUERY]..." in out and "--where" in out
    ip.run_line_magic("modelhub", "--help")
    out = capsys.readouterr().out
    assert "Usage: %modelhub" in out and "index" in out and "status" in out
    ip.run_line_magic("modelhub", "index -h")
    assert "Usage: %modelhub index [OPTIONS] PATH" in capsys.readouterr().out
    ip.run_line_magic("modelhub", "")  # no subcommand: the help, not an error
    assert "Commands:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("magic", "line", "expected"),
    [
        ("modelsearch", "--frob attention", "UsageError: No such option '--frob'"),
        ("modelsearch", "-k nope attention", "UsageError: Invalid value for '-k'"),
        ("modelsearch", "-n 0 attention", "UsageError: Invalid value for '-n'"),
        ("modelsearch", "'unbalanced", "UsageError: No closing quotation"),
        ("modelhub", "frobnicate", "UsageError: No such command 'frobnicate'"),
        ("modelhub", "show", "UsageError: Missing argument 'FILE'"),
    ],
)
def test_bad_usage_is_one_line(ip, magics, capsys, magic, line, expected):
    assert ip.run_line_magic(magic, line) is None
    assert one_line_error(capsys).startswith(expected)


def test_bad_usage_through_run_cell_has_no_traceback(ip, magics, capsys):
    result = ip.run_cell("%modelsearch --frob attention")
    assert result.success and result.result is None
    assert one_line_error(capsys).startswith("UsageError:")


@pytest.mark.parametrize(
    ("magic", "line", "expected"),
    [
        ("modelsearch", "", "modelhub: empty query"),
        ("modelsearch", "-w nonsense attention", "modelhub: bad filter 'nonsense'"),
        ("modelhub", "index /definitely/not/here", "modelhub: /definitely/not/here: no such directory"),
        ("modelhub", "show /definitely/not/here.py", "modelhub: "),
    ],
)
def test_engine_errors_are_one_line(ip, magics, capsys, magic, line, expected):
    assert ip.run_line_magic(magic, line) is None
    assert one_line_error(capsys).startswith(expected)


def test_nothing_indexed_is_explained(ip, magics, capsys, tmp_path):
    ip.run_line_magic("config", f'ModelHubMagics.home = "{tmp_path / "fresh"}"')
    assert ip.run_line_magic("modelsearch", "castle at sunset") is None
    assert one_line_error(capsys) == "modelhub: nothing indexed yet — run %modelhub index PATH"
    status = ip.run_line_magic("modelhub", "status")
    assert status["documents"] == {}
    assert "nothing indexed yet" in status._repr_mimebundle_()["text/plain"]


# -- %modelhub ---------------------------------------------------------------------------------
def test_status_object(ip, magics, indexed):
    hub, _ = indexed
    ip.run_cell("st = %modelhub status")
    st = ip.user_ns["st"]
    assert isinstance(st, HubInfo)
    assert st["home"] == str(hub.settings.home)
    assert st.to_dict()["documents"]["code"] > 0
    bundle = st._repr_mimebundle_()
    assert str(hub.settings.home) in bundle["text/plain"] and "<table>" in bundle["text/html"]
    assert pickle.loads(pickle.dumps(st)).to_dict() == st.to_dict()


def test_show_has_provenance(ip, magics, example_workspace):
    view = ip.run_line_magic("modelhub", f"show {example_workspace / 'gpt' / 'transformer_v1.py'}")
    assert isinstance(view, FileView)
    assert view.indexed and view.path == "gpt/transformer_v1.py"
    assert view.provenance and view.metadata["framework"]["name"] == "pytorch"
    bundle = view._repr_mimebundle_()
    assert "gpt/transformer_v1.py" in bundle["text/plain"] and "<table>" in bundle["text/html"]
    source = next(iter(view.provenance.values()))
    assert source in bundle["text/plain"]


def test_index_with_progress_returns_report(ip, magics, indexed, tmp_path, capsys):
    from modelhub_jupyter import Hub

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "tiny_net.py").write_text(
        "import torch.nn as nn\n\n\nclass TinyNet(nn.Module):\n"
        '    """A two-layer perceptron."""\n\n'
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n"
    )
    magics.hub = Hub(tmp_path / "home", embedder=indexed[0].embedder)
    report = ip.run_line_magic("modelhub", f"index {ws}")
    assert isinstance(report, IndexReport) and report.indexed == 1 and not report.errors
    progress = capsys.readouterr().err
    assert "indexing:" in progress  # the tqdm.auto bar (text outside a kernel)
    bundle = report._repr_mimebundle_()
    assert "files seen" in bundle["text/plain"] and "<table>" in bundle["text/html"]
    res = ip.run_line_magic("modelsearch", "two layer perceptron")
    assert res[0].path == "tiny_net.py"
    again = ip.run_line_magic("modelhub", f"index {ws} --no-progress")
    assert again.indexed == 0 and again.unchanged == 1
    magics.hub.close()


# -- display -----------------------------------------------------------------------------------
def test_results_bundle_outside_a_kernel(ip, magics):
    res = ip.run_line_magic("modelsearch", "-k code causal self attention")
    bundle = res._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}  # terminal IPython: no widget
    assert bundle["text/plain"].startswith("SearchResults('causal self attention'")
    data, _ = ip.display_formatter.format(res)
    assert "text/plain" in data and "text/html" in data
    plain = pickle.loads(pickle.dumps(res))  # travels as the engine's own class
    assert type(plain) is SearchResults and plain.to_dict() == res.to_dict()
    assert type(copy.deepcopy(res)) is SearchResults


@pytest.fixture
def fake_widgets(monkeypatch):
    """A stand-in ``modelhub_jupyter.widgets`` whose panels are real ipywidgets, recording calls."""
    import ipywidgets

    import modelhub_jupyter

    calls: list[tuple[str, dict]] = []

    def panel(name):
        class Panel(ipywidgets.HTML):
            def __init__(self, hub, **kwargs):
                calls.append((name, kwargs))
                super().__init__(value=name)

        return Panel

    module = types.ModuleType("modelhub_jupyter.widgets")
    module.SearchPanel = panel("SearchPanel")
    module.ImageGallery = panel("ImageGallery")
    monkeypatch.setitem(sys.modules, "modelhub_jupyter.widgets", module)
    monkeypatch.setattr(modelhub_jupyter, "widgets", module, raising=False)
    monkeypatch.setattr(ModelHubMagics, "_widgets_render", lambda self: self.widgets)
    return module, calls


def test_widget_view_where_widgets_render(ip, magics, fake_widgets):
    module, calls = fake_widgets
    ip.run_cell("res = %modelsearch -k code -w framework=pytorch -n 4 attention")
    res = ip.user_ns["res"]
    assert isinstance(res, SearchResults) and not calls  # the widget is built when shown
    bundle = res._repr_mimebundle_()
    assert {"text/plain", "text/html", WIDGET_MIME} <= set(bundle)
    name, kwargs = calls[0]
    assert name == "SearchPanel" and kwargs["results"] is not None
    assert kwargs == {
        "query": "attention",
        "kind": "code",
        "where": ("framework=pytorch",),
        "limit": 4,
        "results": kwargs["results"],
    }
    assert bundle[WIDGET_MIME]["model_id"] == res.widget.model_id
    images = ip.run_line_magic("modelsearch", "-k image -n 12 castle at sunset")
    assert WIDGET_MIME in images._repr_mimebundle_()
    assert calls[-1][0] == "ImageGallery" and calls[-1][1]["page_size"] == 12


def test_widgets_off_or_broken_falls_back_to_html(ip, magics, fake_widgets, caplog):
    module, calls = fake_widgets
    ip.run_line_magic("config", "ModelHubMagics.widgets = False")
    res = ip.run_line_magic("modelsearch", "attention")
    assert set(res._repr_mimebundle_()) == {"text/plain", "text/html"} and not calls
    ip.run_line_magic("config", "ModelHubMagics.widgets = True")

    def broken(hub, **kwargs):
        raise RuntimeError("front end not ready")

    module.SearchPanel = broken
    res = ip.run_line_magic("modelsearch", "attention")
    assert set(res._repr_mimebundle_()) == {"text/plain", "text/html"}
    assert "front end not ready" in caplog.text


def test_real_panels_where_widgets_render(ip, magics, monkeypatch):
    from modelhub_jupyter import widgets

    monkeypatch.setattr(ModelHubMagics, "_widgets_render", lambda self: self.widgets)
    res = ip.run_line_magic("modelsearch", "-k code -n 3 causal self attention")
    assert WIDGET_MIME in res._repr_mimebundle_()
    assert isinstance(res.widget, widgets.SearchPanel)
    images = ip.run_line_magic("modelsearch", "-k image -n 3 castle at sunset")
    assert WIDGET_MIME in images._repr_mimebundle_()
    assert isinstance(images.widget, widgets.ImageGallery)


def test_widget_metadata_is_kept(ip, magics, fake_widgets):
    module, _ = fake_widgets

    class ColabPanel:  # what anywidget returns on Colab: (data, metadata)
        def __init__(self, hub, **kwargs):
            pass

        def _repr_mimebundle_(self, **kwargs):
            view = {"version_major": 2, "version_minor": 1, "model_id": "abc"}
            return {WIDGET_MIME: view}, {WIDGET_MIME: {"colab": {"custom_widget_manager": {"url": "u"}}}}

    module.SearchPanel = ColabPanel
    data, metadata = ip.run_line_magic("modelsearch", "attention")._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == "abc" and "text/plain" in data
    assert metadata[WIDGET_MIME]["colab"]
