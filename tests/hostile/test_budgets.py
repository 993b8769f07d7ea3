"""Every file's parsing has a time and a memory budget; a parser that blows it costs that file only.

The misbehaving parsers are real plugins (entry points), so the run goes through the same
parser table and worker process as the built-in ones.
"""

from __future__ import annotations

import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.config import Settings
from modelhub_jupyter.ingest import parsers, sandbox

from ..conftest import install_plugin

HOSTILE_PARSERS = """
import ctypes
import time

from modelhub_jupyter.ingest.parsers import Parser


def _slow(path, relpath):
    time.sleep(600)


def _greedy(path, relpath):
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


def _crash(path, relpath):
    ctypes.string_at(0)  # SIGSEGV in the parser process


def _buggy(path, relpath):
    return {"not": "an Extracted"}.missing_attribute


slow = Parser("slowfile", _slow, suffixes=(".slow",))
greedy = Parser("greedyfile", _greedy, suffixes=(".greedy",))
crash = Parser("crashfile", _crash, suffixes=(".crash",))
buggy = Parser("buggyfile", _buggy, suffixes=(".buggy",))
"""


@pytest.fixture
def hostile_plugins(tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_plugin(
        site,
        "modelhub_hostile_parsers",
        HOSTILE_PARSERS,
        {name: f"modelhub_hostile_parsers:{name}" for name in ("slow", "greedy", "crash", "buggy")},
    )
    monkeypatch.syspath_prepend(str(site))
    parsers.refresh()
    yield
    monkeypatch.undo()
    parsers.refresh()
    sandbox.shutdown()


def test_a_parser_over_its_time_memory_or_life_costs_one_file(hostile_plugins, tmp_path, shared_embedder):
    ws = tmp_path / "ws"
    ws.mkdir()
    for name in ("a.slow", "b.greedy", "c.crash", "d.buggy"):
        (ws / name).write_text("hostile\n")
    (ws / "model.py").write_text("import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n")
    settings = Settings(home=tmp_path / "home", parse_timeout=3.0, parse_memory_mb=768)
    with Hub(settings=settings, embedder=shared_embedder) as hub:
        report = hub.index(ws, progress=False)
        errors = {e["path"]: e["error"] for e in report.errors}
        assert errors["a.slow"] == "parsing took longer than 3 s; file skipped"
        assert errors["b.greedy"] == "ran out of memory while parsing; file skipped"
        assert errors["c.crash"].startswith("the parser process died (killed by SIGSEGV)")
        assert errors["d.buggy"].startswith("cannot parse (AttributeError): ")
        assert report.indexed == 1 and hub.search("Net module", kind="code").hits[0].path == "model.py"
        assert hub.runs(1)[0]["status"] == "ok"
        # The next run skips the same files quickly: they are unchanged, their errors remembered.
        again = hub.index(ws, progress=False)
        assert again.unchanged == 5 and {e["path"] for e in again.errors} == set(errors)


def test_a_script_without_a_main_guard_can_index(tmp_path):
    """The parser process is a fresh interpreter that never re-runs the user's script: a plain
    script that indexes at module level (no ``if __name__ == "__main__"``) works."""
    import subprocess
    import sys

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "net.py").write_text("import torch\n\nclass Net(torch.nn.Module):\n    pass\n")
    script = tmp_path / "index_it.py"
    script.write_text(
        "from modelhub_jupyter import Hub\n"
        f"report = Hub(home={str(tmp_path / 'home')!r}).index({str(ws)!r}, progress=False)\n"
        "print('indexed', report.indexed, 'errors', len(report.errors))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "indexed 1 errors 0"
