"""``ModelsPanel``: the model registry in a notebook or the Voilà dashboard.

Models grouped by type and category, each with its versions (stage, active, size, sha256 short with
the full digest on hover); Activate and Roll back buttons that show the background vector rebuild's
progress; a benchmark of two versions with the change in percent and a plotly bar chart. All the
work is ``hub.models`` (:mod:`modelhub_jupyter.registry`); this module only shows it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import ipywidgets
from traitlets import Bool, Dict, List, Unicode

from ..registry.bench import LOWER_IS_BETTER, METRICS
from ..registry.views import category, human_size
from ._frame import Panel, css, default_hub, esm

READ_ONLY = (
    "This dashboard is read-only: activate, roll back and benchmark from a notebook or with "
    "`modelhub models ...` (or serve it with MODELHUB_DASHBOARD_ROOTS set)"
)
POLL = 0.25  # seconds between two progress updates of a rebuild
#: seconds between two reads of the catalog's vector generations (rebuilds started elsewhere); 0: off
WATCH = float(os.environ.get("MODELHUB_MODELS_WATCH") or 1.0)
EMPTY = (
    "No models registered yet: `%modelhub models register --bundled` registers the installed MiniLM; "
    "`%modelhub models discover DIR` finds model folders"
)


def benchmark_figure(bench: dict[str, Any]) -> Any:
    """A plotly FigureWidget: each metric of the second version as % change against the first (green: better)."""
    import plotly.graph_objects as go

    fig = go.FigureWidget(benchmark_plot(bench))
    fig.add_class("mh-models-chart")
    return fig


def benchmark_plot(bench: dict[str, Any]) -> Any:
    """:func:`benchmark_figure` as a plain plotly Figure (what JupyterLab's hosted view draws)."""
    import plotly.graph_objects as go

    fig = go.Figure(layout={"title": {"text": "Run a benchmark to compare two versions"}, "height": 340,
                            "margin": {"l": 50, "r": 20, "t": 50, "b": 40}})  # fmt: skip
    change = bench.get("change") or []
    if not change:
        return fig
    pct = change[0]["percent"]
    metrics = [m for m in METRICS if pct.get(m) is not None]
    better = [(-pct[m] if m in LOWER_IS_BETTER else pct[m]) for m in metrics]
    fig.add_bar(
        x=metrics, y=[pct[m] for m in metrics], name=f"{change[0]['version']} vs {change[0]['against']}",
        marker_color=["#2e7d32" if b >= 0 else "#c62828" for b in better],
        text=[f"{pct[m]:+.1f}%" for m in metrics], textposition="outside",
    )  # fmt: skip
    fig.layout.title.text = f"{change[0]['version']}: change against {change[0]['against']} (%)"
    fig.layout.yaxis.title.text = "% change (green: better)"
    return fig


def grouped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``hub.models.list()`` rows as ``[{type, category, models: [...]}]``, sizes and sha256 ready to show."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in rows:
        versions = [{**v, "spec": f"{m['name']}:{v['version']}", "size_text": human_size(v["size"]),
                     "sha_short": (v["sha256"] or "")[:12]} for v in m["versions"]]  # fmt: skip
        entry = {"name": m["name"], "tier": m["tier"], "format": m["format"] or "", "path": m["path"] or "",
                 "versions": versions}  # fmt: skip
        groups.setdefault((m["type"], category(m)), []).append(entry)
    return [{"type": t, "category": c, "models": ms} for (t, c), ms in sorted(groups.items())]


class ModelsPanel(Panel):
    """``ModelsPanel(hub=None)``: the registry's models; ``activate(type, "model:v2")``, ``rollback(type)``
    and ``benchmark(type, ["model:v1", "model:v2"])`` do what the buttons do (on a thread; ``job``
    holds the rebuild's progress). ``chart`` is the benchmark's plotly bar chart (a FigureWidget)."""

    _esm = esm("models.js")
    _css = css("models.css")
    panel = Unicode("models").tag(sync=True)
    events = frozenset({"activate", "rollback", "benchmark", "refresh"})

    groups = List(Dict()).tag(sync=True)
    active = Dict().tag(sync=True)  # model type -> "model:version"
    job = Dict().tag(sync=True)  # {action, model_type, model, version, status, done, total, error}
    bench = Dict().tag(sync=True)  # the last benchmark report's to_dict()
    #: vector rebuilds in progress on this store, started here or elsewhere (another kernel, the CLI):
    #: ``[{vector_key, model_type, model, version, done, total, unit, started}]``
    builds = List(Dict()).tag(sync=True)
    read_only = Bool(False).tag(sync=True)  # a served dashboard: look, don't change

    def __init__(
        self, hub: Any = None, *, read_only: bool = False, queries: Any = None, watch: float | None = WATCH
    ) -> None:
        super().__init__()
        self.hub = default_hub(hub)
        self.queries = queries  # the benchmark's question file (default: the example workspace's)
        self.read_only = read_only
        self._thread: threading.Thread | None = None
        self._chart: Any = None
        self._chart_run: Any = None
        self._labels: dict[str, tuple[str, str]] = {}
        self._stop = threading.Event()
        self._stamp: str | None = "(not read yet)"
        self.poll_builds()  # reads the list too
        if watch:  # the catalog is read every ``watch`` s, so a rebuild started anywhere shows its progress
            threading.Thread(
                target=self._watch, args=(watch,), name="modelhub-models-watch", daemon=True
            ).start()

    def close(self) -> None:
        self._stop.set()
        super().close()

    def poll_builds(self) -> list[dict[str, Any]]:
        """Read the vector generations being built on this store now (by any process) into ``builds``;
        when the registry changed (an activation here or elsewhere), the list is read again."""
        from ..registry.store import RegistryStore

        store = RegistryStore(self.hub.catalog)
        builds = []
        for g in store.generations():
            if g["status"] != "building":
                continue
            model, version = self._label(store, g["vector_key"], g["model_type"])
            builds.append({
                "vector_key": g["vector_key"], "model_type": g["model_type"], "model": model, "version": version,
                "done": g["done"], "total": g["total"], "started": g["started"],
                "unit": "images" if g["model_type"] == "image_embedding" else "texts",
            })  # fmt: skip
        if builds != self.builds:
            self.builds = builds
        stamp = store.stamp()
        if stamp != self._stamp:
            first = self._stamp == "(not read yet)"
            self._stamp = stamp
            self.refresh() if first else self._read_list()
        return builds

    def _label(self, store: Any, key: str, model_type: str) -> tuple[str, str]:
        """The model and version whose vectors ``key`` names (``key`` itself when none is registered)."""
        if key not in self._labels:
            from ..registry.switch import image_key

            for v in store.versions(model_type=model_type):
                try:
                    mine = image_key(v) if model_type == "image_embedding" else v.vector_key
                except Exception:  # noqa: BLE001 - a version whose files are gone names nothing
                    continue
                if mine == key:
                    self._labels[key] = (v.model, v.version)
                    break
        return self._labels.get(key, (key, ""))

    def _watch(self, interval: float) -> None:
        while not self._stop.wait(interval):
            if getattr(self.hub, "closed", False):
                return
            if self._thread is not None and self._thread.is_alive():
                continue  # this panel's own action shows its progress and reads the list when done
            try:
                self.poll_builds()
            except Exception:  # noqa: BLE001 - a store closed or busy now: read again next time
                continue

    # -- public ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the registry again."""

        def read() -> None:
            rows = self._read_list()
            if not rows:
                self._empty(EMPTY)
            elif self.status != "loading":
                self._ok()

        self._guard(read)

    def _read_list(self) -> list[dict[str, Any]]:
        """The registry's models into ``groups`` and ``active`` (the status line is left as it is)."""
        rows = self.hub.models.list()
        groups = grouped(rows)
        active = {
            m["type"]: f"{m['name']}:{v['version']}" for m in rows for v in m["versions"] if v["active"]
        }
        if groups != self.groups:
            self.groups = groups
        if active != self.active:
            self.active = active
        return rows

    def activate(self, model_type: str, version: str) -> threading.Thread | None:
        """Make ``version`` the active ``model_type``; a rebuild runs in the background with progress."""
        return self._start("activate", model_type, lambda: self.hub.models.activate(model_type, version))

    def rollback(self, model_type: str) -> threading.Thread | None:
        """Go back to the version of ``model_type`` that was active before."""
        return self._start("rollback", model_type, lambda: self.hub.models.rollback(model_type, wait=False))

    def benchmark(self, model_type: str, versions: list[str]) -> threading.Thread | None:
        """Benchmark ``versions`` (the first is the baseline) on the gold queries; fills ``bench`` and ``chart``."""
        if self._busy():
            return self._thread

        def run() -> None:
            self._loading(f"Benchmarking {' vs '.join(versions)}…")
            report = self.hub.models.benchmark(model_type, versions, queries=self.queries)
            self._ok()
            self.bench = report.to_dict()

        return self._spawn(run)

    @property
    def chart(self) -> Any:
        """The last benchmark's bar chart (a plotly FigureWidget, made anew for each run)."""
        run = self.bench.get("run_id")
        if self._chart is None or self._chart_run != run:
            self._chart, self._chart_run = benchmark_figure(self.bench), run
        return self._chart

    #: JupyterLab's hosted view (server/widget_host.py) draws :meth:`hosted_figure` under the panel
    #: with plotly.js, redrawn when these traits change (no FigureWidget there: it needs a kernel)
    figure_traits = ("bench",)
    figure_class = "mh-models-chart"

    def hosted_figure(self) -> Any:
        """The benchmark chart as a plain plotly Figure; None before the first benchmark."""
        return benchmark_plot(self.bench) if self.bench.get("change") else None

    # -- front-end events -----------------------------------------------------------------
    def on_activate(self, content: dict[str, Any]) -> None:
        self.activate(str(content.get("model_type", "")), str(content.get("version", "")))

    def on_rollback(self, content: dict[str, Any]) -> None:
        self.rollback(str(content.get("model_type", "")))

    def on_benchmark(self, content: dict[str, Any]) -> None:
        versions = [str(v) for v in content.get("versions") or [] if v]
        if len(versions) != 2 or versions[0] == versions[1]:
            self._fail("Pick two different versions to compare")
            return
        self.benchmark(str(content.get("model_type", "text_embedding")), versions)

    def on_refresh(self, _content: dict[str, Any]) -> None:
        self.refresh()

    # -- machinery ------------------------------------------------------------------------
    def _busy(self) -> bool:
        if self.read_only:
            self._fail(READ_ONLY)
            return True
        if self._thread is not None and self._thread.is_alive():
            self.message = "Still working on the last action…"
            return True
        return False

    def _spawn(self, fn: Any) -> threading.Thread:
        def guarded() -> None:
            self._guard(fn)

        self._thread = threading.Thread(target=guarded, name="modelhub-models-panel", daemon=True)
        self._thread.start()
        return self._thread

    def _start(self, action: str, model_type: str, begin: Any) -> threading.Thread | None:
        if self._busy():
            return self._thread

        def run() -> None:
            self._loading(f"{action.capitalize()} {model_type}…")
            job = begin()
            while job.status == "building":
                self.job = {"action": action, **job.to_dict()}
                self.message = f"Building vectors for {job.model} {job.version}: {job.done}/{job.total} texts"
                time.sleep(POLL)
            self.job = {"action": action, **job.to_dict()}
            if job.status == "failed":
                self._fail(f"{action} of {job.model} {job.version} failed: {job.error}")
                return
            self._ok()
            self.refresh()
            self.message = job.text()

        return self._spawn(run)


class ModelsTab(ipywidgets.VBox):
    """The dashboard's Models tab: the :class:`ModelsPanel` and, under it, its benchmark chart.

    The chart appears with the first benchmark: plotly (about 2 s to import, and plotly.js in
    the page) is not loaded for a dashboard nobody benchmarks in.
    """

    def __init__(self, hub: Any = None, *, read_only: bool = False, **kwargs: Any) -> None:
        self.panel = ModelsPanel(hub, read_only=read_only)
        super().__init__(children=[self.panel], **kwargs)
        self.add_class("mh-models-tab")
        self.panel.observe(lambda _change: self._show_chart(), names="bench")
        self._show_chart()

    def _show_chart(self) -> None:
        """A finished benchmark: its chart replaces the previous one (a new widget, not edited traces)."""
        if self.panel.bench.get("change"):
            self.children = (self.panel, self.panel.chart)

    def refresh(self) -> None:
        self.panel.refresh()
