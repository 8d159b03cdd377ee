"""The DATA payload: line endings, dot-stuffing and the end-of-data marker.

RFC 5321 §4.1.1.4 / §4.5.2: lines end in CRLF and a line starting with "." gets one more.
smtplib normalises bare CR and LF only for ``str`` messages and sends ``bytes`` as they are,
so a bytes message containing ``\\n.\\r\\n`` ends the data early on servers that accept a bare
LF (SMTP smuggling, CVE-2023-51764 and friends).  Here ``bytes`` are normalised as well; for
an already well-formed message the output is byte-for-byte smtplib's.

The payload is produced in chunks so a 50 MB message is never copied whole while stuffing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = [
    "CRLF",
    "bCRLF",
    "dot_stuffed_chunks",
    "encode_message",
    "fix_eols",
    "normalize_eols",
    "quote_periods",
    "quotedata",
]

CRLF = "\r\n"
bCRLF = b"\r\n"

_EOL = re.compile(r"(?:\r\n|\n|\r(?!\n))")
_BEOL = re.compile(rb"(?:\r\n|\n|\r(?!\n))")

#: Size of the pieces the payload is stuffed and sent in.
CHUNK_SIZE = 1 << 16


def fix_eols(data: str) -> str:
    return _EOL.sub(CRLF, data)


def quotedata(data: str) -> str:
    """smtplib.quotedata, unchanged (public API): normalise line endings, double leading dots."""
    return re.sub(r"(?m)^\.", "..", fix_eols(data))


def quote_periods(bindata: bytes) -> bytes:
    """Double every dot that starts a line: what ``re.sub(rb"(?m)^\\.", b"..", data)`` does,
    with bytes.replace, which is about ten times faster than the regex on message text."""
    stuffed = bindata.replace(b"\n.", b"\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def normalize_eols(data: bytes) -> bytes:
    """Bare CR and bare LF become CRLF; returns the same object when nothing changes."""
    crlf = data.count(b"\r\n")
    if data.count(b"\n") == crlf and data.count(b"\r") == crlf:
        return data
    return _BEOL.sub(bCRLF, data)


def encode_message(msg: str | bytes | bytearray | memoryview) -> bytes:
    """The message as the bytes whose length SIZE declares: CRLF-normalised, not yet stuffed.

    A ``str`` must be ASCII, as in smtplib; the error is a ValueError raised before anything
    is sent (smtplib raises UnicodeEncodeError after MAIL and RCPT are accepted).
    """
    if type(msg) is bytes:  # the common case first: one type check, not three
        return normalize_eols(msg)
    if isinstance(msg, str):
        try:
            return fix_eols(msg).encode("ascii")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"message str contains non-ASCII character {msg[exc.start]!r} at index "
                f"{exc.start}: encode it yourself, or use send_message()"
            ) from None
    if isinstance(msg, bytearray | memoryview):
        msg = bytes(msg)
    if not isinstance(msg, bytes):
        raise TypeError(f"message must be str or bytes, not {type(msg).__name__}")
    return normalize_eols(msg)


def dot_stuffed_chunks(message: bytes, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The normalised message dot-stuffed and terminated with ``.CRLF``, piece by piece.

    Pieces are cut just after an LF so every piece starts at a line start, which is what
    makes per-piece stuffing equal to stuffing the whole.

    The end-of-data marker travels with the last piece: one write less per message (a
    system call, a desync poll and a transcript event).
    """
    tail = b"." + bCRLF if message.endswith(bCRLF) else bCRLF + b"." + bCRLF
    view = memoryview(message)
    start, end = 0, len(message)
    while start < end:
        stop = min(start + chunk_size, end)
        if stop < end:
            cut = message.rfind(b"\n", start, stop)
            stop = cut + 1 if cut >= start else (message.find(b"\n", stop) + 1 or end)
        piece = quote_periods(bytes(view[start:stop]))
        if stop >= end:
            yield piece + tail
            return
        yield piece
        start = stop
    yield tail
