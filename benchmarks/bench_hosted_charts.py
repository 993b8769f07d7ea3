"""What the hosted Lab views' charts cost the server: the plotly JSON the widget host sends for the
Quality view's latency box plot and the Compare view's lineage timeline, beside the baseline of
the same run — serialising the panel's own synced state, which every hosted view already sends.

1. **Quality box plot** over ``--sizes`` logged latencies (spread over four intents): the report
   state as JSON (baseline) vs ``latency_plot(report)`` as plotly JSON (what ``send_figure`` does);
   milliseconds (median of ``--repeat``) and kilobytes of each, for a report holding every latency
   (as reports did before) and for the report as ``Quality.report`` makes it (at most
   ``LATENCY_SAMPLE`` order statistics per intent).
2. **Compare timeline** of two example models: the ``result`` state as JSON vs the timeline figure.

The first figure of a process imports plotly (about 1-2 s); that import is timed on its own.

    .venv/bin/python benchmarks/bench_hosted_charts.py [--sizes 1000,10000,100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

INTENTS = ("search", "metadata_lookup", "comparison", "code_lookup")


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    """(median milliseconds, the last result)."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), out


def figure_json(fig: Any) -> str:
    import plotly.io

    return plotly.io.to_json(fig, validate=False)


def row(name: str, base: tuple[float, str], chart: tuple[float, str]) -> None:
    (b_ms, b_text), (c_ms, c_text) = base, chart
    print(f"{name:<40} {b_ms:>9.1f} {len(b_text) / 1024:>9.1f} {c_ms:>9.1f} {len(c_text) / 1024:>9.1f}"
          f" {c_ms / max(b_ms, 1e-6):>7.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="logged latencies in the Quality report")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the Compare timeline (indexes a workspace)"
    )
    args = parser.parse_args()

    start = time.perf_counter()
    import plotly.graph_objects  # noqa: F401

    print(f"plotly import: {(time.perf_counter() - start) * 1000:.0f} ms (once per server process)")
    from modelhub_jupyter.quality import LATENCY_SAMPLE, order_statistics
    from modelhub_jupyter.widgets.quality import latency_plot

    print(f"\n{'':<40} {'state ms':>9} {'state KB':>9} {'chart ms':>9} {'chart KB':>9} {'ratio':>8}")
    rng = random.Random(0)
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        latencies = {
            intent: [round(rng.lognormvariate(4.5, 1.0), 1) for _ in range(n // len(INTENTS))]
            for intent in INTENTS
        }
        counts = {k: {"n": len(v)} for k, v in latencies.items()}
        every = {
            "queries": n,
            "latency_by_intent": latencies,
            "latency_ms": counts,
        }  # what reports held before
        sampled = {
            **every,
            "latency_by_intent": {k: order_statistics(v, LATENCY_SAMPLE) for k, v in latencies.items()},
        }
        for label, report in (("every latency", every), ("the report's sample", sampled)):
            base = timed(lambda r=report: json.dumps({"report": r}), args.repeat)
            chart = timed(lambda r=report: figure_json(latency_plot(r)), args.repeat)
            row(f"Quality, {n:,}: {label}", base, chart)

    if not args.no_compare:
        from modelhub_jupyter import Hub
        from modelhub_jupyter.demo import build_workspace
        from modelhub_jupyter.widgets.compare import ComparePanel

        with tempfile.TemporaryDirectory() as tmp, Hub(Path(tmp) / "home") as hub:
            hub.index(build_workspace(Path(tmp) / "ws"), progress=False)
            panel = ComparePanel(hub)
            panel.compare(["transformer_v1", "transformer_v2"])
            base = timed(lambda: json.dumps({"result": panel.result}, default=str), args.repeat)
            chart = timed(lambda: figure_json(panel.hosted_figure()), args.repeat)
            row("Compare timeline, 2 models", base, chart)
            panel.close()


if __name__ == "__main__":
    main()
