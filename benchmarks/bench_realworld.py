"""Extraction accuracy, retrieval and index speed on the public development corpus (issue 12).

    .venv/bin/python benchmarks/bench_realworld.py --mirrors DIR [--out DIR] [--no-speed]
                                                   [--repeat N] [--verbose] [--speed-only [--profile FILE]]
                                                   [--modes hybrid,dense,keyword] [--doc-precision int8,fp32]

1. Materialises the corpus of ``benchmarks/realworld/manifest.yaml`` from the folder of git mirrors
   (``realworld/materialise.py``: blob ids checked, nothing from a repository executed) into
   ``--out`` (created, must be empty) or a temp dir.
2. Indexes it with :class:`~modelhub_jupyter.Hub` into a fresh temp home and compares what
   ``hub.show(file)`` holds with ``realworld/labels.yaml`` (a file in a part folder of a model folder,
   such as a diffusers pipeline's ``unet/config.json``, on the folder's ``components.<part>``). A label is right when the value for its
   key is present and equal: numbers within a relative 1e-6 (integers exactly), prompts after
   case-folding and collapsing whitespace, other strings after case-folding and keeping letters and
   digits only; a list value is right if one element matches; ``any_of`` accepts any spelling
   listed. A file inside a model folder that has no document of its own is looked up as the
   folder. Prints accuracy overall, by group and by field, and every miss (file, field, expected,
   got).
3. Retrieval: nDCG@10, Recall@10 and MRR@10 of ``realworld/queries.yaml`` (the gold format and the
   scorer of ``bench_retrieval.py``) in hybrid, dense and keyword modes.
4. Speed (unless ``--no-speed``): cold index end to end, each run a fresh process and a fresh home,
   timed from the parent (interpreter start, imports, model load, parsing, embedding, writes, exit):
     ours (all files)     the whole corpus;
     ours (code)          the ``*.py`` files only (``exclude`` everything else), once per
                          ``--doc-precision`` (``ours-code``: the default, documents embedded
                          through the int8 copy of the ONNX export; ``ours-code@fp32``: through
                          the fp32 copy, ``MODELHUB_EMBED_DOC_PRECISION=fp32``; queries stay fp32);
     langchain (code)     DirectoryLoader(**/*.py, TextLoader) + RecursiveCharacterTextSplitter
                          .from_language(PYTHON, chunk_size=1000) + Chroma.from_documents with the
                          same MiniLM through HuggingFaceEmbeddings, as in bench_index.py;
   files/s for each and ours/langchain on code. The main run (step 2) has already loaded the
   embedder once on this machine, so one-time per-machine work (the ONNX copy) is not in them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REALWORLD = HERE / "realworld"
LABELS = REALWORLD / "labels.yaml"
QUERIES = REALWORLD / "queries.yaml"
MODES = ("hybrid", "dense", "keyword")
REL_TOL = 1e-6
TEXT_FIELDS = {"prompt", "negative_prompt"}
#: everything in the corpus that is not a ``*.py`` file (the code-only runs see what LangChain loads)
NOT_CODE = (
    "*.png",
    "*.jpg",
    "*.webp",
    "*.json",
    "*.yaml",
    "*.yml",
    "*.toml",
    "*.gguf",
    "*.safetensors",
    "*.md",
    "*.ipynb",
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REALWORLD))


# ----------------------------------------------------------------------------- labels and matching


def load_labels(path: Path = LABELS) -> dict[str, dict[str, dict[str, Any]]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): dict(v) for k, v in data["files"].items()}


def _norm_text(value: str) -> str:
    return " ".join(value.split()).casefold()


def _norm_name(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", value.casefold())


def _as_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
    return None


def value_matches(field: str, expected: Any, got: Any) -> bool:
    """Whether the engine's ``got`` is the labelled ``expected`` (see the module docstring)."""
    if got is None:
        return False
    if isinstance(got, list | tuple):
        return any(value_matches(field, expected, item) for item in got)
    if isinstance(got, dict):  # e.g. {"name": ...}: compare the name
        return "name" in got and value_matches(field, expected, got["name"])
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected == got
    if isinstance(expected, int | float):
        number = _as_number(got)
        if number is None:
            return False
        if isinstance(expected, int) and isinstance(number, int):
            return expected == number
        return math.isclose(float(expected), float(number), rel_tol=REL_TOL, abs_tol=0.0)
    if isinstance(expected, str):
        if not isinstance(got, str | int | float):
            return False
        if field in TEXT_FIELDS:
            return _norm_text(expected) == _norm_text(str(got))
        return _norm_name(expected) == _norm_name(str(got)) and _norm_name(expected) != ""
    return bool(expected == got)


