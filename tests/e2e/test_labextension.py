"""The JupyterLab extension as installed by pip (prebuilt, enabled by shared-data; nothing loaded by
hand): the ModelHub sidebar is there, a search shows cards, clicking a code hit opens the file in
the editor at the cited lines, the status bar shows the document count. The main-area views are the
notebook panels run by the server's widget host: the gallery, Ask (a citation opens its file),
Compare (its notebook opens), Models, Search and the Prompt Studio."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .conftest import CHROMIUM, Server, open_lab, start_jupyterlab

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
    pytest.mark.skipif(
        not (Path(__file__).parents[2] / "modelhub_jupyter" / "labextension" / "package.json").exists()
        and shutil.which("npm") is None,
        reason="the lab extension is not built (no npm)",
    ),
]


#: hosted views one user may hold open in this module's JupyterLab (the default is 16): the tests open
#: at most 3 in one page, and the Quality step opens a fourth to see the oldest close and reopen
HOSTED_LIMIT = 3


@pytest.fixture(scope="module")
def lab(e2e_dir, e2e_env, modelhub_home, artifacts) -> Server:
    """A JupyterLab whose root holds the indexed example workspace (so its files open in the editor)."""
    env = {**e2e_env, "MODELHUB_HOSTED_PANELS": str(HOSTED_LIMIT)}
    server = start_jupyterlab(e2e_dir, env, artifacts / "e2e-labextension.log")
    try:
        server.wait("/api/status")
        yield server
    finally:
        server.stop()


def test_sidebar_search_opens_the_code_hit_at_its_lines(
    lab, browser, modelhub_home, artifacts, remember_page
):
    from modelhub_jupyter import Hub

    with Hub(modelhub_home) as hub:
        documents = sum(hub.status()["documents"].values())
    page, problems = open_lab(browser, lab.url, remember_page)

    # the status bar item: documents indexed and errors
    status = page.locator(".mhl-status-item")
    status.wait_for(timeout=60_000)
    page.wait_for_function(
        "n => document.querySelector('.mhl-status-item')?.dataset.documents === String(n)", arg=documents
    )
    assert re.match(rf"ModelHub: {documents} docs · \d+ errors", status.inner_text())

    # the sidebar: a tab in the left area, opened by a click
    page.locator('.jp-SideBar.jp-mod-left [data-id="modelhub-sidebar"]').click()
    sidebar = page.locator("#modelhub-sidebar")
    sidebar.wait_for(state="visible")
    sidebar.locator(".mhl-kind").select_option("code")
    box = sidebar.locator(".mhl-query")
    box.fill("causal self attention")
    box.press("Enter")
    cards = sidebar.locator(".mhl-card[data-kind=code]")
    cards.first.wait_for(timeout=60_000)
    title = cards.first.locator(".mhl-card-title").inner_text()
    path, start, end = re.fullmatch(r"(.+):(\d+)-(\d+)", title).groups()
    page.screenshot(path=str(artifacts / "labextension-sidebar.png"))

    # clicking the card opens the file in the editor with the cited lines selected and in view
    cards.first.click()
    editor = page.locator(f'[data-modelhub-lines="{start}-{end}"] .jp-FileEditor')
    editor.wait_for(timeout=60_000)
    assert (
        page.locator(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel").inner_text()
        == Path(path).name
    )
    gutter = editor.locator(".cm-lineNumbers .cm-gutterElement", has_text=re.compile(rf"^{start}$"))
    gutter.wait_for(state="visible")
    box_editor, box_line = editor.locator(".cm-scroller").bounding_box(), gutter.bounding_box()
    assert box_editor["y"] <= box_line["y"] <= box_editor["y"] + box_editor["height"], (box_editor, box_line)
    selected = (
        page.evaluate("() => window.getSelection().toString()")
        or editor.locator(".cm-selectionBackground").count()
    )
    assert selected, "the cited lines are not selected"
    page.screenshot(path=str(artifacts / "labextension-editor.png"))

    # "Copy as code" puts hub.show("<the file>") into the active notebook's next cell
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }"
    )
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    cards.first.locator(".mhl-copy").click()
    sources = "() => (window.jupyterapp.shell.currentWidget?.content?.model?.sharedModel.cells ?? []).map(c => c.getSource())"
    try:  # first the notebook's model, then what is on screen, so a failure says which one missed
        page.wait_for_function(f"() => ({sources})().some(s => s.includes('hub.show('))", timeout=30_000)
    except Exception as error:
        page.screenshot(path=str(artifacts / "labextension-copy-failed.png"))
        current = page.evaluate("() => window.jupyterapp.shell.currentWidget?.title.label ?? null")
        raise AssertionError(f"no hub.show( cell in {current!r}: {page.evaluate(sources)}") from error
    inserted = page.locator(".jp-NotebookPanel .jp-Cell .cm-content", has_text="hub.show(")
    inserted.first.wait_for(timeout=30_000)
    assert f'{path}")' in inserted.first.inner_text()

    # the gallery (its command; the palette's shortcut goes to the notebook cell that has the focus):
    # the hosted ImageGallery panel, thumbnails loaded
    page.evaluate("async () => { await window.jupyterapp.commands.execute('modelhub:gallery'); }")
    tiles = page.locator('#modelhub-gallery .mhl-host[data-state="ready"] .mh-gallery .mh-tile')
    tiles.first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#modelhub-gallery .mh-tile img')].some(i => i.naturalWidth > 0)"
    )
    page.screenshot(path=str(artifacts / "labextension-gallery.png"))
    assert not problems, problems


def test_launcher_notebook_tiles_and_the_ask_view(lab, browser, e2e_dir, artifacts, remember_page):
    """The launcher's "ModelHub notebooks" section has a tile per template; model_analysis asks for
    its model, is written into the server root and opens; the Ask view answers with a citation."""
    from playwright.sync_api import expect

    from modelhub_jupyter.notebooks.templates import list_templates

    names = [t["title"] for t in list_templates()]
    written = e2e_dir / "model_analysis.ipynb"
    written.unlink(missing_ok=True)
    page, problems = open_lab(browser, lab.url, remember_page)
    try:
        page.evaluate("async () => { await window.jupyterapp.commands.execute('launcher:create'); }")
        section = page.locator(".jp-Launcher-section", has=page.locator(".jp-Launcher-sectionTitle",
                                                                        has_text="ModelHub notebooks"))  # fmt: skip
        section.wait_for(timeout=60_000)
        section.locator(".jp-LauncherCard").nth(len(names) - 1).wait_for()
        assert sorted(section.locator(".jp-LauncherCard-label").all_inner_texts()) == sorted(names)
        page.screenshot(path=str(artifacts / "labextension-launcher.png"))

        # the tile asks for the template's parameters: Write without the required model says so
        section.locator(".jp-LauncherCard", has_text="Model analysis").click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator('.mhl-params[data-template="model_analysis"]').wait_for(timeout=30_000)
        dialog.locator("button.jp-mod-accept").click()
        dialog.locator(".mhl-error", has_text="model is required").wait_for(timeout=30_000)
        dialog.locator('input[data-param="model"]').fill("transformer_v2")
        dialog.locator("button.jp-mod-accept").click()
        tab = page.locator(
            ".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel", has_text="model_analysis.ipynb"
        )
        tab.wait_for(timeout=60_000)
        page.locator(
            ".jp-NotebookPanel .jp-Cell .cm-content", has_text='model = "transformer_v2"'
        ).first.wait_for(timeout=60_000)
        assert written.is_file()
        page.screenshot(path=str(artifacts / "labextension-notebook.png"))

        # the Ask view (from the sidebar): the hosted AskPanel answers a metadata question from the
        # catalog, with citations; a citation opens its file in the editor
        page.locator('.jp-SideBar.jp-mod-left [data-id="modelhub-sidebar"]').click()
        page.locator("#modelhub-sidebar .mhl-nav-ask").click()
        ask = page.locator('#modelhub-ask .mhl-host[data-state="ready"] .mh-panel.mh-ask')
        question = ask.locator("input.mh-question")
        question.wait_for(timeout=60_000)
        question.fill("Which models use AdamW, and with what learning rate?")
        question.press("Enter")
        citation = ask.locator(".mh-citation-link").first
        expect(citation).to_be_visible(timeout=120_000)
        expect(ask.locator(".mh-answer-about")).to_contain_text("catalog")
        assert "adamw" in ask.locator(".mh-answer").inner_text().lower()
        cited = citation.inner_text()
        label = re.fullmatch(r"\[\d+\] ([^:]+\.\w+)(:\d+(-\d+)?)?", cited)
        assert label, cited
        page.screenshot(path=str(artifacts / "labextension-ask.png"))
        citation.click()
        expect(page.locator(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel")).to_have_text(
            Path(label.group(1)).name, timeout=60_000
        )

        # Compare (its command): the hosted ComparePanel, two models side by side, differing rows
        # highlighted; Generate notebook writes compare_models into the server root and opens it
        page.evaluate("async () => { await window.jupyterapp.commands.execute('modelhub:compare'); }")
        compare = page.locator('#modelhub-compare .mhl-host[data-state="ready"] .mh-panel')
        picks = compare.locator("input.mh-mc-pick")
        picks.first.wait_for(timeout=60_000)
        picks.nth(0).fill("transformer_v1")
        picks.nth(1).fill("transformer_v2")
        compare.locator("button.mh-mc-run").click()
        expect(compare.locator("tr.mh-diff").first).to_be_visible(timeout=60_000)
        # the lineage timeline (a FigureWidget beside the panel in a notebook): plotly.js draws the
        # JSON the server sends, with no kernel, each model at its date
        timeline = page.locator('#modelhub-compare .mhl-host-chart.mh-mc-timeline[data-state="ready"]')
        expect(timeline.locator(".scatterlayer .trace").first).to_be_attached(timeout=60_000)
        for name in ("transformer_v1", "transformer_v2"):
            expect(timeline.locator(".textpoint", has_text=name).first).to_be_visible()
        expect(timeline.locator(".gtitle")).to_contain_text("Lineage")
        timeline.screenshot(path=str(artifacts / "labextension-compare-timeline.png"))
        page.screenshot(path=str(artifacts / "labextension-compare.png"))
        expect(compare.locator("button.mh-mc-generate")).to_be_enabled()
        compare.locator("button.mh-mc-generate").click()
        expect(page.locator(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel")).to_have_text(
            re.compile(r"^compare_.*\.ipynb$"), timeout=60_000
        )
        assert list(e2e_dir.glob("compare_*.ipynb"))

        # Models (palette): the hosted ModelsPanel's list, or its line saying none is registered
        page.evaluate("async () => { await window.jupyterapp.commands.execute('modelhub:models'); }")
        models = page.locator('#modelhub-models .mhl-host[data-state="ready"] .mh-panel.mh-models')
        models.locator(".mh-models-list").wait_for(state="attached", timeout=60_000)
        assert models.get_attribute("data-status") != "error", models.inner_text()
        assert not problems, problems
    finally:
        written.unlink(missing_ok=True)
        for notebook in e2e_dir.glob("compare_*.ipynb"):
            notebook.unlink()


def test_hosted_search_and_prompt_studio_views(lab, browser, artifacts, remember_page):
    """The main-area Search and Prompt Studio views are the notebook panels themselves (their own ES
    module, run by the server's widget host): a search fills the panel's cards, its path opens the
    editor at the cited lines; the Studio's live preview follows a new sample question."""
    from playwright.sync_api import expect

    page, problems = open_lab(browser, lab.url, remember_page)

    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('modelhub:search', {query: 'causal self attention'}); }"
    )
    view = page.locator('#modelhub-search .mhl-host[data-state="ready"] .mh-panel.mh-search')
    expect(view).to_be_visible(timeout=90_000)
    view.locator("select.mh-kind").select_option("code")
    cards = view.locator(".mh-result.mh-kind-code")
    expect(cards.first).to_be_visible(timeout=90_000)
    expect(view.locator(".mh-query")).to_have_value("causal self attention")
    view.locator(".mh-query").press("Enter")  # committed: recorded in the query log (the Metrics view)
    assert cards.first.locator("pre.mh-code").inner_text().strip()  # the panel's highlighted code
    page.screenshot(path=str(artifacts / "labextension-hosted-search.png"))
    location = cards.first.locator(".mh-result-path").inner_text()
    path, start, end = re.fullmatch(r"(.+):(\d+)-(\d+)", location).groups()
    cards.first.locator(".mh-result-path").click()
    expect(page.locator(f'[data-modelhub-lines="{start}-{end}"] .jp-FileEditor')).to_be_visible(
        timeout=60_000
    )
    expect(page.locator(".lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel")).to_have_text(
        Path(path).name
    )

    # Prompt Studio (palette): CodeMirror editor, versions, live preview of the sample question
    # the palette by its command: a key press goes to whichever editor holds the focus
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('apputils:activate-command-palette'); }"
    )
    palette = page.locator(".lm-CommandPalette-input")
    palette.fill("ModelHub: Prompt Studio")
    palette.press("Enter")
    studio = page.locator('#modelhub-prompts .mhl-host[data-state="ready"] .mh-panel.mh-prompt-studio')
    expect(studio).to_be_visible(timeout=90_000)
    expect(studio.locator(".cm-editor").first).to_be_visible()
    expect(studio.locator("select.mh-version")).to_have_value("1")
    question = "Which optimizer does the GPT training script use?"
    studio.locator("input.mh-sample").fill(question)
    expect(studio.locator(".mh-rendered-user")).to_contain_text(question, timeout=60_000)
    page.screenshot(path=str(artifacts / "labextension-hosted-prompt-studio.png"))

    # Metrics (sidebar button): the last hour's latency and throughput, plotly charts
    page.locator('.jp-SideBar.jp-mod-left [data-id="modelhub-sidebar"]').click()
    page.locator("#modelhub-sidebar .mhl-nav-metrics").click()
    metrics = page.locator('#modelhub-metrics .mhl-metrics[data-state="ready"]')
    expect(metrics).to_be_visible(timeout=60_000)
    assert int(metrics.get_attribute("data-queries")) >= 1
    expect(metrics.locator(".mhl-metrics-latency .scatterlayer .trace").first).to_be_attached()
    expect(metrics.locator(".mhl-metrics-throughput .barlayer .trace").first).to_be_attached()
    expect(metrics.locator(".mhl-metrics-latency .gtitle")).to_contain_text("Query latency")
    page.screenshot(path=str(artifacts / "labextension-metrics.png"))

    # Quality (palette, where the panel is installed): the hosted QualityPanel with the query log
    page.evaluate("async () => { await window.jupyterapp.commands.execute('modelhub:quality'); }")
    quality = page.locator('#modelhub-quality .mhl-host[data-state="ready"] .mh-panel.mh-quality')
    expect(quality).to_be_visible(timeout=60_000)
    assert quality.get_attribute("data-status") != "error", quality.inner_text()
    # its latency box plot (the dashboard tab's FigureWidget), drawn from the server's plotly JSON
    box = page.locator('#modelhub-quality .mhl-host-chart.mh-quality-chart[data-state="ready"]')
    expect(box.locator(".boxlayer .trace").first).to_be_attached(timeout=60_000)
    expect(box.locator(".gtitle")).to_contain_text("Latency by intent")
    box.screenshot(path=str(artifacts / "labextension-hosted-quality-chart.png"))
    page.screenshot(path=str(artifacts / "labextension-hosted-quality.png"))

    # one view more than the user's limit: the least recently used (Search) is closed by the server,
    # says so, and reopens on a click (then the next least recently used, Prompt Studio, closes)
    page.evaluate("async () => { await window.jupyterapp.commands.execute('modelhub:index'); }")
    expect(page.locator('#modelhub-index .mhl-host[data-state="ready"] .mh-panel')).to_be_visible(
        timeout=60_000
    )
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="ModelHub Search").click()
    closed = page.locator('#modelhub-search .mhl-host[data-state="evicted"]')
    expect(closed.locator(".mhl-host-line")).to_contain_text(
        f"each user may have {HOSTED_LIMIT} ModelHub views open", timeout=30_000
    )
    assert "Traceback" not in closed.inner_text()
    page.screenshot(path=str(artifacts / "labextension-hosted-closed.png"))
    closed.locator(".mhl-host-line").click()
    reopened = page.locator('#modelhub-search .mhl-host[data-state="ready"] .mh-panel.mh-search')
    expect(reopened).to_be_visible(timeout=60_000)
    # with what the user had set: the query and kind, so the same hits come back
    expect(reopened.locator(".mh-query")).to_have_value("causal self attention")
    expect(reopened.locator(".mh-result.mh-kind-code").first).to_be_visible(timeout=60_000)
    expect(page.locator('#modelhub-prompts .mhl-host[data-state="evicted"]')).to_be_attached(timeout=30_000)
    assert not problems, problems
