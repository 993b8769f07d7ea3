"""Chunking of parsed Python source: module header, class skeletons, one chunk per function.

Every chunk starts with its breadcrumb (``path › Class.method(sig)``), carries exact
1-based line numbers and stays within :data:`MAX_CHARS`; long bodies are split on
statement boundaries into ``(part i/n)`` pieces, so no line of a function is lost.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable

from .chunk_packing import HARD, SEP, Item, fit_text, make_chunks
from .python_sections import class_kind, classify_function, classify_text
from .types import Chunk

_Def = ast.FunctionDef | ast.AsyncFunctionDef
_IMPORT_LINE = re.compile(r"\s*+(?:import|from)\s")  # match
# Characters of a line that count for its chunk's section type: a line split into many pieces is
# in every piece's chunk, and was classified whole for each (1 MB line: 1,100 times 1 MB).
MAX_CLASSIFIED_LINE = 2_000


def node_start(node: ast.stmt) -> int:
    """First line of a statement, decorators included."""
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])


def signature(node: _Def) -> str:
    """``(a, b=1)`` of a function, shortened when very long."""
    return fit_text(f"({ast.unparse(node.args)})", 160)


def _dedent(text: str, width: int) -> str:
    n = 0
    while n < width and n < len(text) and text[n] in " \t":
        n += 1
    return text[n:]


def _header_end(node: ast.stmt, lines: list[str], parts: Iterable[ast.AST]) -> int:
    """Last line of a ``def``/``class`` header (the line ending with ``:``)."""
    body_start = node_start(node.body[0])  # type: ignore[attr-defined]
    if body_start <= node.lineno:
        return node.lineno
    line = max([node.lineno] + [getattr(p, "end_lineno", None) or node.lineno for p in parts])
    while line < body_start - 1 and not lines[line - 1].split("#")[0].rstrip().endswith(":"):
        line += 1
    return min(line, body_start - 1)


def _def_parts(node: ast.stmt) -> list[ast.AST]:
    if isinstance(node, ast.ClassDef):
        return [*node.bases, *node.keywords]
    args = node.args  # type: ignore[attr-defined]
    parts: list[ast.AST] = [*args.posonlyargs, *args.args, *args.kwonlyargs, *args.defaults]
    parts += [d for d in args.kw_defaults if d is not None] + [a for a in (args.vararg, args.kwarg) if a]
    return parts + ([node.returns] if node.returns else [])  # type: ignore[attr-defined]


def _levels(body: list[ast.stmt], lines: list[str], lo: int) -> dict[int, int]:
    """Cut quality per line: 2 before a statement of ``body``, 1 before a nested one.

    A comment block right above a statement moves the boundary up to the comment.
    """
    levels: dict[int, int] = {}
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.stmt | ast.excepthandler) and sub is not stmt:
                levels.setdefault(sub.lineno, 1)
        levels[node_start(stmt)] = 2
    lifted: dict[int, int] = {}
    for line, level in sorted(levels.items()):
        top = line
        while top - 1 > lo and lines[top - 2].strip().startswith("#") and top - 1 not in levels:
            top -= 1
        lifted[top] = max(level, lifted.get(top, 0))
    return lifted


def _line_items(lines: list[str], start: int, end: int, indent: int, levels: dict[int, int]) -> list[Item]:
    return [Item(n, _dedent(lines[n - 1], indent), levels.get(n, 0)) for n in range(start, end + 1)]


class PythonChunker:
    """Chunks one parsed module (or one notebook cell) into :class:`Chunk` objects."""

    def __init__(self, lines: list[str], prefix: str, model_classes: set[str], module_label: str | None):
        self.lines = lines
        self.prefix = fit_text(prefix, 200)
        self.model_classes = model_classes
        self.module_label = module_label

    def crumb(self, label: str | None) -> str:
        """Breadcrumb for ``label`` (None: the prefix alone)."""
        return f"{self.prefix}{SEP}{label}" if label else self.prefix

    def chunk(self, tree: ast.Module, first_line: int = 1, last_line: int | None = None) -> list[Chunk]:
        """All chunks of ``tree`` (lines ``first_line``..``last_line`` of ``self.lines``) in order."""
        chunks = self.module_chunks(tree, first_line, last_line or len(self.lines))
        for node in tree.body:
            if isinstance(node, _Def):
                chunks += self.function_chunks(node, node.name, None, 0)
            elif isinstance(node, ast.ClassDef):
                chunks += self.class_chunks(node, node.name, 0)
        return sorted(chunks, key=lambda c: (c.start_line, c.chunk_type != "module"))

    def module_chunks(self, tree: ast.Module, first_line: int, last_line: int) -> list[Chunk]:
        """Header (docstring, imports, constants) plus any other top-level code."""
        items: list[Item] = []
        body = tree.body
        first_def = next((node_start(n) for n in body if isinstance(n, _Def | ast.ClassDef)), None)
        if body and first_def == node_start(body[0]) and first_def > first_line:
            items += _line_items(self.lines, first_line, first_def - 1, 0, {})  # leading comments
        for index, segment in enumerate(_segments(body)):
            start, end = node_start(segment[0]), segment[-1].end_lineno or segment[-1].lineno
            if segment[0] is body[0]:
                start = first_line
            levels = _levels(segment, self.lines, start)
            text = "\n".join(self.lines[start - 1 : end])
            tiny = sum(1 for ln in self.lines[start - 1 : end] if ln.strip()) <= 3 and len(text) <= 200
            levels[start] = 2 if tiny or index == 0 else HARD
            if items and start > items[-1].lineno + 1:
                items.append(Item(start, "", levels[start]))  # a blank line between distant statements
            items += _line_items(self.lines, start, end, 0, levels)
        if not body:
            items = _line_items(self.lines, first_line, last_line, 0, {})
        chunks = make_chunks(self.crumb(self.module_label), items, chunk_type="module")
        skip = _docstring_lines(tree)
        code: list[list[str]] = [[] for _ in chunks]
        starts = [chunk.start_line for chunk in chunks]
        for item in items:  # once over the items, not once per chunk (quadratic in a long module)
            if item.lineno in skip or _IMPORT_LINE.match(item.text):
                continue
            index = bisect.bisect_right(starts, item.lineno) - 1  # chunks are in line order
            while index >= 0 and chunks[index].end_line >= item.lineno:  # pieces of a split line share it
                code[index].append(item.text[:MAX_CLASSIFIED_LINE])
                index -= 1
        for chunk, lines in zip(chunks, code, strict=True):
            chunk.section_type = classify_text("\n".join(lines))
        return chunks

    def function_chunks(self, node: _Def, qualname: str, kind: str | None, indent: int) -> list[Chunk]:
        """One chunk (or several parts) for a function or method."""
        start, end = node_start(node), node.end_lineno or node.lineno
        levels = _levels(node.body, self.lines, start)
        items = _line_items(self.lines, start, end, indent, levels)
        head_end = _header_end(node, self.lines, _def_parts(node))
        repeat = "\n".join(_dedent(self.lines[n - 1], indent) for n in range(node.lineno, head_end + 1))
        text = "\n".join(i.text for i in items)
        section = classify_function(node.name, text, kind)
        crumb = self.crumb(qualname + signature(node))
        return make_chunks(
            crumb, items, repeat=repeat, section_type=section, symbol=qualname, heading=self.crumb(qualname)
        )

    def class_chunks(self, node: ast.ClassDef, qualname: str, indent: int) -> list[Chunk]:
        """A skeleton chunk for the class, then its methods and nested classes."""
        bases = [ast.unparse(b) for b in node.bases]
        decorators = [ast.unparse(d) for d in node.decorator_list]
        kind = class_kind(node.name, bases, decorators, node.name in self.model_classes)
        items = self.skeleton_items(node, indent)
        start, end = node_start(node), node.end_lineno or node.lineno
        section = kind or classify_text("\n".join(i.text for i in items))
        label = f"class {qualname}" + (f"({', '.join(bases)})" if bases else "")
        crumb = self.crumb(fit_text(label, 160))
        chunks = make_chunks(
            crumb, items, span=(start, end), section_type=section, chunk_type="class", symbol=qualname,
            heading=self.crumb(f"class {qualname}"),
        )  # fmt: skip
        for stmt in node.body:
            if isinstance(stmt, _Def):
                chunks += self.function_chunks(stmt, f"{qualname}.{stmt.name}", kind, stmt.col_offset)
            elif isinstance(stmt, ast.ClassDef):
                chunks += self.class_chunks(stmt, f"{qualname}.{stmt.name}", stmt.col_offset)
        return chunks

    def skeleton_items(self, node: ast.ClassDef, indent: int) -> list[Item]:
        """Class line, docstring and fields as written; method bodies collapsed to ``...``."""
        head_end = _header_end(node, self.lines, _def_parts(node))
        items = _line_items(self.lines, node_start(node), head_end, indent, {})
        for stmt in node.body:
            pad = " " * max(0, stmt.col_offset - indent)
            if isinstance(stmt, _Def | ast.ClassDef):
                for n, dec in enumerate(stmt.decorator_list):
                    items.append(Item(dec.lineno, f"{pad}@{ast.unparse(dec)}", 2 if n == 0 else 0))
                items.append(Item(stmt.lineno, pad + _collapsed(stmt), 0 if stmt.decorator_list else 2))
            else:
                end = stmt.end_lineno or stmt.lineno
                start = max(node_start(stmt), head_end + 1)
                items += _line_items(self.lines, start, end, indent, _levels([stmt], self.lines, start))
        return items


def _collapsed(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in stmt.bases)
        return f"class {stmt.name}" + (f"({bases})" if bases else "") + ": ..."
    assert isinstance(stmt, _Def)
    prefix = "async def" if isinstance(stmt, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(stmt.returns)}" if stmt.returns else ""
    return f"{prefix} {stmt.name}{signature(stmt)}{returns}: ..."


def _docstring_lines(tree: ast.Module) -> set[int]:
    first = tree.body[0] if tree.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return set()


def _segments(body: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Runs of consecutive top-level statements that are not functions or classes."""
    runs: list[list[ast.stmt]] = []
    current: list[ast.stmt] = []
    for node in body:
        if isinstance(node, _Def | ast.ClassDef):
            if current:
                runs.append(current)
            current = []
        else:
            current.append(node)
    if current:
        runs.append(current)
    return runs
