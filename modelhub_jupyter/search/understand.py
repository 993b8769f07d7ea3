"""Filters from plain English, without an LLM.

``understand("pytorch transformers with more than 100M parameters trained on wikitext", vocab)``
gives ``framework.name=pytorch``, ``architecture_type=transformer``,
``model_dimensions.total_parameters>100000000``, ``dataset.name=wikitext`` and the words to rank
by. Sizes, counts, settings and dates are read by patterns and leave the ranked words; names
(frameworks, architectures, datasets, optimizers, samplers, checkpoints, weight formats) become
filters only when the catalog holds them, so a word is a filter only if some document has that
value, and stay in the ranked words (they still say what matters most). A query that is nothing
but one name ("sd15_castle_v1") is a lookup of everything about it, not a filter.
Every pattern is linear, and a query longer than :data:`MAX_CHARS` is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..schemas.canonical import WEIGHT_EXTENSIONS, canonical_checkpoint
from .filters import Clause, number

MAX_CHARS = 1000
#: Keys whose catalog values are recognised in a query, most specific first.
ENTITY_KEYS: tuple[str, ...] = (
    "framework.name", "architecture_type", "dataset.name", "training_config.optimizer",
    "sampler", "model_checkpoint", "weights.format",
)  # fmt: skip
#: Values too generic to be a filter when they appear as a word.
GENERIC = frozenset(
    "other none unknown custom model models data dataset default base train test main config "
    "image images code python yes no true false".split()
)
SYNONYMS: dict[str, tuple[str, str]] = {
    "torch": ("framework.name", "pytorch"),
    "tf": ("framework.name", "tensorflow"),
    "tensorflow2": ("framework.name", "tensorflow"),
    "huggingface": ("framework.name", "transformers"),
    "hf": ("framework.name", "transformers"),
    "llamacpp": ("framework.name", "llama.cpp"),
    "convnet": ("architecture_type", "cnn"),
    "convnets": ("architecture_type", "cnn"),
    "convolutional": ("architecture_type", "cnn"),
}

#: Words that name a kind of file: (pattern, filter, the section type the catalog must hold).
FILE_TYPES: tuple[tuple[str, Clause, str], ...] = (
    (r"\b(?:jupyter\s+)?notebooks?\b|\bipynb\b", Clause("filepath", "~", ".ipynb"), ""),
    (r"\b(?:config(?:uration)?s?|settings)\s+files?\b|\bconfigs\b", Clause("section_type", "=", "config"), "config"),
    (r"\bya?ml\s+files?\b", Clause("language", "=", "yaml"), ""),
    (r"\bjson\s+files?\b", Clause("language", "=", "json"), ""),
    (r"\btoml\s+files?\b", Clause("language", "=", "toml"), ""),
)  # fmt: skip

#: Words that name a kind of code: (pattern, the section type it selects). A filter even when it is
#: the whole query ("training loop" asks for training loops, not for every chunk that mentions one).
SECTION_WORDS: tuple[tuple[str, str], ...] = (
    (r"\btrain(?:ing)?\s+loops?\b", "training_loop"),
    (r"\b(?:eval(?:uation)?|validation|test)\s+loops?\b", "evaluation"),
)

# -- what a number counts ---------------------------------------------------------------------------
#: (pattern of the noun, key, whether a bare number means about that much rather than exactly,
#: whether its value is usually written after it: "lr 3e-4", "batch size of 64", "cfg 7")
NOUNS: tuple[tuple[str, str, bool, bool], ...] = (
    (r"param(?:eter)?s?|weights", "model_dimensions.total_parameters", True, False),
    (r"(?:transformer\s+)?(?:layers?|blocks?)", "model_dimensions.num_layers", False, False),
    (r"(?:attention\s+)?heads?", "model_dimensions.num_attention_heads", False, False),
    (r"hidden(?:\s+(?:size|dim(?:ension)?s?))?|d_model|embedding\s+dim(?:ension)?s?", "model_dimensions.hidden_size", False, True),
    (r"(?:sampling\s+|inference\s+)?steps?", "num_inference_steps", False, False),
    (r"cfg(?:\s+scale)?|guidance(?:\s+scale)?", "guidance_scale", False, True),
    (r"batch\s*size|batch", "training_config.batch_size", False, True),
    (r"learning\s+rate|lr", "training_config.learning_rate", False, True),
    (r"epochs?", "training_config.epochs", False, False),
    (r"seed", "seed", False, True),
)  # fmt: skip
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(?:thousand|million|billion|trillion|[kmbt](?![a-z]))?"
_CMP_WORDS = {
    ">": r"more\s+than|over|above|greater\s+than|larger\s+than|bigger\s+than|higher\s+than|exceeding|>",
    ">=": r"at\s+least|no\s+(?:less|fewer)\s+than|>=|≥|min(?:imum)?",
    "<": r"less\s+than|fewer\s+than|under|below|smaller\s+than|lower\s+than|<",
    "<=": r"at\s+most|no\s+more\s+than|up\s+to|<=|≤|max(?:imum)?",
    "=": r"exactly|=|of|:",
}
_CMP = "|".join(f"(?:{p})" for p in _CMP_WORDS.values())
_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
APPROX = 0.15  # "125M parameters": within 15% of it

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_DATE_KEY_WORDS = r"(?:(?P<verb>changed|modified|updated|edited|touched|committed|created|added|written)\s+)?"


@dataclass(frozen=True)
class Understood:
    """A query read as filters (``clauses``, each from ``phrases[i]``) plus the ``text`` to rank by."""

    query: str
    text: str
    clauses: tuple[Clause, ...] = ()
    phrases: tuple[str, ...] = ()

    @property
    def where(self) -> list[str]:
        return [str(c) for c in self.clauses]


def understand(
    query: str, vocabulary: Mapping[str, Sequence[tuple[str, int]]], today: date | None = None
) -> Understood:
    """Read ``query``; ``vocabulary`` maps keys to the catalog's (value, count) pairs."""
    query = query or ""
    if not query.strip() or len(query) > MAX_CHARS:
        return Understood(query, query.strip())
    reader = _Reader(query, today or datetime.now(UTC).date())
    reader.entities(vocabulary)  # first: "DPM++ 2M Karras" is a sampler, not 2M parameters
    reader.file_types(vocabulary)
    reader.between()
    reader.resolution()
    reader.comparisons()
    reader.sizes()
    reader.dates()
    return reader.result()


