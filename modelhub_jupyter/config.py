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


DEFAULT_GIT_TIMEOUT = 60.0  # seconds one git command may run before its history is given up


def _env_float(name: str, default: float) -> float:
    """A positive number of seconds from the environment; ``default`` when unset."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{name} must be more than 0 seconds, got {raw!r}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case) from the environment; ``default`` when unset."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true or false), got {raw!r}")


#: What embeds text: ``auto`` (queries through the model's ONNX copy when there is one, index runs
#: through sentence-transformers), ``onnx`` (everything through the copy), ``torch`` (never the copy).
EMBED_BACKENDS = ("auto", "onnx", "torch")


def default_embed_backend() -> str:
    """``MODELHUB_EMBED_BACKEND`` (auto, onnx or torch), else ``auto``."""
    raw = (os.environ.get("MODELHUB_EMBED_BACKEND") or "auto").strip().lower()
    if raw not in EMBED_BACKENDS:
        raise ValueError(f"MODELHUB_EMBED_BACKEND must be auto, onnx or torch, got {raw!r}")
    return raw


def default_git_timeout() -> float:
    """Seconds one git command may run: ``MODELHUB_GIT_TIMEOUT``, else 60."""
    return _env_float("MODELHUB_GIT_TIMEOUT", DEFAULT_GIT_TIMEOUT)


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
    #: Documents' vectors: ``int8`` or ``fp32``; ``auto`` keeps what a store already holds (int8 when new).
    embed_doc_precision: str = field(
        default_factory=lambda: os.environ.get("MODELHUB_EMBED_DOC_PRECISION") or "auto"
    )
    lock_timeout: float = 600.0
    # Seconds each git command may run when reading history (a timeout: file times instead).
    git_timeout: float = field(default_factory=default_git_timeout)
    # Follow links whose target leaves the indexed folder (off: reported as warnings, not followed).
    follow_external_links: bool = field(
        default_factory=lambda: _env_bool("MODELHUB_FOLLOW_EXTERNAL_LINKS", False)
    )

    #: Seconds one file's parsing may take before it is reported and skipped.
    parse_timeout: float = field(default_factory=lambda: _env_float("MODELHUB_PARSE_TIMEOUT", 60.0))
    #: Address space (MB) of the process that parses files; 0 for no limit.
    parse_memory_mb: int = field(default_factory=lambda: _env_int("MODELHUB_PARSE_MEMORY_MB", 2048) or 0)

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