def label_matches(field: str, label: dict[str, Any], got: Any) -> bool:
    options = label["any_of"] if "any_of" in label else [label["value"]]
    return any(value_matches(field, option, got) for option in options)


def expected_text(label: dict[str, Any]) -> str:
    value = label["any_of"] if "any_of" in label else label["value"]
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 70 else text[:67] + "..."


def get_field(metadata: dict[str, Any], field: str) -> Any:
    """The value of a dotted key in nested metadata (a flat dotted key is read too)."""
    if field in metadata:
        return metadata[field]
    node: Any = metadata
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# ----------------------------------------------------------------------------- accuracy


def component_of(metadata: dict[str, Any], shown: str, relpath: str) -> dict[str, Any]:
    """A file in a part folder of a model folder (``unet/config.json`` of a diffusers pipeline) is
    scored on what the folder's document holds for that part (``components.unet``), if anything."""
    if shown == relpath or not relpath.startswith(shown + "/"):
        return metadata
    part = relpath[len(shown) + 1 :].split("/", 1)[0]
    found = (metadata.get("components") or {}).get(part)
    return found if isinstance(found, dict) and found else metadata


def file_metadata(hub: Any, corpus: Path, relpath: str) -> tuple[dict[str, Any], str]:
    """The metadata the hub holds for a corpus file (or its model folder), and what was shown."""
    target = corpus / relpath
    candidates = [target] + [p for p in target.parents if p != corpus and corpus in p.parents]
    last_error = "not indexed"
    for candidate in candidates:
        try:
            view = hub.show(candidate)
        except Exception as exc:  # noqa: BLE001 - a file the hub refuses is a miss, with the reason
            last_error = f"{type(exc).__name__}: {exc}"
            continue
        if view.metadata:
            shown = str(candidate.relative_to(corpus))
            return component_of(view.metadata, shown, relpath), shown
        last_error = view.error or "no metadata"
    return {}, last_error


def score_fields(
    hub: Any, corpus: Path, labels: dict[str, dict[str, dict[str, Any]]], groups: dict[str, str]
) -> list[dict[str, Any]]:
    rows = []
    for relpath, fields in labels.items():
        metadata, shown = file_metadata(hub, corpus, relpath)
        for field, label in fields.items():
            got = get_field(metadata, field) if metadata else None
            rows.append(
                {
                    "file": relpath,
                    "group": groups.get(relpath, "?"),
                    "field": field,
                    "right": label_matches(field, label, got),
                    "expected": expected_text(label),
                    "got": got if metadata else f"(no document: {shown})",
                }
            )
    return rows


def parse_corpus(corpus: Path) -> dict[str, dict[str, Any]]:
    """The first document's metadata of every scanned file, parsed in this process (no index)."""
    from modelhub_jupyter.ingest import pipeline
    from modelhub_jupyter.ingest.git_history import repo_history
    from modelhub_jupyter.ingest.scanner import scan

    git = repo_history(corpus)
    out: dict[str, dict[str, Any]] = {}
    for file in scan(corpus).files:
        outcome = pipeline.build(file, corpus, pipeline.history(file, corpus, git), None)
        out[file.relpath] = outcome.docs[0].metadata if outcome.docs else {"_error": outcome.error}
    return out


