"""Command lines: the one place a command becomes bytes, and is checked first."""

from __future__ import annotations

from smtpshell.errors import SMTPUTF8RequiredError
from smtpshell.protocol.addresses import check_no_control

__all__ = ["encode_line", "format_command"]


def format_command(cmd: str, args: str = "") -> str:
    """``cmd args`` as smtplib's putcmd builds it, refusing CR, LF and NUL (ValueError)."""
    line = cmd if args == "" else f"{cmd} {args}"
    check_no_control(line, "command")
    return line


def encode_line(line: str, encoding: str) -> bytes:
    """Encode before anything is written, so a bad character costs no half-sent command."""
    try:
        return line.encode(encoding)
    except UnicodeEncodeError as exc:
        # Still a UnicodeEncodeError (smtplib lets that one escape here), with our reason.
        raise SMTPUTF8RequiredError(
            exc.encoding,
            exc.object,
            exc.start,
            exc.end,
            f"command contains {line[exc.start]!r}, which is not {encoding}; "
            "non-ASCII addresses need the SMTPUTF8 mail option",
        ) from None
