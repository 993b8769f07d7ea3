"""A model directory (config.json, weights, model card, tokenizer_config.json, metadata.json) -> one Extracted.

Sources are read in precedence order and the first evidence for a key wins:
``metadata.json`` (the owner's own words) > ``README.md`` front matter > ``config.json`` /
``model_index.json`` > ``tokenizer_config.json`` > weight headers. Tags are merged from all.
A broken file inside the directory becomes a one-line warning; the rest is still read.

Everything in the folder is hostile, so every read is bounded: JSON files over
:data:`JSON_MAX_BYTES` are skipped with a warning, only the first :data:`CARD_MAX_BYTES` of the
card are read, its YAML front matter is checked (size, nesting, aliases and the node count
after alias expansion) before it is built, ``vocab.txt`` is only counted when small, and
values of the wrong type are ignored at every level.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import one_line
from ..vocabulary import flatten
from .confine import allowed, present
from .types import Chunk, Extracted, ParseError
from .weights import (
    CHUNK_CHARS,
    WEIGHT_SUFFIXES,
    WeightInfo,
    architecture_type_of,
    file_label,
    inspect_weight_file,
    size_text,
    summary_chunk,
    value_error_reason,
)

JSON_MAX_BYTES = 20 * 1024 * 1024  # config.json, *.index.json, ... (as the scanner's file limit)
CARD_MAX_BYTES = 1024 * 1024  # README.md: only this much is read (the rest is not chunked)
FRONT_MATTER_MAX_BYTES = 512 * 1024  # YAML front matter larger than this is not parsed
YAML_MAX_DEPTH = 64  # nesting levels of the front matter
YAML_MAX_ALIASES = 1_000  # "*alias" references (real cards use none)
YAML_MAX_NODES = 100_000  # nodes of the front matter with every alias expanded (alias bombs)
CARD_MAX_METRICS = 200  # model-index metrics looked at
VOCAB_MAX_BYTES = 16 * 1024 * 1024  # vocab.txt is counted only up to this size
MAX_DIMENSION = 10**15  # a config dimension above this is not a dimension
MAX_NAME_CHARS = 256  # model_type, architectures, class names, licences, ...

# huggingface_hub repocard.py
REGEX_YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")

_NOT_MODEL_WEIGHTS = {"training_args.bin", "optimizer.pt", "optimizer.bin", "scheduler.pt", "scaler.pt"}
_VARIANT = re.compile(r"\.(fp16|fp32|bf16|non_ema|ema)(?=\.[a-z]+$)")
_GGUF_SHARD = re.compile(r"-\d{5}-of-\d{5}(?=\.gguf$)")
_MAX_WEIGHT_FILES = 200
_HF_MAX_LENGTH_SENTINEL = 10**12  # tokenizers without a limit store int(1e30)

_DIMENSION_KEYS: dict[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_size", "n_embd", "d_model", "dim", "embed_dim"),
    "num_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads", "n_heads", "encoder_attention_heads"),
    "vocab_size": ("vocab_size", "n_vocab", "padded_vocab_size"),
    "context_length": ("max_position_embeddings", "n_positions", "n_ctx", "max_seq_len", "max_sequence_length",
                       "seq_length", "max_seq_length"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_dim", "d_ff", "encoder_ffn_dim"),
}  # fmt: skip
_PREDECESSOR_KEYS = ("predecessor_models", "predecessor_model", "predecessor", "base_model", "parent_model",
                     "based_on", "fine_tuned_from")  # fmt: skip


# --------------------------------------------------------------------------- small helpers


def _str_list(value: Any) -> list[str] | None:
    """A string or a list of plain values as a list of strings (at most 200 of 1,000 characters)."""
    if isinstance(value, str) and value.strip():
        return [value.strip()[:1000]]
    if isinstance(value, list):
        out = [
            str(v).strip()[:1000]
            for v in value[:200]
            if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip()
        ]
        return out or None
    return None


def _pos_int(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_DIMENSION
    return value if ok else None


def _name(value: Any) -> str | None:
    """A short, non-empty identifier-like string (model_type, a class name, a licence id), else None."""
    if isinstance(value, str) and value.strip() and len(value) <= MAX_NAME_CHARS:
        return value.strip()
    return None


def _number(value: Any) -> float | int | None:
    """A metric value: numbers as they are, strings like "20.0 ± 1.2" -> 20.0, anything else -> None."""
    if isinstance(value, bool):
        return None
    number: float | int | None = None
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str) and len(value) <= 100:
        m = re.match(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", value)
        if m:
            number = float(m.group(1))
    if number is None or abs(number) > MAX_DIMENSION or not math.isfinite(number):
        return None  # NaN, infinities and 400-digit integers are not metric values
    return number


def _metric_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return {"acc": "accuracy", "ppl": "perplexity"}.get(key, key)


def _set_metric(ex: Extracted, name: Any, value: Any, where: str) -> bool:
    """Set ``performance.<name>`` unless already known; True when it was set."""
    number = _number(value)
    key = _metric_key(name) if isinstance(name, str) and len(name) <= 100 else ""
    if number is None or not key or key == "eval_dataset" or f"performance.{key}" in ex.provenance:
        return False
    if key == "accuracy" and 1 < number <= 100:  # a percentage: the schema keeps accuracy in [0, 1]
        number, where = round(number / 100, 6), f"{where}, {number}% as a fraction"
    ex.set(f"performance.{key}", number, where)
    return True


def _read_prefix(path: Path, limit: int, *, skip_over: int | None = None) -> tuple[str, int]:
    """At most ``limit`` bytes of a text file (decoded, newlines normalised) and the file's size.

    With ``skip_over``, a file whose size is larger is not read at all (the text is empty).
    """
    if not allowed(path):
        raise OSError(errno.EACCES, "symlink leaves the indexed folder")
    with path.open("rb") as fp:
        size = os.fstat(fp.fileno()).st_size
        if skip_over is not None and size > skip_over:
            return "", size
        data = fp.read(min(limit, size + 1) if size else limit)  # read(n) allocates n bytes first
    text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n"), max(size, len(data))


def _count_newlines(path: Path, limit: int) -> tuple[int, bool]:
    """Newlines in the first ``limit`` bytes of a file, read in 1 MB blocks (never the whole
    file), and whether the last byte read is a newline."""
    count, last, left = 0, b"", limit
    if not allowed(path):
        raise OSError(errno.EACCES, "symlink leaves the indexed folder")
    with path.open("rb") as fp:
        while left > 0 and (block := fp.read(min(left, 1 << 20))):
            count += block.count(b"\n")
            last, left = block, left - len(block)
    return count, last.endswith(b"\n")


def _load_json(path: Path, ex: Extracted) -> dict | None:
    """Parse a JSON object; problems (and files over :data:`JSON_MAX_BYTES`) become warnings."""
    if not present(path):
        return None
    try:
        text, size = _read_prefix(path, JSON_MAX_BYTES + 1, skip_over=JSON_MAX_BYTES)
    except OSError as err:
        ex.warnings.append(f"{path.name}: cannot read ({err.strerror or type(err).__name__})")
        return None
    if size > JSON_MAX_BYTES:
        ex.warnings.append(
            f"{path.name} is {size_text(size)}, over the {size_text(JSON_MAX_BYTES)} limit; not read"
        )
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        ex.warnings.append(
            f"{path.name}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        )
        return None
    except (ValueError, RecursionError) as err:  # a 5,000-digit number, 100,000 nested lists
        ex.warnings.append(f"{path.name}: not valid JSON ({value_error_reason(err)})")
        return None
    if not isinstance(data, dict):
        ex.warnings.append(f"{path.name}: expected a JSON object, found {type(data).__name__}")
        return None
    return data


def _model_id(path: Path) -> str:
    # Hugging Face cache: models--org--name/snapshots/<sha>
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        return path.parent.parent.name.removeprefix("models--").replace("--", "/")
    return path.name


# --------------------------------------------------------------------------- metadata.json (seed 004)


def _apply_metadata_json(ex: Extracted, meta: dict, file: str, tags: list[tuple[list[str], str]]) -> None:
    def w(key: str) -> str:
        return f"{file} ({key})"

    for key in ("display_name", "description", "version", "license", "author"):
        value = meta.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            ex.set(key, str(value).strip()[:2000], w(key), overwrite=False)
    for key in ("use_cases", "specialized_domains", "language_support"):
        ex.set(key, _str_list(meta.get(key)), w(key), overwrite=False)
    if _str_list(meta.get("tags")):
        tags.append((_str_list(meta.get("tags")) or [], w("tags")))
    metrics = meta.get("performance_metrics")
    if isinstance(metrics, dict):
        for name, value in list(metrics.items())[:CARD_MAX_METRICS]:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                _set_metric(ex, name, value, w(f"performance_metrics.{name}"))
    for group in ("resource_requirements", "optimization_settings"):
        block = meta.get(group)
        if isinstance(block, dict):
            for name, value in list(block.items())[:CARD_MAX_METRICS]:
                if isinstance(value, list) and not all(isinstance(v, (str, int, float, bool)) for v in value):
                    continue  # only flat lists of plain values
                if isinstance(value, str):
                    value = value[:1000]
                elif isinstance(value, list):
                    value = value[:200]
                elif (
                    isinstance(value, (int, float)) and not isinstance(value, bool) and _number(value) is None
                ):
                    continue  # NaN, infinities, 400-digit integers
                if isinstance(value, (str, int, float, bool, list)) and 0 < len(str(name).strip()) <= 100:
                    ex.set(f"{group}.{_metric_key(str(name))}", value, w(f"{group}.{name}"), overwrite=False)
    for key in _PREDECESSOR_KEYS:
        found = _str_list(meta.get(key))
        if found:
            ex.set("predecessor_models", found, w(key), overwrite=False)
            break


# --------------------------------------------------------------------------- model card


_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_INT_MAX_CHARS = 4_000  # a longer int scalar is refused (Python's own limit is 4,300 digits)


class _CardLoader(_YAML_LOADER):
    """The safe loader, with its scalar constructors failing only with ValueError.

    PyYAML's own raise KeyError (``!!bool maybe``), IndexError (``!!int ""``), AttributeError
    (``!!timestamp x``) or OverflowError (a long base-60 float) on scalars Python cannot make a
    value of, and take quadratic time on a long base-60 int (``1:1:1:...``: 10 s for 400 KB).
    """


def _strict(kind: str, construct: Any) -> Any:
    def constructor(loader: Any, node: Any) -> Any:
        if kind == "int" and isinstance(node, yaml.ScalarNode) and len(node.value) > YAML_INT_MAX_CHARS:
            raise ValueError("a number has too many digits")
        try:
            return construct(loader, node)
        except (LookupError, AttributeError, ArithmeticError):  # ArithmeticError: 1:1:...:1.5 overflows
            raise ValueError(f"not a valid {kind}: {node.value[:40]!r}") from None

    return constructor


for _kind in ("int", "float", "bool", "timestamp"):
    _tag = f"tag:yaml.org,2002:{_kind}"
    _CardLoader.add_constructor(_tag, _strict(_kind, _YAML_LOADER.yaml_constructors[_tag]))


class _YamlRefused(Exception):
    """Front matter that is valid YAML but too big, too deep or too aliased to build."""


def _load_front_matter(text: str) -> Any:
    """``yaml.safe_load`` with bounds, checked on the event stream before anything is built.

    Refuses (:class:`_YamlRefused`) more than :data:`YAML_MAX_DEPTH` nesting levels, more than
    :data:`YAML_MAX_ALIASES` aliases, or more than :data:`YAML_MAX_NODES` nodes once every alias
    is expanded: ``&a [x, x, ...]`` / ``&b [*a, *a, ...]`` "billion laughs" chains are cheap to
    build (aliases share objects) but every later walk over them would pay for the expansion.
    """
    if len(text) > FRONT_MATTER_MAX_BYTES:
        raise _YamlRefused(f"{size_text(len(text))}, over the {size_text(FRONT_MATTER_MAX_BYTES)} limit")
    anchored: dict[str, int] = {}  # anchor -> size of its node with aliases expanded
    open_nodes: list[list[Any]] = []  # [expanded size so far, anchor] of each open collection
    expanded = aliases = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) >= YAML_MAX_DEPTH:
                raise _YamlRefused(f"nested more than {YAML_MAX_DEPTH} levels deep")
            open_nodes.append([1, event.anchor])
            size = 1
        elif isinstance(event, yaml.CollectionEndEvent):
            total, anchor = open_nodes.pop()
            if anchor is not None:
                anchored[anchor] = total
            if open_nodes:
                open_nodes[-1][0] += total
            continue
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > YAML_MAX_ALIASES:
                raise _YamlRefused(f"more than {YAML_MAX_ALIASES:,} aliases")
            size = anchored.get(event.anchor or "", 1)
            if open_nodes:
                open_nodes[-1][0] += size
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor is not None:
                anchored[event.anchor] = 1
            if open_nodes:
                open_nodes[-1][0] += size
        else:
            continue
        expanded += size
        if expanded > YAML_MAX_NODES:
            raise _YamlRefused(f"more than {YAML_MAX_NODES:,} nodes once aliases are expanded")
    return yaml.load(text, Loader=_CardLoader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)


class _Card:
    """README.md split into front matter (with line lookup) and body lines."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.front: dict | None = None
        self.front_error: str | None = None
        self.fm_first = self.fm_last = 0  # 1-based lines of the YAML between the fences
        self.body_first = 1
        m = REGEX_YAML_BLOCK.search(text)
        if not m:
            return
        self.fm_first = m.group(1).count("\n") + 1
        self.fm_last = self.fm_first + m.group(2).count("\n")
        self.body_first = text[: m.end()].count("\n") + 1 + (0 if m.group(0).endswith("\n") else 1)
        try:
            data = _load_front_matter(m.group(2))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            problem = getattr(err, "problem", None) or "cannot parse"
            last = m.group(2).count("\n")  # libyaml puts "end of stream" on a line past the text
            at = f" at line {self.fm_first + min(mark.line, last)}" if mark is not None else ""
            self.front_error = (
                f"README.md: front matter is not valid YAML ({one_line(str(problem))[:120]}{at})"
            )
            return
        except _YamlRefused as err:
            self.front_error = f"README.md: front matter not read ({err})"
            return
        except (ValueError, TypeError, OverflowError, RecursionError) as err:  # e.g. int() of 5,000 digits
            self.front_error = f"README.md: front matter is not valid YAML ({value_error_reason(err)})"
            return
        if data is None:
            return
        if not isinstance(data, dict):
            self.front_error = f"README.md: front matter is a {type(data).__name__}, not a mapping"
            return
        self.front = data

    def key_line(self, key: str) -> int:
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        for i in range(self.fm_first, self.fm_last + 1):
            if pattern.match(self.lines[i - 1]):
                return i
        return self.fm_first or 1

    def find_after(self, start: int, needle: str) -> int:
        for i in range(start, self.fm_last + 1):
            if needle in self.lines[i - 1]:
                return i
        return start


