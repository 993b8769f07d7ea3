"""Generated images side by side: each setting in one row, the rows that differ marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ..errors import QueryError
from ..results import Hit
from ..vocabulary import IMAGE_SETTINGS, display

MIN_IMAGES, MAX_IMAGES = 2, 4


@dataclass
class ImageComparison:
    """``rows``: ``{"key", "values": [one text per image], "diff": bool}``, in ``IMAGE_SETTINGS`` order."""

    ids: list[str]
    images: list[dict[str, str]] = field(default_factory=list)  # id, name, path
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def differing(self) -> list[str]:
        """The keys whose values are not all the same."""
        return [r["key"] for r in self.rows if r["diff"]]

    def to_dict(self) -> dict[str, Any]:
        return {"ids": self.ids, "images": self.images, "rows": self.rows, "differing": self.differing}


def compare_images(hits: Sequence[Hit], keys: Sequence[str] = (*IMAGE_SETTINGS, "path")) -> ImageComparison:
    """Compare 2–4 image documents on ``keys`` (``path`` is the file's path)."""
    if not MIN_IMAGES <= len(hits) <= MAX_IMAGES:
        raise QueryError(f"compare {MIN_IMAGES} to {MAX_IMAGES} images (got {len(hits)})")
    not_images = [h.path for h in hits if h.kind != "image"]
    if not_images:
        raise QueryError(f"not an image: {not_images[0]}")
    values = [{key: display(h.path if key == "path" else h.metadata.get(key)) for key in keys} for h in hits]
    rows = []
    for key in keys:
        column = [v[key] for v in values]
        rows.append({"key": key, "values": column, "diff": len(set(column)) > 1})
    images = [
        {"id": h.id, "name": str(h.metadata.get("filename") or PurePosixPath(h.path).name), "path": h.path}
        for h in hits
    ]
    return ImageComparison([h.id for h in hits], images, rows)
