"""The structure of model classes from the AST (nothing is imported or run), and its diff.

A class's *layers* are the sub-modules it builds (``self.c_attn = nn.Linear(...)``, registered
buffers); its *hyperparameters* are the class-level fields of a config class
(``n_layer: int = 12``) and the defaults of ``__init__``'s arguments.
"""

from __future__ import annotations

import ast
from typing import Any

MAX_SOURCE_CHARS = 1_000_000
MAX_REPR = 160


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _layer_call(value: ast.AST) -> ast.Call | None:
    """The constructor call a layer attribute is built with (``X(...)``, ``X(...) if c else None``)."""
    if isinstance(value, ast.IfExp):
        return _layer_call(value.body) or _layer_call(value.orelse)
    if isinstance(value, ast.Call) and _callee(value)[:1].isupper():
        return value
    return None


def _class_info(node: ast.ClassDef) -> dict[str, Any]:
    layers: dict[str, str] = {}
    hyper: dict[str, str] = {}
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None:
            hyper[item.target.id] = _short(item.value)
        elif (
            isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name)
        ):
            if isinstance(item.value, ast.Constant | ast.Tuple | ast.List | ast.UnaryOp):
                hyper[item.targets[0].id] = _short(item.value)
        elif isinstance(item, ast.FunctionDef):
            if item.name == "__init__":
                args = item.args
                defaults = args.defaults
                named = args.args[len(args.args) - len(defaults) :]
                for arg, default in zip(named, defaults, strict=True):
                    hyper[arg.arg] = _short(default)
                for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                    if kw_default is not None:
                        hyper[arg.arg] = _short(kw_default)
            for sub in ast.walk(item):
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        if (
                            isinstance(target, ast.Attribute)
                            and isinstance(target.value, ast.Name)
                            and target.value.id == "self"
                        ):
                            call = _layer_call(sub.value)
                            if call is not None:
                                layers[target.attr] = _short(sub.value)
                elif isinstance(sub, ast.Call) and _callee(sub) in {"register_buffer", "register_parameter"}:
                    if (
                        sub.args
                        and isinstance(sub.args[0], ast.Constant)
                        and isinstance(sub.args[0].value, str)
                    ):
                        layers[sub.args[0].value] = _short(sub)
    return {
        "bases": [_short(b) for b in node.bases],
        "layers": layers,
        "hyperparameters": hyper,
        "start_line": node.lineno,
        "end_line": node.end_lineno or node.lineno,
    }


def model_structure(source: str) -> dict[str, Any]:
    """``{"classes": {name: {bases, layers, hyperparameters, start_line, end_line}}, "imports": {name: module}}``.

    A file that does not parse gives ``{"classes": {}, "imports": {}, "error": "..."}``.
    """
    if len(source) > MAX_SOURCE_CHARS:
        return {"classes": {}, "imports": {}, "error": "too large to parse"}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        return {"classes": {}, "imports": {}, "error": f"does not parse: {err}"}
    classes = {n.name: _class_info(n) for n in tree.body if isinstance(n, ast.ClassDef)}
    imports: dict[str, str] = {}
    for n in tree.body:
        if isinstance(n, ast.ImportFrom) and n.module:
            for alias in n.names:
                imports[alias.asname or alias.name] = n.module
    return {"classes": classes, "imports": imports}


def _dict_diff(old: dict[str, str], new: dict[str, str]) -> dict[str, Any]:
    return {
        "added": {k: new[k] for k in new if k not in old},
        "removed": {k: old[k] for k in old if k not in new},
        "changed": {k: [old[k], new[k]] for k in old if k in new and old[k] != new[k]},
    }


def diff_structures(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from ``old`` to ``new`` (both from :func:`model_structure`), with one line per change."""
    a, b = old.get("classes", {}), new.get("classes", {})
    reused = {
        name: new.get("imports", {})[name] for name in a if name not in b and name in new.get("imports", {})
    }
    added = [name for name in b if name not in a]
    removed = [name for name in a if name not in b and name not in reused]
    changed = []
    lines = [f"+ class {name}" for name in added]
    lines += [f"- class {name}" for name in removed]
    lines += [f"= class {name} (imported from {module})" for name, module in reused.items()]
    for name in (n for n in a if n in b):
        layers = _dict_diff(a[name]["layers"], b[name]["layers"])
        hyper = _dict_diff(a[name]["hyperparameters"], b[name]["hyperparameters"])
        if a[name]["bases"] != b[name]["bases"]:
            lines.append(f"~ {name}: bases {', '.join(a[name]['bases'])} → {', '.join(b[name]['bases'])}")
        if not any(layers.values()) and not any(hyper.values()):
            continue
        changed.append({"class": name, "layers": layers, "hyperparameters": hyper})
        lines += [f"+ {name}.{k} = {v}" for k, v in layers["added"].items()]
        lines += [f"- {name}.{k} = {v}" for k, v in layers["removed"].items()]
        lines += [f"~ {name}.{k}: {o} → {n}" for k, (o, n) in layers["changed"].items()]
        lines += [f"+ {name} {k} = {v}" for k, v in hyper["added"].items()]
        lines += [f"- {name} {k} = {v}" for k, v in hyper["removed"].items()]
        lines += [f"~ {name} {k}: {o} → {n}" for k, (o, n) in hyper["changed"].items()]
    return {
        "classes_added": added,
        "classes_removed": removed,
        "classes_reused": reused,
        "classes_changed": changed,
        "lines": lines,
    }
