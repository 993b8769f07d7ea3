"""Training/model config files (YAML, JSON, TOML) -> metadata and ``a.b.c: value`` chunks.

Known keys are recognised at any depth (``n_embd``/``d_model`` -> hidden size, ``lr`` ->
learning rate, ``optimizer: {name: adamw}``, ``data.name`` -> dataset, ``results.accuracy``
-> performance). Provenance is the line of the key: YAML node marks, a key search for
JSON and TOML.
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from .chunk_packing import SEP, Item, make_chunks
from .types import Chunk, Extracted, ParseError
from .value_keys import TRAINING_KEYS, alias_key, check_metric, check_value

Path = tuple[str | int, ...]
Locate = Callable[[Path], int]

_DATA_PARENTS = {"data", "dataset", "datasets", "data_config", "dataset_config"}
_OPTIMIZER_PARENTS = {"optimizer", "optim", "optimizer_config", "optimiser"}
_MODEL_PARENTS = {"model", "network", "net", "arch", "model_config"}
_NOT_TRAINING = {
    "eval",
    "evaluation",
    "test",
    "validation",
    "val",
    "inference",
    "generation",
    "sampling",
    "sampler",
}
_RESULT_PARENTS = {"results", "result", "metrics", "performance", "scores", "best", "final"}
_METRIC_KEYS = {
    "accuracy": "accuracy", "acc": "accuracy", "top1": "accuracy", "top1_accuracy": "accuracy", "loss": "loss",
    "val_loss": "val_loss", "validation_loss": "val_loss", "perplexity": "perplexity", "ppl": "perplexity",
    "f1": "f1", "bleu": "bleu", "fid": "fid", "auc": "auc",
}  # fmt: skip
_SPLITS = {
    "train": "train",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
    "test": "test",
}
_FRAMEWORKS = {
    "pytorch": "pytorch",
    "torch": "pytorch",
    "tensorflow": "tensorflow",
    "tf": "tensorflow",
    "keras": "tensorflow",
    "jax": "jax",
    "flax": "jax",
}
_ARCH_PATTERNS = (
    ("diffusion", r"diffusion|ddpm|ddim|(?<![a-z])sdxl"),
    ("gan", r"gan(?![a-z])|discriminator"),
    (
        "transformer",
        r"transformer|gpt|bert|llama|(?<![a-z])t5|(?<![a-z])vit|mistral|bart|bloom|falcon|qwen|gemma|deit|swin|whisper",
    ),
    ("rnn", r"lstm|gru(?![a-z])|rnn"),
    ("cnn", r"resnet|cnn|conv|vgg|efficientnet|mobilenet|densenet|alexnet|inception|yolo|unet"),
    ("mlp", r"mlp|perceptron"),
)
_DIFFUSION_KEYS = re.compile(r"diffusion|beta_schedule|noise_schedule|timesteps|betas?_(start|end)")


def load_config(text: str, suffix: str) -> tuple[Any, Locate]:
    """Parsed data and a function giving the line of a key path; ParseError when unparsable."""
    suffix = suffix.lower()
    lines = text.splitlines()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(text)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ParseError(f"invalid JSON: {err.msg} at line {err.lineno}") from None
        return data, _key_search(lines, re.compile(r'"((?:[^"\\]|\\.)*)"\s*:'))
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ParseError(f"invalid TOML: {err}") from None
        return data, _key_search(lines, re.compile(r'^\s*\[+\s*([^\]]+?)\s*\]+|^\s*("[^"]+"|[\w\-.]+)\s*='))
    raise ParseError(f"unsupported config file type {suffix!r}")


def _load_yaml(text: str) -> tuple[Any, Locate]:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
        nodes = list(yaml.compose_all(text))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ParseError(f"invalid YAML: {problem}" + (f" at line {mark.line + 1}" if mark else "")) from None
    if len(docs) > 1 and all(isinstance(d, dict) for d in docs):
        data: Any = {k: v for d in docs for k, v in d.items()}
    else:
        data = docs[0] if len(docs) == 1 else docs or None
    marks: dict[Path, int] = {}
    for node in nodes:
        _yaml_marks(node, (), marks)
    return data, lambda path: next((marks[path[:n]] for n in range(len(path), 0, -1) if path[:n] in marks), 1)


def _yaml_marks(node: yaml.Node, path: Path, marks: dict[Path, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (str(key.value),)
            marks.setdefault(sub, key.start_mark.line + 1)
            _yaml_marks(value, sub, marks)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            marks.setdefault(path + (index,), item.start_mark.line + 1)
            _yaml_marks(item, path + (index,), marks)


def _key_search(lines: list[str], pattern: re.Pattern[str]) -> Locate:
    """Line of a key path: each part is the next line defining that key after its parent's line."""
    where: dict[str, list[int]] = {}
    for number, line in enumerate(lines, 1):
        for match in pattern.finditer(line):
            for name in re.split(r"\s*\.\s*", match.group(match.lastindex or 1)):
                where.setdefault(name.strip('"'), []).append(number)
    memo: dict[Path, int] = {(): 1}

    def locate(path: Path) -> int:
        if path not in memo:
            parent = locate(path[:-1])
            found = where.get(str(path[-1]), []) if isinstance(path[-1], str) else []
            index = bisect.bisect_left(found, parent)
            memo[path] = found[index] if index < len(found) else parent
        return memo[path]

    return locate


