"""Transcript events and result items as display data: the shared look of every face.

Faces decide colour and layout; what a line *says* is decided once, here: ``C:``/``S:``
direction, escaped text (server bytes only ever pass through ``escape_bytes``), latency
and the short explanation of each final reply.  The ``format_*`` functions give the plain
text form used by scripts and by any face without colour.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from smtpshell.knowledge import explain
from smtpshell.protocol.display import SafeText, display
from smtpshell.shell.results import Item, Level, Note, Table, Text
from smtpshell.transcript import (
    INCOMPLETE,
    INJECTED,
    MALFORMED,
    UNSOLICITED,
    Event,
    EventKind,
    escape_bytes,
)

#: The hint a flagged reply line gets, instead of its code's meaning.
_FLAG_HINTS = (
    (MALFORMED, "malformed reply line"),
    (UNSOLICITED, "sent before any command"),
    (INCOMPLETE, "connection closed mid-reply"),
    (INJECTED, "sent before the TLS handshake"),
)

__all__ = [
    "WireLine",
    "event_lines",
    "format_item",
    "format_latency",
    "format_wire_line",
    "reply_hint",
]


@dataclass(frozen=True, slots=True)
class WireLine:
    """One display line of the transcript.

    ``direction`` is ``"C"`` (client), ``"S"`` (server) or ``"*"`` (connection events and
    notes).  ``code``/``latency``/``hint`` are set on the final line of a reply.
    ``ending`` is ``""`` for a normal CRLF line, else a description of the odd ending
    (``"bare LF"``, ``"no line ending"``) so raw-mode tests show what really went out.
    """

    direction: str
    text: SafeText  # display-safe: built only by protocol.display
    kind: EventKind
    code: int | None = None
    final: bool = False
    latency: float | None = None
    hint: str | None = None
    secret: bool = False
    ending: str = ""


def _split_wire(data: bytes) -> list[tuple[bytes, str]]:
    """Lines of sent/received bytes, each with a description of an unusual ending."""
    out: list[tuple[bytes, str]] = []
    rest = data
    while rest:
        lf = rest.find(b"\n")
        if lf < 0:
            out.append((rest, "no line ending"))
            break
        line, rest = rest[:lf], rest[lf + 1 :]
        if line.endswith(b"\r"):
            out.append((line[:-1], ""))
        else:
            out.append((line, "bare LF"))
    return out


def _challenge_hint(text: bytes) -> str | None:
    try:
        decoded = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not decoded:
        return "empty challenge"
    return f"challenge decodes to {escape_bytes(decoded)!r}"


def reply_hint(code: int, text: bytes) -> str:
    """The short inline explanation of a reply line (text = what follows the code)."""
    if code == 334:
        decoded = _challenge_hint(text)
        base = "Server challenge: answer with one base64 line (or * to cancel)"
        return f"{base}; {decoded}" if decoded else base
    info = explain(code, text)
    hint = info.short
    if info.enhanced and info.enhanced_title:
        hint += f"; {info.enhanced} {info.enhanced_title}"
    return hint


def event_lines(event: Event, reveal: bool = False, *, hints: bool = True) -> list[WireLine]:
    """The display lines of one transcript event."""
    if event.kind is EventKind.SENT:
        secret = event.secret and not reveal
        sent = [
            WireLine("C", escape_bytes(line), event.kind, secret=secret, ending=ending)
            for line, ending in _split_wire(event.shown(reveal))
        ]
        summary = event.summary
        if summary is not None and summary.truncated:  # a message body recorded in part
            sent.append(WireLine("*", display(f"... {event.text}"), EventKind.INFO))
        return sent
    if event.kind is EventKind.RECEIVED:
        lines = _split_wire(event.data)
        final = event.final
        code = event.code
        out: list[WireLine] = []
        for index, (line, ending) in enumerate(lines):
            last = index == len(lines) - 1
            hint = None
            if last and final and hints and isinstance(code, int):
                hint = reply_hint(code, line[4:])
            for flag, why in _FLAG_HINTS:
                if last and event.flags & flag:
                    hint = why
            out.append(
                WireLine(
                    "S",
                    escape_bytes(line),
                    event.kind,
                    code=code if last else None,
                    final=final and last,
                    latency=event.latency if last and final else None,
                    hint=hint,
                    ending=ending,
                )
            )
        return out
    text = event.text or event.kind.value
    return [WireLine("*", display(text), event.kind)]


def format_latency(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def format_wire_line(line: WireLine, *, hints: bool = True) -> str:
    """``C: MAIL FROM:<a@b>`` / ``S: 250 2.1.0 OK  [3 ms] Requested action completed``."""
    text = f"{line.direction}: {line.text}" if line.direction != "*" else f"* {line.text}"
    if line.ending:
        text += f"  <{line.ending}>"
    extras = []
    if line.latency is not None:
        extras.append(f"[{format_latency(line.latency)}]")
    if hints and line.hint:
        extras.append(f"-- {line.hint}")
    return text + ("  " + " ".join(extras) if extras else "")


_LEVEL_PREFIX = {
    Level.INFO: "",
    Level.OK: "",
    Level.HINT: "",
    Level.WARN: "warning: ",
    Level.ERROR: "error: ",
}


def format_table(table: Table) -> list[str]:
    rows = [table.headers, *table.rows] if table.headers else list(table.rows)
    if not rows:
        return [table.title] if table.title else []
    widths = [0] * max(len(r) for r in rows)
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    out = [table.title] if table.title else []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + list(row[-1:])
        out.append("  " + "  ".join(cells).rstrip())
    return out


def format_item(item: Item) -> list[str]:
    """Plain text lines for a result item."""
    if isinstance(item, Note):
        return [_LEVEL_PREFIX[item.level] + item.text]
    if isinstance(item, Table):
        return format_table(item)
    if isinstance(item, Text):
        body = item.body.rstrip("\n").split("\n") if item.body else []
        return ([item.title] if item.title else []) + body
    raise TypeError(f"not a result item: {item!r}")
