"""Resource monitor: CPU, memory, loaded models, store sizes on disk, GPU (``hub.quality.resources()``).

Cheap enough to call on every Prometheus scrape: psutil for the process, a walk of the store's
folders (bounded) for sizes, and GPU figures only when torch is *already imported* by something
else and CUDA is available (this module never imports torch).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .hub import Hub

_PROC: Any = None  # this process's psutil.Process
MAX_FILES = 200_000  # a store folder with more files is reported as at least its partial size


def folder_size(path: Path, limit: int = MAX_FILES) -> tuple[int, int, bool]:
    """(bytes, files, complete) of the regular files under ``path``; links are not followed."""
    total = count = 0
    if not path.exists():
        return 0, 0, True
    if path.is_file():
        return path.stat().st_size, 1, True
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
                    count += 1
                    if count >= limit:
                        return total, count, False
            except OSError:
                continue
    return total, count, True


def process() -> dict[str, Any]:
    """This process: CPU % (since the last call), RSS and its peak, threads; the machine's CPU and memory."""
    out: dict[str, Any] = {"pid": os.getpid()}
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency; a stripped install still answers
        import resource

        out["rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out["cpu_count"] = os.cpu_count() or 1
        return out
    global _PROC
    if _PROC is None or _PROC.pid != os.getpid():  # one object: cpu_percent is the use since its last call
        _PROC = psutil.Process()
    proc = _PROC
    with proc.oneshot():
        mem = proc.memory_info()
        out.update(
            rss_bytes=int(mem.rss),
            cpu_percent=float(proc.cpu_percent(None)),
            threads=int(proc.num_threads()),
            cpu_seconds=round(sum(proc.cpu_times()[:2]), 2),
        )
    vm = psutil.virtual_memory()
    out.update(
        cpu_count=psutil.cpu_count() or 1,
        system_cpu_percent=float(psutil.cpu_percent(None)),
        system_memory_bytes=int(vm.total),
        system_memory_available_bytes=int(vm.available),
        load_average=[round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else [],
    )
    return out


def gpu() -> list[dict[str, Any]]:
    """CUDA devices with memory in use, only when torch is already imported and CUDA is available."""
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    try:
        if not torch.cuda.is_available():
            return []
        out = []
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            out.append({
                "index": i,
                "name": str(torch.cuda.get_device_name(i)),
                "memory_total_bytes": int(total),
                "memory_used_bytes": int(total - free),
                "allocated_bytes": int(torch.cuda.memory_allocated(i)),
            })  # fmt: skip
        return out
    except Exception:  # noqa: BLE001 - a broken driver: no GPU figures, never an error
        return []


def models(hub: Any) -> list[dict[str, Any]]:
    """The embedders (and other models) this hub holds, and whether each is loaded in memory."""
    out: list[dict[str, Any]] = []
    text = getattr(hub, "embedder", None)
    if text is not None:
        loaded = getattr(text, "_model", None) is not None or getattr(text, "_onnx", None) is not None
        backend = "torch" if getattr(text, "_model", None) is not None else "onnx" if loaded else ""
        try:
            from .embed import text as text_module

            folder = getattr(text, "onnx_folder", None)
            if folder is not None and any(
                key[0] == folder and enc is not None for key, enc in list(text_module._ENCODERS.items())
            ):
                loaded, backend = True, backend or "onnx"
        except Exception:  # noqa: BLE001 - another embedder type
            pass
        out.append({"role": "text embedder", "name": str(getattr(text, "name", "?")), "loaded": loaded,
                    "backend": backend})  # fmt: skip
    images = getattr(hub, "_images", None)  # never built just to look at it
    embedder = getattr(images, "embedder", None) if images is not None else None
    if embedder is not None:
        name = getattr(embedder, "name", "") or f"open_clip:{getattr(embedder, 'arch', '?')}"
        out.append({"role": "image embedder", "name": str(name),
                    "loaded": getattr(embedder, "_model", None) is not None,
                    "backend": str(getattr(embedder, "device_shown", ""))})  # fmt: skip
    llm = sys.modules.get("llama_cpp")
    if llm is not None:
        out.append(
            {"role": "language model runtime", "name": "llama-cpp-python", "loaded": True, "backend": "cpu"}
        )
    return out


def stores(hub: Any) -> dict[str, dict[str, Any]]:
    """Bytes and files on disk of the catalog (with its WAL), the Chroma folder and the thumbnails."""
    settings = hub.settings
    catalog = Path(settings.catalog_path)
    sizes: dict[str, dict[str, Any]] = {}
    total = files = 0
    for suffix in ("", "-wal", "-shm"):
        part = catalog.with_name(catalog.name + suffix)
        if part.is_file():
            total += part.stat().st_size
            files += 1
    sizes["catalog"] = {"bytes": total, "files": files, "complete": True, "path": str(catalog)}
    for name, path in (("chroma", Path(settings.chroma_path)), ("thumbnails", Path(settings.thumbnails_dir))):
        size, count, complete = folder_size(path)
        sizes[name] = {"bytes": size, "files": count, "complete": complete, "path": str(path)}
    home_size, home_files, complete = folder_size(Path(settings.home))
    sizes["home"] = {
        "bytes": home_size,
        "files": home_files,
        "complete": complete,
        "path": str(settings.home),
    }
    return sizes


def snapshot_for_home(home: str | Path | None = None) -> dict[str, Any]:
    """:func:`snapshot` without a hub: the process, the text encoders loaded in it and the stores of
    ``home`` (default ``$MODELHUB_HOME``)."""
    from types import SimpleNamespace

    from .config import Settings

    settings = Settings() if home is None else Settings(home=Path(home))
    loaded = 0
    try:
        from .embed import text as text_module

        loaded = sum(1 for enc in list(text_module._ENCODERS.values()) if enc is not None)
    except Exception:  # noqa: BLE001 - no embedder module state: none loaded
        loaded = 0
    models_loaded = [{"role": "text embedder", "name": f"onnx encoder {i + 1}", "loaded": True, "backend": "onnx"}
                     for i in range(loaded)]  # fmt: skip
    return {
        "at": time.time(),
        "process": process(),
        "models": models_loaded,
        "stores": stores(SimpleNamespace(settings=settings)),
        "gpu": gpu(),
    }


def snapshot(hub: Hub | Any) -> dict[str, Any]:
    """Everything the resource monitor shows: process, models, stores, GPU, when it was taken."""
    return {
        "at": time.time(),
        "process": process(),
        "models": models(hub),
        "stores": stores(hub),
        "gpu": gpu(),
    }


def human_bytes(n: float) -> str:
    """``1536`` -> ``1.5 KiB``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover
