"""Thumbnails only when needed: indexing plans them without decoding pixels; the first showing
(``hub.thumbnail``: the gallery, the REST route) or the background image pass makes them, on
all cores, written whole (temp file + rename); a picture that cannot be made is a placeholder."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modelhub_jupyter import Hub
from modelhub_jupyter.embed.image import ImageEmbedder
from modelhub_jupyter.ingest import thumbnails
from modelhub_jupyter.ingest.types import ParseError


def picture(seed: int, size: tuple[int, int] = (300, 200)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).resize(size)


def damaged_png(path: Path) -> None:
    """A PNG whose chunks are all there and whose pixel data does not inflate: the header reads
    (so it is indexed), the pixels do not (so no thumbnail can be made)."""
    buf = io.BytesIO()
    picture(9).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    start = data.index(b"IDAT") + 4
    data[start + 2 : start + 40] = bytes(38)  # zeros inside the zlib stream (the CRC is not checked)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("thumbs") / "outputs"
    out.mkdir()
    for i in range(5):
        picture(i).save(out / f"img_{i}.png")
    picture(7, (200, 300)).save(out / "tall.jpg")
    damaged_png(out / "damaged.png")
    return out


@pytest.fixture(scope="module")
def hub(tmp_path_factory, folder, shared_embedder):
    hub = Hub(tmp_path_factory.mktemp("home-thumbs"), embedder=shared_embedder)
    hub.images.embedder = ImageEmbedder(cache_dir=str(tmp_path_factory.mktemp("no-weights")))  # none here
    hub.images.background = False
    hub.index(folder, progress=False)
    yield hub
    hub.close()


def image_ids(hub: Hub) -> dict[str, str]:
    return {Path(d.file_path).name: d.id for d in hub.catalog.documents(kind="image")}


def test_indexing_plans_thumbnails_and_makes_none(hub, folder):
    docs = hub.catalog.documents(kind="image")
    assert {Path(d.file_path).name for d in docs} == {f"img_{i}.png" for i in range(5)} | {
        "tall.jpg",
        "damaged.png",
    }
    planned = [Path(d.metadata["thumbnail_path"]) for d in docs]
    root = hub.settings.thumbnails_dir
    assert all(p.suffix == ".webp" and p.is_relative_to(root) for p in planned)
    assert not list(root.rglob("*.webp"))  # nothing decoded while indexing


def test_first_showing_makes_the_thumbnail_and_later_ones_read_it(hub):
    doc_id = image_ids(hub)["tall.jpg"]
    data = hub.thumbnail(doc_id)
    assert data is not None
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "WEBP" and img.size == (171, 256)  # fits 256, aspect kept
    path = Path(next(d for d in hub.catalog.documents(doc_id=doc_id)).metadata["thumbnail_path"])
    made = path.stat().st_mtime_ns
    time.sleep(0.01)
    assert hub.thumbnail(doc_id) == data and path.stat().st_mtime_ns == made
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp file left


def test_a_picture_that_cannot_be_made_is_a_placeholder(hub):
    doc_id = image_ids(hub)["damaged.png"]
    assert hub.thumbnail(doc_id) is None
    assert hub.thumbnail(doc_id) is None  # remembered: not decoded again
    assert hub.thumbnail("no-such-id") is None


def test_the_background_pass_makes_the_rest_on_all_cores(hub):
    hub.images.background = True
    try:
        hub.images.update()
        job = hub.images.wait(120)
    finally:
        hub.images.background = False
    assert job["state"] == "done", job
    assert job["added"]["thumbnails"] == 5  # tall.jpg was shown already; damaged.png cannot be
    assert job["phase"] == "" and "thumbnails" in hub.images.status()["encoding"]["added"]
    for name, doc_id in image_ids(hub).items():
        if name != "damaged.png":
            path = next(d for d in hub.catalog.documents(doc_id=doc_id)).metadata["thumbnail_path"]
            assert Path(path).is_file(), name


def test_ensure_refuses_a_path_outside_the_thumbnails_folder(tmp_path, folder):
    with pytest.raises(ParseError, match="outside"):
        thumbnails.ensure(folder / "img_0.png", tmp_path / "elsewhere" / "x.webp", tmp_path / "thumbs")
    assert not (tmp_path / "elsewhere").exists()


def test_two_threads_asking_for_one_thumbnail_both_get_a_whole_file(tmp_path, folder):
    root = tmp_path / "thumbs"
    dest = root / "ab" / "one.webp"
    got: list[bytes] = []

    def ask() -> None:
        got.append(thumbnails.ensure(folder / "img_1.png", dest, root).read_bytes())

    workers = [threading.Thread(target=ask) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(got) == 4 and len(set(got)) == 1
    with Image.open(io.BytesIO(got[0])) as img:
        img.load()
        assert img.size == (256, 171)
    assert [p.name for p in dest.parent.iterdir()] == ["one.webp"]


def test_make_missing_reports_each_failure_and_counts_what_it_made(tmp_path, folder):
    root = tmp_path / "thumbs"
    pairs = [(str(folder / f"img_{i}.png"), str(root / f"t{i}.webp")) for i in range(4)]
    pairs.append((str(folder / "damaged.png"), str(root / "bad.webp")))
    errors: list[str] = []
    made = thumbnails.make_missing(pairs, root, threads=2, on_error=lambda image, why: errors.append(image))
    assert made == 4 and errors == [str(folder / "damaged.png")]
    assert thumbnails.make_missing(pairs, root, threads=2) == 0  # all there (or known to fail)


def test_a_page_of_hits_gets_its_thumbnails_side_by_side(tmp_path_factory, folder, shared_embedder):
    with Hub(tmp_path_factory.mktemp("home-page"), embedder=shared_embedder) as hub:
        hub.images.background = False
        hub.index(folder, progress=False)
        page = hub.browse("image", limit=4)  # damaged.png first (path order), then img_0..img_2
        assert [h.path for h in page.hits][0] == "damaged.png"
        assert hub.images.make_thumbnails(page.hits) == 3
        made = [Path(h.metadata["thumbnail_path"]).is_file() for h in page.hits]
        assert made == [False, True, True, True]
        assert hub.images.make_thumbnails(page.hits) == 0
