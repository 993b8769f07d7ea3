"""The Prompts tab of the Voilà dashboard, in headless chromium: the user template edited in the
Prompt Studio changes the live rendered prompt, saved as version 2 (listed), the diff shows the change,
v2 activated (a second Hub sees it), a small A/B run shows its table and verdict. Screenshots stay in
the test's tmp folder.

The dashboard is served from its own copy of the indexed home (with MODELHUB_DASHBOARD_ROOTS set, so it
is not read-only), so the saved and activated versions never touch the other browser tests' store.
"""

from __future__ import annotations

import pytest

from tests.homes import copy_home

from .conftest import CHROMIUM, NOTEBOOKS, jupyter_env, open_dashboard_tab, page_problems, start_voila

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

VIEWPORT = {"width": 1400, "height": 1200}
OLD = "Answer the question from the sources"
NEW = "Answer like a careful reviewer, only from the sources"


def _active(home) -> int:
    from modelhub_jupyter import Hub

    with Hub(home) as hub:
        return hub.prompts.active().version


def test_prompt_studio_edit_preview_save_diff_activate_ab(browser, modelhub_home, tmp_path, remember_page):
    from playwright.sync_api import expect

    from modelhub_jupyter import Hub

    home = tmp_path / "home"
    copy_home(modelhub_home, home)
    with Hub(home) as hub:
        roots = [r["path"] for r in hub.status()["roots"]]
    env = jupyter_env(tmp_path / "jupyter", home)
    env["MODELHUB_DASHBOARD_ROOTS"] = ":".join(roots)  # a dashboard its viewers may change
    server = start_voila(NOTEBOOKS / "dashboard.ipynb", env, tmp_path / "voila.log")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        server.wait("/voila/static/none")
        studio = open_dashboard_tab(page, server.url, "Prompts", "mh-prompt-studio")
        rendered_user = studio.locator(".mh-rendered-user")
        assert OLD in rendered_user.inner_text() and "gpt/train_gpt.py" in rendered_user.inner_text()
        assert studio.locator("select.mh-version").input_value() == "1"
        # the editor is CodeMirror (bundled), Jinja2 highlighted: {{ question }} is a styled token
        editor = studio.locator('.cm-content[aria-label="user template"]')
        assert OLD in editor.inner_text() and editor.locator(".cm-line span").count() > 3

        # edit: select all, type the new text; the rendered prompt follows (debounced), nothing saved yet
        text = editor.inner_text().replace(OLD, NEW)
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(text)
        page.wait_for_function(  # the preview's <pre> elements are redrawn: wait on their container
            "([el, text]) => el.textContent.includes(text)",
            arg=[studio.locator(".mh-rendered").element_handle(), NEW],
            timeout=30_000,
        )
        assert NEW in rendered_user.inner_text() and OLD not in rendered_user.inner_text()
        assert "edited" in studio.locator(".mh-dirty").inner_text()
        page.screenshot(path=str(tmp_path / "studio-edited.png"))

        # save as version 2 with a note: listed, the diff shows the change
        studio.locator("input.mh-note").fill("reviewer tone")
        studio.locator("input.mh-author").fill("ada")
        studio.locator("button.mh-save-btn").click()
        row = studio.locator('.mh-history tr[data-version="2"]')
        row.wait_for(state="attached", timeout=30_000)
        assert "reviewer tone" in row.inner_text() and "ada" in row.inner_text()
        # the status line is a separate message from the history rows: wait for it too
        expect(studio.locator(".mh-status")).to_contain_text("Saved answer@2", timeout=30_000)
        diff = studio.locator(".mh-diff")
        diff.locator(".diff_add, .diff_chg").first.wait_for(state="attached", timeout=30_000)
        assert "reviewer" in diff.inner_text() and "answer@1" in diff.inner_text()
        diff.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "studio-diff.png"))

        # activate v2: marked active, and every other kernel on this store now phrases with it
        studio.locator("button.mh-activate-btn").click()
        studio.locator(".mh-history tr.mh-active-row[data-version='2']").wait_for(
            state="attached", timeout=30_000
        )
        assert _active(home) == 2

        # a small A/B run (no language model): its table and verdict appear, and it is listed
        studio.locator("select.mh-ab-a").select_option("1")
        studio.locator("select.mh-ab-b").select_option("2")
        studio.locator("textarea.mh-ab-questions").fill("how is the learning rate warmed up")
        studio.locator("button.mh-ab-btn").click()
        table = studio.locator(".mh-ab-table")
        table.wait_for(state="visible", timeout=60_000)
        assert "answer@1" in table.inner_text() and "latency" in table.inner_text()
        assert studio.locator(".mh-verdict").inner_text().strip()
        expect(studio.locator(".mh-ab-runs li")).to_have_count(1, timeout=30_000)
        table.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "studio-ab.png"))
        assert not problems, problems
    finally:
        context.close()
        server.stop()
