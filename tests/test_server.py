"""The server extension in a real ``jupyter server`` subprocess, enabled by the config file the
package installs (nothing here enables it): auth on every route, JSON in the CLI's shapes, errors
as JSON with the error codes' HTTP statuses, hostile input, an index run, Prometheus metrics."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, _spawn, free_port, jupyter_env

TOKEN = "modelhub-test-token"
GET_ROUTES = [
    "/modelhub/api/status",
    "/modelhub/api/counts",
    "/modelhub/api/search?q=attention",
    "/modelhub/api/suggest?q=pyt",
    "/modelhub/api/vocabulary",
    "/modelhub/api/browse?kind=image",
    "/modelhub/api/documents/x",
    "/modelhub/api/documents/x/file",
    "/modelhub/api/documents/x/open",
    "/modelhub/api/thumbnails/x",
    "/modelhub/api/errors",
    "/modelhub/api/runs",
    "/modelhub/api/index",
    "/modelhub/metrics",
    "/modelhub/api/notebooks/templates",
    "/modelhub/api/ask?q=which+models+use+AdamW",
    "/modelhub/api/models",
    "/modelhub/api/models/x",
    "/modelhub/api/compare?name=a&name=b",
    "/modelhub/api/metrics/recent",
    "/modelhub/api/plotly.js",
    "/modelhub/api/widgets",
    "/modelhub/api/widgets/search/module",
]


class Client:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, path: str, *, token: str | None = TOKEN, method: str = "GET", body: bytes | None = None):
        """(status, headers, body bytes)."""
        headers = {"Authorization": f"token {token}"} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    def json(self, path: str, status: int = 200, **kw):
        code, _, body = self.call(path, **kw)
        assert code == status, (path, code, body[:500])
        assert b"Traceback" not in body
        return json.loads(body)


@pytest.fixture(scope="module")
def server(tmp_path_factory, indexed, example_workspace):
    hub, _ = indexed
    base = tmp_path_factory.mktemp("server")
    env = jupyter_env(base / "jupyter", hub.settings.home)
    port = free_port()
    cmd = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={example_workspace.parent}",
    ]  # fmt: skip
    proc = _spawn("jupyter-server", cmd, f"http://127.0.0.1:{port}", env, base / "server.log", cwd=base)
    try:
        proc.wait("/api/status", timeout=120)
        yield Client(proc.url), hub, example_workspace
    finally:
        proc.stop()


def test_every_route_requires_authentication(server):
    client, _, _ = server
    for path in GET_ROUTES:
        for token in (None, "wrong-token"):
            status, headers, body = client.call(path, token=token)
            assert status in (401, 403), (path, token, status)
            assert b"Traceback" not in body and b"catalog" not in body
    for path in ("/modelhub/api/index", "/modelhub/api/notebooks"):
        status, _, _ = client.call(path, token=None, method="POST", body=b'{"template": "model_analysis"}')
        assert status in (401, 403), path


def test_search_answers_the_cli_contract(server):
    client, hub, _ = server
    hits = client.json("/modelhub/api/search?" + urllib.parse.urlencode({"q": "causal self attention",
                                                                         "kind": "code", "limit": 3}))  # fmt: skip
    assert 0 < len(hits) <= 3
    for hit in hits:
        assert {"id", "kind", "path", "score", "snippet", "metadata"} <= set(hit)
        assert hit["kind"] == "code" and not Path(hit["path"]).is_absolute()
    expected = hub.search("causal self attention", kind="code", limit=3, record=False)
    assert [h["id"] for h in hits] == [h.id for h in expected]
    # --where filters, as repeated parameters
    query = urllib.parse.urlencode([("q", "training"), ("where", "framework=pytorch"), ("kind", "code")])
    for hit in client.json(f"/modelhub/api/search?{query}"):
        assert hit["metadata"]["framework"]["name"] == "pytorch"
    suggestions = client.json("/modelhub/api/suggest?q=pyt")
    assert any(s["term"] == "pytorch" and s["clause"] for s in suggestions)


def test_documents_by_id_status_thumbnails_and_metrics(server):
    client, hub, workspace = server
    status = client.json("/modelhub/api/status")
    assert status["documents"] == hub.status()["documents"] and status["documents"]["code"] > 0
    assert status["index_job"]["state"] in ("idle", "done")
    counts = client.json("/modelhub/api/counts")
    assert counts["documents"] == status["documents"] and counts["errors"] == status["errors"]
    assert counts["files"] == status["files"]

    hit = hub.search("causal self attention", kind="code", limit=1, record=False).hits[0]
    doc_id = urllib.parse.quote(hit.id, safe="")
    doc = client.json(f"/modelhub/api/documents/{doc_id}")
    assert doc["id"] == hit.id and doc["lines"] == list(hit.lines)
    where = client.json(f"/modelhub/api/documents/{doc_id}/open")
    assert where["path"] == f"{workspace.name}/{hit.path}" and where["lines"] == list(hit.lines)
    shown = client.json(f"/modelhub/api/documents/{doc_id}/file")
    assert shown["path"] == hit.path

    page = client.json("/modelhub/api/browse?kind=image&limit=2")
    assert page["total"] >= 1 and len(page["hits"]) <= 2
    image_id = urllib.parse.quote(page["hits"][0]["id"], safe="")
    code, headers, data = client.call(f"/modelhub/api/thumbnails/{image_id}")
    assert code == 200 and headers["Content-Type"] == "image/webp"
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert isinstance(client.json("/modelhub/api/errors"), list)
    assert client.json("/modelhub/api/runs")[0]["root"] == str(workspace)

    code, headers, text = client.call("/modelhub/metrics")
    assert code == 200 and headers["Content-Type"].startswith("text/plain")
    metrics = text.decode()
    assert 'modelhub_http_requests_total{method="GET",route="search",status="200"}' in metrics
    assert 'modelhub_http_request_seconds_bucket{le="0.15",route="search"}' in metrics
    assert f'modelhub_documents{{kind="code"}} {float(status["documents"]["code"])}' in metrics
    assert 'modelhub_errors_total{code="permission_denied"}' in metrics  # from the unauthenticated calls


def test_bad_and_hostile_input_gives_one_line_json_errors(server):
    client, _, _ = server

    def error(path: str, status: int, code: str, **kw) -> str:
        body = client.json(path, status=status, **kw)
        assert body["error"] == code and "\n" not in body["message"], body
        return body["message"]

    error("/modelhub/api/documents/no-such-id", 404, "not_found")
    error("/modelhub/api/documents/no-such-id/open", 404, "not_found")
    error("/modelhub/api/thumbnails/no-such-id", 404, "not_found")
    assert "kind" in error("/modelhub/api/search?q=x&kind=spaceship", 400, "bad_query")
    assert "too long" in error("/modelhub/api/search?q=" + "a" * 20_000, 400, "bad_query")
    error("/modelhub/api/search?q=x&limit=lots", 400, "bad_query")
    error("/modelhub/api/search?q=x&limit=0", 400, "bad_query")
    error("/modelhub/api/search?q=x&where=" + urllib.parse.quote("framework"), 400, "bad_filter")
    error("/modelhub/api/browse?kind=all", 400, "bad_query")
    error("/modelhub/api/index", 422, "bad_input", method="POST", body=b"not json")
    error("/modelhub/api/index", 422, "bad_input", method="POST", body=json.dumps({"path": "../.."}).encode())
    error("/modelhub/api/index", 422, "bad_input", method="POST", body=json.dumps({"path": "/etc"}).encode())
    error("/modelhub/api/status?home=/etc", 404, "not_found")  # only an existing store may be named
    # hostile words are searched as words: a JSON list comes back, nothing is run or reflected as markup
    hostile = "<script>alert(1)</script>' OR 1=1; DROP TABLE documents; -- {{7*7}} ${HOME} \x00"
    code, headers, body = client.call("/modelhub/api/search?" + urllib.parse.urlencode({"q": hostile}))
    assert code in (200, 400) and headers["Content-Type"].startswith("application/json")
    assert b"<script>" not in body and b"Traceback" not in body


def test_an_index_run_from_the_server(server):
    client, _, workspace = server
    body = json.dumps({"path": workspace.name}).encode()
    job = client.json("/modelhub/api/index", status=202, method="POST", body=body)
    assert job["state"] == "running" and job["roots"] == [str(workspace)]
    deadline = time.monotonic() + 300
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        job = client.json("/modelhub/api/index")
    assert job["state"] == "done", job
    report = job["reports"][0]
    assert report["files_seen"] > 0 and not report["errors"]


def test_notebook_templates_and_writing_one_into_the_server_root(server):
    import nbformat

    client, hub, workspace = server
    templates = {t["name"]: t for t in client.json("/modelhub/api/notebooks/templates")}
    assert {"model_analysis", "compare_models", "train_model"} <= set(templates)
    spec = {p["name"]: p for p in templates["model_analysis"]["parameters"]}
    assert set(spec) == {"model"} and spec["model"]["required"] and spec["model"]["default"] == ""
    train = {p["name"]: p for p in templates["train_model"]["parameters"]}
    assert train["epochs"] == {**train["epochs"], "type": "int", "default": 20}

    post = {"template": "model_analysis", "params": {"model": "transformer_v2"}}
    written = [client.json("/modelhub/api/notebooks", status=201, method="POST", body=json.dumps(post).encode())
               for _ in range(2)]  # fmt: skip
    assert [w["path"] for w in written] == ["model_analysis.ipynb", "model_analysis-1.ipynb"]
    target = workspace.parent / written[0]["path"]
    try:
        nb = nbformat.read(target, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["modelhub"]["status"] == "written"  # written, not executed
        injected = "".join(c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert 'model = "transformer_v2"' in injected and "snapshot_json" in injected
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    finally:
        for w in written:
            (workspace.parent / w["path"]).unlink(missing_ok=True)

    def error(body: object, status: int, code: str) -> str:
        reply = client.json(
            "/modelhub/api/notebooks", status=status, method="POST", body=json.dumps(body).encode()
        )
        assert reply["error"] == code and "\n" not in reply["message"], reply
        return reply["message"]

    assert "model_analysis" in error({"template": "nope"}, 404, "not_found")
    assert "required" in error({"template": "model_analysis", "params": {}}, 422, "bad_input")
    assert "unknown parameter" in error(
        {"template": "model_analysis", "params": {"rm": "-rf"}}, 422, "bad_input"
    )
    error({"template": "model_analysis", "params": {"model": "x"}, "folder": "../.."}, 404, "not_found")
    error({"template": "model_analysis", "params": {"model": "x"}, "folder": "/etc"}, 422, "bad_input")
    error({"template": "train_model", "params": {"epochs": "many"}}, 422, "bad_input")
    assert not list(workspace.parent.glob("*.ipynb"))


def test_ask_models_and_compare_routes(server):
    client, hub, _ = server
    question = "Which models use AdamW, and with what learning rate?"
    answer = client.json("/modelhub/api/ask?" + urllib.parse.urlencode({"q": question}))
    assert answer["mode"] == "catalog" and answer["citations"], answer
    assert all(c["path"] and not Path(c["path"]).is_absolute() for c in answer["citations"])
    assert "AdamW" in answer["answer"] or "adamw" in answer["answer"].lower()
    assert client.json("/modelhub/api/ask?q=x&llm=openai:gpt-4o", status=400)["error"] == "bad_query"
    assert client.json("/modelhub/api/ask?q=", status=400)["error"] == "bad_query"

    models = client.json("/modelhub/api/models")
    assert models == json.loads(json.dumps(hub.models.list(), default=str))
    if models:
        shown = client.json("/modelhub/api/models/" + urllib.parse.quote(models[0]["name"], safe=""))
        assert shown["name"] == models[0]["name"] and "versions" in shown
    assert client.json("/modelhub/api/models/no-such-model", status=404)["error"] == "not_found"

    assert "transformer_v1" in client.json("/modelhub/api/compare")["suggestions"]
    pair = [("name", "transformer_v1"), ("name", "transformer_v2")]
    compared = client.json("/modelhub/api/compare?" + urllib.parse.urlencode(pair))
    assert compared == json.loads(hub.compare(["transformer_v1", "transformer_v2"]).to_json())
    assert compared["differing"]
    page = client.json("/modelhub/api/compare?" + urllib.parse.urlencode([*pair, ("format", "html")]))
    assert "<table" in page["html"] and "<script" not in page["html"] and len(page["labels"]) == 2
    assert (
        client.json("/modelhub/api/compare?name=no-such-model&name=other", status=404)["error"] == "not_found"
    )


def test_models_route_on_a_home_with_registered_versions(server, tmp_path):
    from modelhub_jupyter import Hub
    from tests.test_registry import hf_folder

    client, _, _ = server
    home = tmp_path / "home"
    folder = hf_folder(tmp_path / "tiny-chat")
    with Hub(home) as hub:
        hub.models.register(folder, name="tiny", model_type="llm")
        hub.models.register(folder, name="tiny", version="v2", parent="v1")
    query = urllib.parse.urlencode({"home": str(home)})
    (row,) = client.json(f"/modelhub/api/models?{query}")
    assert row["name"] == "tiny" and row["type"] == "llm"
    assert [v["version"] for v in row["versions"]] == ["v1", "v2"]
    shown = client.json(f"/modelhub/api/models/tiny?{query}")
    assert [v["version"] for v in shown["versions"]] == ["v1", "v2"] and shown["versions"][1][
        "parent"
    ] == "v1"
    assert len(shown["versions"][0]["checkpoint_sha256"]) == 64
    assert client.json(f"/modelhub/api/models?type=robot&{query}", status=422)["error"] == "bad_input"


# -- the widget host: the real panels over a websocket ----------------------------------------------
def hosted(
    url: str,
    panel: str,
    *,
    token: str | None = TOKEN,
    home: str | None = None,
    send: tuple[dict, ...] = (),
    until=None,
    until_messages=None,
    timeout: float = 90,
):
    """Open ``panel``'s websocket, send ``send`` and read until ``until(state)`` (and
    ``until_messages(messages)``): (the open message, the state then, every message after open)."""
    import asyncio

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async def go():
        ws_url = url.replace("http", "ws", 1) + f"/modelhub/api/widgets/{panel}"
        if home:
            ws_url += "?" + urllib.parse.urlencode({"home": home})
        headers = {"Authorization": f"token {token}"} if token else {}
        conn = await websocket_connect(HTTPRequest(ws_url, headers=headers))
        try:
            opened = json.loads(await asyncio.wait_for(conn.read_message(), timeout))
            state, messages = dict(opened.get("state") or {}), []
            for message in send:
                await conn.write_message(json.dumps(message))
            while (until is not None and not until(state)) or (
                until_messages is not None and not until_messages(messages)
            ):
                raw = await asyncio.wait_for(conn.read_message(), timeout)
                assert raw is not None, ("closed", messages[-3:])
                messages.append(json.loads(raw))
                if messages[-1]["type"] == "update":
                    state.update(messages[-1]["state"])
            return opened, state, messages
        finally:
            conn.close()

    return asyncio.run(go())


def test_the_widget_host_serves_the_panels_own_module_and_state(server):
    client, hub, _ = server
    panels = client.json("/modelhub/api/widgets")["panels"]
    assert {"search", "gallery", "index", "ask", "models", "compare", "prompts"} <= set(panels)
    code, _, body = client.call("/modelhub/api/widgets/search/module")  # its text may say "Traceback"
    assert code == 200
    module = json.loads(body)
    from modelhub_jupyter.widgets import SearchPanel

    assert module["esm"] == SearchPanel._esm and "function render" in module["esm"]
    assert module["css"] == SearchPanel._css and ".mh-panel" in module["css"]
    assert client.json("/modelhub/api/widgets/spaceship/module", status=404)["error"] == "not_found"
    for path in ("/modelhub/api/widgets", "/modelhub/api/widgets/search/module"):
        assert client.call(path, token=None)[0] in (401, 403)

    query = "causal self attention"
    opened, state, messages = hosted(
        client.url, "search",
        send=(
            # private and protected traits are not the browser's to set: ignored
            {"type": "update", "state": {"panel": "evil", "_esm": "alert(1)", "status": "idle"}},
            {"type": "update", "state": {"query": query, "kind": "code"}},
            {"type": "custom", "content": {"event": "commit", "query": query}},
        ),
        until=lambda s: s.get("results") and any(h.startswith(query) for h in s.get("history") or []),
    )  # fmt: skip
    assert opened["type"] == "open" and opened["panel"] == "search" and opened["read_only"] is False
    assert opened["state"]["panel"] == "search" and "_esm" not in opened["state"]
    assert all(m["type"] in ("update", "custom") for m in messages), messages
    assert all("panel" not in m.get("state", {}) and "_esm" not in m.get("state", {}) for m in messages)
    expected = hub.search(query, kind="code", limit=10, record=False)
    assert [r["id"] for r in state["results"]][:3] == [h.id for h in expected][:3]
    assert state["results"][0]["code_html"]  # the panel's own card data, highlighted in Python


def test_the_widget_host_refuses_without_auth_and_names_unknown_panels(server):
    from tornado.httpclient import HTTPClientError
    from tornado.websocket import WebSocketError

    client, _, _ = server
    for token, panel, codes in ((None, "search", (401, 403)), ("wrong", "search", (401, 403)),
                                (TOKEN, "spaceship", (404,))):  # fmt: skip
        with pytest.raises((HTTPClientError, WebSocketError)) as caught:
            hosted(client.url, panel, token=token)
        assert getattr(caught.value, "code", None) in codes, (token, panel, caught.value)
    # a bad message is dropped, the panel goes on: the Prompt Studio answers after junk
    opened, state, _ = hosted(
        client.url, "prompts",
        send=({"type": "custom", "content": {"event": "__init__"}}, {"type": "update", "state": "x"},
              {"type": "update", "state": {"question": "Which models use AdamW?"}}),
        until=lambda s: "Which models use AdamW?" in json.dumps(s.get("rendered")),
    )  # fmt: skip
    assert opened["panel"] == "prompts" and "{{" in opened["state"]["user"]


def test_the_widget_host_carries_binary_buffers(server):
    """The gallery's drop-an-image search sends the file as a buffer (base64 over the websocket)."""
    import base64

    client, _, workspace = server
    image = next(p for p in sorted(workspace.rglob("*.png")) if p.stat().st_size > 0)
    content = {"event": "like_image", "name": image.name, "type": "image/png"}
    message = {
        "type": "custom",
        "content": content,
        "buffers": [base64.b64encode(image.read_bytes()).decode()],
    }
    _, state, _ = hosted(
        client.url,
        "gallery",
        send=(message,),
        until=lambda s: s.get("like_drop") or s.get("status") == "error",
    )
    assert state["like_drop"] == image.name, state.get("message")  # an empty buffer is refused first


