"""The server extension's speed: the sidebar's search round trip through the REST route beside the
same search in-process (the baseline, same run, same store), the metrics and status routes, and
JupyterLab's start-up with and without the extension.

1. **Search round trip**: ``GET /modelhub/api/search`` (token auth, JSON) for each query, against
   ``Hub.search`` called directly in this process on the same home; p50/p95 over ``--repeat`` rounds.
2. **Hosted Search panel**: the lab's main-area Search view is the real ``SearchPanel`` run by the
   server's widget host: a ``query`` patch over its websocket until the ``results`` update arrives.
3. **Metrics / status**: ``GET /modelhub/metrics``, ``GET /modelhub/api/status`` and the Metrics
   view's ``GET /modelhub/api/metrics/recent``, p50/p95.
4. **Start-up**: ``jupyter lab`` from launch to ``/api/status`` answering, with the extension and
   with ``--ServerApp.jpserver_extensions`` turning it off; medians of ``--starts``.

The store is the example workspace indexed into a temporary home; ``--documents N`` a synthetic
store of N code chunks written straight into a home by ``bench_latency.py``'s builder (realistic
code text and metadata, random clustered vectors: embedding 10k chunks with MiniLM takes a long
while on 2 cores; queries are embedded for real), kept in ``--keep DIR`` for the next run; or ``--home DIR``, any indexed home. The issue's goals are printed
beside the figures: REST search p50 <= 150 ms at 10k documents, start-up < 10 % added, metrics
<= 20 ms::

    .venv/bin/python benchmarks/bench_lab.py [--documents 10000 [--keep DIR]] [--home DIR]
                                             [--repeat 20] [--starts 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import _spawn, free_port, jupyter_env  # noqa: E402

QUERIES = ["causal self attention", "training loop with AdamW", "castle at sunset", "pytorch resnet", "unet"]
TOKEN = "bench-token"


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {1000 * statistics.median(ordered):7.1f} ms  p95 {1000 * p95:7.1f} ms  (n={len(ordered)})"


def get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def timed(func) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def hosted_search(url: str, queries: list[str], repeat: int) -> list[float]:
    """Seconds from a ``query`` patch on the hosted Search panel's websocket to its ``results`` update
    (the first round warms and is left out)."""
    import asyncio

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async def go() -> list[float]:
        ws_url = url.replace("http", "ws", 1) + "/modelhub/api/widgets/search"
        conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {TOKEN}"}))
        await conn.read_message()  # the panel's state
        out = []
        for round_ in range(repeat + 1):
            for q in queries:
                started = time.perf_counter()
                await conn.write_message(json.dumps({"type": "update", "state": {"query": q}}))
                while True:  # the same hits as before would send no update: give up after 30 s
                    raw = await asyncio.wait_for(conn.read_message(), 30)
                    message = json.loads(raw or "{}")
                    if message.get("type") == "update" and "results" in message.get("state", {}):
                        break
                if round_:
                    out.append(time.perf_counter() - started)
        conn.close()
        return out

    return asyncio.run(go())


def start_lab(base: Path, home: Path, root: Path, *, extension: bool, log: Path):
    env = jupyter_env(base, home)
    port = free_port()
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    if not extension:
        cmd.append('--ServerApp.jpserver_extensions={"modelhub_jupyter.server": False}')
    return _spawn("jupyterlab", cmd, f"http://127.0.0.1:{port}", env, log, cwd=root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--home", type=Path, default=None, help="an indexed modelhub home (default: build one)"
    )
    parser.add_argument("--repeat", type=int, default=20, help="rounds of the queries")
    parser.add_argument("--starts", type=int, default=3, help="JupyterLab starts per variant (0: skip)")
    parser.add_argument(
        "--documents", type=int, default=0, help="a synthetic store of this many code chunks (e.g. 10000)"
    )
    parser.add_argument("--keep", type=Path, help="with --documents: keep the synthetic store here, reuse it")
    args = parser.parse_args()

    from modelhub_jupyter import Hub

    tmp = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    home = args.home
    if home is None and args.documents:
        from benchmarks.bench_latency import ensure_home
        from modelhub_jupyter.config import Settings
        from modelhub_jupyter.embed.text import TextEmbedder

        name = TextEmbedder(Settings().embed_model).name  # the name the server's Hub stores vectors under
        base = args.keep or tmp / "synthetic"
        base.mkdir(parents=True, exist_ok=True)
        home, built_s = ensure_home(base, args.documents, name, 0, rebuild=False)
        print(f"synthetic store: {f'built in {built_s:.0f} s' if built_s else 'reused'}", file=sys.stderr)
    elif home is None:
        from modelhub_jupyter.demo import build_workspace

        ws = build_workspace(tmp / "my-models")
        home = tmp / "home"
        with Hub(home) as hub:
            hub.index(ws, progress=False)
    hub = Hub(home)
    documents = sum(hub.status()["documents"].values())
    load = os.getloadavg()
    print(f"store: {home} ({documents} documents)")
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")

    server = start_lab(tmp / "jupyter", home, tmp, extension=True, log=tmp / "lab.log")
    try:
        server.wait("/api/status", timeout=180)
        url = server.url
        for q in QUERIES:  # warm both sides: the embedder loads once per process
            get(f"{url}/modelhub/api/search?" + urllib.parse.urlencode({"q": q}))
            hub.search(q, record=False)
        rest, direct, metrics, status, recent = [], [], [], [], []
        for _ in range(args.repeat):
            for q in QUERIES:
                route = f"{url}/modelhub/api/search?" + urllib.parse.urlencode({"q": q, "limit": 10})
                rest.append(timed(lambda route=route: json.loads(get(route))))
                direct.append(timed(lambda q=q: hub.search(q, limit=10, record=False).to_dict()))
            metrics.append(timed(lambda: get(f"{url}/modelhub/metrics")))
            status.append(timed(lambda: get(f"{url}/modelhub/api/status")))
            recent.append(timed(lambda: get(f"{url}/modelhub/api/metrics/recent?minutes=60")))
        hosted = hosted_search(url, QUERIES, args.repeat)
        print(f"search, REST route      {ms(rest)}   (goal p50 <= 150 ms at 10k documents)")
        print(f"search, Hub in-process  {ms(direct)}   (baseline)")
        print(
            f"REST overhead p50       {1000 * (statistics.median(rest) - statistics.median(direct)):7.1f} ms"
        )
        print(f"search, hosted panel    {ms(hosted)}   (websocket patch -> results update)")
        print(f"metrics route           {ms(metrics)}   (goal <= 20 ms)")
        print(f"metrics/recent route    {ms(recent)}")
        print(f"status route            {ms(status)}")
    finally:
        server.stop()

    if args.starts:
        times: dict[bool, list[float]] = {True: [], False: []}
        for i in range(args.starts):
            for extension in (False, True):
                started = time.perf_counter()
                lab = start_lab(
                    tmp / f"jupyter-{i}-{extension}", home, tmp, extension=extension, log=tmp / "s.log"
                )
                try:
                    lab.wait("/api/status", timeout=180)
                    times[extension].append(time.perf_counter() - started)
                finally:
                    lab.stop()
        without, with_ = statistics.median(times[False]), statistics.median(times[True])
        print(f"jupyter lab start-up    without {without:5.2f} s   with {with_:5.2f} s   "
              f"added {100 * (with_ - without) / without:+.0f} %  (medians of {args.starts}; goal < 10 %)")  # fmt: skip
        print("  starts, s: without " + " ".join(f"{t:.2f}" for t in times[False])
              + " | with " + " ".join(f"{t:.2f}" for t in times[True]))  # fmt: skip
    hub.close()


if __name__ == "__main__":
    main()
