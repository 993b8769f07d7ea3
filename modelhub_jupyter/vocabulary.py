"""The metadata vocabulary every layer shares: kinds, types, keys, short names, flattening, rows.

Three words that are easy to mix up, each listed once here:

- **file kind** (``FILE_KINDS``): what the scanner found on disk (``python``, ``image``,
  ``model_dir``, ...); it picks the parser.
- **kind** (``KINDS``): what search returns and filters by (``code``, ``image``, ``model``);
  one vector collection each.
- **type** (``TYPES``, ``metadata.type``): the seed's document type (``model_script``,
  ``generated_image``, ``model_dir``); it picks the schema.

Views (CLI tables, HTML, widgets) render metadata through :func:`rows`, so which keys are
hidden and how values read is decided here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# -- kinds and types ----------------------------------------------------------------------------
FILE_KINDS: tuple[str, ...] = ("python", "notebook", "config", "image", "model_dir", "weights")
KINDS: tuple[str, ...] = ("code", "image", "model")
SEARCH_KINDS: tuple[str, ...] = ("all", *KINDS)
#: Orders ``search(rank=...)`` accepts (see search.rankers).
RANKERS = ("similarity", "recency", "version")
TYPES: tuple[str, ...] = ("model_script", "generated_image", "model_dir")

#: The document type each built-in file kind becomes (a third-party parser names its own).
TYPE_OF_FILE_KIND: dict[str, str] = {
    "python": "model_script",
    "notebook": "model_script",
    "config": "model_script",
    "image": "generated_image",
    "model_dir": "model_dir",
    "weights": "model_dir",
}
KIND_OF_TYPE: dict[str, str] = {"model_script": "code", "generated_image": "image", "model_dir": "model"}

SECTION_TYPES: tuple[str, ...] = (
    "model_definition", "training_loop", "data_loading", "config", "evaluation", "utility",
)  # fmt: skip
ARCHITECTURE_TYPES: tuple[str, ...] = ("transformer", "cnn", "rnn", "mlp", "diffusion", "gan", "other")
RELATIONS: tuple[str, ...] = ("predecessor_of", "generated_by", "defined_in", "trained_on", "variant_of")

# -- keys ---------------------------------------------------------------------------------------
#: Per-chunk keys of code and model documents (the rest of the metadata is shared by a file's chunks).
CHUNK_KEYS: tuple[str, ...] = (
    "chunk_id", "chunk_type", "breadcrumb", "start_line", "end_line", "section_type", "symbol",
)  # fmt: skip

#: Top-level keys no view shows: bulky raw data and internal paths (the root is shown beside the path).
HIDDEN_KEYS: frozenset[str] = frozenset(
    {"root", "raw_metadata", "thumbnail_path", "image_path", "embedding_type", "chunk_id"}
)

#: Top-level keys kept out of the vector store's metadata (too big, never filtered on there).
UNINDEXED_KEYS: frozenset[str] = frozenset({"raw_metadata", "weights"})

#: Short names ``--where`` accepts for the keys people filter by most.
FILTER_ALIASES: dict[str, str] = {
    "framework": "framework.name",
    "arch": "architecture_type",
    "architecture": "architecture_type",
    "params": "model_dimensions.total_parameters",
    "parameters": "model_dimensions.total_parameters",
    "hidden_size": "model_dimensions.hidden_size",
    "num_layers": "model_dimensions.num_layers",
    "layers": "model_dimensions.num_layers",
    "heads": "model_dimensions.num_attention_heads",
    "dataset": "dataset.name",
    "optimizer": "training_config.optimizer",
    "lr": "training_config.learning_rate",
    "learning_rate": "training_config.learning_rate",
    "batch_size": "training_config.batch_size",
    "steps": "num_inference_steps",
    "cfg": "guidance_scale",
    "width": "resolution.width",
    "height": "resolution.height",
    "model": "model_checkpoint",
    "section": "section_type",
    "path": "filepath",
    "author": "authors",
}

#: Keys whose distinct values feed suggestions and filter chips.
SUGGEST_KEYS: tuple[str, ...] = (
    "framework.name", "architecture_type", "section_type", "dataset.name", "training_config.optimizer",
    "model_id", "model_family", "symbol", "sampler", "model_checkpoint", "generator", "style_tags",
    "license", "tags", "authors", "weights.format",
)  # fmt: skip

#: The generation settings of an image, in the order people read them.
IMAGE_SETTINGS: tuple[str, ...] = (
    "prompt", "negative_prompt", "num_inference_steps", "sampler", "scheduler", "guidance_scale", "seed",
    "resolution", "model_checkpoint", "model_hash", "generator", "loras",
)  # fmt: skip


def canonical_key(key: str) -> str:
    """A filter key with its short name expanded (``params`` -> ``model_dimensions.total_parameters``)."""
    return FILTER_ALIASES.get(key, key)


# -- nested <-> dotted --------------------------------------------------------------------------
def flatten(metadata: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dict -> ``{"a.b.c": value}``; lists, scalars and empty dicts are leaves."""
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def lookup(metadata: Mapping[str, Any], key: str) -> Any:
    """The value at dotted ``key`` in nested ``metadata``, or None; through a list of mappings,
    the list of their values (``weights.format`` -> ``["gguf", "safetensors"]``)."""
    node: Any = metadata
    for part in key.split("."):
        if isinstance(node, list) and node and all(isinstance(n, Mapping) for n in node):
            node = [n[part] for n in node if n.get(part) is not None] or None
            if node is None:
                return None
            continue
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# -- display ------------------------------------------------------------------------------------
def is_hidden(key: str) -> bool:
    """Whether a (dotted) key is kept out of views: ``raw_metadata.parameters`` is, like ``raw_metadata``."""
    return key.split(".", 1)[0] in HIDDEN_KEYS


