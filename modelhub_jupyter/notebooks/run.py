"""Render a template with papermill (parameters injected, a JSON snapshot of the store inside),
optionally execute it with per-cell timeouts and progress, record a manifest, export HTML."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analytics import current_user
from ..errors import BadInputError, ModelHubError
from . import manifest as manifests
from . import quota
from .configs import apply_config
from .snapshots import BUILDERS
from .templates import check_params, parameters, template_path

if TYPE_CHECKING:
    from ..hub import Hub

DEFAULT_TIMEOUT = 600
INSTALL_TAG = "colab-install"


class NotebookFailedError(ModelHubError):
    """A cell of an executed notebook raised; the partial notebook is kept, marked failed."""

    code = "notebook_failed"
    http_status = 422


@dataclass
class NotebookRun:
    """A generated notebook: where it is, whether it ran and how it went."""

    template: str
    path: str
    parameters: dict[str, Any]
    executed: bool = False
    status: str = "written"  # written | ok | failed
    seconds: float = 0.0
    html: str | None = None
    manifest: str | None = None
    colab_url: str | None = None
    pdf: str | None = None
    drive: dict[str, Any] | None = None  # {id, name, colab_url, web_link} after a Drive upload
    error: str | None = None
    differences: list[str] = field(default_factory=list)  # verify only

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}

    def text(self) -> str:
        lines = [f"{self.status}: {self.path}" + (f"  ({self.seconds:.1f} s)" if self.executed else "")]
        drive = self.drive["colab_url"] if self.drive else None
        shown = (("html", self.html), ("pdf", self.pdf), ("manifest", self.manifest), ("colab", self.colab_url),
                 ("drive", drive))  # fmt: skip
        for label, value in shown:
            if value:
                lines.append(f"  {label}: {value}")
        lines += [f"  differs: {d}" for d in self.differences]
        if self.error:
            lines.append(f"  error: {self.error}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


def _writable(out: Path) -> None:
    folder = out.parent
    if not folder.is_dir():
        raise BadInputError(f"{out}: the folder {folder} does not exist", path=str(out))
    if not os.access(folder, os.W_OK):
        raise BadInputError(f"{out}: the folder {folder} is read-only", path=str(out))


def _write(nb: Any, path: Path) -> None:
    import nbformat

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nbformat.write(nb, str(tmp))
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise BadInputError(f"{path}: cannot write ({err.strerror or err})", path=str(path)) from None


def colab_url(path: Path) -> str | None:
    """``https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/PATH`` when ``path`` is in a
    git checkout whose ``origin`` is on GitHub, else None."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(path.parent), *args], capture_output=True, text=True,
                              timeout=10, env=env, check=True).stdout.strip()  # fmt: skip

    try:
        remote = git("config", "--get", "remote.origin.url")
        top = Path(git("rev-parse", "--show-toplevel"))
        branch = git("rev-parse", "--abbrev-ref", "HEAD") or "main"
    except (OSError, subprocess.SubprocessError):
        return None
    import re

    found = re.search(r"github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?$", remote)
    if not found:
        return None
    rel = path.resolve().relative_to(top.resolve()).as_posix()
    return f"https://colab.research.google.com/github/{found[1]}/{found[2]}/blob/{branch}/{rel}"


