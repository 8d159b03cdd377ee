"""The one escaping path for server-controlled text.

A server can put anything in a reply, an EHLO keyword, a certificate field or an envelope
address: ESC/CSI/OSC sequences (clear the screen, write the clipboard with OSC 52, forge an
OSC 8 link), C1 controls such as U+009B (a one-byte CSI), BEL, backspace and CR overwrites,
DEL, and bidi overrides such as U+202E that reorder what a reader sees.  None of it may reach
a terminal, a Rich/Textual renderable or a text file raw.

``display(value)`` turns bytes or text into a :class:`SafeText`: every character a terminal
could interpret is replaced by a visible escape, in one notation everywhere:

- ``\\r``, ``\\n`` and ``\\t`` for CR, LF and TAB;
- ``\\xNN`` for other C0 controls, DEL, C1 controls (U+0080-U+009F) and bytes that are not
  valid UTF-8 (so ``b"\\xff"`` and ``"\\xff"``-the-C1-range never look like real text);
- ``\\uNNNN`` (``\\UNNNNNNNN`` above the BMP) for every other character Python does not
  call printable: format characters (Cf: bidi embeddings, overrides and isolates
  U+202A-U+202E and U+2066-U+2069, zero-width characters, the BOM), line and paragraph
  separators, spaces other than U+0020, surrogates, private-use and unassigned code points.

TAB is escaped too: a terminal interprets it (it moves the cursor), and in a table cell it
breaks alignment.  A backslash is kept as it is, so ``display`` is idempotent: escaping
escaped text changes nothing.

:class:`SafeText` is a ``str`` a face can print as it is; it is built only by escaping, so a
face cannot hold one that carries raw server text.  ``.raw`` keeps the original value for
protocol logic (compare, parse), never for display.  Escaped text is not markup-safe: Rich
and Textual faces must show it as a ``Text``/``Content`` value, never parse it as markup.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs import time; annotations here are only strings
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SafeText", "display", "escape_bytes"]

_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _escape_char(ch: str) -> str:
    code = ord(ch)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


#: Every non-printable Latin-1 character and every surrogate-escaped byte, for translate().
_BYTES_TABLE = {
    code: _escape_char(chr(code))
    for code in (*range(0x100), *range(0xDC80, 0xDD00))
    if not chr(code).isprintable()
}


def _escape(text: str) -> str:
    # str.isprintable() is False exactly for Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than
    # U+0020: the classes that a terminal interprets or that hide or reorder text.
    if text.isprintable():
        return text
    translated = text.translate(_BYTES_TABLE)  # controls and invalid bytes, in C
    if translated.isprintable():
        return translated
    return "".join([ch if ch.isprintable() else _escape_char(ch) for ch in text])


def _decode(value: str | bytes | bytearray | memoryview) -> str:
    if isinstance(value, str):
        return value
    return bytes(value).decode("utf-8", "surrogateescape")


class SafeText(str):
    """Text in which every character a terminal could interpret is visibly escaped.

    ``SafeText(value)`` always escapes (it is the same as ``display(value)``); ``.raw`` is
    the value as it was given.  String operations return plain ``str``, so a result
    computed from escaped pieces is no longer vouched for: escape again at the end.
    """

    __slots__ = ("raw",)
    raw: str | bytes

    def __new__(cls, value: str | bytes | bytearray | memoryview = "") -> SafeText:
        if isinstance(value, SafeText):
            return value
        if not isinstance(value, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"display() takes str or bytes, not {type(value).__name__}")
        self = super().__new__(cls, _escape(_decode(value)))
        self.raw = value if isinstance(value, (str, bytes)) else bytes(value)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (SafeText, (self.raw,))


def display(value: str | bytes | bytearray | memoryview) -> SafeText:
    """``value`` as display-safe text (idempotent: a SafeText is returned unchanged)."""
    return SafeText(value)


def escape_bytes(data: bytes) -> SafeText:
    """Wire bytes as display-safe text (the historical name of :func:`display`)."""
    return SafeText(data)
