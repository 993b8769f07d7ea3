"""Image figures (issue 9): metadata pass, thumbnails, CLIP encode, image search and a gallery page,
each against the previous code in the same run where it changed.

Prints, on this machine:

* metadata-only pass (``ingest.images.read_image``: header, PNG text chunks, no pixel decode for
  whole files), images/s, over ``--files`` 512x512 PNGs with A1111 parameters (target >= 1,000/s);
  previous: the pixels decoded for every file (``_read_image(..., decode=True)``);
* thumbnails (``make_thumbnail`` 512 -> 256 px WebP), images/s (target >= 100/s); previous: the
  earlier code (convert + orient at full size, then LANCZOS, WebP method 4), copied below;
* the background thumbnail pass (``ingest.thumbnails.make_missing``) on its threads vs one;
* thumbnails and perceptual hashes in one decode per image (``search.image_pass.SideWork``, the
  pass without weights) vs the previous pass (a thumbnail pass, then a hash pass that decoded
  every file again), both on the same threads; and the thumbnail alone from pixels already
  decoded (``save_thumbnail``: what a thumbnail adds to the CLIP pass now); the single-thread CPU
  cost of ``make_thumbnail`` (images per CPU second: less swayed by other work on the machine);
* CLIP encode with the ViT-B-32 *architecture at random weights* (speed does not depend on the
  weights), from files, preprocessing included, images/s (target >= 10/s), whole images and with
  2x2 region tiles (two passes, as the background pass runs them, and one decode with the whole
  image in the same batches); previous: decode + open_clip preprocessing per image in the calling
  thread (copied below); the tower alone on ready tensors is printed as the ceiling of the same run;
* the CLIP pass with the thumbnails and hashes made from its decodes vs the previous order (CLIP,
  then a thumbnail pass, then a hash pass, each decoding every file);
* the CLIP text tower for a new query over its own tokens vs the whole 77-token context;
* ``hub.index`` of ``--encode`` PNGs with ViT-B-32: seconds until it returns with the encoder in
  the background (prompt search works from then on) against encoding inline;
* ``hub.images.search`` p50 at ``--n`` (default 50,000) synthetic image documents with synthetic
  vectors written straight into a temp catalog: text -> image (prompt-text channel + CLIP text
  tower, a repeated query's vectors cached; the first, uncached query is shown too; previous:
  the prompt channel through ``engine.search`` building 100 hits) and image -> image (one image
  through the vision tower); targets 150 ms and 100 ms;
* a gallery page (``hub.browse("image", offset, limit=60)``, the data the gallery shows, now with
  each hit's ``safety_assessment``) p50 (target 50 ms); previous: the engine's browse alone.

Not a test: it prints figures and asserts nothing.

    .venv/bin/python benchmarks/bench_images.py [--n 50000] [--files 200] [--encode 32] [--queries 15]
        [--parts files,encode,index,search]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

PROMPTS = [
    "a castle at sunset, golden hour",
    "portrait of a woman, studio light",
    "a red sports car on a mountain road",
    "a duck on a pond, morning mist",
    "cyberpunk city street at night, neon",
    "a bowl of fruit, still life, oil painting",
    "a snowy forest cabin, warm windows",
    "an astronaut riding a horse",
]
SAMPLERS = ["Euler a", "DPM++ 2M", "DDIM", "UniPC"]


def p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def make_pngs(dest: Path, n: int) -> list[Path]:
    rng = np.random.default_rng(0)
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        # smooth content (a real PNG's compressibility), not noise
        small = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize((512, 512), Image.Resampling.BICUBIC)
        info = PngInfo()
        info.add_text(
            "parameters",
            f"{PROMPTS[i % len(PROMPTS)]}\nNegative prompt: blurry\nSteps: {20 + i % 20}, "
            f"Sampler: {SAMPLERS[i % 4]}, CFG scale: {5 + i % 6}, Seed: {i}, Size: 512x512, Model: sd15",
        )
        path = dest / f"img_{i:05d}.png"
        img.save(path, pnginfo=info, compress_level=6)
        out.append(path)
    return out


def previous_thumbnail(path: Path, dest: Path, size: int = 256) -> Path:
    """``make_thumbnail`` as it was before (for the same-run comparison)."""
    from modelhub_jupyter.ingest import images as ing

    img, _, _ = ing._open_image(path)
    with img:
        if img.format == "JPEG":
            img.draft("RGB", (size, size))
        ing._load_pixels(img, path)
        picture = ing._to_rgb(ing._upright(img))
        picture.thumbnail((size, size), Image.Resampling.LANCZOS)
        picture.save(dest, "WEBP", quality=85)
    return dest


def rate(fn, paths: list[Path], rounds: int = 3, cpu: bool = False) -> float:
    """Median images/s of ``rounds`` passes of ``fn`` over ``paths`` (``cpu``: per second of this
    thread's CPU time instead of the wall clock)."""
    clock = time.thread_time if cpu else time.perf_counter
    rates = []
    for _ in range(rounds):
        started = clock()
        for p in paths:
            fn(p)
        rates.append(len(paths) / max(clock() - started, 1e-9))
    return statistics.median(rates)


def bench_files(paths: list[Path], work: Path) -> dict[str, float]:
    from modelhub_jupyter.embed.image import load_image
    from modelhub_jupyter.ingest.images import _read_image, make_thumbnail, read_image, save_thumbnail

    thumbs = work / "thumbs"
    thumbs.mkdir(exist_ok=True)
    decoded = {p: load_image(p) for p in paths[:60]}
    return {
        "meta_before": rate(lambda p: _read_image(p, p.name, decode=True), paths),
        "meta": rate(lambda p: read_image(p, p.name), paths),
        "thumb_before": rate(lambda p: previous_thumbnail(p, thumbs / f"{p.stem}.old.webp"), paths),
        "thumb": rate(lambda p: make_thumbnail(p, thumbs / f"{p.stem}.webp", 256), paths),
        "thumb_cpu_before": rate(
            lambda p: previous_thumbnail(p, thumbs / f"{p.stem}.old.webp"), paths, cpu=True
        ),
        "thumb_cpu": rate(lambda p: make_thumbnail(p, thumbs / f"{p.stem}.webp", 256), paths, cpu=True),
        "thumb_decoded": rate(
            lambda p: save_thumbnail(decoded[p], thumbs / f"{p.stem}.d.webp", 256), list(decoded)
        ),
    }


def previous_side_pass(pairs: list[tuple[str, str]], root: Path, threads: int) -> None:
    """The previous background pass without weights (for the same-run comparison): every missing
    thumbnail (``make_missing``), then every perceptual hash, each decoding the file again."""
    from concurrent.futures import ThreadPoolExecutor

    import imagehash

    from modelhub_jupyter.embed.image import load_image
    from modelhub_jupyter.ingest import thumbnails

    def hashes(path: str) -> tuple[str, str]:
        img = load_image(path)
        return str(imagehash.phash(img)), str(imagehash.dhash(img))

    thumbnails.make_missing(pairs, root, threads=threads)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(hashes, [i for i, _ in pairs]))


