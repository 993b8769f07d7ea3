"""Image figures (issue 9): metadata pass, thumbnails, CLIP encode, image search and a gallery page,
each against the previous code in the same run where it changed.

Prints, on this machine:

* metadata-only pass (``ingest.images.read_image``: header, PNG text chunks, no pixel decode for
  whole files), images/s, over ``--files`` 512x512 PNGs with A1111 parameters (target >= 1,000/s);
  previous: the pixels decoded for every file (``_read_image(..., decode=True)``);
* thumbnails (``make_thumbnail`` 512 -> 256 px WebP), images/s (target >= 100/s); previous: the
  earlier code (convert + orient at full size, then LANCZOS, WebP method 4), copied below;
* CLIP encode with the ViT-B-32 *architecture at random weights* (speed does not depend on the
  weights), from files, preprocessing included, images/s (target >= 10/s);
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


def rate(fn, paths: list[Path], rounds: int = 3) -> float:
    """Median images/s of ``rounds`` passes of ``fn`` over ``paths``."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for p in paths:
            fn(p)
        rates.append(len(paths) / (time.perf_counter() - started))
    return statistics.median(rates)


def bench_files(paths: list[Path], work: Path) -> dict[str, float]:
    from modelhub_jupyter.ingest.images import _read_image, make_thumbnail, read_image

    thumbs = work / "thumbs"
    thumbs.mkdir(exist_ok=True)
    return {
        "meta_before": rate(lambda p: _read_image(p, p.name, decode=True), paths),
        "meta": rate(lambda p: read_image(p, p.name), paths),
        "thumb_before": rate(lambda p: previous_thumbnail(p, thumbs / f"{p.stem}.old.webp"), paths),
        "thumb": rate(lambda p: make_thumbnail(p, thumbs / f"{p.stem}.webp", 256), paths),
    }


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


def bench_encode(embedder, paths: list[Path]) -> float:
    embedder.embed_images(paths[:2])  # load + warm up
    started = time.perf_counter()
    embedder.embed_images(paths)
    return len(paths) / (time.perf_counter() - started)


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
    args = ap.parse_args(argv)

    from modelhub_jupyter import Hub

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = make_pngs(work / "pngs", args.files)
        f = bench_files(paths, work)
        print("                         now      before (same run)")
        print(
            f"metadata pass        {f['meta']:8.0f}   {f['meta_before']:8.0f} images/s  "
            f"({args.files} 512x512 PNGs, median of 3 passes; target >= 1000)"
        )
        print(
            f"thumbnails           {f['thumb']:8.0f}   {f['thumb_before']:8.0f} images/s  "
            f"(512 -> 256 px WebP; target >= 100)"
        )

        clip = vit_b32_random()
        enc = bench_encode(clip, paths[: args.encode])
        print(
            f"CLIP encode          {enc:8.1f}              images/s  (ViT-B-32, random weights, {clip.device}, "
            "from files; target >= 10)"
        )
        small = make_pngs(work / "index-me", args.encode)
        bg, inline, job = bench_background(small, work)
        print(
            f"index returns after  {bg:8.1f}   {inline:8.1f} s         ({args.encode} PNGs, ViT-B-32 in the "
            f"background vs inline; the background encoder took {job:.1f} s)"
        )

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
        like, known = [], []
        outside = work / "outside.png"  # not indexed: through the vision tower
        noise = np.random.default_rng(9).integers(0, 255, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(noise).resize((512, 512), Image.Resampling.BICUBIC).save(outside)
        for k in range(args.queries):
            t = time.perf_counter()
            hub.search(like=paths[k % args.queries], kind="image", limit=12, record=False)
            known.append(time.perf_counter() - t)
            t = time.perf_counter()
            hub.search(like=outside, kind="image", limit=12, record=False)
            like.append(time.perf_counter() - t)

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
            f"image -> image p50   {p50(like):8.1f}              ms        (a new 512 px PNG through the vision tower)"
        )
        print(
            f"gallery page p50     {page:8.1f}   {engine_page:8.1f} ms        (hub.browse 60 of {args.n:,} with "
            "safety_assessment, vs the engine's browse alone; target <= 50)"
        )
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
