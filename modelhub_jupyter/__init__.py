"""modelhub-jupyter: index, search and understand a workspace of AI models from JupyterLab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Hub", "__version__", "load_ipython_extension", "unload_ipython_extension"]

if TYPE_CHECKING:
    from .hub import Hub


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package (or %load_ext) stays cheap.
    if name == "Hub":
        from .hub import Hub

        return Hub
    raise AttributeError(name)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext modelhub_jupyter``: register the magics (cheap: nothing heavy is imported)."""
    from .magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext modelhub_jupyter``."""
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)
