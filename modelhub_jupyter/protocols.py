"""What a surface needs from a hub, as a typing protocol.

Panels and other surfaces are typed against :class:`HubLike`, not the concrete
:class:`~modelhub_jupyter.hub.Hub`, so a remote hub (the lab extension's REST client) or a
read-only view can stand in for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .compare.images import ImageComparison
    from .results import Hit, IndexReport, SearchResults
    from .search.suggest import Suggestion


class HubLike(Protocol):
    """The reading and indexing calls the panels make."""

    def search(
        self,
        query: str = "",
        *,
        kind: str = "all",
        where: list[str] | str | None = None,
        limit: int = 10,
        channels: Collection[str] = ...,
        understand: bool = True,
        ignore: Collection[str] = (),
        record: bool = True,
        surface: str = "python",
    ) -> SearchResults: ...

    def browse(
        self, kind: str = "image", *, where: list[str] | str | None = None, offset: int = 0, limit: int = 60
    ) -> SearchResults: ...

    def document(self, doc_id: str) -> Hit: ...

    def vocabulary(self, per_key: int = 50) -> dict[str, list[tuple[str, int]]]: ...

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]: ...

    def compare_images(self, ids: list[str]) -> ImageComparison: ...

    def filter_clauses(
        self,
        equal: Mapping[str, Any] | None = None,
        at_least: Mapping[str, Any] | None = None,
        at_most: Mapping[str, Any] | None = None,
    ) -> list[str]: ...

    def kinds(self) -> tuple[str, ...]: ...

    def thumbnail(self, doc_id: str) -> bytes | None: ...

    def has_documents(self) -> bool: ...

    def status(self) -> dict[str, Any]: ...

    def runs(self, limit: int = 10) -> list[dict[str, Any]]: ...

    def errors(self, limit: int = 1000) -> list[dict[str, str]]: ...

    def index(
        self,
        path: str | Path,
        *,
        progress: bool = True,
        exclude: tuple[str, ...] | list[str] = (),
        max_depth: int | None = None,
        max_file_size: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> IndexReport: ...
