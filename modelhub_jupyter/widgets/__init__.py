"""Jupyter panels (anywidget): search, image gallery, index status, and a dashboard of all three.

Every panel talks to a :class:`modelhub_jupyter.Hub` only. The front-end code is plain ES
modules in ``static/`` (no build step, nothing fetched at run time).
"""

from __future__ import annotations

from ._frame import Panel
from .dashboard import Dashboard
from .gallery import ImageGallery
from .index_panel import IndexPanel
from .search import SearchPanel

__all__ = ["Dashboard", "ImageGallery", "IndexPanel", "Panel", "SearchPanel"]
