"""Image figures (issue 9): metadata pass, thumbnails, CLIP encode, image search and a gallery page.

Prints, on this machine:

* metadata-only pass (``ingest.images.read_image``: header, decode check, PNG text chunks), images/s,
  over ``--files`` 512x512 PNGs with A1111 parameters (target >= 1,000/s);
* thumbnails (``make_thumbnail`` 512 -> 256 px WebP), images/s (target >= 100/s);
* CLIP encode with the ViT-B-32 *architecture at random weights* (speed does not depend on the
  weights), from files, preprocessing included, images/s (target >= 10/s);
* ``hub.images.search`` p50 at ``--n`` (default 50,000) synthetic image documents with synthetic
  vectors written straight into a temp catalog: text -> image (prompt-text channel + CLIP text
  tower, a repeated query's vector cached; the first, uncached query is shown too) and
  image -> image (one image through the vision tower); targets 150 ms and 100 ms;
* a gallery page (``hub.browse("image", offset, limit=60)``, the data the gallery shows) p50
  (target 50 ms).

Not a test: it prints figures and asserts nothing.

    .venv/bin/python benchmarks/bench_images.py [--n 50000] [--files 200] [--encode 32] [--queries 15]
"""

from __future__ import annotations

import argparse
import hashlib
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


def bench_files(paths: list[Path], work: Path) -> tuple[float, float]:
    from modelhub_jupyter.ingest.images import make_thumbnail, read_image

    started = time.perf_counter()
    for p in paths:
        read_image(p, p.name)
    meta = len(paths) / (time.perf_counter() - started)
    thumbs = work / "thumbs"
    thumbs.mkdir(exist_ok=True)
    started = time.perf_counter()
    for p in paths:
        make_thumbnail(p, thumbs / f"{p.stem}.webp", 256)
    return meta, len(paths) / (time.perf_counter() - started)


def vit_b32_random():
    from open_clip import factory

    from modelhub_jupyter.embed.image import ImageEmbedder

    return ImageEmbedder.from_config(factory.get_model_config("ViT-B-32"), "ViT-B-32")


def bench_encode(embedder, paths: list[Path]) -> float:
    embedder.embed_images(paths[:2])  # load + warm up
    started = time.perf_counter()
    embedder.embed_images(paths)
    return len(paths) / (time.perf_counter() - started)


def fill_catalog(hub, n: int, model: str, dim: int) -> None:
    """``n`` image documents (files + documents + perceptual hashes + unit vectors), straight into SQL."""
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
                sha = hashlib.sha256(path.encode()).hexdigest()
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
    args = ap.parse_args(argv)

    from modelhub_jupyter import Hub

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = make_pngs(work / "pngs", args.files)
        meta, thumbs = bench_files(paths, work)
        print(f"metadata pass        {meta:8.0f} images/s   ({args.files} 512x512 PNGs; target >= 1000)")
        print(f"thumbnails           {thumbs:8.0f} images/s   (512 -> 256 px WebP; target >= 100)")

        clip = vit_b32_random()
        enc = bench_encode(clip, paths[: args.encode])
        print(
            f"CLIP encode          {enc:8.1f} images/s   (ViT-B-32, random weights, {clip.device}, from files; target >= 10)"
        )

        hub = Hub(work / "home")
        hub.images.embedder = clip
        started = time.perf_counter()
        fill_catalog(hub, args.n, clip.name, clip.dim)
        print(
            f"(synthetic catalog of {args.n:,} image documents written in {time.perf_counter() - started:.1f} s)"
        )
        hub.search("warm up", kind="image", limit=12, record=False)  # BM25, matrices, MiniLM, text tower
        first = []
        for q in PROMPTS[:4]:
            t = time.perf_counter()
            clip._queries.pop(q, None)
            hub.search(q + " uncached", kind="image", limit=12, record=False)
            first.append(time.perf_counter() - t)
        text = []
        for k in range(args.queries):
            t = time.perf_counter()
            hub.search(PROMPTS[k % len(PROMPTS)], kind="image", limit=12, record=False)
            text.append(time.perf_counter() - t)
        like = []
        for k in range(args.queries):
            t = time.perf_counter()
            hub.search(like=paths[k % len(paths)], kind="image", limit=12, record=False)
            like.append(time.perf_counter() - t)
        pages = []
        for k in range(args.queries):
            t = time.perf_counter()
            hub.browse("image", offset=(k * 997) % max(args.n - 60, 1), limit=60)
            pages.append(time.perf_counter() - t)
        print(
            f"text -> image p50    {p50(text):8.1f} ms         (repeated queries, text vector cached; target <= 150)"
        )
        print(f"text -> image first  {p50(first):8.1f} ms         (a new query: CLIP text tower + MiniLM)")
        print(
            f"image -> image p50   {p50(like):8.1f} ms         (one 512 px PNG through the vision tower; target <= 100)"
        )
        print(
            f"gallery page p50     {p50(pages):8.1f} ms         (hub.browse 60 of {args.n:,}; target <= 50)"
        )
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
