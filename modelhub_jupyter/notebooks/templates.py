"""The notebook templates: where they are, their parameters, and checking what a user passes.

Templates live once, in the repository's ``notebooks/templates/``; a wheel carries them as
``modelhub_jupyter/notebook_templates`` (hatch ``force-include``).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from ..errors import BadInputError, NotFoundError

PACKAGE = Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """The folder holding the ``*.ipynb`` templates (installed wheel, else the source checkout)."""
    for candidate in (PACKAGE / "notebook_templates", PACKAGE.parent / "notebooks" / "templates"):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    raise NotFoundError("the notebook templates are not installed (notebooks/templates is missing)")


class Templates(list[dict[str, Any]]):
    """The templates as rows (``to_dict``: plain JSON) that print as a table a person reads."""

    def to_dict(self) -> list[dict[str, Any]]:
        return [dict(t) for t in self]

    def text(self) -> str:
        width = max((len(t["name"]) for t in self), default=0)
        lines = []
        for t in self:
            shown = [p for p in t["parameters"] if p not in {"snapshot_json", "home"}]
            lines.append(f"{t['name']:<{width}}  {t['title']}  ({', '.join(shown)})")
        return "\n".join(lines)


def list_templates() -> Templates:
    """Each template's name, title and parameters."""
    out = Templates()
    for path in sorted(templates_dir().glob("*.ipynb")):
        out.append({"name": path.stem, "title": _title(path), "parameters": sorted(parameters(path.stem))})
    return out


def _title(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            first = "".join(cell["source"]).strip().splitlines()[0]
            return first.lstrip("# ").strip()
    return path.stem


def template_path(name: str) -> Path:
    """The template called ``name`` (``model_analysis``; ``.ipynb`` optional)."""
    stem = Path(name).stem if name.endswith(".ipynb") else name
    path = templates_dir() / f"{stem}.ipynb"
    if not path.is_file() or "/" in stem or "\\" in stem:
        names = ", ".join(p.stem for p in sorted(templates_dir().glob("*.ipynb")))
        raise NotFoundError(f"unknown notebook template {name!r} (templates: {names})")
    return path


def parameters(name: str) -> dict[str, dict[str, Any]]:
    """``{name: {"type", "default", "help"}}`` from the template's ``parameters`` cell (papermill)."""
    import papermill

    found = papermill.inspect_notebook(str(template_path(name)))
    return {
        k: {"type": _kind(v["inferred_type_name"], v["default"]), "default": v["default"], "help": v["help"]}
        for k, v in found.items()
    }


def _kind(annotated: str, default: str) -> str:
    """The parameter's type: its annotation, else the type of its default's literal."""
    if annotated and annotated != "None":
        return annotated
    try:
        return type(ast.literal_eval(default)).__name__
    except (ValueError, SyntaxError):
        return "str"


def parse_params(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("model=transformer_v2", "epochs=3")`` → a dict of strings (typed later, per template)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise BadInputError(f"--param {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def parse_grid(pairs: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """``("lr=1e-3,3e-4",)`` → ``{"lr": ["1e-3", "3e-4"]}``."""
    return {k: [v.strip() for v in value.split(",") if v.strip()] for k, value in parse_params(pairs).items()}


def _coerce(name: str, value: Any, kind: str, template: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if value.lower() in {"1", "true", "yes", "on"}:
                return True
            if value.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
    except ValueError:
        raise BadInputError(f"{template}: parameter {name} must be {kind}, not {value!r}") from None
    return value


def check_params(template: str, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` typed like the template's defaults; unknown or missing required ones are one-line errors."""
    declared = parameters(template)
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise BadInputError(
            f"{template}: unknown parameter {', '.join(unknown)} (it takes {', '.join(sorted(declared))})"
        )
    out = {k: _coerce(k, v, declared[k]["type"], template) for k, v in given.items()}
    for key, spec in declared.items():
        required = str(spec["help"] or "").lower().startswith("required")
        if required and not str(out.get(key, "")).strip() and spec["default"] in ('""', "''", "None"):
            raise BadInputError(f"{template}: parameter {key} is required ({spec['help']})")
    return out
