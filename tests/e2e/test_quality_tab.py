"""The Quality tab of the Voilà dashboard, in headless chromium, over a recorded query log: latency by
intent (table and the plotly box plot made when the tab opens), the problem queries, comparison
dimensions, the resource monitor; Export YAML offers a file the gold loader reads. Then the Search
tab's star: the search is listed under Starred and runs again from there. Screenshots stay in the
test's tmp folder.

It uses the session's Voilà server and home; the rows it records carry a unique marker.
"""

from __future__ import annotations

import time
import uuid

import pytest
import yaml

from .conftest import CHROMIUM, open_dashboard_tab, page_problems

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

VIEWPORT = {"width": 1400, "height": 1200}


def _record(home, marker: str) -> dict[str, str]:
    """Queries in the log the way the hub stores them: a search with nothing found, a question
    answered badly (thumbs down) with its intent and latency, a comparison's dimensions."""
    from modelhub_jupyter import Hub
    from modelhub_jupyter import quality as q
    from modelhub_jupyter.store import QueryRow

    texts = {"zero": f"flux capacitor {marker}", "down": f"which optimizer does {marker} use"}
    with Hub(home) as hub:
        now = time.time()
        hub.catalog.record_query(
            QueryRow(now, "viewer", "search", texts["zero"], "code", "", 35.0, 0, "", [], [], "panel")
        )
        for ms in (900.0, 1300.0):
            qid = hub.catalog.record_query(
                QueryRow(
                    now,
                    "viewer",
                    "ask",
                    texts["down"],
                    "all",
                    "metadata_lookup",
                    ms,
                    1,
                    "",
                    ["gpt/train_gpt.py"],
                    [],
                    "panel",
                )  # fmt: skip
            )
            hub.feedback(qid, good=False)
        for _ in range(20):  # the home is shared with the compare tests: this dimension must lead the list
            q.record_event(hub, "compare", "transformer_v1 vs transformer_v2", [f"dimension_{marker}"])
    return texts


def test_quality_tab_and_search_star(browser, voila, modelhub_home, tmp_path, remember_page):
    from playwright.sync_api import expect

    marker = uuid.uuid4().hex[:8]
    texts = _record(modelhub_home, marker)
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        panel = open_dashboard_tab(page, voila.url, "Quality", "mh-quality")

        # the problem queries, with why; thumbs down and no results in their own lists
        problem_list = panel.locator(".mh-quality-problems")
        expect(problem_list).to_contain_text(texts["zero"], timeout=60_000)  # read when the tab opens
        expect(problem_list).to_contain_text(texts["down"])
        expect(panel.locator(".mh-quality-zero")).to_contain_text(texts["zero"])
        expect(panel.locator(".mh-quality-down")).to_contain_text(texts["down"])
        expect(panel.locator(".mh-quality-dims")).to_contain_text(f"dimension_{marker}")
        # latency by intent: the table row and the plotly box plot drawn when the tab opened
        expect(panel.locator('.mh-quality-latency tr[data-intent="metadata_lookup"]')).to_be_visible()
        chart = page.locator(".mh-quality-chart")
        page.screenshot(path=str(tmp_path / "quality-lists.png"), full_page=True)
        # plotly (Python import and plotly.js in the page) loads only now: slow on a loaded machine
        try:
            expect(chart.locator(".gtitle")).to_contain_text("Latency by intent", timeout=150_000)
        except AssertionError as err:
            tab = page.locator(".mh-quality-tab").first.evaluate(
                "e => e.outerHTML.slice(0, 600) + ' … ' + e.outerHTML.slice(-1500)"
            )
            page.screenshot(path=str(tmp_path / "quality-no-chart.png"), full_page=True)
            raise AssertionError(f"no chart; the tab holds {tab}") from err
        expect(chart.locator(".boxlayer path").first).to_be_attached()
        expect(chart.locator(".xaxislayer-above")).to_contain_text("metadata_lookup")
        # the resource monitor
        expect(panel.locator(".mh-res-stores")).to_contain_text("catalog")
        expect(panel.locator(".mh-res-process")).to_contain_text("Memory (RSS)")
        page.screenshot(path=str(tmp_path / "quality-tab.png"), full_page=True)

        # Export YAML: a download in the gold set's format
        panel.locator("button.mh-quality-export").click()
        link = panel.locator("a.mh-quality-download")
        expect(link).to_be_visible(timeout=60_000)
        expect(panel.locator(".mh-status")).to_contain_text("Exported", timeout=10_000)
        with page.expect_download() as info:
            link.click()
        exported = yaml.safe_load(open(info.value.path(), encoding="utf-8").read())
        by_text = {item["query"]: item for item in exported["queries"]}
        assert by_text[texts["down"]]["reasons"] == ["thumbs down"] and by_text[texts["down"]]["relevant"]
        assert (
            by_text[texts["zero"]]["kind"] == "code" and by_text[texts["zero"]]["relevant"][0]["grade"] == 2
        )

        # the Search tab's star: the whole search is listed under Starred and runs again from there
        page.locator(".lm-TabBar-tab").filter(has_text="Search").first.click()
        search = page.locator(".mh-panel.mh-search")
        query = search.locator("input.mh-query")
        query.fill(f"causal self attention {marker}")
        search.locator("select.mh-kind").select_option("code")
        expect(search.locator(".mh-result").first).to_be_visible(timeout=60_000)  # the search ran
        star = search.locator("button.mh-star")
        expect(star).to_have_attribute("aria-pressed", "false", timeout=10_000)
        star.click()
        try:
            expect(star).to_have_attribute("aria-pressed", "true", timeout=30_000)
        except AssertionError as err:
            state = search.get_attribute("data-status"), search.locator(".mh-status").inner_text()
            raise AssertionError(f"star not lit; search panel {state}") from err
        starred = search.locator(".mh-starred-box")
        starred.locator("summary").click()
        item = starred.locator(".mh-favorite").filter(has_text=marker)
        expect(item).to_contain_text("kind=code")
        query.fill("diffusion noise schedule")
        expect(star).to_have_attribute("aria-pressed", "false", timeout=20_000)
        item.locator(".mh-favorite-text").click()
        expect(query).to_have_value(f"causal self attention {marker}", timeout=20_000)
        expect(star).to_have_attribute("aria-pressed", "true", timeout=20_000)
        expect(search.locator(".mh-result").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(tmp_path / "search-starred.png"), full_page=True)
        item.locator("button.mh-unstar").click()
        expect(starred.locator(".mh-favorite").filter(has_text=marker)).to_have_count(0, timeout=20_000)
        assert not problems, problems
    finally:
        context.close()
