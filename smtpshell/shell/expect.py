"""``expect`` assertions on the last reply: ``expect 250``, ``expect 2xx``, ``expect 550 5.1.1``.

Grammar: ``expect [for RCPT] CODE [ENHANCED] [TEXT...]``.  CODE is three characters, each a
digit or ``x`` (any digit).  ENHANCED is an RFC 3463 code (``x`` allowed per field).  TEXT
must occur in the reply, case-insensitively.  Pure: parse, then check against a ReplyRecord.

After the end of an LMTP message there is one reply per accepted recipient (RFC 2033
§4.2).  ``check_delivery`` then judges every one of them: the delivery is as expected only
when each recipient's reply is, so a failed delivery cannot pass because its recipient came
first.  ``expect for RCPT ...`` judges only that recipient's reply.

State expectations check the session instead of a reply, because some lessons are about
state no reply code shows (is the connection encrypted? who is logged in?)::

    expect [not] tls | authenticated [USER] | connected | lmtp
    expect [not] feature KEYWORD [PARAM]     (the last EHLO advertised it)
    expect stage disconnected|connected|ready|mail|rcpt|data

``parse_state_expectation`` reads them (None when a spec is a reply expectation) and
``StateExpectation.check(status, features)`` judges them against ``Engine.status()`` and
``Engine.features``; ``parse_check`` reads either kind.  ``Engine.expect`` still takes reply
expectations only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtpshell.knowledge import parse_enhanced
from smtpshell.shell.registry import UsageError
from smtpshell.shell.results import ReplyRecord

if TYPE_CHECKING:
    from smtpshell.shell.engine import Status

__all__ = [
    "STAGES",
    "STATE_WORDS",
    "Expectation",
    "StateExpectation",
    "parse_check",
    "parse_expectation",
    "parse_state_expectation",
]

_CODE = re.compile(r"^[1-5xX][0-9xX]{2}$")
_ENHANCED = re.compile(r"^[245xX]\.([0-9]{1,3}|[xX])\.([0-9]{1,3}|[xX])$")


def _field_matches(pattern: str, value: str) -> bool:
    return pattern.lower() == "x" or pattern == value


@dataclass(frozen=True, slots=True)
class Expectation:
    code: str
    enhanced: str | None = None
    text: str | None = None
    #: ``expect for RCPT ...``: judge only this recipient's reply to an LMTP delivery.
    recipient: str | None = None

    def __str__(self) -> str:
        return " ".join(p for p in (self.code, self.enhanced, self.text) if p)

    def select(self, delivery: Sequence[tuple[str, ReplyRecord]]) -> list[tuple[str, ReplyRecord]]:
        """The recipients' replies this expectation judges: all, or the one named ``for``."""
        if self.recipient is None:
            return list(delivery)
        wanted = _bare(self.recipient)
        return [(r, reply) for r, reply in delivery if _bare(r) == wanted]

    def check_delivery(self, delivery: Sequence[tuple[str, ReplyRecord]]) -> str | None:
        """Judge an LMTP delivery: every recipient's reply, or the one named ``for``.

        None when it holds; otherwise why not, naming the recipient.
        """
        judged = self.select(delivery)
        if not judged:
            names = ", ".join(r for r, _ in delivery) or "none"
            return (
                f"expected a reply for {self.recipient}, but it was not a recipient of "
                f"the last LMTP delivery (recipients: {names})"
            )
        for index, (recipient, reply) in enumerate(judged, 1):
            failure = self.check(reply)
            if failure is not None:
                where = f"for {recipient}"
                if len(judged) > 1:
                    where += f" (recipient {index} of {len(judged)})"
                return f"{failure} {where}"
        return None

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


def _bare(address: str) -> str:
    return address.strip().strip("<>").lower()


def parse_expectation(spec: str) -> Expectation:
    words = spec.split()
    recipient = None
    if words and words[0].lower() == "for":
        if len(words) < 3:
            raise UsageError("expect for wants a recipient and a reply code: expect for RCPT 250")
        recipient, words = words[1], words[2:]
    if not words or not _CODE.match(words[0]):
        raise UsageError(f"expect wants a reply code like 250, 2xx or 55x, not {spec.strip()!r}")
    code, rest = words[0], words[1:]
    enhanced = None
    if rest and _ENHANCED.match(rest[0]):
        enhanced, rest = rest[0], rest[1:]
    text = " ".join(rest) or None
    return Expectation(code, enhanced, text, recipient)


