"""The widget host: the real Python panels (``modelhub_jupyter.widgets``) served to JupyterLab views.

One front-end source for the notebook widgets and the lab extension: a lab view opens a websocket
at ``/modelhub/api/widgets/<panel>``; the server builds that panel (``SearchPanel``,
``PromptStudio``, ...) in its own process with the server's hub and the Jupyter user as viewer,
sends its synced state, applies the browser's state patches and custom messages (``model.set`` /
``save_changes`` / ``model.send``) and pushes every change of a synced trait. The view loads the
panel's own ES module (``GET /modelhub/api/widgets/<panel>/module``: its ``_esm`` and ``_css``)
and calls its ``render({model, el})`` with a small adapter that speaks anywidget's model interface.

Without a kernel, ipywidgets opens its comm through :func:`comm.create_comm`; while a hosted panel
is being built, that call returns a :class:`HostComm` whose messages go to the panel's websocket.

Messages (JSON text frames). Server → browser: ``{"type": "open", "panel", "state", "read_only"}``
once, then ``{"type": "update", "state": {...}}``, ``{"type": "custom", "content": ...}``,
``{"type": "figure", "figure": {data, layout} | null, "class": css class}`` and
``{"type": "error", "message": one line}``; ``{"type": "closed", "message": one line}`` just before
the server closes a view to stay within the user's limit of open views (:mod:`.host_pool`). Browser → server: ``{"type": "update", "state": {...}}``
and ``{"type": "custom", "content": {...}, "buffers": [base64, ...]}``. A browser may not set the private traits nor those
that decide what the panel may do (``read_only``, ``allowed_roots``).

Charts: a panel whose notebook form shows a plotly FigureWidget beside it (the Models benchmark,
Compare's lineage timeline, the Quality box plot) names the traits that change it
(``figure_traits``), its CSS class (``figure_class``) and gives it as a plain plotly Figure
(``hosted_figure()``, None: no chart). The host sends it as JSON on open and after each change of
those traits, and the view draws it with the plotly.js the plotly package ships (no kernel, no CDN).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import comm
import tornado.web
from comm.base_comm import BaseComm
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.ioloop import IOLoop
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..errors import NotFoundError, one_line
from .handlers import AUTH_RESOURCE, ModelHubHandler

log = logging.getLogger(__name__)

MAX_MESSAGE = 10 * 1024 * 1024  # bytes (tornado's own limit): a state patch, a dropped image in base64
#: Traits a browser may never set on a hosted panel (besides every ``_private`` one).
PROTECTED = frozenset({"panel", "read_only", "allowed_roots", "layout", "tabbable", "tooltip", "status"})
_HIDDEN_STATE = frozenset({"layout", "tabbable", "tooltip"})


def _factories() -> dict[str, tuple[str, Callable[[Any, bool, Path], Any]]]:
    """panel name -> (class path, factory(hub, read_only, server_root))."""
    return {
        "search": ("widgets.search:SearchPanel", lambda hub, ro, root: _cls("search")(hub)),
        "gallery": ("widgets.gallery:ImageGallery", lambda hub, ro, root: _cls("gallery")(hub)),
        "index": ("widgets.index_panel:IndexPanel",
                  lambda hub, ro, root: _cls("index")(hub, read_only=ro, allowed_roots=[root])),
        "ask": ("widgets.ask:AskPanel", lambda hub, ro, root: _cls("ask")(hub)),
        "models": ("widgets.models:ModelsPanel", lambda hub, ro, root: _cls("models")(hub, read_only=ro)),
        "compare": ("widgets.compare:ComparePanel",
                    lambda hub, ro, root: _cls("compare")(hub, read_only=ro, out_dir=None if ro else root)),
        "prompts": ("widgets.prompt_studio:PromptStudio",
                    lambda hub, ro, root: _cls("prompts")(hub, read_only=ro)),
        "quality": ("widgets.quality:QualityPanel", lambda hub, ro, root: _cls("quality")(hub)),
    }  # fmt: skip


def _cls(name: str) -> Any:
    """The panel class for ``name`` (imported on first use: plotly, pygments... stay out of start-up)."""
    import importlib

    path = PANELS[name][0]
    module, attr = path.split(":")
    try:
        return getattr(importlib.import_module(f"modelhub_jupyter.{module}"), attr)
    except (ImportError, AttributeError):
        raise NotFoundError(f"the {name} panel is not available in this version") from None


PANELS = _factories()


def available() -> list[str]:
    """The panel names this installation can host."""
    out = []
    for name in PANELS:
        try:
            _cls(name)
        except NotFoundError:
            continue
        out.append(name)
    return out


def module_of(name: str) -> dict[str, str]:
    """``{"esm", "css"}``: the panel's own front-end module and stylesheet (what anywidget loads)."""
    if name not in PANELS:
        raise NotFoundError(f"no panel {name[:40]!r}: use one of {', '.join(PANELS)}")
    cls = _cls(name)
    esm, css = getattr(cls, "_esm", ""), getattr(cls, "_css", "")
    return {"esm": esm if isinstance(esm, str) else "", "css": css if isinstance(css, str) else ""}


