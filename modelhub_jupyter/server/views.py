"""REST routes for the lab extension's notebook launcher and its Ask, Models and Compare views.

``/modelhub/api/notebooks/templates``: the Papermill templates with their parameter specs (what a
launcher tile's dialog asks for); ``POST /modelhub/api/notebooks``: write one (not executed) into
the server's root; ``/ask``: an answer with citations (``--llm none`` unless the client asks for
``local``/``auto``); ``/models`` and ``/models/<name>``: the registry; ``/compare``: 2–4 models
side by side (JSON, or the escaped HTML table). Same auth, errors and metrics as handlers.py.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..errors import BadInputError, NotFoundError, QueryError
from ..vocabulary import SEARCH_KINDS
from .handlers import ModelHubHandler

HIDDEN_PARAMETERS = {"snapshot_json", "home"}  # filled in by modelhub, never asked for
LLM_CHOICES = ("none", "local", "auto")  # no client-chosen remote model spends the server's keys
MAX_BODY = 64 * 1024
MAX_PARAM = 4096


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def template_specs() -> list[dict[str, Any]]:
    """Each template's name, title and the parameters a person fills in (type, default, help, required)."""
    from ..notebooks.templates import list_templates, parameters

    out = []
    for template in list_templates():
        spec = parameters(template["name"])
        out.append({
            "name": template["name"],
            "title": template["title"],
            "parameters": [
                {"name": key, "type": p["type"], "default": _literal(p["default"]), "help": p["help"] or "",
                 "required": str(p["help"] or "").lower().startswith("required")}
                for key, p in spec.items() if key not in HIDDEN_PARAMETERS
            ],
        })  # fmt: skip
    return out


def _under(root: Path, path: Path) -> str | None:
    """``path`` relative to the server's root when it is a file there (where JupyterLab opens it)."""
    target = path.resolve()
    return target.relative_to(root).as_posix() if target.is_relative_to(root) and target.is_file() else None


def free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.ipynb``, or ``stem-1.ipynb``, ``stem-2.ipynb``... when taken."""
    target = folder / f"{stem}.ipynb"
    n = 0
    while target.exists() or target.is_symlink():
        n += 1
        target = folder / f"{stem}-{n}.ipynb"
    return target


class TemplatesHandler(ModelHubHandler):
    route = "notebook_templates"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.call(template_specs))


class NotebookHandler(ModelHubHandler):
    """POST ``{"template": name, "params": {k: v}, "folder": "sub/folder"}``: the notebook written
    (parameters and the documents it needs filled in, not executed) under the server's root as
    ``<template>.ipynb`` (``-1``, ``-2``... when taken); answers its path relative to the root."""

    route = "notebook"

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        if len(self.request.body or b"") > MAX_BODY:
            raise BadInputError(f"the request body is larger than {MAX_BODY} bytes")
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise BadInputError("the request body is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("template"), str):
            raise BadInputError('expected {"template": name, "params": {...}}')
        template = body["template"]
        params = body.get("params") or {}
        if not isinstance(params, dict) or any(
            not isinstance(k, str) or not isinstance(v, str | int | float | bool) or len(str(v)) > MAX_PARAM
            for k, v in params.items()
        ):
            raise BadInputError(f"params must map names to short values (at most {MAX_PARAM} characters)")
        params = {k: v for k, v in params.items() if k not in HIDDEN_PARAMETERS}
        root = Path(self.settings.get("server_root_dir") or self.serverapp.root_dir).expanduser().resolve()
        folder = body.get("folder") or ""
        if not isinstance(folder, str) or len(folder) > 1024 or Path(folder).is_absolute():
            raise BadInputError("folder must be a folder under the Jupyter server's root")
        target_dir = (root / folder).resolve()
        if not target_dir.is_relative_to(root) or not target_dir.is_dir():
            raise NotFoundError(f"{folder}: not a folder under the Jupyter server's root")
        hub = self.hub()

        def write() -> dict[str, Any]:
            from ..notebooks.templates import template_path

            name = template_path(template).stem  # unknown names: NotFoundError naming the templates
            target = free_name(target_dir, name)
            run = hub.notebook(name, out=target, execute=False, progress=False, **params)
            return {**run.to_dict(), "path": Path(run.path).resolve().relative_to(root).as_posix()}

        self.reply(await self.call(write), status=201)


class AskHandler(ModelHubHandler):
    """``?q=question&kind=&where=&llm=none``: the answer with its checked citations (``modelhub ask --json``)."""

    route = "ask"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        question = self.text_arg("q").strip()
        if not question:
            raise QueryError("ask a question (q=...)")
        kind = self.choice_arg("kind", SEARCH_KINDS, "all")
        llm = self.choice_arg("llm", LLM_CHOICES, "none")
        where = self.where_args()
        hub = self.hub()
        answer = await self.call(lambda: hub.ask(question, kind=kind, where=where, llm=llm, surface="lab"))
        root = Path(self.settings.get("server_root_dir") or self.serverapp.root_dir).expanduser().resolve()
        out = answer.to_dict()
        for cited, shown in zip(answer.citations, out["citations"], strict=True):
            shown["open"] = _under(root, Path(cited.root) / cited.path) if cited.root else None
        self.reply(out)


class ModelsHandler(ModelHubHandler):
    """``?type=``: the registry's models this user may see, grouped by nothing (``models list --json``)."""

    route = "models"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        model_type = self.text_arg("type") or None
        hub = self.hub()
        self.reply(await self.call(lambda: hub.models.list(model_type)))


class ModelHandler(ModelHubHandler):
    """``/models/<name>``: one model with its versions, performance and history (``models show --json``)."""

    route = "model"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        hub = self.hub()
        self.reply(await self.call(lambda: hub.models.show(name)))


class CompareHandler(ModelHubHandler):
    """``?name=a&name=b[&format=html]``: 2–4 models compared (``compare --json``), or the comparison
    as an HTML fragment (values escaped, no scripts) in ``{"html": ...}``. No names: the suggestions."""

    route = "compare"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        names = [n.strip() for n in self.get_arguments("name") if n.strip()]
        fmt = self.choice_arg("format", ("json", "html"), "json")
        hub = self.hub()
        if not names:
            from ..compare.models import suggestions

            self.reply({"suggestions": await self.call(suggestions, hub)})
            return
        if len(names) > 4 or any(len(n) > 500 for n in names):
            raise QueryError("compare 2 to 4 models (names of at most 500 characters)")
        comparison = await self.call(hub.compare, names)
        if fmt == "html":
            self.reply({"labels": comparison.labels, "html": await self.call(comparison.html_fragment)})
        else:
            self.reply(comparison.to_dict())


NAME = r"(?P<name>[^/]{1,512})"
VIEW_HANDLERS: list[tuple[str, type[ModelHubHandler]]] = [
    (r"/modelhub/api/notebooks/templates", TemplatesHandler),
    (r"/modelhub/api/notebooks", NotebookHandler),
    (r"/modelhub/api/ask", AskHandler),
    (r"/modelhub/api/models", ModelsHandler),
    (rf"/modelhub/api/models/{NAME}", ModelHandler),
    (r"/modelhub/api/compare", CompareHandler),
]