def test_the_widget_host_sends_the_compare_timeline_as_plotly_json(server):
    """A chart that the notebook shows as a FigureWidget beside the panel (here Compare's lineage
    timeline) reaches the hosted view as plain plotly JSON, with no kernel: none before a comparison,
    the models' timeline after one."""
    client, _, _ = server
    models = ["transformer_v1", "transformer_v2"]

    def timeline(messages):
        figures = [m for m in messages if m["type"] == "figure" and m["figure"]]
        return figures[-1] if figures else None

    opened, state, messages = hosted(
        client.url, "compare",
        send=({"type": "custom", "content": {"event": "compare", "models": models}},),
        until=lambda s: s.get("result") or s.get("status") == "error",
        until_messages=lambda ms: timeline(ms) is not None,
    )  # fmt: skip
    assert state["status"] != "error", state.get("message")
    first = next(m for m in messages if m["type"] == "figure")
    assert first["figure"] is None  # nothing compared yet: no chart
    chart = timeline(messages)
    assert chart["class"] == "mh-mc-timeline"
    trace = chart["figure"]["data"][0]
    assert set(models) <= set(trace["text"]) and len(trace["x"]) == len(trace["text"])
    assert chart["figure"]["layout"]["title"]["text"].startswith("Lineage")


def test_hosted_figures_follow_their_traits_in_process(indexed):
    """The host's chart mechanism on the Models panel: a benchmark report redraws the bar chart
    (green for better), the same report again sends nothing, an empty one hides it."""
    from modelhub_jupyter.server.widget_host import HostedPanel
    from modelhub_jupyter.widgets.models import ModelsPanel

    hub, _ = indexed
    sent: list[dict] = []
    host = HostedPanel("models", lambda: ModelsPanel(hub, watch=0), sent.append)
    try:
        host.open(read_only=False)
        assert [m["type"] for m in sent] == ["open", "figure"] and sent[1]["figure"] is None
        bench = {"run_id": "r1", "change": [{"version": "v2", "against": "v1",
                                             "percent": {"recall@5": 12.5, "latency_p50_ms": 30.0}}]}  # fmt: skip
        host.panel.bench = bench
        host.executor.submit(lambda: None).result(timeout=60)  # the redraw runs on the panel's worker
        chart = [m for m in sent if m["type"] == "figure"][-1]
        assert chart["class"] == "mh-models-chart"
        bar = chart["figure"]["data"][0]
        assert bar["type"] == "bar" and bar["text"] == ["+12.5%", "+30.0%"]
        assert bar["marker"]["color"] == ["#2e7d32", "#c62828"]  # recall up: better; latency up: worse
        figures = [m for m in sent if m["type"] == "figure"]
        host.panel.bench = {**bench, "run_id": "r2"}  # a new report, the same chart
        host.executor.submit(lambda: None).result(timeout=60)
        assert [m for m in sent if m["type"] == "figure"] == figures  # the same chart is not sent again
        host.panel.bench = {}
        host.executor.submit(lambda: None).result(timeout=60)
        assert [m for m in sent if m["type"] == "figure"][-1] == {
            "type": "figure",
            "figure": None,
            "class": "mh-models-chart",
        }
    finally:
        host.close()


