"""Jupyter notebooks (.ipynb JSON) -> the same facts and chunks as Python files.

Code cells (IPython magics and shell lines blanked) are concatenated into one virtual
source; facts are read from all of it, with provenance ``"nb.ipynb:cell3:7"`` (cells
counted from 1 over all cells, markdown included). Chunks are made per cell
(``nb.ipynb › cell 3 › train(model, loader)``); small neighbouring cells are grouped
(``cells 3-5``) and the markdown above a cell is added to its first chunk when it fits.

The JSON is hostile: at most :data:`MAX_JSON_VALUES` values are parsed, the first
:data:`MAX_CELLS` cells are read, the code of all cells is analysed up to the Python limits
(:data:`~.python_text.MAX_PYTHON_TOKENS`), and a value of the wrong type at any level is
ignored (a cell without a usable ``source`` is empty). Anything else is a one-line ParseError.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import one_line
from .chunk_packing import MAX_CHARS, SEP, window_chunks
from .config_files import load_json
from .python_chunks import PythonChunker
from .python_code import analyze_tree, file_stem, parse_module
from .python_sections import classify_text
from .python_text import MAX_NOTES, MAX_PYTHON_TOKENS, comment_lines, count_tokens
from .types import Chunk, Extracted, ParseError

MAX_JSON_VALUES = 1_000_000  # values of the notebook JSON (outputs included): json.loads makes them all
MAX_CELLS = 10_000  # cells read; the rest are left out with a warning
MAX_SOURCE_CHARS = 2_000_000  # characters of cell source read (outputs are not read); idem
MAX_CELL_WARNINGS = 20  # warnings about single cells; then one line says how many more

_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "python", "python3", "writefile", "debug"}
# ``x, y = !cmd``: one possessive run up to "=" (``^\s*[\w.,\s]+`` split a run of spaces every
# way: 11 s for a 4k-character line of spaces).
_SHELL_ASSIGN = re.compile(r"[\w.,\s]++=\s*+[!%]")
_HELP_LINE = re.compile(r"\s*+[\w.]++\?\??\s*+")
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
    nb = load_json(text, MAX_JSON_VALUES, "notebook JSON")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", nb.get("worksheets")), list):
        raise ParseError("not a notebook: no cells")
    return nb


def _source(value: Any) -> str:
    """A cell's text: a string, or a list of strings (anything else in it is skipped)."""
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return value if isinstance(value, str) else ""


def _raw_cells(nb: dict[str, Any]) -> list[Any]:
    cells = nb.get("cells")
    if isinstance(cells, list):
        return cells
    worksheets = nb.get("worksheets")
    return [
        cell
        for sheet in (worksheets if isinstance(worksheets, list) else [])
        if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list)
        for cell in sheet["cells"]
    ]


def read_cells(nb: dict[str, Any], limit: int = MAX_CELLS, max_chars: int = MAX_SOURCE_CHARS) -> list[Cell]:
    """Cells of an nbformat 4 (or 3, ``worksheets``) notebook, numbered from 1.

    The first ``limit`` cells at most, and no more than ``max_chars`` characters of source.
    """
    cells = []
    for number, cell in enumerate((c for c in _raw_cells(nb) if isinstance(c, dict)), 1):
        kind = cell.get("cell_type")
        kind = kind if isinstance(kind, str) else ""
        text = _source(cell.get("source", cell.get("input", "")))
        max_chars -= len(text)
        if number > limit or max_chars < 0:
            break
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
        if stripped.startswith(("%", "!")) or _SHELL_ASSIGN.match(line) or _HELP_LINE.fullmatch(line):
            out[index] = ""
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _language(nb: dict[str, Any]) -> str:
    meta = _mapping(nb.get("metadata"))
    kernel, info = _mapping(meta.get("kernelspec")), _mapping(meta.get("language_info"))
    for name in (kernel.get("language"), info.get("name")):
        if isinstance(name, str) and name.strip():
            return one_line(name, limit=40).lower()
    return "python"


def parse_notebook(text: str, relpath: str) -> Extracted:
    """Metadata (with cell-level provenance) and chunks of one notebook."""
    try:
        return _parse_notebook(text, relpath)
    except RecursionError:  # the code limits keep clear of this; a safety net, not a path
        raise ParseError("nested too deeply to analyse") from None


