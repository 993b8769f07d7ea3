"""Jupyter panels (anywidget): search, ask, image gallery, index status, and a dashboard of all four.

Every panel talks to a :class:`modelhub_jupyter.Hub` only. The front-end code is plain ES
modules in ``static/`` (no build step, nothing fetched at run time).
"""

from __future__ import annotations

from ._frame import Panel
from .ask import AskPanel
from .dashboard import Dashboard
from .gallery import ImageGallery
from .index_panel import IndexPanel
from .models import ModelsPanel, ModelsTab
from .prompt_studio import PromptStudio
from .quality import QualityPanel, QualityTab
from .search import SearchPanel

__all__ = [
    "AskPanel",
    "Dashboard",
    "ImageGallery",
    "IndexPanel",
    "ModelsPanel",
    "ModelsTab",
    "Panel",
    "PromptStudio",
    "QualityPanel",
    "QualityTab",
    "SearchPanel",
]
