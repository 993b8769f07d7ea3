"""Generated notebooks: papermill templates, Colab-ready snapshots, manifests, quotas.

The names below are imported on first use, so a notebook kernel that only needs
:mod:`.runtime` does not load the store (the catalog, its schemas) at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import NotebookFailedError, NotebookRun, export_html, render, run_grid, verify
    from .templates import check_params, list_templates, parameters, parse_grid, parse_params, templates_dir

_WHERE = {
    **dict.fromkeys(
        ["NotebookFailedError", "NotebookRun", "export_html", "render", "run_grid", "verify"], "run"
    ),
    **dict.fromkeys(
        ["check_params", "list_templates", "parameters", "parse_grid", "parse_params", "templates_dir"],
        "templates",
    ),
}

__all__ = [
    "NotebookFailedError",
    "NotebookRun",
    "check_params",
    "export_html",
    "list_templates",
    "parameters",
    "parse_grid",
    "parse_params",
    "render",
    "run_grid",
    "templates_dir",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