# -- the comm ------------------------------------------------------------------------------------
_local = threading.local()
_original_create_comm: Callable[..., BaseComm] | None = None
_install_lock = threading.Lock()

Sink = Callable[[str, str, dict[str, Any]], None]


class HostComm(BaseComm):
    """A comm whose messages go to a hosted panel's websocket instead of a kernel's iopub."""

    def __init__(self, sink: Sink, *args: Any, **kwargs: Any) -> None:
        self._sink = sink
        super().__init__(*args, **kwargs)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        self._sink(self.comm_id or "", msg_type, data if isinstance(data, dict) else {})


def _create_comm(*args: Any, **kwargs: Any) -> BaseComm:
    sink = getattr(_local, "sink", None)
    if sink is not None:
        return HostComm(sink, *args, **kwargs)
    assert _original_create_comm is not None
    return _original_create_comm(*args, **kwargs)


def _install() -> None:
    """Route ``comm.create_comm`` through :func:`_create_comm` (once per process)."""
    global _original_create_comm
    with _install_lock:
        if _original_create_comm is None:
            _original_create_comm = comm.create_comm
            comm.create_comm = _create_comm


def _public(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith("_") and k not in _HIDDEN_STATE}


class HostedPanel:
    """One panel for one browser view: built, fed and closed on its own worker thread (in order)."""

    def __init__(self, name: str, build: Callable[[], Any], send: Callable[[dict[str, Any]], None]) -> None:
        self.name = name
        self._build = build
        self._send = send
        self._lock = threading.Lock()
        self.panel: Any = None
        self._figure_queued = False
        self._figure_sent: str | None = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"modelhub-host-{name}")

    def _sink(self, comm_id: str, msg_type: str, data: dict[str, Any]) -> None:
        with self._lock:
            if self.panel is None or comm_id != self.panel.model_id or msg_type != "comm_msg":
                return  # the first state goes out with "open"; echo_update: the browser has it
            method = data.get("method")
            if method == "update":
                state = _public(data.get("state") or {})
                if state:
                    self._send({"type": "update", "state": state})
            elif method == "custom":
                self._send({"type": "custom", "content": data.get("content")})

    def open(self, read_only: bool) -> None:
        """Build the panel (on the worker thread) and send its state."""
        _install()
        _local.sink = self._sink
        try:
            panel = self._build()
        finally:
            _local.sink = None
        with self._lock:
            self.panel = panel
            state = _public(panel.get_state())
            self._send({"type": "open", "panel": self.name, "state": state, "read_only": read_only})
        traits = [t for t in getattr(panel, "figure_traits", ()) if panel.has_trait(t)]
        if traits and callable(getattr(panel, "hosted_figure", None)):
            panel.observe(self._figure_changed, names=traits)
            self.send_figure()

    def busy(self) -> bool:
        """Whether the panel is working (an action under way): such a view is closed last."""
        panel = self.panel
        return panel is not None and getattr(panel, "status", "") == "loading"

    def _figure_changed(self, _change: Any = None) -> None:
        """A trait the chart is drawn from changed (on any thread): redraw it on the worker, once
        for a burst of changes."""
        with self._lock:
            if self._figure_queued or self.panel is None:
                return
            self._figure_queued = True
        try:
            self.executor.submit(self.send_figure)
        except RuntimeError:  # the view closed meanwhile
            pass

    def send_figure(self) -> None:
        """Send the panel's chart as plotly JSON (``figure`` None: none to show), when it changed."""
        with self._lock:
            self._figure_queued = False
        panel = self.panel
        if panel is None:
            return
        try:
            fig = panel.hosted_figure()
            if fig is None:
                figure = None
            else:
                import plotly.io

                figure = json.loads(plotly.io.to_json(fig, validate=False))
        except Exception as err:  # noqa: BLE001 - a chart that cannot be drawn is one line; the panel goes on
            log.warning("modelhub: hosted panel %s: chart: %s", self.name, one_line(err), exc_info=True)
            self._send({"type": "error", "message": f"The chart could not be drawn: {one_line(err)}"})
            return
        text = json.dumps(figure, sort_keys=True)
        if text == self._figure_sent:
            return
        self._figure_sent = text
        self._send({"type": "figure", "figure": figure, "class": str(getattr(panel, "figure_class", ""))})

    def receive(self, message: dict[str, Any]) -> None:
        """Apply one browser message (on the worker thread)."""
        panel = self.panel
        if panel is None:
            return
        kind = message.get("type")
        if kind == "update" and isinstance(message.get("state"), dict):
            state = {
                k: v for k, v in message["state"].items()
                if isinstance(k, str) and k in panel.keys and not k.startswith("_") and k not in PROTECTED
            }  # fmt: skip
            if state:
                data: dict[str, Any] = {"method": "update", "state": state, "buffer_paths": []}
                panel.comm.handle_msg({"content": {"data": data}, "buffers": []})
        elif kind == "custom":
            custom = {"method": "custom", "content": message.get("content")}
            raw = message.get("buffers")
            buffers = (
                [base64.b64decode(b) for b in raw if isinstance(b, str)] if isinstance(raw, list) else []
            )
            panel.comm.handle_msg({"content": {"data": custom}, "buffers": buffers})

    def close(self) -> None:
        def shut() -> None:
            panel, self.panel = self.panel, None
            if panel is not None:
                try:
                    panel.close()
                except Exception:  # noqa: BLE001 - closing a panel must not take the server down
                    log.debug("modelhub: closing hosted panel %s", self.name, exc_info=True)

        self.executor.submit(shut)
        self.executor.shutdown(wait=False)