def _apply_card(ex: Extracted, card: _Card, file: str, tags: list[tuple[list[str], str]]) -> None:
    fm = card.front or {}

    def w(key: str) -> str:
        return f"{file}:{card.key_line(key)}"

    license_ = _name(fm.get("license"))
    if license_ == "other" and _name(fm.get("license_name")):
        ex.set("license", _name(fm.get("license_name")), w("license_name"), overwrite=False)
    elif license_:
        ex.set("license", license_, w("license"), overwrite=False)
    if _str_list(fm.get("tags")):
        tags.append((_str_list(fm.get("tags")) or [], w("tags")))
    datasets = _str_list(fm.get("datasets"))
    ex.set("datasets", datasets, w("datasets"), overwrite=False)
    if datasets:
        ex.set("dataset.name", datasets[0], w("datasets"), overwrite=False)
    base = fm.get("base_model")
    if _name(base):
        ex.set("base_model", _name(base), w("base_model"), overwrite=False)
    elif _str_list(base):
        ex.set("base_model", _str_list(base), w("base_model"), overwrite=False)
    ex.set("predecessor_models", _str_list(base), w("base_model"), overwrite=False)
    for key in ("pipeline_tag", "library_name"):
        if _name(fm.get(key)):
            ex.set(key, _name(fm.get(key)), w(key), overwrite=False)
    if _name(fm.get("library_name")):
        ex.set("framework.name", _name(fm.get("library_name")), w("library_name"), overwrite=False)
    ex.set("language", _str_list(fm.get("language")), w("language"), overwrite=False)
    index = fm.get("model-index")
    if isinstance(index, list):
        start = card.key_line("model-index")
        seen = 0
        for entry in index:
            results = entry.get("results") if isinstance(entry, dict) else None
            for result in results if isinstance(results, list) else []:
                if not isinstance(result, dict):
                    continue
                dataset = result.get("dataset")
                ds = dataset if isinstance(dataset, dict) else {}
                ds_name = _name(ds.get("name")) or _name(ds.get("type"))
                metrics = result.get("metrics")
                for metric in metrics if isinstance(metrics, list) else []:
                    seen += 1
                    if seen > CARD_MAX_METRICS:
                        return _apply_card_body(ex, card, file)
                    if not isinstance(metric, dict):
                        continue
                    mtype = _name(metric.get("type")) or _name(metric.get("name"))
                    line = card.find_after(start, f"type: {mtype}") if mtype else start
                    if _set_metric(ex, mtype, metric.get("value"), f"{file}:{line}") and isinstance(
                        ds_name, str
                    ):
                        ex.set("performance.eval_dataset", ds_name, f"{file}:{line}", overwrite=False)
    _apply_card_body(ex, card, file)


