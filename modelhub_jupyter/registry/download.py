"""Downloads: a URL (resumable, sha256-checked) or a Hugging Face Hub repo (``huggingface_hub``).

A URL goes to ``<dest>/<name>.part`` first; a transfer cut short leaves the part, and the next
call asks the server for the rest (``Range``). The whole file is hashed before it takes its
name: a wrong sha256 removes it. Every attempt, good or bad, is a row in ``reg_downloads``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import BadInputError, ModelHubError, one_line
from .store import RegistryStore

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 1 << 16


def _name_from_url(url: str) -> str:
    name = Path(unquote(urlparse(url).path)).name
    if not name or name in (".", ".."):
        raise BadInputError(f"{url}: no file name in the URL; give --filename")
    return name


def download(
    store: RegistryStore, source: str, dest: str | Path, *, user: str, sha256: str | None = None,
    revision: str | None = None, filename: str | None = None, progress: bool = True, timeout: float = 30.0,
) -> dict[str, Any]:  # fmt: skip
    """Fetch ``source`` into the folder ``dest``; returns the download record."""
    folder = Path(dest).expanduser()
    row = store.start_download(source, revision, str(folder), user)
    try:
        if source.startswith(("http://", "https://")):
            path, nbytes, digest = _url(source, folder, filename, sha256, progress, timeout)
        elif _REPO_ID.match(source):
            path, nbytes, digest = _hub(source, folder, filename, revision, sha256)
        else:
            raise BadInputError(f"{source}: neither an http(s) URL nor a Hugging Face repo id")
    except (ModelHubError, OSError, Exception) as err:  # noqa: BLE001 - recorded, then one line
        message = _message(err, folder)
        store.finish_download(row, "failed", _part_size(folder, source, filename), None, message)
        raise BadInputError(f"download of {source} failed: {message}") from None
    store.finish_download(row, "done", nbytes, digest, None)
    return {**store.downloads(1)[0], "path": str(path)}


def _message(err: BaseException, folder: Path) -> str:
    if isinstance(err, PermissionError) or (isinstance(err, OSError) and err.errno == 30):
        return f"{folder}: cannot write there ({err.strerror or 'read-only'})"
    if isinstance(err, OSError) and err.errno == 28:
        return f"{folder}: no space left on the device"
    return one_line(err)


def _part_size(folder: Path, source: str, filename: str | None) -> int:
    try:
        name = filename or _name_from_url(source)
        part = folder / (name + ".part")
        return part.stat().st_size if part.is_file() else 0
    except (BadInputError, OSError):
        return 0


def _url(url: str, folder: Path, filename: str | None, sha256: str | None, progress: bool,
         timeout: float) -> tuple[Path, int, str]:  # fmt: skip
    import requests

    name = filename or _name_from_url(url)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    part = folder / (name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with requests.get(url, headers=headers, stream=True, timeout=timeout) as response:
        if response.status_code == 416 and have:  # the part is already whole (or bigger): start over
            part.unlink()
            return _url(url, folder, filename, sha256, progress, timeout)
        response.raise_for_status()
        resumed = response.status_code == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=name, leave=False)
        try:
            with open(part, "ab" if resumed else "wb") as out:
                try:
                    for block in response.iter_content(CHUNK):
                        out.write(block)
                        if bar is not None:
                            bar.update(len(block))
                except requests.RequestException:
                    pass  # the connection broke: what arrived stays in the part, checked below
        finally:
            if bar is not None:
                bar.close()
    size = part.stat().st_size
    if total is not None and size < total:
        raise ModelHubError(f"transfer cut short at {size:,} of {total:,} bytes; run again to resume")
    digest = hashlib.sha256()
    with open(part, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    got = digest.hexdigest()
    if sha256 and got.lower() != sha256.lower():
        part.unlink()
        raise BadInputError(
            f"sha256 mismatch: expected {sha256[:16]}…, got {got[:16]}…; the file was removed"
        )
    part.replace(target)
    return target, size, got


def _hub(repo_id: str, folder: Path, filename: str | None, revision: str | None,
         sha256: str | None) -> tuple[Path, int, str]:  # fmt: skip
    """One file (``filename``) or the whole repo at ``revision``, from ``$HF_ENDPOINT`` (read now, not at
    import) or huggingface.co. Every file the Hub stores in LFS is checked against the sha256 the Hub
    gives for it; ``sha256`` is the file's, or for a whole repo the registry's digest over its files
    (what ``modelhub models show`` gives as ``checkpoint_sha256``)."""
    from huggingface_hub import hf_hub_download, snapshot_download

    from .versions import hash_files

    endpoint = os.environ.get("HF_ENDPOINT") or None
    folder.mkdir(parents=True, exist_ok=True)
    if filename:
        path = Path(
            hf_hub_download(repo_id, filename, revision=revision, local_dir=folder, endpoint=endpoint)
        )
        _check_lfs(folder, [filename])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if sha256 and digest != sha256.lower():
            path.unlink()
            raise BadInputError(
                f"sha256 mismatch: expected {sha256[:16]}…, got {digest[:16]}…; the file was removed"
            )
        return path, path.stat().st_size, digest
    path = Path(snapshot_download(repo_id, revision=revision, local_dir=folder, endpoint=endpoint))
    entries, digest = hash_files(path)
    _check_lfs(folder, [str(e["file"]) for e in entries], {str(e["file"]): str(e["sha256"]) for e in entries})
    if sha256 and digest != sha256.lower():
        raise BadInputError(
            f"sha256 mismatch: expected {sha256[:16]}…, got {digest[:16]}… over the repo's "
            f"{len(entries)} files (they stay in {path})"
        )
    return path, sum(int(e["size"]) for e in entries), digest


def _check_lfs(folder: Path, files: list[str], known: dict[str, str] | None = None) -> None:
    """Compare each LFS file with the sha256 the Hub sent as its ETag (kept by huggingface_hub in
    ``.cache/huggingface/download/<file>.metadata``); a mismatch removes the file."""
    for name in files:
        meta = folder / ".cache" / "huggingface" / "download" / f"{name}.metadata"
        try:
            lines = meta.read_text().splitlines()
        except OSError:
            continue
        etag = lines[1].strip().strip('"') if len(lines) > 1 else ""
        if not _SHA256.fullmatch(etag):
            continue  # a small file kept in git: its ETag is a git object id, not a sha256
        target = folder / name
        got = (known or {}).get(name) or hashlib.sha256(target.read_bytes()).hexdigest()
        if got != etag:
            target.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            raise BadInputError(
                f"{name}: sha256 {got[:16]}… is not the {etag[:16]}… the Hub gives for it; the file was removed"
            )
