"""The CLIP image embedder: a small open_clip model with random weights runs the real code path
(open_clip's CLIP class, its preprocessing and tokenizer); the default ViT-B-32 says its weights
are missing here, without a download attempt, and makes no vectors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from modelhub_jupyter.embed.image import ImageEmbedder, load_image

# A real open_clip CLIP architecture, tiny: a 2-layer ViT (64 px, 16 px patches) and a 2-layer text tower.
TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="module")
def tiny() -> ImageEmbedder:
    return ImageEmbedder.from_config(TINY_CLIP, "tiny-test")


def picture(seed: int, size: tuple[int, int] = (96, 80)) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, tuple(int(x) for x in rng.integers(0, 255, 3)))
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x, y = (int(v) for v in rng.integers(0, min(size) - 20, 2))
        draw.ellipse([x, y, x + 30, y + 25], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return img


def test_random_weight_model_is_named_and_labelled_as_such(tiny):
    assert tiny.name == "open_clip:tiny-test:random-weights"
    assert tiny.random_weights and "random" in tiny.weights and "not a trained CLIP" in tiny.weights
    assert tiny.available and tiny.problem is None
    assert tiny.dim == 32


def test_image_and_text_vectors_are_unit_length_and_deterministic(tiny):
    images = [picture(1), picture(2)]
    a = tiny.embed_images(images)
    b = tiny.embed_images([picture(1)])
    assert a.shape == (2, 32) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(a[0], b[0], atol=1e-5)
    assert not np.allclose(a[0], a[1])
    texts = tiny.embed(["a castle at sunset", "a red car", "a castle at sunset"])
    assert texts.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(texts[0], texts[2])
    assert tiny.embed([]).shape == (0, 32)


def test_path_bytes_and_pil_give_the_same_vector(tiny, tmp_path):
    img = picture(3)
    path = tmp_path / "x.png"
    img.save(path)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    rows = tiny.embed_images([img, path, str(path), buf.getvalue()])
    for row in rows[1:]:
        np.testing.assert_allclose(row, rows[0], atol=1e-5)


def test_an_unreadable_image_is_reported_and_the_batch_goes_on(tiny, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    errors: list[tuple[int, str]] = []
    rows = tiny.embed_images([picture(4), bad, picture(5)], on_error=lambda i, why: errors.append((i, why)))
    assert [i for i, _ in errors] == [1]
    assert "bad.png" in errors[0][1] and "\n" not in errors[0][1]
    assert not rows[1].any() and rows[0].any() and rows[2].any()


def test_default_model_without_weights_says_so_and_makes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("MODELHUB_CLIP_CHECKPOINT", raising=False)
    emb = ImageEmbedder(cache_dir=str(tmp_path / "empty-cache"))
    assert emb.name == "open_clip:ViT-B-32:laion2b_s34b_b79k" and emb.dim == 512
    assert not emb.available
    assert "not on this machine" in (emb.problem or "") and "reembed" in (emb.problem or "")
    with pytest.raises(RuntimeError, match="not on this machine"):
        emb.embed_images([picture(1)])


def test_a_missing_checkpoint_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELHUB_CLIP_CHECKPOINT", str(tmp_path / "nope.pt"))
    emb = ImageEmbedder()
    assert emb.checkpoint == tmp_path / "nope.pt" and emb.pretrained is None
    assert "nope.pt" in (emb.problem or "") and "not a file" in (emb.problem or "")


def test_a_local_checkpoint_loads_and_is_keyed_by_its_content(tmp_path, monkeypatch):
    """A checkpoint file of a registered open_clip architecture (the tiny one, saved here)."""
    import open_clip
    import torch
    from open_clip import factory

    monkeypatch.setitem(factory._MODEL_CONFIGS, "modelhub-tiny-test", TINY_CLIP)
    model = open_clip.CLIP(**TINY_CLIP)
    ckpt = tmp_path / "tiny.pt"
    torch.save(model.state_dict(), ckpt)
    monkeypatch.setenv("MODELHUB_CLIP_CHECKPOINT", str(ckpt))
    emb = ImageEmbedder(arch="modelhub-tiny-test")
    assert emb.available, emb.problem
    assert emb.name.startswith("open_clip:modelhub-tiny-test:ckpt-") and len(emb.name.rsplit("-", 1)[1]) == 12
    assert emb.weights == f"checkpoint:{ckpt}"
    with torch.inference_mode():
        expected = model.eval().encode_image(emb._load() and emb._preprocess(picture(6)).unsqueeze(0))
    expected = expected.numpy()[0] / np.linalg.norm(expected.numpy()[0])
    np.testing.assert_allclose(emb.embed_images([picture(6)])[0], expected, atol=1e-4)


# --------------------------------------------------------------------------- hostile pictures
def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_hostile_pictures_load_as_rgb_or_fail_in_one_line(tmp_path):
    base = picture(7, (60, 40))
    gray16 = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
    frames = [picture(8, (60, 40)), picture(9, (60, 40))]
    cases = {
        "cmyk.jpg": _save(base.convert("CMYK"), "JPEG"),
        "gray16.png": _save(gray16, "PNG"),
        "palette_alpha.png": _save(base.convert("P"), "PNG", transparency=0),
        "rgba.png": _save(base.convert("RGBA"), "PNG"),
        "anim.webp": _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True),
        "jpeg_named.png": _save(base, "JPEG"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        img = load_image(tmp_path / name)
        assert img.mode == "RGB" and img.size == (60, 40), name
    first = np.asarray(load_image(tmp_path / "anim.webp"), dtype=int)
    assert np.abs(first - np.asarray(frames[0], dtype=int)).mean() < 1  # the first frame
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees to display
    base.save(rotated, "JPEG", exif=exif.tobytes())
    assert load_image(rotated.getvalue()).size == (40, 60)

    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(_save(picture(10, (200, 200)), "PNG")[:300])
    huge = tmp_path / "huge.png"  # a 20000x20000 header: refused before anything is decoded
    huge.write_bytes(_save(Image.new("1", (20000, 20000)), "PNG"))
    for path, why in ((truncated, "not a readable image"), (huge, "too large")):
        with pytest.raises(ValueError, match=why) as err:
            load_image(path)
        assert "\n" not in str(err.value)


def test_random_weights_are_the_same_model_whatever_the_rng_state():
    """The name keys stored vectors, so every process must build the same weights under it: they
    come from the seed alone, not from torch's global random state (which is left untouched)."""
    import torch

    torch.manual_seed(123)
    here = ImageEmbedder.from_config(TINY_CLIP, "tiny-test").embed(["a castle"])[0]
    after = torch.rand(1)
    torch.manual_seed(123)
    torch.rand(1000)  # another process would be at another point of its random stream
    again = ImageEmbedder.from_config(TINY_CLIP, "tiny-test").embed(["a castle"])[0]
    np.testing.assert_allclose(again, here, atol=1e-6)
    torch.manual_seed(123)
    assert torch.rand(1) == after  # building the model did not consume the caller's random numbers
    other = ImageEmbedder.from_config(TINY_CLIP, "tiny-test", seed=1)
    assert other.name == "open_clip:tiny-test:random-weights-s1"
    assert not np.allclose(other.embed(["a castle"])[0], here)


