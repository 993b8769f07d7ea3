"""``Dashboard``: the search, ask, gallery and index panels in tabs, for notebooks and Voilà."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import ipywidgets

from ._frame import default_hub
from .ask import AskingHub, AskPanel
from .compare import CompareTab
from .gallery import ImageGallery
from .index_panel import IndexPanel
from .models import ModelsTab
from .prompt_studio import PromptStudio
from .quality import QualityTab
from .search import SearchPanel


def served() -> bool:
    """Whether this kernel runs behind a Voilà server (its pages are for other people)."""
    return any(name in os.environ for name in ("VOILA_SERVER_URL", "VOILA_BASE_URL", "VOILA_KERNEL_ID"))


def dashboard_roots() -> list[str]:
    """``MODELHUB_DASHBOARD_ROOTS``: the folders a served dashboard may index (``:``-separated)."""
    return [p for p in os.environ.get("MODELHUB_DASHBOARD_ROOTS", "").split(os.pathsep) if p.strip()]


class Dashboard(ipywidgets.Tab):
    """``Dashboard(hub=None)``: Search, Ask, Images and Index tabs over one hub (the shared ``open_hub()``).

    A finished index run in the Index tab refreshes the others. Served by Voilà, the
    dashboard is read-only unless ``MODELHUB_DASHBOARD_ROOTS`` names the folders its viewers
    may index (``read_only`` and ``allowed_roots`` override both).
    """

    def __init__(
        self,
        hub: AskingHub | None = None,
        *,
        read_only: bool | None = None,
        allowed_roots: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        hub = self.hub = default_hub(hub)  # None: open_hub(), $MODELHUB_HOME, shared with the magics
        self.search = SearchPanel(hub)
        self.ask_panel = AskPanel(hub)
        self.gallery = ImageGallery(hub)
        roots = list(allowed_roots) if allowed_roots is not None else dashboard_roots()
        if read_only is None:
            read_only = served() and not roots
        self.index_panel = IndexPanel(hub, read_only=read_only, allowed_roots=roots)
        self.models = ModelsTab(hub, read_only=read_only)
        self.compare_tab = CompareTab(hub, read_only=read_only)
        self.prompt_studio = PromptStudio(hub, read_only=read_only)
        self.quality = QualityTab(hub)  # its plotly chart is made when the tab is first shown
        super().__init__(
            children=[
                self.search, self.ask_panel, self.gallery, self.index_panel, self.models, self.compare_tab,
                self.prompt_studio, self.quality,
            ],
            **kwargs,
        )  # fmt: skip
        self.titles = ("Search", "Ask", "Images", "Index", "Models", "Compare", "Prompts", "Quality")
        self.add_class("mh-dashboard")
        self.index_panel.on_indexed(lambda _report: self._after_index())
        self.observe(self._shown, names="selected_index")
        if not (self.index_panel.summary.get("documents")):
            self.selected_index = self.children.index(self.index_panel)  # nothing indexed: fix that there

    def _shown(self, change: dict[str, Any]) -> None:
        """The Quality tab opened: read the log again and draw its chart (plotly loads only now)."""
        if change["new"] is not None and self.children[change["new"]] is self.quality:
            self.quality.refresh()

    def _after_index(self) -> None:
        self.search.refresh()
        self.gallery.reload()
        self.ask_panel.refresh()
        self.compare_tab.refresh()
        self.prompt_studio.refresh()