def bench_side_pass(paths: list[Path], work: Path, rounds: int = 3) -> tuple[float, float, int]:
    """images/s: thumbnails + hashes in one decode per image (``SideWork.run``) vs the previous
    thumbnail pass then hash pass; the same thread count (``thumbnails.workers()``)."""
    from contextlib import nullcontext

    from modelhub_jupyter.ingest import thumbnails
    from modelhub_jupyter.search.image_pass import SideWork

    class NoStore:  # the hashes are kept in memory: this times the decoding, not SQLite
        def put_hash(self, *args: object) -> None:
            pass

    threads = thumbnails.workers()
    out: dict[str, list[float]] = {"now": [], "before": []}
    for r in range(rounds):
        root = work / f"side-now-{r}"
        side = SideWork(
            {str(p): str(p) for p in paths},
            {str(p): [str(root / f"{p.stem}.webp")] for p in paths},
            {str(p) for p in paths},
            root,
        )
        started = time.perf_counter()
        side.run(NoStore(), nullcontext, threads=threads)  # type: ignore[arg-type]
        out["now"].append(len(paths) / (time.perf_counter() - started))
        root = work / f"side-before-{r}"
        pairs = [(str(p), str(root / f"{p.stem}.webp")) for p in paths]
        started = time.perf_counter()
        previous_side_pass(pairs, root, threads)
        out["before"].append(len(paths) / (time.perf_counter() - started))
    return statistics.median(out["now"]), statistics.median(out["before"]), threads


