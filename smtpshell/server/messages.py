"""What the practice server received, and where it keeps it.

Messages always stay in memory (``PracticeServer.messages``) so tests and the in-process
API can look at them; with a Maildir they are also written to disk, where any mail reader
can open them.  The store is shared between the server's event-loop thread (writer) and
the caller's thread (readers), hence the condition variable.
"""

from __future__ import annotations

import datetime
import email.parser
import email.policy
import logging
import mailbox
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class ReceivedMessage:
    """One accepted message: its envelope, its bytes (as sent, dot-unstuffed) and its session.

    ``mail_options`` and ``rcpt_options`` are the parameters as the client wrote them (the
    latter for all recipients together, like aiosmtpd's envelope); ``per_recipient_options``
    has one list per entry of ``rcpt_tos``, so DSN's NOTIFY and ORCPT stay with their
    recipient.
    """

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str] = field(default_factory=list)
    rcpt_options: list[str] = field(default_factory=list)
    per_recipient_options: list[list[str]] = field(default_factory=list)
    peer: Any = None
    protocol: str = "SMTP"  # or "LMTP"
    tls: bool = False
    authenticated_as: str | None = None
    received_at: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC)
    )

    def options_for(self, recipient: str) -> list[str]:
        """The RCPT parameters given with ``recipient`` (its first RCPT, if it came twice)."""
        for address, options in zip(self.rcpt_tos, self.per_recipient_options, strict=False):
            if address == recipient:
                return list(options)
        raise KeyError(recipient)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def subject(self) -> str:
        """The decoded Subject header, or "" when there is none (or it cannot be parsed)."""
        # SMTPUTF8 mail carries raw UTF-8 headers; others use RFC 2047 words: handle both.
        head = self.data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        try:
            parsed = email.parser.HeaderParser(policy=email.policy.default).parsestr(head)
            subject = parsed.get("Subject")
        except Exception:  # a practice server sees deliberately broken mail; never fail here
            return ""
        return "" if subject is None else " ".join(str(subject).split())

    def summary(self) -> str:
        """One line for the console: from, to, size, subject."""
        recipients = ",".join(f"<{r}>" for r in self.rcpt_tos)
        return (
            f"{self.protocol} from=<{self.mail_from}> to={recipients} size={self.size}"
            f" subject={self.subject!r}"
        )


class StoreFull(Exception):
    """The store keeps no more: the sender gets 452 4.3.1 (RFC 3463: mail system full)."""


class MessageStore:
    """Thread-safe list of received messages, optionally mirrored into a Maildir.

    Bounded: at most ``max_messages`` messages and ``max_bytes`` bytes of message data.  A
    message past either bound is refused (:class:`StoreFull`), never an older one dropped:
    the server said 250 for those, so they stay where the student (or a test) looks.
    """

    def __init__(
        self,
        maildir: Path | None = None,
        on_message: Callable[[ReceivedMessage], None] | None = None,
        *,
        max_messages: int | None = None,
        max_bytes: int | None = None,
        on_refused: Callable[[str, object], None] | None = None,
    ) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._bytes = 0
        self._messages: list[ReceivedMessage] = []
        self._changed = threading.Condition()
        self._maildir = mailbox.Maildir(maildir, create=True) if maildir is not None else None
        self._on_message = on_message
        self._on_refused = on_refused

    def refused(self, reason: str, peer: object) -> None:
        """Say that mail from ``peer`` was refused because the store is full (``reason``):
        the ``serve`` console prints it, since only the client sees the 452."""
        if self._on_refused is not None:
            try:
                self._on_refused(reason, peer)
            except Exception:  # a console bug must not change the reply
                log.exception("on_refused callback failed")

    def full(self, incoming: int = 0) -> str | None:
        """Why a message of ``incoming`` bytes would not be kept now, or None if it would."""
        with self._changed:
            if self.max_messages is not None and len(self._messages) >= self.max_messages:
                return f"{self.max_messages} messages kept already"
            if self.max_bytes is not None and self._bytes + incoming > self.max_bytes:
                return f"{self.max_bytes} bytes of messages kept already"
            return None

    def add(self, message: ReceivedMessage) -> None:
        """Keep ``message``; StoreFull past a bound (caller: 452), OSError when the Maildir
        cannot be written (caller: 451)."""
        with self._changed:
            reason = self.full(message.size)
            if reason is not None:
                raise StoreFull(reason)
            if self._maildir is not None:
                self._maildir.add(_maildir_bytes(message))
            self._bytes += message.size
            self._messages.append(message)
            self._changed.notify_all()
        if self._on_message is not None:
            try:
                self._on_message(message)
            except Exception:  # the sender's mail was accepted; a callback bug must not undo it
                log.exception("on_message callback failed")

    def snapshot(self) -> list[ReceivedMessage]:
        with self._changed:
            return list(self._messages)

    def wait_until(
        self, predicate: Callable[[ReceivedMessage], bool], timeout: float
    ) -> ReceivedMessage:
        """The first message ``predicate`` accepts, waiting for it; TimeoutError after
        ``timeout`` s.  For servers shared by many tests, where counting does not work."""

        def found() -> ReceivedMessage | None:
            return next((m for m in self._messages if predicate(m)), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout):
                raise TimeoutError(f"no matching message within {timeout}s")
            message = found()
            assert message is not None
            return message

    def wait_for(self, count: int, timeout: float) -> list[ReceivedMessage]:
        """The messages once at least ``count`` arrived; TimeoutError after ``timeout`` s."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} message{'' if count == 1 else 's'} within {timeout}s, "
                    f"got {len(self._messages)}"
                )
            return list(self._messages)


def _maildir_bytes(message: ReceivedMessage) -> bytes:
    """The message as a local delivery agent would file it: trace headers, LF line ends."""
    stamp = message.received_at.strftime("%a, %d %b %Y %H:%M:%S +0000")
    trace = (
        f"Return-Path: <{message.mail_from}>\n"
        f"Delivered-To: {', '.join(message.rcpt_tos)}\n"
        f"Received: by smtpshell practice server ({message.protocol}); {stamp}\n"
    ).encode("utf-8", "surrogateescape")
    return trace + message.data.replace(b"\r\n", b"\n")
