"""Installed by pip alone: the wheel built from this checkout, installed into a FRESH venv (not the
project's .venv, no system site-packages) with its dependencies, gives JupyterLab the ModelHub
sidebar, status bar item and settings with no other step (no ``%load_ext``, no ``jupyter labextension
install``, no server-extension enable).

Slow (a wheel build and a multi-GB venv install), so it is kept out of the default run by its marker;
CI runs it on its own::

    .venv/bin/python -m pytest -q -n 0 -m pip_alone tests/e2e/test_pip_alone.py

``MODELHUB_WHEEL=path/to/modelhub_jupyter-*.whl`` tests that wheel instead of building one (a copy
with the ``*.data/data/share/...`` or ``*.data/data/etc/...`` entries removed fails: checked by hand). pip's and
the build's output go to ``test-artifacts/pip-alone-*.log``, screenshots to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import CHROMIUM, REPO, Server, jupyter_env, open_lab, start_jupyterlab

pytestmark = [
    pytest.mark.pip_alone,
    pytest.mark.e2e,
    pytest.mark.timeout(3600),  # the venv install unpacks torch and its CUDA libraries: minutes
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

LABEXTENSION = "share/jupyter/labextensions/modelhub-jupyter/package.json"
SERVER_CONFIG = "etc/jupyter/jupyter_server_config.d/modelhub_jupyter.json"
# What a user installs beside the package: JupyterLab (the floor the prebuilt extension is built for).
JUPYTERLAB = "jupyterlab>=4.6.6,<5"


def run_logged(cmd: list[str], log: Path, **kwargs) -> None:
    """Run ``cmd`` with its output in ``log``; fail with the log's tail if it fails."""
    with log.open("w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    if proc.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        pytest.fail(f"{' '.join(map(str, cmd))} exited with {proc.returncode} (see {log}):\n{tail}")


def check_wheel(wheel: Path) -> None:
    """The wheel carries the prebuilt lab extension and the config that enables the server extension."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        data = {n.split(".data/data/", 1)[1]: n for n in names if ".data/data/" in n}
        assert LABEXTENSION in data, f"{wheel.name} lacks {LABEXTENSION} (the lab extension: is npm there?)"
        assert SERVER_CONFIG in data, f"{wheel.name} lacks {SERVER_CONFIG} (pyproject's shared-data)"
        config = json.loads(zf.read(data[SERVER_CONFIG]))
        assert config["ServerApp"]["jpserver_extensions"]["modelhub_jupyter.server"] is True, config
        assert any(n.startswith(data[LABEXTENSION].rsplit("/", 1)[0] + "/static/remoteEntry.") for n in names)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Iterator[Path]:
    """A temp folder; the venv in it (several GB) is removed at the end, whatever the outcome."""
    path = tmp_path_factory.mktemp("pip-alone")
    yield path
    shutil.rmtree(path / "venv", ignore_errors=True)


@pytest.fixture(scope="module")
def wheel(work, artifacts) -> Path:
    given = os.environ.get("MODELHUB_WHEEL")
    if given:
        found = Path(given)
    else:
        out = work / "dist"
        run_logged(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
            artifacts / "pip-alone-wheel.log",
        )
        (found,) = out.glob("modelhub_jupyter-*.whl")
    check_wheel(found)
    return found


@pytest.fixture(scope="module")
def venv(work, wheel, artifacts) -> Path:
    """A fresh venv with the wheel and JupyterLab installed by pip, dependencies included (pip's
    configuration on these machines takes torch from local files, as setup.sh's install does)."""
    path = work / "venv"
    # ``-m venv`` from this venv's python makes a venv on the base interpreter, not inside this one
    run_logged([sys.executable, "-m", "venv", str(path)], artifacts / "pip-alone-venv.log")
    cfg = (path / "pyvenv.cfg").read_text()
    assert re.search(r"include-system-site-packages\s*=\s*false", cfg), cfg
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    run_logged(
        [str(path / "bin" / "python"), "-m", "pip", "install", "--no-compile", str(wheel), JUPYTERLAB],
        artifacts / "pip-alone-install.log",
        env=env,
        cwd=work,
    )
    return path


@pytest.fixture(scope="module")
def lab_env(work, venv) -> dict[str, str]:
    """Temp HOME, MODELHUB_HOME and Jupyter dirs; the fresh venv's bin first on PATH; nothing of
    the checkout importable."""
    env = jupyter_env(work / "jupyter", work / "modelhub-home")
    home = work / "home"
    home.mkdir(exist_ok=True)
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    return env


def fresh(venv: Path, *args: str, env: dict[str, str], cwd: Path, log: Path, stderr: bool = False) -> str:
    """Run the fresh venv's ``args[0]`` (a console script); its stdout (and stderr after it if asked)."""
    proc = subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]], env=env, cwd=cwd, capture_output=True, text=True
    )
    log.write_text(f"$ {' '.join(args)}\n{proc.stdout}\n{proc.stderr}")
    assert proc.returncode == 0, f"{' '.join(args)} exited with {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout + (proc.stderr if stderr else "")