def leaves(data: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(key path, value) of every scalar (lists of scalars are one value), in document order."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from leaves(value, path + (str(key),))
    elif isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        for index, value in enumerate(data):
            yield from leaves(value, path + (index,))
    else:
        yield path, data


def render(path: Path, value: Any) -> str:
    """``a.b[0].c: value`` for one leaf."""
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, list | dict):
        text = json.dumps(value, default=str, ensure_ascii=False)
    else:
        text = str(value)
    return f"{dotted}: {text}" if dotted else text


def parse_config(text: str, relpath: str, suffix: str) -> Extracted:
    """Metadata (with the line of each key) and chunks of one config file."""
    data, locate = load_config(text, suffix)
    ex = Extracted()
    if data is None or data == {} or data == []:
        ex.warnings.append("empty config file")
        return ex
    flat = list(leaves(data))
    for path, value in flat:
        _map_leaf(ex, path, value, f"{relpath}:{locate(path)}")
    _architecture(ex, flat, relpath)
    keys = {k for k in ex.provenance}
    if keys & TRAINING_KEYS:
        ex.set("config_kind", "training", relpath)
    elif any(k.startswith("model_dimensions.") or k in ("model_type", "architecture_type") for k in keys):
        ex.set("config_kind", "model", relpath)
    ex.chunks = _chunks(flat, relpath, locate, _leading_comments(text))
    return ex


def _map_leaf(ex: Extracted, path: Path, value: Any, where: str) -> None:
    names = [p.lower() for p in path if isinstance(p, str)]
    if not names:
        return
    key, parents = names[-1].replace("-", "_"), set(names[:-1])
    if parents & _RESULT_PARENTS and key in _METRIC_KEYS:
        metric = _METRIC_KEYS[key]
        ex.set(f"performance.{metric}", check_metric(metric, value), where, overwrite=False)
        return
    if parents & _DATA_PARENTS and key in ("name", "id", "config", "subset", "split"):
        if key == "split" and isinstance(value, str):
            ex.set("dataset.split", _SPLITS.get(value.split("[")[0].strip().lower()), where, overwrite=False)
        else:
            target = "dataset.config" if key in ("config", "subset") else "dataset.name"
            ex.set(target, check_value(target, value), where, overwrite=False)
        return
    if parents & _OPTIMIZER_PARENTS and key in ("name", "type", "_target_", "class", "class_path"):
        ex.set(
            "training_config.optimizer",
            check_value("training_config.optimizer", value),
            where,
            overwrite=False,
        )
        return
    if isinstance(value, str) and (
        key in ("model_type", "model_name", "architecture", "arch")
        or (parents & _MODEL_PARENTS and key in ("name", "type"))
        or (key == "model" and not parents)
    ):
        ex.set("model_type", value.strip(), where, overwrite=False)
        return
    if key == "framework" and isinstance(value, str):
        ex.set("framework.name", _FRAMEWORKS.get(value.strip().lower()), where, overwrite=False)
        return
    target = alias_key(key)
    if target and not (target in TRAINING_KEYS and parents & _NOT_TRAINING):
        ex.set(target, check_value(target, value), where, overwrite=False)


def _architecture(ex: Extracted, flat: list[tuple[Path, Any]], relpath: str) -> None:
    model_type = ex.get("model_type")
    if not isinstance(model_type, str):
        return
    lowered = model_type.lower()
    for arch, pattern in _ARCH_PATTERNS:
        if re.search(pattern, lowered):
            if arch == "cnn" and "unet" in lowered:
                keys = " ".join(str(p) for path, _ in flat for p in path)
                arch = "diffusion" if _DIFFUSION_KEYS.search(keys.lower()) else arch
            ex.set("architecture_type", arch, ex.provenance.get("model_type", relpath))
            return


def _leading_comments(text: str) -> list[Item]:
    """The comment block at the top of a YAML/TOML file (it usually says what the config is for)."""
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        if line.strip():
            items.append(Item(number, line.strip(), 2))
    return items


def _chunks(flat: list[tuple[Path, Any]], relpath: str, locate: Locate, comments: list[Item]) -> list[Chunk]:
    """One chunk per top-level section (top-level scalars together), split when too long."""
    groups: dict[str | None, list[tuple[Path, Any]]] = {}
    for path, value in flat:
        section = None if len(path) <= 1 else (f"[{path[0]}]" if isinstance(path[0], int) else str(path[0]))
        groups.setdefault(section, []).append((path, value))
    chunks = []
    first_group = min(groups, key=lambda g: locate(groups[g][0][0][:1]))
    for section, members in groups.items():
        items = [Item(locate(path), render(path, value), 2) for path, value in members]
        items = (comments if section == first_group else []) + items
        first = locate(members[0][0][:1]) if section is not None else min(i.lineno for i in items)
        span = (min(first, *(i.lineno for i in items)), max(i.lineno for i in items))
        crumb = f"{relpath}{SEP}{section if section is not None else 'top-level'}"
        chunks += make_chunks(
            crumb, items, span=span, section_type="config", chunk_type="config", symbol=section
        )
    return sorted(chunks, key=lambda c: c.start_line)