_FENCE = re.compile(r"^\s*(```|~~~)")


def _heading(line: str) -> tuple[int, str] | None:
    r"""``(level, text)`` of an ATX heading, as ``^(#{1,6})\s+(.+?)\s*#*\s*$`` would match it.

    That regex backtracks quadratically on ``"# a" + " " * 40_000 + "b"``; this is linear.
    """
    level = len(line) - len(line.lstrip("#"))
    rest = line[level:]
    if not 1 <= level <= 6 or len(rest) < 2 or not rest[0].isspace():
        return None
    body = rest.lstrip()
    if not body:
        return level, rest[-1]  # only whitespace after the hashes: the regex keeps one space
    text = body.rstrip().rstrip("#").rstrip()  # a closing "###" and the spaces around it
    return level, text or body[0]


def _sections(card: _Card) -> list[tuple[int, str | None, list[str], int, int]]:
    """Body -> [(level, heading, lines, start_line, end_line)], headings inside code fences ignored."""
    sections: list[tuple[int, str | None, list[str], int, int]] = []
    buf: list[str] = []
    level, heading, start = 0, None, card.body_first
    in_fence = False
    for lineno in range(card.body_first, len(card.lines) + 1):
        line = card.lines[lineno - 1]
        if _FENCE.match(line):
            in_fence = not in_fence
        found = None if in_fence else _heading(line)
        if found:
            if buf:
                sections.append((level, heading, buf, start, lineno - 1))
            level, heading, buf, start = found[0], found[1].strip(), [line], lineno
        else:
            buf.append(line)
    if buf:
        sections.append((level, heading, buf, start, start + len(buf) - 1))
    return sections


