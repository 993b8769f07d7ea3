"""The shared frame of every modelhub panel: status/message traits, assets, error handling.

A new panel is three files: ``static/<name>.js`` (an ES module whose ``render`` calls
``mhFrame``), optionally ``static/<name>.css``, and a ``Panel`` subclass::

    class RegistryPanel(Panel):
        _esm = esm("registry.js")
        _css = css("registry.css")
        panel = Unicode("registry").tag(sync=True)
        events = frozenset({"activate"})      # model.send({event: "activate"}) -> on_activate

        def __init__(self, hub: HubLike) -> None: ...

``frame.js`` and ``frame.css`` are prepended by :func:`esm`/:func:`css`, so helpers such
as ``mhFrame``, ``h``, ``debounce`` and ``mhStatus`` are available to every panel without
imports (anywidget modules cannot import each other, and nothing is fetched at run time).
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import anywidget
from traitlets import Unicode

from ..errors import one_line

STATIC = Path(__file__).parent / "static"
NOTHING_INDEXED = "Nothing indexed yet — run %modelhub index PATH"
log = logging.getLogger(__name__)


@functools.cache
def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def default_hub(hub: Any = None) -> Any:
    """``hub``, or the process's shared hub at ``$MODELHUB_HOME`` (``open_hub()``) when it is None."""
    if hub is not None:
        return hub
    from ..hub import open_hub

    return open_hub()


def esm(name: str) -> str:
    """The ES module of one panel, with the shared ``frame.js`` helpers in front."""
    return _read("frame.js") + "\n" + _read(name)


def css(*names: str, extra: str = "") -> str:
    """The stylesheet of one panel: ``frame.css``, then ``names``, then ``extra``."""
    return "\n".join([_read("frame.css"), *(_read(n) for n in names), extra])


class Panel(anywidget.AnyWidget):
    """Base class of the modelhub panels.

    ``status`` is one of ``idle``, ``loading``, ``error``, ``empty``; ``message`` is the
    one-line text shown for the last three. The root element the front end draws is
    ``<div class="mh-panel mh-{panel}" data-status="{status}">``.
    """

    _esm = "export default { render({ el }) { el.textContent = 'modelhub panel'; } };"
    #: The front-end messages this panel accepts: ``{"event": name}`` calls ``on_<name>``; any other is dropped.
    events: ClassVar[frozenset[str]] = frozenset()
    panel = Unicode("panel").tag(sync=True)
    status = Unicode("idle").tag(sync=True)
    message = Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._dispatch_msg)

    # -- state helpers --------------------------------------------------------------------
    def _loading(self, message: str = "Working…") -> None:
        self.status, self.message = "loading", message

    def _ok(self) -> None:
        self.status, self.message = "idle", ""

    def _empty(self, message: str) -> None:
        self.status, self.message = "empty", message

    def _fail(self, exc: BaseException | str) -> None:
        if isinstance(exc, BaseException):
            log.debug("modelhub panel error\n%s", "".join(traceback.format_exception(exc)))
            exc = one_line(exc)
        self.status, self.message = "error", exc

    def _guard(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn``; any exception becomes ``status="error"`` with a one-line message."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a panel never shows a traceback
            self._fail(exc)
            return None

    # -- messages from the front end -------------------------------------------------------
    def _dispatch_msg(self, _widget: Any, content: Any, _buffers: Any = None) -> None:
        """``model.send({event: "name", ...})`` calls ``self.on_<name>(content)`` for names in ``events``.

        The browser is not trusted: any other message (``on_indexed``, ``__init__``, ...) is ignored.
        """
        if not isinstance(content, dict):
            return
        event = content.get("event")
        if not isinstance(event, str) or event not in self.events:
            log.debug("modelhub panel %s: ignored front-end event %r", self.panel, event)
            return
        handler = getattr(self, f"on_{event}", None)
        if callable(handler):
            self._guard(handler, content)

    def _handle_front(self, content: dict[str, Any]) -> None:
        """Simulate a front-end message (tests, other surfaces)."""
        self._dispatch_msg(self, content, None)
