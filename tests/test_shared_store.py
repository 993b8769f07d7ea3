"""Several Jupyter servers over one store: two ``jupyter server`` processes with one
``MODELHUB_HOME`` (one SQLite catalog) and one ``MODELHUB_CHROMA_URL`` (a real ``chroma run``),
driven through the REST routes only. What one server indexes the other answers at once; each
Jupyter user (the TwoUsers identity provider of tests/test_server.py) sees only what the indexed
access policy lets them see, on either server; searches on both while one indexes never fail."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest

from .conftest import running_chroma, write
from .e2e.conftest import free_port
from .test_server import POLICY, Client, start_two_users_server

MODEL = '''"""{name}: a zebrafish tracking model ({word})."""
import torch.nn as nn


class {name}(nn.Module):
    """{name} follows {word} larvae frame by frame."""

    def forward(self, zebrafish):
        return zebrafish * {i}
'''
#: folder → models; alice/ is alice's alone, team/ is the research group's (bob), the rest public
LAYOUT = {"alice": ("AliceNet",), "team": ("TeamNet", "TeamTracker"), ".": ("SharedNet",)}


def _model(ws: Path, folder: str, name: str, word: str = "zebrafish", i: int = 1) -> Path:
    return write(ws / folder / f"{name.lower()}.py", MODEL.format(name=name, word=word, i=i))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A Chroma server, an empty home, and servers ``a`` and ``b`` over both, serving ``ws``."""
    base = tmp_path_factory.mktemp("shared-store")
    ws = base / "ws"
    for folder, names in LAYOUT.items():
        for i, name in enumerate(names):
            _model(ws, folder, name, i=i)
    (ws / ".modelhub-access.yaml").write_text(POLICY)
    home = base / "home"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # the servers start while Chroma does (they open the store on their first request)
    servers = [start_two_users_server(base / n, ws, home, env={"MODELHUB_CHROMA_URL": url}) for n in "ab"]
    try:
        with running_chroma(base / "chroma-data", port):
            for server in servers:
                server.wait("/api/status", timeout=120)
            a, b = (Client(s.url) for s in servers)
            yield SimpleNamespace(a=a, b=b, ws=ws, home=home, url=url, logs=[s.log for s in servers])
    finally:
        for server in servers:
            server.proc.terminate()  # both shut down at once
        for server in servers:
            server.stop()


def _index(client: Client, token: str, path: str | None = None) -> dict:
    """Start an index run through ``client``'s server and wait on its progress route."""
    return _finished(client, token, _start(client, token, path))


def _start(client: Client, token: str, path: str | None = None) -> dict:
    body = json.dumps({} if path is None else {"path": path}).encode()
    return client.json("/modelhub/api/index", status=202, method="POST", body=body, token=token)


def _finished(client: Client, token: str, job: dict) -> dict:
    deadline = time.monotonic() + 180
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.json("/modelhub/api/index", token=token)
    assert job["state"] == "done", job
    assert all(not r["errors"] for r in job["reports"]), job["reports"]
    return job


def _search(client: Client, token: str, q: str = "zebrafish") -> list[dict]:
    query = urllib.parse.urlencode({"q": q, "kind": "code", "limit": 200})
    return client.json(f"/modelhub/api/search?{query}", token=f"{token}-token")


def _ids(hits: list[dict]) -> list[str]:
    return [h["id"] for h in hits]


def _folders(hits: list[dict]) -> set[str]:
    return {Path(h["path"]).parts[0] for h in hits}


def _chroma_count(url: str, embedder: str, kind: str = "code") -> int:
    import chromadb

    host, port = urllib.parse.urlparse(url).hostname, urllib.parse.urlparse(url).port
    return chromadb.HttpClient(host=host, port=port).get_collection(f"{kind}-{embedder}").count()


def _catalog_count(home: Path, kind: str = "code") -> int:
    from modelhub_jupyter.store.catalog import Catalog

    catalog = Catalog(home / "catalog.sqlite")
    try:
        return len(catalog.documents(kind=kind))
    finally:
        catalog.close()