def _paragraphs(lines: list[str], first_line: int) -> list[tuple[list[str], int]]:
    """Split on blank lines outside code fences -> [(lines, start_line)]."""
    out: list[tuple[list[str], int]] = []
    cur: list[str] = []
    cur_start = first_line
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if cur:
                out.append((cur, cur_start))
            cur = []
            continue
        if not cur:
            cur_start = first_line + i
        cur.append(line)
    if cur:
        out.append((cur, cur_start))
    return out


def _pieces(paragraphs: list[tuple[list[str], int]], limit: int) -> list[tuple[str, int, int]]:
    """Pack paragraphs into texts ≤ limit characters -> [(text, start_line, end_line)].

    A paragraph longer than the limit (a big table or code block) is cut between lines, and a
    line longer than the limit is cut into pieces.
    """
    units: list[tuple[str, int, int, str]] = []  # (text, start, end, glue to the previous unit)
    for lines, start in paragraphs:
        text = "\n".join(lines)
        if len(text) <= limit:
            units.append((text, start, start + len(lines) - 1, "\n\n"))
            continue
        glue = "\n\n"
        for offset, line in enumerate(lines):
            for k in range(0, max(len(line), 1), limit):
                units.append((line[k : k + limit], start + offset, start + offset, glue))
                glue = "\n" if k + limit >= len(line) else ""
    pieces: list[tuple[str, int, int]] = []
    for text, start, end, glue in units:
        if pieces and len(pieces[-1][0]) + len(glue) + len(text) <= limit:
            prev = pieces[-1]
            pieces[-1] = (prev[0] + glue + text, prev[1], end)
        else:
            pieces.append((text, start, end))
    return pieces