class _Reader:
    def __init__(self, query: str, today: date) -> None:
        self.query = query
        self.lower = query.lower()
        self.today = today
        self.taken = [False] * len(query)  # read as part of a filter
        self.removed = [False] * len(query)  # left out of the ranked words (values, dates)
        self.found: list[tuple[int, Clause, str, bool]] = []  # (position, clause, phrase, is a name)

    # -- bookkeeping ---------------------------------------------------------------------------
    def _free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def _take(self, match: re.Match[str], clauses: list[Clause]) -> None:
        start, end = match.span()
        for i in range(start, end):
            self.taken[i] = self.removed[i] = True
        phrase = self.query[start:end].strip()
        for clause in clauses:
            self.found.append((start, clause, phrase, False))

    def _each(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        return [m for m in pattern.finditer(self.lower) if self._free(*m.span())]

    # -- numbers -------------------------------------------------------------------------------
    def between(self) -> None:
        for noun, key, _, _ in NOUNS:
            before = re.compile(
                rf"\b(?:{noun})\s+(?:between|from)\s+({_NUM})\s+(?:and|to|-)\s+({_NUM})(?![\w.])"
            )
            after = re.compile(rf"\bbetween\s+({_NUM})\s+(?:and|to|-)\s+({_NUM})\s+(?:{noun})\b")
            for pattern in (before, after):
                for m in self._each(pattern):
                    low, high = _value(m.group(1)), _value(m.group(2))
                    if low is not None and high is not None:
                        low, high = min(low, high), max(low, high)
                        self._take(m, [Clause(key, ">=", _text(low)), Clause(key, "<=", _text(high))])

    def resolution(self) -> None:
        for m in self._each(re.compile(r"\b(\d{2,5})\s*[x×]\s*(\d{2,5})\b")):
            self._take(
                m, [Clause("resolution.width", "=", m.group(1)), Clause("resolution.height", "=", m.group(2))]
            )

    def comparisons(self) -> None:
        """Three passes, so a number goes with the noun it belongs to: nouns written before their
        value ("lr 3e-4 batch size of 64"), numbers before their noun ("12 layers 8 heads"),
        then the other nouns before a value ("params > 100M")."""
        for first in (True, False):
            for noun, key, approx, after in NOUNS:
                if first and after:
                    self._noun_first(noun, key, approx)
            if first:
                continue
            for noun, key, approx, _ in NOUNS:
                number_first = re.compile(
                    rf"(?:(?<!\w)({_CMP})\s*)?(?<![\w.])({_NUM})\s*(or\s+(?:more|less|fewer)\s+)?(?:{noun})\b"
                )
                for m in self._each(number_first):
                    self._compare(m, key, approx, m.group(1), m.group(2), m.group(3))
            for noun, key, approx, after in NOUNS:
                if not after:
                    self._noun_first(noun, key, approx)

    def _noun_first(self, noun: str, key: str, approx: bool) -> None:
        pattern = re.compile(rf"\b(?:{noun})\s*(?:(?:is|of|at)\s+)?({_CMP})?\s*(?<![\w.])({_NUM})(?![\w.])")
        for m in self._each(pattern):
            self._compare(m, key, approx, m.group(1), m.group(2), None)

    def _compare(
        self, m: re.Match[str], key: str, approx: bool, cmp: str | None, amount: str, tail: str | None
    ) -> None:
        value = _value(amount)
        if value is None:
            return
        op = _op(cmp)
        if tail:
            op = ">=" if "more" in tail else "<="
        if op == "=" and approx and value >= 1e5:
            low, high = value * (1 - APPROX), value * (1 + APPROX)
            self._take(m, [Clause(key, ">=", _text(low)), Clause(key, "<=", _text(high))])
        else:
            self._take(m, [Clause(key, op, _text(value))])

    def sizes(self) -> None:
        """``7b``, ``125M model``, ``a 1.3 billion model``: a parameter count with a unit, no noun."""
        pattern = re.compile(
            rf"(?:(?<!\w)({_CMP})\s*)?(?<![\w.])(\d+(?:\.\d+)?)\s*(million|billion|m|b)\b(?:\s+(?:models?|checkpoints?|llms?))?"
        )
        for m in self._each(pattern):
            self._compare(
                m, "model_dimensions.total_parameters", True, m.group(1), m.group(2) + m.group(3), None
            )

    # -- dates ---------------------------------------------------------------------------------
    def dates(self) -> None:
        year = r"(?:19|20)\d\d"
        month = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
        absolute = re.compile(
            rf"\b{_DATE_KEY_WORDS}(?P<prep>after|since|before|in|during|from)\s+"
            rf"(?:(?P<iso>{year}-\d\d-\d\d)|(?P<month>{month})\s+(?P<myear>{year})|(?P<year>{year}))\b"
        )
        for m in self._each(absolute):
            key = _date_key(m.group("verb"))
            if m.group("iso"):
                try:
                    start = date.fromisoformat(m.group("iso"))
                except ValueError:
                    continue
                end = start + timedelta(days=1)
            elif m.group("month"):
                first = date(int(m.group("myear")), _MONTHS[m.group("month")[:3]], 1)
                start, end = first, (first + timedelta(days=32)).replace(day=1)
            else:
                start, end = date(int(m.group("year")), 1, 1), date(int(m.group("year")) + 1, 1, 1)
            prep = m.group("prep")
            clauses = {
                "after": [Clause(key, ">=", end.isoformat())],
                "since": [Clause(key, ">=", start.isoformat())],
                "before": [Clause(key, "<", start.isoformat())],
            }.get(prep, [Clause(key, ">=", start.isoformat()), Clause(key, "<", end.isoformat())])
            self._take(m, clauses)
        relative = re.compile(
            rf"\b{_DATE_KEY_WORDS}(?:(?P<which>this|last|past|previous)\s+(?P<unit>week|month|year)"
            rf"|(?:in\s+)?the\s+(?:last|past)\s+(?P<n>\d{{1,4}})\s+(?P<units>days?|weeks?|months?|years?)"
            rf"|(?P<day>today|yesterday))\b"
        )
        for m in self._each(relative):
            key = _date_key(m.group("verb"))
            days = {"day": 1, "week": 7, "month": 31, "year": 366}
            if m.group("day"):
                since = self.today - timedelta(days=0 if m.group("day") == "today" else 1)
            elif m.group("n"):
                since = self.today - timedelta(days=int(m.group("n")) * days[m.group("units").rstrip("s")])
            elif m.group("which") == "this":
                unit = m.group("unit")
                since = {
                    "week": self.today - timedelta(days=self.today.weekday()),
                    "month": self.today.replace(day=1),
                    "year": self.today.replace(month=1, day=1),
                }[unit]
            else:
                since = self.today - timedelta(days=days[m.group("unit")])
            self._take(m, [Clause(key, ">=", since.isoformat())])

    # -- kinds of file ---------------------------------------------------------------------------
    def file_types(self, vocabulary: Mapping[str, Sequence[tuple[str, int]]]) -> None:
        """``notebooks``, ``configs``, ``yaml files``: a filter on the file, read like a name;
        ``training loop``: a filter on the kind of code."""
        sections = {v.lower() for v, _ in vocabulary.get("section_type", ())}
        for pattern, clause, needs in FILE_TYPES:
            if needs and needs not in sections:
                continue
            for m in self._each(re.compile(pattern)):
                for i in range(*m.span()):
                    self.taken[i] = True
                self.found.append((m.start(), clause, self.query[m.start() : m.end()], True))
        for pattern, section in SECTION_WORDS:
            if section not in sections or any(f[1].key == "section_type" for f in self.found):
                continue  # "config files for the training loop": one section filter, the first
            for m in self._each(re.compile(pattern)):
                for i in range(*m.span()):
                    self.taken[i] = True  # still ranked by: the words say what the code does
                clause = Clause("section_type", "=", section)
                self.found.append((m.start(), clause, self.query[m.start() : m.end()], False))

    # -- names from the catalog ----------------------------------------------------------------
    def entities(self, vocabulary: Mapping[str, Sequence[tuple[str, int]]]) -> None:
        names: dict[str, list[tuple[str, str]]] = {}  # normalised term -> [(key, value)]
        for key in ENTITY_KEYS:
            for value, _count in vocabulary.get(key, ()):
                norm = _norm(value)
                if len(norm) < 2 or norm in GENERIC or norm.isdigit():
                    continue
                names.setdefault(norm, []).append((key, value))
                if key == "architecture_type":  # "transformers", "gans", "cnns"
                    names.setdefault(norm + "s", []).append((key, value))
                if key == "model_checkpoint":  # "dreamshaper_8", "dreamshaper_8.safetensors": one checkpoint
                    stem = _norm(canonical_checkpoint(value))
                    spellings = {stem} | {stem + _norm(ext) for ext in WEIGHT_EXTENSIONS}
                    for spelling in sorted(spellings - {norm}) if len(stem) >= 3 else ():
                        names.setdefault(spelling, []).append((key, value))
        known = {(k, v.lower()): v for opts in names.values() for k, v in opts}
        for word, (key, value) in SYNONYMS.items():
            if (key, value) in known:
                names.setdefault(word, []).append((key, known[(key, value)]))
        if not names:
            return
        words = [(m.start(), m.end()) for m in re.finditer(r"[^\s,;()\[\]{}\"']+", self.query)]
        frameworks = {n for n, opts in names.items() if any(k == "framework.name" for k, _ in opts)}
        picked: list[tuple[int, int, str, str]] = []
        i = 0
        while i < len(words):
            for width in (4, 3, 2, 1):
                span = words[i : i + width]
                if len(span) < width:
                    continue
                start, end = span[0][0], span[-1][1]
                norm = _norm(self.query[start:end])
                options = names.get(norm)
                if not options or not self._free(start, end):
                    continue
                key, value = self._choose(norm, options, frameworks)
                picked.append((start, end, key, value))
                i += width - 1
                break
            i += 1
        by_key: dict[str, list[tuple[int, int, str]]] = {}
        for start, end, key, value in picked:
            by_key.setdefault(key, []).append((start, end, value))
        for key, spots in by_key.items():
            values = list(dict.fromkeys(v for _, _, v in spots))
            clause = Clause(key, "=", ",".join(values))
            for n, (start, end, _) in enumerate(spots):
                for j in range(start, end):
                    self.taken[j] = True
                if n == 0:
                    phrase = " ".join(self.query[s:e] for s, e, _ in spots)
                    self.found.append((start, clause, phrase, True))

    def _choose(self, norm: str, options: list[tuple[str, str]], frameworks: set[str]) -> tuple[str, str]:
        """One reading of a term: a framework named alongside another framework ("pytorch
        transformers") is read as the other key it could be (an architecture)."""
        if len(options) > 1 and options[0][0] == "framework.name":
            others = [
                f
                for f in frameworks
                if f != norm and re.search(rf"(?<![a-z0-9]){re.escape(f)}(?![a-z0-9])", _plain(self.lower))
            ]
            if others:
                return options[1]
        return options[0]

    # -- the result ----------------------------------------------------------------------------
    def result(self) -> Understood:
        self._take_connectors()
        text = "".join(c if not r else " " for c, r in zip(self.query, self.removed, strict=True))
        text = re.sub(r"\s+", " ", text).strip(" ,;")
        found = sorted(self.found, key=lambda f: f[0])
        if len(found) == 1 and found[0][3] and not self._words_besides_names():
            found = []  # "sd15_castle_v1" alone: everything about it, not a filter
        return Understood(self.query, text, tuple(f[1] for f in found), tuple(f[2] for f in found))

    def _words_besides_names(self) -> bool:
        rest = "".join(c if not t else " " for c, t in zip(self.lower, self.taken, strict=True))
        return bool(set(re.findall(r"[a-z0-9]+", rest)) - _CONNECTOR_WORDS)

    def _take_connectors(self) -> None:
        """Words that only introduced a value ("with more than", "changed in") go with it."""
        if not any(self.removed):
            return
        changed = True
        while changed:
            changed = False
            for m in _CONNECTORS.finditer(self.lower):
                start, end = m.span()
                if any(self.removed[start:end]):
                    continue
                left = _neighbour(self.query, self.removed, start - 1, -1)
                right = _neighbour(self.query, self.removed, end, 1)
                if left or right:
                    for j in range(start, end):
                        self.removed[j] = True
                    changed = True


_CONNECTOR_WORDS = frozenset(
    "trained fine tuned finetuned on using uses use with having has that which of and or in by "
    "model models file files checkpoint checkpoints written built made a an the".split()
)
_CONNECTORS = re.compile(
    r"\b(?:trained\s+on|fine-?tuned\s+on|using|uses|use|with|having|has|that|which|on|of|and|or|in|by"
    r"|models?|files?|checkpoints?|written\s+in|built\s+with|made\s+with|a|an|the)\b"
)


def _neighbour(text: str, taken: list[bool], i: int, step: int) -> bool:
    """Whether the next non-space character from ``i`` (moving by ``step``) is taken."""
    while 0 <= i < len(text) and text[i].isspace():
        i += step
    return 0 <= i < len(text) and taken[i]


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _value(text: str) -> float | None:
    text = text.strip().replace(",", "")
    for word, scale in _WORDS.items():
        if text.endswith(word):
            base = number(text[: -len(word)].strip())
            return None if base is None else base * scale
    return number(text.replace(" ", ""))


def _text(value: float) -> str:
    if value >= 1e4 or abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:g}"


def _op(cmp: str | None) -> str:
    if not cmp:
        return "="
    cmp = re.sub(r"\s+", " ", cmp.strip())
    for op, pattern in _CMP_WORDS.items():
        if re.fullmatch(pattern, cmp):
            return op
    return "="


def _date_key(verb: str | None) -> str:
    return "creation_date" if verb in ("created", "added", "written") else "last_modified_date"
