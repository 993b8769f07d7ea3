"""The Compare tab of the Voilà dashboard, in headless chromium: transformer_v1 and transformer_v2 picked
from the index's suggestions, the aligned table with the differing rows highlighted and % change,
the structural diff, the plotly lineage timeline; Generate notebook writes compare_models and shows
its path and a download link. Screenshots stay in the test's tmp folder."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest

from .conftest import CHROMIUM, page_problems

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

VIEWPORT = {"width": 1400, "height": 1100}


def test_compare_tab_shows_two_models_and_generates_their_notebook(browser, voila, tmp_path, remember_page):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        page.goto(voila.url + "/", timeout=120_000)
        panel = page.locator(".mh-panel.mh-modelcompare")
        panel.wait_for(state="attached", timeout=120_000)
        page.locator(".lm-TabBar-tab").filter(has_text="Compare").first.click()
        panel.wait_for(state="visible", timeout=10_000)

        # the index's models are suggested
        suggested = panel.locator("datalist option")
        suggested.first.wait_for(state="attached", timeout=30_000)
        values = {o.get_attribute("value") for o in suggested.all()}
        assert {"transformer_v1", "transformer_v2", "tiny-gpt"} <= values
        picks = panel.locator("input.mh-mc-pick")
        assert picks.count() == 4 and picks.first.get_attribute("list") == panel.locator(
            "datalist"
        ).get_attribute("id")
        picks.nth(0).fill("transformer_v1")
        picks.nth(1).fill("transformer_v2")
        assert panel.locator("button.mh-mc-generate").is_disabled()  # nothing compared yet
        panel.locator("button.mh-mc-run").click()

        # the aligned table: differing rows highlighted, % change with better/worse
        table = panel.locator("table.mh-mc-table")
        table.wait_for(state="visible", timeout=60_000)
        assert table.locator("thead th").all_inner_texts() == ["field", "transformer_v1", "transformer_v2"]
        ppl = table.locator('tr[data-key="performance.perplexity"]')
        assert "mh-diff" in (ppl.get_attribute("class") or "")
        better = ppl.locator("td.mh-better")
        assert better.count() == 1 and "19.6 (-37.2% better)" in better.inner_text()
        same = table.locator('tr[data-key="framework.name"]')
        assert "mh-diff" not in (same.get_attribute("class") or "")
        background = "el => getComputedStyle(el).backgroundColor"
        assert ppl.evaluate(background) != same.evaluate(background)  # the highlight is visible
        page.screenshot(path=str(tmp_path / "compare-table.png"), full_page=True)

        # only the differences, on request
        panel.locator("input.mh-mc-only-diff").check()
        assert table.locator('tr[data-key="framework.name"]').count() == 0 and ppl.count() == 1
        panel.locator("input.mh-mc-only-diff").uncheck()

        # the structural diff and the code diff
        structure = panel.locator('.mh-mc-structure[data-pair="transformer_v1:transformer_v2"]')
        assert structure.locator("li.mh-add").filter(has_text="+ class RotaryEmbedding").count() == 1
        assert structure.locator("li.mh-chg").filter(has_text="~ GPTConfig n_layer: 6 → 12").count() == 1
        code = panel.locator("details.mh-mc-code").first
        code.locator("summary").click()
        assert code.locator("table.diff .diff_add").count() > 0

        # the lineage timeline (plotly): both models at their git dates
        timeline = page.locator(".mh-mc-timeline")
        points = timeline.locator(".scatterlayer .point")
        points.first.wait_for(state="attached", timeout=60_000)
        assert points.count() >= 2
        assert "Lineage (git dates)" in (timeline.locator(".gtitle").first.text_content() or "")
        assert {"transformer_v1", "transformer_v2"} <= set(
            timeline.locator(".textpoint text").all_text_contents()
        )
        timeline.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "compare-timeline.png"), full_page=True)

        # Generate notebook: compare_models written, its path and a download link shown
        panel.locator("button.mh-mc-generate").click()
        where = panel.locator(".mh-mc-nb-path")
        where.wait_for(state="visible", timeout=60_000)
        path = Path(where.inner_text())
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["papermill"]["parameters"]["models"] == "transformer_v1,transformer_v2"
        assert nb.metadata["modelhub"]["template"] == "compare_models"
        link = panel.locator("a.mh-mc-nb-link")
        assert link.get_attribute("download") == path.name
        href = link.get_attribute("href") or ""
        assert href.startswith("data:application/x-ipynb+json;base64,")
        downloaded = json.loads(base64.b64decode(href.split(",", 1)[1]))
        assert downloaded["metadata"]["modelhub"]["template"] == "compare_models"
        expect(panel.locator(".mh-status")).to_contain_text(f"Wrote {path}", timeout=30_000)
        page.screenshot(path=str(tmp_path / "compare-notebook.png"), full_page=True)
        assert not problems, problems
    finally:
        context.close()
