"""Embedding cost alone, in CPU seconds, on the development corpus's code (issue 12, speed).

    .venv/bin/python benchmarks/bench_embed_cpu.py --mirrors DIR [--share 0.25] [--repeat 2]

An index run of code spends nearly all its time in the embedder, and on a shared machine wall time
says more about the neighbours than about the embedder. This prints, for the same random share of
each pipeline's chunks of the corpus's ``*.py`` files, the process CPU seconds (all threads) and the
wall seconds of (medians of ``--repeat`` interleaved rounds):

  ours onnx fp32        our chunks (the parsers' code chunks) through the fp32 ONNX copy;
  ours onnx int8        the same chunks through the int8 copy (``MODELHUB_EMBED_DOC_PRECISION=int8``);
  langchain torch fp32  RecursiveCharacterTextSplitter.from_language(PYTHON, chunk_size=1000) chunks
                        through HuggingFaceEmbeddings (sentence-transformers, torch fp32), as in
                        ``bench_realworld.py``;

and the tokens each reads (at most 256 a chunk). End-to-end figures are ``bench_realworld.py``'s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "realworld"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def our_chunks(corpus: Path) -> list[str]:
    from modelhub_jupyter.ingest import pipeline
    from modelhub_jupyter.ingest.git_history import repo_history
    from modelhub_jupyter.ingest.scanner import scan

    git = repo_history(corpus)
    texts: list[str] = []
    for file in scan(corpus).files:
        if file.relpath.endswith(".py"):
            texts += [
                d.content
                for d in pipeline.build(file, corpus, pipeline.history(file, corpus, git), None).docs
            ]
    return texts


def langchain_chunks(corpus: Path) -> list[str]:
    from langchain_community.document_loaders import DirectoryLoader, TextLoader
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    docs = DirectoryLoader(str(corpus), glob="**/*.py", loader_cls=TextLoader).load()
    splitter = RecursiveCharacterTextSplitter.from_language(Language.PYTHON, chunk_size=1000)
    return [c.page_content for c in splitter.split_documents(docs)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of bare git mirrors")
    parser.add_argument("--share", type=float, default=0.25, help="share of each pipeline's chunks embedded")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    import numpy as np
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from materialise import materialise

    from modelhub_jupyter.embed import onnx_model
    from modelhub_jupyter.embed.text import TextEmbedder, default_text_model

    with tempfile.TemporaryDirectory(prefix="bench-embed-cpu-") as tmp:
        corpus = Path(tmp) / "corpus"
        materialise(args.mirrors, corpus)
        ours_all, lc_all = our_chunks(corpus), langchain_chunks(corpus)
    rng = np.random.default_rng(0)

    def pick(texts: list[str]) -> list[str]:
        return [
            texts[i]
            for i in sorted(rng.choice(len(texts), max(1, int(len(texts) * args.share)), replace=False))
        ]

    ours, lc = pick(ours_all), pick(lc_all)
    embedder = TextEmbedder()
    embedder.embed(["warm up"])  # makes the ONNX copy the first time on this machine (one-time work)
    folder = embedder.onnx_folder
    if folder is None or not onnx_model.available(folder):
        print("no ONNX copy of the default model on this machine")
        return 1
    fp32 = onnx_model.OnnxPool(folder)  # as an index run embeds documents
    int8_folder = onnx_model.quantize(folder)
    hf = HuggingFaceEmbeddings(model_name=default_text_model())
    runs = {"ours onnx fp32": lambda: fp32.encode_many(ours, max_length=256)}
    if int8_folder is not None:
        int8 = onnx_model.OnnxPool(int8_folder)
        runs["ours onnx int8"] = lambda: int8.encode_many(ours, max_length=256)
    runs["langchain torch fp32"] = lambda: hf.embed_documents(lc)
    tokens = {
        "ours": sum(min(len(e.ids), 256) for e in fp32.tokenizer.encode_batch(ours)),
        "langchain": sum(min(len(e.ids), 256) for e in fp32.tokenizer.encode_batch(lc)),
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(max(1, args.repeat)):
        for name, run in runs.items():  # interleaved: a busy spell of the machine hits each alike
            cpu, wall = time.process_time(), time.perf_counter()
            run()
            results[name].append((time.process_time() - cpu, time.perf_counter() - wall))
    print(f"{len(ours)} of our {len(ours_all)} chunks ({tokens['ours']} tokens), {len(lc)} of LangChain's")
    print(f"{len(lc_all)} ({tokens['langchain']} tokens); medians of {args.repeat} round(s)")
    print(f"{'embedder':<22} {'cpu s':>7} {'wall s':>7}")
    for name, rows in results.items():
        cpu = statistics.median(r[0] for r in rows)
        wall = statistics.median(r[1] for r in rows)
        print(f"{name:<22} {cpu:>7.1f} {wall:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
