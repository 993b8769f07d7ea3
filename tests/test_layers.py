"""The engine never imports a surface: UI libraries and the surface modules stay on their side."""

from __future__ import annotations

import ast
from pathlib import Path

import modelhub_jupyter

PACKAGE = Path(modelhub_jupyter.__file__).parent
SURFACES = {"cli.py", "magics.py", "_magic_parsers.py", "commands.py", "widgets", "server"}
UI_LIBRARIES = {
    "IPython",
    "ipywidgets",
    "anywidget",
    "traitlets",
    "jupyter_server",
    "click",
    "rich",
    "tqdm.notebook",
}
SURFACE_MODULES = {"cli", "magics", "_magic_parsers", "commands", "widgets", "server"}
#: Command definitions kept beside their engine (click options, CLI renderers): surface files.
SURFACE_FILES = {"registry/commands.py", "favorites_commands.py"}


def engine_modules() -> list[Path]:
    out = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if (
            rel.parts[0] in SURFACES
            or rel.as_posix() in SURFACE_FILES
            or rel.parts[:2] == ("demo", "workspace")
        ):
            continue
        out.append(path)
    return out


def imported(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Absolute names of everything ``path`` imports (relative imports resolved)."""
    package = list(path.relative_to(root).parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}
    return names


def test_engine_modules_import_no_surface():
    offenders = []
    for path in engine_modules():
        for name in imported(path):
            top = name.split(".")[0]
            inside = name.split(".")[1] if name.startswith("modelhub_jupyter.") else None
            if top in UI_LIBRARIES or name in UI_LIBRARIES or inside in SURFACE_MODULES:
                if path.name == "__init__.py" and path.parent == PACKAGE and inside == "magics":
                    continue  # load_ipython_extension: the documented hook, imported lazily
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not offenders, offenders
    assert len(engine_modules()) > 30  # the scan saw the engine


def test_the_check_resolves_relative_imports(tmp_path):
    """The scan is not vacuous: ``from ..widgets import X`` inside ``search/`` names the widgets package."""
    bad = tmp_path / "modelhub_jupyter" / "search" / "probe.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from ..widgets import SearchPanel\nfrom . import keyword\nimport ipywidgets\n")
    names = imported(bad, tmp_path)
    assert {"modelhub_jupyter.widgets", "modelhub_jupyter.search.keyword", "ipywidgets"} <= names
