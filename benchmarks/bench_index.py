"""Indexing speed: modelhub vs the LangChain pipeline a user would otherwise build.

    .venv/bin/python benchmarks/bench_index.py [--scripts 1000] [--images 1000] [--repeat 3]
                                               [--cold-runs 1] [--precisions auto,fp32]

Builds a varied synthetic workspace, then, each in a fresh process so peak RSS is its own:
  ours      cold index into an empty home (files/s, code chunks/s), then no-change re-index;
            once per embedding precision in --precisions (auto = bf16 on CPUs with bfloat16 units);
  langchain DirectoryLoader(*.py) + RecursiveCharacterTextSplitter.from_language(PYTHON)
            + Chroma.from_documents with the same MiniLM (HuggingFaceEmbeddings defaults, fp32),
            on the same scripts: chunk_size=1000 as in LangChain's RAG tutorial, and the library
            defaults (4,000 characters); both keep the default 200-character overlap.
Prints medians over --repeat runs of the re-index and over --cold-runs cold runs of each pipeline
(a cold run takes minutes).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker_ours(workspace: Path, home: Path, repeat: int, precision: str) -> dict:
    from modelhub_jupyter import Hub
    from modelhub_jupyter.config import Settings

    hub = Hub(settings=Settings(home=home, embed_precision=precision))
    hub.embedder.embed(["warm up"])  # model load is not indexing
    # 1. scripts only (what the LangChain pipeline does), 2. the images on top: together a cold index
    start = time.perf_counter()
    code = hub.index(workspace, progress=False, exclude=("*.png",))
    code_s = time.perf_counter() - start
    code_chunks = hub.catalog.document_counts().get("code", 0)
    start = time.perf_counter()
    images = hub.index(workspace, progress=False)
    images_s = time.perf_counter() - start
    reindex, computed = [], []
    for _ in range(repeat):
        fresh = Hub(
            settings=Settings(home=home), embedder=hub.embedder
        )  # a new process would open the store the same way
        t = time.perf_counter()
        again = fresh.index(workspace, progress=False)
        reindex.append(time.perf_counter() - t)
        computed.append(again.embeddings_computed)
    return {
        "precision": hub.embedder.precision,
        "files": images.files_seen,
        "cold_s": code_s + images_s,
        "files_per_s": images.files_seen / (code_s + images_s),
        "code_files": code.indexed,
        "code_chunks": code_chunks,
        "code_only_s": code_s,
        "code_files_per_s": code.indexed / code_s,
        "code_chunks_per_s": code_chunks / code_s,
        "image_files": images.indexed,
        "images_per_s": images.indexed / images_s,
        "errors": len(code.errors) + len(images.errors),
        "reindex_s_median": statistics.median(reindex),
        "reindex_embeddings": max(computed),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "parser_rss_mb": _parser_rss_mb(),
    }


def _parser_rss_mb() -> float:
    """Peak RSS of the process that parsed the files (stopped here, so that it is counted)."""
    try:
        from modelhub_jupyter.ingest import sandbox
    except ImportError:  # releases that parsed in-process
        return 0.0
    sandbox.shutdown()
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def worker_langchain(workspace: Path, home: Path, chunk_size: int) -> dict:
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import DirectoryLoader, TextLoader
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    from modelhub_jupyter.embed.text import default_text_model

    embeddings = HuggingFaceEmbeddings(model_name=default_text_model())
    embeddings.embed_documents(["warm up"])
    start = time.perf_counter()
    docs = DirectoryLoader(str(workspace), glob="**/*.py", loader_cls=TextLoader).load()
    if chunk_size:
        splitter = RecursiveCharacterTextSplitter.from_language(Language.PYTHON, chunk_size=chunk_size)
    else:  # the library's defaults: 4,000 characters, 200 overlap
        splitter = RecursiveCharacterTextSplitter.from_language(Language.PYTHON)
    chunks = splitter.split_documents(docs)
    Chroma.from_documents(chunks, embeddings, persist_directory=str(home / "lc"))
    seconds = time.perf_counter() - start
    tokenizer = embeddings.client.tokenizer
    seen = sum(
        len(tokenizer.decode(ids[:256], skip_special_tokens=True))
        for ids in tokenizer([c.page_content for c in chunks], add_special_tokens=False)["input_ids"]
    )
    return {
        "chunk_size": chunk_size or 4000,
        "coverage": seen / max(1, sum(len(d.page_content) for d in docs)),
        "code_files": len(docs),
        "code_chunks": len(chunks),
        "seconds": seconds,
        "code_files_per_s": len(docs) / seconds,
        "code_chunks_per_s": len(chunks) / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _run_worker(
    name: str, workspace: Path, repeat: int, chunk_size: int = 0, precision: str = "auto"
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", name, "--workspace", str(workspace),
             "--home", str(Path(tmp) / "home"), "--repeat", str(repeat), "--chunk-size", str(chunk_size),
             "--precision", precision],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scripts", type=int, default=1000)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="no-change re-index runs")
    parser.add_argument("--cold-runs", type=int, default=1, help="cold index runs of each pipeline (median)")
    parser.add_argument(
        "--precisions", default="auto", help="embedding precisions of our runs, e.g. auto,fp32"
    )
    parser.add_argument("--worker", choices=["ours", "langchain"])
    parser.add_argument("--precision", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--chunk-size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "ours":
        print(json.dumps(worker_ours(args.workspace, args.home, args.repeat, args.precision)))
        return
    if args.worker == "langchain":
        print(json.dumps(worker_langchain(args.workspace, args.home, args.chunk_size)))
        return

    sys.path.insert(0, str(HERE))
    from synthetic import make_workspace

    from modelhub_jupyter.embed.text import bf16_is_fast

    with tempfile.TemporaryDirectory() as tmp:
        workspace = make_workspace(Path(tmp) / "ws", n_scripts=args.scripts, n_images=args.images)
        cold = range(args.cold_runs)
        runs = [
            _median([_run_worker("ours", workspace, args.repeat, precision=p) for _ in cold])
            for p in args.precisions.split(",")
        ]
        baselines = [
            _median([_run_worker("langchain", workspace, 1, size) for _ in cold]) for size in (1000, 0)
        ]
    print(
        f"workspace: {args.scripts} scripts + {args.images} images; medians of {args.cold_runs} cold run(s) each"
    )
    print(f"CPU has bfloat16 units (AMX/AVX512-BF16): {'yes' if bf16_is_fast() else 'no'}")
    for ours in runs:
        _report(ours, baselines, args.repeat)


def _median(results: list[dict]) -> dict:
    """Field-wise median of several runs' figures (strings from the first run)."""
    return {
        key: (statistics.median_low if isinstance(value, int) else statistics.median)(r[key] for r in results)
        if isinstance(value, int | float)
        else value
        for key, value in results[0].items()
    }