#: The transaction stages ``Status.stage`` reports, in session order.
STAGES = ("disconnected", "connected", "ready", "mail", "rcpt", "data")
#: The first word (after an optional ``not``) of every state expectation.
STATE_WORDS = ("tls", "authenticated", "connected", "lmtp", "feature", "stage")


@dataclass(frozen=True, slots=True)
class StateExpectation:
    """A check on the session (``expect tls``), not on a reply."""

    what: str
    negated: bool = False
    argument: str | None = None
    parameter: str | None = None

    def __str__(self) -> str:
        words = ["not"] if self.negated else []
        words += [w for w in (self.what, self.argument, self.parameter) if w]
        return " ".join(words)

    def check(self, status: Status, features: Mapping[str, str]) -> str | None:
        """None when the session is as expected; otherwise why not, in one line."""
        holds, actual = self._observe(status, features)
        if holds != self.negated:
            return None
        return f"expected {self}, but {actual}"

    def _observe(self, status: Status, features: Mapping[str, str]) -> tuple[bool, str]:
        if self.what == "tls":
            return status.tls, "the connection is encrypted" if status.tls else "no TLS is up"
        if self.what == "authenticated":
            user = status.user
            if user is None:
                return False, "nobody is logged in"
            return self.argument in (None, user), f"logged in as {user}"
        if self.what == "connected":
            return status.connected, "connected" if status.connected else "not connected"
        if self.what == "lmtp":
            return status.lmtp, "this session speaks LMTP" if status.lmtp else "this is SMTP"
        if self.what == "stage":
            return status.stage == self.argument, f"the stage is {status.stage}"
        return self._feature(features)

    def _feature(self, features: Mapping[str, str]) -> tuple[bool, str]:
        assert self.argument is not None
        lowered = {key.lower(): value for key, value in features.items()}
        if not lowered:
            return False, "no EHLO answer lists any extension"
        params = lowered.get(self.argument.lower())
        if params is None:
            return False, f"{self.argument.upper()} is not advertised"
        if self.parameter is None:
            return True, f"{self.argument.upper()} is advertised"
        offered = params.upper().split()
        shown = f"{self.argument.upper()} {params}".rstrip()
        return self.parameter.upper() in offered, f"the server advertised {shown}"


def parse_state_expectation(spec: str) -> StateExpectation | None:
    """A state expectation, or None when ``spec`` is not one (then it is a reply code)."""
    words = spec.split()
    negated = bool(words) and words[0].lower() == "not"
    if negated:
        words = words[1:]
    if not words or words[0].lower() not in STATE_WORDS:
        if negated:
            raise UsageError(f"expect not ... wants one of {', '.join(STATE_WORDS)}")
        return None
    what, rest = words[0].lower(), words[1:]
    if what == "stage":
        if negated or len(rest) != 1 or rest[0].lower() not in STAGES:
            raise UsageError(f"expect stage wants one of {', '.join(STAGES)}")
        return StateExpectation(what, argument=rest[0].lower())
    if what == "feature":
        if not 1 <= len(rest) <= 2:
            raise UsageError("expect feature wants a keyword and at most one parameter")
        return StateExpectation(what, negated, rest[0].upper(), rest[1] if rest[1:] else None)
    if what == "authenticated" and len(rest) <= 1:
        return StateExpectation(what, negated, rest[0] if rest else None)
    if rest:
        raise UsageError(f"expect {what} takes no argument, not {' '.join(rest)!r}")
    return StateExpectation(what, negated)


def parse_check(spec: str) -> Expectation | StateExpectation:
    """Either kind of expectation; UsageError when ``spec`` is neither."""
    state = parse_state_expectation(spec)
    if state is not None:
        return state
    try:
        return parse_expectation(spec)
    except UsageError:
        raise UsageError(
            f"expect wants a reply code like 250, 2xx or 55x, or a state "
            f"({', '.join(STATE_WORDS)}), not {spec.strip()!r}"
        ) from None
