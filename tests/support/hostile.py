"""A hostile SMTP server for display-safety tests: every reply carries terminal payloads.

One payload per class a server could use to take over a terminal or fool a reader: CSI
(clear screen), OSC 52 (clipboard write), OSC 8 (a link), the one-byte C1 CSI U+009B, BEL,
backspaces, a CR overwrite, DEL, a right-to-left override, and Rich/Textual markup.
"""

from __future__ import annotations

import re

from tests.support.scripted import Peer

PAYLOADS = {
    "csi": "\x1b[2J\x1b[3J\x1b[H",
    "osc52": "\x1b]52;c;Zm9vYmFy\x07",
    "osc8": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "c1": "\u009b31m",
    "bel": "\x07",
    "bs": "\x08\x08\x08",
    "del": "\x7f",
    "rlo": "\u202eevil",
    "markup": "[bold red]M[/][@click=app.quit]Q[/]",
}
EVIL = "".join(PAYLOADS.values())
#: A bare CR overwrite: the client refuses the line as malformed, and shows it escaped.
CR_OVERWRITE = "\rOVERWRITTEN"
#: What must never reach an output raw (the markup is checked separately: it must show).
FORBIDDEN = ("\x1b", "\x07", "\x08", "\x7f", "\u009b", "\u202e", "\r")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def ehlo_lines() -> list[str]:
    return [
        f"mx.hostile {EVIL}",
        f"X-{EVIL}EVIL p{EVIL}",
        f"AUTH PLAIN {EVIL}",
        "SIZE ²",
        "8BITMIME",
    ]


def _reply(peer: Peer, code: int, *lines: str) -> None:
    out = [f"{code}-{line}\r\n" for line in lines[:-1]] + [f"{code} {lines[-1]}\r\n"]
    peer.send("".join(out).encode())


def hostile_script(peer: Peer) -> None:
    _reply(peer, 220, f"mx.hostile ESMTP {EVIL}")
    while True:
        line = peer.readline()
        if not line:
            return
        verb = line.split(b" ", 1)[0].strip().upper()
        if verb in (b"EHLO", b"LHLO"):
            _reply(peer, 250, *ehlo_lines())
        elif verb == b"HELO":
            _reply(peer, 250, f"mx.hostile {EVIL}")
        elif verb == b"NOOP":
            _reply(peer, 250, f"2.0.0 ok{CR_OVERWRITE} {EVIL}")
        elif verb in (b"MAIL", b"RCPT", b"RSET"):
            _reply(peer, 250, f"2.0.0 ok {EVIL}")
        elif verb == b"VRFY":
            _reply(peer, 252, f"2.1.5 {EVIL}")
        elif verb == b"DATA":
            _reply(peer, 354, f"go ahead {EVIL}")
            peer.read_until(b"\r\n.\r\n")
            _reply(peer, 250, f"2.0.0 queued {EVIL}")
        elif verb == b"QUIT":
            _reply(peer, 221, f"2.0.0 bye {EVIL}")
            return
        else:
            _reply(peer, 500, f"5.5.2 what? {EVIL}")


def raw_controls(text: str | bytes, *, sgr_ok: bool = False, crlf_ok: bool = False) -> list[str]:
    """The forbidden characters in an output (empty when it is clean)."""
    if isinstance(text, bytes):  # an invalid byte 0x9b is a CSI to an 8-bit terminal
        text = text.decode("utf-8", "surrogateescape").replace("\udc9b", "\u009b")
    if sgr_ok:
        text = SGR.sub("", text)
    if crlf_ok:
        text = text.replace("\r\n", "\n")
    return [repr(ch) for ch in FORBIDDEN if ch in text]
