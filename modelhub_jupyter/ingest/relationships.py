"""Edges between models, scripts, images and datasets, each with the evidence behind it.

- ``predecessor_of``: declared (``predecessor_models``) or the same family with a
  higher version;
- ``generated_by``: an image -> the checkpoint named in its generation settings
  (matched to an indexed model directory when one has that name);
- ``defined_in``: a model directory -> a script that refers to it by name or path;
- ``trained_on``: a model -> the dataset its code, config or card names.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any


def version_key(version: str) -> tuple[int, ...]:
    """``"2.1"`` -> (2, 1); non-numeric parts are ignored."""
    return tuple(int(n) for n in re.findall(r"\d+", str(version))) or (0,)


def _edge(source: str, target: str, relation: str, evidence: str) -> dict[str, str]:
    return {"source_id": source, "target_id": target, "relation": relation, "evidence": evidence}


def _where(meta: dict[str, Any], key: str) -> str:
    return (meta.get("_provenance") or {}).get(key) or meta.get("filepath", "")


def _checkpoint_stem(name: str) -> str:
    stem = PurePosixPath(name.replace("\\", "/")).name
    return re.sub(r"\.(safetensors|ckpt|pt|pth|bin|gguf)$", "", stem, flags=re.IGNORECASE).lower()


def derive_relationships(metas: list[dict[str, Any]], code: dict[str, str]) -> list[dict[str, str]]:
    """Edges from the first document's metadata of every file and the code text (by relpath) of scripts."""
    edges: dict[tuple[str, str, str], dict[str, str]] = {}

    def add(edge: dict[str, str]) -> None:
        edges.setdefault((edge["source_id"], edge["target_id"], edge["relation"]), edge)

    models = [m for m in metas if m.get("model_id") and m.get("type") in ("model_script", "model_dir")]
    for meta in models:
        for pred in meta.get("predecessor_models") or []:
            if pred != meta["model_id"]:
                add(_edge(pred, meta["model_id"], "predecessor_of", _where(meta, "predecessor_models")))
        for dataset in meta.get("datasets") or [(meta.get("dataset") or {}).get("name")]:
            if dataset:
                add(_edge(meta["model_id"], str(dataset), "trained_on", _where(meta, "dataset.name")))

    families: dict[str, dict[str, dict[str, Any]]] = {}
    for meta in models:
        if meta.get("model_family") and meta.get("version") and meta["model_family"] != meta["model_id"]:
            families.setdefault(meta["model_family"], {}).setdefault(meta["model_id"], meta)
    for family, members in families.items():
        ordered = sorted(members.values(), key=lambda m: version_key(m["version"]))
        for older, newer in zip(ordered, ordered[1:], strict=False):
            if version_key(older["version"]) < version_key(newer["version"]):
                add(
                    _edge(
                        older["model_id"], newer["model_id"], "predecessor_of",
                        f"same family {family!r}: version {older['version']} ({older['filepath']}) "
                        f"< {newer['version']} ({newer['filepath']})",
                    )
                )  # fmt: skip

    dirs = [m for m in metas if m.get("type") == "model_dir"]
    by_name: dict[str, dict[str, Any]] = {}
    for meta in dirs:
        by_name[str(meta["model_id"]).lower()] = meta
        for weight in meta.get("weights") or []:
            by_name.setdefault(_checkpoint_stem(str(weight.get("file", ""))), meta)
    for meta in metas:
        if meta.get("type") != "generated_image" or not meta.get("model_checkpoint"):
            continue
        checkpoint = str(meta["model_checkpoint"])
        target = by_name.get(_checkpoint_stem(checkpoint)) or by_name.get(checkpoint.lower())
        evidence = _where(meta, "model_checkpoint")
        if target:
            add(
                _edge(
                    meta["filepath"],
                    target["model_id"],
                    "generated_by",
                    f"{evidence}; matches {target['filepath']}",
                )
            )
        else:
            add(_edge(meta["filepath"], _checkpoint_stem(checkpoint), "generated_by", evidence))

    for meta in dirs:
        needles = {str(meta["model_id"]), meta.get("filepath", "")} - {""}
        for rel, text in code.items():
            for line in text.splitlines():
                if any(f'"{n}' in line or f"'{n}" in line or f"/{n}" in line for n in needles):
                    quote = line.strip()[:120]
                    add(
                        _edge(
                            meta["model_id"],
                            rel,
                            "defined_in",
                            f"{rel} mentions {meta['model_id']!r}: {quote}",
                        )
                    )
                    break
    return sorted(edges.values(), key=lambda e: (e["relation"], e["source_id"], e["target_id"]))