def _apply_card_body(ex: Extracted, card: _Card, file: str) -> None:
    trail: dict[int, str] = {}
    for level, heading, lines, start, _end in _sections(card):
        if heading is not None:
            trail = {lv: h for lv, h in trail.items() if lv < level}
            trail[level] = heading
            if level == 1 and not ex.get("display_name") and len(heading) <= 120:
                ex.set("display_name", heading, f"{file}:{start}", overwrite=False)
        body = lines[1:] if heading is not None else lines
        if not any(line.strip() for line in body):
            continue  # a heading directly followed by a sub-heading
        shown = (
            [trail[lv] for lv in sorted(trail) if lv > 1 or len(trail) == 1] if heading is not None else []
        )
        breadcrumb = " › ".join([file, *shown])
        if not ex.get("description"):
            _description_from(ex, body, start + (1 if heading is not None else 0), file)
        prefix = (lines[0].strip() + "\n") if heading is not None else ""
        first = start + (1 if heading is not None else 0)
        for n, (text, p_start, p_end) in enumerate(
            _pieces(_paragraphs(body, first), CHUNK_CHARS - len(prefix))
        ):
            chunk_start = start if n == 0 and heading is not None else p_start
            ex.chunks.append(
                Chunk(
                    content=_as_written(card.lines, chunk_start, p_end, prefix + text),
                    start_line=chunk_start,
                    end_line=p_end,
                    breadcrumb=breadcrumb,
                    section_type="utility",
                    chunk_type="card",
                    symbol=heading,
                )
            )


def _as_written(lines: list[str], start: int, end: int, text: str) -> str:
    """The card's lines ``start..end`` as written (blank lines kept, so the cited range is what the
    chunk shows) when they hold exactly ``text``'s lines; else ``text`` (a cut of a long line)."""
    written = lines[start - 1 : end]
    if [ln for ln in written if ln.strip()] == [ln for ln in text.split("\n") if ln.strip()]:
        return "\n".join(written)
    return text


def _description_from(ex: Extracted, body: list[str], first: int, file: str) -> None:
    """The first prose paragraph of the card (no code, tables, images, HTML) as a short description."""
    for lines, start in _paragraphs(body, first):
        text = " ".join(line.strip() for line in lines)[:2000]  # enough for 300 characters of prose
        if not text or text[0] in "`|<!#>-*[" or text.startswith("```"):
            continue
        text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
        text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text).strip()
        if len(text) < 20:
            continue
        ex.set(
            "description",
            text if len(text) <= 300 else text[:299].rstrip() + "…",
            f"{file}:{start}",
            overwrite=False,
        )
        return


# --------------------------------------------------------------------------- config.json / tokenizer