@pytest.fixture(scope="module")
def lab_root(work, venv, lab_env, artifacts) -> Path:
    """The example workspace, built and indexed by the fresh venv's ``modelhub`` CLI."""
    root = work / "lab-root"
    root.mkdir()
    where = fresh(
        venv, "python", "-c", "import modelhub_jupyter; print(modelhub_jupyter.__file__)",
        env=lab_env, cwd=root, log=artifacts / "pip-alone-import.log",
    )  # fmt: skip
    assert Path(where.strip()).is_relative_to(venv), f"modelhub_jupyter imported from {where}"
    out = fresh(
        venv, "modelhub", "demo", "--dest", str(root / "my-models"), "--json",
        env=lab_env, cwd=root, log=artifacts / "pip-alone-demo.log",
    )  # fmt: skip
    report = json.loads(out)
    assert report, out
    return root


@pytest.fixture(scope="module")
def documents(venv, lab_env, lab_root, artifacts) -> int:
    out = fresh(
        venv,
        "modelhub",
        "status",
        "--json",
        env=lab_env,
        cwd=lab_root,
        log=artifacts / "pip-alone-status.log",
    )
    count = sum(json.loads(out)["documents"].values())
    assert count > 0, out
    return count


def listed_under(listing: str, name: str) -> tuple[str, str]:
    """(the heading, the line) of ``name`` in a ``jupyter ... list`` output: headings (a folder) are
    the unindented lines, entries the indented ones below them."""
    heading = ""
    for line in re.sub(r"\x1b\[[0-9;]*m", "", listing).splitlines():
        if line.strip() and not line[0].isspace():
            heading = line.strip()
        elif line.strip().startswith(name):
            return heading, line.strip()
    raise AssertionError(f"{name!r} is not listed:\n{listing}")


@pytest.fixture(scope="module")
def lab(venv, lab_env, lab_root, documents, artifacts) -> Iterator[Server]:
    server = start_jupyterlab(
        lab_root, lab_env, artifacts / "pip-alone-jupyterlab.log", python=str(venv / "bin" / "python")
    )
    try:
        server.wait("/api/status", timeout=240)
        yield server
    finally:
        server.stop()


def test_the_wheel_installed_alone_enables_both_extensions(venv, lab_env, lab_root, artifacts):
    """The fresh venv's ``jupyter`` lists the prebuilt lab extension and the server extension enabled
    (found through the venv's share/ and etc/, written by the wheel's shared-data)."""
    labext = fresh(venv, "jupyter", "labextension", "list", env=lab_env, cwd=lab_root,
                   log=artifacts / "pip-alone-labextension-list.log", stderr=True)  # fmt: skip
    where, line = listed_under(labext, "modelhub-jupyter v")
    assert where.startswith(str(venv / "share" / "jupyter")), labext
    assert re.search(r"enabled.*OK", line), labext
    server = fresh(venv, "jupyter", "server", "extension", "list", env=lab_env, cwd=lab_root,
                   log=artifacts / "pip-alone-server-extension-list.log", stderr=True)  # fmt: skip
    where, line = listed_under(server, "modelhub_jupyter.server ")
    assert where == f"Config dir: {venv / 'etc' / 'jupyter'}", server
    assert "enabled" in line, server


