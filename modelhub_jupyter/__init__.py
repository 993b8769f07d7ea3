"""modelhub-jupyter: index, search and understand a workspace of AI models from JupyterLab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    BadInputError,
    FilterError,
    ModelHubError,
    NotFoundError,
    NothingIndexedError,
    ParseError,
    PermissionDeniedError,
    QueryError,
    SchemaError,
    StoreBusyError,
)

__all__ = [
    "BadInputError",
    "FilterError",
    "Hub",
    "ModelHubError",
    "NotFoundError",
    "NothingIndexedError",
    "ParseError",
    "PermissionDeniedError",
    "QueryError",
    "SchemaError",
    "StoreBusyError",
    "__version__",
    "load_ipython_extension",
    "open_hub",
    "unload_ipython_extension",
]

if TYPE_CHECKING:
    from .hub import Hub, open_hub


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package (or %load_ext) stays cheap.
    if name in ("Hub", "open_hub"):
        from . import hub

        return getattr(hub, name)
    raise AttributeError(name)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext modelhub_jupyter``: register the magics (cheap: nothing heavy is imported).

    The query encoder (the embedder's ONNX copy, when this machine has one) opens on a
    background thread meanwhile, so the first ``%modelsearch`` does not wait for it.
    """
    from .magics import load_ipython_extension as _load

    _load(ipython)
    try:
        from .config import Settings
        from .embed.text import prewarm

        prewarm(Settings().embed_model)
    except Exception:  # noqa: BLE001 - the first search opens it instead, and says what is wrong
        pass


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext modelhub_jupyter``."""
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)
