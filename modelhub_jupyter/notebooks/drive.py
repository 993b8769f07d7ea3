"""Upload a generated notebook to Google Drive (google-api-python-client), so Colab opens it.

Credentials are a service-account or authorized-user JSON file, named by the ``credentials``
argument (``--drive-credentials``) or ``$MODELHUB_GDRIVE_CREDENTIALS``; the Drive folder by
``folder`` (``--drive-folder``) or ``$MODELHUB_GDRIVE_FOLDER``. The scope is ``drive.file``: the
upload sees only the files it made. Every failure is one line naming the notebook or the file.

The HTTP layer is injectable (``http=``): the tests hand in ``googleapiclient.http.HttpMockSequence``,
so the real client code, token exchange included, runs without the network.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInputError, ModelHubError

SCOPES = ["https://www.googleapis.com/auth/drive.file"]
ENV_CREDENTIALS = "MODELHUB_GDRIVE_CREDENTIALS"
ENV_FOLDER = "MODELHUB_GDRIVE_FOLDER"
COLAB_MIME = "application/vnd.google.colaboratory"  # what Drive calls a Colab notebook
MAX_CREDENTIALS = 64 * 1024  # bytes: a credentials file is a few KiB
RESUMABLE_OVER = 5 * 1024 * 1024  # bytes: larger notebooks go up in chunks
DEFAULT_RETRIES = 3  # 5xx and rate limits are retried with backoff by the client itself


class DriveUploadError(ModelHubError):
    """Google Drive refused or could not be reached; the notebook itself is kept where it was written."""

    code = "drive_upload_failed"
    http_status = 502


@dataclass
class DriveFile:
    """The uploaded notebook: its Drive id and name, the Colab link and Drive's own link."""

    id: str
    name: str
    colab_url: str
    web_link: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _need_client() -> None:
    missing = [m for m in ("googleapiclient", "google.oauth2", "google_auth_httplib2") if not _findable(m)]
    if missing:
        raise BadInputError(
            f"Google Drive upload needs google-api-python-client and google-auth ({', '.join(missing)} missing): "
            "pip install 'modelhub-jupyter[drive]'"
        )


def _findable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def credentials_file(credentials: str | Path | None = None) -> Path:
    """The credentials file: the argument, else ``$MODELHUB_GDRIVE_CREDENTIALS``; a one-line error when neither."""
    named = credentials or os.environ.get(ENV_CREDENTIALS, "").strip()
    if not named:
        raise BadInputError(
            f"Google Drive upload needs credentials: pass --drive-credentials FILE or set {ENV_CREDENTIALS} "
            "(a service-account or authorized-user JSON file)"
        )
    return Path(named).expanduser()


def load_credentials(credentials: str | Path | None = None) -> Any:
    """``google.auth`` credentials (scope ``drive.file``) from a service-account or authorized-user file."""
    _need_client()
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    path = credentials_file(credentials)
    try:
        if path.stat().st_size > MAX_CREDENTIALS:
            raise BadInputError(f"{path}: too large for a credentials file", path=str(path))
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such credentials file", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInputError(f"{path}: not a JSON credentials file ({_first(err)})", path=str(path)) from None
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        if kind == "authorized_user":
            return user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)
    except (ValueError, KeyError, TypeError) as err:
        raise BadInputError(f"{path}: unusable {kind} credentials ({_first(err)})", path=str(path)) from None
    raise BadInputError(
        f"{path}: not a service-account or authorized-user credentials file (type {kind!r})", path=str(path)
    )


def upload(
    path: str | Path,
    *,
    credentials: Any = None,
    folder: str | None = None,
    http: Any = None,
    retries: int = DEFAULT_RETRIES,
) -> DriveFile:
    """Upload the notebook at ``path`` to Drive as a Colab notebook; returns its id and Colab link.

    ``credentials`` is a credentials file (else ``$MODELHUB_GDRIVE_CREDENTIALS``) or credentials
    already loaded by :func:`load_credentials`.

    ``http`` replaces the transport (an ``httplib2.Http``-like object, e.g. ``HttpMockSequence``);
    the credentials still sign every request through ``google_auth_httplib2.AuthorizedHttp``.
    """
    import httplib2
    from google.auth import exceptions as auth_errors
    from google_auth_httplib2 import AuthorizedHttp
    from googleapiclient.discovery import build
    from googleapiclient.errors import Error as ClientError
    from googleapiclient.errors import HttpError
    from googleapiclient.http import MediaInMemoryUpload

    source = Path(path).expanduser()
    if not source.is_file():
        raise BadInputError(f"{source}: no such notebook to upload", path=str(source))
    creds = credentials if _is_credentials(credentials) else load_credentials(credentials)
    parent = folder or os.environ.get(ENV_FOLDER, "").strip() or None
    data = source.read_bytes()
    authed = AuthorizedHttp(creds, http=http if http is not None else httplib2.Http(timeout=60))
    body: dict[str, Any] = {"name": source.name, "mimeType": COLAB_MIME}
    if parent:
        body["parents"] = [parent]
    media = MediaInMemoryUpload(
        data, mimetype="application/x-ipynb+json", resumable=len(data) > RESUMABLE_OVER
    )
    try:
        service = build("drive", "v3", http=authed, cache_discovery=False, static_discovery=True)
        created = (
            service.files()
            .create(body=body, media_body=media, fields="id,name,webViewLink", supportsAllDrives=True)
            .execute(num_retries=retries)
        )
    except HttpError as err:
        raise DriveUploadError(f"{source}: Google Drive refused the upload ({_http_reason(err)})",
                               path=str(source)) from None  # fmt: skip
    except auth_errors.GoogleAuthError as err:
        said = err.args[0] if err.args and isinstance(err.args[0], str) else err
        raise DriveUploadError(
            f"{source}: Google sign-in failed ({_first(said)})", path=str(source)
        ) from None
    except (ClientError, httplib2.HttpLib2Error, OSError) as err:
        raise DriveUploadError(
            f"{source}: could not reach Google Drive ({_first(err)})", path=str(source)
        ) from None
    file_id = str(created.get("id") or "")
    if not file_id:
        raise DriveUploadError(f"{source}: Google Drive answered without a file id", path=str(source))
    return DriveFile(file_id, str(created.get("name") or source.name),
                     f"https://colab.research.google.com/drive/{file_id}", created.get("webViewLink"))  # fmt: skip


def _is_credentials(value: Any) -> bool:
    """Already-loaded ``google.auth`` credentials (what :func:`load_credentials` returns)."""
    return value is not None and not isinstance(value, str | Path) and hasattr(value, "before_request")


def _http_reason(err: Any) -> str:
    """``HTTP 403 storageQuotaExceeded: The user's Drive storage quota has been exceeded.``"""
    status = getattr(getattr(err, "resp", None), "status", None) or getattr(err, "status_code", "?")
    reasons: list[str] = []
    message = ""
    try:
        payload = json.loads(err.content.decode("utf-8", "replace"))
        error = payload.get("error", {}) if isinstance(payload, dict) else {}
        if isinstance(error, dict):
            message = str(error.get("message") or "")
            reasons = [
                str(e.get("reason"))
                for e in error.get("errors", [])
                if isinstance(e, dict) and e.get("reason")
            ]
    except (ValueError, AttributeError):
        pass
    message = message or str(getattr(err, "reason", "") or "")
    head = f"HTTP {status}" + (f" {reasons[0]}" if reasons else "")
    return _first(f"{head}: {message}" if message else head)[:300]


def _first(err: object) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