def bench_background(paths: list[Path], work: Path) -> tuple[float, float, float]:
    """Seconds until ``hub.index`` returns: encoder in the background, inline; and the background
    encoder's own time."""
    from modelhub_jupyter import Hub

    out = []
    job_seconds = 0.0
    for background in (True, False):
        with Hub(work / f"home-bg-{background}") as hub:
            hub.images.embedder = vit_b32_random()
            hub.images.background = background
            started = time.perf_counter()
            hub.index(paths[0].parent, progress=False)
            out.append(time.perf_counter() - started)
            if background:
                job_seconds = hub.images.wait()["seconds"]
    return out[0], out[1], job_seconds


def vit_b32_random():
    from open_clip import factory

    from modelhub_jupyter.embed.image import ImageEmbedder

    return ImageEmbedder.from_config(factory.get_model_config("ViT-B-32"), "ViT-B-32")


def previous_encode(embedder, images, boxes=None) -> None:
    """The earlier ``embed_images`` (for the same-run comparison): each image decoded and put through
    open_clip's preprocessing in the calling thread, then a batch of 16 through the tower; the tiles
    decoded again, cropped and preprocessed one by one."""
    import torch

    from modelhub_jupyter.embed.image import _normalise, load_image

    model = embedder._load()
    inputs = []
    for image in images:
        inputs.append(embedder._preprocess(load_image(image)))
    if boxes:
        for image in images:
            img = load_image(image)
            w, h = img.size
            for b in boxes:
                crop = img.crop((int(b[0] * w), int(b[1] * h), int(b[2] * w), int(b[3] * h)))
                inputs.append(embedder._preprocess(crop))
    for start in range(0, len(inputs), 16):
        with torch.inference_mode():
            _normalise(model.encode_image(torch.stack(inputs[start : start + 16])))


def tower_alone(embedder, n: int, threads: int = 0) -> None:
    """The vision tower on ``n`` ready tensors in batches of 16 (on torch's threads, or ``threads``):
    the ceiling for any input path."""
    import torch

    model = embedder._load()
    size = embedder._fast.size if embedder._fast else 224
    x = torch.randn(16, 3, size, size)
    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        with torch.inference_mode():
            for start in range(0, n, 16):
                model.encode_image(x[: min(16, n - start)])
    finally:
        torch.set_num_threads(before)


def bench_encode(embedder, paths: list[Path], rounds: int = 3) -> dict[str, float]:
    """images/s, median of ``rounds``, the variants interleaved (a loaded machine shifts them alike)."""
    from modelhub_jupyter.search.images import tile_boxes

    boxes = tile_boxes((2,))
    embedder.embed_images(paths[:2])  # load + warm up
    whole_and_tiles = [(0.0, 0.0, 1.0, 1.0), *boxes]  # the whole box is the whole-image input
    runs = {
        "tower": lambda: tower_alone(embedder, len(paths)),
        "tower_1": lambda: tower_alone(embedder, len(paths), threads=1),
        "before": lambda: previous_encode(embedder, paths),
        "now": lambda: embedder.embed_images(paths),
        "tiles_before": lambda: previous_encode(embedder, paths, boxes),
        "tiles_now": lambda: (embedder.embed_images(paths), embedder.embed_regions(paths, boxes)),
        "tiles_one": lambda: embedder.embed_regions(paths, whole_and_tiles),
    }
    rates: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            started = time.perf_counter()
            fn()
            rates[name].append(len(paths) / (time.perf_counter() - started))
    return {k: statistics.median(v) for k, v in rates.items()}


def bench_clip_pass(embedder, paths: list[Path], work: Path, rounds: int = 2) -> tuple[float, float]:
    """images/s of the CLIP pass making the thumbnails and hashes from its own decodes
    (``embed_images(with_image=...)``) vs the previous order: CLIP, then the thumbnail pass, then
    the hash pass (each decoding every file); the same threads."""
    from contextlib import nullcontext

    from modelhub_jupyter.ingest import thumbnails
    from modelhub_jupyter.search.image_pass import SideWork

    class NoStore:
        def put_hash(self, *args: object) -> None:
            pass

    keys = [str(p) for p in paths]
    out: dict[str, list[float]] = {"now": [], "before": []}
    for r in range(rounds):
        root = work / f"clip-now-{r}"
        side = SideWork(
            {k: k for k in keys}, {k: [str(root / f"{Path(k).stem}.webp")] for k in keys}, set(keys), root
        )
        started = time.perf_counter()
        embedder.embed_images(
            paths, with_image=lambda i, img, side=side: side.on_image(keys[i], img), min_side=256
        )
        side.run(NoStore(), nullcontext)  # nothing left: every image was decoded once by the CLIP pass
        out["now"].append(len(paths) / (time.perf_counter() - started))
        root = work / f"clip-before-{r}"
        started = time.perf_counter()
        embedder.embed_images(paths)
        previous_side_pass(
            [(k, str(root / f"{Path(k).stem}.webp")) for k in keys], root, thumbnails.workers()
        )
        out["before"].append(len(paths) / (time.perf_counter() - started))
    return statistics.median(out["now"]), statistics.median(out["before"])


