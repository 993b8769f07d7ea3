"""One stored name per thing: checkpoints, datasets and frameworks in their canonical form.

Generators and scripts spell one checkpoint several ways (``dreamshaper_8``,
``dreamshaper_8.safetensors``, ``models\\dreamshaper_8.safetensors [879db523c3]``) and one
dataset several ways (``CIFAR10``, ``cifar10``). Documents store the canonical form, so
counts, suggestions and filters see one value (filters read a user's value with
:func:`canonical_value`, so any spelling selects the same documents); the
spelling as written is kept beside it (``model_checkpoint_as_written``,
``dataset.name_as_written``) for display. Ingest applies :func:`canonicalise` before
validation, and the schema registry applies it to documents of older versions on read.
"""

from __future__ import annotations

import re
from typing import Any

from ..vocabulary import canonical_key

#: File extensions of weight files, stripped from a checkpoint's name (``x.safetensors`` -> ``x``).
WEIGHT_EXTENSIONS: tuple[str, ...] = (
    ".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".onnx", ".pkl",
)  # fmt: skip
_HASH_SUFFIX = re.compile(r"^(?P<name>.*\S)\s*\[(?P<hash>[0-9A-Fa-f]{8,12})\]$")  # "name.ckpt [45dee52b]"
#: Spellings of the same dataset, keyed by the name in lower case without separators.
_DATASET_ALIASES: dict[str, str] = {
    "cifar10": "cifar10", "cifar100": "cifar100", "mnist": "mnist", "fashionmnist": "fashion_mnist",
    "kmnist": "kmnist", "emnist": "emnist", "stl10": "stl10", "svhn": "svhn", "celeba": "celeba",
    "imagenet": "imagenet", "imagenet1k": "imagenet-1k", "agnews": "ag_news", "imdb": "imdb",
}  # fmt: skip
_FRAMEWORK_ALIASES: dict[str, str] = {
    "torch": "pytorch", "py_torch": "pytorch", "tf": "tensorflow", "tensorflow2": "tensorflow",
    "tf.keras": "tensorflow", "huggingface": "transformers", "hf": "transformers",
}  # fmt: skip
#: Keys whose stored values are canonical (the spelling as written is kept beside, for display).
CANONICAL_KEYS: tuple[str, ...] = ("model_checkpoint", "dataset.name", "datasets", "framework.name")


def split_checkpoint(name: str) -> tuple[str, str | None]:
    """``(stem, hash)`` of a checkpoint as generators write it: folders and a weight-file extension
    go, an A1111 ``[hash]`` suffix is split off (``"SDXL\\sd_xl_base_1.0.safetensors"`` ->
    ``("sd_xl_base_1.0", None)``; ``"dreamshaper_8 [879db523c3]"`` -> ``("dreamshaper_8", "879db523c3")``).
    A Hugging Face repo id (``org/name``, no extension) is kept whole."""
    text = " ".join(str(name).split())
    digest = None
    if match := _HASH_SUFFIX.match(text):
        text, digest = match["name"], match["hash"].lower()
    lowered = text.lower()
    ext = next((e for e in WEIGHT_EXTENSIONS if lowered.endswith(e) and len(text) > len(e)), None)
    if ext:
        text = text[: -len(ext)].replace("\\", "/").rsplit("/", 1)[-1] or text
    return text.strip(), digest


def canonical_checkpoint(name: str) -> str:
    """The one stored name of a checkpoint: its stem (see :func:`split_checkpoint`), case as written."""
    return split_checkpoint(name)[0]


def canonical_dataset(name: str) -> str:
    """A dataset name in lower case, known spellings joined (``CIFAR10``, ``CIFAR-10`` -> ``cifar10``)."""
    text = " ".join(str(name).split()).lower()
    return _DATASET_ALIASES.get(re.sub(r"[-_ ]", "", text), text)


def canonical_framework(name: str) -> str:
    """A framework name in lower case, short names expanded (``PyTorch``, ``torch`` -> ``pytorch``)."""
    text = " ".join(str(name).split()).lower()
    return _FRAMEWORK_ALIASES.get(text, text)


_CANONICAL = {
    "model_checkpoint": canonical_checkpoint,
    "dataset.name": canonical_dataset,
    "datasets": canonical_dataset,
    "framework.name": canonical_framework,
}


def canonical_value(key: str, value: str) -> str:
    """``value`` as stored under ``key`` (unchanged for keys without a canonical form); filters
    compare a user's value in this form, so every spelling of one thing selects the same documents."""
    convert = _CANONICAL.get(canonical_key(key))
    if convert is None or not str(value).strip():
        return value
    return convert(value) or value


def canonicalise(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` with canonical checkpoint, dataset and framework names (a new dict)."""
    out = dict(metadata)
    checkpoint = out.get("model_checkpoint")
    if isinstance(checkpoint, str) and checkpoint.strip():
        stem, digest = split_checkpoint(checkpoint)
        if stem and stem != checkpoint:
            out["model_checkpoint"] = stem
            out.setdefault("model_checkpoint_as_written", checkpoint)
        if digest and not out.get("model_hash"):
            out["model_hash"] = digest
    dataset = out.get("dataset")
    if isinstance(dataset, dict) and isinstance(dataset.get("name"), str) and dataset["name"].strip():
        name = canonical_dataset(dataset["name"])
        if name != dataset["name"]:
            out["dataset"] = {**dataset, "name": name}
            out["dataset"].setdefault("name_as_written", dataset["name"])
    datasets = out.get("datasets")
    if isinstance(datasets, list):
        names = [canonical_dataset(d) if isinstance(d, str) and d.strip() else d for d in datasets]
        out["datasets"] = list(dict.fromkeys(names))
    framework = out.get("framework")
    if isinstance(framework, dict) and isinstance(framework.get("name"), str) and framework["name"].strip():
        out["framework"] = {**framework, "name": canonical_framework(framework["name"])}
    return out
