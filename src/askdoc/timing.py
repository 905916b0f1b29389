"""Stage timings for finding where a slow query spends its time (``askdoc query --profile``, $ASKDOC_PROFILE=1).

Off by default: a stage then costs one flag test. When on, each finished stage prints
``askdoc: profile <stage> <ms>`` on stderr, so a library user sees them as well.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator

_enabled = bool(os.environ.get("ASKDOC_PROFILE"))
_started = time.perf_counter()


def enable() -> None:
    global _enabled
    _enabled = True


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the enclosed block and report it on stderr when profiling is on."""
    if not _enabled:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        note(name, time.perf_counter() - start)


def note(name: str, seconds: float) -> None:
    if _enabled:
        print(f"askdoc: profile {name:<22} {seconds * 1000:9.2f} ms", file=sys.stderr)


def since_start(name: str) -> None:
    """Report the time since askdoc was first imported (imports included)."""
    note(name, time.perf_counter() - _started)
