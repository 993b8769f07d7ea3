"""Search cards in JupyterLab name the folder a hit comes from and say how relevant it is (issue 15,
items 1 and 3): two indexed folders both called ``my-models``, and a query about nothing.

Screenshots: ``test-artifacts/lab-cards-two-roots.png``, ``test-artifacts/lab-cards-weak.png``.
"""

from __future__ import annotations

import json
import re

import pytest

from .conftest import CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

NONSENSE = "quantum banana spaceship recipe"
ALL_CELLS_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""
KERNEL_IDLE = """() => {
  // the notebook this test opened (JupyterLab may restore another one from an earlier test first)
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || !w.context.path.endsWith('relevance.ipynb')) return false;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def _notebook(workspace, base) -> dict:
    setup = f"""from pathlib import Path
import shutil
from modelhub_jupyter import Hub
from modelhub_jupyter.widgets import SearchPanel

base = Path({str(base)!r})
roots = [base / team / "my-models" for team in ("team-a", "team-b")]
for root in roots:  # two folders with the same name, each holding the gpt scripts
    shutil.copytree(Path({str(workspace)!r}) / "gpt", root / "gpt", dirs_exist_ok=True)
hub = Hub(base / "home")
for root in roots:
    hub.index(root, progress=False)"""
    cells = [
        setup,
        'SearchPanel(hub, query="causal self attention", kind="code")',
        f"SearchPanel(hub, query={NONSENSE!r})",
    ]
    return {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
            for c in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def cards_page(browser, jupyterlab, e2e_dir, artifacts):
    (e2e_dir / "lab-root" / "relevance.ipynb").write_text(
        json.dumps(_notebook(e2e_dir / "my-models", e2e_dir / "two-roots"))
    )
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # ?reset: a fresh layout, not the notebooks an earlier test left open (they took the commands)
    page.goto(f"{jupyterlab.url}/lab/tree/relevance.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(ALL_CELLS_RAN, timeout=240_000)
    page.errors = errors
    yield page
    context.close()


def test_a_card_names_its_root_and_a_readable_relevance(cards_page, e2e_dir, artifacts, remember_page):
    page = cards_page
    remember_page(page)
    tracebacks = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
    assert tracebacks.count() == 0, tracebacks.all_inner_texts()
    panel = page.locator(".jp-Notebook .jp-CodeCell").nth(1).locator(".mh-panel.mh-search")
    panel.locator(".mh-result .mh-root").first.wait_for(timeout=60_000)

    first = panel.locator(".mh-result").first
    assert first.locator(".mh-result-path").inner_text().startswith("gpt/transformer_v")
    roots = panel.locator(".mh-result .mh-root")
    names = set(roots.all_inner_texts())
    assert names == {"team-a/my-models", "team-b/my-models"}, names  # the same name, told apart
    titles = {roots.nth(i).get_attribute("title") for i in range(roots.count())}
    assert titles == {
        str(e2e_dir / "two-roots" / t / "my-models") for t in ("team-a", "team-b")
    }  # full path on hover

    label = first.locator(".mh-relevance-label").inner_text()
    assert re.fullmatch(r"\d{1,3}% strong", label), label
    why = first.locator(".mh-relevance").get_attribute("title")
    assert why.startswith("similar meaning (#") and "matched words: causal, attention" in why
    width = first.locator(".mh-relevance-fill").evaluate("e => e.getBoundingClientRect().width")
    assert width > 0
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(artifacts / "lab-cards-two-roots.png"))
    assert not page.errors, page.errors


def test_a_query_about_nothing_says_weak_matches(cards_page, artifacts, remember_page):
    page = cards_page
    remember_page(page)
    panel = page.locator(".jp-Notebook .jp-CodeCell").nth(2).locator(".mh-panel.mh-search")
    panel.locator(".mh-result").first.wait_for(timeout=60_000)
    note = panel.locator(".mh-weak-note")
    assert note.inner_text() == f"weak matches: nothing close to {NONSENSE!r}"
    labels = panel.locator(".mh-relevance-label").all_inner_texts()
    assert labels and all(re.fullmatch(r"\d{1,3}% weak", x) for x in labels), labels
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(artifacts / "lab-cards-weak.png"))
