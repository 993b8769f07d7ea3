"""A notebook as PDF through nbconvert's webpdf exporter, printed by the system's Chromium.

nbconvert's ``WebPDFExporter`` renders the notebook with its ``webpdf`` template and prints it with
Playwright, but it launches only the Chromium that Playwright downloads itself; it has no setting
for a browser already installed. :class:`ChromiumPDFExporter` keeps nbconvert's template, pagination
and render wait and adds ``executable_path`` (``$MODELHUB_CHROMIUM``, else Debian's
``/usr/bin/chromium``): Playwright launches that browser, headless, with ``--no-sandbox`` (needed in
containers, where Chromium runs as root). The page may not fetch anything from the network: every
http(s) request is aborted, so the PDF is made offline and a notebook's output cannot call out.
With no system Chromium, nbconvert's own launch is used (a ``playwright install chromium`` browser).
"""

from __future__ import annotations

import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from nbconvert.exporters.webpdf import WebPDFExporter

from ..errors import BadInputError, ModelHubError

ENV_CHROMIUM = "MODELHUB_CHROMIUM"
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGE_TIMEOUT_MS = 60_000
#: The script plotly's ``notebook_connected`` figures load (served from the plotly package instead).
PLOTLY_CDN = re.compile(r"https://cdn\.plot\.ly/plotly-[\w.\-]*?(\.min)?(\.js)?$")


class PDFExportError(ModelHubError):
    """The browser could not print the notebook; the notebook itself is untouched."""

    code = "pdf_export_failed"
    http_status = 500


def system_chromium() -> str:
    """``$MODELHUB_CHROMIUM`` when set, else ``/usr/bin/chromium`` when it is there, else ``""``."""
    named = os.environ.get(ENV_CHROMIUM, "").strip()
    if named:
        return named
    return str(SYSTEM_CHROMIUM) if SYSTEM_CHROMIUM.is_file() else ""


class ChromiumPDFExporter(WebPDFExporter):
    """nbconvert's webpdf exporter printing with an installed Chromium.

    ``executable_path``: the Chromium to print with (default :func:`system_chromium`; ``""``:
    Playwright's own, through nbconvert). Other keywords are the exporter's own settings
    (``paginate``, ``page_render_timeout``, ``browser_args``); ``disable_sandbox`` defaults to True.
    """

    def __init__(self, executable_path: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("disable_sandbox", True)
        super().__init__(**kwargs)
        self.executable_path = system_chromium() if executable_path is None else executable_path

    def run_playwright(self, html: Any, *args: Any, **kwargs: Any) -> bytes:
        if not self.executable_path:
            return bytes(super().run_playwright(html, *args, **kwargs))
        # Playwright's sync API refuses to run inside an event loop (a Jupyter kernel has one): a thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(self._print, html).result()

    def _print(self, html: Any) -> bytes:
        from playwright.sync_api import sync_playwright

        args = [*BROWSER_ARGS, *self.browser_args]
        if not self.disable_sandbox:
            args.remove("--no-sandbox")
        with tempfile.TemporaryDirectory(prefix="modelhub-pdf-") as tmp:
            page_file = Path(tmp) / "notebook.html"
            page_file.write_bytes(html.encode("utf-8") if isinstance(html, str) else html)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=self.executable_path, args=args,
                                             handle_sigint=False, handle_sigterm=False, handle_sighup=False)  # fmt: skip
                try:
                    page = browser.new_page()
                    page.set_default_timeout(PAGE_TIMEOUT_MS)
                    page.route(
                        lambda url: not url.startswith(("file:", "data:", "blob:", "about:")), _offline
                    )
                    page.emulate_media(media="print")
                    page.goto(page_file.as_uri(), wait_until="load")
                    page.wait_for_timeout(self.page_render_timeout)
                    params: dict[str, Any] = {"print_background": True}
                    if not self.paginate:  # one long page, as nbconvert does it (Acrobat's 200-inch limit)
                        size = page.evaluate(
                            "() => { const r = document.body.getBoundingClientRect();"
                            " return {w: Math.ceil(r.width) + 1, h: Math.ceil(r.height) + 1}; }"
                        )
                        params.update(width=min(size["w"], 200 * 72), height=min(size["h"], 200 * 72))
                    return bytes(page.pdf(**params))
                finally:
                    browser.close()


def _offline(route: Any) -> None:
    """Nothing leaves the machine: plotly's CDN script (the figures' ``notebook_connected`` output
    asks for it) is answered with the copy the plotly package ships; every other request fails."""
    if PLOTLY_CDN.match(route.request.url) and (bundled := _plotly_js()) is not None:
        route.fulfill(status=200, content_type="application/javascript", body=bundled)
    else:
        route.abort()


def _plotly_js() -> bytes | None:
    try:
        from importlib.resources import files

        return files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
    except (ImportError, OSError):
        return None


def export_pdf(path: str | Path, out: str | Path | None = None, executable_path: str | None = None) -> Path:
    """The notebook at ``path`` printed to PDF beside it (or to ``out``); a one-line error when it cannot be."""
    import nbformat

    source = Path(path).expanduser()
    target = Path(out).expanduser() if out else source.with_suffix(".pdf")
    try:
        nb = nbformat.read(str(source), as_version=4)
    except FileNotFoundError:
        raise BadInputError(f"{source}: no such notebook", path=str(source)) from None
    except Exception as err:  # noqa: BLE001 - not JSON, not a notebook
        raise BadInputError(f"{source}: not a notebook ({_first(err)})", path=str(source)) from None
    exporter = ChromiumPDFExporter(executable_path)
    if exporter.executable_path and not Path(exporter.executable_path).is_file():
        raise PDFExportError(
            f"{source}: no Chromium at {exporter.executable_path} to print the PDF "
            f"(apt-get install chromium, or set {ENV_CHROMIUM})",
            path=str(source),
        )
    try:
        data, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": source.stem}})
    except Exception as err:  # noqa: BLE001 - a browser that would not start or print: say which
        browser = exporter.executable_path or "Playwright's Chromium"
        raise PDFExportError(
            f"{source}: PDF export with {browser} failed ({_first(err)})", path=str(source)
        ) from None
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise BadInputError(f"{target}: cannot write ({err.strerror or err})", path=str(target)) from None
    return target


def _first(err: object) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
