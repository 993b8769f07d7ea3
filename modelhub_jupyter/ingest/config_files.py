"""Training/model config files (YAML, JSON, TOML) -> metadata and ``a.b.c: value`` chunks.

Known keys are recognised at any depth (``n_embd``/``d_model`` -> hidden size, ``lr`` ->
learning rate, ``optimizer: {name: adamw}``, ``data.name`` -> dataset, ``results.accuracy``
-> performance). Provenance is the line of the key: YAML node marks, a key search for
JSON and TOML.

Every file is treated as hostile: a config is at most :data:`MAX_VALUES` values (YAML aliases
counted as expanded: a 1 KB "billion laughs" is refused, not walked) and :data:`MAX_DEPTH`
levels; YAML and TOML text at most :data:`MAX_TEXT_CHARS` characters; values of a type or
size the metadata cannot use are skipped. Anything else wrong is a one-line ParseError.
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from ..errors import one_line
from .chunk_packing import SEP, Item, fit_text, make_chunks
from .types import Chunk, Extracted, ParseError
from .value_keys import (
    MODEL_NAME_KEYS,
    TRAINING_KEYS,
    alias_key,
    architecture_of_name,
    check_metric,
    check_value,
    family_from_name,
)

Path = tuple[str | int, ...]
Locate = Callable[[Path], int]

MAX_VALUES = 100_000  # values (scalars and containers, YAML aliases expanded) of one config
MAX_DEPTH = 64  # levels of nesting (tables, mappings, lists) of one config
MAX_TEXT_CHARS = 1_000_000  # YAML and TOML parse in pure Python at about 5 µs a character
MAX_LEAF_CHARS = 2_000  # a value's line in a chunk is shortened to this (a 20 MB string is not 20k chunks)
MAX_NAME_CHARS = 200  # longer strings are not model types or names

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
_DATA_CLASS = re.compile(r"(?:DataModule|Dataset|DataLoader)$")
_DIFFUSION_KEYS = re.compile(r"diffusion|beta_schedule|noise_schedule|timesteps|betas?_(start|end)")


def load_config(text: str, suffix: str) -> tuple[Any, Locate]:
    """Parsed data and a function giving the line of a key path; ParseError when unparsable.

    Bounded in time and memory: YAML aliases are counted as expanded (at most
    :data:`MAX_VALUES` values), nesting stops at :data:`MAX_DEPTH` levels, and YAML and
    TOML (pure-Python parsers) are read up to :data:`MAX_TEXT_CHARS` characters.
    """
    suffix = suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(text)
    if suffix == ".json":
        data = load_json(text, MAX_VALUES, "config", check_depth=True)
        return data, _key_search(_json_keys(text))
    if suffix == ".toml":
        return _load_toml(text)
    raise ParseError(f"unsupported config file type {suffix!r}")


# -- JSON ----------------------------------------------------------------------------------------
# A JSON string, consumed whole from its opening quote to its closing one (or to the end of the
# text, so that no quote is a second start: ``"\"\"\"...`` stays linear).
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.S)
_JSON_EMPTY = re.compile(r"\[\s*+\]|\{\s*+\}")
# More than MAX_DEPTH containers opened in a row (strings already blanked): ``[[[[`` or ``{"a":{"a":``.
_JSON_DEEP = re.compile(rf'(?:[\[{{]\s*+(?:""\s*+:\s*+)?){{{MAX_DEPTH}}}[\[{{]')


def json_values(text: str) -> int:
    """How many values (containers and scalars) a JSON text holds, counted without parsing it."""
    return _json_values(_JSON_STRING.sub('""', text))


def _json_values(bare: str) -> int:
    empty = _JSON_EMPTY.subn("", bare)[1]
    return 1 + bare.count(",") + bare.count("[") + bare.count("{") - empty


# A \\uD800-\\uDFFF escape: json.loads makes a lone surrogate of it, which UTF-8 (and SQLite) refuse.
_JSON_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _text(value: str) -> str:
    return value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value


def _replace_surrogates(data: Any) -> Any:
    """``data`` with every lone surrogate in its strings (keys too) replaced by ``?``, in place."""
    if isinstance(data, str):
        return _text(data)
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = [(_text(k) if isinstance(k, str) else k, v) for k, v in node.items()]
            node.clear()
            for key, value in items:
                node[key] = _text(value) if isinstance(value, str) else value
                if isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    node[index] = _text(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
    return data


def _big_int(digits: str) -> int | str:
    # int() refuses more than 4,300 digits (ValueError); such a number stays its digits
    return int(digits) if len(digits) <= 4_000 else digits


def load_json(text: str, max_values: int, what: str, *, check_depth: bool = False) -> Any:
    """``json.loads`` with a bound on the values it makes; ParseError (one line) for bad JSON.

    ``json.loads`` builds every value before anyone can count them: 20 MB of ``[{},{},...]``
    would be 7 million dicts (half a GB). ``what`` names the file kind in the message;
    ``check_depth`` refuses more than :data:`MAX_DEPTH` containers opened in a row up front.
    """
    bare = _JSON_STRING.sub('""', text)
    if check_depth and _JSON_DEEP.search(bare):
        raise ParseError(f"{what} is nested more than {MAX_DEPTH} levels deep")
    if _json_values(bare) > max_values:
        raise ParseError(f"{what} has more than {max_values:,} values")
    del bare
    try:
        data = json.loads(text, parse_int=_big_int)
    except json.JSONDecodeError as err:
        raise ParseError(f"invalid JSON: {err.msg} at line {err.lineno}") from None
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply") from None
    except (ValueError, MemoryError) as err:
        raise ParseError(f"invalid JSON: {one_line(err)}") from None
    return _replace_surrogates(data) if _JSON_SURROGATE.search(text) else data


# Each key: the string before a colon (the text is valid JSON: strings pair up, none spans lines).
_JSON_KEY = re.compile(r'"((?:[^"\\]++|\\.)*+)(?:"(\s*+:)?|\\?\Z)', re.S)


def _json_keys(text: str) -> Iterator[tuple[int, str]]:
    line, pos = 1, 0
    for match in _JSON_KEY.finditer(text):
        if match.group(2):
            line += text.count("\n", pos, match.start())
            pos = match.start()
            yield line, match.group(1)


# -- TOML ----------------------------------------------------------------------------------------
_TOML_TABLE = re.compile(r"[ \t]*+\[++([^\]\n]*+)\]")
_TOML_KEY = re.compile(r'[ \t]*+("[^"\n]*+"|[\w\-.]++)[ \t]*+=')
# A dotted key of more than MAX_DEPTH parts (tomllib spends time quadratic in a key's parts).
_TOML_PART = r"""(?:[A-Za-z0-9_-]++|"[^"\n]*+"|'[^'\n]*+')"""
_TOML_DEEP_KEY = re.compile(rf"(?<![\w\-.\"']){_TOML_PART}(?:[ \t]*+\.[ \t]*+{_TOML_PART}){{{MAX_DEPTH}}}")