def _expected_counts(store, user: str) -> dict[str, int]:
    """The documents ``user`` may see, per kind, from an in-process hub over the same store."""
    from modelhub_jupyter import Hub

    with Hub(
        store.home, chroma_url=store.url, user=user, groups=["research"] if user == "bob" else None
    ) as hub:
        return hub.status()["documents"]


@pytest.fixture(scope="module")
def indexed_on_a(store):
    """The workspace indexed by alice through server A (its index route and progress route), after
    server B has opened the (still empty) store: B must not keep what it saw then."""
    for user in ("alice", "bob"):
        assert store.b.json("/modelhub/api/counts", token=f"{user}-token")["documents"] == {}
    return _index(store.a, "alice-token", ".")


def test_an_index_run_on_one_server_is_searched_on_the_other_from_the_chroma_server(store, indexed_on_a):
    (report,) = indexed_on_a["reports"]
    assert indexed_on_a["roots"] == [str(store.ws)]
    assert report["indexed"] == sum(len(names) for names in LAYOUT.values())
    for user in ("alice", "bob"):
        on_a, on_b = _search(store.a, user), _search(store.b, user)
        assert on_a and _ids(on_a) == _ids(on_b), user
        assert [h["path"] for h in on_a] == [h["path"] for h in on_b]
        status_a = store.a.json("/modelhub/api/status", token=f"{user}-token")
        status_b = store.b.json("/modelhub/api/status", token=f"{user}-token")
        assert status_a["documents"] == status_b["documents"] and status_a["documents"]["code"] > 0
        assert status_a["store"] == status_b["store"] == store.url
    # the vectors are in the Chroma server, and no server made an embedded Chroma in the home
    code = _catalog_count(store.home)
    assert code >= report["indexed"]
    assert _chroma_count(store.url, status_a["embedder"]) == code
    assert not (store.home / "chroma").exists()


def test_a_second_run_on_the_other_server_shows_on_the_first_without_a_restart(store, indexed_on_a):
    before = store.a.json("/modelhub/api/status", token="alice-token")
    assert all(h["path"] != "narwhalnet.py" for h in _search(store.a, "alice", "narwhal plankton"))
    _model(store.ws, ".", "NarwhalNet", word="narwhal plankton", i=7)
    job = _index(store.b, "bob-token")  # every indexed root
    assert job["reports"][0]["indexed"] == 1
    for client in (store.a, store.b):
        for user in ("alice", "bob"):
            assert _search(client, user, "narwhal plankton")[0]["path"] == "narwhalnet.py", (client.url, user)
    after = store.a.json("/modelhub/api/status", token="alice-token")
    assert after["documents"]["code"] > before["documents"]["code"]
    assert after["documents"] == store.b.json("/modelhub/api/status", token="alice-token")["documents"]
    assert _chroma_count(store.url, after["embedder"]) == _catalog_count(store.home)
    assert not (store.home / "chroma").exists()


def test_each_user_sees_only_what_they_may_on_either_server(store, indexed_on_a):
    expected = {user: _expected_counts(store, user) for user in ("alice", "bob")}
    assert expected["alice"] != expected["bob"]
    alice_hits, bob_hits = _search(store.a, "alice"), _search(store.b, "bob")
    assert "alice" in _folders(alice_hits) and "team" not in _folders(alice_hits)
    assert "team" in _folders(bob_hits) and "alice" not in _folders(bob_hits)
    assert "sharednet.py" in _folders(alice_hits) & _folders(bob_hits)
    # the same user sees the same on the other server
    assert _ids(_search(store.b, "alice")) == _ids(alice_hits)
    assert _ids(_search(store.a, "bob")) == _ids(bob_hits)
    for client in (store.a, store.b):
        for user in ("alice", "bob"):
            counts = client.json("/modelhub/api/counts", token=f"{user}-token")
            assert counts["documents"] == expected[user], (client.url, user)
            status = client.json("/modelhub/api/status", token=f"{user}-token")
            assert status["documents"] == expected[user], (client.url, user)

    # a document by id: one's own on either server; the other's is "not found" on either
    alice_doc = next(h["id"] for h in alice_hits if h["path"].startswith("alice/"))
    team_doc = next(h["id"] for h in bob_hits if h["path"].startswith("team/"))
    for client in (store.a, store.b):
        for owner, doc, stranger in (("alice", alice_doc, "bob"), ("bob", team_doc, "alice")):
            quoted = urllib.parse.quote(doc, safe="")
            assert client.json(f"/modelhub/api/documents/{quoted}", token=f"{owner}-token")["id"] == doc
            denied = client.json(f"/modelhub/api/documents/{quoted}", status=404, token=f"{stranger}-token")
            assert denied["error"] == "not_found", denied