def bench_thumbnail_pass(paths: list[Path], work: Path, rounds: int = 3) -> tuple[float, float, int]:
    """images/s of the background thumbnail pass (``ingest.thumbnails.make_missing``) on all its
    threads and on one; and the thread count."""
    from modelhub_jupyter.ingest import thumbnails

    out: dict[int, list[float]] = {}
    threads = thumbnails.workers()
    for r in range(rounds):
        for n in (threads, 1):
            root = work / f"pass-{n}-{r}"
            pairs = [(str(p), str(root / f"{p.stem}.webp")) for p in paths]
            started = time.perf_counter()
            thumbnails.make_missing(pairs, root, threads=n)
            out.setdefault(n, []).append(len(paths) / (time.perf_counter() - started))
    return statistics.median(out[threads]), statistics.median(out[1]), threads


def bench_text_tower(embedder, rounds: int = 15) -> tuple[float, float, float]:
    """ms: a new query through ``embed`` (the text tower over its own tokens, on one thread) and the
    previous way (the whole 77-token context on all torch threads); and the model load the
    gallery's prewarm takes off the first query (s)."""
    import torch

    from modelhub_jupyter.embed.image import _normalise

    fresh = vit_b32_random()
    started = time.perf_counter()
    fresh._load()
    load = time.perf_counter() - started
    model = fresh._load()
    short, full = [], []
    for k in range(rounds):
        text = f"{PROMPTS[k % len(PROMPTS)]} {k}"
        t = time.perf_counter()
        fresh.embed([text])  # now: its own tokens, on query_threads()
        short.append(time.perf_counter() - t)
        with torch.inference_mode():
            t = time.perf_counter()
            _normalise(model.encode_text(fresh._tokenizer([text])))  # before: 77 positions, all threads
            full.append(time.perf_counter() - t)
    return p50(short), p50(full), load


