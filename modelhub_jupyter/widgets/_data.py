"""Presentation helpers the panels share: metadata rows, thumbnails as data URLs, code highlighting.

What is shown and how a value reads come from :mod:`modelhub_jupyter.vocabulary`; this module
only turns them into what the front end draws.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from typing import Any

from ..protocols import HubLike
from ..vocabulary import display, rows

__all__ = ["data_url", "display", "highlight", "lines_label", "meta_rows", "pygments_css", "relevance_fields"]


def meta_rows(metadata: Mapping[str, Any], provenance: Mapping[str, str]) -> list[dict[str, str]]:
    """``[{"key", "value", "source"}]`` for the visible metadata, provenance where known."""
    return [row.to_dict() for row in rows(metadata, provenance)]


def data_url(webp: bytes | None) -> str:
    """A ``data:`` URL for thumbnail bytes ("" when there is none)."""
    if not webp:
        return ""
    mime = (
        "image/png" if webp[:4] == b"\x89PNG" else "image/jpeg" if webp[:2] == b"\xff\xd8" else "image/webp"
    )
    return f"data:{mime};base64,{base64.b64encode(webp).decode('ascii')}"


def thumbnail_url(hub: HubLike, doc_id: str) -> str:
    try:
        return data_url(hub.thumbnail(doc_id))
    except Exception:  # noqa: BLE001 - a missing thumbnail is a placeholder, not an error
        return ""


@functools.lru_cache(maxsize=1024)  # search-as-you-type shows the same top hits keystroke after keystroke
def highlight(code: str, filename: str, chunk_type: str = "") -> str:
    """``code`` as HTML spans with pygments classes (styled by :func:`pygments_css`).

    The lexer follows what the chunk holds, not only the file name: a config chunk is
    flattened ``a.b: value`` lines (YAML-like), a model card is Markdown, a model summary is prose.
    """
    from pygments import highlight as _highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer
    from pygments.lexers import MarkdownLexer, PythonLexer, TextLexer, YamlLexer, get_lexer_for_filename
    from pygments.util import ClassNotFound

    lexer: Lexer
    if chunk_type == "card":
        lexer = MarkdownLexer(stripnl=False)
    elif chunk_type == "config":
        is_config_file = filename.endswith((".yaml", ".yml", ".toml", ".json"))
        lexer = YamlLexer(stripnl=False) if is_config_file else TextLexer(stripnl=False)
    elif chunk_type == "notebook" or filename.endswith(".ipynb"):
        lexer = PythonLexer(stripnl=False)
    else:
        try:
            lexer = get_lexer_for_filename(filename, stripnl=False)
        except ClassNotFound:
            lexer = TextLexer(stripnl=False)
    return str(_highlight(code, lexer, HtmlFormatter(nowrap=True)))


@functools.cache
def pygments_css() -> str:
    """Token colours for ``pre.mh-code``: a light style, and a dark one under Lab's dark theme."""
    from pygments.formatters import HtmlFormatter

    def rules(style: str, scope: str) -> list[str]:
        out = []
        for line in HtmlFormatter(style=style).get_style_defs(".mh-code").splitlines():
            line = line.strip()
            if not line.startswith(".mh-code ."):
                continue  # drop unscoped rules (pre, td.linenos) and the block background
            out.append(f"{scope}{line}")
        return out

    dark = 'body[data-jp-theme-light="false"] '
    return "\n".join(rules("default", "") + rules("monokai", dark))


def lines_label(path: str, lines: tuple[int, int] | None) -> str:
    return f"{path}:{lines[0]}-{lines[1]}" if lines else path


def relevance_fields(hit: Any, results: Any = None) -> dict[str, Any]:
    """What a card shows beside the path: the root (``root``, its full path ``root_path``; ``show_root``
    when hits can come from more than one indexed folder) and the relevance (``relevance`` in
    [0, 1], ``strength``, ``relevance_label`` "92% strong", ``why`` the evidence in words)."""
    relevance = getattr(hit, "relevance", None)
    return {
        "root": getattr(hit, "root_name", "") or getattr(hit, "root", ""),
        "root_path": getattr(hit, "root", ""),
        "show_root": bool(getattr(results, "many_roots", False)),
        "relevance": None if relevance is None else float(relevance),
        "strength": getattr(hit, "strength", ""),
        "relevance_label": getattr(hit, "relevance_label", ""),
        "why": getattr(hit, "why", ""),
    }
