"""Ctrl-C and SIGTERM, delivered where it is safe to stop.

Inside a `deferred()` section (the chunk loops of backup, verify and restore) a signal only
sets a flag; the loop polls `wait()`/`check()` between chunks and raises there, so the
thread pool and the writer are never interrupted halfway through their own locks.  Outside
such a section the signal raises at once, as Python's default does.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

POLL_SECONDS = 0.2

_deferred = 0
_pending: int | None = None


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop, clean up, exit non-zero."""


def _exception(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _handler(signum, frame):
    global _pending
    if _deferred:
        _pending = signum
        return
    raise _exception(signum)


def install() -> None:
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


@contextmanager
def deferred():
    global _deferred
    _deferred += 1
    try:
        yield
    finally:
        _deferred -= 1
        if not _deferred:
            check()  # a signal that came in after the loop's last look is not lost


def check() -> None:
    """Raise the pending interrupt, if any."""
    global _pending
    if _pending is not None:
        signum, _pending = _pending, None
        raise _exception(signum)


def wait(future):
    """future.result(), polling for an interrupt every POLL_SECONDS."""
    while True:
        check()
        try:
            return future.result(timeout=POLL_SECONDS)
        except TimeoutError:
            continue
