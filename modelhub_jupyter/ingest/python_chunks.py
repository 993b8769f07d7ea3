"""Chunking of parsed Python source: module header, class skeletons, one chunk per function.

Every chunk starts with its breadcrumb (``path › Class.method(sig)``), carries exact
1-based line numbers and stays within :data:`MAX_CHARS`; long bodies are split on
statement boundaries into ``(part i/n)`` pieces, so no line of a function is lost.
"""

from __future__ import annotations

import ast
import bisect
import re

from .chunk_packing import HARD, MAX_CHARS, SEP, Item, fit_text, make_chunks
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
        chunks, tails = self.module_chunks(tree, first_line, last_line or len(self.lines))
        last_part: dict[int, Chunk] = {}  # end line of a top-level function -> its last chunk
        for node in tree.body:
            if isinstance(node, _Def):
                parts = self.function_chunks(node, node.name, None, 0)
                last_part[parts[-1].end_line] = parts[-1]
                chunks += parts
            elif isinstance(node, ast.ClassDef):
                chunks += self.class_chunks(node, node.name, 0)
        for tail in tails:
            chunks += self.attach_tail(tail, last_part)
        return sorted(chunks, key=lambda c: (c.start_line, c.chunk_type != "module"))

    def attach_tail(self, tail: list[ast.stmt], last_part: dict[int, Chunk]) -> list[Chunk]:
        """A short run of top-level code after a function (``if __name__ == "__main__": main()``)
        joins that function's last chunk, with the lines between, when it fits; otherwise it is
        a module chunk of its own. Either way no chunk spans lines it does not show."""
        start, end = node_start(tail[0]), tail[-1].end_lineno or tail[-1].lineno
        gap_start = start
        while gap_start > 1 and gap_start - 1 not in last_part and not self.lines[gap_start - 2].strip():
            gap_start -= 1
        above = last_part.get(gap_start - 1)
        lines = self.lines[gap_start - 1 : end]
        if above is not None and len(above.content) + sum(len(ln) + 1 for ln in lines) <= MAX_CHARS:
            above.content = "\n".join([above.content, *lines])
            above.end_line = end
            return []
        items = _line_items(self.lines, start, end, 0, _levels(tail, self.lines, start))
        chunks = make_chunks(self.crumb(self.module_label), items, chunk_type="module")
        for chunk in chunks:
            chunk.section_type = classify_text(chunk.content.split("\n", 1)[-1][:MAX_CLASSIFIED_LINE])
        return chunks

    def module_chunks(
        self, tree: ast.Module, first_line: int, last_line: int
    ) -> tuple[list[Chunk], list[list[ast.stmt]]]:
        """Header (docstring, imports, constants) plus any other top-level code, and the short
        runs of top-level code right after a function (``tails``, see :meth:`attach_tail`).

        Each run of top-level statements between functions and classes starts a chunk of its
        own: a chunk never joins statements that are far apart, so its range is what it shows.
        """
        items: list[Item] = []
        tails: list[list[ast.stmt]] = []
        body = tree.body
        first_def = next((node_start(n) for n in body if isinstance(n, _Def | ast.ClassDef)), None)
        if body and first_def == node_start(body[0]) and first_def > first_line:
            items += _line_items(self.lines, first_line, first_def - 1, 0, {})  # leading comments
        for index, segment in enumerate(_segments(body)):
            start, end = node_start(segment[0]), segment[-1].end_lineno or segment[-1].lineno
            if segment[0] is body[0]:
                start = first_line
            text = "\n".join(self.lines[start - 1 : end])
            tiny = sum(1 for ln in self.lines[start - 1 : end] if ln.strip()) <= 3 and len(text) <= 200
            previous = body[body.index(segment[0]) - 1] if segment[0] is not body[0] else None
            if tiny and isinstance(previous, _Def):
                tails.append(segment)
                continue
            levels = _levels(segment, self.lines, start)
            levels[start] = 2 if index == 0 else HARD
            items += _line_items(self.lines, start, end, 0, levels)
        if not body:
            items = _line_items(self.lines, first_line, last_line, 0, {})
        if not items:
            return [], tails
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
        return chunks, tails

    def function_chunks(self, node: _Def, qualname: str, kind: str | None, indent: int) -> list[Chunk]:
        """One chunk (or several parts) for a function or method."""
        start, end = node_start(node), node.end_lineno or node.lineno
        levels = _levels(node.body, self.lines, start)
        items = _line_items(self.lines, start, end, indent, levels)
        text = "\n".join(i.text for i in items)
        section = classify_function(node.name, text, kind)
        crumb = self.crumb(qualname + signature(node))
        header_end = max(node.lineno, node_start(node.body[0]) - 1)
        header = sum(len(self.lines[n - 1]) - indent + 1 for n in range(node.lineno, header_end + 1))
        return make_chunks(
            crumb, items, section_type=section, symbol=qualname, heading=self.crumb(qualname),
            reserve=header if header <= MAX_CHARS // 4 else 0,
        )  # fmt: skip

    def class_chunks(self, node: ast.ClassDef, qualname: str, indent: int) -> list[Chunk]:
        """A chunk for the class's own lines (header, docstring, fields), then its methods and
        nested classes. Fields written between or after methods get chunks of their own."""
        bases = [ast.unparse(b) for b in node.bases]
        decorators = [ast.unparse(d) for d in node.decorator_list]
        kind = class_kind(node.name, bases, decorators, node.name in self.model_classes)
        label = fit_text(f"class {qualname}" + (f"({', '.join(bases)})" if bases else ""), 160)
        methods = [s.name for s in node.body if isinstance(s, _Def | ast.ClassDef)]
        if methods:  # the class chunk shows its own lines only; its members are named here
            label += " · " + fit_text(
                f"{'members' if len(methods) > 1 else 'member'} {', '.join(methods)}", 200
            )
        crumb = self.crumb(label)
        chunks: list[Chunk] = []
        for items in self.skeleton_items(node, indent):
            section = kind or classify_text("\n".join(i.text for i in items))
            chunks += make_chunks(crumb, items, section_type=section, chunk_type="class", symbol=qualname)
        for stmt in node.body:
            if isinstance(stmt, _Def):
                chunks += self.function_chunks(stmt, f"{qualname}.{stmt.name}", kind, stmt.col_offset)
            elif isinstance(stmt, ast.ClassDef):
                chunks += self.class_chunks(stmt, f"{qualname}.{stmt.name}", stmt.col_offset)
        return chunks

    def skeleton_items(self, node: ast.ClassDef, indent: int) -> list[list[Item]]:
        """The class's own lines as written, in runs of contiguous lines: from the decorators and
        ``class`` line to the first method (docstring, fields, comments), then each later run of
        statements that are not methods or nested classes."""
        spans: list[tuple[int, int, list[ast.stmt]]] = []
        members: list[ast.stmt] = []
        first = True
        for stmt in node.body:
            if not isinstance(stmt, _Def | ast.ClassDef):
                members.append(stmt)
                continue
            if first:
                spans.append((node_start(node), node_start(stmt) - 1, members))
                first = False
            elif members:
                spans.append((node_start(members[0]), members[-1].end_lineno or members[-1].lineno, members))
            members = []
        if first:
            spans.append((node_start(node), node.end_lineno or node.lineno, members))
        elif members:
            spans.append((node_start(members[0]), members[-1].end_lineno or members[-1].lineno, members))
        return [
            _line_items(self.lines, start, end, indent, _levels(stmts, self.lines, start))
            for start, end, stmts in spans
            if end >= start
        ]


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
