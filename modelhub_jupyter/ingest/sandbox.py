"""Parsing in a child process, bounded in time and memory.

Every indexed file is hostile: a parser that loops, recurses or allocates without end must
cost the run that one file, not the run. :func:`build` sends each file to a worker process
(a fresh interpreter, so it inherits no torch threads or locks, and started without
``multiprocessing``'s re-import of ``__main__``, so a script that indexes at module level,
with no ``if __name__ == "__main__"`` guard, works) that runs
:func:`.pipeline.build` under an address-space limit (``RLIMIT_AS``). A file that takes longer
than the time budget, or that kills the worker, becomes that file's one-line error; a fresh
worker takes the next file.

One worker serves the whole process (index runs and ``Hub.show``), started on first use and
replaced when its limits or the parser plugins change.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..errors import one_line
from . import parsers
from .git_history import GitInfo
from .pipeline import FileOutcome
from .scanner import ScannedFile

log = logging.getLogger(__name__)

_STARTUP_SECONDS = 60.0  # importing the parsers in a fresh interpreter, on a busy machine


@dataclass(frozen=True)
class Limits:
    """The budget of one file: seconds of wall time, and megabytes of address space for the worker."""

    seconds: float = 60.0
    memory_mb: int | None = 2048


def _key(limits: Limits) -> tuple[Any, ...]:
    """What a worker was started with; a worker with another key is replaced."""
    return (limits.memory_mb, tuple(sys.path), parsers.generation())


class _Worker:
    def __init__(self, limits: Limits) -> None:
        self.key = _key(limits)
        self.conn, child = multiprocessing.Pipe()  # a socket pair; the child gets its end by number
        path = [p for p in sys.path if p]  # not "": the current folder may be the indexed one
        code = "import sys; from modelhub_jupyter.ingest.sandbox import _main; _main(int(sys.argv[1]))"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
        )
        child.close()
        self.conn.send((path, limits.memory_mb))
        self.ready = False

    def wait_ready(self) -> bool:
        try:
            if not self.ready and self.conn.poll(_STARTUP_SECONDS):
                self.ready = self.conn.recv() == "ready"
        except (EOFError, OSError):  # it exited while starting
            self.ready = False
        return self.ready

    def exit_status(self) -> int | None:
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.kill()
            self.exit_status()
        finally:
            self.conn.close()


_lock = threading.Lock()
_worker: _Worker | None = None


def _current(limits: Limits) -> _Worker:
    global _worker
    worker = _worker
    if worker is None or worker.key != _key(limits):
        if worker is not None:
            worker.stop()
        worker = _worker = _Worker(limits)
    return worker


def start(limits: Limits = Limits()) -> None:
    """Start the worker now without waiting for it: it imports the parsers (seconds) while the
    caller scans the folder and reads its history."""
    with _lock:
        _current(limits)


def build(
    file: ScannedFile, root: Path, git: GitInfo, thumbnails: Path | None = None, limits: Limits = Limits()
) -> FileOutcome:
    """:func:`.pipeline.build` in the worker process, within ``limits``; never raises for bad input."""
    with _lock:
        worker = _current(limits)
        if not worker.wait_ready():
            _discard()
            return FileOutcome(error="the parser process did not start; file skipped")
        try:
            worker.conn.send((file, root, git, thumbnails))
            finished = worker.conn.poll(limits.seconds)
        except (OSError, EOFError, ValueError):  # the worker is gone (killed from outside)
            _discard()
            return FileOutcome(error="the parser process died; file skipped")
        if not finished:
            _discard()
            return FileOutcome(error=f"parsing took longer than {limits.seconds:g} s; file skipped")
        try:
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            exitcode = worker.exit_status()
            _discard()
            return FileOutcome(error=f"the parser process died ({_describe_exit(exitcode)}); file skipped")
        if status == "ok" and isinstance(payload, FileOutcome):
            return payload
        return FileOutcome(error=str(payload))


def _discard() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None


def shutdown() -> None:
    """Stop the worker (it is started again when needed)."""
    with _lock:
        _discard()


atexit.register(shutdown)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError) as err:  # not POSIX, or a lower hard limit already
        log.debug("modelhub parser: no memory limit: %s", err)


def _main(fd: int) -> None:
    """The worker process: take the parent's import path and limits, then serve."""
    conn = Connection(fd)
    path, memory_mb = conn.recv()
    sys.path[:] = path
    _serve(conn, memory_mb)


def _serve(conn: Connection, memory_mb: int | None) -> None:
    """The worker's loop: ``(file, root, git, thumbnails)`` in, ``("ok", FileOutcome)`` out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from . import pipeline

    _limit_memory(memory_mb)
    conn.send("ready")
    while True:
        try:
            message: Any = conn.recv()
        except (EOFError, OSError):
            return
        file, root, git, thumbnails = message
        try:
            reply: tuple[str, Any] = ("ok", pipeline.build(file, root, git, thumbnails))
        except MemoryError:
            reply = ("error", "ran out of memory while parsing; file skipped")
        except BaseException as err:  # noqa: BLE001 - one file's failure is that file's error
            reply = ("error", f"cannot parse: {one_line(err, strip=(file.path,))}")
        try:
            conn.send(reply)
        except Exception as err:  # noqa: BLE001 - e.g. a value that does not pickle
            conn.send(("error", f"cannot parse: {one_line(err)}"))
