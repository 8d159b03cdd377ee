"""``expect`` assertions on the last reply: ``expect 250``, ``expect 2xx``, ``expect 550 5.1.1``.

Grammar: ``expect CODE [ENHANCED] [TEXT...]``.  CODE is three characters, each a digit or
``x`` (any digit).  ENHANCED is an RFC 3463 code (``x`` allowed per field).  TEXT must
occur in the reply, case-insensitively.  Pure: parse, then check against a ReplyRecord.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpshell.knowledge import parse_enhanced
from smtpshell.shell.registry import UsageError
from smtpshell.shell.results import ReplyRecord

__all__ = ["Expectation", "parse_expectation"]

_CODE = re.compile(r"^[1-5xX][0-9xX]{2}$")
_ENHANCED = re.compile(r"^[245xX]\.([0-9]{1,3}|[xX])\.([0-9]{1,3}|[xX])$")


def _field_matches(pattern: str, value: str) -> bool:
    return pattern.lower() == "x" or pattern == value


@dataclass(frozen=True, slots=True)
class Expectation:
    code: str
    enhanced: str | None = None
    text: str | None = None

    def __str__(self) -> str:
        return " ".join(p for p in (self.code, self.enhanced, self.text) if p)

    def check(self, reply: ReplyRecord | None) -> str | None:
        """None when the reply matches; otherwise why not, in one line."""
        if reply is None:
            return f"expected {self}, but no reply has been received"
        got = f"{reply.code:03d}"
        if not all(p in "xX" or p == g for p, g in zip(self.code, got, strict=True)):
            return f"expected {self}, got {reply}"
        if self.enhanced:
            found = parse_enhanced(reply.first_line)
            if found is None:
                return f"expected enhanced code {self.enhanced}, got none: {reply}"
            want = self.enhanced.split(".")
            have = found.code.split(".")
            if not all(_field_matches(w, h) for w, h in zip(want, have, strict=True)):
                return f"expected {self}, got {reply}"
        if self.text and self.text.lower() not in "\n".join(reply.lines).lower():
            return f"expected {self.text!r} in the reply, got {reply}"
        return None


def parse_expectation(spec: str) -> Expectation:
    words = spec.split()
    if not words or not _CODE.match(words[0]):
        raise UsageError(f"expect wants a reply code like 250, 2xx or 55x, not {spec.strip()!r}")
    code, rest = words[0], words[1:]
    enhanced = None
    if rest and _ENHANCED.match(rest[0]):
        enhanced, rest = rest[0], rest[1:]
    text = " ".join(rest) or None
    return Expectation(code, enhanced, text)
