"""The image gallery with CLIP active, in headless chromium (Voilà serving a one-cell notebook whose
hub uses a small open_clip model with random weights: the real code path, rankings the model's).

Driven like a person would: a blurred tile unblurs on click, a text -> image query from the search
box (the castle and its near-copies fold into one tile with a count), the regions toggle draws
region boxes, "More like this" on a tile, an image dropped on the panel and one pasted into it
search by example (the widget receives the file's bytes). Screenshots stay in the test's tmp folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..test_clip import TINY_CLIP
from ..test_image_search import COPIES, make_folder
from .conftest import CHROMIUM, jupyter_env, page_problems, start_voila

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

VIEWPORT = {"width": 1300, "height": 1000}
SOURCE = """\
from modelhub_jupyter import Hub
from modelhub_jupyter.embed.image import ImageEmbedder
from modelhub_jupyter.widgets.gallery import ImageGallery

hub = Hub({home!r})
hub.images.embedder = ImageEmbedder.from_config({config!r}, "tiny-test")
gallery = ImageGallery(hub, page_size=24)
gallery.blur_above = {blur_above!r}
gallery
"""
GRID_SETTLED = """root => root.getAttribute('data-status') === 'idle'
    && root.querySelector('.mh-tile .mh-tile-name') !== null"""
# a File made in the page from bytes the test sends (drag-and-drop and paste carry it in a DataTransfer)
TRANSFER = """([name, bytes]) => {
  const t = new DataTransfer();
  t.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
  return t;
}"""


@pytest.fixture(scope="module")
def clip_home(tmp_path_factory, shared_embedder):
    """An indexed home (the test images, CLIP vectors by the tiny model) and the blur threshold that
    blurs exactly the tile with the highest nsfw score."""
    from modelhub_jupyter import Hub
    from modelhub_jupyter.embed.image import ImageEmbedder

    base = tmp_path_factory.mktemp("gallery-clip")
    folder = make_folder(base / "outputs")
    home = base / "home"
    with Hub(home, embedder=shared_embedder) as hub:
        hub.images.embedder = ImageEmbedder.from_config(TINY_CLIP, "tiny-test")
        hub.images.background = False
        hub.index(folder, progress=False)
        hits = hub.browse("image", limit=100).hits
    risk = sorted(
        ((max(h.metadata["safety_assessment"][k] for k in ("nsfw", "violence")), h.path) for h in hits),
        reverse=True,
    )  # the tile shows (and blurs by) its highest score
    assert risk[0][0] > risk[1][0], risk[:2]  # one tile to blur
    return home, folder, (risk[0][0] + risk[1][0]) / 2, risk[0][1]


def _notebook(path: Path, source: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _names(gallery) -> list[str]:
    return gallery.locator(".mh-tile .mh-tile-name").all_inner_texts()


def _settle(page, gallery, first: str | None = None, timeout: float = 60_000) -> None:
    """Wait until the grid is drawn and idle (and, given ``first``, its first tile is that image)."""
    check = GRID_SETTLED
    if first is not None:
        check += f" && root.querySelector('.mh-tile .mh-tile-name').textContent === {json.dumps(first)}"
    try:
        page.wait_for_function(check, arg=gallery.element_handle(), timeout=timeout)
    except Exception as err:
        state = gallery.get_attribute("data-status"), gallery.locator(".mh-status").inner_text()
        raise AssertionError(f"grid not settled on {first!r}: {state}, tiles {_names(gallery)[:5]}") from err


def test_gallery_searches_by_what_images_show(browser, clip_home, tmp_path, remember_page):
    home, folder, blur_above, riskiest = clip_home
    source = SOURCE.format(home=str(home), config=TINY_CLIP, blur_above=round(blur_above, 6))
    notebook = _notebook(tmp_path / "gallery.ipynb", source)
    server = start_voila(notebook, jupyter_env(tmp_path / "jupyter", home), tmp_path / "voila.log")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        server.wait("/voila/static/none")
        page.goto(server.url + "/", timeout=120_000)
        gallery = page.locator(".mh-panel.mh-gallery")
        gallery.wait_for(state="attached", timeout=120_000)
        _settle(page, gallery)
        assert len(_names(gallery)) == 15  # every readable image, in path order

        # a blurred tile (its safety score and the model that gave it), unblurred by a click
        blurred = gallery.locator(".mh-tile", has=page.locator("img.mh-blurred"))
        assert blurred.count() == 1 and blurred.locator(".mh-tile-name").inner_text() == Path(riskiest).name
        warning = blurred.locator(".mh-safety").inner_text()
        assert ("nsfw" in warning or "violence" in warning) and "tiny-test:random-weights" in warning, warning
        page.screenshot(path=str(tmp_path / "gallery-blurred.png"))
        tile_id = blurred.get_attribute("data-id")
        blurred.click()
        revealed = gallery.locator(f'.mh-tile[data-id="{tile_id}"]')
        assert revealed.locator("img.mh-blurred").count() == 0 and revealed.locator(".mh-safety").count() == 0

        # text -> image from the search box: the castle first, its three near-copies folded into it
        query = gallery.locator("input.mh-query")
        query.fill("castle at sunset")
        _settle(page, gallery, first="castle.png")
        top = gallery.locator(".mh-tile").first
        assert top.get_attribute("data-count") == "4" and top.locator(".mh-dup-count").inner_text() == "×4"
        assert not set(_names(gallery)) & set(COPIES)
        assert len(_names(gallery)) == 15 - 3
        page.screenshot(path=str(tmp_path / "gallery-text-to-image.png"))

        # the regions toggle: each hit is ranked by its best tile, whose box is drawn on the tile
        gallery.locator("input.mh-regions").check()
        gallery.locator(".mh-tile .mh-region").first.wait_for(state="attached", timeout=60_000)
        _settle(page, gallery)
        box = gallery.locator(".mh-tile .mh-region").first.get_attribute("style")
        assert "left:" in box and "width:" in box and "width:100%" not in box, box
        page.screenshot(path=str(tmp_path / "gallery-regions.png"))
        gallery.locator("input.mh-regions").uncheck()
        page.wait_for_function(
            "root => !root.querySelector('.mh-region') && root.getAttribute('data-status') === 'idle'",
            arg=gallery.element_handle(),
            timeout=60_000,
        )

        # "More like this" on a tile: that image first, the chip names it, the query is set aside
        query.fill("")
        _settle(page, gallery, first="alpha.png")
        scene = gallery.locator(".mh-tile").filter(has_text="scene_4.png")
        scene.hover()
        scene.locator("button.mh-more-like").click()
        _settle(page, gallery, first="scene_4.png")
        assert "scene_4.png" in gallery.locator(".mh-like-chip").inner_text()
        page.screenshot(path=str(tmp_path / "gallery-more-like-this.png"))

        # an image dropped on the panel: the widget gets its bytes and searches by example
        dropped = page.evaluate_handle(
            TRANSFER, ["castle_small.png", list((folder / "castle_small.png").read_bytes())]
        )
        gallery.locator(".mh-drop").dispatch_event("drop", {"dataTransfer": dropped})
        _settle(page, gallery, first="castle_small.png")
        top = gallery.locator(".mh-tile").first
        assert top.get_attribute("data-count") == "4"  # the castle group, led by the same picture
        assert "castle_small.png" in gallery.locator(".mh-like-chip").inner_text()
        page.screenshot(path=str(tmp_path / "gallery-dropped.png"))

        # a pasted image (focus in the panel) does the same
        pasted = page.evaluate_handle(
            TRANSFER, ["clipboard.png", list((folder / "scene_6.png").read_bytes())]
        )
        gallery.locator(".mh-drop").focus()
        gallery.locator(".mh-drop").evaluate(
            "(el, t) => el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: t, bubbles: true}))",
            pasted,
        )
        _settle(page, gallery, first="scene_6.png")
        assert "clipboard.png" in gallery.locator(".mh-like-chip").inner_text()

        # clearing the chip returns to browsing
        gallery.locator("button.mh-like-clear").click()
        _settle(page, gallery, first="alpha.png")
        assert gallery.locator(".mh-like-chip").is_hidden()
        page.screenshot(path=str(tmp_path / "gallery-cleared.png"))
        assert not problems, problems
    finally:
        page.screenshot(path=str(tmp_path / "gallery-last.png"))  # kept for a failure too
        context.close()
        server.stop()
