"""Reproducibility manifests: inputs (sha256), package versions, Python/platform, seed, parameters,
and a hash of each executed cell's outputs; ``verify`` re-runs a notebook and reports what differs.

Only outputs that should repeat are hashed: text, JSON and plotly figure data (not HTML with
random element ids, not images, not stderr, where progress bars print timings).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import re
import sys
from pathlib import Path
from typing import Any

STABLE_MIMES = ("text/plain", "application/json", "application/vnd.plotly.v1+json", "text/markdown")
PACKAGES = ("modelhub-jupyter", "papermill", "nbformat", "plotly", "pandas", "numpy", "torch", "safetensors")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _normal(text: str) -> str:
    return _ADDRESS.sub("0x…", _ANSI.sub("", text))


def output_hash(outputs: list[dict[str, Any]]) -> str:
    """One hash of a cell's repeatable outputs."""
    parts = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            parts.append(_normal("".join(out.get("text", ""))))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            for mime in STABLE_MIMES:
                if mime in data:
                    value = data[mime]
                    text = (
                        value
                        if isinstance(value, str)
                        else "".join(value)
                        if isinstance(value, list)
                        else json.dumps(value, sort_keys=True)
                    )
                    parts.append(f"{mime}:{_normal(text)}")
        elif kind == "error":
            parts.append(f"error:{out.get('ename')}:{_normal(str(out.get('evalue')))}")
    return sha256_bytes("\n".join(parts).encode())


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def build(nb: Any, template: str, params: dict[str, Any], inputs: dict[str, str]) -> dict[str, Any]:
    """The manifest of an executed notebook ``nb`` (nbformat node); ``inputs``: name → sha256."""
    cells = [
        {"index": i, "hash": output_hash(cell.get("outputs", [])), "source": _first_line(cell)}
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "injected-parameters" not in cell.get("metadata", {}).get("tags", [])
    ]
    return {
        "template": template,
        "parameters": {k: v for k, v in params.items() if k != "snapshot_json"},
        "seed": params.get("seed"),
        "inputs": inputs,
        "packages": versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cells": cells,
    }


def _first_line(cell: Any) -> str:
    lines = [line for line in "".join(cell.source).splitlines() if line.strip() and not line.startswith("#")]
    return (lines[0] if lines else "")[:80]


def compare_manifests(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs, one line each (nothing: the run repeated)."""
    diffs = []
    for key in ("parameters", "inputs", "python"):
        if old.get(key) != new.get(key):
            diffs.append(f"{key}: {old.get(key)} → {new.get(key)}")
    for name in sorted(set(old.get("packages", {})) | set(new.get("packages", {}))):
        a, b = old.get("packages", {}).get(name), new.get("packages", {}).get(name)
        if a != b:
            diffs.append(f"package {name}: {a} → {b}")
    a_cells = {c["index"]: c for c in old.get("cells", [])}
    b_cells = {c["index"]: c for c in new.get("cells", [])}
    for index in sorted(set(a_cells) | set(b_cells)):
        a, b = a_cells.get(index), b_cells.get(index)
        if a is None or b is None or a["hash"] != b["hash"]:
            source = (a or b or {}).get("source", "")
            diffs.append(f"cell {index} ({source}): outputs differ")
    return diffs


def write_beside(notebook_path: Path, manifest: dict[str, Any]) -> Path:
    path = notebook_path.with_name(notebook_path.stem + ".manifest.json")
    path.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return path
