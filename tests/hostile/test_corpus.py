"""The whole hostile corpus indexed at once, by the CLI, beside good files.

Exit 0; every good file searchable; every bad one reported with its reason; nothing run by git
or YAML; nothing from outside the folder searchable; no parser stopped by the time budget (each
finished on its own) and the biggest process under 1.5 GB. Wall time is measured, with the same
run on the good files alone, by ``benchmarks/bench_hostile.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from modelhub_jupyter import Hub

from .corpus import build

MEMORY_LIMIT_MB = 1536


# The CLI, reporting its own peak at exit. Not ru_maxrss: a child's high-water mark starts with
# the pages it shared with the test process when forked (an xdist worker with models loaded:
# gigabytes), and Linux carries it over exec; /proc's VmHWM belongs to the exec'd image alone.
PEAK_CLI = """
import atexit, runpy, sys

def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stderr.write(f"\\npeak-kb {kb}\\n")

atexit.register(peak)
sys.argv = ["modelhub", *sys.argv[1:]]
runpy.run_module("modelhub_jupyter.cli", run_name="__main__")
"""


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, onnx_cache):
    base = tmp_path_factory.mktemp("hostile")
    corpus = build(base / "ws", base / "outside")
    home = base / "home"
    done = subprocess.run(
        [sys.executable, "-c", PEAK_CLI, "--home", str(home), "index", str(corpus.root), "--json"],
        capture_output=True, text=True,
        # the embedder's ONNX copy is already made (as after a first run): the limit is about
        # parsing hostile files, not the one-time export from the torch weights
        env={**os.environ, "MODELHUB_CACHE_DIR": str(onnx_cache[0])},
    )  # fmt: skip
    peaks = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak-kb ")]
    assert peaks, done.stderr[-2000:]
    return corpus, home, done, peaks[-1] / 1024


def test_the_run_succeeds_within_memory(corpus_run):
    corpus, _, done, peak_mb = corpus_run
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert corpus.hostile_count >= 40
    assert peak_mb < MEMORY_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    timed_out = [e for e in report["errors"] if "took longer than" in e["error"]]
    assert not timed_out, timed_out  # every parser finished by itself, within bounds


def test_every_bad_file_is_reported_with_a_reason(corpus_run):
    corpus, _, done, _ = corpus_run
    report = json.loads(done.stdout)
    said = {e["path"]: e["error"] for e in report["errors"]}
    said.update({w["path"]: w["warning"] for w in report["warnings"] if w["path"] not in said})
    missing = {path: word for path, word in corpus.bad.items() if path not in said or word not in said[path]}
    assert not missing, {p: said.get(p) for p in missing}
    for path, reason in said.items():
        assert reason.strip() and "\n" not in reason and len(reason) <= 300, (path, reason)
        assert "internal error" not in reason and "cannot parse (" not in reason, (
            path,
            reason,
        )  # a bug's catch-all


def test_every_file_is_accounted_for_and_the_good_ones_searchable(corpus_run, shared_embedder):
    corpus, home, done, _ = corpus_run
    report = json.loads(done.stdout)
    errors = {e["path"] for e in report["errors"]}
    with Hub(home, embedder=shared_embedder) as hub:
        for path, query in corpus.good.items():
            assert path not in errors
            found = [h.path for h in hub.search(query, limit=5)]
            assert any(f == path or f.startswith(f"{path}/") for f in found), (path, found)
        for path in corpus.survivable:
            row = hub.catalog.file(str(corpus.root / path))
            assert path in errors or (row is not None and row.status == "indexed"), path
        leaked = hub.search("sk-live-SECRET-4242 api_key", limit=20)
        assert not any("SECRET" in h.snippet for h in leaked)
        assert all("outside" not in h.path for h in leaked)


def test_nothing_from_the_corpus_ran(corpus_run):
    corpus, *_ = corpus_run
    ran = [m.name for m in corpus.markers if m.exists()]
    assert not ran, f"commands from the corpus ran: {ran}"


def test_show_on_hostile_files_is_one_line_too(corpus_run, shared_embedder, tmp_path):
    """``show`` parses an un-indexed file on the spot: the same sandbox, the same one-line reasons."""
    corpus, *_ = corpus_run
    with Hub(tmp_path / "fresh", embedder=shared_embedder) as hub:
        for path in ("hostile/cfg/laughs.yaml", "hostile/nb/deep.ipynb", "hostile/img/comfy_cycle.png"):
            view = hub.show(corpus.root / path)
            assert not view.indexed and (view.error is None or "\n" not in view.error)
    assert not [m for m in corpus.markers if m.exists()]
