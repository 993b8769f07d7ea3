"""What a new user meets in the Voilà dashboard: a clean console, idle kernels culled, forms that behave.

Screenshots: ``test-artifacts/voila-first-hour-*.png``.
"""

from __future__ import annotations

import re

import pytest

from .conftest import CHROMIUM, is_cdn_noise

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

VIEWPORT = {"width": 1400, "height": 1000}
TABS = {"search": "Search", "gallery": "Images", "index": "Index"}


@pytest.fixture
def dashboard(browser, voila, remember_page):
    """(page, console messages): the dashboard open in a fresh context, every panel drawn."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.goto(voila.url + "/", timeout=120_000)
    for name in TABS:
        page.wait_for_selector(f".mh-panel.mh-{name}", state="attached", timeout=90_000)
    yield page, console
    context.close()


def show_tab(page, name: str):
    panel = page.locator(f".mh-panel.mh-{name}")
    if not panel.is_visible():
        page.locator(".lm-TabBar-tab").filter(has_text=TABS[name]).first.click()
        panel.wait_for(state="visible", timeout=10_000)
    return panel


def test_console_is_clean_and_idle_kernels_are_culled(dashboard, voila, artifacts):
    page, console = dashboard
    search = show_tab(page, "search")
    search.locator("input.mh-query").fill("castle at sunset")
    search.locator(".mh-result").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # late module-federation warnings
    page.screenshot(path=str(artifacts / "voila-first-hour-console.png"))
    unsatisfied = [m for m in console if "Unsatisfied version" in m or "No satisfying version" in m]
    assert not unsatisfied, unsatisfied
    errors = [m for m in console if m.startswith(("error", "pageerror")) and not is_cdn_noise(m)]
    assert not errors, errors
    # The shipped voila.json (read from the folder Voilà runs in) turns the culler on.
    assert "Culling kernels with idle durations > 120 seconds" in voila.log.read_text()


def test_gallery_numeric_filter_applies_on_enter(dashboard, artifacts):
    page, _ = dashboard
    gallery = show_tab(page, "gallery")
    gallery.locator(".mh-tile").first.wait_for(timeout=60_000)
    before = gallery.locator(".mh-page-label").inner_text()
    cfg = gallery.locator("input.mh-filter-cfg_min")
    cfg.click()
    cfg.press_sequentially("8")
    cfg.press("Enter")  # no Tab, no click elsewhere
    page.wait_for_function(
        "(before) => document.querySelector('.mh-gallery .mh-page-label').textContent !== before",
        arg=before,
        timeout=15_000,
    )
    assert cfg.evaluate("el => el === document.activeElement")  # the focus stayed in the box
    shown = [
        re.search(r"cfg\s*([0-9.]+)", t) for t in gallery.locator(".mh-tile .mh-overlay").all_text_contents()
    ]
    assert all(float(m.group(1)) >= 8 for m in shown if m), shown
    page.screenshot(path=str(artifacts / "voila-first-hour-gallery-cfg.png"))


def test_history_restores_the_whole_search(dashboard, artifacts):
    page, _ = dashboard
    search = show_tab(page, "search")
    box, kind = search.locator("input.mh-query"), search.locator("select.mh-kind")
    kind.select_option("code")
    box.fill("attention")
    box.press("Enter")
    search.locator(".mh-result").first.wait_for(timeout=60_000)
    kind.select_option("image")
    box.fill("castle at sunset")
    box.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('.mh-search .mh-history li').length >= 2", timeout=30_000
    )
    search.locator("details.mh-history-box summary").filter(has_text="History").click()
    entry = search.locator(".mh-history li").filter(has_text="attention")
    assert "kind=code" in entry.inner_text()
    entry.click()
    page.wait_for_function(
        """() => {
            const p = document.querySelector('.mh-search');
            return p.querySelector('select.mh-kind').value === 'code'
                && p.querySelector('input.mh-query').value === 'attention'
                && p.querySelector('.mh-result .mh-badge')?.textContent === 'code';
        }""",
        timeout=30_000,
    )
    page.screenshot(path=str(artifacts / "voila-first-hour-history.png"))