def test_searches_on_both_servers_while_one_indexes_do_not_fail(store, indexed_on_a):
    for i in range(16):
        _model(store.ws, "team" if i % 2 else ".", f"Axolotl{i}", word=f"axolotl gills variant {i}", i=i)
    answers: list[tuple[float, str, int, bytes]] = []
    lock, stop = threading.Lock(), threading.Event()
    warm = threading.Barrier(5)

    def hammer(client: Client, user: str) -> None:
        query = urllib.parse.urlencode({"q": "axolotl gills", "kind": "code", "limit": 10})
        paths = [f"/modelhub/api/search?{query}", "/modelhub/api/counts", f"/modelhub/api/search?{query}"]
        n = 0
        while True:
            path = paths[n % len(paths)]
            started = time.monotonic()
            try:
                code, _, body = client.call(path, token=f"{user}-token")
            except OSError as err:  # a dropped connection is a failure too, not a silent thread
                code, body = -1, repr(err).encode()
            with lock:
                answers.append((started, f"{client.url} {user} {path}", code, body))
            n += 1
            if n == 1:
                warm.wait(timeout=120)
            elif stop.is_set():
                return

    threads = [
        threading.Thread(target=hammer, args=(client, user))
        for client in (store.a, store.b)
        for user in ("alice", "bob")
    ]
    for thread in threads:
        thread.start()
    try:
        warm.wait(timeout=120)
        started = time.monotonic()
        # A starts one too: the two runs take turns on the home's write lock
        jobs = [_start(store.b, "bob-token"), _start(store.a, "alice-token")]
        job, other = _finished(store.b, "bob-token", jobs[0]), _finished(store.a, "alice-token", jobs[1])
        finished = time.monotonic()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    (report,), (other_report,) = job["reports"], other["reports"]
    assert report["indexed"] + other_report["indexed"] == 16, (report, other_report)
    embedder = store.b.json("/modelhub/api/status", token="bob-token")["embedder"]
    assert _chroma_count(store.url, embedder) == _catalog_count(store.home)  # nothing twice, nothing lost
    failed = [(who, code, body[:300]) for _, who, code, body in answers if code != 200]
    assert not failed
    assert not any(b"locked" in body for *_, body in answers)
    during = [a for a in answers if started <= a[0] <= finished]
    assert len(during) >= 4, (len(answers), finished - started)
    for log in store.logs:
        text = log.read_text(errors="replace")
        assert "database is locked" not in text and "modelhub: internal error" not in text, log

    # the new files are on the other server at once, each user's share of them
    alice = _search(store.a, "alice", "axolotl gills")
    bob = _search(store.a, "bob", "axolotl gills")
    assert {h["path"] for h in alice if "axolotl" in h["path"]} == {f"axolotl{i}.py" for i in range(0, 16, 2)}
    assert {h["path"] for h in bob if "axolotl" in h["path"]} == {
        f"axolotl{i}.py" for i in range(0, 16, 2)
    } | {f"team/axolotl{i}.py" for i in range(1, 16, 2)}
