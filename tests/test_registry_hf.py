"""Hugging Face downloads through huggingface_hub against a fake Hub on 127.0.0.1 (``HF_ENDPOINT``):
the routes huggingface_hub calls (``api/models/<repo>/revision/<rev>``, ``.../tree/<rev>``, HEAD and GET of
``<repo>/resolve/<rev>/<file>`` with ETag / X-Repo-Commit / X-Linked-Etag headers, Range requests),
a repo whose two revisions differ, an LFS file cut short half-way (huggingface_hub resumes it with
Range), the Hub's sha256 of LFS files checked, and ``--sha256`` over the whole repo."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save

from modelhub_jupyter import Hub
from modelhub_jupyter.errors import BadInputError
from modelhub_jupyter.registry.versions import hash_files

REPO = "acme/tiny-encoder"


def _weights(n: int) -> bytes:
    return save({"embed.weight": np.arange(n * 64, dtype=np.float32).reshape(n, 64)})


# revision -> (commit, {file: bytes}); model.safetensors is an LFS file (its ETag is its sha256)
REVISIONS = {
    "main": ("a" * 40, {"config.json": b'{"model_type": "bert", "hidden_size": 64}',
                        "model.safetensors": _weights(2048)}),
    "v1": ("b" * 40, {"config.json": b'{"model_type": "bert", "hidden_size": 64, "v": 1}',
                      "model.safetensors": _weights(1024)}),
}  # fmt: skip
LFS = {"model.safetensors"}


class FakeHub(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, str | None]] = []
    cut: set[str] = set()  # files whose next full GET stops half-way
    corrupt: set[str] = set()  # files served with one byte changed (the headers stay true)
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _revision(self, rev: str) -> tuple[str, dict[str, bytes]] | None:
        for name, (commit, files) in REVISIONS.items():
            if rev in (name, commit):
                return commit, files
        return None

    def _send(self, code: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _route(self, head: bool) -> None:
        path = self.path.split("?")[0]
        FakeHub.requests.append((self.command, path, self.headers.get("Range")))
        api = f"/api/models/{REPO}/revision/"
        if path.startswith(api):
            found = self._revision(path[len(api) :])
            if found is None:
                return self._send(404, {"Content-Length": "0", "X-Error-Code": "RevisionNotFound"})
            commit, files = found
            body = json.dumps({"id": REPO, "modelId": REPO, "sha": commit, "private": False,
                               "siblings": [{"rfilename": f} for f in files]}).encode()  # fmt: skip
            return self._send(
                200, {"Content-Type": "application/json", "Content-Length": str(len(body))}, body
            )
        tree = f"/api/models/{REPO}/tree/"
        if path.startswith(tree):
            found = self._revision(path[len(tree) :].split("/")[0])
            if found is None:
                return self._send(404, {"Content-Length": "0", "X-Error-Code": "RevisionNotFound"})
            entries = [
                {"type": "file", "path": f, "size": len(d), "oid": hashlib.sha1(d).hexdigest(),
                 **({"lfs": {"oid": hashlib.sha256(d).hexdigest(), "size": len(d), "pointerSize": 134}}
                    if f in LFS else {})}
                for f, d in found[1].items()
            ]  # fmt: skip
            body = json.dumps(entries).encode()
            return self._send(
                200, {"Content-Type": "application/json", "Content-Length": str(len(body))}, body
            )
        prefix = f"/{REPO}/resolve/"
        if not path.startswith(prefix):
            return self._send(404, {"Content-Length": "0"})
        rev, _, name = path[len(prefix) :].partition("/")
        found = self._revision(rev)
        if found is None or name not in found[1]:
            return self._send(404, {"Content-Length": "0", "X-Error-Code": "EntryNotFound"})
        commit, files = found
        data = files[name]
        etag = hashlib.sha256(data).hexdigest() if name in LFS else hashlib.sha1(data).hexdigest()
        headers = {"X-Repo-Commit": commit, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
        if name in LFS:
            headers |= {"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(len(data))}
        key = name
        if key in FakeHub.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        if head:
            return self._send(200, {**headers, "Content-Length": str(len(data))})
        start = 0
        if rng := self.headers.get("Range"):
            start = int(rng.split("=")[1].split("-")[0])
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        headers["Content-Length"] = str(len(body))
        if key in FakeHub.cut and not start:
            FakeHub.cut.discard(key)
            self._send(200, {**headers, "Connection": "close"}, body[: len(body) // 2])
            self.close_connection = True
            return
        self._send(206 if start else 200, headers, body)

    def do_HEAD(self):
        self._route(head=True)

    def do_GET(self):
        self._route(head=False)


@pytest.fixture(scope="module")
def fake_hub():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def online(fake_hub, monkeypatch):
    """huggingface_hub pointed at the fake Hub (the test session runs it offline)."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", fake_hub)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # it writes what arrived in chunks of this size; a cut transfer resumes from the last whole one
    # (10 MB by default: a small file's cut would start over rather than resume)
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1 << 14)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    FakeHub.requests.clear()
    return fake_hub


