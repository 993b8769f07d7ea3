"""The Ask tab of the Voilà dashboard, in headless chromium: a question typed, the answer with its
citations, a citation opened, a thumbs up that reaches the catalog. Saves ``voila-ask*.png``."""

from __future__ import annotations

import time

import pytest

from .conftest import CHROMIUM, open_dashboard_tab, page_problems

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

VIEWPORT = {"width": 1400, "height": 1000}
QUESTION = "Which models use AdamW, and with what learning rate?"
ANSWERED = """root => root.getAttribute('data-status') === 'idle'
    && root.querySelector('.mh-citation-link') !== null
    && root.querySelector('.mh-answer').textContent.includes('gpt/train_gpt.py')"""


def _stored(home, text: str):
    """The rows the catalog holds for ``text`` asked from a panel (read through a second Hub)."""
    from modelhub_jupyter import Hub

    with Hub(home) as hub:
        return [q for q in hub.catalog.queries() if q.text == text and q.surface == "panel"]


def _wait_for_row(home, text: str, check, timeout: float = 60.0):
    """Poll the catalog until a stored row for ``text`` passes ``check`` (the kernel writes it)."""
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = _stored(home, text)
        if any(check(r) for r in rows):
            return next(r for r in rows if check(r))
        time.sleep(0.5)
    raise AssertionError(f"no stored row for {text!r} passed the check in {timeout:.0f} s: {rows}")


def test_voila_ask_panel(browser, voila, modelhub_home, artifacts, remember_page):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        ask = open_dashboard_tab(page, voila.url, "Ask", "mh-ask")
        assert ask.get_attribute("data-status") == "empty"  # a hint until something is asked

        question = ask.locator("input.mh-question")
        question.click()
        question.press_sequentially(QUESTION, delay=20)
        question.press("Enter")
        page.wait_for_function(ANSWERED, arg=ask.element_handle(), timeout=180_000)

        answer = ask.locator(".mh-answer").inner_text()
        assert "gpt/train_gpt.py: learning rate 0.0003" in answer, answer
        assert ask.locator(".mh-answer .mh-cite-ref").count() > 0  # [n] in the answer are links
        about = ask.locator(".mh-answer-about").inner_text()
        assert "catalog" in about and ask.locator(".mh-answer-about .mh-prompt").is_visible(), about

        # Open the citation of train_gpt.py: its lines unfold, the cited one marked.
        citation = (
            ask.locator(".mh-citation")
            .filter(has_text="gpt/train_gpt.py")
            .filter(has_text="learning_rate")
            .first
        )
        label = citation.locator(".mh-citation-link").inner_text().split(" ", 1)[1]
        citation.locator(".mh-citation-link").click()
        cited = citation.locator(".mh-line-cited")
        cited.first.wait_for(state="visible", timeout=10_000)
        assert "3e-4" in cited.first.inner_text()
        assert cited.first.locator(".mh-lineno").inner_text() == label.rsplit(":", 1)[1].split("-")[0]
        page.screenshot(path=str(artifacts / "voila-ask.png"))

        ask.locator("button.mh-thumb-up").click()
        page.wait_for_function(
            "root => root.querySelector('.mh-rating').dataset.feedback === 'up'",
            arg=ask.element_handle(),
            timeout=30_000,
        )
        expect(ask.locator(".mh-status")).to_contain_text("stored", timeout=30_000)
        ask.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "voila-ask-rated.png"))

        row = _wait_for_row(modelhub_home, QUESTION, lambda r: r.feedback == 1)
        assert row.action == "ask" and row.intent == "metadata_lookup"
        assert row.clicked == label  # the citation the user opened
        assert not problems, problems
    finally:
        context.close()
