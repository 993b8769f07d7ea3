"""Jupyter notebooks (.ipynb JSON) -> the same facts and chunks as Python files.

Code cells (IPython magics and shell lines blanked) are concatenated into one virtual
source; facts are read from all of it, with provenance ``"nb.ipynb:cell3:7"`` (cells
counted from 1 over all cells, markdown included). Chunks are made per cell
(``nb.ipynb › cell 3 › train(model, loader)``); small neighbouring cells are grouped
(``cells 3-5``) and the markdown above a cell is added to its first chunk when it fits.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .chunk_packing import MAX_CHARS, SEP, window_chunks
from .python_chunks import PythonChunker
from .python_code import analyze_tree, file_stem, parse_module
from .python_sections import classify_text
from .python_text import comment_lines
from .types import Chunk, Extracted, ParseError

_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "python", "python3", "writefile", "debug"}
_SHELL_ASSIGN = re.compile(r"^\s*[\w.,\s]+=\s*[!%]")
_HELP_LINE = re.compile(r"^\s*[\w.]+\?\??\s*$")
_PYTHON_NAMES = {"", "python", "python3", "ipython", "ipython3"}


@dataclass
class Cell:
    """One notebook cell: 1-based number, type, text lines, first line in the virtual source."""

    number: int
    kind: str
    lines: list[str]
    raw: list[str] = field(default_factory=list)
    first: int = 0
    tree: ast.Module | None = None


def load_notebook(text: str) -> dict[str, Any]:
    """The notebook JSON; ParseError when it is not JSON or has no cells."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(f"invalid JSON: {err.msg} at line {err.lineno}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", nb.get("worksheets")), list):
        raise ParseError("not a notebook: no cells")
    return nb


def _source(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else ""


def read_cells(nb: dict[str, Any]) -> list[Cell]:
    """Cells of an nbformat 4 (or 3, ``worksheets``) notebook, numbered from 1."""
    raw_cells = nb.get("cells")
    if raw_cells is None:
        raw_cells = [
            c for ws in nb.get("worksheets") or [] if isinstance(ws, dict) for c in ws.get("cells") or []
        ]
    cells = []
    for number, cell in enumerate((c for c in raw_cells if isinstance(c, dict)), 1):
        kind = str(cell.get("cell_type", ""))
        text = _source(cell.get("source", cell.get("input", "")))
        lines = re.split(r"\r\n|\r|\n", text)
        if lines and lines[-1] == "" and len(lines) > 1:
            lines.pop()
        cells.append(Cell(number, kind, clean_code(lines) if kind == "code" else lines, lines))
    return cells


def clean_code(lines: list[str]) -> list[str]:
    """Blank IPython-only lines (``%magic``, ``!shell``, ``x = !ls``, ``obj?``); non-Python cell magics blank the cell."""
    out = list(lines)
    if out and out[0].lstrip().startswith("%%"):
        magic = (out[0].lstrip()[2:].split() or [""])[0]
        if magic not in _PYTHON_CELL_MAGICS:
            return [""] * len(out)
        out[0] = ""
    for index, line in enumerate(out):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or _SHELL_ASSIGN.match(line) or _HELP_LINE.match(line):
            out[index] = ""
    return out


def _language(nb: dict[str, Any]) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    kernel = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), dict) else {}
    info = meta.get("language_info") if isinstance(meta.get("language_info"), dict) else {}
    return str(kernel.get("language") or info.get("name") or "python").lower()


def parse_notebook(text: str, relpath: str) -> Extracted:
    """Metadata (with cell-level provenance) and chunks of one notebook."""
    nb = load_notebook(text)
    cells = read_cells(nb)
    code = [c for c in cells if c.kind == "code"]
    vlines: list[str] = []
    origin: list[tuple[int, int]] = []
    for cell in code:
        cell.first = len(vlines) + 1
        vlines += cell.lines
        origin += [(cell.number, n) for n in range(1, len(cell.lines) + 1)]

    def where(line: int) -> str:
        number, in_cell = origin[line - 1] if 0 < line <= len(origin) else (0, 0)
        return f"{relpath}:cell{number}:{in_cell}"

    ex = Extracted()
    language = _language(nb)
    if language not in _PYTHON_NAMES:
        ex.set("language", language, relpath)
        ex.warnings.append(f"kernel language {language}: code cells indexed as text")
        for cell in code:
            prefix = f"{relpath}{SEP}cell {cell.number}"
            ex.chunks += window_chunks(prefix, cell.raw, first_line=cell.first, chunk_type="notebook")
        return ex
    body: list[ast.stmt] = []
    for cell in code:
        tree, problem = parse_module("\n".join(cell.lines))
        if tree is None:
            ex.warnings.append(f"cell {cell.number}: {problem}; indexed as line windows")
            continue
        ast.increment_lineno(tree, cell.first - 1)
        cell.tree = tree
        body += tree.body
    notes = _notes(cells, relpath)
    models = analyze_tree(
        ex, ast.Module(body=body, type_ignores=[]), relpath, file_stem(relpath), notes, where
    )
    ex.chunks = _chunks(cells, vlines, relpath, {m.name for m in models})
    return ex