def score_parsed(
    parsed: dict[str, dict[str, Any]], labels: dict[str, dict[str, dict[str, Any]]], groups: dict[str, str]
) -> list[dict[str, Any]]:
    """:func:`score_fields` over :func:`parse_corpus`'s metadata (a file in a model folder: the folder's)."""
    rows = []
    for relpath, fields in labels.items():
        parts = relpath.split("/")
        candidates = ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]
        shown = next((c for c in candidates if parsed.get(c)), None)
        metadata = component_of(parsed[shown], shown, relpath) if shown else {}
        for field, label in fields.items():
            got = get_field(metadata, field) if metadata else None
            rows.append(
                {
                    "file": relpath,
                    "group": groups.get(relpath, "?"),
                    "field": field,
                    "right": label_matches(field, label, got),
                    "expected": expected_text(label),
                    "got": got if metadata else "(no document)",
                }
            )
    return rows


def _share(rows: list[dict[str, Any]]) -> str:
    right = sum(r["right"] for r in rows)
    return f"{right / len(rows):.3f} ({right}/{len(rows)})" if rows else "-"


def print_accuracy(rows: list[dict[str, Any]], verbose: bool) -> None:
    files = len({r["file"] for r in rows})
    print(f"\nfield accuracy on {files} labelled files, {len(rows)} labels: {_share(rows)}")
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_field: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_group[r["group"]].append(r)
        by_field[r["field"]].append(r)
    print(f"\n{'group':<14} {'files':>5}  accuracy")
    for group in sorted(by_group):
        n = len({r["file"] for r in by_group[group]})
        print(f"{group:<14} {n:>5}  {_share(by_group[group])}")
    print(f"\n{'field':<38} accuracy")
    for field in sorted(by_field, key=lambda f: (-len(by_field[f]), f)):
        print(f"{field:<38} {_share(by_field[field])}")
    misses = [r for r in rows if not r["right"]]
    print(f"\n{len(misses)} misses (file, field, expected, got):")
    for r in sorted(misses, key=lambda r: (r["group"], r["file"], r["field"])):
        got = json.dumps(r["got"], ensure_ascii=False, default=str)
        if not verbose and len(got) > 70:
            got = got[:67] + "..."
        print(f"  [{r['group']}] {r['file']} | {r['field']} | expected {r['expected']} | got {got}")


# ----------------------------------------------------------------------------- retrieval


def run_retrieval(hub: Any, queries_path: Path, verbose: bool, modes: tuple[str, ...] = MODES) -> None:
    from bench_retrieval import evaluate, load_gold, print_failures

    queries = load_gold(queries_path)
    hub.search("warm up", kind="code", limit=1)
    print(f"\nretrieval on {len(queries)} queries ({queries_path.name}, k=10, means over queries)")
    head = f"{'mode':<8} {'nDCG@10':>8} {'Recall@5':>9} {'Recall@10':>10} {'MRR@10':>8} {'misses':>7} {'ms/query':>9}"
    print(head)
    print("-" * len(head))
    results = []
    for mode in modes:
        r = evaluate(hub, queries, mode)
        results.append(r)
        print(
            f"{mode:<8} {r.ndcg:>8.3f} {r.recall5:>9.3f} {r.recall:>10.3f} {r.mrr:>8.3f} {len(r.failures):>7} "
            f"{r.ms_per_query:>9.1f}"
        )
    styles = sorted({q.style for q in queries})
    print("\nnDCG@10 by query style\n" + f"{'mode':<8} " + " ".join(f"{s[:10]:>10}" for s in styles))
    for r in results:
        cells = [statistics.mean(s.ndcg for q, s, _ in r.per_query if q.style == st) for st in styles]
        print(f"{r.mode:<8} " + " ".join(f"{c:>10.3f}" for c in cells))
    print(f"{'(queries)':<8} " + " ".join(f"{sum(q.style == s for q in queries):>10}" for s in styles))
    if verbose:
        for r in results:
            print_failures("auto", r)


# ----------------------------------------------------------------------------- speed