def test_host_pool_closes_the_least_recently_used_idle_view():
    from modelhub_jupyter.server.host_pool import HostPool, default_limit

    class View:
        def __init__(self, busy: bool = False) -> None:
            self.working = busy

        def busy(self) -> bool:
            return self.working

    pool = HostPool(2)
    a, b, c, d = View(), View(busy=True), View(), View()
    assert pool.add("ann", a) == [] and pool.add("ann", b) == []
    assert pool.add("bob", c) == []  # another user's views do not count
    assert pool.add("ann", c) == [a]  # a is older than b, and b is working
    pool.touch("ann", b)
    b.working = False
    assert pool.add("ann", d) == [c]  # b was used after c opened
    assert pool.count("ann") == 2 and pool.count("bob") == 1
    pool.remove("bob", c)
    assert pool.count("bob") == 0
    assert HostPool(0).add("ann", a) == []  # 0: no limit
    import os

    before = os.environ.get("MODELHUB_HOSTED_PANELS")
    try:
        os.environ["MODELHUB_HOSTED_PANELS"] = "lots"
        assert default_limit() == 16
        os.environ["MODELHUB_HOSTED_PANELS"] = "3"
        assert default_limit() == 3
    finally:
        if before is None:
            os.environ.pop("MODELHUB_HOSTED_PANELS", None)
        else:
            os.environ["MODELHUB_HOSTED_PANELS"] = before


