"""Packing lines of text into chunks that fit the embedder's budget.

A chunk is a breadcrumb line followed by source lines. Pieces are cut where a cut
hurts least (before a statement, ideally a top-level one) and never truncate: a line
longer than the budget is sliced into several pieces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .types import Chunk

MAX_CHARS = 900  # MiniLM reads 256 tokens, about 900 characters of code
SEP = " › "
HARD = 3  # level of an item that always starts a new piece


@dataclass(frozen=True, slots=True)
class Item:
    """One line of chunk text, the file line it came from, and how good a cut before it is.

    ``level``: 0 = mid-statement, 1 = nested statement start, 2 = top-level statement
    start, 3 = always cut here.
    """

    lineno: int
    text: str
    level: int = 0


def fit_text(text: str, limit: int) -> str:
    """Shorten ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    half = max(1, (limit - 1) // 2)
    return text[:half] + "…" + text[len(text) - (limit - 1 - half) :]


def _split_long(items: Iterable[Item], budget: int) -> Iterator[Item]:
    for item in items:
        if len(item.text) <= budget:
            yield item
            continue
        for pos in range(0, len(item.text), budget):
            yield Item(item.lineno, item.text[pos : pos + budget], item.level if pos == 0 else 0)


def _size(items: list[Item]) -> int:
    return sum(len(i.text) + 1 for i in items) - 1 if items else 0


def _best_cut(cur: list[Item], budget: int) -> int:
    """Index p (1..len-1) so that cur[:p] becomes a piece; prefers statement boundaries."""
    sizes, total = [], -1
    for item in cur:
        sizes.append(total)  # size of cur[:index]
        total += len(item.text) + 1
    last = len(cur) - 1
    for level, share in ((2, 0.5), (1, 0.3), (2, 0.15)):
        for p in range(last, 0, -1):
            if cur[p].level >= level and sizes[p] >= budget * share:
                return p
    return last


def _trim(items: list[Item]) -> list[Item]:
    start, end = 0, len(items)
    while start < end and not items[start].text.strip():
        start += 1
    while end > start and not items[end - 1].text.strip():
        end -= 1
    return items[start:end]


def iter_pack(items: Iterable[Item], budget: int, max_lines: int | None = None) -> Iterator[list[Item]]:
    """Group items into pieces of at most ``budget`` characters (newline-joined), as they fill.

    Linear in the items: the size of the open piece is kept, not recomputed per item.
    """
    budget = max(budget, 40)
    cur: list[Item] = []
    size = -1  # len("\n".join(cur))
    for item in _split_long(items, budget):
        if item.level >= HARD and cur:
            piece = _trim(cur)
            if piece:
                yield piece
                cur, size = [], -1
        cur.append(item)
        size += len(item.text) + 1
        while len(cur) > 1 and (size > budget or (max_lines and len(cur) > max_lines)):
            cut = _best_cut(cur, budget)
            piece = _trim(cur[:cut])
            if piece:
                yield piece
            cur = cur[cut:]
            size = _size(cur)
    piece = _trim(cur)
    if piece:
        yield piece


def pack(items: Iterable[Item], budget: int, max_lines: int | None = None) -> list[list[Item]]:
    """Group items into pieces of at most ``budget`` characters (newline-joined)."""
    return list(iter_pack(items, budget, max_lines))


def make_chunks(
    crumb: str,
    items: list[Item],
    *,
    span: tuple[int, int] | None = None,
    section_type: str = "utility",
    chunk_type: str = "function",
    symbol: str | None = None,
    heading: str | None = None,
    reserve: int = 0,
) -> list[Chunk]:
    """Chunks for one unit (a function, a class skeleton, ...): a heading line, then its lines.

    A unit that does not fit is split; each piece's breadcrumb gets ``(part i/n)``. Below the
    heading a chunk holds exactly the file lines of its range (``start_line..end_line``), so a
    cited range is what the snippet shows. ``span`` overrides the range of a unit that fits in one
    chunk (config sections, whose items are rendered ``key: value`` lines, not file text).

    The first piece's heading is ``crumb`` unless a shorter ``heading`` is given for a piece whose
    own lines already show the rest (``path › Model.forward`` above ``def forward(self, x):``):
    the embedder reads every token, so a signature is not spent twice. Later pieces do not show
    the ``def`` line, so their heading is the full ``crumb`` (with the signature). A unit that is
    split packs its pieces ``reserve`` characters short of the budget (a function reserves its
    ``def`` header: pieces that stay small read better than ones filled to the last token).
    """
    pieces = pack(items, MAX_CHARS - len(crumb) - 1)
    total = len(pieces)
    while total > 1:
        widest = f"{crumb} (part {total}/{total})"
        pieces = pack(items, MAX_CHARS - len(widest) - 1 - reserve)
        if len(str(len(pieces))) <= len(str(total)):
            break
        total = len(pieces)
    chunks = []
    for index, piece in enumerate(pieces, 1):
        part = "" if len(pieces) == 1 else f" (part {index}/{len(pieces)})"
        label = crumb + part
        head = (heading or crumb) + part if index == 1 else label
        start, end = min(i.lineno for i in piece), max(i.lineno for i in piece)
        if span and len(pieces) == 1:
            start, end = span
        elif span and index == len(pieces):
            end = max(end, span[1])
        chunks.append(
            Chunk(
                content="\n".join([head] + [i.text for i in piece]),
                start_line=start,
                end_line=end,
                breadcrumb=label,
                section_type=section_type,
                chunk_type=chunk_type,
                symbol=symbol,
            )
        )
    return chunks


def window_chunks(
    prefix: str,
    lines: Iterable[str],
    *,
    first_line: int = 1,
    window: int = 40,
    chunk_type: str = "window",
    count: int | None = None,
) -> list[Chunk]:
    """Fallback chunks: windows of at most ``window`` lines, each within the budget.

    ``lines`` may be an iterator (a huge file is never held as one item per line); then
    ``count`` is its number of lines.
    """
    if count is None:
        lines = lines if isinstance(lines, list | tuple) else list(lines)
        count = len(lines)
    items = (Item(first_line + n, text) for n, text in enumerate(lines))
    last = first_line + count
    widest = f"{prefix}{SEP}lines {last}-{last}"
    chunks = []
    for piece in iter_pack(items, MAX_CHARS - len(widest) - 1, max_lines=window):
        start, end = piece[0].lineno, piece[-1].lineno
        crumb = f"{prefix}{SEP}lines {start}-{end}"
        content = "\n".join([crumb] + [i.text for i in piece])
        chunks.append(Chunk(content, start, end, crumb, "utility", chunk_type, None))
    return chunks
