"""Generated notebooks leaving the machine: Google Drive upload (the real google-api-python-client and
google-auth code over ``googleapiclient.http.HttpMockSequence``: nothing reaches the network) and PDF
through nbconvert's webpdf printed by Debian's chromium (read back with pypdf)."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from googleapiclient.http import HttpMockSequence

from modelhub_jupyter.errors import BadInputError
from modelhub_jupyter.notebooks import drive

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="needs /usr/bin/chromium (apt-get install chromium)"
)
TOKEN = ({"status": "200"}, json.dumps({"access_token": "tok-123", "expires_in": 3600}))
CREATED = ({"status": "200"}, json.dumps({"id": "F1", "name": "a.ipynb",
                                          "webViewLink": "https://drive.google.com/file/d/F1/view"}))  # fmt: skip


def _error(status: int, reason: str, message: str) -> tuple[dict[str, str], str]:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason, "message": message}]}}
    return {"status": str(status)}, json.dumps(body)


@pytest.fixture(scope="module")
def service_account(tmp_path_factory) -> Path:
    """A real service-account file (a fresh RSA key): google-auth signs a real JWT for the token exchange."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()  # fmt: skip
    path = tmp_path_factory.mktemp("creds") / "sa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "k1", "private_key": pem,
        "client_email": "uploader@p.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token"}))  # fmt: skip
    return path


@pytest.fixture
def notebook(tmp_path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Upload me")]
    path = tmp_path / "a.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(autouse=True)
def no_drive_env(monkeypatch):
    monkeypatch.delenv(drive.ENV_CREDENTIALS, raising=False)
    monkeypatch.delenv(drive.ENV_FOLDER, raising=False)


def test_service_account_upload_signs_in_and_sends_a_colab_notebook(notebook, service_account):
    http = HttpMockSequence([TOKEN, CREATED])
    made = drive.upload(notebook, credentials=service_account, folder="FOLDER9", http=http)
    assert made.to_dict() == {"id": "F1", "name": "a.ipynb", "colab_url": "https://colab.research.google.com/drive/F1",
                              "web_link": "https://drive.google.com/file/d/F1/view"}  # fmt: skip
    (token_uri, _, token_body, _), (upload_uri, method, body, headers) = http.request_sequence
    assert token_uri == "https://oauth2.googleapis.com/token"
    assert b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in token_body
    assert method == "POST" and upload_uri.startswith("https://www.googleapis.com/upload/drive/v3/files?")
    assert "uploadType=multipart" in upload_uri
    assert headers["authorization"] == "Bearer tok-123"
    text = body.decode() if isinstance(body, bytes) else body
    meta = json.loads(text.split("\n\n", 1)[1].split("\n--", 1)[0])
    assert meta == {"name": "a.ipynb", "mimeType": drive.COLAB_MIME, "parents": ["FOLDER9"]}
    assert "# Upload me" in text  # the notebook itself travels in the second part


def test_authorized_user_file_from_the_environment(notebook, tmp_path, monkeypatch):
    creds = tmp_path / "user.json"
    creds.write_text(json.dumps({"type": "authorized_user", "client_id": "c", "client_secret": "s",
                                 "refresh_token": "r-1"}))  # fmt: skip
    monkeypatch.setenv(drive.ENV_CREDENTIALS, str(creds))
    monkeypatch.setenv(drive.ENV_FOLDER, "ENVFOLDER")
    http = HttpMockSequence([TOKEN, CREATED])
    assert drive.upload(notebook, http=http).id == "F1"
    (_, _, token_body, _), (_, _, body, _) = http.request_sequence
    assert b"refresh_token=r-1" in token_body and b"ENVFOLDER" in body


def test_missing_or_unusable_credentials_are_one_line(notebook, tmp_path):
    with pytest.raises(BadInputError, match=r"needs credentials: pass --drive-credentials FILE or set "
                                            r"MODELHUB_GDRIVE_CREDENTIALS"):  # fmt: skip
        drive.upload(notebook, http=HttpMockSequence([]))
    cases = {
        "absent.json": (None, "no such credentials file"),
        "garbage.json": ("{not json", "not a JSON credentials file"),
        "other.json": (json.dumps({"type": "external_account"}), "not a service-account or authorized-user"),
        "broken.json": (
            json.dumps({"type": "service_account", "client_email": "x"}),
            "unusable service_account",
        ),
    }
    for name, (content, said) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        with pytest.raises(BadInputError) as err:
            drive.upload(notebook, credentials=path, http=HttpMockSequence([]))
        assert said in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value), name


