"""Enhanced status codes (RFC 2034, RFC 3463) added to every reply the server sends.

A server that advertises ENHANCEDSTATUSCODES must put a code on every 2xx, 4xx and 5xx
reply except the greeting and the HELO/EHLO/LHLO answers.  aiosmtpd writes most replies
without one, so the practice server passes each outgoing line through
:func:`with_enhanced_code`, which leaves lines that already carry a code alone and picks
the code from the command being answered otherwise.  Pure and table-driven, so it is tested
without a socket.
"""

from __future__ import annotations

import re

_REPLY_LINE = re.compile(r"(?P<code>[2-5]\d\d)(?P<sep>[ -]?)(?P<text>.*)", re.DOTALL)
_HAS_ENHANCED = re.compile(r"[245]\.\d{1,3}\.\d{1,3}(?:\s|$)")

#: Replies to these commands are excluded by RFC 2034 section 3.
EXEMPT_VERBS = frozenset({"HELO", "EHLO", "LHLO"})

#: (command, reply code) -> enhanced code, where the command decides the subject.
BY_VERB_AND_CODE: dict[tuple[str, int], str] = {
    ("MAIL", 250): "2.1.0",  # X.1.0 other address status: sender accepted
    ("RCPT", 250): "2.1.5",  # X.1.5 destination address valid
    ("VRFY", 250): "2.1.5",
    ("EXPN", 250): "2.1.5",
    ("RCPT", 550): "5.1.1",  # bad destination mailbox address
    ("VRFY", 550): "5.1.1",
    ("EXPN", 550): "5.1.1",
    ("RCPT", 450): "4.2.1",  # mailbox disabled, not accepting messages (for now)
    ("MAIL", 552): "5.3.4",  # message too big for system
    ("DATA", 552): "5.3.4",
}

#: reply code -> enhanced code, for every other reply.
BY_CODE: dict[int, str] = {
    211: "2.0.0",
    214: "2.0.0",
    220: "2.0.0",
    221: "2.0.0",
    235: "2.7.0",  # authentication succeeded (RFC 4954)
    250: "2.0.0",
    251: "2.1.5",
    252: "2.0.0",
    421: "4.3.2",  # system not accepting network messages
    450: "4.2.0",
    451: "4.3.0",
    452: "4.3.1",  # mail system full
    454: "4.7.0",
    500: "5.5.2",  # syntax error
    501: "5.5.4",  # invalid command arguments
    502: "5.5.1",  # invalid command
    503: "5.5.1",
    504: "5.5.4",
    530: "5.7.0",
    534: "5.7.9",  # mechanism too weak (RFC 4954)
    535: "5.7.8",  # credentials invalid (RFC 4954)
    538: "5.7.11",  # encryption required for mechanism (RFC 4954)
    550: "5.0.0",
    551: "5.1.6",
    552: "5.3.4",
    553: "5.1.3",  # bad destination mailbox address syntax
    554: "5.0.0",
    555: "5.5.4",
}


def enhanced_code_for(code: int, verb: str | None) -> str:
    """The enhanced code to attach to reply ``code`` answering ``verb`` (None: no command)."""
    if verb is not None and (verb, code) in BY_VERB_AND_CODE:
        return BY_VERB_AND_CODE[(verb, code)]
    return BY_CODE.get(code, f"{code // 100}.0.0")


def with_enhanced_code(line: str, verb: str | None) -> str:
    """``line`` with an enhanced status code inserted after the reply code, when it needs one.

    3xx lines (354, 334), replies to HELO/EHLO/LHLO, lines that are not replies and lines that
    already carry a code are returned unchanged.
    """
    match = _REPLY_LINE.fullmatch(line)
    if match is None:
        return line
    code = int(match["code"])
    if code // 100 == 3 or (verb in EXEMPT_VERBS and code // 100 == 2):
        return line
    text = match["text"]
    if _HAS_ENHANCED.match(text):
        return line
    enhanced = enhanced_code_for(code, verb)
    sep = match["sep"] or " "
    return f"{code}{sep}{enhanced} {text}" if text else f"{code}{sep}{enhanced}"
