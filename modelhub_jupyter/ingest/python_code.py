"""Python model code -> metadata and chunks, with stdlib ``ast`` (nothing imported or executed).

:func:`parse_python` is the entry point; :func:`analyze_tree` is shared with notebooks.
A file that does not parse is still indexed: 40-line windows, plus what regexes find. So is a
file too large (:data:`~.python_text.MAX_ANALYSED_CHARS`, :data:`~.python_text.MAX_PYTHON_TOKENS`)
or too deeply nested (:data:`MAX_AST_DEPTH`) to analyse within a time and memory bound.
"""

from __future__ import annotations

import ast
import itertools
import re
import warnings
from collections.abc import Callable
from pathlib import PurePosixPath

from ..errors import one_line
from .chunk_packing import window_chunks
from .python_arch import detect_architecture
from .python_chunks import PythonChunker
from .python_facts import (
    ModelClass,
    choose_framework,
    find_model_classes,
    frameworks_by_regex,
    read_imports,
    symbols,
)
from .python_family import model_family
from .python_text import (
    MAX_ANALYSED_CHARS,
    Note,
    comment_lines,
    count_lines,
    docstring_lines,
    identity_facts,
    iter_lines,
    predecessors_in_text,
    split_stem,
    text_facts,
    too_large,
    version_key,
)
from .python_values import (
    DatasetRef,
    ValueCollector,
    best_facts,
    const_value,
    dataset_calls,
    module_statements,
    pretrained_on,
)
from .types import Extracted
from .value_keys import architecture_of_name

Where = Callable[[int], str]
_VERSION_NAMES = ("__version__", "VERSION", "MODEL_VERSION", "version")
_SPLITS = {
    "train": "train",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
    "test": "test",
}
# ``[^\S\n]`` not ``\s`` (``^\s*`` ran across all the blank lines below every line start), and
# possessive runs (``\.*([\w.]+)`` split a run of dots every way: quadratic on "from ......").
_IMPORT_RX = re.compile(r"^[^\S\n]*+(?:from\s++\.*+([\w.]++)\s++import|import\s++([\w.]++))", re.M)
_WEAK_ARCHITECTURES = ("other", "mlp", "cnn")  # read from layer calls only: a known family overrides
MAX_AST_DEPTH = 250  # deeper trees are not analysed: ast.unparse recurses (fails near 330 levels)
MAX_VERSION_CHARS = 100


def split_lines(source: str) -> list[str]:
    """Source lines numbered like ``ast`` numbers them (only \\n, \\r\\n and \\r end a line)."""
    return re.split(r"\r\n|\r|\n", source)


def file_stem(relpath: str) -> str:
    """``gpt/transformer_v2.py`` -> ``transformer_v2`` (either slash)."""
    return PurePosixPath(relpath.replace("\\", "/")).stem


def _deeper_than(tree: ast.AST, limit: int) -> bool:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def parse_module(source: str) -> tuple[ast.Module | None, str | None]:
    """(tree, None), or (None, one-line reason) for source that does not parse or is too big to analyse."""
    problem = too_large(source)
    if problem:
        return None, problem
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc.
            tree = ast.parse(source)
    except SyntaxError as err:
        return None, f"syntax error at line {err.lineno}: {one_line(err.msg or 'invalid syntax')}"
    except (RecursionError, MemoryError):  # the parser's own stack: very deeply nested expressions
        return None, "nested too deeply to parse"
    except ValueError as err:  # e.g. null bytes
        return None, f"cannot parse: {one_line(err)}"
    if _deeper_than(tree, MAX_AST_DEPTH):
        return None, f"nested too deeply to analyse (more than {MAX_AST_DEPTH} levels)"
    return tree, None


def parse_python(source: str, relpath: str) -> Extracted:
    """Metadata (with provenance) and chunks of one Python file. Never raises on bad Python."""
    stem = file_stem(relpath)
    tree, problem = parse_module(source)
    if tree is not None:
        lines = split_lines(source)
        try:
            ex = Extracted()
            notes = _notes(tree, lines, source, relpath)
            models = analyze_tree(ex, tree, relpath, stem, notes, _where(relpath))
            ex.chunks = PythonChunker(lines, relpath, {m.name for m in models}, "<module>").chunk(tree)
            return ex
        except RecursionError:  # MAX_AST_DEPTH keeps clear of this; a safety net, not a path
            problem = "nested too deeply to analyse"
    ex = Extracted()
    if len(source) > MAX_ANALYSED_CHARS:  # what is read of a huge file is bounded too
        source = source[:MAX_ANALYSED_CHARS]
        ex.warnings.append(f"{problem}; its first {MAX_ANALYSED_CHARS:,} characters indexed as line windows")
    else:
        ex.warnings.append(f"{problem}; indexed as line windows")
    head = list(itertools.islice(iter_lines(source), 5_000))
    notes = _notes(None, head, source, relpath)
    ex.chunks = window_chunks(relpath, iter_lines(source), count=count_lines(source))
    regex_facts(ex, source, relpath, stem, notes, _where(relpath))
    return ex


def _where(relpath: str) -> Where:
    return lambda line: f"{relpath}:{line}"


