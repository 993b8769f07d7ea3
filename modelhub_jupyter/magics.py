"""IPython magics: ``%modelhub`` (index, status, show, search, ask, ...), ``%modelsearch`` and ``%%modelask``.

``%load_ext modelhub_jupyter`` registers them cheaply: the :class:`~modelhub_jupyter.hub.Hub`
(and with it torch, Chroma, the embedder) is opened on first use, once per process and home
(:func:`~modelhub_jupyter.hub.open_hub`). Command lines are parsed by click commands built
from :mod:`.commands` (:mod:`._magic_parsers`); the command runs as the CLI's does, and a
``_show_<name>`` method (if any) decides how its result displays.

The magics return the engine's own result objects (``res = %modelsearch ...; res.to_frame()``),
given a ``_repr_mimebundle_`` with ``text/plain`` + ``text/html`` and, in a kernel whose front
end renders widgets, the view of a search panel or image gallery.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from traitlets import Bool, Enum, Int, List, Unicode, default
from traitlets.config.configurable import Configurable

from . import _magic_parsers as parsers
from .commands import COMMANDS, Env
from .errors import ModelHubError, NothingIndexedError, one_line
from .results import describe_run

if TYPE_CHECKING:
    from .hub import Hub

__all__ = [
    "HubInfo",
    "ModelHubMagics",
    "NothingIndexedError",
    "load_ipython_extension",
    "unload_ipython_extension",
]

log = logging.getLogger(__name__)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
NOTHING_INDEXED = "nothing indexed yet — run %modelhub index PATH"
#: How an engine error reads in a notebook, where it differs from the CLI's wording.
NOTEBOOK_MESSAGES = {NothingIndexedError.code: NOTHING_INDEXED}


# -- display -----------------------------------------------------------------------------------
class RichDisplay:
    """Mixin: a ``_repr_mimebundle_`` with text/plain, text/html and (lazily) a widget view."""

    _mh_widget_factory: Callable[[], Any] | None = None
    _mh_widget: Any = None
    _mh_base: type = object  # the engine class a displayable copy was made from

    @property
    def widget(self) -> Any:
        """The widget that displays this object in a notebook (built on first use), or None."""
        if self._mh_widget is None and self._mh_widget_factory is not None:
            factory, self._mh_widget_factory = self._mh_widget_factory, None
            self._mh_widget = _build_widget(factory)
        return self._mh_widget

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **_: Any
    ) -> dict[str, Any] | tuple[dict[str, Any], dict[str, Any]]:
        """text/plain and text/html always; the widget view too where widgets render.

        A plain dict, or ``(data, metadata)`` when the widget asks for metadata (anywidget on Colab).
        """
        bundle: dict[str, Any] = {"text/plain": plain_text(self)}
        to_html = getattr(self, "_repr_html_", None)
        if callable(to_html):
            bundle["text/html"] = to_html()
        metadata: dict[str, Any] = {}
        widget = self.widget
        if widget is not None:
            view = widget._repr_mimebundle_() or {}
            if isinstance(view, tuple):  # anywidget: (data, metadata)
                view, widget_metadata = view
                metadata.update(widget_metadata or {})
            if WIDGET_MIME in view:
                bundle[WIDGET_MIME] = view[WIDGET_MIME]
        if include:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in set(exclude)}
        return (bundle, metadata) if metadata else bundle

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickle/copy as the engine's own class: the widget stays with this kernel.
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_mh_")}
        return (_restore, (type(self)._mh_base, state))


def _restore(cls: Any, state: dict[str, Any]) -> Any:
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


@functools.cache
def _rich_class(base: Any) -> Any:
    """``base`` plus :class:`RichDisplay`: still ``isinstance(obj, base)``, same name and repr."""
    return type(
        base.__name__,
        (RichDisplay, base),
        {"__module__": base.__module__, "__qualname__": base.__qualname__, "_mh_base": base},
    )


def displayable(obj: Any, widget: Callable[[], Any] | None = None) -> Any:
    """The same result object (a real ``SearchResults``, ``IndexReport``, ...) that displays richly.

    ``widget`` builds the widget view when the object is first displayed.
    """
    if isinstance(obj, RichDisplay):
        rich = obj
    else:
        cls = _rich_class(obj.__class__)
        rich = cls.__new__(cls)
        rich.__dict__.update(obj.__dict__)
    rich._mh_widget_factory = widget
    return rich


def _build_widget(factory: Callable[[], Any]) -> Any:
    try:
        return factory()
    except ImportError:  # widgets not installed (or not written yet): HTML it is
        return None
    except Exception as err:  # noqa: BLE001 - a broken widget must not hide the results
        log.warning("modelhub: showing HTML, the widget failed: %s", one_line(err))
        return None


def plain_text(obj: Any) -> str:
    """What a terminal shows for a result object."""
    if hasattr(obj, "summary_rows"):  # IndexReport
        lines = ["modelhub index"] + _aligned(obj.summary_rows())
        lines += [f"  error: {e['path']}: {e['error']}" for e in obj.errors[:20]]
        return "\n".join(lines)
    if hasattr(obj, "text") and callable(obj.text):  # FileView
        return str(obj.text())
    return repr(obj)


def _aligned(rows: Iterable[tuple[str, str]]) -> list[str]:
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    return [f"  {k:<{width}}  {v}" for k, v in rows]


class HubInfo(RichDisplay):
    """A small dict-like result (``%modelhub status``, ``rebuild``) that displays as a table."""

    def __init__(self, title: str, data: dict[str, Any], rows: list[tuple[str, str]], note: str = ""):
        self.title = title
        self.data = data
        self.rows = rows
        self.note = note

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def keys(self) -> Iterable[str]:
        return self.data.keys()

    def __repr__(self) -> str:
        return "\n".join([self.title, *_aligned(self.rows), *([self.note] if self.note else [])])

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td style='text-align:left'>{html.escape(k)}</td>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self.rows
        )
        note = f"<p><i>{html.escape(self.note)}</i></p>" if self.note else ""
        return f"<b>{html.escape(self.title)}</b><table>{body}</table>{note}"

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (HubInfo, (self.title, self.data, self.rows, self.note))


def _status_info(info: dict[str, Any]) -> HubInfo:
    docs = ", ".join(f"{k}: {v}" for k, v in sorted(info["documents"].items())) or "none"
    rows = [
        ("home", str(info["home"])),
        ("store", str(info["store"])),
        ("embedder", str(info["embedder"])),
        ("files", f"{info['files']}  (errors: {info['errors']})"),
        ("documents", docs),
        ("relationships", str(info.get("relationships", 0))),
    ]
    rows += [("root", str(root.get("path", root))) for root in info["roots"]]
    run = info.get("last_run")
    if run:
        rows.append(("last run", describe_run(run)))
    note = "" if info["documents"] else NOTHING_INDEXED
    return HubInfo("modelhub status", info, rows, note)


def _without_comment(tokens: list[str]) -> list[str]:
    """The tokens before a lone ``#`` (``%modelhub status   # what is indexed``); ``C#``, ``#12`` stay."""
    return tokens[: tokens.index("#")] if "#" in tokens else tokens


