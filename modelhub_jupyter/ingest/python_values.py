"""Hyper-parameters, optimizer and dataset of Python code, from literals only.

Values come from (best first): config/dataclass fields, module constants, argparse
defaults, config dict literals, constructor keyword arguments, model ``__init__``
defaults, function locals and defaults, ``for epoch in range(N)``. Constant expressions
(``3e-4``, ``2**10``, ``64 * 2``, ``-1``, names of module constants) are evaluated on the
``ast`` with size limits; nothing is ``eval``-ed.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .python_facts import Imports, ModelClass, all_nodes, call_name, dotted_name
from .value_keys import (
    MODEL_NAME_KEYS,
    SECONDARY_NAMES,
    TRAINING_KEYS,
    alias_key,
    check_value,
    normalize_optimizer,
)

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}  # fmt: skip
_CONFIG_CLASS = re.compile(
    r"(Config|Configuration|Args|Arguments|Params|HParams|Hparams|Hyperparameters|Settings)$"
)
_CONFIG_BASES = re.compile(r"(BaseModel|NamedTuple|PretrainedConfig|BaseSettings|Config)$")
_OPT_MODULES = (
    "torch.optim.",
    "optax.",
    "keras.optimizers.",
    "tensorflow.optimizers.",
    "bitsandbytes.optim.",
)
KNOWN_OPTIMIZERS = {
    "adam", "adamw", "sgd", "rmsprop", "adagrad", "lion", "lamb", "adafactor", "adabelief", "radam", "nadam",
    "adamax", "adadelta", "yogi", "lars", "novograd", "sparseadam", "lbfgs", "asgd", "rprop", "adamw8bit",
    "adam8bit", "pagedadamw", "pagedadamw8bit", "muon", "sophia", "ftrl", "fusedadam", "nadamw",
}  # fmt: skip
_GENERIC_BUILDERS = {
    "json",
    "csv",
    "text",
    "parquet",
    "imagefolder",
    "audiofolder",
    "arrow",
    "pandas",
    "webdataset",
}
_GENERIC_VISION = {"ImageFolder", "DatasetFolder", "VisionDataset", "FakeData"}
_OPTIMIZER_SECTIONS = {"optimizer", "optim", "optimiser", "opt"}
_DATA_SECTIONS = {"data", "dataset", "datasets"}
_MODEL_SECTIONS = {"model", "network", "net", "arch", "backbone"}
_NOT_TRAINING = {"eval", "evaluation", "test", "validation", "val", "inference", "generation", "sampling"}
_LOOP_KEYS = (
    ("epoch", "training_config.epochs"),
    ("step", "training_config.max_iters"),
    ("iter", "training_config.max_iters"),
)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def const_value(node: ast.AST | None, env: dict[str, Any] | None = None) -> Any:
    """Value of a constant expression (numbers, strings, + - * / // % **, known names), else None."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value if _utf8(node.value) else None  # a "\ud899" escape: a lone surrogate
        return node.value if isinstance(node.value, int | float | bool) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = const_value(node.operand, env)
        if not _is_num(value):
            return None
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = const_value(node.left, env), const_value(node.right, env)
        if isinstance(left, str) and isinstance(right, str) and isinstance(node.op, ast.Add):
            return left + right if len(left) + len(right) <= 1000 else None
        if not (_is_num(left) and _is_num(right)):
            return None
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            return None
        try:
            result = _BINOPS[type(node.op)](left, right)
        except (ArithmeticError, ValueError):
            return None
        return result if _is_num(result) and abs(result) < 1e30 else None
    if isinstance(node, ast.Name) and env is not None:
        return env.get(node.id)
    return None


@dataclass(frozen=True)
class Fact:
    """One piece of evidence: metadata key, value, line, and rank (lower wins)."""

    key: str
    value: Any
    line: int
    rank: int
    secondary: bool = False  # a name that only stands in for the key (``embedding_dim`` for hidden size)


def _is_param_group(node: ast.Dict) -> bool:
    """``{"params": ..., "weight_decay": 0.0}``: an optimizer parameter group, not a config."""
    return any(const_value(k) == "params" for k in node.keys if k is not None)


def module_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Module-level statements, also inside top-level if/with/try/for blocks (not in defs)."""
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        yield node
        children: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            children += getattr(node, name, None) or []
        for handler in getattr(node, "handlers", None) or []:
            children += handler.body
        stack.extend(reversed(children))


def _assigned(node: ast.stmt) -> list[tuple[str, ast.AST | None]]:
    if isinstance(node, ast.Assign):
        return [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [(node.target.id, node.value)]
    return []


def module_env(tree: ast.Module) -> dict[str, Any]:
    """Module constants by name, evaluated in order (later assignments win)."""
    env: dict[str, Any] = {}
    for node in module_statements(tree):
        for name, value in _assigned(node):
            result = const_value(value, env)
            if result is not None:
                env[name] = result
    return env


class ValueCollector:
    """Walks a module once and gathers :class:`Fact` evidence for the known keys."""

    def __init__(self, tree: ast.Module, imports: Imports, models: list[ModelClass]):
        self.tree = tree
        self.imports = imports
        self.model_classes = {m.name for m in models}
        self.env = module_env(tree)
        self.facts: list[Fact] = []
        self.model_names: list[tuple[str, int]] = []  # (a model name a setting gives, line)

    def add(
        self, name: str | None, node: ast.AST | None, line: int, rank: int, *, strict_dim: bool = False
    ) -> None:
        """Record ``name = node`` when ``name`` is a known alias and the value is valid."""
        if (name or "").lstrip("-").replace("-", "_").lower() in MODEL_NAME_KEYS:
            text = const_value(node, self.env)
            if isinstance(text, str) and text.strip():
                self.model_names.append((text, line))
            return
        key = alias_key(name or "")
        if key is None:
            return
        if key == "training_config.optimizer" and isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=False):
                if const_value(k) in ("name", "type", "class", "_target_"):
                    self.add(name, v, line, rank)
            return
        value = check_value(key, const_value(node, self.env))
        if value is None:
            return
        if strict_dim and (name or "").lower() == "dim" and value < 16:
            return
        self.facts.append(Fact(key, value, line, rank, (name or "").lower() in SECONDARY_NAMES))

    def collect(self) -> list[Fact]:
        """All evidence, in no particular order."""
        elsewhere: set[int] = set()  # module-level and class-level assignments, ranked on their own
        for statement in module_statements(self.tree):
            elsewhere.add(id(statement))
            for name, value in _assigned(statement):
                self.add(name, value, statement.lineno, 2)
        node: ast.AST
        for node in all_nodes(self.tree):
            if isinstance(node, ast.ClassDef):
                elsewhere.update(id(stmt) for stmt in node.body)
                self._class(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name != "__init__":
                self._defaults(node, 7)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and id(node) not in elsewhere:
                for name, value in _assigned(node):
                    self.add(name, value, node.lineno, 7)  # a local variable of some function
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Dict) and not _is_param_group(node):
                for k, v in zip(node.keys, node.values, strict=False):
                    key = const_value(k)
                    self.add(key if isinstance(key, str) else None, v, (k or v).lineno, 4)
            elif isinstance(node, ast.For):
                self._loop(node)
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute):
                        self._attribute(target, node.value, node.lineno)
        return self.facts

    def _attribute(self, target: ast.Attribute, value: ast.AST, line: int) -> None:
        """``config.lr = 0.1``, ``C.trainer.batch_size = 64`` (ml_collections), ``_C.TRAIN.BASE_LR =
        5e-4`` (yacs): the last name is the setting, the ones before it its sections."""
        dotted = dotted_name(target)
        if dotted is None or dotted.split(".")[0] in ("self", "cls"):
            return
        *parents, name = [part.lower() for part in dotted.split(".")[1:]] or [""]
        sections = set(parents)
        if sections & _NOT_TRAINING and alias_key(name) in TRAINING_KEYS:
            return
        if name in ("name", "type", "_target_", "class"):
            if sections & _OPTIMIZER_SECTIONS:
                name = "optimizer"
            elif sections & _DATA_SECTIONS:
                name = "dataset"
            elif sections & _MODEL_SECTIONS:
                name = "model_name"
            else:
                return
        self.add(name, value, line, 2)

    def _class(self, node: ast.ClassDef) -> None:
        decorators = " ".join(ast.unparse(d) for d in node.decorator_list)
        bases = [ast.unparse(b) for b in node.bases]
        if (
            "dataclass" in decorators
            or _CONFIG_CLASS.search(node.name)
            or any(_CONFIG_BASES.search(b) for b in bases)
        ):
            rank = 1
        elif node.name in self.model_classes or node.name.endswith("DataModule"):
            rank = 6
        else:
            return
        for stmt in node.body:
            for name, value in _assigned(stmt):
                if isinstance(value, ast.Call) and call_name(value) == "field":
                    value = next((k.value for k in value.keywords if k.arg == "default"), None)
                self.add(name, value, stmt.lineno, rank)
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
                self._defaults(stmt, rank)

    def _defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef, rank: int) -> None:
        args = node.args
        positional = args.posonlyargs + args.args
        for arg, default in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=False
        ):
            self.add(arg.arg, default, default.lineno, rank)
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=False):
            if kw_default is not None:
                self.add(arg.arg, kw_default, kw_default.lineno, rank)

    def _call(self, node: ast.Call) -> None:
        name = call_name(node)
        if name == "add_argument" or name.startswith("DEFINE_"):
            self._flag(node, name)
            return
        if name == "dict":
            for kw in node.keywords:
                self.add(kw.arg, kw.value, kw.value.lineno, 4)
            return
        if name == "get" and len(node.args) == 2:  # config.get('model_type', 'ViT'): the default model
            key = const_value(node.args[0])
            if isinstance(key, str) and key.lower() in MODEL_NAME_KEYS:
                self.add(key, node.args[1], node.lineno, 6)
            return
        optimizer = self.optimizer_name(node)
        if optimizer:
            self.facts.append(Fact("training_config.optimizer", optimizer, node.lineno, 5))
            lr_index = 0 if not (self.imports.qualify(node.func) or "").startswith("torch.") else 1
            if len(node.args) > lr_index:
                self.add("lr", node.args[lr_index], node.lineno, 5)
        if name[:1].isupper() or optimizer or name in ("fit", "compile") or "optim" in name.lower():
            for kw in node.keywords:
                self.add(kw.arg, kw.value, kw.value.lineno, 5, strict_dim=True)

    def _flag(self, node: ast.Call, name: str) -> None:
        if name == "add_argument":
            options = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            longs = [o for o in options if o.startswith("--")] or options
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            if longs and default is not None:
                self.add(longs[0], default, node.lineno, 3)
            return
        flag = const_value(node.args[0]) if node.args else None
        default = (
            node.args[1]
            if len(node.args) > 1
            else next((k.value for k in node.keywords if k.arg == "default"), None)
        )
        if isinstance(flag, str) and default is not None:
            self.add(flag, default, node.lineno, 3)

    def _loop(self, node: ast.For) -> None:
        if not (isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Call)):
            return
        if call_name(node.iter) != "range" or not 1 <= len(node.iter.args) <= 2:
            return
        if len(node.iter.args) == 2 and const_value(node.iter.args[0], self.env) != 0:
            return
        value = const_value(node.iter.args[-1], self.env)
        for token, key in _LOOP_KEYS:
            if token in node.target.id.lower() and check_value(key, value) is not None:
                self.facts.append(Fact(key, value, node.lineno, 8))
                return

    def optimizer_name(self, node: ast.Call) -> str | None:
        """Normalised optimizer name when ``node`` constructs an optimizer (AdamW, optax.adam, ...)."""
        name = call_name(node)
        if name.lower() not in KNOWN_OPTIMIZERS and not (name.endswith("Optimizer") and name[:1].isupper()):
            return None
        qualified = self.imports.qualify(node.func) or name
        if not (name[:1].isupper() or any(m in qualified + "." for m in _OPT_MODULES)):
            return None
        return normalize_optimizer(name)


def best_facts(facts: list[Fact]) -> dict[str, Fact]:
    """The winning fact per key: lowest rank, then a key's own name over a stand-in (``hidden_size``
    over ``embedding_dim`` in one config dict), then earliest line."""
    best: dict[str, Fact] = {}
    for fact in sorted(facts, key=lambda f: (f.rank, f.secondary, f.line)):
        best.setdefault(fact.key, fact)
    return best


@dataclass(frozen=True)
class DatasetRef:
    """A dataset the code loads: name as written, optional config/split, and the line."""

    name: str
    line: int
    config: str | None = None
    split: str | None = None


def _arg(node: ast.Call, index: int, keyword: str) -> Any:
    if len(node.args) > index:
        return const_value(node.args[index])
    return next((const_value(k.value) for k in node.keywords if k.arg == keyword), None)


def dataset_calls(tree: ast.AST, imports: Imports) -> list[DatasetRef]:
    """Datasets loaded by calls: load_dataset, torchvision/torchtext datasets, keras datasets, tfds."""
    refs: list[DatasetRef] = []
    for node in all_nodes(tree):
        if not isinstance(node, ast.Call):
            continue
        name, qualified = call_name(node), imports.qualify(node.func) or ""
        split = next((const_value(k.value) for k in node.keywords if k.arg == "split"), None)
        if name == "load_dataset":
            path, config = _arg(node, 0, "path"), _arg(node, 1, "name")
            if isinstance(path, str) and path.lower() not in _GENERIC_BUILDERS:
                refs.append(DatasetRef(path, node.lineno, config if isinstance(config, str) else None, split))
        elif re.match(r"(torchvision|torchtext|torchaudio)\.datasets\.[A-Z]", qualified):
            if name not in _GENERIC_VISION:
                refs.append(DatasetRef(name, node.lineno))
        elif name == "load_data" and "datasets." in qualified:
            refs.append(DatasetRef(qualified.split(".")[-2], node.lineno))
        elif qualified.startswith("tensorflow_datasets.") and name in ("load", "builder", "data_source"):
            spec = _arg(node, 0, "name")
            if isinstance(spec, str):
                base, _, config = spec.split(":")[0].partition("/")
                refs.append(DatasetRef(base, node.lineno, config or None, split))
    return sorted(refs, key=lambda r: r.line)


_WEIGHTS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{1,40}")
_NOT_A_DATASET = {"none", "random", "default", "true", "false", "auto", "pretrained", "scratch"}


def pretrained_on(tree: ast.AST) -> list[DatasetRef]:
    """The data a model's shipped weights were trained on, the Keras applications' way:
    ``def ResNet50(weights='imagenet')`` or ``MusicTaggerCRNN(weights='msd')`` (a name, not a path)."""
    refs: list[DatasetRef] = []
    for node in all_nodes(tree):
        values: list[tuple[Any, int]] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = args.posonlyargs + args.args
            for arg, default in zip(
                positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
            ):
                if arg.arg == "weights":
                    values.append((const_value(default), node.lineno))
            for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                if arg.arg == "weights" and kw_default is not None:
                    values.append((const_value(kw_default), node.lineno))
        elif isinstance(node, ast.Call):
            values += [(const_value(k.value), node.lineno) for k in node.keywords if k.arg == "weights"]
        for value, line in values:
            if (
                isinstance(value, str)
                and _WEIGHTS_NAME.fullmatch(value)
                and value.lower() not in _NOT_A_DATASET
            ):
                refs.append(DatasetRef(value, line))
    return sorted(refs, key=lambda r: r.line)