def _report(ours: dict, baselines: list[dict], repeat: int) -> None:
    print(f"--- ours, embeddings in {ours['precision']}")
    print(f"ours   cold index, all files : {ours['files']} files in {ours['cold_s']:.1f} s "
          f"= {ours['files_per_s']:.1f} files/s ({ours['errors']} errors)")  # fmt: skip
    print(
        f"ours   images                : {ours['image_files']} images at {ours['images_per_s']:.1f} images/s"
    )
    print(f"ours   scripts only          : {ours['code_files']} files, {ours['code_chunks']} chunks in "
          f"{ours['code_only_s']:.1f} s = {ours['code_files_per_s']:.2f} files/s, "
          f"{ours['code_chunks_per_s']:.1f} chunks/s")  # fmt: skip
    for lc in baselines:
        label = f"langchain chunk_size={lc['chunk_size']}"
        print(f"{label:29}: {lc['code_files']} files, {lc['code_chunks']} chunks in {lc['seconds']:.1f} s = "
              f"{lc['code_files_per_s']:.2f} files/s, {lc['code_chunks_per_s']:.1f} chunks/s; the embedder sees "
              f"{lc['coverage']:.0%} of the code (ours: 100%, chunks kept within 256 tokens)")  # fmt: skip
        print(f"{'  ours / langchain files/s':29}: {ours['code_files_per_s'] / lc['code_files_per_s']:.2f}x")
    print(f"no-change re-index           : median {ours['reindex_s_median']:.2f} s over {repeat} runs, "
          f"{ours['reindex_embeddings']} embeddings computed")  # fmt: skip
    parser_mb = ours.get("parser_rss_mb") or 0
    print(
        f"peak RSS                     : ours {ours['peak_rss_mb']:.0f} MB"
        + (f" (+ {parser_mb:.0f} MB in the parser process)" if parser_mb else "")
        + f", langchain {lc['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
