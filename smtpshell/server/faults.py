"""Fault injection: the misbehaviours a teacher or a test asks the practice server for.

Every fault names the moment it strikes by the SMTP command it answers (``MAIL``, ``RCPT``,
``DATA``, ``BDAT`` ...) or by ``EOM``, the end of the message (the dot after DATA, or the
chunk of ``BDAT ... LAST``): "delay the reply to EOM" is how a slow queue looks, "drop on
EOM" is the classic did-my-mail-arrive mystery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from smtpshell.practice import (
    EOM,
    FAULT_POINTS,
    FaultSettings,
    Voice,
    describe_faults,
    fault_point,
)

# The moments a fault may strike are part of the options table (smtpshell.practice).


@dataclass(frozen=True)
class Faults:
    """What the server should get wrong, on purpose.  The default gets nothing wrong.

    - ``delay``: seconds to wait before replying to a command, e.g. ``{"MAIL": 2.0}``;
      ``"EOM"`` delays the final reply after the message body.
    - ``reject_rcpt``: recipients matching this pattern (``re.search``) are refused ...
    - ``reject_code``: ... with this reply code: 5xx (permanent, 550) or 4xx (try later, 450).
    - ``reply_421_on``: answer this command with ``421`` and close the connection, the way a
      server going down for maintenance does.
    - ``drop_on``: close the connection without any reply when this command arrives.
    - ``slow_greeting``: seconds to wait before the ``220`` banner.
    """

    delay: dict[str, float] = field(default_factory=dict)
    reject_rcpt: re.Pattern[str] | str | None = None  # a str is compiled
    reject_code: int = 550
    reply_421_on: str | None = None
    drop_on: str | None = None
    slow_greeting: float = 0.0
    #: End DATA at a "." line whatever its line endings (``\n.\n`` too): the behaviour
    #: that made SMTP smuggling possible.  Off: only ``\r\n.\r\n`` ends DATA (RFC 5321
    #: §4.1.1.4).
    accept_bare_lf_dot: bool = False

    def __post_init__(self) -> None:
        delays = {fault_point(point): float(seconds) for point, seconds in self.delay.items()}
        if any(seconds < 0 for seconds in delays.values()):
            raise ValueError("a delay must not be negative")
        object.__setattr__(self, "delay", delays)
        if isinstance(self.reject_rcpt, str):
            object.__setattr__(self, "reject_rcpt", re.compile(self.reject_rcpt))
        if not (400 <= self.reject_code <= 599):
            raise ValueError(f"reject_code must be a 4xx or 5xx code, not {self.reject_code}")
        for name in ("reply_421_on", "drop_on"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, fault_point(value))
        if self.slow_greeting < 0:
            raise ValueError("slow_greeting must not be negative")

    def delay_for(self, point: str) -> float:
        """Seconds to wait before answering ``point`` (0.0 when no delay is configured)."""
        return self.delay.get(point, 0.0)

    def rejects(self, address: str) -> bool:
        """True when the recipient ``address`` should be refused."""
        pattern = self.reject_rcpt
        return isinstance(pattern, re.Pattern) and pattern.search(address) is not None

    @classmethod
    def of(cls, options: FaultSettings) -> Faults:
        """The faults the practice options (``serve``, a lesson header) switch on."""
        values = {item.name: getattr(options, item.name) for item in fields(cls)}
        return cls(**{**values, "delay": dict(options.delay)})

    def describe(self) -> list[str]:
        """One human line per active fault, for the ``serve`` banner."""
        return describe_faults(self, Voice.SERVE)


NO_FAULTS = Faults()

__all__ = ["EOM", "FAULT_POINTS", "NO_FAULTS", "Faults", "fault_point"]
