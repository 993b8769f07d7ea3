"""Columnar ``--where`` evaluation: one column per metadata key, clauses as numpy masks.

``filters.matches`` tests one document at a time; over 100k chunks that is a second per
query. Here each key's values are read once (per catalog generation, on the first clause
that names the key) into arrays: numbers as float64, strings (and booleans) as codes into a
table of distinct lowercased texts, list values exploded into elements with the index of their
document. A clause is then evaluated on the distinct values (a dict look-up for ``=``, a
bisect for string ranges, a scan of distinct texts for ``~``) and spread to documents with
numpy. The semantics are exactly ``filters.matches``: the same private helpers decide each
distinct value, and anything unusual (a dict, a nested list, a value Python cannot order)
is decided by ``filters._compare`` itself.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import filters
from .filters import Clause, lookup

Mask = npt.NDArray[np.bool_]
_ORDERED = (">", ">=", "<", "<=")
_CACHED_MASKS = 64  # per Columns: recent clauses' masks (a search asks for the same ones several times)


class _Scalars:
    """Values of one key (one per document, or one per list element) in columnar form."""

    def __init__(self, values: Sequence[Any]) -> None:
        self.n = len(values)
        texts: dict[str, int] = {}
        text_code = np.full(self.n, -1, dtype=np.int32)  # str(value).lower() for numbers, bools, strings
        num_idx: list[int] = []
        num_val: list[float] = []
        str_idx: list[int] = []
        str_raw: dict[str, int] = {}  # distinct original strings (their order matters: dates)
        str_code: list[int] = []
        bool_idx: list[int] = []
        dict_idx: list[int] = []  # a mapping matches no clause, not even !=
        other_idx: list[int] = []
        for i, value in enumerate(values):
            if isinstance(value, bool):
                bool_idx.append(i)
            elif isinstance(value, int | float):
                try:
                    as_float = float(value)
                except OverflowError:  # an int too big for a float: _compare decides
                    other_idx.append(i)
                    continue
                num_idx.append(i)
                num_val.append(as_float)
            elif isinstance(value, str):
                str_idx.append(i)
                str_code.append(str_raw.setdefault(value, len(str_raw)))
            elif isinstance(value, dict):
                dict_idx.append(i)
                continue
            else:  # a nested list, None inside a list, anything else
                other_idx.append(i)
                continue
            text_code[i] = texts.setdefault(str(value).lower(), len(texts))
        self.texts = list(texts)
        self.text_of = texts  # lowered text -> code
        self.text_code = text_code
        self.is_str_or_bool = np.zeros(self.n, dtype=bool)
        self.is_str_or_bool[str_idx] = True
        self.is_str_or_bool[bool_idx] = True
        self.num_idx = np.array(num_idx, dtype=np.int64)
        self.num_val = np.array(num_val, dtype=np.float64)
        self.str_idx = np.array(str_idx, dtype=np.int64)
        self.str_code = np.array(str_code, dtype=np.int64)
        self.dict_idx = np.array(dict_idx, dtype=np.int64)
        self.other_idx = other_idx
        self.other_val = [values[i] for i in other_idx]
        self._strings = list(str_raw)
        self._orderable: _OrderableStrings | None = None
        self._lock = threading.Lock()

    def orderable(self) -> _OrderableStrings:
        if self._orderable is None:
            with self._lock:
                if self._orderable is None:
                    self._orderable = _OrderableStrings(self._strings)
        return self._orderable

    def compare(self, op: str, wanted: str) -> Mask:
        """``filters._compare(value, op, wanted)`` for every value."""
        if op == "~":
            out = self._contains(wanted.lower())
        elif op in ("=", "!="):
            options = [w.strip() for w in wanted.split(",")] if "," in wanted else [wanted]
            out = self._equal(options)
            if op == "!=":
                out = ~out  # the others are decided below
        else:
            out = np.zeros(self.n, dtype=bool)
            right = filters.number(wanted)
            if right is not None:
                out[self.num_idx] = _ordered(self.num_val, op, right)
            out[self.str_idx] = self.orderable().compare(op, wanted)[self.str_code]
        out[self.dict_idx] = False
        for i, value in zip(self.other_idx, self.other_val, strict=True):
            out[i] = filters._compare(value, op, wanted)  # the definition itself
        return out

    def _contains(self, part: str) -> Mask:
        hits = np.fromiter((part in t for t in self.texts), dtype=bool, count=len(self.texts))
        out = np.zeros(self.n, dtype=bool)
        has_text = self.text_code >= 0
        out[has_text] = hits[self.text_code[has_text]]
        return out

    def _equal(self, options: list[str]) -> Mask:
        """Strings and booleans: ``str(value).lower() == w.lower()``; numbers: ``float(value) == number(w)``."""
        hit = np.zeros(len(self.texts) + 1, dtype=bool)  # the last slot: no text (code -1)
        for w in options:
            code = self.text_of.get(w.lower())
            if code is not None:
                hit[code] = True
        out = hit[self.text_code] & self.is_str_or_bool
        out[self.num_idx] = self._num_equal(options)
        return out

    def _num_equal(self, options: list[str]) -> Mask:
        out = np.zeros(len(self.num_idx), dtype=bool)
        for w in options:
            num = filters.number(w)
            if num is not None:
                out |= self.num_val == num
        return out


class _OrderableStrings:
    """Distinct strings as ``filters._orderable`` reads them: dates as timestamps, the rest lowercased."""

    def __init__(self, strings: list[str]) -> None:
        self.n = len(strings)
        stamps = np.full(self.n, np.nan)
        self.is_stamp = np.zeros(self.n, dtype=bool)
        self.plus = np.array(["+" in s[10:] for s in strings], dtype=bool)  # see filters._orderable_like
        words: list[tuple[str, int]] = []
        self.odd: list[tuple[int, str]] = []  # an ordering Python would raise on: _compare decides
        for i, s in enumerate(strings):
            try:
                left = filters._orderable(s)
            except Exception:  # noqa: BLE001 - reproduced by _compare, below
                self.odd.append((i, s))
                continue
            if isinstance(left, float):
                stamps[i] = left
                self.is_stamp[i] = True
            elif isinstance(left, str):
                words.append((left, i))
        words.sort()
        self.stamps = stamps
        self.sorted_words = [w for w, _ in words]
        self.word_ids = np.array([i for _, i in words], dtype=np.int64)

    def compare(self, op: str, wanted: str) -> Mask:
        out = np.zeros(self.n, dtype=bool)
        for plus in (False, True):
            group = self.plus if plus else ~self.plus
            if not group.any():
                continue
            right = filters._orderable_like(wanted, "0123456789+" if plus else "")
            if isinstance(right, float):
                stamps = group & self.is_stamp
                out[stamps] = _ordered(self.stamps[stamps], op, right)
            elif isinstance(right, str):
                lo, hi = _word_range(self.sorted_words, op, right)
                picked = np.zeros(self.n, dtype=bool)
                picked[self.word_ids[lo:hi]] = True
                out |= picked & group
        for i, s in self.odd:
            out[i] = filters._compare(s, op, wanted)
        return out


def _word_range(words: list[str], op: str, right: str) -> tuple[int, int]:
    """The slice of sorted ``words`` holding those ``w`` with ``w op right``."""
    if op == ">":
        return bisect.bisect_right(words, right), len(words)
    if op == ">=":
        return bisect.bisect_left(words, right), len(words)
    if op == "<":
        return 0, bisect.bisect_left(words, right)
    return 0, bisect.bisect_right(words, right)


def _ordered(left: npt.NDArray[np.float64], op: str, right: float) -> Mask:
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    return left <= right


class _Column:
    """One dotted key over all documents: missing, scalar and list values."""

    def __init__(self, metadatas: Sequence[Mapping[str, Any]], key: str) -> None:
        n = len(metadatas)
        self.missing = np.zeros(n, dtype=bool)
        scalar_idx: list[int] = []
        scalars: list[Any] = []
        owners: list[int] = []
        elements: list[Any] = []
        list_idx: list[int] = []
        for i, md in enumerate(metadatas):
            value = lookup(md, key)
            if value is None or value == []:
                self.missing[i] = True
            elif isinstance(value, list):
                list_idx.append(i)
                owners.extend([len(list_idx) - 1] * len(value))
                elements.extend(value)
            else:
                scalar_idx.append(i)
                scalars.append(value)
        self.n = n
        self.scalar_idx = np.array(scalar_idx, dtype=np.int64)
        self.scalars = _Scalars(scalars)
        self.list_idx = np.array(list_idx, dtype=np.int64)
        self.owners = np.array(owners, dtype=np.int64)
        self.elements = _Scalars(elements)

    def compare(self, op: str, wanted: str) -> Mask:
        """``filters.matches`` of one clause on every document."""
        out = np.zeros(self.n, dtype=bool)
        out[self.missing] = op == "!="
        out[self.scalar_idx] = self.scalars.compare(op, wanted)
        if len(self.list_idx):
            hits = self.elements.compare(op, wanted)
            per_list = len(self.list_idx)
            if op == "!=":  # every element differs
                misses = np.bincount(self.owners[~hits], minlength=per_list)
                out[self.list_idx] = misses == 0
            else:  # any element matches
                out[self.list_idx] = np.bincount(self.owners[hits], minlength=per_list) > 0
        return out


class Columns:
    """Lazily built per-key columns over a fixed list of documents' metadata (thread-safe)."""

    def __init__(self, metadatas: Sequence[Mapping[str, Any]]) -> None:
        self.metadatas = metadatas
        self.n = len(metadatas)
        self._columns: dict[str, _Column] = {}
        self._masks: dict[Clause, Mask] = {}
        self._lock = threading.Lock()

    def column(self, key: str) -> _Column:
        column = self._columns.get(key)
        if column is None:
            with self._lock:
                column = self._columns.get(key)
                if column is None:
                    column = self._columns[key] = _Column(self.metadatas, key)
        return column

    def clause(self, clause: Clause) -> Mask:
        """Documents matching one clause (cached; do not modify the array)."""
        mask = self._masks.get(clause)
        if mask is None:
            mask = self.column(clause.key).compare(clause.op, clause.value)
            mask.flags.writeable = False
            with self._lock:
                if len(self._masks) >= _CACHED_MASKS:
                    self._masks.pop(next(iter(self._masks)))
                self._masks[clause] = mask
        return mask

    def mask(self, clauses: Sequence[Clause]) -> Mask:
        """Documents matching every clause: ``[filters.matches(md, clauses) for md in metadatas]``."""
        out = np.ones(self.n, dtype=bool)
        for clause in clauses:
            out &= self.clause(clause)
        return out