# -- each Jupyter user gets their own access-control viewer -----------------------------------------
IDENTITIES = '''
from dataclasses import dataclass, field

from jupyter_server.auth.identity import IdentityProvider, User


@dataclass
class TeamUser(User):
    groups: list = field(default_factory=list)


class TwoUsers(IdentityProvider):
    """Two people on one server: alice-token is alice, bob-token is bob (group research). As with
    JupyterHub's tokens, a request that names its token in the header needs no XSRF cookie."""

    def get_user(self, handler):
        token = handler.request.headers.get("Authorization", "").removeprefix("token ").strip()
        handler._token_authenticated = token in ("alice-token", "bob-token")
        if token == "alice-token":
            return TeamUser(username="alice", name="Alice")
        if token == "bob-token":
            return TeamUser(username="bob", name="Bob", groups=["research"])
        return None
'''
POLICY = """\
default:
  view_permissions: [public]
rules:
  - paths: ["alice/"]
    owner: alice
    view_permissions: [alice]
  - paths: ["team/"]
    owner: carol
    view_permissions: [research]
"""


def start_two_users_server(
    base: Path, root: Path, home: Path, *args: str, env: dict[str, str] | None = None
) -> Server:
    """A ``jupyter server`` subprocess (not yet waited for) whose identity provider is
    :data:`IDENTITIES`' TwoUsers, serving ``root`` over the store ``home``; config and log in ``base``."""
    (base / "py").mkdir(parents=True, exist_ok=True)
    (base / "py" / "two_users_identity.py").write_text(IDENTITIES)
    environ = jupyter_env(base / "jupyter", home) | (env or {})
    environ["PYTHONPATH"] = str(base / "py")
    port = free_port()
    cmd = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.identity_provider_class=two_users_identity.TwoUsers", f"--ServerApp.root_dir={root}",
        *args,
    ]  # fmt: skip
    return _spawn("jupyter-server", cmd, f"http://127.0.0.1:{port}", environ, base / "server.log", cwd=base)