def fill_catalog(hub, n: int, model: str, dim: int, indexed: list[str] = ()) -> None:
    """``n`` image documents (files + documents + perceptual hashes + unit vectors), straight into SQL;
    the first ones carry the content hashes ``indexed`` (so those files count as indexed)."""
    import json

    from modelhub_jupyter import schemas
    from modelhub_jupyter.search.images import ImageStore

    rng = np.random.default_rng(1)
    db = hub.catalog.db
    root = "/bench/outputs"
    store = ImageStore(hub.catalog)
    text_dim = hub.embedder.dim
    version = schemas.current_version("generated_image")
    with hub.catalog.transaction():
        hub.catalog.add_root(root)
        for start in range(0, n, 5000):
            files, docs, hashes, vecs, texts = [], [], [], [], []
            block = rng.standard_normal((min(5000, n - start), dim)).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            tblock = rng.standard_normal((len(block), text_dim)).astype(np.float32)
            tblock /= np.linalg.norm(tblock, axis=1, keepdims=True)
            for j in range(len(block)):
                i = start + j
                rel = f"img_{i:06d}.png"
                path = f"{root}/{rel}"
                sha = hashlib.sha256(path.encode()).hexdigest() if i >= len(indexed) else indexed[i]
                prompt = f"{PROMPTS[i % len(PROMPTS)]}, variation {i % 97}"
                content = f"{rel}\nprompt: {prompt}\nsampler: {SAMPLERS[i % 4]}"
                th = hashlib.sha256(content.encode()).hexdigest()
                md = {
                    "filepath": rel, "root": root, "prompt": prompt, "sampler": SAMPLERS[i % 4],
                    "guidance_scale": 5 + i % 6, "resolution": {"width": 512, "height": 512}, "format": "png",
                }  # fmt: skip
                files.append((path, root, rel, "image", 1000, 0, sha, "indexed", None, None, 0.0, 0, None))
                docs.append(
                    (f"img-{i}", path, "image", "generated_image", version, content, th, json.dumps(md), "{}")
                )
                hashes.append((sha, f"{int(rng.integers(0, 2**63)):016x}", "0" * 16, None))
                vecs.append((model, sha, -1, "[0.0, 0.0, 1.0, 1.0]", block[j].tobytes()))
                texts.append((hub.embedder.name, th, tblock[j].tobytes()))
            db.executemany(f"INSERT INTO files VALUES ({','.join('?' * 13)})", files)
            db.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,1)", docs)
            db.executemany("INSERT INTO image_hashes VALUES (?,?,?,?)", hashes)
            db.executemany("INSERT INTO image_vectors VALUES (?,?,?,?,?)", vecs)
            db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?,?,?)", texts)
        hub.catalog.bump_generation()
    del store


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--encode", type=int, default=32)
    ap.add_argument("--queries", type=int, default=15)
    ap.add_argument(
        "--parts",
        default="files,encode,index,search",
        help="which figures: files (metadata, thumbnails, hashes), encode (CLIP), index, search (the --n store)",
    )
    args = ap.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",")}
    print("load average at start: {:.1f} {:.1f} {:.1f} ({} CPUs)".format(*os.getloadavg(), os.cpu_count()))
    try:
        return run(args, parts)
    finally:
        print("load average at end:   {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


def run(args: argparse.Namespace, parts: set[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = make_pngs(work / "pngs", max(args.files, args.queries, args.encode))
        print("                         now      before (same run)")
        if "files" in parts:
            bench_file_figures(args, paths[: args.files], work)
        clip = vit_b32_random()
        if "encode" in parts:
            bench_encode_figures(args, clip, paths, work)
        if "index" in parts:
            small = make_pngs(work / "index-me", args.encode)
            bg, inline, job = bench_background(small, work)
            print(
                f"index returns after  {bg:8.1f}   {inline:8.1f} s         ({args.encode} PNGs, ViT-B-32 in the "
                f"background vs inline; the background encoder took {job:.1f} s)"
            )
        if "search" in parts:
            bench_search_figures(args, clip, paths, work)
    return 0


def bench_file_figures(args: argparse.Namespace, paths: list[Path], work: Path) -> None:
    f = bench_files(paths, work)
    print(
        f"metadata pass        {f['meta']:8.0f}   {f['meta_before']:8.0f} images/s  "
        f"({args.files} 512x512 PNGs, median of 3 passes; target >= 1000)"
    )
    print(
        f"thumbnails           {f['thumb']:8.0f}   {f['thumb_before']:8.0f} images/s  "
        f"(512 -> 256 px WebP, one thread, from the file; target >= 100)"
    )
    print(
        f"thumbnails, CPU      {f['thumb_cpu']:8.0f}   {f['thumb_cpu_before']:8.0f} images/CPU-s "
        "(the same, per second of this thread's CPU time)"
    )
    print(
        f"thumbnail, decoded   {f['thumb_decoded']:8.0f}              images/s  (from pixels already "
        "decoded: what a thumbnail adds to the CLIP pass)"
    )
    side_now, side_before, side_threads = bench_side_pass(paths, work)
    print(
        f"thumbs + hashes pass {side_now:8.0f}   {side_before:8.0f} images/s  (one decode per image vs "
        f"a thumbnail pass then a hash pass; {side_threads} threads; the pass without weights)"
    )

    passed, one_thread, threads = bench_thumbnail_pass(paths, work)
    print(
        f"thumbnail pass       {passed:8.0f}   {one_thread:8.0f} images/s  (the background pass on "
        f"{threads} threads vs 1; target >= 100)"
    )


def bench_encode_figures(args: argparse.Namespace, clip, paths: list[Path], work: Path) -> None:
    enc = bench_encode(clip, paths[: args.encode])
    print(
        f"CLIP tower alone     {enc['tower']:8.1f}              images/s  (ViT-B-32 on ready tensors, "
        "batches of 16: the ceiling here)"
    )
    print(
        f"CLIP tower, 1 thread {enc['tower_1']:8.1f}              images/s  (the same on one thread: faster "
        "than all when other work holds the cores)"
    )
    print(
        f"CLIP encode          {enc['now']:8.1f}   {enc['before']:8.1f} images/s  (ViT-B-32, random weights, "
        f"{clip.device}, from files, whole images, the thread count measured faster; target >= 10)"
    )
    print(
        f"CLIP encode + tiles  {enc['tiles_now']:8.1f}   {enc['tiles_before']:8.1f} images/s  "
        "(whole image + 2x2 region tiles: 5 tower passes an image)"
    )
    print(
        f"CLIP + tiles, 1 pass {enc['tiles_one']:8.1f}              images/s  (the whole image and its "
        "tiles from one decode, in the same batches)"
    )
    clip_now, clip_before = bench_clip_pass(clip, paths[: args.encode], work)
    print(
        f"CLIP + thumbs+hashes {clip_now:8.1f}   {clip_before:8.1f} images/s  (thumbnails and hashes "
        "from the CLIP pass's decodes vs CLIP, then a thumbnail pass, then a hash pass)"
    )
    short, full, load = bench_text_tower(clip)
    print(
        f"CLIP text, new query {short:8.1f}   {full:8.1f} ms        (own tokens on 1 thread vs the "
        f"77-token context on all; loading the model, which the gallery's prewarm hides: {load:.1f} s)"
    )


def bench_search_figures(args: argparse.Namespace, clip, paths: list[Path], work: Path) -> None:
    from modelhub_jupyter import Hub

    hub = Hub(work / "home")
    hub.images.embedder = clip
    hub.images.background = False
    started = time.perf_counter()
    indexed = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths[: args.queries]]
    fill_catalog(hub, args.n, clip.name, clip.dim, indexed)
    print(
        f"(synthetic catalog of {args.n:,} image documents written in {time.perf_counter() - started:.1f} s)"
    )
    hub.search("warm up", kind="image", limit=12, record=False)  # BM25, matrices, MiniLM, text tower

    def text_p50(direct: bool) -> tuple[float, float]:
        hub.images.direct_prompt = direct
        first = []
        for q in PROMPTS[:4]:
            t = time.perf_counter()
            hub.search(f"{q} uncached {direct}", kind="image", limit=12, record=False)
            first.append(time.perf_counter() - t)
        text = []
        for k in range(args.queries):
            t = time.perf_counter()
            hub.search(PROMPTS[k % len(PROMPTS)], kind="image", limit=12, record=False)
            text.append(time.perf_counter() - t)
        return p50(text), p50(first)

    before_text, before_first = text_p50(False)
    now_text, now_first = text_p50(True)
    import torch

    like, like_before, known = [], [], []
    outside = work / "outside.png"  # not indexed: through the vision tower
    noise = np.random.default_rng(9).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(noise).resize((512, 512), Image.Resampling.BICUBIC).save(outside)
    all_threads = str(torch.get_num_threads())
    for k in range(args.queries):
        t = time.perf_counter()
        hub.search(like=paths[k % args.queries], kind="image", limit=12, record=False)
        known.append(time.perf_counter() - t)
        t = time.perf_counter()
        hub.search(like=outside, kind="image", limit=12, record=False)
        like.append(time.perf_counter() - t)
        os.environ["MODELHUB_CLIP_QUERY_THREADS"] = all_threads  # before: the tower on every thread
        t = time.perf_counter()
        hub.search(like=outside, kind="image", limit=12, record=False)
        like_before.append(time.perf_counter() - t)
        os.environ.pop("MODELHUB_CLIP_QUERY_THREADS")

    def pages(fn) -> float:
        out = []
        for k in range(args.queries):
            t = time.perf_counter()
            fn("image", offset=(k * 997) % max(args.n - 60, 1), limit=60)
            out.append(time.perf_counter() - t)
        return p50(out)

    engine_page = pages(hub._search_engine().browse)
    page = pages(hub.browse)
    print(
        f"text -> image p50    {now_text:8.1f}   {before_text:8.1f} ms        (repeated queries at {args.n:,}; "
        "target <= 150)"
    )
    print(
        f"text -> image first  {now_first:8.1f}   {before_first:8.1f} ms        (a new query: CLIP text tower + MiniLM)"
    )
    print(
        f"image -> image p50   {p50(known):8.1f}              ms        (an indexed image, 'more like this': its "
        "stored vector; target <= 100)"
    )
    print(
        f"image -> image p50   {p50(like):8.1f}   {p50(like_before):8.1f} ms        (a new 512 px PNG through the "
        "vision tower on one thread vs all)"
    )
    print(
        f"gallery page p50     {page:8.1f}   {engine_page:8.1f} ms        (hub.browse 60 of {args.n:,} with "
        "safety_assessment, vs the engine's browse alone; target <= 50)"
    )
    hub.close()


if __name__ == "__main__":
    sys.exit(main())