def _notes(tree: ast.Module | None, lines: list[str], source: str, relpath: str) -> list[Note]:
    comments = comment_lines(source, parsed=tree is not None)
    return [(f"{relpath}:{n}", t) for n, t in docstring_lines(tree, lines) + comments]


def regex_facts(ex: Extracted, source: str, relpath: str, stem: str, notes: list[Note], where: Where) -> None:
    """What can be said about a file that does not parse: framework from imports, prose facts."""
    ex.set("language", "python", relpath)
    found = frameworks_by_regex(source)
    framework = min(found.items(), key=lambda kv: kv[1]) if found else None
    if framework:
        ex.set("framework.name", framework[0], where(framework[1]))
    family, version = identity_facts(ex, stem, relpath, None)
    text_facts(ex, notes, framework[0] if framework else None)
    imported: list[tuple[str, int]] = []
    line, pos = 1, 0
    for match in itertools.islice(_IMPORT_RX.finditer(source), 10_000):
        line += source.count("\n", pos, match.start())  # counted on from the last import, not from 0
        pos = match.start()
        imported.append((match.group(1) or match.group(2), line))
    _predecessors(ex, notes, imported, stem, family, version, where)


def analyze_tree(
    ex: Extracted, tree: ast.Module, relpath: str, stem: str, notes: list[Note], where: Where
) -> list[ModelClass]:
    """Set every file-level fact of a parsed module on ``ex``; returns its model classes."""
    ex.set("language", "python", relpath)
    imports = read_imports(tree)
    models = find_model_classes(tree, imports)
    framework = choose_framework(imports, models, tree)
    if framework:
        ex.set("framework.name", framework[0], where(framework[1]))
    if models:
        ex.set("model_classes", [m.name for m in models], where(models[0].line))
    architecture = detect_architecture(tree, models)
    collector = ValueCollector(tree, imports, models)
    facts = best_facts(collector.collect())
    for key, fact in sorted(facts.items()):
        if not key.startswith("dataset."):
            ex.set(key, fact.value, where(fact.line))
    _datasets(ex, tree, imports, facts, where)
    names = symbols(tree)
    if names:
        first = next(
            n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        )
        ex.set("symbols", names, where(first.lineno))
    found = model_family(tree, models, imports, relpath, collector.model_names, framework and framework[0])
    family, version = identity_facts(
        ex, stem, relpath, _explicit_version(tree, where), (found[0], where(found[1])) if found else None
    )
    by_family = architecture_of_name(found[0]) if found else None
    if by_family and (
        architecture is None
        or architecture[0] == "other"
        or (architecture[0] in _WEAK_ARCHITECTURES and by_family != "cnn")  # SimpleDenseNet is an MLP
    ):
        # a known family (MLP-Mixer, Mamba, a ResNet in Flax) says more than which layer calls are seen
        architecture = (by_family, found[1]) if found else None
    if architecture:
        ex.set("architecture_type", architecture[0], where(architecture[1]))
    text_facts(ex, notes, framework[0] if framework else None)
    _predecessors(ex, notes, imports.modules, stem, family, version, where)
    return models


def _explicit_version(tree: ast.Module, where: Where) -> tuple[str, str] | None:
    for node in module_statements(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in _VERSION_NAMES:
                value = const_value(node.value)
                if (
                    isinstance(value, str | int | float)
                    and not isinstance(value, bool)
                    and 0 < len(str(value).strip()) <= MAX_VERSION_CHARS
                ):
                    return str(value).strip(), where(node.lineno)
    return None


def _datasets(ex: Extracted, tree: ast.Module, imports, facts, where: Where) -> None:
    refs = dataset_calls(tree, imports)
    named = facts.get("dataset.name")
    if named:
        refs.append(DatasetRef(named.value, named.line))
    if not refs:  # no data loaded here: what the shipped weights were trained on, if named
        refs = pretrained_on(tree)
    unique: dict[str, DatasetRef] = {}
    for ref in refs:
        unique.setdefault(re.sub(r"[\W_]+", "", ref.name.lower()), ref)
    if not unique:
        return
    first = next(iter(unique.values()))
    ex.set("dataset.name", first.name, where(first.line))
    config = facts.get("dataset.config")
    if first.config:
        ex.set("dataset.config", first.config, where(first.line))
    elif config:
        ex.set("dataset.config", config.value, where(config.line))
    if isinstance(first.split, str) and first.split.split("[")[0].strip() in _SPLITS:
        ex.set("dataset.split", _SPLITS[first.split.split("[")[0].strip()], where(first.line))
    if len(unique) > 1:
        ex.set("datasets", [r.name for r in unique.values()], where(first.line))


def _predecessors(
    ex: Extracted,
    notes: list[Note],
    modules: list[tuple[str, int]],
    stem: str,
    family: str,
    version: str | None,
    where: Where,
) -> None:
    found = predecessors_in_text(notes, stem, family)
    if version:
        for module, line in modules:
            name = module.split(".")[-1]
            other_family, other_version = split_stem(name)
            if other_family == family and other_version and version_key(other_version) < version_key(version):
                found.append((name, where(line)))
    names = list(dict.fromkeys(name for name, _ in found))
    if names:
        ex.set("predecessor_models", names, found[0][1])