def _check_size(text: str, kind: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise ParseError(
            f"{kind} too large to parse ({len(text):,} characters, the limit is {MAX_TEXT_CHARS:,})"
        )


def _load_toml(text: str) -> tuple[Any, Locate]:
    _check_size(text, "TOML file")
    if _TOML_DEEP_KEY.search(text):
        raise ParseError(f"config is nested more than {MAX_DEPTH} levels deep")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParseError(f"invalid TOML: {one_line(err)}") from None
    except RecursionError:
        raise ParseError("invalid TOML: nested too deeply") from None
    except (ValueError, MemoryError) as err:  # e.g. an integer of more than 4,300 digits
        raise ParseError(f"invalid TOML: {one_line(err)}") from None
    return data, _key_search(_toml_keys(text))


def _toml_keys(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        match = _TOML_TABLE.match(line) or _TOML_KEY.match(line)
        if match and match.group(1).strip():
            for name in match.group(1).split("."):
                yield number, name.strip().strip('"')


def _key_search(keys: Iterator[tuple[int, str]]) -> Locate:
    """Line of a key path: each part is the next line defining that key after its parent's line."""
    where: dict[str, list[int]] = {}
    for number, name in keys:
        where.setdefault(name, []).append(number)
    memo: dict[Path, int] = {(): 1}

    def locate(path: Path) -> int:
        if path not in memo:
            parent = locate(path[:-1])  # paths are at most MAX_DEPTH long
            found = where.get(str(path[-1]), []) if isinstance(path[-1], str) else []
            index = bisect.bisect_left(found, parent)
            memo[path] = found[index] if index < len(found) else parent
        return memo[path]

    return locate


# -- YAML ----------------------------------------------------------------------------------------
try:  # libyaml scans and parses (3x faster); composing stays in Python, where it is counted
    from yaml._yaml import CParser

    _PARSER: tuple[type, ...] = (CParser,)
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _PARSER = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)
_Composer, _SafeConstructor = yaml.composer.Composer, yaml.constructor.SafeConstructor


class _BoundedLoader(*_PARSER, _Composer, _SafeConstructor, yaml.resolver.Resolver):  # type: ignore[misc,valid-type]
    """A safe YAML loader that counts what it composes, aliases as expanded.

    Aliases share one node, so a 1 KB "billion laughs" composes in microseconds; it is the
    walk over the data (or ``<<`` merges, which copy) that explodes. Each node composed adds
    one, each alias adds the expanded size of what it refers to, so the count is the size of
    the expanded document: past :data:`MAX_VALUES` the load stops with a ParseError. An alias
    to a node that is still being composed (a recursive structure) and nesting deeper than
    :data:`MAX_DEPTH` stop it too. Scalars Python cannot hold stay strings.
    """

    check_node = _Composer.check_node  # not libyaml's: composing is counted here
    get_node = _Composer.get_node

    def __init__(self, stream: str) -> None:
        if len(_PARSER) == 1:
            _PARSER[0].__init__(self, stream)  # type: ignore[misc]
        else:  # pragma: no cover
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
        _Composer.__init__(self)
        _SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.sizes: dict[int, int] = {}  # id(node) -> expanded size, once composed
        self.total = 0
        self.aliases = 0
        self.depth = 0
        self.objects: dict[Any, Any] = {}  # node -> constructed object, of the last document

    def _count(self, size: int) -> None:
        self.total += size
        if self.total > MAX_VALUES:
            if self.aliases:
                raise ParseError(f"YAML expands to more than {MAX_VALUES:,} values (alias bomb?)")
            raise ParseError(f"config has more than {MAX_VALUES:,} values")

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor
            node = _Composer.compose_node(self, parent, index)  # raises for an unknown alias
            size = self.sizes.get(id(node))
            if size is None:
                anchor = one_line(str(anchor), limit=40)
                raise ParseError(f"YAML alias *{anchor} refers to a node that contains it")
            self.aliases += 1
            self._count(size)
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"config is nested more than {MAX_DEPTH} levels deep")
        before = self.total
        self._count(1)
        node = _Composer.compose_node(self, parent, index)
        self.depth -= 1
        self.sizes[id(node)] = self.total - before  # the node stays alive in the document: its id too
        return node

    def compose_document(self) -> Any:
        self.sizes = {}  # aliases do not cross documents
        return _Composer.compose_document(self)

    def construct_document(self, node: Any) -> Any:
        self.constructed_objects = self.objects = {}  # kept: mapping keys as constructed, for the marks
        return super().construct_document(node)


