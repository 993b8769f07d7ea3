"""The background image pass decodes each file once: the CLIP input, the thumbnails and the
perceptual hashes come from the same pixels (with the tiny random-weight CLIP, and without weights),
and what they make is what the one-file paths make."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modelhub_jupyter import Hub
from modelhub_jupyter.embed import image as embed_image
from modelhub_jupyter.embed.image import ImageEmbedder, load_image
from modelhub_jupyter.ingest import images as ingest_images
from modelhub_jupyter.ingest import thumbnails
from modelhub_jupyter.ingest.images import make_thumbnail, save_thumbnail
from modelhub_jupyter.ingest.types import ParseError
from modelhub_jupyter.search import image_pass
from modelhub_jupyter.search.images import hamming, hashes_of, image_hashes

from .test_clip import TINY_CLIP
from .test_images_thumbnails import damaged_png


def picture(seed: int, size: tuple[int, int]) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)).resize(
        size, Image.Resampling.BICUBIC
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("onepass") / "outputs"
    out.mkdir()
    for i in range(4):
        picture(i, (512, 512)).save(out / f"img_{i}.png")
    picture(5, (400, 600)).save(out / "tall.jpg", quality=90)
    picture(6, (300, 200)).convert("RGBA").save(out / "alpha.png")
    picture(0, (512, 512)).save(out / "copy_of_0.png")  # same content as img_0: one decode for both
    damaged_png(out / "damaged.png")
    return out


def counting(monkeypatch) -> Counter[str]:
    """Counts every decode of a file: the CLIP input path, the pass's own decodes, the one-file
    thumbnail path (``_load_pixels``)."""
    seen: Counter[str] = Counter()
    clip_load = embed_image.load_image
    pixels = ingest_images._load_pixels

    def load(image, **kw):
        seen[Path(str(image)).name] += 1
        return clip_load(image, **kw)

    def load_pixels(img, path, **kw):
        seen[Path(str(path)).name] += 1
        return pixels(img, path, **kw)

    monkeypatch.setattr(embed_image, "load_image", load)
    monkeypatch.setattr(image_pass, "load_image", load)
    monkeypatch.setattr(ingest_images, "_load_pixels", load_pixels)
    return seen


def background_pass(hub: Hub) -> dict:
    hub.images.background = True
    try:
        hub.images.update()
        return hub.images.wait(300)
    finally:
        hub.images.background = False


def thumbnail_paths(hub: Hub) -> dict[str, Path]:
    return {
        Path(d.file_path).name: Path(d.metadata["thumbnail_path"])
        for d in hub.catalog.documents(kind="image")
    }


@pytest.mark.parametrize("weights", [True, False], ids=["clip", "no-weights"])
def test_one_decode_per_file_makes_vector_thumbnail_and_hashes(
    tmp_path, folder, shared_embedder, monkeypatch, weights
):
    with Hub(tmp_path / "home", embedder=shared_embedder) as hub:
        hub.images.background = False
        if weights:
            hub.images.embedder = ImageEmbedder.from_config(TINY_CLIP, "tiny-onepass")
        else:
            hub.images.embedder = ImageEmbedder(cache_dir=str(tmp_path / "no-weights"))
        hub.images.grids = ()  # tiles are their own pass (see the benchmark); this is the first one
        hub.index(folder, progress=False)  # foreground: vectors and hashes, no thumbnails yet
        seen = counting(monkeypatch)
        for path in thumbnail_paths(hub).values():
            assert not path.exists()
        # the foreground pass made the hashes already: start from none so the pass makes all three
        hub.catalog.db.execute("DELETE FROM image_hashes")
        hub.catalog.db.execute("DELETE FROM image_vectors")
        hub.catalog.db.commit()
        job = background_pass(hub)
        assert job["state"] == "done", job
        readable = {name: n for name, n in seen.items() if name != "damaged.png"}
        # copy_of_0.png shares img_0's content: its thumbnail comes from img_0's decode
        assert readable == {
            n: 1 for n in ("img_0.png", "img_1.png", "img_2.png", "img_3.png", "tall.jpg", "alpha.png")
        }, seen
        added = job["added"]
        assert added["thumbnails"] == 7 and added["hashed"] == 7  # 8 documents, 7 contents; damaged: none
        assert added["embedded"] == (6 if weights else 0)
        assert hub.images.status()["vectors"] == (6 if weights else 0)
        paths = thumbnail_paths(hub)
        assert not paths["damaged.png"].exists()
        assert any("damaged.png: no thumbnail:" in w for w in job["warnings"]), job["warnings"]
        assert any("damaged.png: no perceptual hash:" in w for w in job["warnings"]), job["warnings"]
        hashes = hub.images.store.hashes()
        for name in ("img_1.png", "tall.jpg", "alpha.png", "copy_of_0.png"):
            with Image.open(paths[name]) as thumb:
                thumb.load()
                one_file = make_thumbnail(folder / name, tmp_path / f"one-{name}.webp")
                with Image.open(one_file) as expected:
                    assert thumb.format == "WEBP" and thumb.size == expected.size, name
                    diff = np.abs(np.asarray(thumb, np.int16) - np.asarray(expected.convert("RGB"), np.int16))
                    # the same picture (the JPEG: decoded at a reduced DCT scale)
                    assert diff.mean() < 2.0, (name, diff.mean())
        by_name = {Path(r.file_path).name: r.content_hash for r in hub.images.store.images()}
        for name in ("img_1.png", "alpha.png"):  # full decodes: the very same hashes as image_hashes
            assert hashes[by_name[name]] == image_hashes(folder / name), name
        phash, _ = hashes[by_name["tall.jpg"]]  # decoded at a reduced DCT scale: within a bit or two
        assert hamming(phash, image_hashes(folder / "tall.jpg")[0]) <= 2
        seen.clear()
        again = background_pass(hub)  # nothing left to make: nothing is decoded again
        assert again["added"]["thumbnails"] == 0 and again["added"]["hashed"] == 0
        assert set(seen) <= {"damaged.png"}, seen  # (the CLIP pass retries a file it could not read)


def test_the_hashes_see_a_reduced_copy_of_a_big_image_and_a_small_one_as_it_is():
    big = picture(3, (1024, 768))
    assert hashes_of(big) == hashes_of(big.reduce(3))  # shorter side 768 // 256 = 3
    small = picture(4, (300, 200))
    assert image_hashes(small) == hashes_of(small)
    assert hamming(hashes_of(big)[0], hashes_of(big.resize((512, 384)))[0]) <= 4  # a resized copy


def test_save_thumbnail_leaves_the_decoded_image_as_it_was(tmp_path):
    img = load_image(_png_bytes(picture(8, (640, 400))))
    before = img.tobytes()
    dest = save_thumbnail(img, tmp_path / "t.webp", 256)
    assert img.size == (640, 400) and img.tobytes() == before  # the CLIP input is made from it next
    with Image.open(dest) as thumb:
        assert thumb.size == (256, 160)
    with pytest.raises(ParseError, match="at least 1 pixel"):
        save_thumbnail(img, tmp_path / "z.webp", 0)


def test_ensure_from_writes_whole_under_the_root_only(tmp_path):
    img = load_image(_png_bytes(picture(9, (300, 300))))
    root = tmp_path / "thumbs"
    dest = thumbnails.ensure_from(img, root / "ab" / "x.webp", root)
    assert dest.is_file() and [p.name for p in dest.parent.iterdir()] == ["x.webp"]
    with pytest.raises(ParseError, match="outside"):
        thumbnails.ensure_from(img, tmp_path / "elsewhere.webp", root)


def test_a_side_work_failure_still_gives_the_image_its_vector(tmp_path):
    tiny = ImageEmbedder.from_config(TINY_CLIP, "tiny-onepass")
    path = tmp_path / "a.png"
    picture(1, (96, 96)).save(path)

    def broken(i: int, img: Image.Image) -> None:
        raise RuntimeError("side work broke")

    with_hook = tiny.embed_images([path], with_image=broken)
    plain = tiny.embed_images([path])
    assert np.allclose(with_hook, plain) and np.linalg.norm(plain[0]) == pytest.approx(1.0, abs=1e-5)


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