def _apply_config(ex: Extracted, config: dict, file: str, *, diffusers_index: bool = False) -> bool:
    """Apply config.json / model_index.json; returns True when the model has a vision tower."""

    def w(key: str) -> str:
        return f"{file} ({key})"

    found_text_config = config.get("text_config")
    text_config = found_text_config if isinstance(found_text_config, dict) else {}
    model_type = _name(config.get("model_type")) or _name(text_config.get("model_type"))
    found = config.get("architectures")
    found = [found] if isinstance(found, str) else found if isinstance(found, list) else []
    architectures = [a for a in (_name(a) for a in found[:100]) if a]
    class_name = _name(config.get("_class_name"))
    is_diffusers = diffusers_index or "_diffusers_version" in config
    ex.set("model_family", model_type, w("model_type"), overwrite=False)
    if is_diffusers and class_name:  # a pipeline or component class: StableDiffusionXLPipeline, AutoencoderKL
        ex.set("model_family", class_name, w("_class_name"), overwrite=False)
    if architectures:
        ex.set("architecture", architectures[0], w("architectures"), overwrite=False)
    elif class_name:
        ex.set("architecture", class_name, w("_class_name"), overwrite=False)
    kind = architecture_type_of(model_type, *architectures, class_name, diffusers=is_diffusers)
    source = "_class_name" if is_diffusers else ("model_type" if model_type else "architectures")
    ex.set("architecture_type", kind, w(source), overwrite=False)
    if is_diffusers:
        ex.set("framework.name", "diffusers", w("_diffusers_version"), overwrite=False)
    for dim, keys in _DIMENSION_KEYS.items():
        for scope, prefix in ((config, ""), (text_config, "text_config.")):
            hit = next((k for k in keys if _pos_int(scope.get(k))), None)
            if hit:
                ex.set(f"model_dimensions.{dim}", scope[hit], w(prefix + hit), overwrite=False)
                break
    if (
        model_type == "gpt2"
        and "n_inner" in config
        and config["n_inner"] is None
        and _pos_int(config.get("n_embd"))
    ):
        ex.set("model_dimensions.intermediate_size", 4 * config["n_embd"], w("n_inner = null → 4 × n_embd"),
               overwrite=False)  # fmt: skip
    quant = config.get("quantization_config")
    if isinstance(quant, dict) and _name(quant.get("quant_method")):
        ex.set(
            "quantization",
            _name(quant["quant_method"]),
            w("quantization_config.quant_method"),
            overwrite=False,
        )
    return isinstance(config.get("vision_config"), dict)


def _apply_tokenizer(ex: Extracted, tok: dict | None, dir_path: Path, file: str) -> None:
    def w(key: str) -> str:
        return f"{file} ({key})"

    has_template = False
    if tok is not None:
        if _name(tok.get("tokenizer_class")):
            ex.set("tokenizer.class", _name(tok["tokenizer_class"]), w("tokenizer_class"), overwrite=False)
        length = _pos_int(tok.get("model_max_length"))
        if length and length < _HF_MAX_LENGTH_SENTINEL:
            ex.set("tokenizer.model_max_length", length, w("model_max_length"), overwrite=False)
        has_template = bool(tok.get("chat_template"))
        if has_template:
            ex.set("tokenizer.has_chat_template", True, w("chat_template"), overwrite=False)
    for name in ("chat_template.jinja", "chat_template.json"):
        if present(dir_path / name):
            has_template = True
            ex.set("tokenizer.has_chat_template", True, str(Path(file).with_name(name)), overwrite=False)
    if tok is not None and not has_template:
        ex.set("tokenizer.has_chat_template", False, w("chat_template"), overwrite=False)


# --------------------------------------------------------------------------- weights


def _weight_files(path: Path) -> list[Path]:
    """Weight files at the top level, then in sub-folders up to two levels down (diffusers components)."""
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for p in entries:
            if len(found) >= _MAX_WEIGHT_FILES or p.name.startswith("."):
                continue
            if present(p) and p.suffix.lower() in WEIGHT_SUFFIXES:
                if p.name not in _NOT_MODEL_WEIGHTS and not p.name.startswith("rng_state"):
                    found.append(p)
        if depth < 2:
            for p in entries:
                if p.is_dir() and not p.name.startswith((".", "__")) and not p.is_symlink():
                    walk(p, depth + 1)

    walk(path, 0)
    return found


def _counted(infos: list[tuple[Path, WeightInfo]], path: Path, ex: Extracted) -> list[WeightInfo]:
    """The weight files whose parameters make up the model (no duplicates in other formats or variants)."""
    ok = [(p, i) for p, i in infos if i.entry.get("parameters") is not None]
    top = [(p, i) for p, i in ok if p.parent == path]
    pool = top or ok
    safetensors = [(p, i) for p, i in pool if i.entry["format"] == "safetensors"]
    index = _load_json(path / "model.safetensors.index.json", ex)
    if index and isinstance(index.get("weight_map"), dict):
        shards = {v for v in index["weight_map"].values() if isinstance(v, str) and len(v) <= MAX_NAME_CHARS}
        present = {p.name for p, _ in safetensors}
        missing = sorted(shards - present)
        if missing:
            ex.warnings.append(
                f"model.safetensors.index.json: {len(missing)} of {len(shards)} shards missing "
                f"({', '.join(file_label(m, 60) for m in missing[:3])})"
            )
        listed = [i for p, i in safetensors if p.name in shards and p.parent == path]
        if listed:
            return listed
    if safetensors:
        chosen: dict[tuple[Path, str], WeightInfo] = {}
        for p, i in sorted(safetensors, key=lambda pi: (bool(_VARIANT.search(pi[0].name)), str(pi[0]))):
            chosen.setdefault((p.parent, _VARIANT.sub("", p.name)), i)
        return list(chosen.values())
    ggufs = [(p, i) for p, i in pool if i.entry["format"] == "gguf"]
    if ggufs:  # several quantisations of one model are alternatives; split shards add up
        groups: dict[str, list[WeightInfo]] = {}
        for p, i in ggufs:
            groups.setdefault(_GGUF_SHARD.sub("", p.name), []).append(i)
        return groups[sorted(groups)[0]]
    return [i for _, i in pool if i.entry["format"] == "onnx"]


