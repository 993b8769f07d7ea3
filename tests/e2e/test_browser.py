"""What people look at: the tour notebook in JupyterLab and the Voilà dashboard, in headless chromium.

Each test saves a screenshot to ``test-artifacts/``. Run only these with ``pytest -m e2e``; skip them
with ``-m "not e2e"``.
"""

from __future__ import annotations

import pytest

from .conftest import CHROMIUM, page_problems

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

# Code cells of notebooks/tour.ipynb, in order.
LOAD_EXT, STATUS, CODE_SEARCH, IMAGE_SEARCH, WHERE_SEARCH = range(5)
VIEWPORT = {"width": 1400, "height": 1000}
ALL_CELLS_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


@pytest.fixture(scope="module")
def tour(browser, jupyterlab, artifacts):
    """A Lab page with ``tour.ipynb`` open and every cell run."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{jupyterlab.url}/lab/tree/tour.ipynb")
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(ALL_CELLS_RAN, timeout=120_000)
    page.errors = errors
    yield page
    context.close()


def code_cell(page, n: int):
    return page.locator(".jp-Notebook .jp-CodeCell").nth(n)


def wait_image_loaded(img, timeout: float = 30_000) -> None:
    """Scroll ``img`` into view (tiles load lazily) and wait until its bytes are decoded."""
    img.wait_for(state="attached", timeout=timeout)
    img.scroll_into_view_if_needed()
    img.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=timeout
    )


def shot(page, artifacts, name: str, element=None) -> None:
    if element is not None:  # its top at the top of the viewport
        element.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(artifacts / f"{name}.png"))


def test_tour_runs_and_renders_panels(tour, artifacts, remember_page):
    page = tour
    remember_page(page)
    tracebacks = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
    assert tracebacks.count() == 0, tracebacks.all_inner_texts()

    search = code_cell(page, CODE_SEARCH).locator(".mh-panel.mh-search")
    search.locator(".mh-result").first.wait_for(timeout=30_000)
    assert search.locator(".mh-result").count() > 0
    assert search.get_attribute("data-status") == "idle"
    paths = search.locator(".mh-result-path").all_inner_texts()
    assert any("transformer" in p for p in paths), paths
    assert search.locator("pre.mh-code").count() > 0

    gallery = code_cell(page, IMAGE_SEARCH).locator(".mh-panel.mh-gallery")
    gallery.locator(".mh-tile img").first.wait_for(timeout=30_000)
    assert gallery.locator(".mh-tile").count() > 0
    wait_image_loaded(gallery.locator(".mh-tile img").first)

    assert "lstm" not in " ".join(paths)  # precondition of test_search_as_you_type
    frame = code_cell(page, WHERE_SEARCH).locator(".jp-OutputArea-output table")
    assert frame.count() > 0, "res.to_frame() rendered no table"
    shot(page, artifacts, "lab-tour-search", search)
    shot(page, artifacts, "lab-tour-gallery", gallery)
    assert not page.errors, page.errors


def test_search_as_you_type(tour, artifacts, remember_page):
    page = tour
    remember_page(page)
    search = code_cell(page, CODE_SEARCH).locator(".mh-panel.mh-search")
    query = search.locator("input.mh-query")
    query.scroll_into_view_if_needed()
    query.fill("")
    query.press_sequentially("imdb bilstm sentiment", delay=40)
    # the card list may be replaced when results arrive, so poll from the panel root
    page.wait_for_function(
        """root => { const p = root.querySelector('.mh-result .mh-result-path');
                     return p && p.textContent.includes('lstm_sentiment')
                            && root.getAttribute('data-status') === 'idle'; }""",
        arg=search.element_handle(),
        timeout=30_000,
    )
    assert "lstm_sentiment" in search.locator(".mh-result-path").first.inner_text()
    shot(page, artifacts, "lab-search-as-you-type", search)


def test_filters_read_from_words_show_as_chips(tour, artifacts, remember_page):
    page = tour
    remember_page(page)
    search = code_cell(page, CODE_SEARCH).locator(".mh-panel.mh-search")
    query = search.locator("input.mh-query")
    query.scroll_into_view_if_needed()
    query.fill("jax models with at least 2 layers")
    chips = search.locator(".mh-chip-understood")
    page.wait_for_function(
        """root => root.querySelectorAll('.mh-chip-understood').length === 2
                   && root.getAttribute('data-status') === 'idle'""",
        arg=search.element_handle(),
        timeout=30_000,
    )
    assert chips.all_inner_texts()[0].startswith("framework.name=jax")
    assert "from your words" in chips.first.get_attribute("title")
    assert all(p.startswith("jax/") for p in search.locator(".mh-result-path").all_inner_texts())
    shot(page, artifacts, "lab-search-understood-chips", search)
    chips.first.locator(".mh-chip-remove").click()  # do not filter by framework
    page.wait_for_function(
        "root => root.querySelectorAll('.mh-chip-understood').length === 1",
        arg=search.element_handle(),
        timeout=30_000,
    )
    assert chips.first.inner_text().startswith("model_dimensions.num_layers>=2")


def test_gallery_detail_shows_parameters(tour, artifacts, remember_page):
    page = tour
    remember_page(page)
    gallery = code_cell(page, IMAGE_SEARCH).locator(".mh-panel.mh-gallery")
    tiles = gallery.locator(".mh-tile")
    castle = gallery.locator('.mh-tile[data-id*="castle_sunset"]')
    tile = castle.first if castle.count() else tiles.first
    tile.scroll_into_view_if_needed()
    tile.click()
    prompt = gallery.locator('div.mh-detail table.mh-params tr[data-key="prompt"]')
    prompt.wait_for(timeout=30_000)
    assert "castle" in prompt.inner_text().lower()
    shot(page, artifacts, "lab-gallery-detail", gallery.locator("div.mh-detail"))


def test_gallery_compares_selected_images_side_by_side(tour, artifacts, remember_page):
    page = tour
    remember_page(page)
    gallery = code_cell(page, IMAGE_SEARCH).locator(".mh-panel.mh-gallery")
    close = gallery.locator("button.mh-close")
    if close.count():
        close.first.click()
    boxes = gallery.locator(".mh-tile input.mh-select")
    boxes.nth(0).check()
    boxes.nth(1).check()
    gallery.locator("button.mh-compare-btn").click()
    compare = gallery.locator("div.mh-compare")
    compare.wait_for(timeout=30_000)
    assert compare.locator("img").count() == 2
    differing = compare.locator("td.mh-diff")
    differing.first.wait_for(timeout=30_000)
    # two different generations differ at least in prompt and seed, and those cells are highlighted
    assert differing.count() >= 2
    shot(page, artifacts, "lab-gallery-compare", compare)


def test_voila_dashboard(browser, voila, artifacts, remember_page):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        page.goto(voila.url + "/", timeout=120_000)
        for name in ("search", "gallery", "index"):
            page.wait_for_selector(f".mh-panel.mh-{name}", state="attached", timeout=90_000)
        panels = page.locator(".mh-panel")
        page.wait_for_function(
            """() => [...document.querySelectorAll('.mh-panel')].every(
                   p => p.getAttribute('data-status') !== 'loading')""",
            timeout=60_000,
        )
        statuses = {
            p.get_attribute("class"): p.get_attribute("data-status") for p in panels.element_handles()
        }
        assert "error" not in statuses.values(), statuses
        # Search round trip through the Voilà kernel.
        search = page.locator(".mh-panel.mh-search")
        if not search.is_visible():
            _show_tab(page, "search")
        search.locator("input.mh-query").fill("causal self attention")
        search.locator(".mh-result").first.wait_for(timeout=30_000)
        assert "transformer" in search.locator(".mh-result-path").first.inner_text()
        shot(page, artifacts, "voila-dashboard")

        # The gallery's thumbnails travel as widget data (Voilà serves no .webp files).
        gallery = page.locator(".mh-panel.mh-gallery")
        if not gallery.is_visible():
            _show_tab(page, "gallery")
        wait_image_loaded(gallery.locator(".mh-tile img").first)
        shot(page, artifacts, "voila-gallery")

        index = page.locator(".mh-panel.mh-index")
        if not index.is_visible():
            _show_tab(page, "index")
        index.locator(".mh-index-summary").wait_for(timeout=30_000)
        # Served, the dashboard cannot be made to index (and so read) a folder a viewer names.
        assert "Read-only dashboard" in index.locator(".mh-note").inner_text()
        assert not index.locator("input.mh-path").is_visible()
        assert not index.locator("button.mh-reindex").is_visible()
        shot(page, artifacts, "voila-index")
        assert not problems, problems
    finally:
        context.close()


TAB_TITLES = {"search": "Search", "gallery": "Images", "index": "Index"}  # Dashboard's tab titles


def _show_tab(page, name: str) -> None:
    """Click the Dashboard tab that holds the ``.mh-<name>`` panel."""
    page.locator(".lm-TabBar-tab").filter(has_text=TAB_TITLES[name]).first.click()
    page.locator(f".mh-panel.mh-{name}").wait_for(state="visible", timeout=10_000)
