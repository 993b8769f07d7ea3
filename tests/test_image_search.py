"""Image search through a real hub: a folder of generated pictures (near-copies and hostile files
among them) indexed once; CLIP by a small open_clip model with random weights (the real code
path: the rankings are the model's, so only what holds for any CLIP is asserted), and the same
folder with the default ViT-B-32 whose weights are not here (prompt text and perceptual hashes only).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from modelhub_jupyter import Hub
from modelhub_jupyter.embed.image import ImageEmbedder
from modelhub_jupyter.errors import BadInputError
from modelhub_jupyter.search.images import DUPLICATE_BITS, hamming, image_hashes, tile_boxes

from .test_clip import TINY_CLIP

CASTLE = "a castle at sunset, golden hour"
COPIES = ["castle_small.png", "castle_reencoded.jpg", "castle_crop.png"]


def scene(seed: int, size: int = 256) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), tuple(int(x) for x in rng.integers(0, 255, 3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = (int(v) for v in rng.integers(0, size - 40, 2))
        w, h = (int(v) for v in rng.integers(30, 120, 2))
        color = tuple(int(x) for x in rng.integers(0, 255, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x0 + w, y0 + h], fill=color)
    return img


def make_folder(out: Path) -> Path:
    out.mkdir(parents=True)
    info = PngInfo()
    info.add_text(
        "parameters",
        f"{CASTLE}\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 1, Size: 256x256, Model: sd15",
    )
    base = scene(1)
    base.save(out / "castle.png", pnginfo=info)
    base.resize((180, 180)).save(out / "castle_small.png")  # resized
    base.save(out / "castle_reencoded.jpg", quality=70)  # re-encoded
    base.crop((6, 6, 250, 250)).save(out / "castle_crop.png")  # slightly cropped
    for i in range(2, 7):
        scene(i).save(out / f"scene_{i}.png")
    scene(15).convert("CMYK").save(out / "cmyk.jpg")
    Image.fromarray(np.asarray(scene(9).convert("L"), dtype=np.uint16) * 200).save(out / "deep16.png")
    scene(10).convert("P", palette=Image.Palette.ADAPTIVE).save(out / "palette.png", transparency=0)
    scene(11).convert("RGBA").save(out / "alpha.png")
    scene(12).save(out / "anim.webp", save_all=True, append_images=[scene(13)], lossless=True)
    buf = io.BytesIO()
    scene(14).save(buf, "JPEG")
    (out / "jpeg_named.png").write_bytes(buf.getvalue())
    (out / "truncated.png").write_bytes((out / "scene_2.png").read_bytes()[:800])
    return out


GOOD = 15  # every file above except truncated.png


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("imgs") / "outputs")


@pytest.fixture(scope="module")
def clip_hub(tmp_path_factory, folder, shared_embedder):
    hub = Hub(tmp_path_factory.mktemp("home-clip"), embedder=shared_embedder)
    hub.images.embedder = ImageEmbedder.from_config(TINY_CLIP, "tiny-test")
    hub.images.background = False
    report = hub.index(folder, progress=False)
    yield hub, report
    hub.close()


@pytest.fixture(scope="module")
def plain_hub(tmp_path_factory, folder, shared_embedder):
    hub = Hub(tmp_path_factory.mktemp("home-plain"), embedder=shared_embedder)
    hub.images.embedder = ImageEmbedder(cache_dir=str(tmp_path_factory.mktemp("no-weights")))
    hub.images.background = False
    report = hub.index(folder, progress=False)
    yield hub, report
    hub.close()


# ----------------------------------------------------------------------------- hashes, tiles
def test_perceptual_hash_matches_near_copies_and_tells_others_apart(folder):
    phash, dhash = image_hashes(folder / "castle.png")
    for name in COPIES:
        assert hamming(phash, image_hashes(folder / name)[0]) <= DUPLICATE_BITS, name
    for i in range(2, 7):
        assert hamming(phash, image_hashes(folder / f"scene_{i}.png")[0]) > 2 * DUPLICATE_BITS
    assert len(phash) == len(dhash) == 16


def test_tiles_cover_the_image_with_overlap():
    boxes = tile_boxes((2,), overlap=0.25)
    assert len(boxes) == 4
    assert min(b[0] for b in boxes) == 0 and max(b[2] for b in boxes) == 1.0
    left, right = boxes[0], boxes[1]
    assert right[0] < left[2]  # neighbours overlap
    assert len(tile_boxes((2, 3))) == 13


# ----------------------------------------------------------------------------- with CLIP vectors
def test_index_embeds_every_readable_image_and_reports_the_rest(clip_hub):
    hub, report = clip_hub
    assert [e["path"] for e in report.errors] == ["truncated.png"]
    status = hub.status()["images"]
    assert status["available"] and status["model"] == "open_clip:tiny-test:random-weights"
    assert "random" in status["weights"]
    assert (status["images"], status["hashed"], status["vectors"], status["tiles"], status["scored"]) == (
        GOOD, GOOD, GOOD, 4 * GOOD, GOOD,
    )  # fmt: skip


def test_text_to_image_fuses_clip_with_the_prompt_text(clip_hub):
    hub, _ = clip_hub
    results = hub.search("castle at sunset", kind="image", limit=GOOD)
    assert len(results.hits) == GOOD  # CLIP ranks every embedded image
    channels = {name for h in results.hits for name in h.evidence["channels"]}
    assert channels == {"prompt", "clip_text"}
    castle = next(h for h in results.hits if h.path == "castle.png")
    assert castle.evidence["channels"]["prompt"]["rank"] == 1
    assert castle.evidence["matched_words"]  # the engine's evidence is kept
    assert results.hits[0].score >= results.hits[-1].score


def test_image_to_image_by_path_bytes_and_pil(clip_hub, folder):
    hub, _ = clip_hub
    data = (folder / "scene_3.png").read_bytes()
    for like in (folder / "scene_3.png", str(folder / "scene_3.png"), data, Image.open(io.BytesIO(data))):
        hits = hub.search(like=like, kind="image", limit=3).hits
        assert hits[0].path == "scene_3.png"
        assert hits[0].evidence["channels"]["clip_image"]["score"] == pytest.approx(1.0, abs=1e-4)


def test_more_like_an_indexed_image_uses_its_stored_vector(clip_hub, folder, monkeypatch):
    hub, _ = clip_hub

    def tower(*_args, **_kwargs):
        raise AssertionError("the vision tower ran for an indexed image")

    monkeypatch.setattr(hub.images.embedder, "embed_images", tower)
    for like in (folder / "scene_2.png", (folder / "scene_2.png").read_bytes()):
        hit = hub.search(like=like, kind="image", limit=1).hits[0]
        assert hit.path == "scene_2.png"
        assert hit.evidence["channels"]["clip_image"]["score"] == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(AssertionError, match="vision tower"):  # a picture not indexed needs the tower
        hub.search(like=scene(99), kind="image", limit=1)


def test_bad_like_images_are_one_line_errors(clip_hub, tmp_path):
    hub, _ = clip_hub
    with pytest.raises(BadInputError, match="no such image file"):
        hub.search(like=tmp_path / "missing.png", kind="image")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(BadInputError, match="junk.png"):
        hub.search(like=junk, kind="image")


def test_region_hits_carry_their_box(clip_hub):
    hub, _ = clip_hub
    hits = hub.search("a red circle", kind="image", regions=True, limit=5).hits
    assert hits and all("region" in h.metadata for h in hits if "clip_text" in h.evidence["channels"])
    boxes = [tuple(h.metadata["region"]["box"]) for h in hits if "region" in h.metadata]
    assert boxes and set(boxes) <= set(tile_boxes((2,)))


def test_dedupe_folds_the_near_copies_into_one_hit_with_a_count(clip_hub):
    hub, _ = clip_hub
    plain = [h.path for h in hub.search(like=Path(_castle(hub)), kind="image", limit=GOOD).hits]
    assert {"castle.png", *COPIES} <= set(plain)
    folded = hub.search(like=Path(_castle(hub)), kind="image", limit=GOOD, dedupe=True).hits
    paths = [h.path for h in folded]
    assert len({"castle.png", *COPIES} & set(paths)) == 1
    group = next(h for h in folded if h.metadata.get("duplicate_count"))
    assert group.metadata["duplicate_count"] == 4
    assert {d["path"] for d in group.metadata["duplicates"]} | {group.path} == {"castle.png", *COPIES}
    assert len(folded) == GOOD - 3
    assert hub.images.duplicate_groups() == [
        sorted(str(Path(_castle(hub)).parent / n) for n in ["castle.png", *COPIES])
    ]


def _castle(hub: Hub) -> str:
    return next(r.file_path for r in hub.images.store.images() if r.file_path.endswith("/castle.png"))


def test_safety_scores_name_their_model_and_filter(clip_hub):
    hub, _ = clip_hub
    hits = hub.search("castle", kind="image", limit=GOOD).hits
    for hit in hits:
        safety = hit.metadata["safety_assessment"]
        assert safety["status"] == "assessed" and safety["model"] == "open_clip:tiny-test:random-weights"
        assert "random" in safety["weights"]
        assert 0.0 <= safety["nsfw"] <= 1.0 and 0.0 <= safety["violence"] <= 1.0
    castle = next(h for h in hits if h.path == "castle.png")
    assert 0.0 <= castle.metadata["clip_score"] <= 100.0  # it has a prompt; the others have none
    assert all("clip_score" not in h.metadata for h in hits if h.path != "castle.png")
    median = float(np.median([h.metadata["safety_assessment"]["nsfw"] for h in hits]))
    below = hub.search("castle", kind="image", limit=GOOD, where=[f"safety_assessment.nsfw<={median}"]).hits
    assert 0 < len(below) < GOOD
    assert all(h.metadata["safety_assessment"]["nsfw"] <= median for h in below)


def test_switching_models_embeds_only_what_the_model_lacks(clip_hub):
    hub, _ = clip_hub
    first = hub.images.embedder
    assert hub.images.update() == {"hashed": 0, "embedded": 0, "tiles": 0, "scored": 0}
    other = ImageEmbedder.from_config({**TINY_CLIP, "embed_dim": 16}, "tiny-other")
    try:
        hub.images.embedder = other
        added = hub.images.update(regions=False)
        assert (added["embedded"], added["tiles"], added["scored"]) == (GOOD, 0, GOOD)
        assert hub.search(like=Path(_castle(hub)), kind="image", limit=1).hits[0].path == "castle.png"
    finally:
        hub.images.embedder = first
    assert hub.images.update()["embedded"] == 0  # the first model's vectors were kept


# ----------------------------------------------------------------------------- without weights
def test_without_weights_it_says_so_once_and_indexes_everything_else(plain_hub):
    hub, report = plain_hub
    notes = [w for w in report.warnings if w["path"] == "(images)"]
    assert len(notes) == 1 and "not on this machine" in notes[0]["warning"]
    status = hub.status()["images"]
    assert not status["available"] and "reembed" in status["problem"]
    assert status["hashed"] == GOOD and status["vectors"] == 0
    results = hub.search(CASTLE, kind="image", limit=3)
    assert results.hits[0].path == "castle.png"  # the prompt text still finds it
    for hit in results.hits:  # never invented: marked unassessed, with the reason
        safety = hit.metadata["safety_assessment"]
        assert safety["status"] == "unassessed" and "not on this machine" in safety["reason"]
        assert "nsfw" not in safety and "clip_score" not in hit.metadata
    page = hub.browse("image", limit=GOOD).hits
    assert len(page) == GOOD and {h.metadata["safety_assessment"]["status"] for h in page} == {"unassessed"}
    mixed = hub.search(CASTLE, limit=5).hits  # kind=all: the image hits are marked too
    assert all(h.metadata["safety_assessment"]["status"] == "unassessed" for h in mixed if h.kind == "image")
    with pytest.raises(BadInputError, match="not on this machine"):
        hub.images.reembed()


def test_without_weights_like_uses_perceptual_hashes_and_marks_safety_unassessed(plain_hub, folder):
    hub, _ = plain_hub
    results = hub.search(like=folder / "castle_small.png", kind="image", limit=10)
    assert {h.path for h in results.hits} == {"castle.png", *COPIES}
    assert any("perceptual hash" in n for n in results.notes)
    for hit in results.hits:
        assert hit.metadata["safety_assessment"]["status"] == "unassessed"
        assert "nsfw" not in hit.metadata["safety_assessment"] and "clip_score" not in hit.metadata
    folded = hub.search(CASTLE, kind="image", dedupe=True, limit=GOOD).hits
    assert next(h for h in folded if h.path == "castle.png").metadata["duplicate_count"] == 4


def test_cli_like_dedupe_status_and_reembed(plain_hub, folder):
    hub, _ = plain_hub
    env = {**os.environ, "MODELHUB_HOME": str(hub.settings.home), "HF_HUB_CACHE": str(folder / "no-cache")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "modelhub_jupyter.cli", *args], capture_output=True, text=True, env=env,
            timeout=300,
        )  # fmt: skip

    out = cli("search", "--like", str(folder / "castle_crop.png"), "--kind", "image", "--json")
    assert out.returncode == 0, out.stderr
    assert {h["path"] for h in json.loads(out.stdout)} == {"castle.png", *COPIES}
    out = cli("search", "castle", "--kind", "image", "--dedupe", "--json")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert [h["metadata"].get("duplicate_count") for h in hits if h["path"] == "castle.png"] == [4]
    status = [line for line in cli("status").stdout.splitlines() if line.startswith("images")]
    assert len(status) == 1 and f"{GOOD} images; no CLIP vectors: CLIP weights" in status[0], status
    out = cli("reembed", "--kind", "image")
    assert out.returncode != 0 and "not on this machine" in out.stderr and "Traceback" not in out.stderr
    out = cli("search", "--like", str(folder / "nope.png"), "--kind", "image")
    assert out.returncode != 0 and "nope.png" in out.stderr and "Traceback" not in out.stderr


# ----------------------------------------------------------------------------- the gallery's model
def test_gallery_more_like_this_duplicate_counts_and_safety(clip_hub):
    from modelhub_jupyter.widgets.gallery import ImageGallery

    hub, _ = clip_hub
    gallery = ImageGallery(hub, query="castle", page_size=GOOD)
    group = [i for i in gallery.items if i["path"] in {"castle.png", *COPIES}]
    assert [i["count"] for i in group] == [4]  # the castle and its three copies: one tile
    assert len(gallery.items) == GOOD - 3
    assert all(i["safety"]["status"] == "assessed" and i["safety"]["model"] for i in gallery.items)
    gallery.blur_above = -1.0  # every score is above: every tile is blurred until clicked
    gallery.reload()
    assert all(i["safety"]["blur"] for i in gallery.items)
    scene = next(i for i in gallery.items if i["path"] == "scene_4.png")
    gallery.like_id = scene["id"]
    assert gallery.like_name == "scene_4.png"
    assert gallery.items[0]["path"] == "scene_4.png"
    gallery.like_id = ""
    assert gallery.like_name == "" and len(gallery.items) == GOOD - 3


def test_gallery_shows_unassessed_and_searches_by_dropped_bytes(plain_hub, clip_hub, folder):
    from modelhub_jupyter.widgets.gallery import ImageGallery

    plain = ImageGallery(plain_hub[0], page_size=GOOD)
    assert {i["safety"]["status"] for i in plain.items} == {"unassessed"}
    assert all(
        "not on this machine" in i["safety"]["reason"] and not i["safety"]["blur"] for i in plain.items
    )

    gallery = ImageGallery(clip_hub[0], page_size=GOOD)
    data = (folder / "scene_5.png").read_bytes()
    gallery._dispatch_msg(gallery, {"event": "like_image", "name": "dropped.png"}, [memoryview(data)])
    assert gallery.status == "idle" and gallery.like_drop == gallery.like_name == "dropped.png"
    assert gallery.items[0]["path"] == "scene_5.png"
    gallery.regions = True  # the toggle: hits ranked by their tiles, each with its box
    assert gallery.items[0]["box"] and all(len(i["box"]) == 4 for i in gallery.items)
    gallery._dispatch_msg(gallery, {"event": "like_image", "name": "junk.png"}, [memoryview(b"not an image")])
    assert gallery.status == "error" and "image bytes" in gallery.message and "\n" not in gallery.message
    gallery.like_drop = ""
    assert gallery.status == "idle" and len(gallery.items) == GOOD and gallery.like_name == ""


# ----------------------------------------------------------------------------- the metadata pass
def _png_with_late_text(path: Path) -> Path:
    """A PNG whose tEXt chunk comes after the image data (Pillow reads it only when decoding)."""
    import struct
    import zlib

    scene(20, 64).save(path)
    data = path.read_bytes()
    end = data.rindex(b"IEND") - 4
    body = b"parameters\0late castle\nSteps: 9, Sampler: DDIM, CFG scale: 4, Seed: 77"
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    path.write_bytes(data[:end] + chunk + data[end:])
    return path


def test_metadata_pass_reads_headers_without_decoding_pixels(tmp_path, monkeypatch, folder):
    from PIL import ImageFile

    from modelhub_jupyter.ingest.images import read_image

    late = _png_with_late_text(tmp_path / "late.png")
    decoded: list[str] = []
    real_load = ImageFile.ImageFile.load

    def load(self):  # type: ignore[no-untyped-def]
        decoded.append(str(getattr(self, "filename", "")))
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    for name in ("castle.png", "castle_reencoded.jpg", "scene_2.png", "anim.webp"):
        read_image(folder / name, name)
    assert read_image(folder / "castle.png", "castle.png").metadata["prompt"] == CASTLE
    assert decoded == []  # whole files, texts before the pixels: nothing decoded
    ex = read_image(late, "late.png")  # a text after the image data: decoded to reach it
    assert ex.metadata["prompt"] == "late castle" and ex.metadata["seed"] == 77
    assert decoded == [str(late)]


def test_invokeai_dream_chunk_is_read(tmp_path):
    from modelhub_jupyter.ingest.images import read_image

    info = PngInfo()
    info.add_text(
        "Dream", '"a castle at dawn [fog, blur]" -s 50 -S 1234567890123456789 -W 512 -H 512 -C 7.5 -A k_lms'
    )
    scene(21, 64).save(tmp_path / "dream.png", pnginfo=info)
    ex = read_image(tmp_path / "dream.png", "dream.png")
    m = ex.metadata
    assert (m["prompt"], m["negative_prompt"], m["num_inference_steps"]) == (
        "a castle at dawn",
        "fog, blur",
        50,
    )
    assert m["seed"] == 1234567890123456789 and m["guidance_scale"] == 7.5 and m["generator"] == "invokeai"
    assert ex.provenance["prompt"] == "dream.png (PNG Dream chunk)"
    assert "generated at 512x512" in ex.chunks[0].content


# ----------------------------------------------------------------------------- background encoding
def test_background_encoding_lets_prompt_search_work_first(tmp_path_factory, folder, shared_embedder):
    from modelhub_jupyter.search.images import _background_default

    assert _background_default() is False  # no running kernel here (a CLI run would exit mid-encoding)
    hub = Hub(tmp_path_factory.mktemp("home-bg"), embedder=shared_embedder)
    try:
        hub.images.embedder = ImageEmbedder.from_config(TINY_CLIP, "tiny-test")
        hub.images.background = True
        report = hub.index(folder, progress=False)
        assert report.indexed == GOOD  # returned once the text index was written
        assert hub.search(CASTLE, kind="image", limit=1).hits[0].path == "castle.png"  # meanwhile
        job = hub.images.wait(timeout=300)
        assert (
            job["state"] == "done" and job["added"]["embedded"] == GOOD and job["added"]["tiles"] == 4 * GOOD
        )
        status = hub.status()["images"]
        assert (status["vectors"], status["encoding"]["state"]) == (GOOD, "done")
        from modelhub_jupyter.search.images import status_line

        assert "15 embedded, 60 tiles, 15 scored" in status_line(status)
        assert "encoding in the background (tiles 2/3)" in status_line(
            {**status, "encoding": {"state": "running", "phase": "tiles", "done": 2, "total": 3}}
        )
    finally:
        hub.close()
