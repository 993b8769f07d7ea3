"""Shared fixtures: the example workspace with real git history, and a hub that indexed it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """With pytest-xdist (``-n 2``, the default in pyproject.toml) each test file stays on one
    worker, so its module fixtures are built once, and every browser test runs on the same worker:
    one JupyterLab and one Voilà server, one set of logs under test-artifacts/."""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return "tests/e2e" if file.startswith("tests/e2e/") else file

    return ByFile(config, log)


@pytest.fixture(scope="session")
def example_workspace(tmp_path_factory) -> Path:
    """The shipped example workspace, copied and committed with its git history."""
    from modelhub_jupyter.demo import build_workspace

    return build_workspace(tmp_path_factory.mktemp("ws") / "my-models")


@pytest.fixture(scope="session")
def indexed(tmp_path_factory, example_workspace):
    """(hub, report): a hub in a temp home that has indexed the example workspace once."""
    from modelhub_jupyter import Hub

    hub = Hub(tmp_path_factory.mktemp("home"))
    report = hub.index(example_workspace, progress=False)
    yield hub, report
    hub.close()


@pytest.fixture(scope="session")
def shared_embedder():
    """One loaded MiniLM for tests that build many small hubs."""
    from modelhub_jupyter.embed import TextEmbedder

    emb = TextEmbedder()
    emb.embed(["warm up"])
    return emb


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory):
    """(a cache folder holding the default model's ONNX copy, made here from the installed weights;
    the fp32 sentence-transformers embedder it came from)."""
    from modelhub_jupyter.embed import onnx_model
    from modelhub_jupyter.embed.text import TextEmbedder

    cache = tmp_path_factory.mktemp("modelhub-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELHUB_CACHE_DIR", str(cache))
        reference = TextEmbedder(precision="fp32", backend="torch")
        folder = reference.onnx_folder
        assert folder is not None and folder.parent.parent == cache
        assert onnx_model.export(reference._load(), reference.model_ref, folder), list(
            cache.rglob("*.failed")
        )
    return cache, reference


@contextmanager
def running_chroma(data: Path, port: int | None = None) -> Iterator[str]:
    """A real ``chroma run`` on 127.0.0.1 (``port``, default a free one) keeping its data in
    ``data``; yields its URL once it listens."""
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    cmd = [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start listening within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def chroma_server(tmp_path) -> Iterator[str]:
    """The URL of a real Chroma server started for one test."""
    with running_chroma(tmp_path / "server-data") as url:
        yield url


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def install_plugin(site: Path, module: str, source: str, entry_points: dict[str, str]) -> None:
    """Install a tiny distribution into ``site`` (a folder the caller puts on ``sys.path``):
    ``module`` with ``source``, and ``modelhub_jupyter.parsers`` entry points ``{name: "module:attr"}``."""
    (site / module).mkdir(parents=True)
    (site / module / "__init__.py").write_text(source)
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[modelhub_jupyter.parsers]\n{lines}")
