"""Structural facts of Python model code: imports, framework, model classes, architecture.

Everything is read from the ``ast``; nothing is imported or executed.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field

_Def = ast.FunctionDef | ast.AsyncFunctionDef

FRAMEWORK_OF_ROOT = {
    "torch": "pytorch", "torchvision": "pytorch", "torchaudio": "pytorch", "torchtext": "pytorch",
    "pytorch_lightning": "pytorch", "lightning": "pytorch", "timm": "pytorch",
    "tensorflow": "tensorflow", "keras": "tensorflow", "tf_keras": "tensorflow",
    "jax": "jax", "flax": "jax", "optax": "jax", "haiku": "jax", "equinox": "jax",
}  # fmt: skip
# ``[^\S\n]`` not ``\s``: ``^\s*`` ran from every line start across all the blank lines below it.
_IMPORT_RX = re.compile(r"^[^\S\n]*+(?:import|from)\s++([A-Za-z_]\w*+)", re.M)
_PREFIX_FIXES = (
    ("tensorflow.python.keras", "keras"), ("tensorflow.keras", "keras"), ("tf_keras", "keras"),
    ("torch.nn.modules.module", "torch.nn"), ("lightning.pytorch", "lightning"),
    ("pytorch_lightning", "lightning"), ("flax.linen.module", "flax.linen"),
)  # fmt: skip
_DEFAULT_ALIASES = {"tf": "tensorflow", "keras": "keras", "torch": "torch", "hk": "haiku", "eqx": "equinox"}
MODEL_BASES = {
    "torch.nn.Module": "pytorch", "lightning.LightningModule": "pytorch",
    "transformers.PreTrainedModel": "pytorch", "keras.Model": "tensorflow", "keras.models.Model": "tensorflow",
    "keras.layers.Layer": "tensorflow", "keras.Layer": "tensorflow", "keras.Sequential": "tensorflow",
    "keras.models.Sequential": "tensorflow", "tensorflow.Module": "tensorflow",
    "transformers.TFPreTrainedModel": "tensorflow", "flax.linen.Module": "jax", "flax.nnx.Module": "jax",
    "haiku.Module": "jax", "equinox.Module": "jax",
}  # fmt: skip


@dataclass
class Imports:
    """What a module imports: local alias -> dotted target, and framework evidence."""

    aliases: dict[str, str] = field(default_factory=dict)
    framework_lines: dict[str, int] = field(default_factory=dict)  # first import line per framework
    modules: list[tuple[str, int]] = field(default_factory=list)  # every imported module, with line

    def qualify(self, node: ast.AST) -> str | None:
        """Dotted name of ``node`` with its first part resolved through the imports."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        first, _, rest = dotted.partition(".")
        target = self.aliases.get(first) or _DEFAULT_ALIASES.get(first, first)
        full = f"{target}.{rest}" if rest else target
        for old, new in _PREFIX_FIXES:
            if full == old or full.startswith(old + "."):
                full = new + full[len(old) :]
        return full


def all_nodes(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))``, computed once per node and kept on it (parsers walk a tree many times)."""
    cached = getattr(node, "_modelhub_nodes", None)
    if cached is None:
        cached = list(ast.walk(node))
        node._modelhub_nodes = cached  # type: ignore[attr-defined]
    return cached


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def call_name(node: ast.Call) -> str:
    """Last name of a call's callee (``nn.Linear(...)`` -> ``Linear``), or ``""``."""
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def read_imports(tree: ast.AST) -> Imports:
    """Collect import aliases and which frameworks are imported where."""
    info = Imports()
    for node in all_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                info.aliases[local] = alias.name if alias.asname else local
                _note_module(info, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                target = f"{module}.{alias.name}" if module else alias.name
                info.aliases[alias.asname or alias.name] = target
                if not module:
                    _note_module(info, alias.name, node.lineno, relative=True)
            if module:
                _note_module(info, module, node.lineno, relative=node.level > 0)
    return info


def _note_module(info: Imports, module: str, line: int, relative: bool = False) -> None:
    info.modules.append((module, line))
    framework = None if relative else FRAMEWORK_OF_ROOT.get(module.split(".")[0])
    if framework and (framework not in info.framework_lines or line < info.framework_lines[framework]):
        info.framework_lines[framework] = line


def frameworks_by_regex(source: str) -> dict[str, int]:
    """Framework -> first import line, from ``import``/``from`` lines (for unparsable files)."""
    found: dict[str, int] = {}
    for match in _IMPORT_RX.finditer(source):
        framework = FRAMEWORK_OF_ROOT.get(match.group(1))
        if framework and framework not in found:
            found[framework] = source.count("\n", 0, match.start()) + 1
    return found


@dataclass
class ModelClass:
    """A class that defines a model (directly or through another model class of the file)."""

    name: str
    line: int
    framework: str
    node: ast.ClassDef


def find_model_classes(tree: ast.AST, imports: Imports) -> list[ModelClass]:
    """Classes subclassing nn.Module / keras.Model / flax Module ..., also transitively."""
    classes = [n for n in all_nodes(tree) if isinstance(n, ast.ClassDef)]
    guess = (
        "jax" if "jax" in imports.framework_lines and "pytorch" not in imports.framework_lines else "pytorch"
    )
    found: dict[str, ModelClass] = {}
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name in found:
                continue
            for base in cls.bases:
                framework = _base_framework(base, imports, found, guess)
                if framework:
                    found[cls.name] = ModelClass(cls.name, cls.lineno, framework, cls)
                    changed = True
                    break
    return sorted(found.values(), key=lambda m: m.line)


def _base_framework(base: ast.AST, imports: Imports, found: dict[str, ModelClass], guess: str) -> str | None:
    dotted = dotted_name(base)
    if dotted is None:
        return None
    if dotted in found:
        return found[dotted].framework
    qualified = imports.qualify(base) or ""
    if qualified in MODEL_BASES:
        return MODEL_BASES[qualified]
    if dotted == "nn.Module" and "nn" not in imports.aliases:
        return guess
    return None


#: libraries that run on PyTorch unless the file imports another framework (a trl/peft script)
IMPLIED_PYTORCH = frozenset({"transformers", "trl", "peft", "accelerate", "diffusers", "bitsandbytes"})


def choose_framework(imports: Imports, models: list[ModelClass], tree: ast.AST) -> tuple[str, int] | None:
    """(framework, evidence line): the model classes' framework, else the most used one, else
    PyTorch for a script built on the Hugging Face training libraries alone."""
    if not imports.framework_lines:
        implied = [line for module, line in imports.modules if module.split(".")[0] in IMPLIED_PYTORCH]
        return ("pytorch", min(implied)) if implied else None
    if models:
        counts = Counter(m.framework for m in models)
        best = max(counts.values())
        name = next(m.framework for m in models if counts[m.framework] == best)
        return name, imports.framework_lines.get(name, next(m.line for m in models if m.framework == name))
    uses: Counter[str] = Counter()
    for node in all_nodes(tree):
        if isinstance(node, ast.Name) and node.id in imports.aliases:
            framework = FRAMEWORK_OF_ROOT.get(imports.aliases[node.id].split(".")[0])
            if framework:
                uses[framework] += 1
    ranked = sorted(imports.framework_lines.items(), key=lambda kv: (-uses[kv[0]], kv[1]))
    return ranked[0]


def symbols(tree: ast.Module) -> list[str]:
    """Top-level functions and classes, and ``Class.method`` names, in file order."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, _Def):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names.append(node.name)
            names += [f"{node.name}.{m.name}" for m in node.body if isinstance(m, _Def)]
    return list(dict.fromkeys(names))
