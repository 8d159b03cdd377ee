"""One client sends one big message, in a fresh process, and reports time and peak memory.

Run by section 4 as ``python -m bench.bigmsg CLIENT PORT SIZE``; prints one JSON object.
Method: the client is imported, connected and greeted first; ``ru_maxrss`` (the peak
resident set) is read as the baseline; then the message is built as a single ``bytes``
object (one repeated block, so its own size counts once) and sent.  ``peak - baseline`` is
what building and sending the message cost; it includes the message itself.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

BLOCK = (
    b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n" * 11
    + b".This line starts with a dot, so it must be dot-stuffed on the wire........\r\n"
)


def build(size: int) -> bytes:
    """``size`` bytes (rounded down to whole blocks): one allocation, CRLF lines."""
    return BLOCK * max(1, size // len(BLOCK))


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def main() -> None:
    kind, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        os.sched_setaffinity(0, {cpus[0]})
    from bench.clients import open_sender

    sender = open_sender(kind, port)
    baseline = maxrss_bytes()
    message = build(size)
    start = time.perf_counter()
    sender.send(message, 1)
    seconds = time.perf_counter() - start
    peak = maxrss_bytes()
    sender.close()
    print(
        json.dumps(
            {
                "client": kind,
                "message_bytes": len(message),
                "seconds": seconds,
                "baseline_rss": baseline,
                "peak_rss": peak,
                "delta_rss": peak - baseline,
            }
        )
    )


if __name__ == "__main__":
    main()