def test_repo_at_a_revision_with_a_cut_transfer_resumed_and_sha256_checked(online, tmp_path):
    with Hub(tmp_path / "home") as hub:
        FakeHub.cut.add("model.safetensors")
        record = hub.models.download(REPO, tmp_path / "v1", revision="v1", progress=False)
        folder = Path(record["path"])
        _, files = REVISIONS["v1"]
        assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == files  # v1, not main
        ranged = [r for r in FakeHub.requests if r[0] == "GET" and r[2]]
        assert ranged and ranged[0][1].endswith("/model.safetensors"), FakeHub.requests  # resumed from
        assert ranged[0][2] != "bytes=0-"  # the bytes that had arrived, not from the start
        assert record["status"] == "done" and record["revision"] == "v1"
        assert record["sha256"] == hash_files(folder)[1] and record["bytes"] == sum(map(len, files.values()))

        # --sha256 of a whole repo is the registry's digest over its files: the same download passes...
        again = hub.models.download(REPO, tmp_path / "v1-again", revision="v1", sha256=record["sha256"],
                                    progress=False)  # fmt: skip
        assert again["sha256"] == record["sha256"]
        # ...and a wrong one fails, recorded
        with pytest.raises(BadInputError, match="sha256 mismatch.*over the repo's 2 files"):
            hub.models.download(
                REPO, tmp_path / "main", revision="main", sha256=record["sha256"], progress=False
            )
        # one file by name, checked against the sha256 given
        one = hub.models.download(REPO, tmp_path / "one", filename="model.safetensors", progress=False,
                                  sha256=hashlib.sha256(REVISIONS["main"][1]["model.safetensors"]).hexdigest())  # fmt: skip
        assert one["status"] == "done" and Path(one["path"]).name == "model.safetensors"
        # the downloaded folder registers as a version with the same digest
        v = hub.models.register(folder, name="tiny-encoder", model_type="text_embedding")
        assert v.checkpoint_sha256 == record["sha256"]
        statuses = [d["status"] for d in hub.models.downloads()]
        assert statuses.count("done") == 3 and statuses.count("failed") == 1


def test_a_file_that_is_not_what_the_hub_says_is_removed(online, tmp_path):
    with Hub(tmp_path / "home") as hub:
        FakeHub.corrupt.add("model.safetensors")
        try:
            with pytest.raises(
                BadInputError, match="model.safetensors: sha256 .* is not the .* the Hub gives"
            ):
                hub.models.download(REPO, tmp_path / "bad", filename="model.safetensors", progress=False)
        finally:
            FakeHub.corrupt.clear()
        assert not (tmp_path / "bad" / "model.safetensors").exists()
        with pytest.raises(BadInputError, match="download of acme/tiny-encoder failed"):
            hub.models.download(REPO, tmp_path / "none", revision="v9", progress=False)
        assert [d["status"] for d in hub.models.downloads()] == ["failed", "failed"]


def test_cli_downloads_from_hf_endpoint(fake_hub, tmp_path):
    env = {**os.environ, "HF_ENDPOINT": fake_hub, "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_XET": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "modelhub_jupyter.cli", "--home", str(tmp_path / "home"), "models", "download",
         REPO, "--revision", "main", "--dest", str(tmp_path / "dl"), "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["status"] == "done" and record["revision"] == "main"
    assert (Path(record["path"]) / "model.safetensors").read_bytes() == REVISIONS["main"][1][
        "model.safetensors"
    ]