def _or_text(construct: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A scalar constructor that gives the scalar's text for a value Python cannot make of it.

    ``2021-13-45`` (a timestamp), ``!!bool 1``, ``!!float ""``, ``!!timestamp x``, an int of more
    than 4,300 digits: PyYAML raises ValueError, KeyError, IndexError or AttributeError.
    """

    def constructor(loader: Any, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode) and len(node.value) > 4_000:
            return loader.construct_scalar(node)  # also "1:1:1:..." (base 60): quadratic time
        try:
            return construct(loader, node)
        except (ArithmeticError, LookupError, ValueError, AttributeError):
            return loader.construct_scalar(node)  # ConstructorError (a YAMLError) for a collection

    return constructor


for _tag in ("int", "float", "bool", "timestamp"):
    _BoundedLoader.add_constructor(
        f"tag:yaml.org,2002:{_tag}", _or_text(_SafeConstructor.yaml_constructors[f"tag:yaml.org,2002:{_tag}"])
    )


def _load_yaml(text: str) -> tuple[Any, Locate]:
    _check_size(text, "YAML file")
    loader = _BoundedLoader(text)
    docs: list[tuple[Any, Any, dict[Any, Any]]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            document = loader.construct_document(node)
            if document is not None:
                docs.append((document, node, loader.objects))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ParseError(f"invalid YAML: {one_line(problem)}{where}") from None
    except RecursionError:
        raise ParseError("invalid YAML: nested too deeply") from None
    except (ArithmeticError, LookupError, ValueError, TypeError, AttributeError, MemoryError) as err:
        raise ParseError(f"invalid YAML: {type(err).__name__} in a constructor") from None  # a safety net
    finally:
        loader.dispose()
    marks: dict[Path, int] = {}
    if len(docs) > 1 and all(isinstance(d, dict) for d, _, _ in docs):
        data: Any = {k: v for d, _, _ in docs for k, v in d.items()}
        for _, node, objects in docs:
            _yaml_marks(node, (), objects, marks)
    elif len(docs) == 1:
        data = docs[0][0]
        _yaml_marks(docs[0][1], (), docs[0][2], marks)
    else:
        data = [d for d, _, _ in docs] or None
        for index, (_, node, objects) in enumerate(docs):
            _yaml_marks(node, (index,), objects, marks)
    return data, lambda path: next((marks[path[:n]] for n in range(len(path), 0, -1) if path[:n] in marks), 1)


def _yaml_marks(root: yaml.Node, path: Path, objects: dict[Any, Any], marks: dict[Path, int]) -> None:
    """Line of each key path under ``root``; the last definition wins, as in the data.

    Merged (``<<``) keys come first in a mapping node once constructed, so a key set again
    after the merge gets the later line. The walk is bounded like the composing was.
    """
    stack: list[tuple[yaml.Node, Path]] = [(root, path)]
    budget = MAX_VALUES
    while stack:
        node, path = stack.pop()
        budget -= 1
        if budget < 0:
            raise ParseError(f"YAML expands to more than {MAX_VALUES:,} values (alias bomb?)")
        if isinstance(node, yaml.MappingNode):
            children = []
            for key, value in node.value:
                sub = path + (str(objects.get(key, key.value)),)
                marks[sub] = key.start_mark.line + 1
                children.append((value, sub))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            for index in range(len(node.value) - 1, -1, -1):
                item = node.value[index]
                marks.setdefault(path + (index,), item.start_mark.line + 1)
                stack.append((item, path + (index,)))


def leaves(data: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(key path, value) of every scalar (lists of scalars are one value), in document order.

    Raises ParseError past :data:`MAX_VALUES` values (shared YAML objects counted each time
    they are reached) or :data:`MAX_DEPTH` levels.
    """
    stack: list[tuple[Path, Any]] = [(path, data)]
    count = 0
    while stack:
        path, value = stack.pop()
        count += 1
        if len(path) > MAX_DEPTH:
            raise ParseError(f"config is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict) and value:
            stack.extend((path + (str(k),), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            stack.extend((path + (index,), v) for index, v in reversed(list(enumerate(value))))
        else:
            count += len(value) if isinstance(value, list) else 0  # a list of scalars is one leaf
            if count > MAX_VALUES:
                raise ParseError(f"config has more than {MAX_VALUES:,} values")
            yield path, value
        if count > MAX_VALUES:
            raise ParseError(f"config has more than {MAX_VALUES:,} values")


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
    return fit_text(f"{dotted}: {text}" if dotted else text, MAX_LEAF_CHARS)


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
    ex.chunks = _chunks(flat, relpath, locate, _leading_comments(text), text)
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
    if isinstance(value, str) and (key in ("_target_", "class_path")) and _DATA_CLASS.search(value):
        # Hydra / LightningCLI: the data module's class names the dataset (MNISTDataModule)
        name = _DATA_CLASS.sub("", value.split(".")[-1])
        ex.set(
            "dataset.name",
            check_value("dataset.name", name) if len(name) >= 2 else None,
            where,
            overwrite=False,
        )
        return
    if (
        isinstance(value, str)
        and "defaults" in parents
        and key.removeprefix("override ").strip("/")
        in (
            "data",
            "dataset",
        )
    ):  # Hydra defaults list: ``- data: mnist`` picks configs/data/mnist.yaml
        ex.set("dataset.name", check_value("dataset.name", value), where, overwrite=False)
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
        key in MODEL_NAME_KEYS or (parents & _MODEL_PARENTS and key in ("name", "type"))
    ):
        ex.set("model_family", family_from_name(value), where, overwrite=False)
    if isinstance(value, str) and (
        key in ("model_type", "model_name", "architecture", "arch")
        or (parents & _MODEL_PARENTS and key in ("name", "type"))
        or (key == "model" and not parents)
    ):
        if 0 < len(value.strip()) <= MAX_NAME_CHARS:
            ex.set("model_type", value.strip(), where, overwrite=False)
        return
    if key == "framework" and isinstance(value, str):
        ex.set("framework.name", _FRAMEWORKS.get(value.strip().lower()), where, overwrite=False)
        return
    mapped = alias_key(key)
    if mapped and not (mapped in TRAINING_KEYS and parents & _NOT_TRAINING):
        ex.set(mapped, check_value(mapped, value), where, overwrite=False)


def _architecture(ex: Extracted, flat: list[tuple[Path, Any]], relpath: str) -> None:
    for key in ("model_type", "model_family"):
        name = ex.get(key)
        arch = architecture_of_name(name) if isinstance(name, str) else None
        if arch:
            if arch == "cnn" and "unet" in name.lower():
                keys = {p.lower() for path, _ in flat for p in path if isinstance(p, str)}
                arch = "diffusion" if any(_DIFFUSION_KEYS.search(k) for k in keys) else arch
            ex.set("architecture_type", arch, ex.provenance.get(key, relpath))
            return
    if ex.get("model_dimensions.num_attention_heads"):  # attention heads: a transformer (GPT-NeoX configs)
        ex.set("architecture_type", "transformer", ex.provenance["model_dimensions.num_attention_heads"])


def _leading_comments(text: str) -> list[Item]:
    """The comment block at the top of a YAML/TOML file (it usually says what the config is for)."""
    items = []
    number, pos = 0, 0
    while pos <= len(text):  # line by line, stopping at the first other line (not splitting the text)
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line, number, pos = text[pos:end].strip(), number + 1, end + 1
        if line and not line.startswith("#"):
            break
        if line:
            items.append(Item(number, fit_text(line, MAX_LEAF_CHARS), 2))
    return items


def _chunks(
    flat: list[tuple[Path, Any]], relpath: str, locate: Locate, comments: list[Item], text: str = ""
) -> list[Chunk]:
    """One chunk per top-level section (top-level scalars together), split when too long.

    When the sections lie in the file one after another (the usual YAML, TOML and pretty JSON),
    a chunk holds the section's lines as written, so the range it cites is the lines it shows;
    otherwise (sections interleaved, a minified file) it holds ``key.path: value`` lines.
    """
    groups: dict[str | None, list[tuple[Path, Any]]] = {}
    for path, value in flat:
        section = None if len(path) <= 1 else (f"[{path[0]}]" if isinstance(path[0], int) else str(path[0]))
        groups.setdefault(section, []).append((path, value))
    first_group = min(groups, key=lambda g: locate(groups[g][0][0][:1]))
    rendered: dict[str | None, list[Item]] = {}
    spans: dict[str | None, tuple[int, int]] = {}
    for section, members in groups.items():
        items = [Item(locate(path), render(path, value), 2) for path, value in members]
        items = (comments if section == first_group else []) + items
        first = locate(members[0][0][:1]) if section is not None else min(i.lineno for i in items)
        rendered[section] = items
        spans[section] = (min(first, *(i.lineno for i in items)), max(i.lineno for i in items))
    raw = _raw_items(text, rendered, spans, first_group)
    chunks = []
    for section, items in rendered.items():
        crumb = f"{relpath}{SEP}{section if section is not None else 'top-level'}"
        if raw is not None:
            chunks += make_chunks(
                crumb, raw[section], section_type="config", chunk_type="config", symbol=section
            )
        else:
            chunks += make_chunks(
                crumb, items, span=spans[section], section_type="config", chunk_type="config", symbol=section
            )
    return sorted(chunks, key=lambda c: c.start_line)


def _raw_items(
    text: str,
    rendered: dict[str | None, list[Item]],
    spans: dict[str | None, tuple[int, int]],
    first_group: str | None,
) -> dict[str | None, list[Item]] | None:
    """Each section's file lines, from its first line to the line before the next section (the
    first from line 1); None when sections interleave or a line is too long to show."""
    if not text:
        return None
    lines = text.splitlines()
    order = sorted(spans, key=lambda g: spans[g][0])
    out: dict[str | None, list[Item]] = {}
    for n, section in enumerate(order):
        start = 1 if section == first_group else spans[section][0]
        end = spans[order[n + 1]][0] - 1 if n + 1 < len(order) else len(lines)
        if not start <= spans[section][1] <= end or end > len(lines):
            return None  # another section starts inside this one
        if any(len(lines[i - 1]) > MAX_LEAF_CHARS for i in range(start, end + 1)):
            return None
        starts = {item.lineno for item in rendered[section]}
        out[section] = [Item(i, lines[i - 1], 2 if i in starts else 0) for i in range(start, end + 1)]
    return out