def _notes(cells: list[Cell], relpath: str) -> list[tuple[str, str]]:
    """Prose of the notebook: markdown lines, comments, and the raw lines of code cells' magics."""
    notes = []
    for cell in cells:
        tag = f"{relpath}:cell{cell.number}"
        if cell.kind == "markdown":
            notes += [(f"{tag}:{n}", line) for n, line in enumerate(cell.lines, 1) if line.strip()]
        elif cell.kind == "code":
            notes += [(f"{tag}:{n}", text) for n, text in comment_lines("\n".join(cell.lines))]
            notes += [
                (f"{tag}:{n}", raw)
                for n, (raw, kept) in enumerate(zip(cell.raw, cell.lines, strict=False), 1)
                if raw and not kept
            ]
    return notes


def _chunks(cells: list[Cell], vlines: list[str], relpath: str, models: set[str]) -> list[Chunk]:
    groups: list[tuple[list[Chunk], list[str], bool]] = []  # (chunks, markdown above, one small module chunk)
    markdown: list[str] = []
    for cell in cells:
        if cell.kind == "markdown":
            markdown += [line for line in cell.lines if line.strip()]
            continue
        if cell.kind != "code":
            continue
        prefix = f"{relpath}{SEP}cell {cell.number}"
        last = cell.first + len(cell.lines) - 1
        if cell.tree is not None:
            chunks = PythonChunker(vlines, prefix, models, None).chunk(cell.tree, cell.first, last)
        else:
            chunks = window_chunks(prefix, cell.lines, first_line=cell.first)
        if not chunks:
            continue
        single = len(chunks) == 1 and chunks[0].chunk_type == "module"
        mergeable = single and not markdown and bool(groups) and groups[-1][2]
        if mergeable and _merged_size(groups[-1][0][0], chunks[0]) <= MAX_CHARS:
            groups[-1] = ([_merge(groups[-1][0][0], chunks[0], relpath)], groups[-1][1], True)
        else:
            groups.append((chunks, markdown, single))
        markdown = []
    out: list[Chunk] = []
    for chunks, above, _ in groups:
        _add_markdown(chunks[0], above)
        for chunk in chunks:
            chunk.chunk_type = "notebook"
        out += chunks
    return out


_CELL_LABEL = re.compile(r"cells? (\d+)(?:-(\d+))?$")


def _cells_label(a: Chunk, b: Chunk, relpath: str) -> str:
    """``nb › cells 3-5`` for chunks of cells 3(-4) and 5."""
    first, last = _CELL_LABEL.search(a.breadcrumb), _CELL_LABEL.search(b.breadcrumb)
    start = first.group(1) if first else "?"
    end = (last.group(2) or last.group(1)) if last else "?"
    return f"{relpath}{SEP}cells {start}-{end}"


def _body(chunk: Chunk) -> str:
    return chunk.content.split("\n", 1)[1] if "\n" in chunk.content else ""


def _merged_size(a: Chunk, b: Chunk) -> int:
    return len(a.breadcrumb) + 12 + len(_body(a)) + len(_body(b)) + 2


def _merge(a: Chunk, b: Chunk, relpath: str) -> Chunk:
    crumb = _cells_label(a, b, relpath)
    body = _body(a) + "\n\n" + _body(b)
    code = "\n".join(ln for ln in body.splitlines() if not re.match(r"^\s*(import|from)\s", ln))
    return Chunk(f"{crumb}\n{body}", a.start_line, b.end_line, crumb, classify_text(code), "module", None)


def _add_markdown(chunk: Chunk, markdown: list[str]) -> None:
    """Put the markdown above a cell after the breadcrumb, whole or its first line, if it fits."""
    for text in ("\n".join(markdown), markdown[0] if markdown else ""):
        if text and len(chunk.content) + len(text) + 1 <= MAX_CHARS:
            crumb, _, rest = chunk.content.partition("\n")
            chunk.content = f"{crumb}\n{text}\n{rest}"
            return
