"""The Metrics view's data: the last hour's query latency and throughput as plotly figures (JSON).

``GET /modelhub/api/metrics/recent?minutes=60`` reads the catalog's query log (every search and
question any surface recorded: lab, kernels, the CLI) and answers ``{"since", "minutes", "queries",
"figures": {"latency": fig, "throughput": fig}}``. Each figure is a plain plotly figure dict
(``data`` traces, ``layout``) with x values as Unix milliseconds, drawn by plotly.js in the lab
view (``GET /modelhub/api/plotly.js`` serves the copy the plotly package ships). Only aggregates
leave the server: counts and latencies per minute, never the texts of other people's queries.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..analytics import percentiles
from ..errors import NotFoundError
from .handlers import ModelHubHandler

BUCKET = 60.0  # seconds per point


def recent_figures(rows: list[Any], minutes: int, now: float | None = None) -> dict[str, Any]:
    """Per-minute p50/p95 latency and queries per minute by action over the last ``minutes``."""
    now = time.time() if now is None else now
    since = now - minutes * 60
    latencies: dict[int, list[float]] = defaultdict(list)
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row.at < since:
            continue
        minute = int(row.at // BUCKET)
        latencies[minute].append(float(row.latency_ms))
        counts[row.action or "search"][minute] += 1
    first, last = int(since // BUCKET), int(now // BUCKET)
    minutes_all = list(range(first, last + 1))
    xs = [m * BUCKET * 1000 for m in minutes_all]
    with_data = [m for m in minutes_all if latencies.get(m)]
    per_minute = [percentiles(latencies[m]) for m in with_data]
    p50, p95 = [p["p50"] for p in per_minute], [p["p95"] for p in per_minute]
    x_data = [m * BUCKET * 1000 for m in with_data]
    axis = {"type": "date", "range": [xs[0], xs[-1] + BUCKET * 1000]}
    latency = {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": "p50", "x": x_data, "y": p50},
            {"type": "scatter", "mode": "lines+markers", "name": "p95", "x": x_data, "y": p95},
        ],
        "layout": {"title": {"text": f"Query latency, last {minutes} min (ms)"}, "xaxis": axis,
                   "yaxis": {"title": {"text": "ms"}, "rangemode": "tozero"}, "height": 320},
    }  # fmt: skip
    throughput = {
        "data": [
            {"type": "bar", "name": action, "x": xs, "y": [per_minute.get(m, 0) for m in minutes_all]}
            for action, per_minute in sorted(counts.items())
        ],
        "layout": {"title": {"text": f"Throughput, last {minutes} min (queries per minute)"}, "xaxis": axis,
                   "yaxis": {"title": {"text": "queries / min"}, "rangemode": "tozero"}, "barmode": "stack",
                   "height": 320},
    }  # fmt: skip
    total = sum(sum(c.values()) for c in counts.values())
    return {"since": since, "minutes": minutes, "queries": total,
            "figures": {"latency": latency, "throughput": throughput}}  # fmt: skip


class RecentMetricsHandler(ModelHubHandler):
    route = "metrics_recent"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        minutes = self.int_arg("minutes", 60, 1, 24 * 60)
        hub = self.hub()
        now = time.time()
        rows = await self.call(hub.catalog.queries, now - minutes * 60)
        self.reply(await self.call(recent_figures, rows, minutes, now))


class PlotlyHandler(ModelHubHandler):
    """plotly.js as the installed plotly package ships it (nothing fetched from a CDN)."""

    route = "plotly_js"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        import plotly

        path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        if not path.is_file():
            raise NotFoundError("plotly.js is not in this plotly installation")
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.set_header("Cache-Control", "private, max-age=86400")
        self.finish(await self.call(path.read_bytes))


RECENT_HANDLERS: list[tuple[str, Any]] = [
    (r"/modelhub/api/metrics/recent", RecentMetricsHandler),
    (r"/modelhub/api/plotly.js", PlotlyHandler),
]
