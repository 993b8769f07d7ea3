"""What activating an ``image_embedding``, ``llm`` or ``captioning`` version changes in running hubs.

- ``image_embedding``: the open_clip model ``hub.images`` embeds and searches with. A version is an
  open_clip folder as the Hugging Face Hub holds them (``open_clip_config.json`` and its weights,
  loaded through open_clip's ``local-dir:``), or one checkpoint file registered with its
  architecture in ``inference_config["arch"]``. Its vectors are stored under its own key
  (:func:`image_key`), so activation embeds only the images that key lacks, in the background,
  while the previous model keeps serving; a rollback finds the old vectors still there.
- ``llm``: the GGUF file the Ask path phrases answers with (llama.cpp), unless ``$MODELHUB_LLM``
  names another model (anything but ``auto``). Another format (safetensors) is recorded as active
  and activation says that answers keep using the default model.
- ``captioning``: recorded as active; nothing in modelhub captions images yet, and activation says so.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..embed.image import ImageEmbedder
from ..errors import BadInputError
from .store import RegistryStore, VersionRow

if TYPE_CHECKING:
    from ..hub import Hub
    from ..search.images import Images

log = logging.getLogger(__name__)

#: The weight files open_clip's ``local-dir:`` looks for, in its order of preference.
CLIP_WEIGHTS = (
    "open_clip_model.safetensors", "open_clip_pytorch_model.safetensors", "open_clip_pytorch_model.bin",
    "open_clip_model.bin", "model.safetensors", "pytorch_model.bin",
)  # fmt: skip


def captioning_note(v: VersionRow) -> str:
    return (
        f"nothing in modelhub captions images yet: {v.model} {v.version} is recorded as the active "
        "captioning model, and no caption is made with it"
    )


def check_runnable(v: VersionRow) -> str | None:
    """Raise :class:`BadInputError` when ``v`` cannot run as its type here; else a note to show (or None)."""
    if v.model_type == "llm":
        try:
            gguf_file(v)
        except BadInputError as err:
            if not Path(v.path).exists():
                raise
            return f"{err}, so answers keep using the default model ($MODELHUB_LLM)"
    elif v.model_type == "image_embedding":
        clip_source(v)
    elif v.model_type == "captioning":
        return captioning_note(v)
    return None


# -- llm ------------------------------------------------------------------------------------------
def gguf_file(v: VersionRow) -> Path:
    """The GGUF file of llm version ``v`` (the file itself, or the one GGUF in its folder)."""
    path = Path(v.path)
    if path.is_file() and path.suffix.lower() == ".gguf":
        return path
    if path.is_dir():
        chosen = v.inference_config.get("file")
        files = sorted(path.glob("*.gguf"))
        if chosen:
            files = [f for f in files if f.name == chosen]
        if len(files) == 1:
            return files[0]
        if len(files) > 1:
            names = ", ".join(f.name for f in files[:5])
            raise BadInputError(
                f"{v.model} {v.version}: {path} holds several GGUF files ({names}); "
                "name one with inference_config file=NAME"
            )
    if not path.exists():
        raise BadInputError(f"{v.model} {v.version}: {path} is missing")
    raise BadInputError(
        f"{v.model} {v.version}: the Ask path runs language models with llama.cpp, which needs a GGUF "
        f"file; {path.name} is {v.format}"
    )


def active_llm(hub: Hub) -> str | None:
    """The ``gguf:PATH`` spec of the registry's active llm, or None (none active, or ``$MODELHUB_LLM``
    names a model: an explicit setting wins over the registry)."""
    if os.environ.get("MODELHUB_LLM", "").strip().lower() not in ("", "auto"):
        return None
    v = RegistryStore(hub.catalog).active("llm")
    if v is None:
        return None
    try:
        return f"gguf:{gguf_file(v)}"
    except BadInputError as err:
        log.info("modelhub: the active llm cannot run, answers use the default model: %s", err)
        return None


# -- image_embedding --------------------------------------------------------------------------------
def clip_source(v: VersionRow) -> tuple[str, Path]:
    """``(open_clip model name, weights file)`` of image_embedding version ``v``."""
    path = Path(v.path)
    if path.is_dir() and (path / "open_clip_config.json").is_file():
        for name in CLIP_WEIGHTS:
            if (path / name).is_file():
                return f"local-dir:{path}", path / name
        raise BadInputError(f"{v.model} {v.version}: {path} has open_clip_config.json but no weights file")
    arch = v.inference_config.get("arch")
    if path.is_file() and arch:
        return str(arch), path
    if not path.exists():
        raise BadInputError(f"{v.model} {v.version}: {path} is missing")
    raise BadInputError(
        f"{v.model} {v.version}: not an open_clip model: register a folder with open_clip_config.json and "
        "its weights, or a checkpoint file with inference_config arch=<open_clip architecture>"
    )


def image_key(v: VersionRow) -> str:
    """The name ``v``'s image vectors are stored under: its architecture and weights' sha256 (a
    checkpoint file keys the same vectors as ``MODELHUB_CLIP_CHECKPOINT`` pointing at it)."""
    arch, weights = clip_source(v)
    sha = next((str(f["sha256"]) for f in v.files if Path(v.path, str(f.get("file", ""))) == weights), None)
    label = v.model if arch.startswith("local-dir:") else arch
    return f"open_clip:{label}:ckpt-{(sha or v.checkpoint_sha256)[:12]}"


class RegisteredClip(ImageEmbedder):
    """The open_clip model of a registered image_embedding version, keyed by :func:`image_key`."""

    def __init__(self, v: VersionRow) -> None:
        arch, weights = clip_source(v)
        device = v.inference_config.get("device")
        super().__init__(arch=arch, checkpoint=weights, device=str(device) if device else None,
                         batch_size=int(v.inference_config.get("batch_size", 16)))  # fmt: skip
        self.name = image_key(v)
        self.version = f"{v.model}:{v.version}"

    def _find_weights(self) -> str | None:
        if importlib.util.find_spec("open_clip") is None:
            return "open_clip is not installed (pip install 'modelhub-jupyter[clip]'); images get no CLIP vectors"
        if self.checkpoint is None or not self.checkpoint.is_file():
            return f"{self.version}: its weights {self.checkpoint} are missing"
        return None

    @property
    def weights(self) -> str:
        return f"registry:{self.version} ({self.checkpoint})"


def missing_images(hub: Hub, key: str) -> tuple[int, int]:
    """``(images without a whole-image vector under key, images)``."""
    from ..search.images import ImageStore

    images = ImageStore(hub.catalog)
    hashes = {r.content_hash for r in images.images()}
    return len(hashes - images.embedded(key)), len(hashes)


def image_ready(hub: Hub, store: RegistryStore, v: VersionRow) -> bool:
    """Whether every indexed image has a vector of ``v`` (then activation needs no build)."""
    key = image_key(v)
    missing, total = missing_images(hub, key)
    if missing:
        return False
    store.set_generation(key, v.model_type, "ready", total, total, hub.catalog.generation())
    return True


def build_image_generation(
    hub: Hub, v: VersionRow, store: RegistryStore, on_progress: Callable[[int, int], None] | None = None,
    progress: bool = False,
) -> tuple[int, int]:  # fmt: skip
    """Embed (whole images, tiles) and score what ``v`` lacks; the generation is ``ready`` at the end."""
    from ..search.images import EncodeJob, Images

    embedder = RegisteredClip(v)
    if embedder.problem:
        raise BadInputError(embedder.problem)
    key = embedder.name
    missing, total = missing_images(hub, key)
    store.set_generation(key, v.model_type, "building", total - missing, total)
    builder = Images(hub.catalog, hub._search_engine, embedder=embedder)

    class Job(EncodeJob):
        def step(self, phase: str, done: int, all_: int) -> None:
            super().step(phase, done, all_)
            if phase == "embedding":  # the whole-image pass is what the progress counts
                now = total - missing + done
                store.set_generation(key, v.model_type, "building", now, total)
                if on_progress:
                    on_progress(now, total)

    builder._job = Job(state="running")
    try:
        added = builder.update(progress=progress, background=False)
    except BaseException as err:
        from ..errors import one_line

        store.set_generation(key, v.model_type, "failed", 0, total, error=one_line(err))
        raise
    left, total = missing_images(hub, key)
    if left:  # images that cannot be read get no vector; the rest is served
        log.info("modelhub: %d of %d images have no %s vector", left, total, key)
    store.set_generation(key, v.model_type, "ready", total - left, total, hub.catalog.generation())
    if on_progress:
        on_progress(total, total)
    return int(added.get("embedded", 0)), total


def follow_images(hub: Hub, images: Images) -> bool:
    """Make ``images`` embed and search with the active image_embedding version, once its vectors
    are ready. False: it is not ready yet (another process is still building them)."""
    v = RegistryStore(hub.catalog).active("image_embedding")
    if v is None:
        return True
    try:
        key = image_key(v)
    except BadInputError as err:
        log.warning(
            "modelhub: the active image model cannot run, images keep %s: %s", images.embedder.name, err
        )
        return True
    if images.embedder.name == key:
        return True
    gen = RegistryStore(hub.catalog).generation(key)
    if gen is None or gen["status"] != "ready":
        return False
    images.use_embedder(RegisteredClip(v))
    return True


def describe(v: VersionRow) -> dict[str, Any]:
    """What the version runs as (for ``show`` and the panel)."""
    try:
        if v.model_type == "llm":
            return {"runs_as": f"llama.cpp {gguf_file(v).name}"}
        if v.model_type == "image_embedding":
            return {"runs_as": image_key(v)}
    except BadInputError as err:
        return {"problem": str(err)}
    return {}
