"""Generated notebooks: papermill templates, Colab-ready snapshots, manifests, quotas."""

from .run import NotebookFailedError, NotebookRun, export_html, render, run_grid, verify
from .templates import check_params, list_templates, parameters, parse_grid, parse_params, templates_dir

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