def policy_workspace(ws: Path, home: Path, embedder) -> Path:
    """``ws`` with alice's folder, the research group's ``team/`` and a public model under
    :data:`POLICY`, indexed into the store ``home``."""
    from modelhub_jupyter import Hub

    for folder, name in (("alice", "AliceNet"), ("team", "TeamNet"), (".", "SharedNet")):
        (ws / folder).mkdir(parents=True, exist_ok=True)
        (ws / folder / f"{name.lower()}.py").write_text(
            f'"""{name}: a zebrafish tracking model."""\nimport torch.nn as nn\n\n\n'
            f"class {name}(nn.Module):\n    def forward(self, zebrafish):\n        return zebrafish\n"
        )
    (ws / ".modelhub-access.yaml").write_text(POLICY)
    with Hub(home, embedder=embedder) as hub:
        report = hub.index(ws, progress=False)
        assert report.indexed >= 3, report.to_dict()
    return ws


@pytest.fixture(scope="module")
def two_users(tmp_path_factory, shared_embedder):
    """A server whose identity provider names two users, over a store with an access policy."""

    base = tmp_path_factory.mktemp("two-users")
    ws = policy_workspace(base / "ws", base / "home", shared_embedder)
    proc = start_two_users_server(base, ws, base / "home", "--ModelHubServer.max_hosted_panels=2")
    try:
        proc.wait("/api/status", timeout=120)
        yield Client(proc.url), base / "home"
    finally:
        proc.stop()