def _apply_weights(ex: Extracted, path: Path, rp: Any) -> None:
    infos: list[tuple[Path, WeightInfo]] = []
    entries: list[dict[str, Any]] = []
    for p in _weight_files(path):
        rel = rp(p.relative_to(path).as_posix())
        try:
            info = inspect_weight_file(p, rel)
        except Exception as err:  # noqa: BLE001 - ParseError, or a bug: either way one file's warning
            reason = one_line(err, strip=(p,))
            ex.warnings.append(f"{file_label(p.relative_to(path).as_posix())}: {reason}")
            fmt = p.suffix.lower().lstrip(".")
            fmt = {"bin": "pytorch", "pt": "pytorch", "pth": "pytorch"}.get(fmt, fmt)
            try:
                size = p.stat().st_size
            except OSError:
                size = 0
            entries.append({"file": rel, "format": fmt, "size_bytes": size, "parameters": None,
                            "dtypes": [], "error": reason})  # fmt: skip
            continue
        infos.append((p, info))
        entries.append(info.entry)
    if not entries:
        return
    ex.set("weights", entries, rp("") + " (weight files)")
    counted = _counted(infos, path, ex)
    others = [i for _, i in infos if all(i is not c for c in counted)]
    for info in [*counted, *others]:
        ex.merge(info.facts)  # first evidence wins: config.json and the card were applied before
    if counted:
        total = sum(i.entry["parameters"] for i in counted)
        where = (f"{counted[0].entry['file']} (header)" if len(counted) == 1
                 else f"sum of {len(counted)} {counted[0].entry['format']} headers")  # fmt: skip
        ex.set("model_dimensions.total_parameters", total, where, overwrite=False)
        dtypes: dict[str, int] = {}
        for info in counted:
            for k, v in info.dtype_params.items():
                dtypes[k] = dtypes.get(k, 0) + v
        if dtypes:
            ex.set("dtype", max(dtypes, key=lambda k: dtypes[k]), where, overwrite=False)


# --------------------------------------------------------------------------- public reader


def read_model_dir(path: Path, relpath: str) -> Extracted:
    """Read a model directory into one Extracted: metadata with provenance, a summary chunk, card chunks."""
    path = Path(path)
    if not path.is_dir():
        raise ParseError("not a directory")
    try:
        return _read_model_dir(path, relpath)
    except ParseError:
        raise
    except Exception as err:  # noqa: BLE001 - a bug must still end as this folder's one-line error
        raise ParseError(f"cannot read model directory: {one_line(err, strip=(path,))}") from None


def _read_model_dir(path: Path, relpath: str) -> Extracted:
    base = relpath.strip("/")
    base = "" if base in ("", ".") else base

    def rp(name: str) -> str:
        return "/".join(x for x in (base, name) if x) or path.name

    ex = Extracted()
    ex.set("model_id", _model_id(path), f"{rp('')} (directory name)")
    tags: list[tuple[list[str], str]] = []

    meta = _load_json(path / "metadata.json", ex)
    if meta is not None:
        _apply_metadata_json(ex, meta, rp("metadata.json"), tags)
    readme = path / "README.md"
    if present(readme):
        try:
            text, size = _read_prefix(readme, CARD_MAX_BYTES)
            if size > CARD_MAX_BYTES:
                ex.warnings.append(
                    f"README.md is {size_text(size)}; only the first {size_text(CARD_MAX_BYTES)} were read"
                )
            if "\0" in text:  # binary data (or a sparse hole): the text ends there
                text = text[: text.index("\0")]
                ex.warnings.append(f"README.md: binary data after character {len(text):,}; ignored")
            card = _Card(text)
        except OSError as err:
            ex.warnings.append(f"README.md: cannot read ({err.strerror or type(err).__name__})")
        else:
            if card.front_error:
                ex.warnings.append(card.front_error)
            _apply_card(ex, card, rp("README.md"), tags)
    config = _load_json(path / "config.json", ex)
    vision = config is not None and _apply_config(ex, config, rp("config.json"))
    model_index = _load_json(path / "model_index.json", ex)
    if model_index is not None:
        _apply_config(ex, model_index, rp("model_index.json"), diffusers_index=True)
        _apply_components(ex, path, model_index, rp)
    if isinstance(config, dict):
        dtype = config.get("torch_dtype") or config.get("dtype")
        dtype_where = f"{rp('config.json')} (torch_dtype)"
    else:
        dtype, dtype_where = None, ""
    _apply_tokenizer(ex, _load_json(path / "tokenizer_config.json", ex), path, rp("tokenizer_config.json"))
    _apply_weights(ex, path, rp)
    if _name(dtype):
        ex.set("dtype", _name(dtype), dtype_where, overwrite=False)
    _apply_vocab(ex, path, rp)
    _finish(ex, path, rp, tags, vision)
    return ex


