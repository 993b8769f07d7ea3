"""The first search a new user meets: a fresh kernel's first ``%modelsearch``, and a Voilà visit.

1. **Fresh kernel, first %modelsearch**: a new IPython kernel (jupyter_client) runs one cell,
   ``%load_ext modelhub_jupyter`` + ``%modelsearch castle at sunset``; timed from sending the cell
   to the search panel's widget view arriving (its cards are in that view's state).
2. **Voilà open to first result**: headless chromium opens the dashboard (a new kernel per
   visit), types the query into the Search tab and waits for the first result card.

Both over the example workspace indexed into a temporary home; each figure is the median of
``--runs`` (default 3)::

    .venv/bin/python benchmarks/bench_first_hour.py [--runs 3] [--query "castle at sunset"] [--skip-voila]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def build_home(base: Path) -> Path:
    from modelhub_jupyter import Hub
    from modelhub_jupyter.demo import build_workspace

    ws = build_workspace(base / "my-models")
    home = base / "home"
    with Hub(home) as hub:
        hub.index(ws, progress=False)
    return home


def first_modelsearch(env: dict[str, str], query: str) -> float:
    """Seconds from sending the first cell of a fresh kernel to the search widget's view."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        code = f"%load_ext modelhub_jupyter\n%modelsearch {query}"
        started = time.perf_counter()
        msg_id = kc.execute(code)
        while True:
            msg = kc.get_iopub_msg(timeout=300)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("execute_result", "display_data") and WIDGET_MIME in content.get("data", {}):
                return time.perf_counter() - started
            if kind == "error":
                raise RuntimeError("\n".join(content.get("traceback", [])))
            if kind == "status" and content.get("execution_state") == "idle":
                raise RuntimeError("the cell finished without a widget view")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def voila_first_result(base: Path, env: dict[str, str], query: str, runs: int) -> list[float]:
    from tests.e2e.conftest import NOTEBOOKS, launch_browser, start_voila

    server = start_voila(NOTEBOOKS / "dashboard.ipynb", env, base / "voila.log")
    times: list[float] = []
    try:
        server.wait("/voila/static/none")
        pw, browser = launch_browser()
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                started = time.perf_counter()
                page.goto(server.url + "/", timeout=180_000)
                box = page.locator(".mh-panel.mh-search input.mh-query")
                box.wait_for(timeout=180_000)
                box.fill(query)
                page.locator(".mh-panel.mh-search .mh-result").first.wait_for(timeout=180_000)
                times.append(time.perf_counter() - started)
                context.close()
                time.sleep(1)
        finally:
            browser.close()
            pw.stop()
    finally:
        server.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", default="castle at sunset")
    parser.add_argument("--skip-voila", action="store_true")
    args = parser.parse_args()

    from tests.e2e.conftest import jupyter_env

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        home = build_home(base)
        env = jupyter_env(base / "jupyter", home)
        kernel = [first_modelsearch(env, args.query) for _ in range(args.runs)]
        print(
            f"fresh kernel, first %modelsearch {args.query!r} to the panel's cards: "
            f"median {statistics.median(kernel):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in kernel)})"
        )
        if not args.skip_voila:
            voila = voila_first_result(base, env, args.query, args.runs)
            print(
                f"Voilà, open the dashboard to the first result for {args.query!r}: "
                f"median {statistics.median(voila):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in voila)})"
            )


if __name__ == "__main__":
    main()
