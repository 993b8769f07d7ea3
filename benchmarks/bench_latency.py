"""Search latency at 1k / 10k / 100k chunks: hybrid search, unfiltered and filtered, beside Chroma's ``where``.

    .venv/bin/python benchmarks/bench_latency.py [--sizes 1000,10000,100000] [--queries 50]
                     [--query-vectors minilm|random] [--keep DIR] [--threads N] [--seed 0]

For each size, a synthetic catalog is written straight into a fresh home (no parsing, no document
embedding: embedding 100k chunks with MiniLM takes an hour on 2 cores): code chunks grouped in
files of 8, with realistic-looking code text (identifiers from a few thousand words, so BM25 has
real postings), metadata as the indexer writes it (``framework.name``, ``architecture_type``,
``model_id``, ``dataset.name``, ``model_dimensions.total_parameters``, ``training_config.*``,
``tags`` lists, ISO dates...) and clustered random unit vectors (384-d), written to the
catalog (documents + embedding cache) and to the Chroma collection, marked synced.

Then, per size, warm (after 3 unmeasured queries per mode, so the per-kind indexes, the BM25
index, the vector matrix and the vocabulary are built), each mode runs ``--queries`` queries:

* ``ours``: ``Hub.search(text, kind="all", where=..., record=False)``: the real path (filters read
  from the words, then dense + BM25 fused by RRF; query analytics not written);
* ``chroma``: ``collection.query(query_embeddings=[v], n_results=100, where=...)`` on the same
  collection with the same query vector, i.e. Chroma's own kNN + metadata filter (no BM25, no
  fusion: less work than ours; it is the alternative a filtered query would otherwise go to).

Modes: unfiltered; ``framework.name=pytorch`` (~50%); ``dataset.name=<one of 20>`` (~5%);
``model_id=<one of 1000>`` (~0.1%); ``model_dimensions.total_parameters`` in 100M..1B (~20%).

Columns: ``match`` the share of chunks the filter keeps; ``ours``/``chroma where`` p50 and p95 in
ms; ``embed`` the query embedding alone (inside ``ours``); ``mask`` the filter's mask computed afresh
(search caches it per clause, so a repeated filter pays it once), median of 5; ``hits`` results
returned (ours: top 10; Chroma: up to 100).

Query vectors: with ``--query-vectors minilm`` (default) ``ours`` embeds the query text with the real
MiniLM (its time is in ``ours``, shown alone in the ``embed`` column) and Chroma gets the same vector;
with ``random`` a seeded random unit vector per query text stands in (no model load). The document
vectors are random either way, so rankings mean nothing here: this measures time only.

``--keep DIR`` keeps the built homes in DIR and reuses them on the next run (a 100k build takes
minutes, mostly Chroma's HNSW insert).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHUNKS_PER_FILE = 8
DIM = 384
BUILD_VERSION = "1"  # bump when the generator changes: --keep homes of another version are rebuilt

FRAMEWORKS = [("pytorch", 50), ("tensorflow", 20), ("jax", 15), ("keras", 10), ("mlx", 5)]
ARCHITECTURES = ["transformer", "cnn", "rnn", "mlp", "diffusion", "gan", "vit", "moe"]
DATASETS = [
    "wikitext-103", "wikitext-2", "openwebtext", "bookcorpus", "tiny_shakespeare", "ag_news", "imdb",
    "yelp_polarity", "sst2", "dbpedia_14", "cifar-10", "cifar-100", "imagenet-1k", "mnist", "fashion_mnist",
    "celeba", "lsun_bedroom", "coco", "laion-400m", "the_pile",
]  # fmt: skip
OPTIMIZERS = ["adamw", "adam", "sgd", "lion", "adafactor", "rmsprop"]
SECTIONS = ["model_definition", "training_loop", "data_loading", "evaluation", "config", "utilities"]
TAGS = ["baseline", "ablation", "production", "experimental", "distilled", "quantized", "finetuned", "legacy"]
N_MODELS = 1000  # model ids: each on ~0.1% of the chunks
WORDS = (
    "attention head layer norm embed token position rotary mask causal cross self query key value proj "
    "linear conv pool stride kernel padding dilation residual block stage encoder decoder bottleneck "
    "dropout activation gelu relu silu softmax logits loss grad clip scale schedule warmup cosine decay "
    "step epoch batch loader dataset sampler shuffle collate tokenizer vocab checkpoint save load resume "
    "optimizer momentum beta weight bias init xavier kaiming normal uniform eval metric accuracy "
    "perplexity bleu fid score noise timestep beta_schedule unet latent vae diffusion denoise sample "
    "generator discriminator critic gradient penalty lstm gru hidden cell state sequence pack pad "
    "distributed rank world device cuda amp autocast scaler ema shadow mixup cutmix augment crop flip "
    "resize normalize mean std config args parser yaml json logger wandb tensorboard profile benchmark"
).split()
QUERIES = [
    "causal self attention with rotary embeddings",
    "training loop with gradient clipping and warmup",
    "load checkpoint and resume optimizer state",
    "data loader with shuffle and collate function",
    "residual block with batch norm and dropout",
    "evaluate perplexity on the validation set",
    "denoise latent with unet timestep schedule",
    "discriminator gradient penalty loss",
    "mixed precision autocast with grad scaler",
    "exponential moving average of weights",
    "tokenizer vocab and padding mask",
    "cosine learning rate decay schedule",
    "distributed data parallel world size rank",
    "lstm hidden state sequence packing",
    "save logits and accuracy metric to logger",
    "kaiming init for conv layers",
]


@dataclass(frozen=True)
class Mode:
    name: str
    where: list[str]  # ours
    chroma: dict[str, Any] | None  # Chroma's where


def modes(model: str) -> list[Mode]:
    """The filters measured; ``model``: a model id the catalog holds (each is on ~0.1% of 100k chunks)."""
    dataset = DATASETS[3]
    return [
        Mode("unfiltered", [], None),
        Mode("~50% framework", ["framework.name=pytorch"], {"framework.name": "pytorch"}),
        Mode("~5% dataset", [f"dataset.name={dataset}"], {"dataset.name": dataset}),
        Mode("~0.1% model_id", [f"model_id={model}"], {"model_id": model}),
        Mode(
            "range params",
            ["model_dimensions.total_parameters>=100M", "model_dimensions.total_parameters<=1B"],
            {
                "$and": [
                    {"model_dimensions.total_parameters": {"$gte": 100_000_000}},
                    {"model_dimensions.total_parameters": {"$lte": 1_000_000_000}},
                ]
            },
        ),
    ]


# ----------------------------------------------------------------------------- the synthetic catalog


def _code(rng: random.Random, symbol: str, section: str) -> str:
    words = rng.sample(WORDS, 12)
    args = ", ".join(f"{w}_{rng.choice(WORDS)}" for w in words[:3])
    body = "\n".join(
        f"    {rng.choice(WORDS)}_{rng.choice(WORDS)} = {rng.choice(WORDS)}({rng.choice(WORDS)}, "
        f"{rng.choice(WORDS)}={rng.randint(0, 4096)})"
        for _ in range(rng.randint(6, 14))
    )
    doc = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
    return f'def {symbol}(self, {args}):\n    """{section}: {doc}."""\n{body}\n    return {words[-1]}'


def build(home: Path, size: int, embedder_name: str, seed: int) -> None:
    """Write ``size`` code chunks into a fresh home's catalog and Chroma collection."""
    from modelhub_jupyter import schemas
    from modelhub_jupyter.config import Settings
    from modelhub_jupyter.store import Catalog, DocRow, VectorStore

    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    settings = Settings(home=home)
    catalog = Catalog(settings.catalog_path)
    version = schemas.current_version("model_script")
    centroids = nprng.standard_normal((256, DIM)).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    fw_names, fw_weights = zip(*FRAMEWORKS, strict=True)
    docs: list[DocRow] = []
    root = "/bench/ws"
    for f in range(0, size, CHUNKS_PER_FILE):
        model_n = rng.randrange(N_MODELS)
        model_id = f"org{model_n % 37}/model-{model_n:04d}"
        framework = rng.choices(fw_names, fw_weights)[0]
        arch = rng.choice(ARCHITECTURES)
        relpath = f"{arch}/{framework}/m{model_n:04d}/train_{f // CHUNKS_PER_FILE:06d}.py"
        day = rng.randrange(1, 900)
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_640_995_200 + day * 86400))
        file_md: dict[str, Any] = {
            "filename": relpath.rsplit("/", 1)[1],
            "filepath": relpath,
            "root": root,
            "creation_date": created,
            "last_modified_date": created,
            "authors": rng.sample(["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"], 2),
            "type": "model_script",
            "language": "python",
            "model_id": model_id,
            "model_family": f"family-{model_n % 50:02d}",
            "architecture_type": arch,
            "framework": {"name": framework, "version": rng.choice(["2.3.1", "2.14.1", "0.4.30"])},
            "dataset": {"name": rng.choice(DATASETS)},
            "model_dimensions": {
                "total_parameters": int(10 ** rng.uniform(6, 11)),
                "hidden_size": rng.choice([256, 512, 768, 1024, 2048, 4096]),
                "num_layers": rng.choice([2, 4, 6, 12, 24, 32, 48]),
            },
            "training_config": {
                "learning_rate": round(10 ** rng.uniform(-5, -2), 7),
                "batch_size": rng.choice([8, 16, 32, 64, 128, 256]),
                "optimizer": rng.choice(OPTIMIZERS),
                "epochs": rng.randint(1, 100),
            },
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
        }
        path = f"{root}/{relpath}"
        for c in range(min(CHUNKS_PER_FILE, size - f)):
            symbol = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{c}"
            section = rng.choice(SECTIONS)
            content = _code(rng, symbol, section)
            md = dict(file_md)
            md.update(
                section_type=section,
                chunk_id=c,
                chunk_type="function",
                symbol=symbol,
                breadcrumb=f"{relpath} › {symbol}(self)",
                start_line=1 + 20 * c,
                end_line=18 + 20 * c,
            )
            text_hash = hashlib.sha256(content.encode()).hexdigest()
            docs.append(
                DocRow(f"{path}#{c}", path, "code", "model_script", version, content, text_hash, md, {})
            )
    vectors = centroids[nprng.integers(0, len(centroids), len(docs))]
    vectors = vectors + 0.35 * nprng.standard_normal(vectors.shape).astype(np.float32) / np.sqrt(DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors.astype(np.float32)
    by_file: dict[str, list[DocRow]] = {}
    for d in docs:
        by_file.setdefault(d.file_path, []).append(d)
    with catalog.transaction():
        catalog.add_root(root)
        for path, rows in by_file.items():
            catalog.replace_documents(path, rows)
        catalog.cache_vectors(
            embedder_name, {d.text_hash or "": v for d, v in zip(docs, vectors, strict=True)}
        )
    store = VectorStore(settings.chroma_path, embedder_name)
    step = 5000
    for start in range(0, len(docs), step):
        part = docs[start : start + step]
        store.upsert("code", [d.id for d in part], vectors[start : start + step], [d.metadata for d in part])
        catalog.mark_synced([d.id for d in part])
    catalog.set_meta("bench_latency", f"{BUILD_VERSION}:{size}:{seed}:{embedder_name}")
    catalog.close()


# ----------------------------------------------------------------------------- query embedders


class RandomQueries:
    """A seeded random unit vector per query text (``--query-vectors random``): no model to load."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def dim(self) -> int:
        return DIM

    def embed(self, texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            out.append(v / np.linalg.norm(v))
        return np.stack(out)


class Timed:
    """Wraps the embedder so the benchmark can tell embedding time from the rest."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.last_s = 0.0
        self.last: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        start = time.perf_counter()
        out = self.inner.embed(texts)
        self.last_s = time.perf_counter() - start
        self.last = out
        return out


# ----------------------------------------------------------------------------- measuring


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(home: Path, size: int, embedder: Timed, n_queries: int, seed: int) -> list[dict[str, Any]]:
    from modelhub_jupyter import Hub
    from modelhub_jupyter.config import Settings

    hub = Hub(settings=Settings(home=home), embedder=embedder)  # type: ignore[arg-type]
    collection = hub.vectors.collection("code")
    rows = []
    start = time.perf_counter()
    hub.search(QUERIES[0], record=False)  # builds the per-kind indexes, BM25, vocabulary
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    hub.search(QUERIES[1], where="training_config.epochs>1", record=False)  # loads the vector matrix
    first_filtered_s = time.perf_counter() - start
    docs = hub._search_engine()._index("code").docs  # noqa: SLF001
    for mode in modes(str(docs[len(docs) // 2].metadata["model_id"])):
        texts = [QUERIES[i % len(QUERIES)] for i in range(n_queries + 3)]
        ours, embed, chroma, hits, chroma_hits, understood = [], [], [], [], [], 0
        for i, text in enumerate(texts):
            t = time.perf_counter()
            res = hub.search(text, kind="all", where=mode.where or None, record=False)
            took = time.perf_counter() - t
            embed_took = embedder.last_s
            assert embedder.last is not None
            vec = embedder.last[0]  # the vector ours ranked by, for Chroma
            t = time.perf_counter()
            got = collection.query(
                query_embeddings=[vec], n_results=100, where=mode.chroma, include=["distances"]
            )
            chroma_took = time.perf_counter() - t
            if i < 3:
                continue  # warm-up
            ours.append(took)
            embed.append(embed_took)
            chroma.append(chroma_took)
            hits.append(len(res.hits))
            chroma_hits.append(len(got["ids"][0]))
            understood += bool(res.understood)
        engine = hub._search_engine()  # noqa: SLF001
        index = engine._index("code")  # noqa: SLF001
        matched = engine._allowed(index, _clauses(mode.where)) if mode.where else None  # noqa: SLF001
        share = 1.0 if matched is None else float(np.mean(matched))
        mask_ms = _mask_ms(index, _clauses(mode.where)) if mode.where else 0.0
        rows.append(
            {
                "size": size,
                "mode": mode.name,
                "share": share,
                "ours_p50": 1000 * statistics.median(ours),
                "ours_p95": 1000 * pct(ours, 0.95),
                "embed_p50": 1000 * statistics.median(embed),
                "chroma_p50": 1000 * statistics.median(chroma),
                "chroma_p95": 1000 * pct(chroma, 0.95),
                "mask_ms": mask_ms,
                "hits": statistics.median(hits),
                "chroma_hits": statistics.median(chroma_hits),
                "understood": understood,
                "first_s": first_s,
                "first_filtered_s": first_filtered_s,
            }
        )
    hub.close()
    return rows


def _mask_ms(index: Any, clauses: list[Any]) -> float:
    """The filter's mask computed afresh (search caches it per clause), median of 5, in ms."""
    columns = getattr(index, "columns", None)
    if columns is None:  # a release without columnar filters: the per-document predicate
        from modelhub_jupyter.search import filters

        def once() -> Any:
            return [filters.matches(d.metadata, clauses) for d in index.docs]
    else:

        def once() -> Any:
            return [columns.column(c.key).compare(c.op, c.value) for c in clauses]

    times = []
    for _ in range(5):
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def _clauses(where: list[str]) -> list[Any]:
    from modelhub_jupyter.search import filters

    return filters.parse(where)


def ensure_home(base: Path, size: int, embedder_name: str, seed: int, rebuild: bool) -> tuple[Path, float]:
    home = base / f"n{size}-s{seed}"
    tag = f"{BUILD_VERSION}:{size}:{seed}:{embedder_name}"
    if home.exists() and not rebuild:
        import sqlite3

        try:
            db = sqlite3.connect(str(home / "catalog.sqlite"))
            row = db.execute("SELECT value FROM meta WHERE key='bench_latency'").fetchone()
            db.close()
            if row and row[0] == tag:
                return home, 0.0
        except sqlite3.Error:
            pass
    shutil.rmtree(home, ignore_errors=True)
    start = time.perf_counter()
    build(home, size, embedder_name, seed)
    return home, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--queries", type=int, default=40, help="measured queries per mode (after 3 warm-ups)"
    )
    parser.add_argument("--query-vectors", choices=("minilm", "random"), default="minilm")
    parser.add_argument("--keep", type=Path, help="keep the built homes here and reuse them")
    parser.add_argument("--rebuild", action="store_true", help="with --keep: build again")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for the query embedding")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    from modelhub_jupyter.config import Settings

    if args.query_vectors == "minilm":
        from modelhub_jupyter.embed.text import TextEmbedder

        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        settings = Settings()
        inner: Any = TextEmbedder(settings.embed_model)
        inner.embed(["warm up"])
    else:
        inner = RandomQueries("bench-random-384")
    embedder = Timed(inner)
    base = args.keep or Path(tempfile.mkdtemp(prefix="modelhub-latency-"))
    base.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for size in sizes:
            home, built_s = ensure_home(base, size, embedder.name, args.seed, args.rebuild)
            note = f"built in {built_s:.0f} s" if built_s else "reused"
            print(f"[{size:,} chunks: {note}; measuring]", file=sys.stderr, flush=True)
            results += measure(home, size, embedder, args.queries, args.seed)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(
        f"\nwarm search latency, ms ({args.queries} queries per row after 3 warm-ups; "
        f"query vectors: {args.query_vectors}; ours = Hub.search hybrid dense+BM25 incl. embed)"
    )
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    head = (
        f"{'chunks':>7}  {'filter':<16} {'match':>6}  {'ours p50':>8} {'p95':>6}  {'embed':>5}  "
        f"{'chroma where p50':>16} {'p95':>6}  {'mask':>5}  {'hits':>4} {'chroma':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['size']:>7,}  {r['mode']:<16} {100 * r['share']:>5.1f}%  {r['ours_p50']:>8.1f} "
            f"{r['ours_p95']:>6.1f}  {r['embed_p50']:>5.1f}  {r['chroma_p50']:>16.1f} {r['chroma_p95']:>6.1f}  "
            f"{r['mask_ms']:>5.1f}  "
            f"{r['hits']:>4.0f} {r['chroma_hits']:>6.0f}"
            + (f"  ({r['understood']} read filters from words)" if r["understood"] else "")
        )
    firsts = {r["size"]: (r["first_s"], r["first_filtered_s"]) for r in results}
    print(
        "\nfirst query after open (loads documents, builds BM25 + vocabulary) / first filtered one "
        "(loads the vector matrix, builds a column): "
        + ", ".join(f"{s:,}: {a:.1f} s / {b:.1f} s" for s, (a, b) in firsts.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