#: Keys whose whole numbers are counts people read in K/M/B (``124000000`` -> ``124M``).
COUNT_KEYS: frozenset[str] = frozenset({"total_parameters", "parameters", "num_parameters", "params"})
#: Keys whose whole numbers are sizes in bytes (``284736`` -> ``278 KiB``).
BYTE_KEYS: frozenset[str] = frozenset({"size_bytes", "file_size", "size"})


def display(value: Any, key: str = "") -> str:
    """One value as short display text (``{"width": 512, "height": 768}`` -> ``512×768``).

    With the dotted ``key`` it is shown under (the views: tables, cards, ``show``), counts read
    ``124M``, byte sizes ``278 KiB`` and small numbers ``6e-4``; without one, numbers are plain
    (answer text states ``0.0006`` as written).
    """
    if value is None:
        return ""
    if isinstance(value, Mapping) and {"width", "height"} <= set(value):
        return f"{value['width']}×{value['height']}"
    if isinstance(value, list | tuple):
        return ", ".join(display(v, key) for v in value)
    if isinstance(value, bool):
        return str(value)
    if key and isinstance(value, int | float):
        return _number(value, key.rsplit(".", 1)[-1])
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {display(v, str(k) if key else '')}" for k, v in value.items())
    return str(value)


def _number(value: float, name: str) -> str:
    """A number as people read it under key ``name``: ``124M``, ``278 KiB``, ``6e-4``, ``0.1``, ``42``."""
    if isinstance(value, int) and name in COUNT_KEYS and abs(value) >= 1000:
        return _scaled(value, 1000, ("", "K", "M", "B", "T"), "")
    if isinstance(value, int) and name in BYTE_KEYS and abs(value) >= 1024:
        return _scaled(value, 1024, ("B", "KiB", "MiB", "GiB", "TiB"), " ")
    if isinstance(value, float) and value and abs(value) < 1e-2:
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _scaled(value: int, base: int, units: tuple[str, ...], sep: str) -> str:
    scaled, unit = float(value), 0
    while abs(scaled) >= base and unit < len(units) - 1:
        scaled, unit = scaled / base, unit + 1
    text = f"{scaled:.3g}" if abs(scaled) < 1000 else f"{scaled:.0f}"
    return f"{text}{sep}{units[unit]}"


@dataclass(frozen=True)
class Row:
    """One shown metadata value: dotted ``key``, the raw ``value``, its ``text`` and ``source``."""

    key: str
    value: Any
    text: str
    source: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "value": self.text, "source": self.source}


def rows(
    metadata: Mapping[str, Any], provenance: Mapping[str, str] | None = None, *, max_chars: int = 500
) -> list[Row]:
    """The visible rows of ``metadata``: hidden keys and empty values left out, provenance attached."""
    provenance = provenance or {}
    return list(_rows(metadata, provenance, max_chars))


def _rows(metadata: Mapping[str, Any], provenance: Mapping[str, str], max_chars: int) -> Iterator[Row]:
    for key, value in flatten(metadata).items():
        if is_hidden(key) or value is None or value == "" or value == [] or value == {}:
            continue
        yield Row(key, value, display(value, key)[:max_chars], provenance.get(key, ""))
