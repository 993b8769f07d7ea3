"""``QualityPanel``: how well the hub answers, from the query log, and what it costs to run.

Latency by intent (p50/p95 bars here; a plotly box plot in :class:`QualityTab`), queries that found
nothing, low-confidence ones, thumbs-down questions, the most opened results, the comparison
dimensions people use, the *problem queries* with **Export YAML** (the gold set's format, labels
proposed for review), and the resource monitor (CPU, RSS, loaded models, store sizes, GPU).
All the data comes from ``hub.quality`` (:mod:`modelhub_jupyter.quality`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets
from traitlets import Dict, Float, Unicode

from ._frame import Panel, css, default_hub, esm

PERIODS = {"all": 0.0, "1": 1.0, "7": 7.0, "30": 30.0}  # the period menu: days (0: all time)
EMPTY = "No queries recorded yet: searches committed with Enter, questions and comparisons appear here"


class QualityPanel(Panel):
    """``QualityPanel(hub=None)``: the Quality view; ``refresh()`` reads the query log and resources again.

    ``report`` is ``hub.quality.report(days)`` (``days`` 0: all time); ``resources`` the resource
    monitor, sizes already in words; ``export()`` puts the problem queries as gold-set YAML in
    ``yaml_text`` (the front end offers it as a download), ``export(path)`` writes a file too.
    """

    _esm = esm("quality.js")
    _css = css("quality.css")
    panel = Unicode("quality").tag(sync=True)
    events = frozenset({"refresh", "export", "period"})

    days = Float(0.0).tag(sync=True)
    report = Dict().tag(sync=True)
    resources = Dict().tag(sync=True)
    yaml_text = Unicode("").tag(sync=True)  # the last export (offered as problem_queries.yaml)
    yaml_name = Unicode("problem_queries.yaml").tag(sync=True)

    def __init__(self, hub: Any = None, *, days: float | None = None, load: bool = True) -> None:
        super().__init__()
        self.hub = default_hub(hub)
        self.days = float(days or 0.0)
        if load:
            self.refresh()
        else:  # the dashboard's tab: the log is read when the tab is first shown
            self._empty("Open this tab (or press Refresh) to read the query log")

    # -- public ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the query log (for ``days``) and the resource monitor again."""
        self._guard(self._load)

    #: JupyterLab's hosted view (server/widget_host.py) draws :meth:`hosted_figure` under the panel
    #: with plotly.js, redrawn when these traits change (the dashboard's tab uses a FigureWidget)
    figure_traits = ("report",)
    figure_class = "mh-quality-chart"

    def hosted_figure(self) -> Any:
        """The latency box plot as a plain plotly Figure; None while the log holds no latencies."""
        return latency_plot(self.report) if any((self.report or {}).get("latency_by_intent") or {}) else None

    def export(self, path: str | None = None) -> str:
        """The problem queries as YAML in the gold set's format (``path``: also written there)."""
        quality = self.hub.quality
        self._loading("Working… proposing labels for the problem queries")
        try:
            if path:
                text = quality.write_problems_yaml(path, self._days()).read_text(encoding="utf-8")
            else:
                text = quality.problems_yaml(self._days())
        except Exception as exc:  # noqa: BLE001 - one line in the panel
            self._fail(exc)
            return ""
        self.yaml_text = text
        import yaml

        count = len((yaml.safe_load(text) or {}).get("queries") or [])
        self.status, self.message = (
            "idle",
            f"Exported {count} problem quer{'y' if count == 1 else 'ies'} as YAML",
        )
        return text

    # -- front-end events -------------------------------------------------------------------
    def on_refresh(self, _content: dict[str, Any]) -> None:
        self.refresh()

    def on_export(self, _content: dict[str, Any]) -> None:
        self.export()

    def on_period(self, content: dict[str, Any]) -> None:
        self.days = PERIODS.get(str(content.get("days", "all")), 0.0)
        self.refresh()

    # -- internals ------------------------------------------------------------------------
    def _days(self) -> float | None:
        return self.days or None

    def _load(self) -> None:
        quality = self.hub.quality
        report = quality.report(self._days())
        self.report = report
        self.resources = _resource_view(quality.resources())
        if report["queries"] == 0:
            self._empty(EMPTY)
        else:
            self._ok()