def render(
    hub: Hub | None,
    template: str,
    out: str | Path | None = None,
    execute: bool = False,
    colab: bool = False,
    html: bool = False,
    timeout: int | None = None,
    progress: bool = True,
    kernel_name: str | None = None,
    user: str | None = None,
    pdf: bool = False,
    drive: bool = False,
    drive_credentials: Any = None,
    drive_folder: str | None = None,
    **params: Any,
) -> NotebookRun:
    """Write ``template`` with ``params`` to ``out`` (default ``./<template>.ipynb``); run it with ``execute``.

    The documents the notebook needs are read from ``hub`` and travel inside it (``snapshot_json``),
    so it runs where there is no store (Colab). A cell that raises: the partial notebook is kept,
    marked failed in its metadata, and :class:`NotebookFailedError` names the cell.

    ``pdf`` also exports it through nbconvert's webpdf (:func:`.pdf.export_pdf`); ``drive`` uploads
    it to Google Drive for Colab (:func:`.drive.upload`; credentials from ``drive_credentials`` or
    ``$MODELHUB_GDRIVE_CREDENTIALS``, checked before anything runs).
    """
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    path = template_path(template)
    name = path.stem
    typed, config_inputs, config_file = apply_config(
        name, params, check_params(name, params), parameters(name)
    )
    if hub is not None and name in BUILDERS and "snapshot_json" not in typed:
        typed["snapshot_json"] = json.dumps(BUILDERS[name](hub, typed), default=str)
    if hub is not None and "home" in _declared(name) and "home" not in typed:
        typed["home"] = str(hub.settings.home)
    target = Path(out).expanduser() if out else Path.cwd() / f"{name}.ipynb"
    if target.suffix != ".ipynb":
        raise BadInputError(f"{target}: a notebook's name ends in .ipynb", path=str(target))
    _writable(target)
    if drive:  # a missing or broken credentials file is said before anything runs
        from .drive import load_credentials

        drive_credentials = load_credentials(drive_credentials)
    nb = load_notebook_node(str(path))  # papermill's reader: every cell gets its tags list
    nb = parameterize_notebook(nb, typed, report_mode=False)
    inputs = {"template": manifests.sha256_bytes(path.read_bytes()), **config_inputs}
    if typed.get("snapshot_json"):
        inputs["snapshot"] = manifests.sha256_bytes(str(typed["snapshot_json"]).encode())
    run = NotebookRun(name, str(target), {k: v for k, v in typed.items() if k != "snapshot_json"})
    if config_file:
        run.parameters["config"] = config_file  # read here; its values are the parameters above
    if colab:
        run.colab_url = colab_url(target)
        if run.colab_url:
            badge = nbformat.v4.new_markdown_cell(f"[Open in Colab]({run.colab_url})")
            nb.cells.insert(0, badge)
    nb.metadata["modelhub"] = {"template": name, "status": "written", "inputs": inputs,
                               **({"config_file": config_file} if config_file else {})}  # fmt: skip
    _write(nb, target)
    if execute:
        execute_notebook(hub, run, nb, target, typed, inputs, timeout=timeout, progress=progress,
                         kernel_name=kernel_name, user=user, html=html)  # fmt: skip
    elif html:
        run.html = str(export_html(target))
    if pdf:
        from .pdf import export_pdf

        run.pdf = str(export_pdf(target))
    if drive:
        from .drive import upload

        run.drive = upload(target, credentials=drive_credentials, folder=drive_folder).to_dict()
    return run


def _declared(template: str) -> set[str]:
    from .templates import parameters

    return set(parameters(template))


def execute_notebook(
    hub: Hub | None, run: NotebookRun, nb: Any, target: Path, typed: dict[str, Any], inputs: dict[str, str],
    *, timeout: int | None, progress: bool, kernel_name: str | None, user: str | None, html: bool,
) -> None:  # fmt: skip
    """Run the written notebook in place (papermill), then record the manifest or the failure."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    who = user or (hub.viewer.user if hub is not None and hub.viewer.user else current_user())
    run_id = quota.start(hub.catalog, who, run.template, str(target)) if hub is not None else None
    started = time.perf_counter()
    status, error = "ok", None
    try:
        papermill.execute_notebook(
            str(target), str(target), parameters=None, kernel_name=kernel_name,
            execution_timeout=timeout or DEFAULT_TIMEOUT, progress_bar=progress, cwd=str(target.parent),
            log_output=False,
        )  # fmt: skip
    except PapermillExecutionError as err:
        status = "failed"
        cell = getattr(err, "exec_count", None)
        error = (
            f"cell {cell} raised {err.ename}: {str(err.evalue).splitlines()[0] if err.evalue else ''}".strip()
        )
    except Exception as err:  # noqa: BLE001 - a dead kernel, a timeout: the run failed, say how
        status = "failed"
        error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    finally:
        run.seconds = time.perf_counter() - started
        if hub is not None and run_id is not None:
            quota.finish(hub.catalog, run_id, status, error)
    run.executed, run.status, run.error = True, status, error
    executed = nbformat.read(str(target), as_version=4) if target.exists() else nb
    meta = executed.metadata.setdefault("modelhub", {})
    meta.update({"template": run.template, "status": status, "inputs": inputs})
    if status == "failed":
        meta["error"] = error
        _write(executed, target)
        raise NotebookFailedError(
            f"{target}: {error} (the partial notebook is kept, marked failed)", path=str(target)
        )
    manifest = manifests.build(executed, run.template, typed, inputs)
    meta["manifest"] = manifest
    _write(executed, target)
    run.manifest = str(manifests.write_beside(target, manifest))
    if html:
        run.html = str(export_html(target))


def export_html(path: Path) -> Path:
    """The notebook as HTML beside it (nbconvert)."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(path), as_version=4))
    target = path.with_suffix(".html")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, target)
    return target


