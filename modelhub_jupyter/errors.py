"""The errors a user can meet, under one root, each with a stable ``code``.

Every surface turns a :class:`ModelHubError` into one line: the CLI prints it and exits
non-zero, the magics print it in the cell, widgets show it in their error state, and a
REST layer answers ``http_status`` with ``to_dict()`` as the body. Anything that is not a
``ModelHubError`` is a bug: :func:`one_line` still gives one line, marked as internal.

Each class also derives from the built-in exception it refines (``ValueError``,
``FileNotFoundError``, ...), so ``except ValueError`` written against older releases still works.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadInputError",
    "FilterError",
    "ModelHubError",
    "NotFoundError",
    "NothingIndexedError",
    "ParseError",
    "PermissionDeniedError",
    "QueryError",
    "SchemaError",
    "StoreBusyError",
    "one_line",
]


class ModelHubError(Exception):
    """Root of every user-facing error. ``str(err)`` is one line saying what went wrong."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str = "", *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path

    @property
    def message(self) -> str:
        return _first_line(str(self.args[0]) if self.args else "") or self.code

    def to_dict(self) -> dict[str, Any]:
        """The JSON body a REST route answers with."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.path is not None:
            body["path"] = self.path
        return body


class QueryError(ModelHubError, ValueError):
    """A search that cannot be run (empty query, unknown kind, bad limit)."""

    code = "bad_query"
    http_status = 400


class FilterError(QueryError):
    """A ``--where`` clause that cannot be understood; the message says which and why."""

    code = "bad_filter"
    http_status = 400


class NothingIndexedError(ModelHubError, LookupError):
    """The store holds no documents yet."""

    code = "nothing_indexed"
    http_status = 409

    def __init__(self, message: str = "nothing indexed yet — run `modelhub index PATH`", **kw: Any) -> None:
        super().__init__(message, **kw)


class StoreBusyError(ModelHubError, TimeoutError):
    """Another process holds the home's write lock for longer than we wait."""

    code = "store_busy"
    http_status = 503


class NotFoundError(ModelHubError, FileNotFoundError):
    """A file, folder or document that does not exist."""

    code = "not_found"
    http_status = 404


class BadInputError(ModelHubError, ValueError):
    """An input the hub cannot use: a file it cannot parse, a path that is not a folder, ..."""

    code = "bad_input"
    http_status = 422


class ParseError(ModelHubError):
    """A parser could not read a file; ``str(err)`` is the reason without the path.

    Deliberately not a ``ValueError``: parsers catch ``ValueError`` from the libraries they
    call, and must not swallow (and re-word) their own reasons.
    """

    code = "bad_input_file"
    http_status = 422


class SchemaError(BadInputError):
    """A document does not match its schema; the message names the field and the reason."""

    code = "invalid_document"

    def __init__(self, message: str, loc: tuple[str | int, ...] = (), **kw: Any) -> None:
        super().__init__(message, **kw)
        self.loc = loc


class PermissionDeniedError(ModelHubError, PermissionError):
    """The operating system (or a read-only server) does not allow this."""

    code = "permission_denied"
    http_status = 403


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


def one_line(err: BaseException | str, *, strip: tuple[object, ...] = (), limit: int = 300) -> str:
    """A one-line, user-facing description of ``err`` (never a traceback), at most ``limit`` characters.

    ``ModelHubError`` and the OS errors users cause (no such file, permission denied) give
    their message; a ``KeyError`` names the key; anything else is marked as an internal error
    with its type, since it is a bug. A string is collapsed onto one line (e.g. a link target).
    ``strip`` removes paths from the text (a parser's reason never repeats the file's path).
    """
    if isinstance(err, str):
        text = " ".join(err.split())
    else:
        text = _describe(err)
    for path in strip:
        text = text.replace(repr(str(path)), "").replace(str(path), "")
    return " ".join(text.split()).strip(" :")[:limit]


def _describe(err: BaseException) -> str:
    if isinstance(err, ModelHubError):
        return err.message
    if isinstance(err, KeyError) and len(err.args) == 1:
        return f"unknown key {err.args[0]!r}"
    text = _first_line(str(err))
    if isinstance(err, OSError):
        if err.strerror and err.filename is not None:
            return f"{err.filename}: {err.strerror[:1].lower()}{err.strerror[1:]}"
        return text or type(err).__name__
    if isinstance(err, ValueError | LookupError | TimeoutError | MemoryError | RecursionError):
        return text or type(err).__name__
    return (
        f"internal error ({type(err).__name__}): {text}" if text else f"internal error ({type(err).__name__})"
    )