def _plain_info(command: str, result: Any) -> HubInfo:
    """A dict or list result (``audit``, ``schemas export``, ``prompts list``) as a table."""
    if isinstance(result, dict):
        rows = [(str(k), _short(v)) for k, v in result.items()]
        return HubInfo(f"modelhub {command}", result, rows)
    items = list(result) if isinstance(result, list | tuple) else [result]
    rows = [(str(i + 1), _short(v)) for i, v in enumerate(items)]
    return HubInfo(f"modelhub {command}", {command: items}, rows, "" if items else "none")


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())[:300]
    return str(value)[:300]


# -- the magics --------------------------------------------------------------------------------
_NAME = re.compile(r"\{([A-Za-z_]\w*)\}")


class _Names(dict):
    """FormatDict: ``{name}`` from the user namespace; unknown names stay as they were."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@magics_class
class ModelHubMagics(Magics, Configurable):
    """``%modelhub`` and ``%modelsearch``. Options: ``%config ModelHubMagics``."""

    home = Unicode(help="Hub store location (default: $MODELHUB_HOME or ~/.modelhub).").tag(config=True)
    user = Unicode(
        help="Search and ask as this user: only what the access policies let them see "
        "(default: $MODELHUB_USER; empty: everything)."
    ).tag(config=True)
    groups = List(Unicode(), help="Groups the user is in (default: $MODELHUB_GROUPS).").tag(config=True)
    default_limit = Int(10, min=1, help="Results %modelsearch returns without -n.").tag(config=True)
    default_kind = Enum(
        list(parsers.KINDS), default_value="all", help="What %modelsearch searches without -k."
    ).tag(config=True)
    widgets = Bool(True, help="Display results as widgets where the front end renders them.").tag(config=True)
    progress = Bool(True, help="Show a progress bar while %modelhub index runs.").tag(config=True)
    debug = Bool(False, help="Show full tracebacks instead of one-line errors.").tag(config=True)

    @default("home")
    def _default_home(self) -> str:
        return os.environ.get("MODELHUB_HOME", "")

    # -- the hub -----------------------------------------------------------------------------
    @property
    def hub(self) -> Hub:
        """The process's Hub at ``home``, opened on first use (shared with panels and other kernels' code)."""
        from .hub import open_hub

        return open_hub(self.home or None, user=self.user or None, groups=self.groups or None)

    @hub.setter
    def hub(self, hub: Hub) -> None:
        from .hub import share_hub

        share_hub(hub)
        self.home = str(hub.settings.home)
        self.user = hub.viewer.user or ""
        self.groups = sorted(hub.viewer.groups)

    # -- magics ------------------------------------------------------------------------------
    @line_magic
    def modelhub(self, line: str) -> Any:
        return self._run(parsers.modelhub, line)

    @line_cell_magic
    def modelsearch(self, line: str, cell: str | None = None) -> Any:
        return self._run(parsers.modelsearch, line, extra_query=cell)

    @line_cell_magic
    def modelask(self, line: str, cell: str | None = None) -> Any:
        return self._run(parsers.modelask, line, extra_query=cell)

    @line_magic
    def modelcompare(self, line: str) -> Any:
        return self._run(parsers.modelcompare, line)

    # -- how results display: ``_show_<command>`` (default: the result object itself) -------------
    def _show_status(self, info: dict[str, Any], params: dict[str, Any]) -> HubInfo:
        return _status_info(info)

    def _show_stats(self, stats: dict[str, Any], params: dict[str, Any]) -> HubInfo:
        from .analytics import stats_lines

        lines = stats_lines(stats)
        return HubInfo(
            lines[0], stats, [(k, v) for k, _, v in (line.strip().partition(": ") for line in lines[1:])]
        )

    def _show_rebuild(self, counts: dict[str, int], params: dict[str, Any]) -> HubInfo:
        return HubInfo("modelhub rebuild", counts, [(k, str(v)) for k, v in counts.items()])

    def _show_relationships(self, edges: list[dict[str, str]], params: dict[str, Any]) -> HubInfo:
        rows = [
            (f"{e['source_id']} --{e['relation']}-->", f"{e['target_id']}  [{e['evidence']}]") for e in edges
        ]
        return HubInfo("modelhub relationships", {"relationships": edges}, rows)

    def _show_demo(self, result: dict[str, Any], params: dict[str, Any]) -> HubInfo:
        report = result["report"]
        rows = [("workspace", str(result["workspace"])), *report.summary_rows()]
        for label, res in result["searches"]:
            rows.append((f"search {label}", ", ".join(h.path for h in res.hits) or "no results"))
        return HubInfo("modelhub demo", {k: v for k, v in result.items() if k != "searches"}, rows)

    def _show_search(self, results: Any, params: dict[str, Any]) -> Any:
        hub, kind = self.hub, results.kind
        limit = params.get("limit") or self.default_limit
        where = tuple(params.get("where") or ())
        widget = None
        if self._widgets_render():

            def widget() -> Any:
                from . import widgets

                if kind == "image":
                    return widgets.ImageGallery(
                        hub, query=results.query, where=where, page_size=limit, results=results
                    )
                return widgets.SearchPanel(
                    hub, query=results.query, kind=kind, where=where, limit=limit, results=results
                )

        return displayable(results, widget)

    # -- machinery ---------------------------------------------------------------------------
    def _widgets_render(self) -> bool:
        """True in a kernel with comms (ZMQInteractiveShell, Colab's shell) when widgets are on."""
        return bool(self.widgets) and any(
            cls.__name__ == "ZMQInteractiveShell" for cls in type(self.shell).__mro__
        )

    def _interpolate(self, token: str) -> str:
        """``{name}`` → ``str(user_ns[name])``; IPython has already expanded ``$name``."""
        names = _Names(self.shell.user_ns if self.shell is not None else {})
        return _NAME.sub(lambda m: str(names[m.group(1)]), token)

    def _parse(self, command: click.Command, line: str) -> parsers.MagicArgs | None:
        prog = f"%{command.name}"
        try:
            argv = [self._interpolate(token) for token in _without_comment(shlex.split(line))]
        except ValueError as err:  # unbalanced quotes
            print(f"UsageError: {err} (see {prog} --help)", file=sys.stderr)
            return None
        try:
            parsed = command.main(args=argv, prog_name=prog, standalone_mode=False)
        except click.exceptions.NoArgsIsHelpError as err:
            print(err.format_message())
            return None
        except click.UsageError as err:
            where = err.ctx.command_path if err.ctx is not None else prog
            message = " ".join(err.format_message().split())
            print(f"UsageError: {message} (see {where} --help)", file=sys.stderr)
            return None
        except (click.ClickException, click.Abort) as err:
            print(f"modelhub: {one_line(err) or 'aborted'}", file=sys.stderr)
            return None
        return parsed if isinstance(parsed, parsers.MagicArgs) else None  # None: --help was shown

    def _run(self, command: click.Command, line: str, extra_query: str | None = None) -> Any:
        args = self._parse(command, line)
        if args is None:
            return None
        params = dict(args.params)
        spec = COMMANDS[args.command]
        if extra_query and extra_query.strip() and spec.cell:  # %%modelsearch: the cell is the query
            params[spec.cell] = (*params.get(spec.cell, ()), self._interpolate(extra_query.strip()))
        env = Env(
            lambda: self.hub,
            on_token=_print_token,
            surface="magic",
            progress=bool(self.progress),
            default_kind=str(self.default_kind),
            default_limit=int(self.default_limit),
        )
        try:
            result = spec.run(env, **params)
            show = getattr(self, f"_show_{args.command.replace(' ', '_')}", None)
            if show is not None:
                return show(result, params)
            return displayable(result) if hasattr(result, "__dict__") else _plain_info(args.command, result)
        except KeyboardInterrupt:
            print("modelhub: interrupted", file=sys.stderr)
        except Exception as err:
            if self.debug:
                raise
            if not isinstance(err, ModelHubError | OSError):
                log.debug("modelhub: internal error", exc_info=err)
            message = NOTEBOOK_MESSAGES.get(getattr(err, "code", ""), one_line(err))
            print(f"modelhub: {message}", file=sys.stderr)
        return None


ModelHubMagics.modelhub.__doc__ = parsers.help_text(parsers.modelhub, "%modelhub")
ModelHubMagics.modelsearch.__doc__ = parsers.help_text(parsers.modelsearch, "%modelsearch")
ModelHubMagics.modelask.__doc__ = parsers.help_text(parsers.modelask, "%modelask")
ModelHubMagics.modelcompare.__doc__ = parsers.help_text(parsers.modelcompare, "%modelcompare")


def _print_token(token: str) -> None:
    """A streamed answer's words, into the cell's output as they come."""
    print(token, end="", flush=True)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%modelhub`` and ``%modelsearch`` (and ``%config ModelHubMagics``)."""
    ipython.register_magics(ModelHubMagics(shell=ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magics and their configurable (the kernel's hubs stay open for a reload)."""
    manager = ipython.magics_manager
    for names in manager.magics.values():
        for name in [n for n, f in names.items() if isinstance(getattr(f, "__self__", None), ModelHubMagics)]:
            del names[name]
    manager.registry.pop("ModelHubMagics", None)
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, ModelHubMagics)]
