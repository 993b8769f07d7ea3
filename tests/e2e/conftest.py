"""Browser tests: JupyterLab and Voilà in subprocesses, driven by Playwright on Debian's chromium.

Session fixtures build the example workspace, index it into a temporary ``MODELHUB_HOME``, start
``jupyter lab`` (serving a copy of ``notebooks/tour.ipynb``) and ``voila notebooks/dashboard.ipynb`` with
that home and with every ``JUPYTER_*`` directory isolated in a temp folder, and launch one headless
browser. Screenshots and server logs go to ``test-artifacts/`` at the repo root.

The helpers here are also used by ``benchmarks/bench_gallery.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives JupyterLab/Voilà in a headless browser (needs chromium)")


# -- helpers (shared with benchmarks/bench_gallery.py) ----------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(base: Path, home: Path) -> dict[str, str]:
    """An environment whose Jupyter config, data, runtime and IPython dirs all live under ``base``.

    The kernel is the venv's own: the only ``python3`` kernelspec visible is ``<sys.prefix>/share/
    jupyter/kernels/python3`` (argv ``python``, which jupyter_client replaces by the server's
    ``sys.executable``), because ``JUPYTER_DATA_DIR`` hides any user-level kernelspec.
    """
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "IPYTHONDIR": base / "ipython",
        "JUPYTERLAB_SETTINGS_DIR": base / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "lab-workspaces",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    # Lab settings: no news/update toasts over the notebook, every cell kept in the DOM.
    settings = dirs["JUPYTERLAB_SETTINGS_DIR"]
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update({k: str(v) for k, v in dirs.items()})
    env.update(
        MODELHUB_HOME=str(home),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        PYTHONUNBUFFERED="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


@dataclass
class Server:
    """A Jupyter server (Lab or Voilà) running as a subprocess."""

    name: str
    url: str
    proc: subprocess.Popen
    log: Path
    _log_file: object = field(repr=False, default=None)

    def wait(self, path: str = "/", timeout: float = 90) -> None:
        """Block until the server answers HTTP (any status) at ``path``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                urllib.request.urlopen(self.url + path, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.25)
        raise TimeoutError(
            f"{self.name} did not answer at {self.url}{path} in {timeout:.0f} s; see {self.log}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log_file is not None:
            self._log_file.close()


def start_jupyterlab(root_dir: Path, env: dict[str, str], log: Path, python: str = sys.executable) -> Server:
    """``jupyter lab`` run by ``python`` (default: this venv's; tests/e2e/test_pip_alone.py: a fresh venv's)."""
    port = free_port()
    cmd = [
        python, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
        f"--ServerApp.root_dir={root_dir}", "--expose-app-in-browser",
    ]  # fmt: skip
    return _spawn("jupyterlab", cmd, f"http://127.0.0.1:{port}", env, log, cwd=root_dir)


def start_voila(notebook: Path, env: dict[str, str], log: Path) -> Server:
    port = free_port()
    cmd = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser",
        "--Voila.ip=127.0.0.1", f"--port={port}", "--show_tracebacks=True",
    ]  # fmt: skip
    return _spawn("voila", cmd, f"http://127.0.0.1:{port}", env, log, cwd=REPO)


def _spawn(name: str, cmd: list[str], url: str, env: dict[str, str], log: Path, cwd: Path) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("w")
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, url, proc, log, out)


def launch_browser():
    """(playwright, browser): headless Debian chromium."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    return pw, browser


def is_cdn_noise(text: str, url: str = "") -> bool:
    """Console errors that come from the Voilà lab template's FontAwesome CDN link on an offline machine."""
    if "ERR_NAME_NOT_RESOLVED" in text or "ERR_INTERNET_DISCONNECTED" in text:
        return True
    return "net::ERR_" in text and not url.startswith(("http://127.0.0.1", "http://localhost"))


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def e2e_env(e2e_dir) -> dict[str, str]:
    return jupyter_env(e2e_dir / "jupyter", e2e_dir / "modelhub-home")


@pytest.fixture(scope="session")
def _servers(e2e_dir, e2e_env, artifacts) -> Iterator[dict[str, Server]]:
    """Start both servers first (they start while the workspace is indexed), then index."""
    root = e2e_dir / "lab-root"
    root.mkdir()
    shutil.copy(NOTEBOOKS / "tour.ipynb", root / "tour.ipynb")
    servers = {
        "lab": start_jupyterlab(root, e2e_env, artifacts / "e2e-jupyterlab.log"),
        "voila": start_voila(NOTEBOOKS / "dashboard.ipynb", e2e_env, artifacts / "e2e-voila.log"),
    }
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="session")
def modelhub_home(e2e_dir, e2e_env, _servers) -> Path:
    """The example workspace, indexed into the ``MODELHUB_HOME`` the servers' kernels see."""
    from modelhub_jupyter import Hub
    from modelhub_jupyter.demo import build_workspace

    ws = build_workspace(e2e_dir / "my-models")
    home = Path(e2e_env["MODELHUB_HOME"])
    with Hub(home) as hub:
        report = hub.index(ws, progress=False)
    assert report.indexed > 0, report.to_dict()
    return home


@pytest.fixture(scope="session")
def jupyterlab(_servers, modelhub_home) -> Server:
    _servers["lab"].wait("/api/status")
    return _servers["lab"]


@pytest.fixture(scope="session")
def voila(_servers, modelhub_home) -> Server:
    # Any path but "/" (which would execute the notebook) shows that the server answers.
    _servers["voila"].wait("/voila/static/none")
    return _servers["voila"]


@pytest.fixture(scope="session")
def browser():
    pw, browser = launch_browser()
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for page in getattr(item, "e2e_pages", []):
            try:
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{item.name}.png"), full_page=True)
            except Exception:  # a closed page: nothing to save
                pass
    return report


@pytest.fixture
def remember_page(request):
    """``remember_page(page)``: screenshot ``page`` into test-artifacts/FAILED-<test>.png if the test fails."""
    request.node.e2e_pages = []
    return request.node.e2e_pages.append


def page_problems(page) -> list[str]:
    """A list that fills with the page's console errors (CDN noise left out) and uncaught exceptions."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text} ({m.location.get('url', '')})")
            if m.type == "error" and not is_cdn_noise(m.text, m.location.get("url", ""))
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    return problems


def open_lab(browser, url: str, remember_page, timeout: float = 90_000):
    """(a new page showing JupyterLab at ``url`` with a fresh workspace, the list its console errors
    and uncaught exceptions fill): the page is kept for the failure screenshot."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    remember_page(page)
    problems = page_problems(page)
    page.goto(f"{url}/lab?reset")
    page.wait_for_selector("#jp-main-dock-panel", timeout=timeout)
    return page, problems


def open_dashboard_tab(page, url: str, tab: str, panel: str):
    """Open the Voilà dashboard at ``url``, wait for its panels and show the tab titled ``tab``;
    returns the locator of the panel ``.mh-panel.<panel>`` in it, visible."""
    page.goto(url + "/", timeout=120_000)
    found = page.locator(f".mh-panel.{panel}")
    found.wait_for(state="attached", timeout=120_000)
    page.locator(".lm-TabBar-tab").filter(has_text=tab).first.click()
    found.wait_for(state="visible", timeout=10_000)
    return found
