"""Command lines: checked, encoded, their verb found, their AUTH data marked.

A plain line (ASCII, no CR, LF or NUL, no AUTH data, short) is remembered with its bytes
and verb, so the next time it is sent it is not checked again: a script sends the same
few lines over and over (issue 15).  An AUTH line or an answer to a 334 is never kept.
"""

from __future__ import annotations

from smtpshell.protocol import CRLF, check_no_control, encode_line
from smtpshell.protocol.session import AUTH_RESPONSE
from smtpshell.transcript import REDACTED

#: line -> (its bytes, its verb), for lines sent lately; at most PLAIN_MAX (then afresh).
PLAIN_LINES: dict[str, tuple[bytes, str]] = {}
PLAIN_MAX = 256
_PLAIN_LINE = 160
#: Encodings in which an ASCII line is the same bytes as in ASCII.
ASCII_SUPERSETS = frozenset({"ascii", "utf-8", "utf8", "latin-1", "iso-8859-1"})


def command_line(cmd: str, line: str, encoding: str, answering: bool) -> tuple[bytes, str, bool]:
    """The bytes of ``line`` (CRLF added), its verb, and whether it carries AUTH data;
    ``answering``: the server waits for an answer to a 334 (the line is secret).
    CR, LF and NUL anywhere, or a character ``encoding`` lacks, are a ValueError."""
    plain = line.isascii() and "\r" not in line and "\n" not in line and "\0" not in line
    if plain:  # the common case, checked inline
        data = (line + CRLF).encode(encoding)
    else:
        data = _encode_checked(cmd, line, encoding, answering)
    if answering:
        return data, AUTH_RESPONSE, True
    verb = line.split(" ", 1)[0].upper()
    # ``line.lstrip()[:4].upper() == "AUTH"``, without its copies in the common case.
    auth = verb[:4] == "AUTH" or (line[:1].isspace() and line.lstrip()[:4].upper() == "AUTH")
    if plain and not auth and len(line) <= _PLAIN_LINE and encoding in ASCII_SUPERSETS:
        if len(PLAIN_LINES) >= PLAIN_MAX:
            PLAIN_LINES.clear()
        PLAIN_LINES[line] = (data, verb)
    return data, verb, auth


def _encode_checked(cmd: str, line: str, encoding: str, answering: bool) -> bytes:
    """``line`` + CRLF encoded, or the ValueError that says why not (never quoting AUTH
    data: the usual message quotes the line)."""
    try:
        check_no_control(line, "command")
        return encode_line(line + CRLF, encoding)
    except ValueError:
        if answering or cmd.lstrip()[:4].upper() == "AUTH":
            raise ValueError(
                "AUTH data contains a CR, LF or NUL character, or one the connection "
                "cannot encode (not shown: it is secret)"
            ) from None
        raise


def redaction_for(line: str, answering: bool) -> bytes | None:
    """The bytes to record in place of a line that carries AUTH data (an initial response,
    or any answer to a 334), or None."""
    if answering:
        if line.strip() == "*":
            return None
        return REDACTED + b"\r\n"
    parts = line.split(None, 2)
    if len(parts) == 3 and parts[0].upper() == "AUTH":
        return f"{parts[0]} {parts[1]} ".encode("ascii", "replace") + REDACTED + b"\r\n"
    return None