#: What a diffusers component's own config tells about that part (kept under ``components.<part>``).
_COMPONENT_KEYS = ("model_family", "architecture", "architecture_type", "model_dimensions")
_COMPONENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_COMPONENTS = 16


def _apply_components(ex: Extracted, path: Path, model_index: dict, rp: Any) -> None:
    """A diffusers pipeline's parts (``"unet": ["diffusers", "UNet2DConditionModel"]`` in
    model_index.json): each part folder's ``config.json`` read as a model config of its own, its
    family, type and sizes kept under ``components.<part>`` of the one model-folder document."""
    parts = [
        (name, spec)
        for name, spec in model_index.items()
        if isinstance(name, str)
        and not name.startswith("_")
        and _COMPONENT_NAME.fullmatch(name)
        and isinstance(spec, list)
        and len(spec) == 2
        and all(isinstance(x, str) or x is None for x in spec)
    ]
    for name, spec in parts[:MAX_COMPONENTS]:
        part = Extracted()
        config = _load_json(path / name / "config.json", ex)  # inside the root only (present)
        if config is None:
            continue
        _apply_config(part, config, rp(f"{name}/config.json"))
        if part.get("model_family") is None and _name(spec[1]):
            part.set("model_family", _name(spec[1]), f"{rp('model_index.json')} ({name})")
        for key, value in flatten(part.metadata).items():
            if key.split(".")[0] in _COMPONENT_KEYS:
                ex.set(f"components.{name}.{key}", value, part.provenance.get(key, ""))


def _apply_vocab(ex: Extracted, path: Path, rp: Any) -> None:
    """``vocab.txt`` (one token a line) gives the vocabulary size when nothing else did.

    Counted in blocks, and only when the file is at most :data:`VOCAB_MAX_BYTES`.
    """
    vocab = path / "vocab.txt"
    if ex.get("model_dimensions.vocab_size") is not None or not present(vocab):
        return
    try:
        size = vocab.stat().st_size
        if size > VOCAB_MAX_BYTES:
            ex.warnings.append(
                f"vocab.txt is {size_text(size)}, over the {size_text(VOCAB_MAX_BYTES)} limit; not counted"
            )
            return
        newlines, ends_with_newline = _count_newlines(vocab, VOCAB_MAX_BYTES)
        count = newlines + (0 if ends_with_newline or size == 0 else 1)
    except OSError as err:
        ex.warnings.append(f"vocab.txt: cannot read ({err.strerror or type(err).__name__})")
        return
    ex.set("model_dimensions.vocab_size", count or None, f"{rp('vocab.txt')} (lines)")


def _finish(ex: Extracted, path: Path, rp: Any, tags: list[tuple[list[str], str]], vision: bool) -> None:
    # tags: merged from metadata.json, the card, and GGUF general.tags
    if isinstance(ex.get("tags"), list):
        tags.append((ex.get("tags"), ex.provenance.get("tags", "")))
    merged = list(dict.fromkeys(t for group, _ in tags for t in group))
    if merged:
        ex.set("tags", merged, "; ".join(dict.fromkeys(w for _, w in tags if w)))
    # capabilities
    caps = list(ex.get("capabilities") or [])
    cap_where = [ex.provenance["capabilities"]] if caps else []
    if present(path / "modules.json") or present(path / "config_sentence_transformers.json"):
        caps.append("embedding")
        cap_where.append(
            rp("modules.json" if present(path / "modules.json") else "config_sentence_transformers.json")
        )
    elif ex.get("pipeline_tag") in ("sentence-similarity", "feature-extraction"):
        caps.append("embedding")
        cap_where.append(ex.provenance.get("pipeline_tag", ""))
    if ex.get("tokenizer.has_chat_template"):
        caps.append("chat")
        cap_where.append(ex.provenance.get("tokenizer.has_chat_template", ""))
    if vision or str(ex.get("pipeline_tag", "")).startswith("image-"):
        caps.append("vision")
        cap_where.append(
            f"{rp('config.json')} (vision_config)" if vision else ex.provenance.get("pipeline_tag", "")
        )
    if caps:
        ex.set("capabilities", list(dict.fromkeys(caps)), "; ".join(dict.fromkeys(w for w in cap_where if w)))
    # the summary chunk points at the first real file that describes the model
    for name in ("config.json", "model_index.json", "metadata.json", "README.md"):
        p = path / name
        if present(p):
            try:
                limit = CARD_MAX_BYTES if name == "README.md" else JSON_MAX_BYTES
                newlines, ends_with_newline = _count_newlines(p, limit)
                n_lines = max(1, newlines + (0 if ends_with_newline else 1))
            except OSError:
                continue
            ex.chunks.insert(0, summary_chunk(ex, rp(name), 1, n_lines))
            return
    weights = ex.get("weights") or []
    ex.chunks.insert(0, summary_chunk(ex, weights[0]["file"] if weights else rp(""), 1, 1))
