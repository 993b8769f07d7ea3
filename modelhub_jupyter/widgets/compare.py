"""``ComparePanel``: two to four models side by side in a notebook or the Voilà dashboard.

Pick the models (suggested from the index), then see the aligned table (differing rows highlighted,
% change, better/worse where the direction is known), the structural diff, the code diff, each
model's generated images side by side and, under the panel, the lineage timeline (a plotly
FigureWidget). "Generate notebook" writes the ``compare_models`` notebook for the same models and
shows where it is, with a download link. In a kernel that a Jupyter server started (JupyterLab), the
notebook is written into the server's root (beside the notebook in use) and opened at
``<base_url>lab/tree/<path>``; in Voilà it stays a download. All the work is ``hub.compare`` and
``hub.notebook``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ipywidgets
from traitlets import Bool, Dict, List, Unicode

from ..compare.models import MAX_MODELS, MIN_MODELS, Comparison, suggestions
from ._frame import Panel, css, default_hub, esm

MAX_DOWNLOAD = 5_000_000  # bytes of notebook offered as a download link
MAX_SERVER_INFO = 64 * 1024  # bytes of a jpserver-*.json worth reading


def jupyter_server() -> dict[str, Any] | None:
    """The Jupyter server that started this kernel (its ``jpserver-<pid>.json``: ``root_dir``,
    ``base_url``), found by the kernel's parent process id; None in Voilà (its kernels carry
    ``SERVER_SOFTWARE=voila/...``, and its page cannot open a notebook) and outside a server."""
    if os.environ.get("SERVER_SOFTWARE", "").startswith("voila"):
        return None
    from jupyter_core.paths import jupyter_runtime_dir

    parent = os.getppid()
    try:
        files = sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json"))
    except OSError:
        return None
    for path in files:
        try:
            if path.stat().st_size > MAX_SERVER_INFO:
                continue
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and info.get("pid") == parent and isinstance(info.get("root_dir"), str):
            return info
    return None


def lab_location(path: str | Path, server: dict[str, Any] | None) -> dict[str, str]:
    """``{"lab_path", "lab_url"}`` of a file inside the server's root (JupyterLab opens ``lab_url``),
    else ``{}``."""
    if not server:
        return {}
    try:
        rel = Path(path).resolve().relative_to(Path(server["root_dir"]).resolve()).as_posix()
    except (ValueError, OSError):
        return {}
    base = str(server.get("base_url") or "/")
    base = base if base.endswith("/") else base + "/"
    return {"lab_path": rel, "lab_url": f"{base}lab/tree/{quote(rel)}"}


def payload(cmp: Comparison) -> dict[str, Any]:
    """What the front end draws: plain JSON (the code diff is difflib's escaped HTML table)."""
    return {
        "labels": cmp.labels,
        "paths": [m.path for m in cmp.models],
        "notes": cmp.notes,
        "rows": [
            {k: r[k] for k in ("key", "display", "diff", "direction", "change_pct", "improvement_pct")}
            for r in cmp.rows
        ],
        "structure": [
            {"a": cmp.labels[0], "b": cmp.labels[i], "lines": d["lines"]}
            for i, d in enumerate(cmp.structure_diffs, start=1)
        ],
        "code": [{"a": d["a"], "b": d["b"], "html": d["html"]} for d in cmp.code_diffs],
        "lineage": cmp.lineage["edges"],
        "images": [
            {
                "label": label,
                "images": [
                    {k: img.get(k) for k in ("path", "prompt", "seed", "sampler", "thumbnail")}
                    for img in cmp.images.get(label, [])
                ],
            }
            for label in cmp.labels
        ],  # fmt: skip
    }


class ComparePanel(Panel):
    """``ComparePanel(hub=None, models=None)``: ``compare(["a", "b"])`` and ``generate()`` do what the
    buttons do; ``timeline`` is the lineage timeline (a plotly FigureWidget shown under the panel)."""

    _esm = esm("compare.js")
    _css = css("compare.css")
    panel = Unicode("modelcompare").tag(sync=True)
    events = frozenset({"compare", "generate"})

    choices = List(Unicode()).tag(sync=True)  # model_ids and families the index holds
    picked = List(Unicode()).tag(sync=True)  # what the last comparison was asked for
    result = Dict().tag(sync=True)  # payload() of the last comparison
    notebook = Dict().tag(
        sync=True
    )  # {path, name, download, colab, lab_path, lab_url} of the generated notebook
    read_only = Bool(False).tag(sync=True)  # a served dashboard: notebooks go to a temp folder
    lab = Bool(False).tag(sync=True)  # under JupyterLab: a generated notebook opens there (lab_url)

    def __init__(self, hub: Any = None, models: list[str] | None = None, *, read_only: bool = False,
                 out_dir: str | Path | None = None) -> None:  # fmt: skip
        super().__init__()
        self.hub = default_hub(hub)
        self.read_only = read_only
        self.out_dir = Path(out_dir) if out_dir else None
        self.comparison: Comparison | None = None
        self._chart: Any = None
        self.lab = self._lab_folder(self._server()) is not None
        self.refresh()
        if models:
            self._guard(self.compare, models)

    # -- public ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the model names from the index again."""

        def read() -> None:
            self.choices = suggestions(self.hub)
            if len(self.choices) < MIN_MODELS:
                self._empty("Fewer than two models indexed — run %modelhub index PATH on a folder of models")
            elif self.status == "empty":
                self._ok()

        self._guard(read)

    def compare(self, models: list[str]) -> Comparison:
        """Compare ``models`` (2 to 4 names, ids, families, id@version or files)."""
        names = [m.strip() for m in models if m and m.strip()]
        self.picked = names
        self._loading(f"Comparing {', '.join(names)}…")
        cmp = self.hub.compare(names)
        self.comparison = cmp
        self.notebook = {}
        self.result = payload(cmp)
        self._draw_timeline()
        self._ok()
        return cmp

    def generate(self) -> dict[str, Any]:
        """Write the ``compare_models`` notebook for the compared models; returns what ``notebook`` shows."""
        if self.comparison is None:
            raise ValueError("Compare two models first, then generate their notebook")
        labels = self.comparison.labels
        server = self._server()
        folder = self._folder(server)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", "_vs_".join(labels))[:120]
        self._loading("Writing the compare_models notebook…")
        run = self.hub.notebook("compare_models", out=folder / f"compare_{slug}.ipynb", models=",".join(labels),
                                progress=False)  # fmt: skip
        data = Path(run.path).read_bytes()
        info = {"path": run.path, "name": Path(run.path).name, "colab": run.colab_url or "",
                "download": ("data:application/x-ipynb+json;base64," + base64.b64encode(data).decode())
                if len(data) <= MAX_DOWNLOAD else "", "at": time.time(),  # a new write redraws (and opens) even if unchanged
                **lab_location(run.path, server)}  # fmt: skip
        self.notebook = info
        self._ok()
        self.message = f"Wrote {run.path}"
        return info

    @property
    def timeline(self) -> Any:
        """The lineage timeline (plotly FigureWidget): each model at its git date, arrows to successors."""
        if self._chart is None:
            import plotly.graph_objects as go

            # One scatter trace from the start, restyled per comparison: the front end gets updates of
            # an existing trace (deleting and adding traces in a row can reach it half-applied).
            self._chart = go.FigureWidget(
                data=[go.Scatter(x=[], y=[], mode="markers+text", textposition="top center", name="models")],
                layout={"title": {"text": "Lineage: compare models to see it"}, "height": 320, "showlegend": False,
                        "margin": {"l": 30, "r": 20, "t": 50, "b": 40}, "xaxis": {"title": {"text": "date"}, "type": "date"},
                        "yaxis": {"visible": False}},
            )  # fmt: skip
            self._chart.add_class("mh-mc-timeline")
            self._draw_timeline()
        return self._chart

    #: JupyterLab's hosted view (server/widget_host.py) draws :meth:`hosted_figure` under the panel
    #: with plotly.js, redrawn when these traits change (no FigureWidget there: it needs a kernel)
    figure_traits = ("result",)
    figure_class = "mh-mc-timeline"

    def hosted_figure(self) -> Any:
        """The lineage timeline of the last comparison as a plain plotly Figure; None before one."""
        if self.comparison is None or not self.result:
            return None
        from ..compare.figures import lineage_figure

        fig = lineage_figure(self.comparison)
        fig.update_layout(margin={"l": 30, "r": 20, "t": 50, "b": 40}, xaxis={"type": "date"})
        return fig

    # -- front-end events -----------------------------------------------------------------
    def on_compare(self, content: dict[str, Any]) -> None:
        models = [str(m) for m in (content.get("models") or []) if isinstance(m, str) and m.strip()]
        if not MIN_MODELS <= len(models) <= MAX_MODELS:
            self._fail(f"Pick {MIN_MODELS} to {MAX_MODELS} models to compare (got {len(models)})")
            return
        self.compare(models)

    def on_generate(self, _content: dict[str, Any]) -> None:
        self.generate()

    # -- machinery ------------------------------------------------------------------------
    def _server(self) -> dict[str, Any] | None:
        return None if self.read_only else jupyter_server()

    def _lab_folder(self, server: dict[str, Any] | None) -> Path | None:
        """Where a notebook goes that JupyterLab can open: ``out_dir`` or, by default, the working
        folder (beside the notebook in use), when it is inside the server's root; else None."""
        if not server:
            return None
        folder = self.out_dir if self.out_dir is not None else Path.cwd()
        if not lab_location(folder, server) or (self.out_dir is None and not os.access(folder, os.W_OK)):
            return None
        return folder

    def _folder(self, server: dict[str, Any] | None = None) -> Path:
        lab_folder = self._lab_folder(server)
        if lab_folder is not None:
            folder = lab_folder
        elif self.out_dir is not None:
            folder = self.out_dir
        elif self.read_only:  # a served dashboard writes nothing into the store: a download only
            folder = Path(tempfile.mkdtemp(prefix="modelhub-compare-"))
        else:
            folder = Path(self.hub.settings.home) / "notebooks"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _draw_timeline(self) -> None:
        if self._chart is None or self.comparison is None:
            return
        from ..compare.figures import lineage_figure

        fig = lineage_figure(self.comparison)
        src = fig.data[0] if fig.data else None
        with self._chart.batch_update():
            trace = self._chart.data[0]
            trace.x = list(src.x) if src is not None else []
            trace.y = list(src.y) if src is not None else []
            trace.text = list(src.text) if src is not None else []
            trace.hovertext = list(src.hovertext) if src is not None else []
            if src is not None:
                trace.marker.size = list(src.marker.size)
                trace.marker.color = list(src.marker.color)
            self._chart.layout.annotations = fig.layout.annotations
            self._chart.layout.title.text = fig.layout.title.text


class CompareTab(ipywidgets.VBox):
    """The dashboard's Compare tab: the :class:`ComparePanel` and, under it, its lineage timeline."""

    def __init__(self, hub: Any = None, *, read_only: bool = False, **kwargs: Any) -> None:
        self.panel = ComparePanel(hub, read_only=read_only)
        # The timeline joins the tab with the first comparison, when the tab is in view: a plotly
        # view first drawn in a hidden tab can stay blank.
        super().__init__(children=[self.panel], **kwargs)
        self.add_class("mh-mc-tab")
        self.panel.observe(self._show_timeline, names="result")

    def _show_timeline(self, _change: Any = None) -> None:
        children: tuple[Any, ...] = tuple(getattr(self, "children", ()))
        if self.panel.result and self.panel.timeline not in children:
            self.children = [self.panel, self.panel.timeline]

    def refresh(self) -> None:
        self.panel.refresh()