def test_each_jupyter_user_sees_only_what_they_may(two_users):
    from modelhub_jupyter import Hub

    client, home = two_users
    expected = {}
    for user in ("alice", "bob", None):
        with Hub(home, user=user, groups=["research"] if user == "bob" else None) as hub:
            expected[user or "owner"] = hub.status()["documents"]
    seen = {}
    for user in ("alice", "bob"):
        hits = client.json("/modelhub/api/search?q=zebrafish&kind=code&limit=50", token=f"{user}-token")
        seen[user] = {Path(h["path"]).parts[0] for h in hits}
        counts = client.json("/modelhub/api/counts", token=f"{user}-token")
        assert counts["documents"] == expected[user] and counts["documents"] != expected["owner"]
    assert "alice" in seen["alice"] and "team" not in seen["alice"] and "sharednet.py" in seen["alice"]
    assert "team" in seen["bob"] and "alice" not in seen["bob"] and "sharednet.py" in seen["bob"]
    assert client.call("/modelhub/api/search?q=zebrafish", token="carol-token")[0] in (401, 403)
    # a document alice may not see is "not found" for her, as for one that does not exist
    team_hit = client.json("/modelhub/api/search?q=zebrafish&kind=code&limit=50", token="bob-token")
    team_id = next(h["id"] for h in team_hit if h["path"].startswith("team/"))
    quoted = urllib.parse.quote(team_id, safe="")
    assert client.json(f"/modelhub/api/documents/{quoted}", token="bob-token")["id"] == team_id
    assert (
        client.json(f"/modelhub/api/documents/{quoted}", status=404, token="alice-token")["error"]
        == "not_found"
    )
    # the hosted panels are built with the user's hub too
    _, state, _ = hosted(
        client.url, "search", token="bob-token",
        send=({"type": "update", "state": {"query": "zebrafish", "kind": "code"}},),
        until=lambda s: s.get("results") and s.get("status") != "loading",
    )  # fmt: skip
    folders = {Path(r["path"]).parts[0] for r in state["results"]}
    assert "team" in folders and "alice" not in folders