@pytest.mark.parametrize(
    ("responses", "said"),
    [
        ([TOKEN, _error(403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.")],
         "refused the upload (HTTP 403 storageQuotaExceeded: The user's Drive storage quota has been exceeded.)"),
        ([TOKEN, _error(404, "notFound", "File not found: NOPE.")], "(HTTP 404 notFound: File not found: NOPE.)"),
        ([({"status": "400"}, json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}))],
         "Google sign-in failed (invalid_grant: Invalid JWT Signature.)"),
    ],
    ids=["quota", "folder-missing", "sign-in"],
)  # fmt: skip
def test_refusals_are_one_line_and_keep_the_notebook(notebook, service_account, responses, said):
    http = HttpMockSequence(list(responses))
    with pytest.raises(drive.DriveUploadError) as err:
        drive.upload(notebook, credentials=service_account, folder="NOPE", http=http, retries=0)
    message = str(err.value)
    assert message.startswith(f"{notebook}: ") and said in message and "\n" not in message
    assert notebook.is_file()


def test_hub_notebook_uploads_after_writing(indexed, service_account, tmp_path, monkeypatch):
    import httplib2

    http = HttpMockSequence([TOKEN, CREATED])
    monkeypatch.setattr(httplib2, "Http", lambda *a, **k: http)  # the only transport: the mock
    run = indexed[0].notebook("model_analysis", out=tmp_path / "a.ipynb", model="transformer_v2", progress=False,
                              drive=True, drive_credentials=str(service_account))  # fmt: skip
    assert run.drive and run.drive["colab_url"] == "https://colab.research.google.com/drive/F1"
    assert "drive: https://colab.research.google.com/drive/F1" in run.text()
    assert b"transformer_v2" in http.request_sequence[1][2]  # the written notebook, parameters injected


def test_cli_drive_without_credentials_says_so_before_writing(indexed, tmp_path):
    from modelhub_jupyter.cli import main

    target = tmp_path / "a.ipynb"
    out = CliRunner().invoke(main, ["--home", str(indexed[0].settings.home), "notebook", "model_analysis",
                                    "-p", "model=transformer_v2", "--out", str(target), "--drive"])  # fmt: skip
    assert out.exit_code == 1
    assert "needs credentials" in out.output and len(out.output.strip().splitlines()) == 1
    assert not target.exists()


# -- PDF ----------------------------------------------------------------------------------------------
class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.seen.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@needs_chromium
def test_pdf_is_printed_offline_by_system_chromium(indexed, tmp_path):
    from pypdf import PdfReader

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = indexed[0].notebook("model_analysis", out=tmp_path / "a.ipynb", model="transformer_v2",
                                  progress=False, pdf=True)  # fmt: skip
        # A notebook whose output would fetch from a server: the page may not call out.
        nb = nbformat.read(run.path, as_version=4)
        beacon = f"http://127.0.0.1:{server.server_port}/beacon.png"
        nb.cells.append(nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": f'<img src="{beacon}"><p>zebra-output-42</p>'})]))  # fmt: skip
        # a plotly figure as the templates show it (notebook_connected: its script is on plotly's CDN)
        import plotly.graph_objects as go
        import plotly.io as pio

        fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]), layout={"title": {"text": "okapi-figure-7"}})
        bundle = pio.renderers["notebook_connected"].to_mimebundle(fig)
        assert "cdn.plot.ly" in bundle["text/html"]
        nb.cells.append(
            nbformat.v4.new_code_cell("fig", outputs=[nbformat.v4.new_output("display_data", data=bundle)])
        )
        nbformat.write(nb, str(tmp_path / "b.ipynb"))
        from modelhub_jupyter.notebooks.pdf import export_pdf

        second = export_pdf(tmp_path / "b.ipynb")
    finally:
        server.shutdown()
    assert run.pdf == str(tmp_path / "a.pdf") and f"pdf: {run.pdf}" in run.text()
    for path in (Path(run.pdf), second):
        assert path.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(run.pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 1
    assert "transformer_v2" in text  # the injected parameter, printed
    title = nbformat.read(run.path, as_version=4).cells[0].source.splitlines()[0].lstrip("# ").strip()
    assert title.split()[0] in text
    assert "zebra-output-42" in " ".join(p.extract_text() for p in PdfReader(second).pages)
    # the plotly figure is drawn: its script came from the plotly package, not the CDN
    assert "okapi-figure-7" in " ".join(p.extract_text() for p in PdfReader(second).pages)
    assert _Recorder.seen == []


def test_pdf_without_chromium_is_one_line(tmp_path, notebook):
    from modelhub_jupyter.notebooks.pdf import PDFExportError, export_pdf

    with pytest.raises(PDFExportError) as err:
        export_pdf(notebook, executable_path=str(tmp_path / "no-chromium"))
    assert "no Chromium at" in str(err.value) and "\n" not in str(err.value)
    assert not notebook.with_suffix(".pdf").exists()
    with pytest.raises(BadInputError, match="no such notebook"):
        export_pdf(tmp_path / "missing.ipynb")