# --------------------------------------------------------------------------- the fast input path
def test_batched_inputs_are_open_clips_own_preprocessing(tiny):
    """The Pillow + numpy path (shorter side resized, centre crop, one normalisation per batch)
    gives open_clip's tensors: exactly for ordinary sizes, and within rounding for an image over
    6x the input size (a box reduce before the bicubic pass)."""
    import torch

    tiny._load()
    assert tiny._fast is not None and tiny._fast.size == 64
    for size in [(96, 80), (80, 300), (64, 64), (40, 30), (700, 500)]:
        img = picture(11, size)
        ours = tiny._batch([tiny._fast.array(img)])[0]
        theirs = tiny._preprocess(img)
        assert ours.shape == theirs.shape == (3, 64, 64)
        tolerance = 0.0 if min(size) < 6 * 64 else 0.05
        assert float(torch.abs(ours - theirs).max()) <= tolerance, size


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_that_keeps_the_picture(tiny, tmp_path):
    path = tmp_path / "big.jpg"
    picture(12, (1600, 1200)).save(path, quality=95)
    small = load_image(path, min_side=200)
    assert 200 <= min(small.size) < 1200 and small.size[0] * 3 == small.size[1] * 4  # DCT scaling
    full = load_image(path)
    assert full.size == (1600, 1200)
    tiny._load()
    a = tiny._batch([tiny._fast.array(small)])[0]
    b = tiny._batch([tiny._fast.array(full)])[0]
    assert float((a - b).abs().mean()) < 0.02  # normalised units: about 1/255 of a pixel on average


def test_regions_embed_each_box_of_each_image_decoded_once(tiny, tmp_path):
    img = picture(13, (120, 90))
    boxes = [(0.0, 0.0, 0.6, 0.6), (0.4, 0.4, 1.0, 1.0)]
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    errors: list[int] = []
    rows = tiny.embed_regions([img, bad, picture(14)], boxes, on_error=lambda i, _why: errors.append(i))
    assert rows.shape == (3, 2, 32) and errors == [1] and not rows[1].any()
    crops = [img.crop((0, 0, 72, 54)), img.crop((48, 36, 120, 90))]
    np.testing.assert_allclose(rows[0], tiny.embed_images(crops), atol=1e-5)
    assert not np.allclose(rows[0, 0], rows[2, 0])
    assert tiny.embed_regions([img], []).shape == (1, 0, 32)