def _resource_view(snap: dict[str, Any]) -> dict[str, Any]:
    """The resource snapshot with the figures in words (what the panel shows)."""
    from ..resources import human_bytes

    proc = snap.get("process", {})
    rows = [
        {"label": "CPU (this process)", "value": f"{proc.get('cpu_percent', 0):.0f}% of one core",
         "detail": f"{proc.get('cpu_seconds', 0):.1f} s used, {proc.get('threads', '?')} threads"},
        {"label": "Memory (RSS)", "value": human_bytes(proc.get("rss_bytes", 0)),
         "detail": f"of {human_bytes(proc.get('system_memory_bytes', 0))}; "
                   f"{human_bytes(proc.get('system_memory_available_bytes', 0))} available"},
        {"label": "Machine CPU", "value": f"{proc.get('system_cpu_percent', 0):.0f}%",
         "detail": f"{proc.get('cpu_count', '?')} cores, load {' / '.join(map(str, proc.get('load_average', [])))}"},
    ]  # fmt: skip
    stores = [
        {"label": name, "value": human_bytes(s["bytes"]) + ("" if s["complete"] else "+"),
         "detail": f"{s['files']:,} file(s)", "title": s["path"]}
        for name, s in snap.get("stores", {}).items()
    ]  # fmt: skip
    models = [
        {"label": m["role"], "value": m["name"],
         "detail": ("loaded" + (f" ({m['backend']})" if m.get("backend") else "")) if m["loaded"] else "not loaded"}
        for m in snap.get("models", [])
    ]  # fmt: skip
    gpus = [
        {"label": f"GPU {g['index']}", "value": g["name"],
         "detail": f"{human_bytes(g['memory_used_bytes'])} of {human_bytes(g['memory_total_bytes'])} in use"}
        for g in snap.get("gpu", [])
    ]  # fmt: skip
    return {"process": rows, "stores": stores, "models": models, "gpu": gpus, "at": snap.get("at", 0)}


def latency_figure(report: dict[str, Any]) -> Any:
    """A plotly FigureWidget: the latency distribution of each intent (box plots, ms, log axis)."""
    import plotly.graph_objects as go

    fig = go.FigureWidget(latency_plot(report))
    fig.add_class("mh-quality-chart")
    return fig


def latency_plot(report: dict[str, Any]) -> Any:
    """:func:`latency_figure` as a plain plotly Figure (what JupyterLab's hosted view draws)."""
    import plotly.graph_objects as go

    fig = go.Figure(layout={"title": {"text": "Latency by intent (ms)"}, "height": 340,
                            "margin": {"l": 60, "r": 20, "t": 50, "b": 40}, "showlegend": False})  # fmt: skip
    counts = {k: v.get("n") for k, v in (report.get("latency_ms") or {}).items()}
    for intent, values in (report.get("latency_by_intent") or {}).items():
        n = counts.get(intent) or len(values)  # the values are a sample past LATENCY_SAMPLE
        fig.add_box(y=values, name=f"{intent} ({n:,})", boxpoints="outliers")
    fig.layout.yaxis.type = "log"
    fig.layout.yaxis.title.text = "ms (log scale)"
    return fig


class QualityTab(ipywidgets.VBox):
    """The dashboard's Quality tab: the :class:`QualityPanel` and its plotly latency chart.

    The query log is read and the chart (plotly: about 2 s to import, and plotly.js in the page)
    made when the tab is shown (:meth:`refresh`), not when the dashboard starts."""

    def __init__(self, hub: Any = None, **kwargs: Any) -> None:
        self.panel = QualityPanel(hub, load=False)  # a long query log is read when the tab is shown
        self.chart: Any = None
        super().__init__(children=[self.panel], **kwargs)
        self.add_class("mh-quality-tab")
        self.panel.observe(lambda _change: self._redraw(), names="report")

    def show_charts(self) -> None:
        """Make (or remake) the chart from the panel's report."""
        self.chart = latency_figure(self.panel.report)
        self.children = (self.panel, self.chart)

    def refresh(self) -> None:
        self.panel.refresh()
        if self.chart is None:
            self.show_charts()

    def _redraw(self) -> None:
        if self.chart is not None:  # shown once: keep it current
            self.show_charts()
