"""Settings: where the store lives, which models to use, scan limits (env ``MODELHUB_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return int(raw)


@dataclass
class Settings:
    """Every knob of the engine. Each field reads ``MODELHUB_<NAME>`` from the environment."""

    home: Path = field(default_factory=lambda: Path(os.environ.get("MODELHUB_HOME", "~/.modelhub")))
    embed_model: str | None = field(default_factory=lambda: os.environ.get("MODELHUB_EMBED_MODEL") or None)
    chroma_url: str | None = field(default_factory=lambda: os.environ.get("MODELHUB_CHROMA_URL") or None)
    max_file_size: int = field(
        default_factory=lambda: _env_int("MODELHUB_MAX_FILE_SIZE", 20 * 1024 * 1024) or 20 * 1024 * 1024
    )
    max_depth: int | None = field(default_factory=lambda: _env_int("MODELHUB_MAX_DEPTH", None))
    exclude: tuple[str, ...] = field(
        default_factory=lambda: tuple(p for p in os.environ.get("MODELHUB_EXCLUDE", "").split(",") if p)
    )
    embed_batch_size: int = field(default_factory=lambda: _env_int("MODELHUB_EMBED_BATCH", 16) or 16)
    embed_precision: str = field(default_factory=lambda: os.environ.get("MODELHUB_EMBED_PRECISION") or "auto")
    lock_timeout: float = 600.0

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser().resolve()

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def thumbnails_dir(self) -> Path:
        return self.home / "thumbnails"

    @property
    def lock_path(self) -> Path:
        return self.home / "write.lock"
