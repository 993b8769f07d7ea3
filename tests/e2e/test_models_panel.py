"""The Models tab of the Voilà dashboard, in headless chromium: the bundled MiniLM as v1 and its int8
copy as v2 are listed with stage, size and sha256; a rebuild another process records in the catalog
shows its progress; activating v2 shows the rebuild's progress bar,
then v2 active (and a second Hub sees it); Roll back returns to v1; the benchmark of v1 against v2
shows its table and the plotly bar chart. Screenshots stay in the test's tmp folder.

The dashboard is served from its own copy of the indexed home (with MODELHUB_DASHBOARD_ROOTS set, so
it is not read-only), so switching the active model never touches the other browser tests' store.
"""

from __future__ import annotations

import re

import pytest

from tests.homes import copy_home

from .conftest import CHROMIUM, NOTEBOOKS, jupyter_env, open_dashboard_tab, page_problems, start_voila

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(1200),  # a hang guard: a rebuild of the workspace's vectors on a loaded machine
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]

VIEWPORT = {"width": 1400, "height": 1100}


@pytest.fixture
def models_home(tmp_path, modelhub_home, onnx_cache, monkeypatch):
    """A copy of the indexed home with minilm v1 (active) and its int8 copy as v2 registered."""
    from modelhub_jupyter import Hub

    home = tmp_path / "home"
    copy_home(modelhub_home, home)
    monkeypatch.setenv("MODELHUB_CACHE_DIR", str(onnx_cache[0]))
    with Hub(home) as hub:
        hub.models.register_bundled()
        assert hub.models.activate("text_embedding", "minilm:v1", wait=True).rebuilt is False
        v2 = hub.models.derive_int8("minilm", "v1", new_version="v2")
        roots = [r["path"] for r in hub.status()["roots"]]
    return home, v2, roots


def _elsewhere(home, v, status: str, done: int, total: int) -> None:
    """What another process building ``v``'s vectors writes to the catalog."""
    from modelhub_jupyter import Hub
    from modelhub_jupyter.registry.store import RegistryStore

    with Hub(home) as hub:
        RegistryStore(hub.catalog).set_generation(v.vector_key, v.model_type, status, done, total)


def _active(home) -> str:
    from modelhub_jupyter import Hub

    with Hub(home) as hub:
        v = hub.models.active("text_embedding")
        return f"{v.model}:{v.version}" if v else ""


def test_models_tab_activates_rolls_back_and_benchmarks(browser, models_home, tmp_path, remember_page):
    from playwright.sync_api import expect

    home, v2, roots = models_home
    env = jupyter_env(tmp_path / "jupyter", home)
    env["MODELHUB_DASHBOARD_ROOTS"] = ":".join(roots)  # a dashboard its viewers may change
    server = start_voila(NOTEBOOKS / "dashboard.ipynb", env, tmp_path / "voila.log")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    remember_page(page)
    problems = page_problems(page)
    try:
        server.wait("/voila/static/none")
        panel = open_dashboard_tab(page, server.url, "Models", "mh-models")

        # listed: grouped by type and category, versions with stage, size and sha256 (full on hover)
        group = panel.locator('.mh-models-group[data-type="text_embedding"]')
        assert "LANGUAGE / EMBEDDING" in group.locator("h4").inner_text()
        one, two = panel.locator('tr[data-spec="minilm:v1"]'), panel.locator('tr[data-spec="minilm:v2"]')
        assert one.locator(".mh-active").count() == 1 and two.locator(".mh-active").count() == 0
        assert "91.6 MB" in one.inner_text() and "development" in two.inner_text()
        sha = two.locator(".mh-sha")
        assert (
            sha.get_attribute("title") == v2.checkpoint_sha256
            and sha.inner_text() == v2.checkpoint_sha256[:12]
        )
        page.screenshot(path=str(tmp_path / "models-listed.png"))

        # a rebuild started elsewhere (another kernel, the CLI) shows from the catalog, and goes away
        _elsewhere(home, v2, "building", 3, 10)
        build = panel.locator(".mh-models-progress .mh-build")
        expect(build).to_contain_text(
            "building vectors for minilm v2 — 3/10 texts (started elsewhere)", timeout=30_000
        )
        _elsewhere(home, v2, "building", 7, 10)
        expect(build).to_contain_text("7/10 texts", timeout=30_000)
        _elsewhere(home, v2, "failed", 7, 10)
        expect(panel.locator(".mh-models-progress")).to_be_hidden(timeout=30_000)

        # activate v2: the rebuild's progress bar, then v2 active
        two.locator("button.mh-activate").click()
        bar = panel.locator(".mh-models-progress progress")
        bar.wait_for(state="visible", timeout=60_000)
        assert re.search(
            r"building vectors for minilm v2 — \d+/\d+ texts", panel.locator(".mh-progress-text").inner_text()
        )
        page.screenshot(path=str(tmp_path / "models-rebuilding.png"))
        two.locator(".mh-active").wait_for(state="visible", timeout=600_000)
        expect(panel.locator(".mh-models-progress")).to_be_hidden(timeout=30_000)
        expect(panel.locator(".mh-status")).to_contain_text("minilm v2 active", timeout=30_000)
        assert _active(home) == "minilm:v2"  # what every other kernel on this store now uses

        # roll back: v1 again, at once (its vectors are still there)
        two.locator("button.mh-rollback").click()
        one.locator(".mh-active").wait_for(state="visible", timeout=60_000)
        assert _active(home) == "minilm:v1"

        # benchmark v1 against v2: table with % change, plotly bars
        assert panel.locator("select.mh-bench-a").input_value() == "minilm:v1"
        assert panel.locator("select.mh-bench-b").input_value() == "minilm:v2"
        panel.locator("button.mh-bench-run").click()
        table = panel.locator(".mh-bench-table")
        table.wait_for(state="visible", timeout=300_000)
        assert table.locator("th.mh-mono").all_inner_texts() == ["minilm:v1", "minilm:v2"]
        assert table.locator('tr[data-metric="recall@5"] .mh-pct').count() == 1
        bars = page.locator(".mh-models-chart .bars path")
        try:
            bars.first.wait_for(state="attached", timeout=120_000)
        except Exception as err:
            chart = page.locator(".mh-models-chart").evaluate("c => c.outerHTML.slice(0, 2000)")
            status = panel.get_attribute("data-status"), panel.locator(".mh-status").inner_text()
            raise AssertionError(f"no bars; panel {status}; chart {chart}") from err
        assert bars.count() == 5  # one bar per metric
        assert "change against minilm:v1" in (page.locator(".mh-models-chart .gtitle").text_content() or "")
        page.locator(".mh-models-chart").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "models-benchmark.png"), full_page=True)
        assert not problems, problems
    finally:
        context.close()
        server.stop()
