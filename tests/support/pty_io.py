"""Reading a real pseudo-terminal in tests: what a person's terminal would receive."""

from __future__ import annotations

import os
import re
import select
import time


def read_pty(
    fd: int, out: bytearray, deadline: float, until: re.Pattern[bytes] | bytes | None = None
) -> None:
    """Read the pty into ``out`` until ``until`` shows (or EOF, or the deadline).

    A pattern is searched in all of ``out`` once new bytes arrived (a prompt anchored with
    ``$`` may have started before this call); plain bytes only in what this call read.
    Waiting for ``until`` past the deadline is an AssertionError showing the screen's tail.
    """
    start = len(out)

    def arrived() -> bool:
        if until is None or len(out) == start:
            return False
        return bool(until.search(out)) if isinstance(until, re.Pattern) else until in out[start:]

    while time.monotonic() < deadline:
        if arrived():
            return
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the pty
            return
        if not chunk:
            return
        out += chunk
    if until is not None:
        wanted = until.pattern if isinstance(until, re.Pattern) else until
        raise AssertionError(f"no {wanted!r} in time: {bytes(out[-1500:])!r}")