def verify(path: str | Path, progress: bool = True, timeout: int | None = None) -> NotebookRun:
    """Re-run an executed notebook with the parameters it recorded and report what differs from its manifest."""
    import nbformat
    import papermill

    source = Path(path).expanduser()
    if not source.is_file():
        raise BadInputError(f"{source}: no such notebook", path=str(source))
    try:
        nb = nbformat.read(str(source), as_version=4)
    except Exception as err:  # noqa: BLE001 - not JSON, not a notebook
        raise BadInputError(
            f"{source}: not a notebook ({str(err).splitlines()[0]})", path=str(source)
        ) from None
    meta = nb.metadata.get("modelhub", {})
    old = meta.get("manifest")
    if not old:
        raise BadInputError(
            f"{source}: has no modelhub manifest (was it executed by `modelhub notebook --execute`?)"
        )
    rerun = source.with_name(f".{source.stem}.verify.ipynb")
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(source), str(rerun), parameters=None, progress_bar=progress,
                                   execution_timeout=timeout or DEFAULT_TIMEOUT, cwd=str(source.parent))  # fmt: skip
        fresh = nbformat.read(str(rerun), as_version=4)
    except Exception as err:  # noqa: BLE001
        raise NotebookFailedError(f"{source}: the re-run failed: {str(err).splitlines()[0]}") from None
    finally:
        rerun.unlink(missing_ok=True)
    params = {**old.get("parameters", {}), **nb.metadata.get("papermill", {}).get("parameters", {})}
    new = manifests.build(fresh, old.get("template", ""), params, meta.get("inputs", {}))
    diffs = manifests.compare_manifests(old, new)
    return NotebookRun(old.get("template", ""), str(source), old.get("parameters", {}), executed=True,
                       status="same" if not diffs else "differs", seconds=time.perf_counter() - started,
                       differences=diffs)  # fmt: skip


def run_grid(hub: Hub | None, template: str, grid: dict[str, list[str]], params: dict[str, Any],
             out: str | Path | None = None, **options: Any) -> list[NotebookRun]:  # fmt: skip
    """One notebook per point of ``grid`` (``{"lr": ["1e-3", "3e-4"]}``), named after its point.

    A ``train_model`` grid that is executed and registers its checkpoints trains every point from
    the same parent (the newest version before the grid) and ends with a ``benchmark_versions``
    report (``<out>_report.ipynb``) comparing the versions it made (the newest four), last in the list.
    """
    base = Path(out).expanduser() if out else Path.cwd() / f"{Path(template).stem}.ipynb"
    store = _grid_registry(hub, template, params, options)
    before: set[str] = set()
    if store is not None:
        model_id, home = store
        before = set(_versions(home, model_id))
        if before and "parent" not in params:
            params = {**params, "parent": _versions(home, model_id)[-1]}  # siblings, not a chain
    runs = []
    keys = list(grid)
    for values in product(*(grid[k] for k in keys)):
        point = dict(zip(keys, values, strict=True))
        suffix = "_".join(f"{k}-{v}" for k, v in point.items()).replace("/", "-")
        runs.append(render(hub, template, out=base.with_name(f"{base.stem}_{suffix}.ipynb"), **options,
                           **{**params, **point}))  # fmt: skip
    if store is not None:
        model_id, home = store
        made = [v for v in _versions(home, model_id) if v not in before]
        if made:
            from contextlib import nullcontext

            from ..hub import Hub

            same = hub is not None and Path(hub.settings.home).resolve() == Path(home).resolve()
            with nullcontext(hub) if same else Hub(home) as registry_hub:
                runs.append(render(registry_hub, "benchmark_versions", out=base.with_name(f"{base.stem}_report.ipynb"),
                                   registry=model_id, models=",".join(made), metric="performance.accuracy",
                                   **options))  # fmt: skip
    return runs


def _grid_registry(hub: Hub | None, template: str, params: dict[str, Any],
                   options: dict[str, Any]) -> tuple[str, str] | None:  # fmt: skip
    """``(model_id, store home)`` when a grid of ``template`` registers versions to report on, else None."""
    import ast

    if Path(template).stem != "train_model" or not options.get("execute"):
        return None
    declared = parameters("train_model")
    typed = check_params("train_model", params)
    register = typed.get("register", ast.literal_eval(declared["register"]["default"]))
    home = str(typed.get("home") or (hub.settings.home if hub is not None else ""))
    if not register or not home:
        return None
    model_id = str(typed.get("model_id") or ast.literal_eval(declared["model_id"]["default"]))
    return model_id, home


def _versions(home: str, model_id: str) -> list[str]:
    from .runtime import registered_versions

    return list(registered_versions(home, model_id) or [])
