"""``Dashboard``: the search, gallery and index panels in tabs, for notebooks and Voilà."""

from __future__ import annotations

from typing import Any

import ipywidgets

from .gallery import ImageGallery
from .index_panel import IndexPanel
from .search import SearchPanel


class Dashboard(ipywidgets.Tab):
    """``Dashboard(hub=None)``: Search, Images and Index tabs over one hub (``Hub()`` by default).

    A finished index run in the Index tab refreshes the other two.
    """

    def __init__(self, hub: Any = None, **kwargs: Any) -> None:
        if hub is None:
            from ..hub import Hub

            hub = Hub()  # respects $MODELHUB_HOME
        self.hub = hub
        self.search = SearchPanel(hub)
        self.gallery = ImageGallery(hub)
        self.index_panel = IndexPanel(hub)
        super().__init__(children=[self.search, self.gallery, self.index_panel], **kwargs)
        self.titles = ("Search", "Images", "Index")
        self.add_class("mh-dashboard")
        self.index_panel.on_indexed(lambda _report: self._after_index())
        if not (self.index_panel.summary.get("documents")):
            self.selected_index = 2  # nothing indexed: open where the user can fix that

    def _after_index(self) -> None:
        self.search.refresh()
        self.gallery.reload()
