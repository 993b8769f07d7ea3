"""Prometheus metrics of the server extension, in their own registry (one per server app).

Request counts and latency by route, errors by code, index runs, and, read from the hub at each
scrape, documents by kind and files that could not be indexed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _HubCollector(Collector):
    """Gauges read from the hub's status when Prometheus scrapes (nothing cached, nothing stale)."""

    def __init__(self, status: Callable[[], dict[str, Any] | None]) -> None:
        self._status = status

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            status = self._status()
        except Exception as err:  # noqa: BLE001 - a scrape never fails because the store is busy
            log.debug("modelhub metrics: no status: %s", err)
            status = None
        docs = GaugeMetricFamily("modelhub_documents", "Documents indexed, by kind.", labels=["kind"])
        files = GaugeMetricFamily("modelhub_files", "Files the catalog knows.")
        errors = GaugeMetricFamily("modelhub_index_errors", "Files that could not be indexed.")
        if status is not None:
            for kind, count in sorted((status.get("documents") or {}).items()):
                docs.add_metric([str(kind)], float(count))
            files.add_metric([], float(status.get("files") or 0))
            errors.add_metric([], float(status.get("errors") or 0))
        yield docs
        yield files
        yield errors


class _ResourceCollector(Collector):
    """Resource monitor gauges (:mod:`modelhub_jupyter.resources`), read at each scrape: CPU and RSS
    of the server process, models loaded, store sizes on disk, GPU memory when torch is loaded."""

    def __init__(self, snapshot: Callable[[], dict[str, Any] | None]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            snap = self._snapshot() or {}
        except Exception as err:  # noqa: BLE001 - a scrape never fails on a resource reading
            log.debug("modelhub metrics: no resources: %s", err)
            snap = {}
        proc = snap.get("process") or {}
        cpu = GaugeMetricFamily(
            "modelhub_process_cpu_percent", "CPU use of the server process (% of one core)."
        )
        rss = GaugeMetricFamily(
            "modelhub_process_resident_memory_bytes", "Resident memory of the server process."
        )
        store = GaugeMetricFamily("modelhub_store_bytes", "Bytes on disk, by store.", labels=["store"])
        store_files = GaugeMetricFamily("modelhub_store_files", "Files on disk, by store.", labels=["store"])
        loaded = GaugeMetricFamily(
            "modelhub_model_loaded", "Models held in memory (1: loaded).", labels=["role", "name"]
        )
        gpu_used = GaugeMetricFamily(
            "modelhub_gpu_memory_used_bytes", "GPU memory in use.", labels=["gpu", "name"]
        )
        gpu_total = GaugeMetricFamily(
            "modelhub_gpu_memory_total_bytes", "GPU memory.", labels=["gpu", "name"]
        )
        if "cpu_percent" in proc:
            cpu.add_metric([], float(proc["cpu_percent"]))
        if "rss_bytes" in proc:
            rss.add_metric([], float(proc["rss_bytes"]))
        for name, size in sorted((snap.get("stores") or {}).items()):
            store.add_metric([name], float(size["bytes"]))
            store_files.add_metric([name], float(size["files"]))
        for model in snap.get("models") or []:
            loaded.add_metric([str(model["role"]), str(model["name"])], 1.0 if model["loaded"] else 0.0)
        for g in snap.get("gpu") or []:
            gpu_used.add_metric([str(g["index"]), str(g["name"])], float(g["memory_used_bytes"]))
            gpu_total.add_metric([str(g["index"]), str(g["name"])], float(g["memory_total_bytes"]))
        yield from (cpu, rss, store, store_files, loaded, gpu_used, gpu_total)


def _resources_of(status: Callable[[], Any]) -> Callable[[], dict[str, Any] | None]:
    """The resource snapshot of the hub behind ``status`` (the server state's ``hub()``), else of
    ``$MODELHUB_HOME`` with the process's loaded encoders."""
    hub_of = getattr(getattr(status, "__self__", None), "hub", None)

    def read() -> dict[str, Any] | None:
        from ..resources import snapshot, snapshot_for_home

        return snapshot(hub_of()) if callable(hub_of) else snapshot_for_home()

    return read


class Metrics:
    """The server extension's metrics; ``render()`` gives the Prometheus text exposition."""

    def __init__(
        self,
        status: Callable[[], dict[str, Any] | None],
        resources: Callable[[], dict[str, Any] | None] | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "modelhub_http_requests",
            "REST requests served, by route, method and HTTP status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "modelhub_http_request_seconds",
            "REST request latency by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "modelhub_errors",
            "Requests answered with an error, by error code.",
            ["code"],
            registry=self.registry,
        )
        self.index_runs = Counter(
            "modelhub_index_runs", "Index runs started from the server, by outcome.", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.registry.register(_HubCollector(status))
        self.registry.register(_ResourceCollector(resources or _resources_of(status)))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
