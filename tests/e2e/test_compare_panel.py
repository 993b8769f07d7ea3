"""The Compare tab of the Voilà dashboard, in headless chromium: transformer_v1 and transformer_v2 picked
from the index's suggestions, the aligned table with the differing rows highlighted and % change,
the structural diff, the plotly lineage timeline; Generate notebook writes compare_models and shows
its path and a download link. Screenshots stay in the test's tmp folder.

In a JupyterLab notebook, the same panel's Generate writes the notebook beside the one in use and opens
it in a new Lab tab (screenshots: test-artifacts/lab-compare-generate.png, lab-compare-opened.png)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import nbformat
import pytest

from .conftest import CHROMIUM, open_dashboard_tab, page_problems

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
        panel = open_dashboard_tab(page, voila.url, "Compare", "mh-modelcompare")

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
        # no section left out (no images here) shows up as the word "null"
        assert not re.search(r"\bnull\b", panel.locator(".mh-mc-result").inner_text())

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
        assert panel.locator("a.mh-mc-open-lab").count() == 0  # Voila: a download, nothing to open
        assert not re.search(r"\bnull\b", panel.locator(".mh-mc-notebook").inner_text())
        page.screenshot(path=str(tmp_path / "compare-notebook.png"), full_page=True)
        assert not problems, problems
    finally:
        context.close()


LAB_NOTEBOOK = "compare_lab.ipynb"
GENERATED = "compare_transformer_v1_vs_transformer_v2.ipynb"
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || !w.context.path.endsWith('compare_lab.ipynb')) return false;
  const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def test_generate_in_jupyterlab_opens_the_notebook(browser, jupyterlab, e2e_dir, artifacts, remember_page):
    """In a JupyterLab notebook, Generate writes compare_models beside it and opens it in a new Lab tab."""
    from playwright.sync_api import expect

    root = e2e_dir / "lab-root"
    cell = 'from modelhub_jupyter.widgets.compare import ComparePanel\nComparePanel(models=["transformer_v1", "transformer_v2"])'
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cell)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(root / LAB_NOTEBOOK))
    (root / GENERATED).unlink(missing_ok=True)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        page.goto(f"{jupyterlab.url}/lab/tree/{LAB_NOTEBOOK}?reset")
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)
        page.evaluate("async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        panel = page.locator(".jp-Notebook .mh-panel.mh-modelcompare")
        error = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
        shown = page.locator(f".jp-Notebook table.mh-mc-table, .jp-Notebook {error}")
        shown.first.wait_for(state="visible", timeout=120_000)
        assert panel.locator("table.mh-mc-table").is_visible(), page.locator(".jp-Notebook").inner_text()[
            :2000
        ]
        generate = panel.locator("button.mh-mc-generate")
        expect(generate).to_be_enabled(timeout=30_000)

        with context.expect_page(timeout=60_000) as opened:
            generate.click()
        lab_tab = opened.value
        remember_page(lab_tab)
        # the notebook, written into the server's root beside the one in use, opens in JupyterLab
        lab_tab.wait_for_url(f"**/lab/tree/{GENERATED}*", timeout=60_000)
        expect(
            lab_tab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=GENERATED)
        ).to_be_visible(timeout=120_000)
        expect(lab_tab.locator(".jp-NotebookPanel .jp-MarkdownCell").first).to_be_visible(timeout=60_000)
        written = nbformat.read(root / GENERATED, as_version=4)
        assert written.metadata["papermill"]["parameters"]["models"] == "transformer_v1,transformer_v2"
        # and the panel says where it is, with the link that opens it again
        link = panel.locator("a.mh-mc-open-lab")
        expect(link).to_have_attribute("href", f"/lab/tree/{GENERATED}")
        assert not re.search(r"\bnull\b", panel.locator(".mh-mc-notebook").inner_text())
        assert panel.locator(".mh-mc-nb-path").inner_text() == str(root / GENERATED)
        page.screenshot(path=str(artifacts / "lab-compare-generate.png"), full_page=True)
        lab_tab.screenshot(path=str(artifacts / "lab-compare-opened.png"))
        assert not problems, problems
    finally:
        context.close()