def _parse_notebook(text: str, relpath: str) -> Extracted:
    nb = load_notebook(text)
    cells = read_cells(nb)
    code = [c for c in cells if c.kind == "code"]
    vlines: list[str] = []
    for cell in code:
        cell.first = len(vlines) + 1
        vlines += cell.lines
    firsts = [cell.first for cell in code]

    def where(line: int) -> str:
        index = bisect.bisect_right(firsts, line) - 1
        if 0 < line <= len(vlines) and index >= 0:
            cell = code[index]
            return f"{relpath}:cell{cell.number}:{line - cell.first + 1}"
        return f"{relpath}:cell0:0"

    ex = Extracted()
    total = sum(1 for c in _raw_cells(nb) if isinstance(c, dict))
    if total > len(cells):
        ex.warnings.append(
            f"only the first {len(cells):,} of {total:,} cells indexed"
            f" (at most {MAX_CELLS:,} cells, {MAX_SOURCE_CHARS:,} characters of source)"
        )
    language = _language(nb)
    if language not in _PYTHON_NAMES:
        ex.set("language", language, relpath)
        ex.warnings.append(f"kernel language {language}: code cells indexed as text")
        for cell in code:
            prefix = f"{relpath}{SEP}cell {cell.number}"
            ex.chunks += window_chunks(prefix, cell.raw, first_line=cell.first, chunk_type="notebook")
        return ex
    body: list[ast.stmt] = []
    budget = MAX_PYTHON_TOKENS  # for all cells together: the trees are kept until the end
    problems: list[str] = []
    for cell in code:
        source = "\n".join(cell.lines)
        problem: str | None
        if budget <= 0:
            tree, problem = None, f"the notebook's code is over {MAX_PYTHON_TOKENS:,} tokens"
        else:
            tree, problem = parse_module(source)
            budget -= count_tokens(source) if tree is not None else 0
        if tree is None:
            problems.append(f"cell {cell.number}: {problem}; indexed as line windows")
            continue
        ast.increment_lineno(tree, cell.first - 1)
        cell.tree = tree
        body += tree.body
    ex.warnings += problems[:MAX_CELL_WARNINGS]
    if len(problems) > MAX_CELL_WARNINGS:
        ex.warnings.append(f"{len(problems) - MAX_CELL_WARNINGS:,} more cells indexed as line windows")
    notes = _notes(cells, relpath)
    models = analyze_tree(
        ex, ast.Module(body=body, type_ignores=[]), relpath, file_stem(relpath), notes, where
    )
    ex.chunks = _chunks(cells, vlines, relpath, {m.name for m in models})
    return ex


def _notes(cells: list[Cell], relpath: str) -> list[tuple[str, str]]:
    """Prose of the notebook: markdown lines, comments, and the raw lines of code cells' magics."""
    return list(itertools.islice(_note_lines(cells, relpath), MAX_NOTES))  # facts are in the first ones


def _note_lines(cells: list[Cell], relpath: str) -> Iterator[tuple[str, str]]:
    for cell in cells:
        tag = f"{relpath}:cell{cell.number}"
        if cell.kind == "markdown":
            yield from ((f"{tag}:{n}", line) for n, line in enumerate(cell.lines, 1) if line.strip())
        elif cell.kind == "code":
            comments = comment_lines("\n".join(cell.lines), parsed=cell.tree is not None)
            yield from ((f"{tag}:{n}", text) for n, text in comments)
            yield from (
                (f"{tag}:{n}", raw)
                for n, (raw, kept) in enumerate(zip(cell.raw, cell.lines, strict=False), 1)
                if raw and not kept
            )


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
        room = MAX_CHARS - _heading_size(groups[-1][1]) if groups else MAX_CHARS
        if mergeable and _merged_size(groups[-1][0][0], chunks[0], vlines) <= room:
            groups[-1] = ([_merge(groups[-1][0][0], chunks[0], relpath, vlines)], groups[-1][1], True)
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


def _merged_size(a: Chunk, b: Chunk, vlines: list[str]) -> int:
    return len(a.breadcrumb) + 12 + sum(len(line) + 1 for line in vlines[a.start_line - 1 : b.end_line])


def _merge(a: Chunk, b: Chunk, relpath: str, vlines: list[str]) -> Chunk:
    """One chunk of two neighbouring cells: the code lines from the first one's start to the
    second one's end, so the range cited is the lines shown."""
    crumb = _cells_label(a, b, relpath)
    body = "\n".join(vlines[a.start_line - 1 : b.end_line])
    code = "\n".join(ln for ln in body.splitlines() if not re.match(r"^\s*(import|from)\s", ln))
    return Chunk(f"{crumb}\n{body}", a.start_line, b.end_line, crumb, classify_text(code), "module", None)


MAX_MARKDOWN_HEADING = 240  # characters of markdown put beside a cell's breadcrumb


def _markdown_words(markdown: list[str]) -> list[str]:
    """Headings, and the text under each joined into one line: ``["Sample", "Greedy-ish ..."]``."""
    out: list[str] = []
    heading = True
    for line in markdown:
        text = " ".join(line.strip().lstrip("#").split())
        if not text:
            continue
        if line.lstrip().startswith("#") or heading or not out:
            out.append(text)
        else:
            out[-1] += " " + text
        heading = line.lstrip().startswith("#")
    return out


def _heading_size(markdown: list[str]) -> int:
    """Characters the markdown above a cell will take on its chunk's breadcrumb line."""
    words = " · ".join(_markdown_words(markdown))
    return min(len(words), MAX_MARKDOWN_HEADING) + 3 if words else 0


def _add_markdown(chunk: Chunk, markdown: list[str]) -> None:
    """Put the markdown above a cell on the breadcrumb line (``nb › cell 6 · Overfit a few
    batches``), whole or its first line, if it fits: the lines below stay exactly the cited code."""
    lines = _markdown_words(markdown)
    if not lines:
        return
    _, _, rest = chunk.content.partition("\n")
    room = min(MAX_MARKDOWN_HEADING, MAX_CHARS - len(chunk.breadcrumb) - len(rest) - 4)
    cut = lines[0][: max(room - 1, 0)].rstrip()
    for words in (" · ".join(lines), lines[0], cut + "…" if len(cut) >= 12 else ""):
        if words and len(words) <= room:
            chunk.breadcrumb = f"{chunk.breadcrumb} · {words}"
            chunk.content = f"{chunk.breadcrumb}\n{rest}"
            return