class WidgetModuleHandler(ModelHubHandler):
    """``/widgets/<panel>/module``: the panel's ES module and stylesheet; ``/widgets``: the panel names."""

    route = "widget_module"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str | None = None) -> None:
        if name is None:
            self.reply({"panels": await self.call(available)})
            return
        self.set_header("Cache-Control", "private, max-age=60")
        self.reply(await self.call(module_of, name))


class WidgetSocketHandler(WebSocketMixin, WebSocketHandler, ExtensionHandlerMixin, JupyterHandler):
    """``/widgets/<panel>?home=``: one hosted panel per connection (see the module's docstring)."""

    auth_resource = AUTH_RESOURCE

    def set_default_headers(self) -> None:
        """No JupyterHandler headers on a websocket."""

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        name = kwargs.get("name") or (args[0] if args else "")
        user = self.current_user
        if not await ensure_async(self.authorizer.is_authorized(self, user, "read", AUTH_RESOURCE)):
            raise tornado.web.HTTPError(403)
        if name not in PANELS:
            raise tornado.web.HTTPError(404, f"no panel {name[:40]!r}")
        self._read_only = not await ensure_async(
            self.authorizer.is_authorized(self, user, "write", AUTH_RESOURCE)
        )
        await super().get(*args, **kwargs)

    def get_compression_options(self) -> dict[str, Any] | None:
        return {}

    async def open(self, *args: Any, **kwargs: Any) -> None:
        super().open()  # WebSocketMixin: the keep-alive pings
        name = kwargs.get("name") or (args[0] if args else "")
        self._loop = IOLoop.current()
        state = self.settings["modelhub"]
        home = self.get_argument("home", None) or None
        read_only = self._read_only
        root = Path(self.settings.get("server_root_dir") or self.serverapp.root_dir).expanduser().resolve()
        viewer = state.viewer_of(self)
        factory = PANELS[name][1]

        def build() -> Any:
            return factory(state.hub(home, viewer), read_only, root)

        self.hosted = HostedPanel(name, build, self._send)
        # at most ``pool.limit`` views per user: the least recently used of the others closes first
        self._pool, self._user = state.hosted, _user_key(self.current_user)
        for old in self._pool.add(self._user, self):
            if isinstance(old, WidgetSocketHandler):
                old.evict(self._pool.limit)
        try:
            await self._loop.run_in_executor(self.hosted.executor, self.hosted.open, read_only)
        except Exception as err:  # noqa: BLE001 - one line to the browser, the traceback to the log
            self.log.warning("modelhub: hosted panel %s failed: %s", name, one_line(err), exc_info=True)
            self._write(json.dumps({"type": "error", "message": one_line(err)}))
            self.close(1011)

    def busy(self) -> bool:
        """Whether this view's panel is working (for :class:`~.host_pool.HostPool`)."""
        hosted = getattr(self, "hosted", None)
        return hosted is not None and hosted.busy()

    def evict(self, limit: int) -> None:
        """Close this view to stay within its user's limit: the browser is told so (it offers to
        reopen the view), then the panel is closed."""
        hosted = getattr(self, "hosted", None)
        name = hosted.name if hosted is not None else "this"
        self.log.info("modelhub: closed the %s view of %s: over the limit of %d open views", name,
                      getattr(self, "_user", "?"), limit)  # fmt: skip
        self._write(json.dumps({"type": "closed", "message": (
            f"The {name} view was closed to free the server: each user may have {limit} ModelHub views open "
            "at once, and this one was used least recently. Click to reopen it."
        )}))  # fmt: skip
        if hosted is not None:
            hosted.close()
            self.hosted = None  # type: ignore[assignment]
        self.close(4000, "too many open views")

    def _send(self, message: dict[str, Any]) -> None:
        """Thread-safe: queue one message for the browser, in order."""
        self._loop.add_callback(self._write, json.dumps(message, default=str))

    def _write(self, text: str) -> None:
        if self.ws_connection is None:
            return
        try:
            self.write_message(text)
        except WebSocketClosedError:
            pass

    def on_message(self, message: str | bytes) -> None:
        hosted = getattr(self, "hosted", None)
        if hosted is None or len(message) > MAX_MESSAGE:
            return
        self._pool.touch(self._user, self)
        try:
            data = json.loads(message)
        except ValueError:
            return
        if isinstance(data, dict):
            future = hosted.executor.submit(self._receive, hosted, data)
            future.add_done_callback(lambda _f: None)

    def _receive(self, hosted: HostedPanel, data: dict[str, Any]) -> None:
        try:
            hosted.receive(data)
        except Exception as err:  # noqa: BLE001 - a bad message is one line, the panel goes on
            log.warning("modelhub: hosted panel %s: %s", hosted.name, one_line(err), exc_info=True)
            self._send({"type": "error", "message": one_line(err)})

    def on_close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.remove(self._user, self)
        hosted = getattr(self, "hosted", None)
        if hosted is not None:
            hosted.close()
            self.hosted = None  # type: ignore[assignment]


def _user_key(user: Any) -> str:
    """Whose view it is, for the per-user limit: the Jupyter user's username."""
    return str(getattr(user, "username", None) or user or "")


PANEL_NAME = r"(?P<name>[a-z_]{1,40})"
WIDGET_HANDLERS: list[tuple[str, Any]] = [
    (r"/modelhub/api/widgets", WidgetModuleHandler),
    (rf"/modelhub/api/widgets/{PANEL_NAME}/module", WidgetModuleHandler),
    (rf"/modelhub/api/widgets/{PANEL_NAME}", WidgetSocketHandler),
]
