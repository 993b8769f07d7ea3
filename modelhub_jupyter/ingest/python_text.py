"""Facts stated in prose (module docstring, comments, notebook markdown) and in the file name.

Results (``perplexity: 9.3``, ``top-1 acc 76.1%``), parameter counts (``124M parameters``),
training time and hardware, framework pins (``torch==2.1.0``), predecessors
(``Predecessor: transformer_v1``) and the model identity from the file stem.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator

from .types import Extracted
from .value_keys import check_metric

Note = tuple[str, str]  # (where "path:line", one line of text)

MAX_NOTES = 20_000  # prose lines read for facts per file (the facts are in the first ones)
MAX_NOTE_CHARS = 5_000  # characters of one prose line read for facts

# Every pattern here runs on prose from the file, so each is linear in it: runs that the next
# token could also match are possessive (``\s*(sep)?\s*`` tried every split of a run of
# spaces: 20 s for 4k characters), and a number is matched from its first digit only.
_METRIC_RX = re.compile(
    r"(?<![\w-])(?P<key>(?:val(?:idation)?|valid|eval|test|train(?:ing)?)[ _-]?loss|loss"
    r"|top-?1(?:[ _-]?acc(?:uracy)?)?|(?:val(?:idation)?|test|eval)[ _-]?acc(?:uracy)?|acc(?:uracy)?"
    r"|perplexity|ppl|f1(?:[ _-]?score)?|bleu(?:[ _-]?score)?|fid|(?:roc[ _-]?)?auc|rmse|mae|inception[ _-]score)"
    r"(?![\w-])\s*+(?:(?P<sep>[:=]|\bof\b|\bis\b|\bwas\b)\s*+)?(?P<num>\d++(?:\.\d++)?+)(?![\d.]*+[eE]-)"
    r"(?P<pct>\s*+%)?",
    re.I,
)
_RESULT_CONTEXT = re.compile(r"result|achiev|reach|final|best|score", re.I)
_PARAMS_BEFORE = re.compile(
    r"(?<![\d,]),*+(?P<num>\d[\d,]*+(?:\.\d++)?+)\s*+(?:(?P<unit>[kmb]|thousand|million|billion)\s*+)?"
    r"(?:trainable\s++)?(?:parameters|params)\b",
    re.I,
)
_PARAMS_AFTER = re.compile(
    r"\b(?:parameters|params|param[ _]count|num_params|n_params)\s*[:=]\s*~?(?P<num>\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<unit>[kmb]\b|thousand|million|billion)?",
    re.I,
)
_UNITS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
_TIME_RX = re.compile(r"training[ _]time(?:[ _]hours)?\s*+[:=]\s*+(?P<num>\d++(?:\.\d++)?+)", re.I)
# "hardware: <the rest of the line>"; the rest is checked in Python (a lazy group before ``\s*$``
# rescanned the line's trailing run for every length it tried).
_HARDWARE_RX = re.compile(r"\bhardware(?:[ _]used)?\s*+[:=]\s*+", re.I)
_EVAL_DS_RX = re.compile(r"\s*+(?:#\s*+)?(?:Results?|RESULTS?)\s*+\(\s*+(?P<ds>[\w.\-]++)[\s,)]")  # match
_PIN_RX = re.compile(
    r"\b(?P<pkg>torch|tensorflow(?:-gpu|-cpu)?|jax)\s*+==\s*+(?P<ver>\d++(?:\.\d++)*+[\w.+]*+)"
)
_PIN_FRAMEWORK = {"torch": "pytorch", "tensorflow": "tensorflow", "jax": "jax"}
_STRICT_PRED = re.compile(
    r"\b(?:predecessors?(?:[ _]models?)?|previous[ _](?:version|model))\s*+(?:[:=]|\bis\b|\bwas\b)\s*+"
    r"(?P<names>`?[A-Za-z_][\w.\-]*+`?(?:\s*+(?:,|\band\b)\s*+`?[A-Za-z_][\w.\-]*+`?)*+)",
    re.I,
)
_SOFT_PRED = re.compile(
    r"\b(?:based\s++on|builds?\s++(?:up)?on|extends|derived\s++from|fork\s++of|variant\s++of"
    r"|improves\s++(?:on|upon)|supersedes|replaces|successor\s++(?:of|to)"
    r"|fine-?tuned\s++from)\s++(?:the\s++)?`?(?P<name>[A-Za-z_][\w.\-]*+)",
    re.I,
)
_STEM_VERSION = re.compile(r"(?P<family>.+?)[_-]v(?P<version>\d++(?:[._]\d++)*+)", re.I)  # fullmatch
_NAME_SEP = re.compile(r",|\band\b")
_COMMENT_RX = re.compile(r"(?:^|\s)#(.*)")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_TOKEN_RX = re.compile(r"\w+|[^\w\s]")
_STOPWORDS = {"the", "a", "an", "this", "that", "it", "none", "n", "na", "our", "its", "v"}


MAX_ANALYSED_CHARS = 1_000_000  # larger Python sources are not parsed (ast) nor tokenized
MAX_PYTHON_TOKENS = 100_000  # nor those with more words and punctuation marks than this
# ``ast.parse`` needs about 1 KB of memory per token of dense code (a 2 MB list literal: 1 GB,
# 16 s) and time quadratic in an f-string's length; ``tokenize`` about 2 µs a character.


def iter_lines(source: str) -> Iterator[str]:
    """The lines of ``source`` as ``ast`` numbers them (``\\n``, ``\\r\\n``, ``\\r`` end a line), lazily."""
    pos = 0
    for match in _NEWLINE.finditer(source):
        yield source[pos : match.start()]
        pos = match.end()
    yield source[pos:]


def count_lines(source: str) -> int:
    """``len(list(iter_lines(source)))`` without making the lines."""
    return source.count("\n") + source.count("\r") - source.count("\r\n") + 1


def too_large(source: str) -> str | None:
    """Why ``source`` is too large to parse or tokenize (one line), or None when it is not."""
    if len(source) > MAX_ANALYSED_CHARS:
        return f"too large to analyse ({len(source):,} characters, the limit is {MAX_ANALYSED_CHARS:,})"
    if len(source) > MAX_PYTHON_TOKENS and count_tokens(source) > MAX_PYTHON_TOKENS:
        return f"too large to analyse (more than {MAX_PYTHON_TOKENS:,} tokens)"
    return None


def count_tokens(source: str, stop: int = MAX_PYTHON_TOKENS + 1) -> int:
    """Words and punctuation marks of ``source`` (more than Python's tokens), counted up to ``stop``."""
    count = 0
    for count, _ in enumerate(_TOKEN_RX.finditer(source), 1):
        if count >= stop:
            break
    return count


def comment_lines(source: str, *, parsed: bool, limit: int = MAX_NOTES) -> list[tuple[int, str]]:
    """(line, text) of the first ``limit`` ``#`` comments.

    Source that ``ast`` ``parsed`` is tokenized; other text gets a line regex, which may take
    a ``#`` in a string for a comment: ``tokenize`` is quadratic on text that is not Python (it
    rescans a run of spaces for each space before a character it cannot read: "x" then 80k
    spaces then "?" ran for more than 10 minutes).
    """
    found: list[tuple[int, str]] = []
    if parsed and too_large(source) is None:
        try:
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.COMMENT:
                    found.append((token.start[0], token.string.lstrip("#").strip()))
                    if len(found) >= limit:
                        break
            return found
        except (tokenize.TokenError, SyntaxError, IndentationError):
            found = []
    for number, line in enumerate(iter_lines(source), 1):
        if "#" in line and (match := _COMMENT_RX.search(line)):
            found.append((number, match.group(1).strip()))
            if len(found) >= limit:
                break
    return found


# Blank and comment lines, then a triple-quoted string; possessive runs, so that a file that has
# none is refused in one pass.
_DOC_RX = re.compile(r"(?:[ \t]*+(?:#[^\n]*+)?\n)*+[ \t]*+[rRuU]?(\"\"\"|''')(.*?)\1", re.S)
_DOC_HEAD_LINES = 5_000  # a module docstring starts and ends within the first lines


def docstring_lines(tree: ast.Module | None, lines: list[str]) -> list[tuple[int, str]]:
    """(line, text) of the module docstring, from the tree or a leading triple-quoted string."""
    if tree is None:
        text = "\n".join(lines[:_DOC_HEAD_LINES])
        match = _DOC_RX.match(text)
        if not match:
            return []
        first, last = text.count("\n", 0, match.start(1)) + 1, text.count("\n", 0, match.end()) + 1
        return [(n, lines[n - 1]) for n in range(first, last + 1)]
    first_node = tree.body[0] if tree.body else None
    if not (isinstance(first_node, ast.Expr) and isinstance(first_node.value, ast.Constant)):
        return []
    if not isinstance(first_node.value.value, str):
        return []
    end = first_node.end_lineno or first_node.lineno
    return [(n, lines[n - 1]) for n in range(first_node.lineno, end + 1)]


def _number(text: str, unit: str | None) -> int | None:
    digits = text.replace(",", "")
    if len(digits) > 20:  # not a parameter count (and float() of 400 digits is inf)
        return None
    value = float(digits) * _UNITS.get((unit or "").lower(), 1.0)
    if not unit and value < 1000:
        return None
    return int(round(value))


def _metric_key(raw: str) -> str:
    key = re.sub(r"[ _-]+", "_", raw.lower())
    if key.endswith("loss"):
        return "val_loss" if key.startswith(("val", "valid", "eval")) else "loss"
    if key.startswith("top") or "acc" in key:
        return "accuracy"
    return {
        "ppl": "perplexity",
        "f1_score": "f1",
        "bleu_score": "bleu",
        "roc_auc": "auc",
        "rocauc": "auc",
    }.get(key, key)


def text_facts(ex: Extracted, notes: list[Note], framework: str | None) -> None:
    """Set performance.*, total_parameters, training time/hardware and framework.version from prose."""
    for where, text in notes[:MAX_NOTES]:
        text = text[:MAX_NOTE_CHARS]
        for match in _METRIC_RX.finditer(text):
            if not (match.group("sep") or match.group("pct") or _RESULT_CONTEXT.search(text)):
                continue
            key = _metric_key(match.group("key"))
            value = check_metric(key, match.group("num"), bool(match.group("pct")))
            ex.set(f"performance.{key}", value, where, overwrite=False)
        for rx in (_PARAMS_AFTER, _PARAMS_BEFORE):
            if found := rx.search(text):
                count = _number(found.group("num"), found.group("unit"))
                ex.set("model_dimensions.total_parameters", count, where, overwrite=False)
        if (hours := _TIME_RX.search(text)) and len(hours.group("num")) <= 12:
            ex.set("training_config.training_time_hours", float(hours.group("num")), where, overwrite=False)
        if hardware := _hardware(text):
            ex.set("training_config.hardware_used", hardware, where, overwrite=False)
        if evaluated := _EVAL_DS_RX.match(text):
            ex.set("performance.eval_dataset", evaluated.group("ds").rstrip(".-"), where, overwrite=False)
        for match in _PIN_RX.finditer(text):
            pkg = match.group("pkg").split("-")[0]
            if _PIN_FRAMEWORK[pkg] == framework:
                ex.set("framework.version", match.group("ver").rstrip("."), where, overwrite=False)


def _hardware(text: str) -> str | None:
    """``V100 x 8`` of ``hardware: V100 x 8``: the rest of the line, 2-60 characters without , or ;."""
    text = text.strip()
    for match in _HARDWARE_RX.finditer(text):
        rest = text[match.end() :]
        if 2 <= len(rest) <= 60 and "," not in rest and ";" not in rest:
            return rest
    return None


def _clean(name: str) -> str:
    name = name.strip("`'\"()[],;:").rstrip(".")
    return name[:-3] if name.endswith(".py") else name


def split_stem(stem: str) -> tuple[str, str | None]:
    """``transformer_v2_1`` -> (``transformer``, ``2.1``); no version suffix -> (stem, None)."""
    match = _STEM_VERSION.fullmatch(stem)
    if not match:
        return stem, None
    return match.group("family"), match.group("version").replace("_", ".")


def version_key(version: str) -> tuple[int, ...]:
    """Sortable form of ``"2.1"``."""
    return tuple(int(p[:18]) for p in re.findall(r"\d+", version[:200])[:4])


def predecessors_in_text(notes: list[Note], model_id: str, family: str) -> list[tuple[str, str]]:
    """(name, where) of predecessors stated in prose; soft phrases need a versioned name."""
    found: list[tuple[str, str]] = []
    for where, text in notes[:MAX_NOTES]:
        text = text[:MAX_NOTE_CHARS]
        for match in _STRICT_PRED.finditer(text):
            for raw in _NAME_SEP.split(match.group("names")):  # ``\s*(,|and)\s*`` rescanned runs of spaces
                name = _clean(raw.strip())
                if len(name) > 1 and name.lower() not in _STOPWORDS and name != model_id:
                    found.append((name, where))
        for match in _SOFT_PRED.finditer(text):
            name = _clean(match.group("name"))
            versioned = split_stem(name)[1] is not None or match.group("name").endswith(".py")
            if name != model_id and (versioned or split_stem(name)[0] == family and name != family):
                found.append((name, where))
    return found


#: file names that say nothing about the model (``main.py``, ``model.py``): never a family
GENERIC_STEMS = frozenset(
    {
        "model", "models", "main", "train", "training", "run", "default", "config", "configs", "modeling",
        "module", "modules", "network", "networks", "net", "utils", "util", "components", "finetune", "eval",
        "evaluate", "test", "app", "common", "core", "layers", "base", "example", "demo", "__init__",
        "__main__", "setup", "inference", "predict", "infer", "sample", "experiment",
    }
)  # fmt: skip


def identity_facts(
    ex: Extracted,
    stem: str,
    relpath: str,
    version: tuple[str, str] | None,
    found: tuple[str, str] | None = None,
) -> tuple[str, str | None]:
    """Set model_id, model_family and version (explicit ``version`` = (value, where) wins over the stem).

    The family is the stem's when the stem carries a version (``transformer_v2``: a name given on
    purpose), else ``found`` = (family, where) from what the code defines or loads, else the stem
    unless it is a generic name (``main``, ``model``). Returns the stem's family and the version.
    """
    family, stem_version = split_stem(stem)
    ex.set("model_id", stem, relpath)
    if stem_version is None and found:
        ex.set("model_family", found[0], found[1])
    elif stem_version is not None or family.lower() not in GENERIC_STEMS:
        ex.set("model_family", family, relpath)
    if version:
        ex.set("version", version[0], version[1])
    elif stem_version:
        ex.set("version", stem_version, relpath)
    return family, version[0] if version else stem_version
