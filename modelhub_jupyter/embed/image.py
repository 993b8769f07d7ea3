"""Image embeddings with open_clip (ViT-B-32 by default): images and texts in one 512-d space.

Weights come from open_clip's cache by name (``MODELHUB_CLIP_PRETRAINED``, default
``laion2b_s34b_b79k``) or from a local checkpoint (``MODELHUB_CLIP_CHECKPOINT``); nothing is
downloaded (the hub is asked offline). Without weights the embedder is *unavailable*: it says
why once (:attr:`ImageEmbedder.problem`), and no vector is made — a random or hashed vector is
never passed off as CLIP. :meth:`ImageEmbedder.from_config` builds a model of any open_clip
architecture from a config with random weights (the tests' small model); its name says so.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .text import torch_threads

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_ARCH", "DEFAULT_PRETRAINED", "ImageEmbedder", "ImageInput", "load_image"]

DEFAULT_ARCH = "ViT-B-32"
DEFAULT_PRETRAINED = "laion2b_s34b_b79k"
# Where open_clip keeps the default weights (so that checking for them needs no open_clip import).
_KNOWN = {(DEFAULT_ARCH, DEFAULT_PRETRAINED): {"hf_hub": "laion/CLIP-ViT-B-32-laion2B-s34B-b79K/"}}
QUERY_CACHE = 256  # text queries whose vectors are kept (the text tower takes ~100 ms a query)
QUERY_FEW = 4  # up to this many texts at once are a query: run on query_threads() torch threads
ImageInput = str | Path | bytes | Image.Image
_OPENAI_NORM = {  # open_clip's defaults (OPENAI_DATASET_MEAN/STD), here without importing it
    "mean": (0.48145466, 0.4578275, 0.40821073),
    "std": (0.26862954, 0.26130258, 0.27577711),
}
LOAD_PIXEL_LIMIT = 89_478_485  # as ingest.images: larger declared sizes are refused before decoding


def load_image(image: ImageInput, *, min_side: int = 0) -> Image.Image:
    """An RGB, EXIF-upright copy of ``image`` (a path, encoded bytes or a PIL image; first frame).

    ``min_side``: the pixels are only needed down to that shorter side, so a JPEG is decoded at a
    reduced DCT scale (``Image.draft``: 1/2 to 1/8) that keeps at least that much.
    Raises ``ValueError`` with a one-line reason for anything that is not a readable image.
    """
    from PIL import ImageOps

    if isinstance(image, Image.Image):
        img = image
    else:
        source: Any = io.BytesIO(image) if isinstance(image, bytes | bytearray) else Path(image)
        name = "image bytes" if isinstance(image, bytes | bytearray) else str(image)
        try:
            img = Image.open(source)
            if img.width * img.height > LOAD_PIXEL_LIMIT:
                raise ValueError(f"{name}: image too large: {img.width}x{img.height} pixels")
            img.seek(0)
            if min_side and img.format == "JPEG" and min(img.size) >= 2 * min_side:
                scale = min_side / min(img.size)
                img.draft("RGB", (max(1, int(img.width * scale)), max(1, int(img.height * scale))))
            img.load()
        except ValueError:
            raise
        except Exception as err:  # noqa: BLE001 - any decoder failure is this image's one line
            if isinstance(err, Image.DecompressionBombError):
                raise ValueError(f"{name}: image too large ({err})") from None
            raise ValueError(f"{name}: not a readable image ({type(err).__name__}: {err})") from None
    try:
        img = ImageOps.exif_transpose(img) or img
    except Exception:  # noqa: BLE001 - a corrupt EXIF orientation leaves the pixels as stored
        pass
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        background = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        arr = (arr / max(arr.max(), 1.0) * 255.0).astype(np.uint8)
        return Image.fromarray(arr).convert("RGB")
    return img.convert("RGB")


def _device(device: str | None) -> str:
    if device:
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except Exception:  # noqa: BLE001
        return "cpu"


class ImageEmbedder:
    """open_clip model: ``embed(texts)`` (text tower) and ``embed_images(images)`` (vision tower),
    rows L2-normalised float32; loaded on first use, on CUDA when present.

    ``name`` is the model version that keys cached vectors (``open_clip:ViT-B-32:laion2b_s34b_b79k``,
    ``open_clip:ViT-B-32:ckpt-<sha12>``); :attr:`available` is False (and :attr:`problem` says
    why) when no weights can be loaded here.
    """

    def __init__(
        self,
        arch: str | None = None,
        pretrained: str | None = None,
        checkpoint: str | Path | None = None,
        *,
        device: str | None = None,
        batch_size: int = 16,
        cache_dir: str | None = None,
    ) -> None:
        self.arch = arch or os.environ.get("MODELHUB_CLIP_MODEL") or DEFAULT_ARCH
        ckpt = checkpoint or os.environ.get("MODELHUB_CLIP_CHECKPOINT") or None
        self.checkpoint = Path(ckpt).expanduser() if ckpt else None
        self.pretrained = (
            None
            if self.checkpoint
            else (pretrained or os.environ.get("MODELHUB_CLIP_PRETRAINED") or DEFAULT_PRETRAINED)
        )
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._device = device
        self._config: dict[str, Any] | None = None
        self._seed = 0
        self.random_weights = False
        self.name = f"open_clip:{self.arch}:{self.pretrained}" if self.pretrained else ""
        self._model: Any = None
        self._preprocess: Any = None
        self._tokenizer: Any = None
        self._fast: _FastPrep | None = None  # open_clip's preprocessing as Pillow + numpy (None: theirs)
        self._problem: str | None = None
        self._checked = False
        self._lock = threading.RLock()
        self._queries: dict[str, np.ndarray] = {}
        self._prewarm: threading.Thread | None = None
        self._choice: _ThreadChoice | None = None  # the vision tower's thread count for batches

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        label: str = "test",
        *,
        device: str | None = "cpu",
        batch_size: int = 16,
        seed: int = 0,
    ) -> ImageEmbedder:
        """A CLIP of the architecture ``config`` describes (open_clip's ``embed_dim``/``vision_cfg``/
        ``text_cfg``) with *random* weights drawn from ``seed`` (the same in every process): the real
        code path, named ``open_clip:<label>:random-weights`` (``...:random-weights-s<seed>`` for another seed)."""
        self = cls.__new__(cls)
        cls.__init__(self, arch=label, pretrained="random-weights", device=device, batch_size=batch_size)
        self._config = dict(config)
        self._seed = seed
        self.random_weights = True
        self.name = f"open_clip:{label}:random-weights" + (f"-s{seed}" if seed else "")
        return self

    # -- loading ---------------------------------------------------------------------------------
    @property
    def device(self) -> str:
        return _device(self._device)

    @property
    def device_shown(self) -> str:
        """The device to report: the one set, the one torch picks once torch is loaded, else
        ``auto`` (a status line must not import torch: seconds on a fresh process)."""
        return self.device if self._device or "torch" in sys.modules else "auto"

    @property
    def weights(self) -> str:
        """Where the weights come from: ``pretrained:<tag>``, ``checkpoint:<path>`` or ``random``."""
        if self.random_weights:
            return "random (architecture test model; not a trained CLIP)"
        if self.checkpoint:
            return f"checkpoint:{self.checkpoint}"
        return f"pretrained:{self.pretrained}"

    @property
    def available(self) -> bool:
        """Whether weights can be loaded (checked once, without building the model)."""
        return self.problem is None

    @property
    def problem(self) -> str | None:
        """Why no image vectors can be made here (None: they can)."""
        with self._lock:
            if not self._checked:
                self._checked = True
                self._problem = self._find_weights()
                if self._problem:
                    log.warning("modelhub: %s", self._problem)
            return self._problem

    def _find_weights(self) -> str | None:
        import importlib.util

        if importlib.util.find_spec("open_clip") is None:  # not imported here: that takes seconds
            return "open_clip is not installed (pip install 'modelhub-jupyter[clip]'); images get no CLIP vectors"
        if self._config is not None:
            return None
        if self.checkpoint is not None:
            if not self.checkpoint.is_file():
                return f"CLIP checkpoint {self.checkpoint} (MODELHUB_CLIP_CHECKPOINT) is not a file"
            digest = hashlib.sha256()
            with self.checkpoint.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            self.name = f"open_clip:{self.arch}:ckpt-{digest.hexdigest()[:12]}"
            return None
        return self._cached_pretrained()

    def _cached_pretrained(self) -> str | None:
        cfg = _KNOWN.get((self.arch, self.pretrained or ""))
        if cfg is None:  # not one we know: ask open_clip (an import of a few seconds)
            from open_clip import pretrained as oc_pretrained

            cfg = oc_pretrained.get_pretrained_cfg(self.arch, self.pretrained or "")
        if not cfg:
            return f"open_clip has no pretrained weights {self.pretrained!r} for {self.arch}"
        path = _cached_file(cfg, self.cache_dir)  # the cache only: nothing is downloaded
        if not path:
            return (
                f"CLIP weights {self.arch}/{self.pretrained} are not on this machine; images are indexed "
                "without image vectors (set MODELHUB_CLIP_CHECKPOINT or put the weights in open_clip's "
                "cache, then run `modelhub reembed --kind image`)"
            )
        self.checkpoint = Path(path)
        return None

    def _load(self) -> Any:
        with self._lock:
            if self._model is not None:
                return self._model
            if self.problem:
                raise RuntimeError(self.problem)
            import open_clip
            import torch

            if self._config is not None:
                cfg = self._config
                with torch.random.fork_rng(devices=[]):  # the same weights in every process: the
                    torch.manual_seed(self._seed)  # name keys cached vectors, so it must mean one model
                    model = open_clip.CLIP(**cfg)
                size = cfg.get("vision_cfg", {}).get("image_size", 224)
                preprocess = open_clip.image_transform(size, is_train=False)
                prep_cfg: dict[str, Any] = {"size": size, **_OPENAI_NORM}
                context = cfg.get("text_cfg", {}).get("context_length", 77)
                tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=context)
            else:
                model, _, preprocess = open_clip.create_model_and_transforms(
                    self.arch, pretrained=str(self.checkpoint), device="cpu"
                )
                tokenizer = open_clip.get_tokenizer(self.arch)
                prep_cfg = {**_OPENAI_NORM, **open_clip.get_model_preprocess_cfg(model)}
            model.eval()
            self._fast = _FastPrep.for_config(prep_cfg)
            model.to(torch.device(self.device))
            self._preprocess, self._tokenizer = preprocess, tokenizer
            self._model = model
            return model

    def prewarm(self) -> threading.Thread | None:
        """Load the model and run one text query on a daemon thread, so that the first image search
        does not wait for torch, open_clip and the weights (seconds); None when there is nothing to
        load (no weights: that is said once, by :attr:`problem`) or it is loaded already."""
        if self._model is not None or self._prewarm is not None:
            return self._prewarm

        def load() -> None:
            try:
                if self.problem is None:
                    self.embed(["a photo"])  # the model, the tokenizer and the text tower's kernels
            except Exception as err:  # noqa: BLE001 - the first search loads it again and says why
                log.debug("modelhub: CLIP prewarm failed: %s", err)

        self._prewarm = threading.Thread(target=load, name="modelhub-clip-prewarm", daemon=True)
        self._prewarm.start()
        import atexit

        atexit.register(self._prewarm.join, 30)  # not torn down half-way through a load at exit
        return self._prewarm

    @property
    def dim(self) -> int:
        if self._config is not None:
            return int(self._config["embed_dim"])
        if self._model is None and self.arch == DEFAULT_ARCH:
            return 512
        return int(self._load().text_projection.shape[1])

    @property
    def context_length(self) -> int:
        self._load()
        return int(getattr(self._tokenizer, "context_length", 77))

    # -- embedding -------------------------------------------------------------------------------
    def embed(self, texts: list[str]) -> np.ndarray:
        """Texts through the text tower (CLIP's own tokenizer truncates at its context length)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cached = [self._queries.get(t) for t in texts]
        missing = [t for t, v in zip(texts, cached, strict=True) if v is None]
        if missing:
            import torch

            model = self._load()
            out = []
            # a query's few tokens: one thread (two wait on each other every op, which on a busy
            # machine is 10x slower)
            with self._lock, torch.inference_mode(), self._threads_for(len(missing)):
                for start in range(0, len(missing), self.batch_size):
                    tokens = self._tokenizer(missing[start : start + self.batch_size]).to(self.device)
                    out.append(_normalise(_encode_text(model, tokens)))
            new = np.concatenate(out)
            if len(self._queries) > QUERY_CACHE:
                self._queries.clear()
            self._queries.update(zip(missing, new, strict=True))
        return np.stack([self._queries[t] for t in texts]).astype(np.float32)

    def _threads_for(self, inputs: int) -> Any:
        """torch on :func:`query_threads` threads while ``inputs`` (at most ``QUERY_FEW``, on the
        CPU) go through a tower: a query's one image took 2.1 s on two threads of a busy 2-core
        machine and 0.35 s on one (``bench_images.py``); batches keep every thread."""
        return torch_threads(query_threads() if inputs <= QUERY_FEW and self.device == "cpu" else None)

    @contextmanager
    def _tower_threads(self, inputs: int, batch: int) -> Iterator[None]:
        """:meth:`_threads_for` a query (``inputs`` at most ``QUERY_FEW``); for the batches of a
        bigger call on the CPU, the thread count :class:`_ThreadChoice` picks, timed for it."""
        import torch

        if inputs <= QUERY_FEW or self.device != "cpu":
            with self._threads_for(inputs):
                yield
            return
        if self._choice is None:
            self._choice = _ThreadChoice(torch.get_num_threads())
        use = self._choice.pick()
        started = time.perf_counter()
        try:
            with torch_threads(use):
                yield
        finally:
            self._choice.record(use, batch, time.perf_counter() - started)

    def embed_images(
        self,
        images: Sequence[ImageInput],
        *,
        progress: bool = False,
        on_error: Callable[[int, str], None] | None = None,
        with_image: Callable[[int, Image.Image], None] | None = None,
        min_side: int = 0,
    ) -> np.ndarray:
        """One row per image (zeros for an image that cannot be read: ``on_error(i, reason)`` is told).

        Decoding and resizing run on a small thread pool (Pillow lets go of the GIL) a batch ahead
        of the vision tower, which sees whole batches. ``with_image(i, image)`` is called on that
        pool with each decoded, upright RGB image before it is resized (the background pass makes
        the thumbnail and the perceptual hashes from the same decode); what it raises is logged
        and does not cost the image its vector. ``min_side``: the decoded image keeps at least this
        shorter side for ``with_image`` (a JPEG is otherwise decoded at the scale the tower needs)."""
        return self._encode(images, None, progress, on_error, with_image, min_side)[:, 0]

    def embed_regions(
        self,
        images: Sequence[ImageInput],
        boxes: Sequence[tuple[float, float, float, float]],
        *,
        progress: bool = False,
        on_error: Callable[[int, str], None] | None = None,
    ) -> np.ndarray:
        """``(images, boxes, dim)``: a vector for each box (fractions ``x0, y0, x1, y1`` of the
        upright image) of each image, each image decoded once (zeros for one that cannot be read)."""
        if not boxes:
            return np.zeros((len(images), 0, self.dim), dtype=np.float32)
        return self._encode(images, list(boxes), progress, on_error)

    def _encode(
        self,
        images: Sequence[ImageInput],
        boxes: list[tuple[float, float, float, float]] | None,
        progress: bool,
        on_error: Callable[[int, str], None] | None,
        with_image: Callable[[int, Image.Image], None] | None = None,
        min_side: int = 0,
    ) -> np.ndarray:
        import torch
        from tqdm.auto import tqdm

        model = self._load()
        per = len(boxes) if boxes else 1
        out = np.zeros((len(images), per, self.dim), dtype=np.float32)
        if not images:
            return out
        bar = tqdm(total=len(images), desc="CLIP", unit="img", disable=not progress, leave=False)
        pending: list[Any] = []  # prepared inputs (arrays or tensors) waiting for a batch
        rows: list[tuple[int, int]] = []  # (image, box) of each pending input

        def flush() -> None:
            if not pending:
                return
            # one image to search by (--like, a dropped picture): query threads, as a text query;
            # a batch of the background pass: the thread count measured to be faster now
            with self._lock, torch.inference_mode(), self._tower_threads(len(images) * per, len(pending)):
                batch = self._batch(pending).to(self.device)
                vectors = _normalise(model.encode_image(batch))
            for (i, b), vec in zip(rows, vectors, strict=True):
                out[i, b] = vec
            pending.clear()
            rows.clear()

        try:
            for i, prepared in self._prepared(images, boxes, with_image, min_side):
                if isinstance(prepared, str):
                    if on_error is not None:
                        on_error(i, prepared)
                else:
                    pending.extend(prepared)
                    rows.extend((i, b) for b in range(len(prepared)))
                    if len(pending) >= self.batch_size:
                        flush()
                bar.update(1)
            flush()
        finally:
            bar.close()
        return out

    def _prepared(
        self,
        images: Sequence[ImageInput],
        boxes: list[tuple[float, float, float, float]] | None,
        with_image: Callable[[int, Image.Image], None] | None = None,
        min_side: int = 0,
    ) -> Iterator[tuple[int, list[Any] | str]]:
        """``(index, inputs)`` in order, or ``(index, reason)`` for an image that cannot be read;
        made on :func:`prep_workers` threads, at most two batches ahead of the caller."""
        from concurrent.futures import Future, ThreadPoolExecutor

        ahead = max(2 * self.batch_size // (len(boxes) if boxes else 1), 2)
        with ThreadPoolExecutor(max_workers=prep_workers(), thread_name_prefix="modelhub-clip-prep") as pool:
            queue: deque[Future[list[Any]]] = deque()
            submitted = 0
            for i in range(len(images)):
                while submitted < len(images) and submitted - i < ahead:
                    queue.append(
                        pool.submit(self._prepare, images[submitted], boxes, submitted, with_image, min_side)
                    )
                    submitted += 1
                result: list[Any] | str
                try:
                    result = queue.popleft().result()
                except Exception as err:  # noqa: BLE001 - one image's problem, the rest go on
                    result = str(err).splitlines()[0] if str(err) else type(err).__name__
                yield i, result

    def _prepare(
        self,
        image: ImageInput,
        boxes: list[tuple[float, float, float, float]] | None,
        index: int = 0,
        with_image: Callable[[int, Image.Image], None] | None = None,
        min_side: int = 0,
    ) -> list[Any]:
        """The model's inputs for one image (one per box): ``uint8`` arrays on the fast path, else
        open_clip's own preprocessing (tensors)."""
        fast = self._fast
        img = load_image(image, min_side=max(3 * fast.size, min_side) if fast else 0)
        if with_image is not None:
            try:
                with_image(index, img)
            except Exception:  # noqa: BLE001 - the side work's problem; the vector is still made
                log.warning("modelhub: work on a decoded image failed", exc_info=True)
        crops = [img] if not boxes else [_crop(img, box) for box in boxes]
        if fast is None:
            return [self._preprocess(c) for c in crops]
        return [fast.array(c) for c in crops]

    def _batch(self, inputs: list[Any]) -> Any:
        """One float tensor ``(n, 3, size, size)`` from prepared inputs (normalised here, in one go)."""
        import torch

        if self._fast is None:
            return torch.stack(inputs)
        batch = torch.from_numpy(np.stack(inputs)).permute(0, 3, 1, 2).float().div_(255.0)
        return batch.sub_(self._fast.mean).div_(self._fast.std)

    def logit_scale(self) -> float:
        """The model's learned temperature (100 for trained CLIPs)."""
        return float(self._load().logit_scale.exp().item())


def _cached_file(cfg: dict[str, Any], cache_dir: str | None) -> str:
    """The local file of open_clip pretrained ``cfg`` if it is in a cache, else ``""`` (no network)."""
    hub = str(cfg.get("hf_hub") or "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo_id, filename = os.path.split(hub)  # 'org/model/' (default files) or 'org/model/file'
        names = [filename] if filename else ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
        for name in names:
            try:
                found = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
            except Exception:  # noqa: BLE001 - a malformed cache is a cache without the file
                found = None
            if isinstance(found, str) and Path(found).is_file():
                return found
    url = str(cfg.get("url") or "")
    if url:
        local = Path(cache_dir or Path.home() / ".cache" / "clip") / os.path.basename(url)
        if local.is_file():
            return str(local)
    return ""


def _normalise(tensor: Any) -> np.ndarray:
    vectors = tensor.float().cpu().numpy().astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


def query_threads() -> int:
    """torch threads for a text query (``MODELHUB_CLIP_QUERY_THREADS``, default 1): a query is a
    few tokens, too little work to share, and on a machine busy with other work two threads that
    wait for each other at every op took 1.5 s where one took 90 ms (``bench_images.py``)."""
    raw = os.environ.get("MODELHUB_CLIP_QUERY_THREADS", "")
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else 1


def prep_workers() -> int:
    """Threads that decode and resize images for the vision tower (``MODELHUB_CLIP_PREP_WORKERS``;
    default: the CPU count, at most 4; the tower's own threads fill the cores between batches)."""
    raw = os.environ.get("MODELHUB_CLIP_PREP_WORKERS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(4, os.cpu_count() or 1))


class _ThreadChoice:
    """Threads for the vision tower's batches on the CPU, chosen by measurement: all of them (torch's
    count) or one. On the 2-core machine with other work on it (load 5) one thread ran ViT-B-32
    batches of 16 at 10.4 images/s and two at 5.3 (they wait for each other at every op); quiet,
    two threads ran them at 19.7. Each count's seconds per input are kept (a moving average); the
    faster one runs, and every ``PROBE``-th batch the other is timed again, so the choice follows
    the machine. ``MODELHUB_CLIP_THREADS`` fixes the count."""

    PROBE = 16

    def __init__(self, most: int) -> None:
        raw = os.environ.get("MODELHUB_CLIP_THREADS", "")
        fixed = int(raw) if raw.strip().isdigit() and int(raw) > 0 else 0
        self.choices = [fixed] if fixed else sorted({max(1, most), 1}, reverse=True)
        self.cost: dict[int, float] = {}  # threads -> seconds per input
        self.batches = 0
        self.warm = False

    def pick(self) -> int:
        """The thread count for the next batch."""
        if len(self.choices) == 1:
            return self.choices[0]
        self.batches += 1
        untried = [c for c in self.choices if c not in self.cost]
        if untried:
            return untried[0]
        best = min(self.choices, key=lambda c: self.cost[c])
        if self.batches % self.PROBE == 0:
            return next(c for c in self.choices if c != best)
        return best

    def record(self, threads: int, inputs: int, seconds: float) -> None:
        """A batch of ``inputs`` took ``seconds`` on ``threads``. The first batch is not counted
        (it pays for warming the model up); the next one is timed on the same count."""
        if not self.warm:
            self.warm = True
            self.batches = 0
            return
        per = seconds / max(inputs, 1)
        old = self.cost.get(threads)
        self.cost[threads] = per if old is None else 0.5 * old + 0.5 * per


def _crop(img: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    w, h = img.size
    return img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))


class _FastPrep:
    """open_clip's inference preprocessing for the common case (shortest side resized to a square
    ``size``, bicubic or bilinear, centre crop, mean/std) as Pillow + numpy: the same pixels as
    torchvision's ``Resize``/``CenterCrop``/``ToTensor``/``Normalize``, with the normalisation done
    once per batch instead of once per image."""

    def __init__(self, size: int, mean: Sequence[float], std: Sequence[float], interpolation: str) -> None:
        import torch

        self.size = size
        self.mean = torch.tensor(list(mean), dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(list(std), dtype=torch.float32).view(1, 3, 1, 1)
        self.resample = Image.Resampling.BILINEAR if interpolation == "bilinear" else Image.Resampling.BICUBIC

    @classmethod
    def for_config(cls, cfg: dict[str, Any]) -> _FastPrep | None:
        """The fast path for open_clip's preprocess config ``cfg``, or None when it is another case."""
        size = cfg.get("size", 224)
        if isinstance(size, list | tuple):
            if len(size) != 2 or size[0] != size[1]:
                return None
            size = size[0]
        mean, std = cfg.get("mean"), cfg.get("std")
        if (
            cfg.get("resize_mode", "shortest") != "shortest"
            or cfg.get("interpolation", "bicubic") not in ("bicubic", "bilinear")
            or not mean
            or not std
            or len(mean) != 3
            or len(std) != 3
        ):
            return None
        return cls(int(size), mean, std, str(cfg.get("interpolation", "bicubic")))

    def array(self, img: Image.Image) -> np.ndarray:
        """``(size, size, 3)`` uint8: torchvision's ``Resize(size)`` (shorter side to ``size``, the
        longer ``int(size * long / short)``) then ``CenterCrop(size)``. ``reducing_gap=3`` only
        acts on images over 6x the size (a box reduce first: the same picture, far less work)."""
        size = self.size
        w, h = img.size
        if min(w, h) != size:
            if w <= h:
                new = (size, int(size * h / w))
            else:
                new = (int(size * w / h), size)
            img = img.resize(new, self.resample, reducing_gap=3.0)
            w, h = new
        if (w, h) != (size, size):
            top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
            img = img.crop((left, top, left + size, top + size))
        return np.asarray(img, dtype=np.uint8)


def _encode_text(model: Any, tokens: Any) -> Any:
    """``model.encode_text(tokens)`` over the tokens up to the last end-of-text only.

    CLIP's text tower is causal and pools at the end-of-text token (the largest id), so the
    padding after it cannot change the result: a query of 8 tokens costs 9 positions instead of
    the context's 77 (about 8x less work, the same vector). Any other text tower (no causal mask,
    another pooling, a subclass with its own ``encode_text``) goes through ``encode_text``."""
    import open_clip
    import torch

    mask = getattr(model, "attn_mask", None)
    if (
        type(model).encode_text is not open_clip.CLIP.encode_text
        or getattr(model, "text_pool_type", "") != "argmax"
        or not isinstance(mask, torch.Tensor)
        or tokens.ndim != 2
    ):
        return model.encode_text(tokens)
    ends = tokens.argmax(dim=-1)
    length = int(ends.max()) + 1
    cast = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens[:, :length]).to(cast)
    x = x + model.positional_embedding[:length].to(cast)
    x = model.transformer(x, attn_mask=mask[:length, :length])
    x = model.ln_final(x)
    x = x[torch.arange(x.shape[0], device=x.device), ends]
    projection = model.text_projection
    if projection is None:
        return x
    return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection
