"""A hang guard for the hostile-input tests: fail when a call runs on for minutes (catastrophic
backtracking, a loop), never because a busy machine made it slow."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

HANG_SECONDS = 60.0


class _Hang(BaseException):  # not an Exception: a parser's ``except Exception`` must not swallow it
    pass


@contextmanager
def hang_guard(what: str, limit: float = HANG_SECONDS) -> Iterator[None]:
    """Fail if the block is still running after ``limit`` seconds: a hang, not a slow machine.

    SIGALRM interrupts Python code and ``re`` matching alike (sre checks for signals as it
    goes). pytest-timeout's own alarm, if armed, is put back afterwards.
    """

    def on_alarm(signum: int, frame: object) -> None:
        raise _Hang

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, _ = signal.setitimer(signal.ITIMER_REAL, limit)
    started = time.monotonic()
    try:
        yield
    except _Hang:
        pytest.fail(f"still running after {limit:.0f} s ({what}): catastrophic backtracking or a hang")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay:
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - started), 0.01))