def test_many_images_come_back_in_order_through_the_prep_threads(tiny, monkeypatch):
    """More images than the look-ahead, with one worker and with several: row i is image i."""
    images = [picture(20 + i, (70 + i, 64)) for i in range(7)]
    one_by_one = np.stack([tiny.embed_images([im])[0] for im in images])
    for workers in ("1", "3"):
        monkeypatch.setenv("MODELHUB_CLIP_PREP_WORKERS", workers)
        tiny.batch_size = 2
        try:
            np.testing.assert_allclose(tiny.embed_images(images), one_by_one, atol=1e-5)
        finally:
            tiny.batch_size = 16


def test_text_vectors_skip_the_padding_and_stay_the_same(tiny):
    """Queries run over their tokens up to the end-of-text only (the tower is causal): the same
    vectors as open_clip's encode_text over the whole context, for short and long texts together."""
    import torch

    from modelhub_jupyter.embed.image import _encode_text

    model = tiny._load()
    texts = ["a duck", "a castle at sunset, golden hour, highly detailed oil painting " * 3, ""]
    tokens = tiny._tokenizer(texts)
    with torch.inference_mode():
        full = model.encode_text(tokens).numpy()
        short = _encode_text(model, tokens).numpy()
        one = _encode_text(model, tokens[:1]).numpy()
    np.testing.assert_allclose(short, full, atol=1e-5)
    np.testing.assert_allclose(one[0], full[0], atol=1e-5)
    threads = torch.get_num_threads()
    np.testing.assert_allclose(tiny.embed(["a duck"])[0], full[0] / np.linalg.norm(full[0]), atol=1e-5)
    assert torch.get_num_threads() == threads  # a query runs on one thread and gives the others back


def test_prewarm_loads_the_model_on_a_thread_and_only_when_weights_are_here(tmp_path, monkeypatch):
    emb = ImageEmbedder.from_config(TINY_CLIP, "tiny-test")
    thread = emb.prewarm()
    assert thread is not None and thread.name == "modelhub-clip-prewarm"
    thread.join(60)
    assert emb._model is not None and "a photo" in emb._queries
    assert emb.prewarm() is thread  # once
    monkeypatch.delenv("MODELHUB_CLIP_CHECKPOINT", raising=False)
    missing = ImageEmbedder(cache_dir=str(tmp_path / "empty-cache"))
    other = missing.prewarm()
    assert other is not None
    other.join(60)
    assert missing._model is None and "not on this machine" in (missing.problem or "")


def test_an_image_query_runs_on_the_query_threads_and_a_first_batch_on_all(tiny, monkeypatch):
    import torch

    model = tiny._load()
    real = model.encode_image
    seen: list[tuple[int, int]] = []

    def encode_image(batch):
        seen.append((len(batch), torch.get_num_threads()))
        return real(batch)

    monkeypatch.setattr(model, "encode_image", encode_image)
    monkeypatch.setenv("MODELHUB_CLIP_QUERY_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        one = tiny.embed_images([picture(1)])  # a --like query: one image
        assert seen == [(1, 1)] and torch.get_num_threads() == 2
        seen.clear()
        monkeypatch.setattr(tiny, "_choice", None)  # a fresh pass: nothing measured yet
        batch = tiny.embed_images([picture(i) for i in range(6)])  # a pass's first batch: all threads
        assert seen == [(6, 2)] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert np.allclose(one[0], batch[1], atol=1e-5)  # the same vector whatever the thread count


def test_batches_run_on_the_thread_count_that_measured_faster(monkeypatch):
    from modelhub_jupyter.embed.image import _ThreadChoice

    choice = _ThreadChoice(2)
    timings = {1: 0.5, 2: 1.0}  # seconds a batch of 16 takes: one thread is faster here (a busy machine)
    used = []
    for _ in range(20):
        threads = choice.pick()
        used.append(threads)
        choice.record(threads, 16, timings[threads])
    assert used[:3] == [2, 2, 1]  # a warm-up batch (not counted), then each count timed once
    assert used[3:].count(1) > 12 and 2 in used[3:]  # then the faster one, the other re-timed now and then
    timings = {1: 2.0, 2: 0.5}  # the machine went quiet: all threads are faster now
    used = []
    for _ in range(40):
        threads = choice.pick()
        used.append(threads)
        choice.record(threads, 16, timings[threads])
    assert used[-10:] == [2] * 10 or used[-10:].count(2) >= 9

    assert _ThreadChoice(1).choices == [1]
    monkeypatch.setenv("MODELHUB_CLIP_THREADS", "3")
    fixed = _ThreadChoice(2)
    assert {fixed.pick() for _ in range(10)} == {3}
