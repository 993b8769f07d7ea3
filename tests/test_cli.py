"""The ``modelhub`` command as a user runs it: JSON contract, human output, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, home, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory, example_workspace):
    home = tmp_path_factory.mktemp("cli-home")
    result = run("index", str(example_workspace), "--json", home=home)
    assert result.returncode == 0, result.stderr
    return home, json.loads(result.stdout)


def test_index_json_contract(cli_home):
    _, report = cli_home
    assert {"files_seen", "indexed", "skipped", "errors"} <= set(report)
    assert report["errors"] == []
    assert report["indexed"] == report["files_seen"]


def test_search_json_contract(cli_home):
    home, _ = cli_home
    result = run("search", "causal self attention", "--kind", "code", "--limit", "5", "--json", home=home)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 5
    # the contract's keys, and beside them the root (issue 15) and a relevance people can read
    assert set(hits[0]) == {"id", "kind", "path", "score", "snippet", "metadata"} | {
        "root", "root_name", "relevance", "strength", "evidence",
    }  # fmt: skip
    assert not hits[0]["path"].startswith("/") and Path(hits[0]["root"], hits[0]["path"]).is_file()
    assert 0 < hits[0]["relevance"] <= 1 and hits[0]["strength"] == "strong"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_with_where(cli_home):
    home, _ = cli_home
    result = run("search", "model", "--where", "framework=jax", "--json", home=home)
    hits = json.loads(result.stdout)
    assert hits and all(h["metadata"]["framework"]["name"] == "jax" for h in hits)


def test_search_says_what_it_understood_from_plain_words(cli_home):
    home, _ = cli_home
    words = ["search", "jax models with at least 2 layers", "--kind", "code"]
    human = run(*words, home=home)
    assert human.returncode == 0, human.stderr
    first = human.stdout.splitlines()[0]
    assert first.startswith("understood: framework.name=jax, model_dimensions.num_layers>=2"), first
    hits = json.loads(run(*words, "--json", home=home).stdout)
    assert hits and all(h["metadata"]["framework"]["name"] == "jax" for h in hits)
    assert all(h["metadata"]["model_dimensions"]["num_layers"] >= 2 for h in hits)
    # --literal ranks the same words without reading filters from them: other hits, no "understood"
    literal = json.loads(run(*words, "--json", "--literal", home=home).stdout)
    assert [h["id"] for h in literal] != [h["id"] for h in hits]
    assert not run(*words, "--literal", home=home).stdout.startswith("understood:")


def test_show_json(cli_home, example_workspace):
    home, _ = cli_home
    result = run("show", str(example_workspace / "gpt" / "transformer_v1.py"), "--json", home=home)
    view = json.loads(result.stdout)
    assert view["path"] == "gpt/transformer_v1.py" and view["kind"] == "python"
    assert view["metadata"]["framework"]["name"] == "pytorch"
    assert view["provenance"]["framework.name"].startswith("gpt/transformer_v1.py:")


def test_status_json(cli_home, example_workspace):
    home, _ = cli_home
    info = json.loads(run("status", "--json", home=home).stdout)
    assert {"home", "store", "embedder", "roots", "files", "documents", "errors", "last_run"} <= set(info)
    assert info["roots"][0]["path"] == str(example_workspace)
    text = run("status", home=home, env={"MODELHUB_EMBED_PRECISION": "fp32"}).stdout
    assert "all-minilm-l6-v2-int8 (fp32; documents int8)" in text


def test_human_output_is_a_table_with_progress_on_stderr(tmp_path, example_workspace):
    result = run("index", str(example_workspace / "configs"), home=tmp_path / "h")
    assert result.returncode == 0
    assert "files seen" in result.stdout
    assert "{" not in result.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("index", "/definitely/not/here"), "no such directory"),
        (("search", ""), "empty query"),
        (("search", "x", "--where", "nonsense"), "KEY=VALUE"),
        (("show", "/definitely/not/here.py"), "no such file"),
    ],
)
def test_errors_are_one_line_with_nonzero_exit(tmp_path, args, message):
    result = run(*args, home=tmp_path / "h")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_schemas_export(tmp_path):
    result = run("schemas", "export", str(tmp_path / "schemas"), home=tmp_path / "h")
    assert result.returncode == 0
    assert (tmp_path / "schemas" / "model_script.schema.json").exists()


def test_unreadable_file_is_listed_and_the_rest_indexed(tmp_path):
    """Root reads everything: under root the run drops the capabilities that override permissions."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "model.py").write_text("import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n")
    secret = ws / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    home = tmp_path / "h"
    home.mkdir()
    command = [sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(home), "index", str(ws), "--json"]
    if os.geteuid() == 0:
        command = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == [{"path": "secret.py", "error": "permission denied"}]
    assert report["indexed"] == 1
