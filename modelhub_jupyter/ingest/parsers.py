"""The parser table: which reader turns each file kind into an :class:`Extracted`.

Built-in parsers cover the file kinds of :data:`~modelhub_jupyter.vocabulary.FILE_KINDS`.
Other packages add parsers (for a new kind of file, or in place of a built-in one) through
the entry-point group ``modelhub_jupyter.parsers``, the way papermill finds its engines::

    # pyproject.toml of a plugin
    [project.entry-points."modelhub_jupyter.parsers"]
    caffe = "modelhub_caffe:parser"

    # modelhub_caffe/__init__.py
    from modelhub_jupyter.ingest.parsers import Parser, read_text
    parser = Parser("prototxt", lambda path, relpath: parse(read_text(path), relpath),
                    suffixes=(".prototxt",))

A parser must treat its file as hostile: raise :class:`~modelhub_jupyter.errors.ParseError`
with a one-line reason for bad input; any other exception is reported as the file's error
too, and the run goes on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from ..errors import ParseError, one_line
from ..vocabulary import TYPE_OF_FILE_KIND, TYPES
from .types import Extracted

ENTRY_POINT_GROUP = "modelhub_jupyter.parsers"
log = logging.getLogger(__name__)

Reader = Callable[[Path, str], Extracted]


@dataclass(frozen=True)
class Parser:
    """How to read one file kind.

    ``read(path, relpath)`` gets the absolute path (a folder for ``model_dir``) and the path
    relative to the indexed root, which values' provenance should cite. ``doc_type`` is the
    document type its chunks become; ``suffixes`` (lower case, with the dot) make the scanner
    give files ending so this ``file_kind``.
    """

    file_kind: str
    read: Reader
    doc_type: str = "model_script"
    suffixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.doc_type not in TYPES:
            raise ValueError(f"parser {self.file_kind!r}: doc_type must be one of {', '.join(TYPES)}")


def read_text(path: Path) -> str:
    """Read a text file, with one-line errors for empty, binary and non-UTF-8 content."""
    data = path.read_bytes()
    if not data.strip():
        raise ParseError("empty file")
    if b"\x00" in data[:8192]:
        raise ParseError("binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ParseError(f"not UTF-8 text (invalid byte at offset {err.start})") from None


# -- built-ins (imported on first use: each parser pulls in its own libraries) -----------------
def _python(path: Path, relpath: str) -> Extracted:
    from .python_code import parse_python

    return parse_python(read_text(path), relpath)


def _notebook(path: Path, relpath: str) -> Extracted:
    from .notebooks import parse_notebook

    return parse_notebook(read_text(path), relpath)


def _config(path: Path, relpath: str) -> Extracted:
    from .config_files import parse_config

    return parse_config(read_text(path), relpath, path.suffix.lower())


def _image(path: Path, relpath: str) -> Extracted:
    from .images import read_image

    return read_image(path, relpath)


def _model_dir(path: Path, relpath: str) -> Extracted:
    from .model_dir import read_model_dir

    return read_model_dir(path, relpath)


def _weights(path: Path, relpath: str) -> Extracted:
    from .weights import read_weight_file

    return read_weight_file(path, relpath)


BUILTIN: dict[str, Reader] = {
    "python": _python,
    "notebook": _notebook,
    "config": _config,
    "image": _image,
    "model_dir": _model_dir,
    "weights": _weights,
}


_generation = 0


def generation() -> int:
    """A counter bumped by :func:`refresh` (parse workers restart when it moves)."""
    return _generation


@functools.cache
def parsers() -> dict[str, Parser]:
    """Every parser by file kind: the built-ins, then the plugins' (which may replace a built-in)."""
    table = {kind: Parser(kind, read, TYPE_OF_FILE_KIND[kind]) for kind, read in BUILTIN.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found = ep.load()
            parser = found if isinstance(found, Parser) else found()
            if not isinstance(parser, Parser):
                raise TypeError(f"{ep.value} is not a modelhub_jupyter.ingest.parsers.Parser")
        except Exception as err:  # noqa: BLE001 - a broken plugin must not stop indexing
            log.warning("modelhub: parser plugin %r not loaded: %s", ep.name, one_line(err))
            continue
        table[parser.file_kind] = parser
    return table


@functools.cache
def _suffixes() -> dict[str, str]:
    return {suffix.lower(): p.file_kind for p in parsers().values() for suffix in p.suffixes}


def kind_for_name(name: str) -> str | None:
    """The file kind a plugin claims for a file name (by suffix), or None."""
    table = _suffixes()
    if not table:
        return None
    lower = name.lower()
    for suffix, kind in table.items():
        if lower.endswith(suffix):
            return kind
    return None


def parser_for(file_kind: str) -> Parser:
    """The parser of ``file_kind``; ``ParseError`` for a kind nobody reads."""
    try:
        return parsers()[file_kind]
    except KeyError:
        raise ParseError(f"no parser for file kind {file_kind!r}") from None


def refresh() -> None:
    """Forget the table, so plugins installed since are found."""
    global _generation
    _generation += 1
    parsers.cache_clear()
    _suffixes.cache_clear()