def worker_ours(corpus: Path, home: Path, code_only: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    from modelhub_jupyter import Hub
    from modelhub_jupyter.config import Settings

    t_import = time.perf_counter() - t0
    hub = Hub(settings=Settings(home=home))
    exclude = NOT_CODE if code_only else ()
    report = hub.index(corpus, progress=False, exclude=exclude)
    counts = hub.catalog.document_counts()
    hub.close()
    return {
        "files": report.files_seen,
        "indexed": report.indexed,
        "errors": len(report.errors),
        "chunks": counts.get("code", 0),
        "import_s": t_import,
        "in_process_s": time.perf_counter() - t0,
    }


def worker_langchain(corpus: Path, home: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import DirectoryLoader, TextLoader
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    from modelhub_jupyter.embed.text import default_text_model

    t_import = time.perf_counter() - t0
    embeddings = HuggingFaceEmbeddings(model_name=default_text_model())
    docs = DirectoryLoader(str(corpus), glob="**/*.py", loader_cls=TextLoader).load()
    splitter = RecursiveCharacterTextSplitter.from_language(Language.PYTHON, chunk_size=1000)
    chunks = splitter.split_documents(docs)
    Chroma.from_documents(chunks, embeddings, persist_directory=str(home / "lc"))
    return {
        "files": len(docs),
        "chunks": len(chunks),
        "import_s": t_import,
        "in_process_s": time.perf_counter() - t0,
    }


def _run_worker(name: str, corpus: Path) -> dict[str, Any]:
    worker, _, precision = name.partition("@")  # ours-code@fp32: documents embedded in fp32
    env = dict(os.environ, MODELHUB_EMBED_DOC_PRECISION=precision or "auto")  # auto: the default, int8
    with tempfile.TemporaryDirectory(prefix="bench-realworld-") as tmp:
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--worker", worker, "--corpus", str(corpus), "--home", str(Path(tmp) / "home")],
            capture_output=True, text=True, check=False, env=env,
        )  # fmt: skip
        wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["files_per_s"] = result["files"] / wall
    return result


def run_speed(
    corpus: Path, repeat: int, code_only: bool = False, precisions: tuple[str, ...] = ("int8",)
) -> None:
    """Cold runs of each pipeline; ``precisions``: one "ours (code)" run each, its documents embedded
    in that precision (``MODELHUB_EMBED_DOC_PRECISION``; the int8 copy is made here first, once)."""
    from modelhub_jupyter.embed.text import DEFAULT_DOC_PRECISION

    if "int8" in precisions:
        from modelhub_jupyter.embed import onnx_model
        from modelhub_jupyter.embed.text import TextEmbedder

        onnx_model.quantize(TextEmbedder().onnx_folder)  # one-time per-machine work, as the ONNX export
    runs: dict[str, list[dict[str, Any]]] = {"ours-all": []}
    runs.update({"ours-code" + ("" if p == DEFAULT_DOC_PRECISION else f"@{p}"): [] for p in precisions})
    runs["langchain-code"] = []
    if code_only:
        del runs["ours-all"]
    for _ in range(repeat):
        for name in runs:  # interleaved, so a busy spell of the machine hits each pipeline alike
            runs[name].append(_run_worker(name, corpus))
    med = {
        name: min(rs, key=lambda r: r["wall_s"]) if len(rs) == 1 else _median(rs) for name, rs in runs.items()
    }
    print(f"\ncold index, end to end (fresh process and home; median of {repeat} run(s) each)")
    head = f"{'pipeline':<16} {'files':>6} {'chunks':>7} {'wall s':>8} {'imports s':>10} {'files/s':>8}"
    print(head)
    print("-" * len(head))
    for name, r in med.items():
        print(
            f"{name:<16} {r['files']:>6} {r['chunks']:>7} {r['wall_s']:>8.1f} {r['import_s']:>10.1f} {r['files_per_s']:>8.2f}"
        )
    for name in runs:
        if name.startswith("ours-code"):
            ratio = med[name]["files_per_s"] / med["langchain-code"]["files_per_s"]
            print(
                f"{name} / langchain on code (files/s, imports included): {ratio:.2f}x  (goal of issue 12: >= 2x)"
            )
    errors = med.get("ours-all", {}).get("errors", 0)
    if errors:
        print(f"ours reported {errors} file error(s) on the whole corpus")


def profile_ours(corpus: Path, out: Path) -> None:
    """One cold 'ours (code)' run under cProfile in a fresh process; prints the top 15 by cumulative time."""
    with tempfile.TemporaryDirectory(prefix="bench-realworld-") as tmp:
        cmd = [sys.executable, "-m", "cProfile", "-o", str(out), __file__, "--worker", "ours-code"]
        cmd += ["--corpus", str(corpus), "--home", str(Path(tmp) / "home")]
        subprocess.run(cmd, capture_output=True, check=True)
    import pstats

    print(f"\ncProfile of one cold 'ours (code)' run ({out}), top 15 by cumulative time:")
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(15)


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        k: statistics.median(r[k] for r in results) if isinstance(v, int | float) else v
        for k, v in results[0].items()
    }


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, help="folder of bare git mirrors (<owner>+<name>[/repo])")
    parser.add_argument("--out", type=Path, help="materialise the corpus here (created; default: a temp dir)")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--no-speed", action="store_true", help="skip the cold-index comparison")
    parser.add_argument(
        "--parse-only",
        action="store_true",
        help="field accuracy only, from the parsers in this process (no embedding, retrieval or speed)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="cold runs of each pipeline (median)")
    parser.add_argument(
        "--speed-only", action="store_true", help="only the cold-index comparison (no accuracy or retrieval)"
    )
    parser.add_argument(
        "--profile", type=Path, help="also write a cProfile of one cold 'ours (code)' run here"
    )
    parser.add_argument("--verbose", action="store_true", help="full values in misses; retrieval misses")
    parser.add_argument("--modes", default=",".join(MODES), help="retrieval modes (comma-separated)")
    parser.add_argument(
        "--doc-precision",
        default="int8,fp32",
        help="document embedding precisions of the 'ours (code)' speed runs (comma-separated: fp32, int8)",
    )
    parser.add_argument(
        "--worker", choices=["ours-all", "ours-code", "langchain-code"], help=argparse.SUPPRESS
    )
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        if args.worker == "langchain-code":
            result = worker_langchain(args.corpus, args.home)
        else:
            result = worker_ours(args.corpus, args.home, code_only=args.worker == "ours-code")
        print(json.dumps(result))
        return 0
    if args.mirrors is None:
        parser.error("--mirrors is required")
    modes = tuple(m for m in args.modes.split(",") if m)
    precisions = tuple(p for p in args.doc_precision.split(",") if p)

    from materialise import load_manifest, materialise

    with tempfile.TemporaryDirectory(prefix="bench-realworld-") as tmp:
        corpus = args.out or Path(tmp) / "corpus"
        entries = materialise(args.mirrors, corpus)
        groups = {e.target: e.group for e in entries}
        print(f"corpus: {len(entries)} files from {len({e.repo for e in entries})} repositories at {corpus}")
        counts: dict[str, int] = defaultdict(int)
        for e in load_manifest():
            counts[e.group] += 1
        print("groups: " + ", ".join(f"{g} {n}" for g, n in sorted(counts.items())))

        if args.speed_only:
            run_speed(corpus, max(1, args.repeat), code_only=True, precisions=precisions)
            if args.profile:
                profile_ours(corpus, args.profile)
            return 0
        if args.parse_only:
            rows = score_parsed(parse_corpus(corpus), load_labels(args.labels), groups)
            print_accuracy(rows, args.verbose)
            return 0

        from modelhub_jupyter import Hub
        from modelhub_jupyter.config import Settings

        hub = Hub(settings=Settings(home=Path(tmp) / "home"))
        try:
            t0 = time.perf_counter()
            report = hub.index(corpus, progress=False)
            print(
                f"indexed {report.files_seen} files in {time.perf_counter() - t0:.1f} s "
                f"(this process, model load included), {len(report.errors)} errors"
            )
            for err in report.errors:
                print(f"  error: {err}")
            rows = score_fields(hub, corpus, load_labels(args.labels), groups)
            print_accuracy(rows, args.verbose)
            if args.queries.exists():
                run_retrieval(hub, args.queries, args.verbose, modes)
        finally:
            hub.close()
        if not args.no_speed:
            run_speed(corpus, max(1, args.repeat), precisions=precisions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