def test_jupyterlab_from_the_fresh_venv_shows_modelhub(lab, documents, browser, artifacts, remember_page):
    """Sidebar, a search with hits, a code hit opening the editor at its line, the status bar's
    document count, and the extension's settings in the Settings Editor."""
    from playwright.sync_api import expect

    page, problems = open_lab(browser, lab.url, remember_page, timeout=120_000)

    # the status bar item counts what the fresh venv's CLI indexed
    status = page.locator(".mhl-status-item")
    expect(status).to_have_attribute("data-documents", str(documents), timeout=120_000)
    expect(status).to_have_text(re.compile(rf"ModelHub: {documents} docs · \d+ errors"))

    # the sidebar, opened by its tab in the left area
    page.locator('.jp-SideBar.jp-mod-left [data-id="modelhub-sidebar"]').click()
    sidebar = page.locator("#modelhub-sidebar")
    expect(sidebar).to_be_visible()
    sidebar.locator(".mhl-kind").select_option("code")
    box = sidebar.locator(".mhl-query")
    box.fill("causal self attention")
    box.press("Enter")
    cards = sidebar.locator(".mhl-card[data-kind=code]")
    expect(cards.first).to_be_visible(timeout=120_000)
    title = cards.first.locator(".mhl-card-title").inner_text()
    path, start, end = re.fullmatch(r"(.+):(\d+)-(\d+)", title).groups()
    page.screenshot(path=str(artifacts / "pip-alone-sidebar.png"))

    # a code hit opens the file in the editor, the cited first line in view
    cards.first.click()
    editor = page.locator(f'[data-modelhub-lines="{start}-{end}"] .jp-FileEditor')
    expect(editor).to_be_visible(timeout=60_000)
    expect(page.locator(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel")).to_have_text(
        Path(path).name
    )
    gutter = editor.locator(".cm-lineNumbers .cm-gutterElement", has_text=re.compile(rf"^{start}$"))
    expect(gutter).to_be_visible()
    view, line = editor.locator(".cm-scroller").bounding_box(), gutter.bounding_box()
    assert view["y"] <= line["y"] <= view["y"] + view["height"], (view, line)
    page.screenshot(path=str(artifacts / "pip-alone-editor.png"))

    # a hosted view (the server's widget host runs the real panel): the gallery, thumbnails loaded
    page.evaluate("async () => { await window.jupyterapp.commands.execute('modelhub:gallery'); }")
    tiles = page.locator('#modelhub-gallery .mhl-host[data-state="ready"] .mh-gallery .mh-tile')
    expect(tiles.first).to_be_visible(timeout=120_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#modelhub-gallery .mh-tile img')].some(i => i.naturalWidth > 0)",
        timeout=60_000,
    )
    page.screenshot(path=str(artifacts / "pip-alone-gallery.png"))

    # the Settings Editor lists the extension's settings (schema shipped in the wheel)
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('settingeditor:open', {query: 'ModelHub'}); }"
    )
    entry = page.locator(".jp-PluginList-entry", has_text="ModelHub")
    expect(entry.first).to_be_visible(timeout=60_000)
    entry.first.click()
    form = page.locator(".jp-SettingsPanel, .jp-SettingsEditor").first
    for field in ("Home folder", "Default kind", "Result count"):
        expect(form.get_by_text(field, exact=True).first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(artifacts / "pip-alone-settings.png"))
    assert not problems, problems
