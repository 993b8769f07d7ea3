"""The Compare panel's "Generate notebook" in Python: under a Jupyter server (found by the kernel's
parent pid in the runtime dir's ``jpserver-*.json``) the notebook goes beside the notebook in use and
comes with the ``<base_url>lab/tree/<path>`` JupyterLab opens; in Voilà, outside the server's root
or outside any server it stays a download from the store's ``notebooks`` folder."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import nbformat
import pytest

from modelhub_jupyter.widgets.compare import ComparePanel, jupyter_server, lab_location

NAME = "compare_transformer_v1_vs_transformer_v2.ipynb"


@pytest.fixture(scope="module")
def panel(indexed):
    return ComparePanel(indexed[0], models=["transformer_v1", "transformer_v2"])


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A runtime dir holding this process's parent as a running server rooted at ``tmp_path/root``."""
    runtime, root = tmp_path / "runtime", tmp_path / "root"
    (root / "work").mkdir(parents=True)
    runtime.mkdir()
    info = {"pid": os.getppid(), "root_dir": str(root), "base_url": "/user/ann/", "url": "http://x/user/ann/"}
    (runtime / f"jpserver-{os.getppid()}.json").write_text(json.dumps(info))
    (runtime / "jpserver-1.json").write_text(
        json.dumps({**info, "pid": 1, "root_dir": "/"})
    )  # another server
    (runtime / "jpserver-2.json").write_text("{half a file")  # one being written
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.chdir(root / "work")
    return root


def test_under_jupyterlab_the_notebook_is_written_beside_and_opened(panel, server, indexed):
    assert ComparePanel(indexed[0]).lab  # the front end opens a tab for the notebook on Generate
    info = panel.generate()
    assert Path(info["path"]) == server / "work" / NAME
    assert info["lab_path"] == f"work/{NAME}" and info["lab_url"] == f"/user/ann/lab/tree/work/{NAME}"
    assert panel.notebook == info  # what the front end draws (the Open in JupyterLab link)
    nb = nbformat.read(info["path"], as_version=4)
    assert nb.metadata["papermill"]["parameters"]["models"] == "transformer_v1,transformer_v2"
    assert json.loads(base64.b64decode(info["download"].split(",", 1)[1]))["metadata"]["modelhub"]
    assert panel.message == f"Wrote {info['path']}"


def test_voila_keeps_the_download(panel, server, monkeypatch, indexed):
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.8")
    assert jupyter_server() is None and not ComparePanel(indexed[0]).lab
    info = panel.generate()
    assert "lab_url" not in info and info["download"].startswith("data:application/x-ipynb+json;base64,")
    assert Path(info["path"]).parent == Path(indexed[0].settings.home) / "notebooks"
    assert not (server / "work" / NAME).exists()


def test_outside_the_root_or_without_a_server_no_lab_link(panel, server, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert not ComparePanel(panel.hub).lab
    info = panel.generate()
    assert "lab_url" not in info and not (elsewhere / NAME).exists()
    assert lab_location("/etc/passwd", jupyter_server()) == {}
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "no-runtime"))
    assert jupyter_server() is None and lab_location(server / "x.ipynb", None) == {}
