"""modelhub-jupyter: index, search and understand a workspace of AI models from JupyterLab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Hub", "__version__"]

if TYPE_CHECKING:
    from .hub import Hub


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package (or %load_ext) stays cheap.
    if name == "Hub":
        from .hub import Hub

        return Hub
    raise AttributeError(name)
