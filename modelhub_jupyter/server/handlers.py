"""REST handlers under ``/modelhub/api/``: JSON in the shapes of the CLI contract.

Every verb requires the server's authentication (``@tornado.web.authenticated``) and authorization
(``@authorized`` on the ``modelhub`` resource). A :class:`~modelhub_jupyter.errors.ModelHubError`
becomes its ``http_status`` with ``{"error": code, "message": one line}``; anything else is logged
with its traceback and answered 500 ``internal`` with one line, never a stack trace. Nothing is
served by a path the client sends: documents, thumbnails and files go by document id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.ioloop import IOLoop

from ..errors import BadInputError, ModelHubError, NotFoundError, QueryError, one_line
from ..vocabulary import RANKERS, SEARCH_KINDS
from .state import ServerState

MAX_QUERY = 2000  # characters: a longer query is a mistake (or an attack), not a search
MAX_WHERE = 32
AUTH_RESOURCE = "modelhub"


class ModelHubHandler(ExtensionHandlerMixin, APIHandler):
    """Base: JSON errors from error codes, per-route metrics, hub calls off the event loop."""

    auth_resource = AUTH_RESOURCE
    route: ClassVar[str] = "?"

    def prepare(self, **kwargs: Any) -> Any:
        self._started = time.perf_counter()
        return super().prepare(**kwargs)

    @property
    def state(self) -> ServerState:
        state: ServerState = self.settings["modelhub"]
        return state

    def on_finish(self) -> None:
        self.state.metrics.observe(
            self.route, self.request.method or "", self.get_status(), time.perf_counter() - self._started
        )
        super().on_finish()

    async def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)`` on a worker thread (the hub is thread-safe; the event loop stays free)."""
        return await IOLoop.current().run_in_executor(None, func, *args)

    def hub(self) -> Any:
        return self.state.hub(self.get_argument("home", None), self.state.viewer_of(self))

    def finish(self, *args: Any, **kwargs: Any) -> Any:
        content_type = self._headers.get("Content-Type")
        if not content_type or content_type.startswith("application/json"):
            return super().finish(*args, **kwargs)
        self.update_api_activity()  # APIHandler.finish would mark a thumbnail or metrics as JSON
        return super(APIHandler, self).finish(*args, **kwargs)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        err = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(err, ModelHubError):
            status_code, body = err.http_status, err.to_dict()
        elif isinstance(err, tornado.web.HTTPError):
            code = {401: "unauthorized", 403: "permission_denied", 404: "not_found", 405: "bad_method"}
            body = {
                "error": code.get(status_code, "bad_request" if status_code < 500 else "error"),
                "message": err.log_message or err.reason or tornado.httputil.responses.get(status_code, ""),
            }
        else:
            if err is not None:
                self.log.error(
                    "modelhub: internal error in %s", self.request.path, exc_info=kwargs["exc_info"]
                )
            status_code, body = (
                500,
                {"error": "internal", "message": one_line(err) if err else "internal error"},
            )
        self.state.metrics.errors.labels(body["error"]).inc()
        self.clear_header("Content-Type")
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, default=str))

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        err = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(err, ModelHubError):
            status_code = err.http_status  # tornado would answer 500 for any non-HTTPError
        super().send_error(status_code, **kwargs)

    # -- argument helpers ----------------------------------------------------------------------
    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise QueryError(f"{name} must be a whole number, not {raw[:40]!r}") from None
        if not low <= value <= high:
            raise QueryError(f"{name} must be between {low} and {high}, not {value}")
        return value

    def text_arg(self, name: str, default: str = "") -> str:
        value = self.get_argument(name, default) or ""
        if len(value) > MAX_QUERY:
            raise QueryError(f"{name} is too long ({len(value)} characters; at most {MAX_QUERY})")
        return value

    def where_args(self) -> list[str]:
        where = [w for w in self.get_arguments("where") if w.strip()]
        if len(where) > MAX_WHERE or any(len(w) > 500 for w in where):
            raise QueryError(f"too many or too long filters (at most {MAX_WHERE} of 500 characters)")
        return where

    def choice_arg(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get_argument(name, default) or default
        if value not in choices:
            raise QueryError(f"unknown {name} {value[:40]!r}: use one of {', '.join(choices)}")
        return value


class StatusHandler(ModelHubHandler):
    route = "status"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        hub = self.hub()
        status = await self.call(hub.status)
        status["index_job"] = self.state.job.to_dict()
        self.reply(status)


class CountsHandler(ModelHubHandler):
    """Documents by kind, files, files not indexed and the index run: cheap (the catalog alone),
    for the status bar's polling."""

    route = "counts"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        viewer = self.state.viewer_of(self)
        self.reply(await self.call(self.state.counts, self.get_argument("home", None), viewer))


class SearchHandler(ModelHubHandler):
    """``?q=&kind=&where=K=V&where=...&limit=&literal=1&rank=``: the list ``modelhub search --json`` prints."""

    route = "search"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        from ..commands import Env, search

        query = self.text_arg("q")
        kind = self.choice_arg("kind", SEARCH_KINDS, "all")
        rank = self.choice_arg("rank", RANKERS, "similarity")
        limit = self.int_arg("limit", 10, 1, 1000)
        where = self.where_args()
        literal = self.get_argument("literal", "") in ("1", "true", "yes")
        hub = self.hub()
        env = Env(open_hub=lambda: hub, progress=False, surface="lab")
        args = (tuple(query.split()), kind, limit, tuple(where), literal, rank)
        results = await self.call(search, env, *args)
        self.reply(results.to_dict())


class SuggestHandler(ModelHubHandler):
    """``?q=``: catalog terms completing the last word, each with the filter clause it stands for."""

    route = "suggest"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        text = self.text_arg("q")
        limit = self.int_arg("limit", 8, 1, 50)
        hub = self.hub()
        suggestions = await self.call(hub.suggest, text, limit)
        self.reply([s.to_dict() for s in suggestions])


class VocabularyHandler(ModelHubHandler):
    route = "vocabulary"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        per_key = self.int_arg("per_key", 50, 1, 500)
        hub = self.hub()
        vocab = await self.call(hub.vocabulary, per_key)
        self.reply({k: [{"term": t, "count": n} for t, n in v] for k, v in vocab.items()})


class BrowseHandler(ModelHubHandler):
    """``?kind=image&where=&offset=&limit=``: a page of documents in path order, with the total."""

    route = "browse"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        kind = self.choice_arg("kind", tuple(k for k in SEARCH_KINDS if k != "all"), "image")
        offset = self.int_arg("offset", 0, 0, 10**9)
        limit = self.int_arg("limit", 60, 1, 500)
        where = self.where_args()
        hub = self.hub()
        page = await self.call(lambda: hub.browse(kind, where=where, offset=offset, limit=limit))
        self.reply({"total": page.total, "offset": offset, "hits": page.to_dict()})


def _lines(hit: Any) -> list[int] | None:
    return list(hit.lines) if hit.lines else None


class DocumentHandler(ModelHubHandler):
    """``/documents/<id>``: one document as a search hit, with its lines."""

    route = "document"

    @tornado.web.authenticated
    @authorized
    async def get(self, doc_id: str) -> None:
        hub = self.hub()
        hit = await self.call(hub.document, doc_id)
        self.reply({**hit.to_dict(), "lines": _lines(hit)})


class ShowHandler(ModelHubHandler):
    """``/documents/<id>/file``: what ``modelhub show --json`` says about the document's file."""

    route = "show"

    @tornado.web.authenticated
    @authorized
    async def get(self, doc_id: str) -> None:
        hub = self.hub()

        def show() -> Any:
            hit = hub.document(doc_id)
            return hub.show(Path(hit.root) / hit.path).to_dict()

        self.reply(await self.call(show))


class OpenHandler(ModelHubHandler):
    """``/documents/<id>/open``: where JupyterLab opens the document's file (a path under the
    server's root) and the lines to show; 404 when the file is outside that root."""

    route = "open"

    @tornado.web.authenticated
    @authorized
    async def get(self, doc_id: str) -> None:
        hub = self.hub()
        hit = await self.call(hub.document, doc_id)
        root = Path(self.settings.get("server_root_dir") or self.serverapp.root_dir).expanduser().resolve()
        target = (Path(hit.root) / hit.path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise NotFoundError(f"{hit.path}: not a file under the Jupyter server's root folder")
        await self.call(_record_open, hub, hit)
        self.reply({"id": hit.id, "kind": hit.kind, "path": target.relative_to(root).as_posix(),
                    "lines": _lines(hit)})  # fmt: skip


def _record_open(hub: Any, hit: Any) -> None:
    """A document opened from JupyterLab counts in the Quality view's "most opened"."""
    from ..quality import record_event

    try:
        record_event(hub, "open", hit.path, hit.kind)
    except Exception:  # noqa: BLE001 - analytics never stop the open (e.g. a read-only store)
        pass


class ThumbnailHandler(ModelHubHandler):
    """``/thumbnails/<id>``: an image document's cached thumbnail (WebP)."""

    route = "thumbnail"

    @tornado.web.authenticated
    @authorized
    async def get(self, doc_id: str) -> None:
        hub = self.hub()
        data = await self.call(hub.thumbnail, doc_id)
        if data is None:
            raise NotFoundError(f"no thumbnail for document {doc_id[:80]!r}")
        self.set_header("Content-Type", "image/webp")
        self.set_header("Cache-Control", "private, max-age=300")
        self.finish(data)


class ErrorsHandler(ModelHubHandler):
    """Files that could not be indexed, with their one-line reasons."""

    route = "errors"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        limit = self.int_arg("limit", 1000, 1, 100000)
        hub = self.hub()
        self.reply(await self.call(hub.errors, limit))


class RunsHandler(ModelHubHandler):
    """The recent index runs, newest first."""

    route = "runs"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        limit = self.int_arg("limit", 10, 1, 1000)
        hub = self.hub()
        self.reply(await self.call(hub.runs, limit))


class IndexHandler(ModelHubHandler):
    """GET: the server's index run (state, done/total, report). POST ``{"path": "folder"}`` (a folder
    under the server's root, or an indexed root; none: every indexed root) starts one."""

    route = "index"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(self.state.job.to_dict())

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise BadInputError("the request body is not JSON") from None
        path = body.get("path") if isinstance(body, dict) else None
        if path is not None and (not isinstance(path, str) or len(path) > 4096):
            raise BadInputError("path must be a folder name")
        hub = self.hub()
        root = Path(self.settings.get("server_root_dir") or self.serverapp.root_dir).expanduser().resolve()
        roots = await self.call(self.state.index_targets, hub, root, path)
        self.state.start_index(hub, roots)
        self.reply(self.state.job.to_dict(), status=202)


class MetricsHandler(ModelHubHandler):
    """``/modelhub/metrics``: Prometheus text format (authenticated like every route: scrape with
    ``Authorization: token <server token>``)."""

    route = "metrics"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        from .metrics import CONTENT_TYPE

        data = await self.call(self.state.metrics.render)
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(data)


DOC_ID = r"(?P<doc_id>[^/]{1,512})"
HANDLERS: list[tuple[str, type[ModelHubHandler]]] = [
    (r"/modelhub/api/status", StatusHandler),
    (r"/modelhub/api/counts", CountsHandler),
    (r"/modelhub/api/search", SearchHandler),
    (r"/modelhub/api/suggest", SuggestHandler),
    (r"/modelhub/api/vocabulary", VocabularyHandler),
    (r"/modelhub/api/browse", BrowseHandler),
    (rf"/modelhub/api/documents/{DOC_ID}/file", ShowHandler),
    (rf"/modelhub/api/documents/{DOC_ID}/open", OpenHandler),
    (rf"/modelhub/api/documents/{DOC_ID}", DocumentHandler),
    (rf"/modelhub/api/thumbnails/{DOC_ID}", ThumbnailHandler),
    (r"/modelhub/api/errors", ErrorsHandler),
    (r"/modelhub/api/runs", RunsHandler),
    (r"/modelhub/api/index", IndexHandler),
    (r"/modelhub/metrics", MetricsHandler),
]
