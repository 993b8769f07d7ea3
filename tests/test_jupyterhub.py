"""Under a real JupyterHub: the Hub (DummyAuthenticator, SimpleLocalProcessSpawner, a group
loaded from its config) spawns ``jupyterhub-singleuser`` servers with the modelhub extension, and
each user's API token, checked by the Hub, gives that user's view of one shared store — bob's
group membership, which JupyterHub keeps in its user model and not in a ``groups`` field, opens
the group's folder to him.

There is no proxy process: the Hub's routes are kept in memory (``RoutesInMemory`` in the config
below, a :class:`jupyterhub.proxy.Proxy`), and each single-user server is asked at its own port.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, _spawn, free_port, jupyter_env

from .test_server import policy_workspace

CONFIG = """
from jupyterhub.proxy import Proxy


class RoutesInMemory(Proxy):
    should_start = False
    routes = {{}}

    async def add_route(self, routespec, target, data):
        self.routes[routespec] = {{"routespec": routespec, "target": target, "data": data}}

    async def delete_route(self, routespec):
        self.routes.pop(routespec, None)

    async def get_all_routes(self):
        return dict(self.routes)


PORTS = {ports!r}


def one_port_per_user(spawner):
    spawner.port = PORTS[spawner.user.name]


c = get_config()  # noqa: F821
c.JupyterHub.proxy_class = RoutesInMemory
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {public_port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{base}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{base}/cookie_secret"
c.JupyterHub.pid_file = "{base}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.load_groups = {{"research": {{"users": ["bob"]}}}}
c.JupyterHub.services = [{{"name": "modelhub-test", "api_token": "{admin_token}"}}]
c.JupyterHub.load_roles = [
    {{"name": "modelhub-test", "services": ["modelhub-test"],
      "scopes": ["admin:users", "admin:servers", "tokens", "read:groups"]}}
]
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{base}/homes/{{username}}"
c.Spawner.cmd = ["{bin}/jupyterhub-singleuser"]
c.Spawner.args = ["--allow-root"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.pre_spawn_hook = one_port_per_user
c.Spawner.notebook_dir = "{workspace}"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
"""


class HubAPI:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def call(self, method: str, path: str, token: str | None = None) -> tuple[int, object]:
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {token or self.token}"}
        )
        if method == "POST":
            request.data = b"{}"
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = response.read()
                return response.status, json.loads(body) if body else None
        except urllib.error.HTTPError as err:
            return err.code, err.read()[:500]


def _start_servers(api: HubAPI, users: list[str]) -> None:
    """Ask the Hub to spawn each user's server (they start side by side); wait until all are ready."""
    for user in users:
        code, body = api.call("POST", f"/hub/api/users/{user}/server")
        assert code in (201, 202), (code, body)
    deadline = time.monotonic() + 180
    waiting = set(users)
    while waiting and time.monotonic() < deadline:
        for user in sorted(waiting):
            _, model = api.call("GET", f"/hub/api/users/{user}")
            if isinstance(model, dict) and model.get("servers", {}).get("", {}).get("ready"):
                waiting.discard(user)
        time.sleep(0.5)
    assert not waiting, f"servers of {sorted(waiting)} did not start in 180 s"


@pytest.fixture(scope="module")
def jupyterhub(tmp_path_factory, shared_embedder):
    """A running JupyterHub over a store indexed with an access policy; alice's and bob's servers."""
    base = tmp_path_factory.mktemp("jupyterhub")
    home = base / "store"
    ws = policy_workspace(base / "ws", home, shared_embedder)
    env = jupyter_env(base / "jupyter", home)
    keep = ("JUPYTER", "IPYTHON", "MODELHUB", "HF_", "TRANSFORMERS", "ANONYMIZED", "PYTHONUNBUFFERED", "PATH")
    environment = {k: v for k, v in env.items() if k.startswith(keep)}
    ports = {"alice": free_port(), "bob": free_port()}
    hub_port, admin_token = free_port(), secrets.token_hex(16)
    (base / "jupyterhub_config.py").write_text(
        CONFIG.format(
            ports=ports,
            public_port=free_port(),
            hub_port=hub_port,
            base=base,
            admin_token=admin_token,
            bin=Path(sys.executable).parent,
            workspace=ws,
            environment=environment,
        )  # fmt: skip
    )
    cmd = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(base / "jupyterhub_config.py")]
    process: Server = _spawn(
        "jupyterhub", cmd, f"http://127.0.0.1:{hub_port}", env, base / "hub.log", cwd=base
    )
    api = HubAPI(process.url, admin_token)
    try:
        process.wait("/hub/api/", timeout=120)
        assert api.call("POST", "/hub/api/users/alice")[0] == 201
        _start_servers(api, list(ports))
        tokens = {}
        for user in ports:
            code, body = api.call("POST", f"/hub/api/users/{user}/tokens")
            assert code == 201, (code, body)
            tokens[user] = body["token"]  # type: ignore[index]
        yield api, ports, tokens, base
    finally:
        for user in ports:
            api.call("DELETE", f"/hub/api/users/{user}/server")
        process.stop()


def test_each_hub_user_sees_the_store_as_their_groups_allow(jupyterhub):
    api, ports, tokens, base = jupyterhub
    _, bob = api.call("GET", "/hub/api/users/bob")
    assert bob["groups"] == ["research"]  # type: ignore[index]
    seen = {}
    for user, port in ports.items():
        server = HubAPI(f"http://127.0.0.1:{port}/user/{user}", tokens[user])
        code, hits = server.call("GET", "/modelhub/api/search?q=zebrafish&kind=code&limit=50")
        assert code == 200, (code, hits, (base / "hub.log").read_text()[-3000:])
        seen[user] = {Path(h["path"]).parts[0] for h in hits}  # type: ignore[union-attr]
        # the hub checks the token: another user's is refused by this user's server
        other = tokens["bob" if user == "alice" else "alice"]
        assert server.call("GET", "/modelhub/api/counts", token=other)[0] in (401, 403)
    assert "team" in seen["bob"] and "alice" not in seen["bob"] and "sharednet.py" in seen["bob"]
    assert "alice" in seen["alice"] and "team" not in seen["alice"] and "sharednet.py" in seen["alice"]