# -- the Metrics view's data --------------------------------------------------------------------------
def test_hosted_views_are_capped_per_user(two_users):
    """Each user may hold ``max_hosted_panels`` (2 here) views open: one more closes that user's
    least recently used view, which is told so in one line first (never a traceback); other users'
    views stay open; a closed view can be opened again."""
    import asyncio

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    client, _ = two_users
    ws_url = client.url.replace("http", "ws", 1) + "/modelhub/api/widgets/prompts"

    async def read(conn):
        raw = await asyncio.wait_for(conn.read_message(), 60)
        return None if raw is None else json.loads(raw)

    async def connect(token):
        conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}))
        assert (await read(conn))["type"] == "open"
        return conn

    async def until_closed(conn):
        """The messages a view gets until the server closes it."""
        seen = []
        while (message := await read(conn)) is not None:
            seen.append(message)
        return seen

    async def answers(conn, question):
        """The view is open: a new sample question is rendered."""
        await conn.write_message(json.dumps({"type": "update", "state": {"question": question}}))
        while True:
            message = await read(conn)
            assert message is not None, "closed"
            if message["type"] == "update" and question in json.dumps(message["state"].get("rendered")):
                return

    async def go():
        a1, a2 = await connect("alice-token"), await connect("alice-token")
        b1 = await connect("bob-token")
        a3 = await connect("alice-token")  # alice's third: her least recently used (a1) closes
        seen = await until_closed(a1)
        assert [m["type"] for m in seen][-1:] == ["closed"], seen
        line = seen[-1]["message"]
        assert "\n" not in line and "Traceback" not in line
        assert "2 ModelHub views" in line and "reopen" in line.lower()
        assert a1.close_code == 4000
        await answers(b1, "Which models does bob have?")  # bob's view is untouched
        await answers(a2, "Which optimizer?")  # a2 is now more recent than a3
        a4 = await connect("alice-token")  # reopened: this time a3 closes
        assert (await until_closed(a3))[-1]["type"] == "closed"
        await answers(a2, "Still here?")
        await answers(a4, "And the new one?")
        for conn in (a2, a4, b1):
            conn.close()

    asyncio.run(go())


