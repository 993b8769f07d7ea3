"""Registry downloads against a real HTTP server on 127.0.0.1 (resume, wrong hash, cut transfers),
and the ``modelhub models`` commands through the real CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.errors import BadInputError

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    cut_next = False  # the next full response stops half-way

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        start = 0
        if rng := self.headers.get("Range"):
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD) - start))
        self.end_headers()
        body = PAYLOAD[start:]
        if Handler.cut_next:
            Handler.cut_next = False
            body = body[: len(body) // 2]
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_checks_hash_resumes_and_records(server, tmp_path):
    with Hub(tmp_path / "home") as hub:
        reg = hub.models
        dest = tmp_path / "dl"
        with pytest.raises(BadInputError, match="sha256 mismatch.*removed"):
            reg.download(f"{server}/w.bin", dest, sha256="0" * 64, progress=False)
        assert not (dest / "w.bin").exists() and not (dest / "w.bin.part").exists()
        Handler.cut_next = True
        with pytest.raises(BadInputError, match="cut short at 524,288 of 1,048,576 bytes"):
            reg.download(f"{server}/w.bin", dest, sha256=SHA, progress=False)
        assert (dest / "w.bin.part").stat().st_size == len(PAYLOAD) // 2
        done = reg.download(f"{server}/w.bin", dest, sha256=SHA, progress=False)  # resumes with Range
        assert done["status"] == "done" and done["sha256"] == SHA and (dest / "w.bin").read_bytes() == PAYLOAD
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        with pytest.raises(BadInputError, match="download of .* failed"):
            reg.download(f"{server}/w.bin", blocker / "sub", progress=False)
        rows = reg.downloads()
        assert [r["status"] for r in rows] == ["failed", "done", "failed", "failed"]
        assert "sha256 mismatch" in rows[-1]["error"] and rows[2]["bytes"] == len(PAYLOAD) // 2
        with pytest.raises(BadInputError, match="neither an http"):
            reg.download("not a repo id!", dest)


def cli(home, *args):
    return subprocess.run([sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(home), "models", *args],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def fast(home, *args):
    """The same CLI in this process (click's runner): stdout and stderr apart, no interpreter start."""
    from click.testing import CliRunner

    from modelhub_jupyter.cli import main

    return CliRunner().invoke(main, ["--home", str(home), "models", *args])


def test_models_commands_through_the_cli(tmp_path):
    home = tmp_path / "home"
    out = cli(home, "register", "--bundled", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["version"] == "v1"
    listed = json.loads(cli(home, "list", "--type", "text_embedding", "--json").stdout)
    assert listed[0]["name"] == "minilm" and listed[0]["versions"][0]["sha256"]
    shown = json.loads(cli(home, "show", "minilm", "--json").stdout)
    assert shown["categories"]["secondary"][0] == "EMBEDDING" and shown["versions"][0]["files"]
    bad = cli(home, "activate", "text_embedding", "v7")
    assert (
        bad.returncode == 1
        and bad.stderr.strip().count("\n") == 0
        and "no text_embedding version 'v7'" in bad.stderr
    )
    bad = cli(home, "activate", "robots", "v1")
    assert bad.returncode == 1 and "unknown model type 'robots'" in bad.stderr
    ok = json.loads(cli(home, "validate", "minilm", "--json").stdout)
    assert ok["ok"] is True
    # without --json: tables a person reads
    table = fast(home, "list").stdout.splitlines()
    assert table[0].split()[:2] == ["type", "model"] and table[1].startswith("text_embedding  minilm")
    assert "91.6 MB" in table[1] and table[-1] == "1 model(s), 1 version(s); * active"
    assert "files of v1 (12, sha256 " in fast(home, "show", "minilm").stdout
    assert fast(home, "validate", "minilm").stdout.startswith("minilm v1: ok")
    # metadata edits: one model by name, many by --where; the history says who and what
    out = fast(home, "update", "minilm", "--set", "owner=ml-team", "--set", "performance.accuracy=0.91")
    assert out.exit_code == 0 and "minilm: owner: None -> 'ml-team'" in out.stdout, out.stderr
    dry = fast(home, "update", "--where", "type=text_embedding", "--where", "secondary=EMBEDDING", "--tier", "standard",
              "--dry-run")  # fmt: skip
    assert "minilm: tier: 'lite' -> 'standard'" in dry.stdout and "dry run" in dry.stdout
    shown = json.loads(fast(home, "show", "minilm", "--json").stdout)
    assert shown["tier"] == "lite" and shown["metadata"]["performance"] == {"accuracy": 0.91}
    assert shown["history"][0]["action"] == "update_metadata"
    for args, message in [
        (("update", "--where", "type=llm", "--set", "a=1"), "no registered model matches type=llm"),
        (("update", "minilm", "--set", "no equals"), "--set 'no equals': write KEY=VALUE"),
        (("update", "minilm"), "nothing to change"),
    ]:
        bad = fast(home, *args)
        assert bad.exit_code == 1 and message in bad.stderr and bad.stderr.count("\n") == 1, bad.stderr
