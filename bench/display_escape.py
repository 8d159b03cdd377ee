"""``python -m bench.display_escape``: the cost of the one escaping path, per line.

Compares ``protocol.display`` with the per-character loop ``transcript.escape_bytes`` used
before issue 12 (kept here only as the baseline).  Prints the best of 5 x 20,000 calls, in
microseconds per line, for a plain ASCII reply, a UTF-8 reply and a hostile line.
"""

from __future__ import annotations

import timeit

from smtpshell.protocol.display import display


def baseline_escape_bytes(data: bytes) -> str:
    """The pre-issue-12 escape_bytes: one Python-level test per character."""
    text = data.decode("utf-8", "backslashreplace")
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\t" or (32 <= code < 127) or (code >= 160 and ch.isprintable()):
            out.append(ch)
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif code < 256:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


CASES = {
    "ASCII reply, 60 bytes": b"250-mx.example.com Hello client.example [192.0.2.1], pleased",
    "UTF-8 reply": "250 2.0.0 Message accepté — queued as 7F3A2B".encode(),
    "controls, 120 bytes": ("250 X-\x1b]52;c;Zm9v\x07evil\x9b2J\x7f" * 4).encode(),
    "controls + bidi, 120 bytes": ("250 X-\x1b]52;c;Zm9v\x07\u202eevil\u009b2J" * 4).encode(),
}


def main() -> None:
    number = 20_000
    for name, data in CASES.items():
        for label, function in (("baseline", baseline_escape_bytes), ("display()", display)):
            best = min(timeit.repeat(lambda f=function, d=data: f(d), number=number, repeat=5))
            print(f"{name:28} {label:10} {best / number * 1e6:6.2f} us")


if __name__ == "__main__":
    main()
