"""Reply assembly: wire lines in, one bounded, strictly parsed :class:`Reply` out.

RFC 5321 §4.2::

    Reply-line = *( Reply-code "-" [ textstring ] CRLF )
                    Reply-code [ SP textstring ] CRLF
    Reply-code = %x32-35 %x30-35 %x30-39

The second digit is accepted as 0-9: real servers (and RFC 4954's 334) stay within 0-5, but a
stray second digit is not worth dropping a session over.  Everything else is strict: a line
that is not a reply line, a multiline reply whose lines disagree on the code, or a reply past
the size bounds is a protocol violation, because a client that guesses is a client that can be
desynchronised (and then hands a stale reply to the next command).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from smtpshell.errors import SMTPProtocolError

__all__ = ["DEFAULT_LIMITS", "Limits", "Reply", "ReplyAssembler"]

_REPLY_LINE = re.compile(rb"([2-5][0-9]{2})(?:([ -])([^\r\n]*))?\r\n\Z")


class Limits(NamedTuple):
    """Bounds on what the client will read; breaking one is an error, never a hang.

    * ``max_line``: longest reply line, CRLF included (smtplib's _MAXLINE; RFC 5321
      §4.5.3.1.5 says 512, but real servers send longer).
    * ``max_lines``: most lines in one reply (an EHLO reply has a few dozen at most).
    * ``max_reply_bytes``: most bytes in one reply.
    * ``max_auth_rounds``: most 334 challenges in one AUTH exchange (smtplib's _MAXCHALLENGE).

    Named tuples, not dataclasses, in the core: ``import smtpshell`` stays cheap.
    """

    max_line: int = 8192
    max_lines: int = 1000
    max_reply_bytes: int = 1 << 20
    max_auth_rounds: int = 5


DEFAULT_LIMITS = Limits()


class Reply(NamedTuple):
    """One complete server reply: its code, each line's text (without code, separator or
    CRLF), and every byte as received."""

    code: int
    lines: tuple[bytes, ...]
    raw: bytes

    @property
    def message(self) -> bytes:
        """smtplib's form: the lines' text stripped and joined with LF."""
        lines = self.lines
        if len(lines) == 1:  # most replies: no generator, no join
            return lines[0].strip(b" \t\r\n")
        return b"\n".join([line.strip(b" \t\r\n") for line in lines])

    def as_tuple(self) -> tuple[int, bytes]:
        return self.code, self.message

    @property
    def positive(self) -> bool:
        return 200 <= self.code < 400


_new_tuple = tuple.__new__
_FINAL_LINE = re.compile(rb"([2-5][0-9]{2})(?: ([^\r\n]*))?\r\n\Z")


#: One-line replies seen lately, by their bytes: a server sends the same few lines over and
#: over ("250 2.1.0 Ok", "354 End data with ..."), and a Reply is immutable, so a line seen
#: before is not parsed again (issue 15: parsing was a sixth of a command's critical path).
#: Only short lines are kept, and at most _SEEN_MAX of them (then it starts afresh).
_SEEN: dict[bytes, Reply] = {}
_SEEN_MAX = 256
_SEEN_LINE = 160


def parse_final_line(line: bytes, limits: Limits = DEFAULT_LIMITS) -> Reply | None:
    """A well-formed one-line reply, without an assembler: most replies are one line.

    ``None`` means "not that simple" (a continuation line, or something malformed): feed
    the line to a :class:`ReplyAssembler`, which decides, and raises where it must.
    """
    if len(line) > limits.max_line:
        return None
    reply = _SEEN.get(line)
    if reply is not None:
        return reply
    match = _FINAL_LINE.match(line)
    if match is None:
        return None
    code, text = match.groups()
    # Measured (callgrind, CPython 3.11): the regex is cheaper than byte-by-byte checks in
    # Python (about 8,100 instructions against 11,300 for one line), and building the
    # tuple directly skips the named tuple's generated __new__.
    reply = _new_tuple(Reply, (int(code), (text or b"",), line))
    if len(line) <= _SEEN_LINE:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[line] = reply
    return reply


def _violation(text: str, line: bytes = b"", code: int = -1) -> SMTPProtocolError:
    detail = f"{text}: {line[:80]!r}" if line else text
    return SMTPProtocolError(code, detail.encode("ascii", "backslashreplace"))


class ReplyAssembler:
    """Feed it complete lines (CRLF included); it returns a Reply when one is complete."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS):
        self.limits = limits
        self._code: bytes | None = None
        self._lines: list[bytes] = []
        self._raw: list[bytes] = []
        self._size = 0

    @property
    def in_progress(self) -> bool:
        return bool(self._lines)

    def feed_line(self, line: bytes) -> Reply | None:
        if len(line) > self.limits.max_line:
            raise _violation(f"reply line longer than {self.limits.max_line} bytes", line)
        match = _REPLY_LINE.match(line)
        if match is None:
            if not line.endswith(b"\r\n"):
                raise _violation("reply line not terminated by CRLF", line)
            raise _violation("malformed reply line", line)
        code, separator, text = match.group(1), match.group(2), match.group(3) or b""
        if self._code is not None and code != self._code:
            raise _violation(
                f"multiline reply changed code from {self._code.decode()} to {code.decode()}",
                line,
                int(self._code),
            )
        self._code = code
        self._lines.append(text)
        self._raw.append(line)
        self._size += len(line)
        if separator == b"-":
            if len(self._lines) >= self.limits.max_lines:
                raise _violation(f"reply longer than {self.limits.max_lines} lines", code=int(code))
            if self._size > self.limits.max_reply_bytes:
                raise _violation(
                    f"reply larger than {self.limits.max_reply_bytes} bytes", code=int(code)
                )
            return None
        reply = Reply(int(code), tuple(self._lines), b"".join(self._raw))
        self._code, self._lines, self._raw, self._size = None, [], [], 0
        return reply


def parse_reply(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Reply:
    """Parse bytes that must hold exactly one complete reply (for tests and tools)."""
    assembler = ReplyAssembler(limits)
    lines = data.splitlines(keepends=True)
    for index, line in enumerate(lines):
        reply = assembler.feed_line(line)
        if reply is not None:
            if index != len(lines) - 1:
                raise _violation("data after the end of the reply", b"".join(lines[index + 1 :]))
            return reply
    raise _violation("incomplete reply", data)