def test_recent_figures_bucket_latency_and_throughput_per_minute():
    from types import SimpleNamespace

    from modelhub_jupyter.server.recent import recent_figures

    now = 1_800_000_030.0  # 30 s into a minute
    rows = [SimpleNamespace(at=now - 10, latency_ms=ms, action="search") for ms in (10.0, 20.0, 90.0)]
    rows += [SimpleNamespace(at=now - 70, latency_ms=400.0, action="ask"),
             SimpleNamespace(at=now - 4000, latency_ms=1.0, action="search")]  # older than the hour  # fmt: skip
    out = recent_figures(rows, 60, now)
    assert out["queries"] == 4
    latency = {t["name"]: t for t in out["figures"]["latency"]["data"]}
    assert latency["p50"]["y"] == [400.0, 20.0] and latency["p95"]["y"][1] == pytest.approx(83.0)
    assert latency["p50"]["x"][1] == (now // 60) * 60_000
    bars = {t["name"]: t for t in out["figures"]["throughput"]["data"]}
    assert sum(bars["search"]["y"]) == 3 and sum(bars["ask"]["y"]) == 1 and bars["search"]["y"][-1] == 3
    assert len(bars["search"]["x"]) == 61  # every minute of the hour, empty ones as 0


def test_metrics_recent_route_and_plotly_js(server):
    client, _, _ = server
    before = client.json("/modelhub/api/metrics/recent?minutes=60")["queries"]
    client.json("/modelhub/api/search?q=training+loop&kind=code")
    recent = client.json("/modelhub/api/metrics/recent?minutes=60")
    assert recent["queries"] == before + 1 and recent["minutes"] == 60
    assert {"latency", "throughput"} == set(recent["figures"])
    assert recent["figures"]["latency"]["data"][0]["y"]
    assert "training loop" not in json.dumps(recent)  # aggregates only, never the query texts
    assert client.json("/modelhub/api/metrics/recent?minutes=0", status=400)["error"] == "bad_query"
    code, headers, body = client.call("/modelhub/api/plotly.js")
    assert code == 200 and headers["Content-Type"].startswith("application/javascript")
    assert b"plotly.js" in body[:2000]


def test_viewer_modes_map_the_jupyter_user():
    """auto: the stock single-user token/password login owns the store (unrestricted); any other
    identity provider's user is the viewer, with their groups. user: always; owner: never."""
    from types import SimpleNamespace

    from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User

    from modelhub_jupyter.search.access import Viewer
    from modelhub_jupyter.server.state import ServerState

    class HubIdentity(IdentityProvider):
        pass

    alice = SimpleNamespace(username="alice", groups=["research"])

    def handler(provider, user=alice):
        return SimpleNamespace(current_user=user, identity_provider=provider)

    auto, user, owner = (
        ServerState(viewer_mode="auto"),
        ServerState(viewer_mode="user"),
        ServerState(viewer_mode="owner"),
    )
    assert auto.viewer_of(handler(IdentityProvider())) is None
    assert auto.viewer_of(handler(PasswordIdentityProvider())) is None
    assert auto.viewer_of(handler(HubIdentity())) == Viewer("alice", frozenset({"research"}))
    assert user.viewer_of(handler(IdentityProvider(), User(username="bob"))) == Viewer("bob", frozenset())
    assert owner.viewer_of(handler(HubIdentity())) is None
    # a JupyterHub single-user server: its user is JupyterHub's, the groups in the hub's user model
    from jupyterhub.singleuser.extension import JupyterHubIdentityProvider, JupyterHubUser

    carol = JupyterHubUser({"kind": "user", "name": "carol", "admin": False, "groups": ["research", "ml"]})
    assert auto.viewer_of(handler(JupyterHubIdentityProvider(), carol)) == Viewer(
        "carol", frozenset({"research", "ml"})
    )
